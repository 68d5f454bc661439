//! Roofline bounds for inference: decode is memory-bound, prefill
//! compute-bound.
//!
//! The roofline model (Williams, Waterman & Patterson 2009, "Roofline: An
//! Insightful Visual Performance Model for Multicore Architectures", CACM
//! 52(4), doi:10.1145/1498765.1498785) bounds attainable throughput by
//! `min(peak FLOP/s, arithmetic intensity × bandwidth)`, where arithmetic
//! intensity is FLOPs per byte moved. FLOPs per token follow Kaplan et al.
//! 2020, "Scaling Laws for Neural Language Models" (arXiv 2001.08361),
//! §2.1 and Table 1: `2N + 2·n_layer·n_ctx·d_attn` for a forward pass,
//! N the parameters used in matrix multiplies. These are upper bounds on
//! speed: real kernels reach a fraction of peak.

use crate::arch::{Attention, ModelArch};
use crate::error::{Checked, EstimateError, Result};
use crate::formula::{add, count, div, max, mul, num, var, Formula, Unit};
use crate::hardware::Device;
use crate::kv_cache::kv_cache;
use crate::precision::{weights_footprint, Dtype, WeightFormat};
use serde::Serialize;

/// Parameters that take part in a matrix multiply per token: the active
/// parameters, minus embedding lookups, plus the LM head when it is tied to
/// the embedding (the shared matrix is then multiplied once).
pub fn matmul_params(arch: &ModelArch) -> Result<u64> {
    let c = arch.param_counts()?;
    let tied_head = if arch.tie_word_embeddings { arch.vocab_size.mul_or(arch.hidden_size, "LM head")? } else { 0 };
    c.active.saturating_sub(c.embedding).add_or(tied_head, "matmul parameters")
}

/// d_attn of Kaplan Table 1: the width of the attention's query–key dot
/// products (heads × query head dim).
pub fn attention_width(arch: &ModelArch) -> u64 {
    match &arch.attention {
        Some(Attention::Standard(a)) => a.num_heads * a.head_dim,
        Some(Attention::Latent(m)) => m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim),
        None => 0,
    }
}

/// A point on a roofline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RooflinePoint {
    pub flops: f64,
    pub bytes: f64,
    /// FLOPs per byte.
    pub intensity: f64,
    /// min(peak, intensity × bandwidth), FLOP/s.
    pub attainable_flops: f64,
    /// Lower bound on the time, seconds: max(flops / peak, bytes / bandwidth).
    pub seconds: f64,
    pub compute_bound: bool,
}

/// A point on `device`'s roofline. Without a published peak (Apple's GPUs)
/// only the memory roof applies: the time is then a lower bound set by
/// bandwidth alone, and nothing is called compute-bound.
fn point(flops: f64, bytes: f64, device: &Device) -> Result<RooflinePoint> {
    let intensity = if bytes > 0.0 { flops / bytes } else { 0.0 };
    let memory_seconds = bytes / device.bandwidth;
    let (attainable, seconds, compute_bound) = match device.bf16_flops {
        Some(peak) => (
            (intensity * device.bandwidth).min(peak),
            (flops / peak).max(memory_seconds),
            intensity >= peak / device.bandwidth,
        ),
        None => (intensity * device.bandwidth, memory_seconds, false),
    };
    let p = RooflinePoint { flops, bytes, intensity, attainable_flops: attainable, seconds, compute_bound };
    for v in [p.flops, p.bytes, p.intensity, p.attainable_flops, p.seconds] {
        crate::error::finite(v, "roofline")?;
    }
    Ok(p)
}

/// The ridge point of a device: FLOPs per byte above which it is compute-bound.
pub fn ridge_intensity(device: &Device) -> Option<f64> {
    device.bf16_flops.map(|p| p / device.bandwidth)
}

/// Prefill and decode of one request shape on one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhaseAnalysis {
    /// Processing `batch` prompts of `context` tokens in one pass.
    pub prefill: RooflinePoint,
    /// Generating one token for each of `batch` sequences that hold `context` tokens.
    pub decode: RooflinePoint,
    /// Upper bound on generated tokens per second (all sequences together).
    pub decode_tokens_per_s: f64,
    /// Lower bound on the time to first token, seconds.
    pub prefill_seconds: f64,
    /// Whether the device publishes a peak, i.e. has a compute roof.
    pub compute_roof: bool,
    /// Weights and KV cache of the whole batch.
    pub needed_bytes: u64,
    /// What the device lets a model use ([`Device::gpu_budget_bytes`]).
    pub capacity_bytes: u64,
    /// Whether `needed_bytes` fits: speeds of a setting that cannot run
    /// mean nothing, and the figure says so instead.
    pub fits: bool,
}

/// Prefill and decode bounds for `arch` on `device`, and whether the
/// weights and the batch's KV cache fit on it at all.
///
/// Decode reads every active weight once per step plus the whole KV cache;
/// prefill reads the weights once and writes the KV cache while doing
/// `batch × context` tokens of work, with causal attention (token i attends
/// to i tokens: Σ 2·L·i·d_attn).
pub fn phases(
    arch: &ModelArch,
    weights: WeightFormat,
    kv: Dtype,
    context: u64,
    batch: u64,
    device: &Device,
) -> Result<PhaseAnalysis> {
    if context == 0 || batch == 0 {
        return Err(EstimateError::OutOfRange {
            what: "context and batch".into(),
            reason: "must be at least 1".into(),
        });
    }
    let w = weights_footprint(arch, weights)?;
    let cache = kv_cache(arch, kv, context, batch)?;
    let n = matmul_params(arch)? as f64;
    let l = arch.num_layers as f64;
    let d_attn = attention_width(arch) as f64;
    let (s, b) = (context as f64, batch as f64);

    let prefill_flops = b * (2.0 * n * s + 2.0 * l * d_attn * s * (s + 1.0) / 2.0);
    let prefill_bytes = w.active_bytes as f64 + cache.total_bytes as f64;
    let prefill = point(prefill_flops, prefill_bytes, device)?;

    let decode_flops = b * (2.0 * n + 2.0 * l * s * d_attn);
    let decode_bytes = w.active_bytes as f64 + cache.total_bytes as f64;
    let decode = point(decode_flops, decode_bytes, device)?;

    let tps = if decode.seconds > 0.0 { b / decode.seconds } else { 0.0 };
    let needed_bytes = w.total_bytes.saturating_add(cache.total_bytes);
    let capacity_bytes = device.gpu_budget_bytes();
    Ok(PhaseAnalysis {
        prefill,
        decode,
        decode_tokens_per_s: crate::error::finite(tps, "tokens per second")?,
        prefill_seconds: prefill.seconds,
        compute_roof: device.bf16_flops.is_some(),
        needed_bytes,
        capacity_bytes,
        fits: needed_bytes <= capacity_bytes,
    })
}

/// The formula behind [`PhaseAnalysis::decode_tokens_per_s`]: the batch's
/// tokens over the time of one decode step, which is the longer of its
/// FLOPs at the device's peak and its bytes (active weights and the batch's
/// KV cache) at its bandwidth (roofline and FLOP count as in the module
/// docs). Without a published peak the step is its bytes over bandwidth.
pub fn decode_formula(
    arch: &ModelArch,
    context: u64,
    batch: u64,
    device: &Device,
    a: &PhaseAnalysis,
) -> Result<Formula> {
    let b = || count("b", "sequences decoded together", batch);
    let flops = mul(vec![
        b(),
        add(vec![
            mul(vec![num(2.0), count("N", "parameters in matrix multiplies", matmul_params(arch)?)]),
            mul(vec![
                num(2.0),
                count("L", "layers", arch.num_layers),
                count("s", "tokens in each sequence's cache", context),
                count("d_a", "attention width (heads × query head dim)", attention_width(arch)),
            ]),
        ]),
    ]);
    let memory = div(
        var("M", "bytes read per step: active weights and the batch's KV cache", a.decode.bytes, Unit::Bytes),
        var("B", "memory bandwidth", device.bandwidth, Unit::Rate),
    );
    let step = match device.bf16_flops {
        Some(peak) => max(div(flops, var("P", "peak dense bf16 throughput", peak, Unit::Flops)), memory),
        None => memory,
    };
    Ok(Formula::new(
        "Decode ceiling",
        div(b(), step),
        Unit::TokensPerSecond(0),
        format!(
            "Williams et al. 2009, Roofline (CACM 52(4)); Kaplan et al. 2020 (arXiv 2001.08361) §2.1, Table 1; device: {}",
            device.source()
        ),
    ))
}

/// Memory-bound decode ceiling with no device table: `bandwidth / bytes per
/// step × batch`. Used for devices with no published FLOP/s (Apple).
pub fn decode_tokens_per_s_memory_bound(bytes_per_step: u64, bandwidth: f64, batch: u64) -> f64 {
    if bytes_per_step == 0 || !(bandwidth.is_finite() && bandwidth > 0.0) {
        0.0
    } else {
        bandwidth / bytes_per_step as f64 * batch as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    /// Llama-3.1-8B bf16 on an H100, batch 1, 1K context: the step reads
    /// 16.06 GB of weights + 134 MB of KV; 3.35 TB/s → at most ≈ 207 tokens/s,
    /// and decode is memory-bound (intensity ≈ 1 FLOP/byte vs a ridge of 295).
    #[test]
    fn decode_is_memory_bound() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let h100 = device("h100-sxm").unwrap();
        let p = phases(&m, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 1024, 1, h100).unwrap();
        assert!(!p.decode.compute_bound);
        assert!(p.prefill.compute_bound);
        let bytes = 16_060_522_496.0 + 131_072.0 * 1024.0;
        assert!((p.decode_tokens_per_s - 3.35e12 / bytes).abs() < 1e-6);
        assert!((p.decode_tokens_per_s - 207.0).abs() < 1.0, "{}", p.decode_tokens_per_s);
        assert!((ridge_intensity(h100).unwrap() - 295.4).abs() < 0.1);
    }

    /// Matmul parameters: Llama-3.1-8B = 8,030,261,248 − 525,336,576 embedding.
    #[test]
    fn matmul_params_exclude_lookups() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(matmul_params(&m).unwrap(), 8_030_261_248 - 525_336_576);
        // GPT-2 ties its head: the embedding matrix is multiplied once, wpe never.
        let g = preset("gpt2").unwrap().arch().unwrap();
        assert_eq!(matmul_params(&g).unwrap(), 124_439_808 - 786_432);
    }

    #[test]
    fn batching_raises_intensity() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let h100 = device("h100-sxm").unwrap();
        let f = |b| phases(&m, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 1024, b, h100).unwrap();
        assert!(f(64).decode.intensity > 10.0 * f(1).decode.intensity);
        assert!(f(64).decode_tokens_per_s > f(1).decode_tokens_per_s);
    }

    #[test]
    fn apple_has_no_compute_roof_but_has_a_ceiling() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let mac = device("m2-ultra").unwrap();
        let p = phases(&m, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 1024, 1, mac).unwrap();
        assert!(!p.compute_roof && !p.decode.compute_bound && !p.prefill.compute_bound);
        // 16.06 GB of weights and 134 MB of KV at 800 GB/s: ≈ 49.4 tokens/s at most.
        let bytes = 16_060_522_496.0 + 134_217_728.0;
        assert!((p.decode_tokens_per_s - 800e9 / bytes).abs() < 1e-6);
        assert!(p.fits);
        let tps = decode_tokens_per_s_memory_bound(16_060_522_496, mac.bandwidth, 1);
        assert!((tps - 49.8).abs() < 0.1);
        assert_eq!(decode_tokens_per_s_memory_bound(0, 1.0, 1), 0.0);
    }

    /// Llama 3.1 405B in bf16 does not fit one RTX 4090, nor 64 × 128K
    /// tokens of Llama 3.1 8B's KV cache one H100: no speed is claimed.
    #[test]
    fn settings_that_cannot_run_are_flagged() {
        let big = preset("llama-3.1-405b").unwrap().arch().unwrap();
        let p =
            phases(&big, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 1024, 1, device("rtx-4090").unwrap()).unwrap();
        assert!(!p.fits);
        assert!(p.needed_bytes > 800_000_000_000);
        assert_eq!(p.capacity_bytes, device("rtx-4090").unwrap().capacity_bytes);
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let h100 = device("h100-sxm").unwrap();
        let p = phases(&m, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 131_072, 64, h100).unwrap();
        assert!(!p.fits);
        assert_eq!(p.needed_bytes, 16_060_522_496 + 131_072 * 131_072 * 64);
        let p = phases(&m, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 8192, 8, h100).unwrap();
        assert!(p.fits);
    }
}

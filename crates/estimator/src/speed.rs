//! Speed and cost of serving, bounded honestly.
//!
//! Three figures, each with what it rests on:
//!
//! - **Decode ceiling**: the roofline bound of [`crate::throughput::phases`]
//!   (every active weight and the batch's KV cache read once per step at the
//!   device's bandwidth, or its FLOPs at peak if that is longer), with `gpus`
//!   tensor-parallel devices sharing the step ideally (no communication). No
//!   engine decodes faster.
//! - **A measured band** under the ceiling, where decode runs of the engine
//!   are on record ([`MEASURED_DECODE`]): each run's tokens per second
//!   divided by the ceiling llmem computes for that very model file and
//!   device gives an efficiency, and the band spans the lowest to the
//!   highest. Where no run of the engine is on record (vLLM, SGLang and
//!   transformers here), there is no band, and the page says so rather than
//!   invent one.
//! - **Time to first token**: the prefill of one prompt as long as the
//!   context at the device's peak (or, without a published peak, its bytes
//!   at the bandwidth), divided over the tensor-parallel GPUs: a lower bound.
//!
//! And, for a price per GPU-hour, the cost of a million generated tokens at
//! the band's speeds (or at the ceiling, a floor on the cost).

use crate::arch::ModelArch;
use crate::engines::serve::Engine;
use crate::error::{EstimateError, Result};
use crate::hardware::Device;
use crate::kv_cache::kv_cache;
use crate::precision::{weights_footprint, Dtype, WeightFormat};
use crate::throughput::{decode_tokens_per_s_memory_bound, phases};
use serde::Serialize;

/// One published single-stream decode measurement (llama.cpp's
/// `llama-bench` `tg128`: 128 tokens generated from an empty cache, batch 1).
#[derive(Debug, Clone, Copy)]
pub struct MeasuredDecode {
    pub engine: Engine,
    /// The model (a preset id) and the format of the file that ran.
    pub model: &'static str,
    pub weights: WeightFormat,
    /// The device as the report names it, and its memory bandwidth (bytes/s).
    pub device: &'static str,
    pub bandwidth: f64,
    /// Generated tokens per second, as reported.
    pub tokens_per_s: f64,
    /// Where the run and the bandwidth are published.
    pub source: &'static str,
}

/// Decode runs on record, each cited. Bandwidths are the vendors' figures
/// (the same as the device table's where the device is in it).
pub const MEASURED_DECODE: &[MeasuredDecode] = &[
    MeasuredDecode {
        engine: Engine::LlamaCpp,
        model: "llama-3.1-8b",
        weights: WeightFormat::GgufQ4KM,
        device: "NVIDIA RTX 3080 (CUDA)",
        bandwidth: 760e9,
        tokens_per_s: 111.95,
        source: "github.com/dmatora/LLM-inference-speed-benchmarks/issues/12 (llama.cpp build 3622, token generation \
                 111.95 ± 2.45 t/s); NVIDIA GeForce RTX 3080 specifications: 760 GB/s",
    },
    MeasuredDecode {
        engine: Engine::LlamaCpp,
        model: "llama-3.1-8b",
        weights: WeightFormat::GgufQ4KM,
        device: "Apple M4, 16 GB (Metal)",
        bandwidth: 120e9,
        tokens_per_s: 20.87,
        source: "github.com/brand-o/normiebench/issues/3 (Mac mini M4, llama.cpp / Metal, q4_k_m, tg128 20.87 t/s); \
                 Apple Newsroom, 'Apple introduces M4 chip' (7 May 2024): 120GB/s",
    },
    MeasuredDecode {
        engine: Engine::LlamaCpp,
        model: "qwen3-8b",
        weights: WeightFormat::GgufQ4KM,
        device: "NVIDIA RTX 5090 (CUDA)",
        bandwidth: 1792e9,
        tokens_per_s: 221.7,
        source: "github.com/CambrianTech/continuum/pull/1627 (Qwen3-8B Q4_K_M fully in the 5090's memory, llama.cpp \
                 CUDA: 221.7 tok/s generation); NVIDIA GeForce RTX 5090 specifications: 1,792 GB/s",
    },
];

/// Tokens in the cache, on average, during a `tg128` run.
const TG128_MEAN_CONTEXT: u64 = 64;

/// The memory-bandwidth ceiling llmem computes for a measured run: its
/// model file and a cache of [`TG128_MEAN_CONTEXT`] tokens in f16 read once
/// per token at the device's bandwidth.
pub fn run_ceiling(run: &MeasuredDecode) -> Result<f64> {
    let arch = crate::presets::preset(run.model)?.arch()?;
    let weights = weights_footprint(&arch, run.weights)?.active_bytes;
    let cache = kv_cache(&arch, Dtype::Fp16, TG128_MEAN_CONTEXT, 1)?.total_bytes;
    Ok(decode_tokens_per_s_memory_bound(weights.saturating_add(cache), run.bandwidth, 1))
}

/// A run's share of its ceiling.
pub fn run_efficiency(run: &MeasuredDecode) -> Result<f64> {
    let ceiling = run_ceiling(run)?;
    if ceiling > 0.0 {
        Ok(run.tokens_per_s / ceiling)
    } else {
        Err(EstimateError::OutOfRange { what: "measured run".into(), reason: "no ceiling".into() })
    }
}

/// The lowest and highest efficiency of `engine`'s runs on record, with the
/// runs (`None` where none is on record, or on a CPU, which no run covers).
pub fn efficiency_band(engine: Engine, device: &Device) -> Option<(f64, f64, Vec<&'static MeasuredDecode>)> {
    if device.is_cpu() {
        return None;
    }
    let runs: Vec<_> = MEASURED_DECODE.iter().filter(|r| r.engine == engine).collect();
    let effs: Vec<f64> = runs.iter().filter_map(|r| run_efficiency(r).ok()).collect();
    if effs.is_empty() {
        return None;
    }
    let low = effs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = effs.iter().copied().fold(0.0, f64::max);
    Some((low, high, runs))
}

/// What a question's speed and cost come to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speed {
    /// Generated tokens per second, all sequences together, at the roofline.
    pub ceiling_tokens_per_s: f64,
    /// Whether one decode step is bound by bandwidth (else by compute).
    pub memory_bound: bool,
    /// The measured band: efficiencies and the tokens per second they give.
    pub band: Option<SpeedBand>,
    /// Lower bound on the prefill of one prompt as long as the context, seconds.
    pub first_token_seconds: f64,
    /// Whether that bound is the device's peak FLOP/s (else only its bandwidth:
    /// no published peak).
    pub first_token_at_peak: bool,
    /// Dollars per million generated tokens at the price given: at the
    /// fastest and the slowest speed considered (the band's, or the ceiling).
    pub cost_per_million: Option<(f64, f64)>,
}

/// The band of [`Speed`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedBand {
    pub low_efficiency: f64,
    pub high_efficiency: f64,
    pub low_tokens_per_s: f64,
    pub high_tokens_per_s: f64,
    /// The runs behind it, as "device: source".
    pub runs: Vec<String>,
}

/// One serving question, for [`speed`].
#[derive(Debug, Clone, Copy)]
pub struct SpeedQuery<'a> {
    pub arch: &'a ModelArch,
    pub weights: WeightFormat,
    pub kv: Dtype,
    pub context: u64,
    pub batch: u64,
    pub device: &'a Device,
    /// Tensor-parallel GPUs sharing each step.
    pub gpus: u64,
    pub engine: Option<Engine>,
    /// Dollars per GPU-hour, if given.
    pub gpu_hour_price: Option<f64>,
}

/// Speed and cost of one serving question (see the module docs).
pub fn speed(q: &SpeedQuery) -> Result<Speed> {
    let gpus = q.gpus.max(1) as f64;
    let decode = phases(q.arch, q.weights, q.kv, q.context, q.batch, q.device)?;
    let ceiling = decode.decode_tokens_per_s * gpus;
    let prefill = phases(q.arch, q.weights, q.kv, q.context, 1, q.device)?;
    let band = q.engine.and_then(|e| efficiency_band(e, q.device)).map(|(low, high, runs)| SpeedBand {
        low_efficiency: low,
        high_efficiency: high,
        low_tokens_per_s: ceiling * low,
        high_tokens_per_s: ceiling * high,
        runs: runs.iter().map(|r| format!("{}: {}", r.device, r.source)).collect(),
    });
    let cost_per_million = match q.gpu_hour_price {
        None => None,
        Some(p) if !(p.is_finite() && p >= 0.0) => {
            return Err(EstimateError::OutOfRange {
                what: "price per GPU-hour".into(),
                reason: "must be a number of dollars, zero or more".into(),
            })
        }
        Some(p) => {
            let (fast, slow) = band.as_ref().map_or((ceiling, ceiling), |b| (b.high_tokens_per_s, b.low_tokens_per_s));
            let per_million = |tps: f64| if tps > 0.0 { p * gpus / 3600.0 / tps * 1e6 } else { f64::INFINITY };
            Some((per_million(fast), per_million(slow)))
        }
    };
    Ok(Speed {
        ceiling_tokens_per_s: ceiling,
        memory_bound: !decode.decode.compute_bound,
        band,
        first_token_seconds: prefill.prefill_seconds / gpus,
        first_token_at_peak: prefill.compute_roof,
        cost_per_million,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    /// Each run's efficiency, from its cited figures and llmem's ceiling for
    /// that file and device: Llama 3.1 8B Q4_K_M is 4,920,733,824 bytes
    /// (the layout checked against llama.cpp), so 760 GB/s gives at most
    /// ≈ 154 tokens/s and the 3080's 111.95 is ≈ 73 % of it.
    #[test]
    fn measured_runs_sit_under_their_ceilings() {
        let effs: Vec<f64> = MEASURED_DECODE.iter().map(|r| run_efficiency(r).unwrap()).collect();
        for (r, e) in MEASURED_DECODE.iter().zip(&effs) {
            assert!(*e > 0.5 && *e < 1.0, "{}: {e}", r.device);
        }
        let c = run_ceiling(&MEASURED_DECODE[0]).unwrap();
        assert!((c - 154.4).abs() < 0.5, "{c}");
        assert!((effs[0] - 0.725).abs() < 0.005, "{}", effs[0]);
    }

    #[test]
    fn llama_cpp_has_a_band_and_the_others_none() {
        let h100 = device("h100-sxm").unwrap();
        let (low, high, runs) = efficiency_band(Engine::LlamaCpp, h100).unwrap();
        assert!(low < high && runs.len() == MEASURED_DECODE.len());
        assert!(efficiency_band(Engine::Vllm, h100).is_none());
        assert!(efficiency_band(Engine::LlamaCpp, device("cpu").unwrap()).is_none());
        // The band the README and the calculator's page quote.
        assert_eq!(((low * 100.0).round(), (high * 100.0).round()), (62.0, 86.0));
    }

    /// Llama 3.1 8B bf16 on one H100 at 1K: the ceiling is phases' ≈ 207
    /// tokens/s; two GPUs double it; a $2/h GPU at the ceiling costs
    /// 2 / 3600 / 207 × 10⁶ ≈ $2.68 per million tokens; the first token of a
    /// 1K prompt takes at least 2·N·s FLOPs at 989 TFLOP/s ≈ 16 ms.
    #[test]
    fn ceiling_first_token_and_cost() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let h100 = device("h100-sxm").unwrap();
        let q = SpeedQuery {
            arch: &m,
            weights: WeightFormat::Float(Dtype::Bf16),
            kv: Dtype::Bf16,
            context: 1024,
            batch: 1,
            device: h100,
            gpus: 1,
            engine: Some(Engine::Vllm),
            gpu_hour_price: Some(2.0),
        };
        let s = speed(&q).unwrap();
        assert!((s.ceiling_tokens_per_s - 207.0).abs() < 1.0, "{}", s.ceiling_tokens_per_s);
        assert!(s.memory_bound && s.band.is_none() && s.first_token_at_peak);
        let (fast, slow) = s.cost_per_million.unwrap();
        assert_eq!(fast, slow);
        assert!((fast - 2.0 / 3600.0 / s.ceiling_tokens_per_s * 1e6).abs() < 1e-9);
        assert!((s.first_token_seconds - 0.0166).abs() < 0.002, "{}", s.first_token_seconds);
        let two = speed(&SpeedQuery { gpus: 2, ..q }).unwrap();
        assert!((two.ceiling_tokens_per_s - 2.0 * s.ceiling_tokens_per_s).abs() < 1e-6);
        // llama.cpp's band brackets its speeds and costs.
        let l = speed(&SpeedQuery { engine: Some(Engine::LlamaCpp), ..q }).unwrap();
        let b = l.band.unwrap();
        assert!(b.low_tokens_per_s < b.high_tokens_per_s && b.high_tokens_per_s < l.ceiling_tokens_per_s);
        let (fast, slow) = l.cost_per_million.unwrap();
        assert!(fast < slow);
        assert!(speed(&SpeedQuery { gpu_hour_price: Some(f64::NAN), ..q }).is_err());
    }
}

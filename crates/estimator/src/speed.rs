//! Speed and cost of serving, bounded honestly.
//!
//! Three figures, each with what it rests on:
//!
//! - **Decode ceiling**: the roofline (Williams et al. 2009, CACM 52(4)):
//!   every active weight and the batch's KV cache read once per step at the
//!   devices' bandwidth ([`crate::fit::will_it_fit`]'s memory-bound ceiling,
//!   the one the calculator states), or the step's FLOPs at their peak if
//!   that takes longer, with the devices as tensor-parallel ranks sharing
//!   the step ideally (no communication). No engine decodes faster.
//! - **A measured band** under the ceiling, where decode runs of the engine
//!   are on record ([`measured_decode`]): each run's tokens per second
//!   divided by the ceiling llmem computes for that very model file and
//!   device gives an efficiency, and the band spans the lowest to the
//!   highest. Where no run of the engine is on record (vLLM, SGLang and
//!   transformers here), there is no band, and the page says so rather than
//!   invent one.
//! - **Time to first token**: the prefill of one prompt as long as the
//!   context at the devices' peak (or, without a published peak, the
//!   weights and the prompt's cache at the bandwidth): a lower bound.
//!
//! And, for a price per GPU-hour, the cost of a million generated tokens at
//! the band's speeds (or at the ceiling, a floor on the cost).

use crate::engines::serve::Engine;
use crate::error::{EstimateError, Result};
use crate::fit::{will_it_fit, FitQuery};
use crate::hardware::{Device, HostLink};
use crate::precision::{Dtype, WeightFormat};
use crate::throughput::{attention_width, matmul_params};
use serde::Serialize;

/// One published single-stream decode measurement (llama.cpp's
/// `llama-bench` `tg128`: 128 tokens generated from an empty cache, batch 1).
#[derive(Debug, Clone, Copy)]
pub struct MeasuredDecode {
    pub engine: Engine,
    /// The model (a preset id) and the format of the file that ran.
    pub model: &'static str,
    pub weights: WeightFormat,
    /// The device (its bandwidth is what matters here).
    pub device: &'static Device,
    /// Generated tokens per second, as reported.
    pub tokens_per_s: f64,
    /// Where the run is published.
    pub source: &'static str,
}

/// The GeForce RTX 3080 (10 GB), which one measured run used and the device
/// table does not list.
pub const RTX_3080: Device = Device {
    id: "rtx-3080",
    name: "NVIDIA RTX 3080",
    marketed: "10 GB",
    capacity_bytes: 10 << 30,
    memory_kind: "GDDR6X",
    bandwidth: 760e9,
    bf16_flops: None,
    sram_bytes: None,
    sram_bandwidth: None,
    host_link: HostLink::PcieGen4,
};

/// Decode runs on record, each cited.
pub fn measured_decode() -> [MeasuredDecode; 3] {
    let table = |id| crate::hardware::device(id).unwrap_or(&RTX_3080);
    [
        MeasuredDecode {
            engine: Engine::LlamaCpp,
            model: "llama-3.1-8b",
            weights: WeightFormat::GgufQ4KM,
            device: &RTX_3080,
            tokens_per_s: 111.95,
            source: "github.com/dmatora/LLM-inference-speed-benchmarks/issues/12 (llama.cpp build 3622, CUDA, \
                     token generation 111.95 ± 2.45 t/s)",
        },
        MeasuredDecode {
            engine: Engine::LlamaCpp,
            model: "llama-3.1-8b",
            weights: WeightFormat::GgufQ4KM,
            device: table("mac-16gb"),
            tokens_per_s: 20.87,
            source: "github.com/brand-o/normiebench/issues/3 (Mac mini M4, llama.cpp / Metal, q4_k_m, tg128 20.87 t/s)",
        },
        MeasuredDecode {
            engine: Engine::LlamaCpp,
            model: "qwen3-8b",
            weights: WeightFormat::GgufQ4KM,
            device: table("rtx-5090"),
            tokens_per_s: 221.7,
            source: "github.com/CambrianTech/continuum/pull/1627 (Qwen3-8B Q4_K_M fully in the 5090's memory, \
                     llama.cpp CUDA: 221.7 tok/s generation)",
        },
    ]
}

/// Tokens in the cache, on average, during a `tg128` run.
const TG128_MEAN_CONTEXT: u64 = 64;

/// The memory-bandwidth ceiling llmem computes for a measured run: its
/// model file and a cache of [`TG128_MEAN_CONTEXT`] tokens in f16 read once
/// per token at the device's bandwidth ([`will_it_fit`]'s ceiling).
pub fn run_ceiling(run: &MeasuredDecode) -> Result<f64> {
    let arch = crate::presets::preset(run.model)?.arch()?;
    let r = will_it_fit(&FitQuery {
        arch: &arch,
        weights: run.weights,
        kv: Dtype::Fp16,
        context: TG128_MEAN_CONTEXT,
        batch: 1,
        device: run.device,
        device_count: 1,
        stored_weights: None,
    })?;
    Ok(r.decode_tokens_per_s)
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
/// runs' sources (`None` where none is on record, or on a CPU, which no run
/// covers).
pub fn efficiency_band(engine: Engine, device: &Device) -> Option<(f64, f64, Vec<String>)> {
    if device.is_cpu() {
        return None;
    }
    let (mut low, mut high, mut runs) = (f64::INFINITY, 0.0f64, Vec::new());
    for r in measured_decode().iter().filter(|r| r.engine == engine) {
        let e = run_efficiency(r).ok()?;
        low = low.min(e);
        high = high.max(e);
        runs.push(format!("{}: {}", r.device.name, r.source));
    }
    (!runs.is_empty()).then_some((low, high, runs))
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

/// Speed and cost of serving the question `q` (its devices as tensor-parallel
/// ranks) with `engine` (see the module docs).
///
/// Decode: the step reads the active weights and the batch's cache
/// ([`will_it_fit`]'s memory-bound ceiling) and does `b·(2N + 2·L·s·d_attn)`
/// FLOPs (Kaplan et al. 2020, arXiv 2001.08361, §2.1, Table 1); the ceiling
/// is the batch over the longer of the two times. Prefill of one prompt of
/// `s` tokens: `2N·s + L·d_attn·s(s+1)` FLOPs at the peak, or the weights
/// and the prompt's cache at the bandwidth, whichever is longer.
pub fn speed(q: &FitQuery, engine: Option<Engine>, gpu_hour_price: Option<f64>) -> Result<Speed> {
    let r = will_it_fit(q)?;
    let gpus = q.device_count.max(1) as f64;
    let (n, l, d_attn) = (matmul_params(q.arch)? as f64, q.arch.num_layers as f64, attention_width(q.arch) as f64);
    let (s, b) = (q.context as f64, q.batch.max(1) as f64);
    let memory_step = if r.decode_tokens_per_s > 0.0 { b / r.decode_tokens_per_s } else { 0.0 };
    let peak = q.device.bf16_flops.map(|p| p * gpus);
    let compute_step = peak.map_or(0.0, |p| b * (2.0 * n + 2.0 * l * s * d_attn) / p);
    let step = memory_step.max(compute_step);
    let ceiling = if step > 0.0 { b / step } else { 0.0 };
    let prompt_bytes = r.weights_bytes as f64 + r.kv_bytes as f64 / b;
    let prefill_memory = prompt_bytes / (q.device.bandwidth * gpus);
    let prefill_compute = peak.map_or(0.0, |p| (2.0 * n * s + l * d_attn * s * (s + 1.0)) / p);
    let band = engine.and_then(|e| efficiency_band(e, q.device)).map(|(low, high, runs)| SpeedBand {
        low_efficiency: low,
        high_efficiency: high,
        low_tokens_per_s: ceiling * low,
        high_tokens_per_s: ceiling * high,
        runs,
    });
    let cost_per_million = match gpu_hour_price {
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
        memory_bound: memory_step >= compute_step,
        band,
        first_token_seconds: prefill_memory.max(prefill_compute),
        first_token_at_peak: peak.is_some(),
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
        let runs = measured_decode();
        let effs: Vec<f64> = runs.iter().map(|r| run_efficiency(r).unwrap()).collect();
        for (r, e) in runs.iter().zip(&effs) {
            assert!(*e > 0.5 && *e < 1.0, "{}: {e}", r.device.name);
        }
        let c = run_ceiling(&runs[0]).unwrap();
        assert!((c - 154.4).abs() < 0.5, "{c}");
        assert!((effs[0] - 0.725).abs() < 0.005, "{}", effs[0]);
    }

    #[test]
    fn llama_cpp_has_a_band_and_the_others_none() {
        let h100 = device("h100-sxm").unwrap();
        let (low, high, runs) = efficiency_band(Engine::LlamaCpp, h100).unwrap();
        assert!(low < high && runs.len() == measured_decode().len());
        assert!(efficiency_band(Engine::Vllm, h100).is_none());
        assert!(efficiency_band(Engine::LlamaCpp, device("cpu").unwrap()).is_none());
        // The band the README and the calculator's page quote.
        assert_eq!(((low * 100.0).round(), (high * 100.0).round()), (62.0, 86.0));
    }

    /// Llama 3.1 8B bf16 on one H100 at 1K: the ceiling is ≈ 207
    /// tokens/s; two GPUs double it; a $2/h GPU at the ceiling costs
    /// 2 / 3600 / 207 × 10⁶ ≈ $2.68 per million tokens; the first token of a
    /// 1K prompt takes at least 2·N·s FLOPs at 989 TFLOP/s ≈ 16 ms.
    #[test]
    fn ceiling_first_token_and_cost() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let h100 = device("h100-sxm").unwrap();
        let q = FitQuery {
            arch: &m,
            weights: WeightFormat::Float(Dtype::Bf16),
            kv: Dtype::Bf16,
            context: 1024,
            batch: 1,
            device: h100,
            device_count: 1,
            stored_weights: None,
        };
        let s = speed(&q, Some(Engine::Vllm), Some(2.0)).unwrap();
        assert!((s.ceiling_tokens_per_s - 207.0).abs() < 1.0, "{}", s.ceiling_tokens_per_s);
        assert!(s.memory_bound && s.band.is_none() && s.first_token_at_peak);
        let (fast, slow) = s.cost_per_million.unwrap();
        assert_eq!(fast, slow);
        assert!((fast - 2.0 / 3600.0 / s.ceiling_tokens_per_s * 1e6).abs() < 1e-9);
        assert!((s.first_token_seconds - 0.0166).abs() < 0.002, "{}", s.first_token_seconds);
        let two = speed(&FitQuery { device_count: 2, ..q }, Some(Engine::Vllm), Some(2.0)).unwrap();
        assert!((two.ceiling_tokens_per_s - 2.0 * s.ceiling_tokens_per_s).abs() < 1e-6);
        // llama.cpp's band brackets its speeds and costs.
        let l = speed(&q, Some(Engine::LlamaCpp), Some(2.0)).unwrap();
        let b = l.band.unwrap();
        assert!(b.low_tokens_per_s < b.high_tokens_per_s && b.high_tokens_per_s < l.ceiling_tokens_per_s);
        let (fast, slow) = l.cost_per_million.unwrap();
        assert!(fast < slow);
        assert!(speed(&q, None, Some(f64::NAN)).is_err());
    }
}

//! "Will it fit?": a model, a device (and how many), precisions, context and
//! batch → the memory breakdown, the verdict, the margin, the largest context
//! and batch that fit, and the decode speed ceiling.

use crate::arch::{Attention, ModelArch};
use crate::error::{product, Checked, EstimateError, Result};
use crate::formula::{add, count, mul, var, Formula, Unit};
use crate::hardware::Device;
use crate::kv_cache::{kv_cache, MAX_BATCH, MAX_CONTEXT};
use crate::precision::{weights_footprint, Dtype, WeightFormat};
use crate::throughput::decode_tokens_per_s_memory_bound;
use serde::Serialize;

/// Per-GPU runtime overhead outside the model's tensors: 512 MiB.
///
/// A CUDA context with lazy module loading takes 287 MB (PyTorch PR #86509,
/// which made lazy loading the default: 287,047,680 B with it, 666,632,192 B
/// without); cuBLAS workspaces and NCCL buffers add to it, and vLLM's memory
/// profiler reports ≈ 0.39 GiB of such "non-torch memory" on one GPU
/// (vllm-project/vllm #11251). We round to 512 MiB per device. Serving
/// engines also hold back a share of memory on purpose (vLLM's
/// `gpu_memory_utilization`, 0.9 or 0.92 by version); that is a setting, not
/// a cost, and is not included.
pub const RUNTIME_OVERHEAD_PER_DEVICE: u64 = 512 << 20;

/// Tokens processed per forward step during prefill. Chunked-prefill servers
/// bound the tokens in flight per step (Agrawal et al. 2024, "Sarathi-Serve",
/// arXiv 2403.02310, §4.2); 2,048 is a common chunk size.
pub const PREFILL_CHUNK_TOKENS: u64 = 2_048;

/// Peak activation memory of one forward step, in bytes (an estimate).
///
/// The largest live set in a decoder layer is the residual stream plus the
/// widest intermediate: a gated MLP's gate and up outputs (2 × intermediate)
/// or the attention's q, k, v. For `min(batch × context, chunk)` tokens in
/// 16-bit, plus fp32 logits for one position per sequence (batch ×
/// vocab × 4). Exact figures depend on kernels and fusion; this is an
/// estimate of the order of magnitude, and is labelled so wherever shown.
pub fn inference_activation_bytes(arch: &ModelArch, context: u64, batch: u64) -> Result<u64> {
    let tokens = context.saturating_mul(batch).min(PREFILL_CHUNK_TOKENS);
    let inter = match &arch.moe {
        Some(m) => m.expert_intermediate_size.max(arch.mlp.intermediate_size),
        None => arch.mlp.intermediate_size,
    };
    let attn_width = match &arch.attention {
        Some(Attention::Standard(a)) => (a.num_heads + 2 * a.num_kv_heads) * a.head_dim,
        Some(Attention::Latent(m)) => m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim),
        None => 0,
    };
    // A recurrent mixer's input projection is its widest activation.
    let attn_width = attn_width.max(match &arch.recurrent {
        Some(r) => 2 * r.conv_channels()?,
        None => 0,
    });
    let widest = (2 * inter).max(attn_width);
    let per_token = (2 * arch.hidden_size).add_or(widest, "activation width")?;
    let hidden = product(&[tokens, per_token, 2], "activations")?;
    let logits = product(&[batch, arch.vocab_size, 4], "logits")?;
    hidden.add_or(logits, "activations")
}

/// Memory of inference on one model replica, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InferenceMemory {
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    /// Estimated peak activations ([`inference_activation_bytes`]).
    pub activation_bytes: u64,
    pub total_bytes: u64,
}

impl InferenceMemory {
    /// The formula behind [`InferenceMemory::total_bytes`]: the three terms
    /// as [`inference_memory`] computes them.
    pub fn formula(&self) -> Formula {
        Formula::new(
            "Total",
            add(vec![
                var("W", "weights, every tensor in its format", self.weights_bytes as f64, Unit::Bytes),
                var("KV", "KV cache: 2 × layers × KV heads × head dim × tokens × bytes", self.kv_bytes as f64, Unit::Bytes),
                var("A", "working activations (the widest layer's, and fp32 logits)", self.activation_bytes as f64, Unit::Bytes),
            ]),
            Unit::Bytes,
            "KV: Shazeer 2019 (arXiv 1911.02150) §2; activations: an estimate (llmem fit.rs, inference_activation_bytes)",
        )
    }
}

/// Weights + KV cache + activations of serving `batch` sequences of `context` tokens.
pub fn inference_memory(
    arch: &ModelArch,
    weights: WeightFormat,
    kv: Dtype,
    context: u64,
    batch: u64,
) -> Result<InferenceMemory> {
    let weights_bytes = weights_footprint(arch, weights)?.total_bytes;
    let kv_bytes = kv_cache(arch, kv, context, batch)?.total_bytes;
    let activation_bytes = inference_activation_bytes(arch, context, batch)?;
    let total_bytes = weights_bytes.add_or(kv_bytes, "total")?.add_or(activation_bytes, "total")?;
    Ok(InferenceMemory { weights_bytes, kv_bytes, activation_bytes, total_bytes })
}

/// What the reader asks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitQuery<'a> {
    pub arch: &'a ModelArch,
    pub weights: WeightFormat,
    pub kv: Dtype,
    pub context: u64,
    pub batch: u64,
    pub device: &'a Device,
    pub device_count: u64,
    /// The weights' bytes as a checkpoint file stores them (read from its
    /// header: [`crate::safetensors`], [`crate::gguf_file`]); when set, they
    /// replace the footprint `weights` would give. A format change in
    /// [`changes_to_fit`] means another file, and clears it.
    pub stored_weights: Option<u64>,
}

/// The weights' bytes and the bytes one decode step reads of them. For a
/// stored file the active share is the architecture's (at `q.weights`)
/// applied to the file's bytes: exact for dense models, an estimate for MoE.
fn weights_of(q: &FitQuery) -> Result<(u64, u64)> {
    let w = weights_footprint(q.arch, q.weights)?;
    Ok(match q.stored_weights {
        None => (w.total_bytes, w.active_bytes),
        Some(stored) if w.active_bytes >= w.total_bytes || w.total_bytes == 0 => (stored, stored),
        Some(stored) => {
            // In f64, not u128: 128-bit division would add its routine to the browser bundle.
            let active = (stored as f64 * (w.active_bytes as f64 / w.total_bytes as f64)) as u64;
            (stored, active)
        }
    })
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitReport {
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    pub activation_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
    pub capacity_bytes: u64,
    pub fits: bool,
    /// capacity − total (negative when it does not fit).
    pub margin_bytes: i128,
    /// Largest context (tokens) that fits at this batch; 0 if none.
    pub max_context: u64,
    /// Largest batch that fits at this context; 0 if none.
    pub max_batch: u64,
    /// Memory-bound decode ceiling, tokens/s for the whole batch: the
    /// devices' combined bandwidth over the bytes read per step (active
    /// weights + KV cache), assuming the model is split evenly across them
    /// (tensor parallelism) and ignoring communication.
    pub decode_tokens_per_s: f64,
}

impl FitReport {
    /// The formula behind "needed": [`InferenceMemory`]'s three terms and
    /// the runtime allowance of every device.
    pub fn formula(&self) -> Formula {
        let devices = self.overhead_bytes / RUNTIME_OVERHEAD_PER_DEVICE;
        Formula::new(
            "Needed",
            add(vec![
                var("W", "weights, every tensor in its format", self.weights_bytes as f64, Unit::Bytes),
                var(
                    "KV",
                    "KV cache: 2 × layers × KV heads × head dim × tokens × bytes",
                    self.kv_bytes as f64,
                    Unit::Bytes,
                ),
                var(
                    "A",
                    "working activations (an estimate: the widest layer's, and fp32 logits)",
                    self.activation_bytes as f64,
                    Unit::Bytes,
                ),
                mul(vec![
                    count("n", "devices", devices),
                    var(
                        "R",
                        "CUDA context and library workspaces per device",
                        RUNTIME_OVERHEAD_PER_DEVICE as f64,
                        Unit::Bytes,
                    ),
                ]),
            ]),
            Unit::Bytes,
            "KV: Shazeer 2019 (arXiv 1911.02150) §2; R: a CUDA context of 287 MB (PyTorch PR #86509) with cuBLAS \
             and NCCL buffers, ≈ 0.39 GiB in vLLM's profiler (vllm-project/vllm #11251), rounded to 512 MiB",
        )
    }
}

/// One change to the question that makes it fit, and the answer with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// What to change, in words ("Store the KV cache in FP8").
    pub change: String,
    /// The same change as `llmem fit` spells it (`--kv fp8`).
    pub flag: String,
    /// The answer with this change alone.
    pub report: FitReport,
}

/// Device counts offered when more devices would help: tensor parallelism
/// splits attention heads evenly, so engines take powers of two.
const MORE_DEVICES: [u64; 6] = [2, 4, 8, 16, 32, 64];

/// The changes that make a query that does not fit fit, one at a time, in
/// the order of what they give up: first the KV cache's precision (8-bit
/// floating-point KV loses little: vLLM docs, "Quantized KV Cache"; llama.cpp
/// `-ctk q8_0`), then concurrency, then context length, then the weights'
/// precision (the first smaller format that fits, so the least quantization),
/// then more devices of the same kind, then one larger device. Each answer
/// is [`will_it_fit`] with that change alone, so every figure is exact for
/// the changed question. Empty when the query already fits.
pub fn changes_to_fit(q: &FitQuery) -> Result<Vec<Change>> {
    let now = will_it_fit(q)?;
    if now.fits {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut offer = |change: String, flag: String, q2: FitQuery| -> Result<()> {
        let report = will_it_fit(&q2)?;
        if report.fits {
            out.push(Change { change, flag, report });
        }
        Ok(())
    };
    if q.kv.bits() > 8 {
        offer("Store the KV cache in FP8".into(), "--kv fp8".into(), FitQuery { kv: Dtype::Fp8, ..*q })?;
    }
    if q.batch > 1 && now.max_batch >= 1 {
        let b = now.max_batch;
        let what = if b == 1 {
            "Serve one sequence at a time".to_string()
        } else {
            format!("Serve at most {b} sequences at once")
        };
        offer(what, format!("--batch {b}"), FitQuery { batch: b, ..*q })?;
    }
    // A context cut to a few hundred tokens is no answer to a long-context question.
    if now.max_context >= q.context.min(1024) {
        let c = now.max_context;
        offer(
            format!("Shorten the context to {} tokens", crate::units::group_thousands(c)),
            format!("--context {c}"),
            FitQuery { context: c, ..*q },
        )?;
    }
    // The least quantization that fits: the largest smaller format whose
    // answer fits. (A scan, not a sort: a sort's code would weigh more in
    // the browser bundle than this whole function.)
    let weights_now = weights_of(q)?.0;
    let mut best: Option<(u64, WeightFormat)> = None;
    for f in WeightFormat::ALL {
        let Ok(w) = weights_footprint(q.arch, f) else { continue };
        if w.total_bytes < weights_now
            && best.is_none_or(|(b, _)| w.total_bytes > b)
            && will_it_fit(&FitQuery { weights: f, stored_weights: None, ..*q })?.fits
        {
            best = Some((w.total_bytes, f));
        }
    }
    if let Some((_, f)) = best {
        offer(
            format!("Weights in {}", f.label()),
            format!("--weights {}", f.id()),
            FitQuery { weights: f, stored_weights: None, ..*q },
        )?;
    }
    if !q.device.is_unified() && !q.device.is_cpu() {
        for n in MORE_DEVICES.into_iter().filter(|n| *n > q.device_count) {
            let q2 = FitQuery { device_count: n, ..*q };
            if will_it_fit(&q2)?.fits {
                offer(format!("Use {n} × {} (tensor parallel)", q.device.name), format!("--count {n}"), q2)?;
                break;
            }
        }
    }
    // The smallest larger device of the same kind (a GPU for a GPU, a Mac
    // for a Mac) that fits.
    let mut larger: Option<&'static Device> = None;
    for d in crate::hardware::DEVICES {
        let budget = d.gpu_budget_bytes();
        if d.is_unified() == q.device.is_unified()
            && budget > q.device.gpu_budget_bytes()
            && larger.is_none_or(|l| budget < l.gpu_budget_bytes())
            && will_it_fit(&FitQuery { device: d, ..*q })?.fits
        {
            larger = Some(d);
        }
    }
    if let Some(d) = larger {
        let what = if q.device_count == 1 {
            format!("Use one {} instead", d.name)
        } else {
            format!("Use {} × {} instead", q.device_count, d.name)
        };
        offer(what, format!("--device {}", d.id), FitQuery { device: d, ..*q })?;
    }
    Ok(out)
}

/// Largest device count we accept.
pub const MAX_DEVICES: u64 = 4_096;

fn total_at(q: &FitQuery, weights: u64, context: u64, batch: u64) -> Result<(u64, u64, u64)> {
    let kv = kv_cache(q.arch, q.kv, context, batch)?.total_bytes;
    let act = inference_activation_bytes(q.arch, context, batch)?;
    let overhead = RUNTIME_OVERHEAD_PER_DEVICE.mul_or(q.device_count, "overhead")?;
    let total = weights.add_or(kv, "total")?.add_or(act, "total")?.add_or(overhead, "total")?;
    Ok((kv, act, total))
}

/// Largest `x` in `1..=max` with `fits(x)`, for a monotone predicate; 0 if none.
fn largest(max: u64, fits: impl Fn(u64) -> Result<bool>) -> Result<u64> {
    if !fits(1)? {
        return Ok(0);
    }
    if fits(max)? {
        return Ok(max);
    }
    let (mut lo, mut hi) = (1u64, max);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Answers a fit query.
pub fn will_it_fit(q: &FitQuery) -> Result<FitReport> {
    if q.device_count == 0 || q.device_count > MAX_DEVICES {
        return Err(EstimateError::OutOfRange {
            what: "device count".into(),
            reason: format!("must be 1 to {MAX_DEVICES}"),
        });
    }
    let (weights_bytes, active_bytes) = weights_of(q)?;
    // Apple silicon: what Metal lets the GPU wire, not all of the RAM.
    let capacity = q.device.gpu_budget_bytes().mul_or(q.device_count, "capacity")?;
    let (kv_bytes, activation_bytes, total_bytes) = total_at(q, weights_bytes, q.context, q.batch)?;
    let fits_at = |c: u64, b: u64| -> Result<bool> { Ok(total_at(q, weights_bytes, c, b)?.2 <= capacity) };
    let max_context = largest(MAX_CONTEXT.min(q.arch.max_position_embeddings.max(1)), |c| fits_at(c, q.batch))?;
    let max_batch = largest(MAX_BATCH.min(1 << 20), |b| fits_at(q.context, b))?;
    let bandwidth = q.device.bandwidth * q.device_count as f64;
    let step_bytes = active_bytes.add_or(kv_bytes, "step bytes")?;
    Ok(FitReport {
        weights_bytes,
        kv_bytes,
        activation_bytes,
        overhead_bytes: RUNTIME_OVERHEAD_PER_DEVICE * q.device_count,
        total_bytes,
        capacity_bytes: capacity,
        fits: total_bytes <= capacity,
        margin_bytes: capacity as i128 - total_bytes as i128,
        max_context,
        max_batch,
        decode_tokens_per_s: decode_tokens_per_s_memory_bound(step_bytes, bandwidth, q.batch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    fn query<'a>(
        arch: &'a ModelArch,
        dev: &'a Device,
        weights: WeightFormat,
        context: u64,
        batch: u64,
    ) -> FitQuery<'a> {
        FitQuery { arch, weights, kv: Dtype::Bf16, context, batch, device: dev, device_count: 1, stored_weights: None }
    }

    #[test]
    fn llama8b_on_a_4090() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let d = device("rtx-4090").unwrap();
        let r = will_it_fit(&query(&m, d, WeightFormat::Float(Dtype::Bf16), 8192, 1)).unwrap();
        assert!(r.fits);
        assert_eq!(r.weights_bytes, 16_060_522_496);
        assert_eq!(r.kv_bytes, 1_073_741_824);
        assert_eq!(r.total_bytes, r.weights_bytes + r.kv_bytes + r.activation_bytes + r.overhead_bytes);
        // The largest context is where the next token would not fit.
        let over = will_it_fit(&query(&m, d, WeightFormat::Float(Dtype::Bf16), r.max_context + 1, 1)).unwrap();
        assert!(!over.fits);
        let at = will_it_fit(&query(&m, d, WeightFormat::Float(Dtype::Bf16), r.max_context, 1)).unwrap();
        assert!(at.fits);
        assert_eq!(r.margin_bytes, r.capacity_bytes as i128 - r.total_bytes as i128);
    }

    #[test]
    fn seventy_b_does_not_fit_one_h100_in_bf16() {
        let m = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let d = device("h100-sxm").unwrap();
        let r = will_it_fit(&query(&m, d, WeightFormat::Float(Dtype::Bf16), 8192, 1)).unwrap();
        assert!(!r.fits);
        assert!(r.margin_bytes < 0);
        assert_eq!((r.max_context, r.max_batch), (0, 0));
        let two = will_it_fit(&FitQuery { device_count: 2, ..query(&m, d, WeightFormat::Float(Dtype::Bf16), 8192, 1) })
            .unwrap();
        assert!(two.fits);
        assert!((two.decode_tokens_per_s - 2.0 * 3.35e12 / (141_107_412_992.0 + 2_684_354_560.0)).abs() < 1e-6);
    }

    #[test]
    fn activations_are_bounded_by_the_chunk() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let a = inference_activation_bytes(&m, 1_000_000, 1).unwrap();
        let b = inference_activation_bytes(&m, 2_048, 1).unwrap();
        assert_eq!(a, b);
        // 2048 × (2·4096 + 2·14336) × 2 + 128256 × 4.
        assert_eq!(b, 2048 * (8192 + 28_672) * 2 + 128_256 * 4);
    }

    #[test]
    fn bad_device_count() {
        let m = preset("gpt2").unwrap().arch().unwrap();
        let d = device("h100-sxm").unwrap();
        assert!(will_it_fit(&FitQuery { device_count: 0, ..query(&m, d, WeightFormat::Int8, 1, 1) }).is_err());
    }

    #[test]
    fn changes_that_make_it_fit() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let d = device("rtx-4090").unwrap();
        // 16 sequences of 32K: 68.7 GB of KV cache beside 16 GB of weights.
        let q = FitQuery { batch: 16, ..query(&m, d, WeightFormat::Float(Dtype::Bf16), 32_768, 1) };
        assert!(!will_it_fit(&q).unwrap().fits);
        let changes = changes_to_fit(&q).unwrap();
        let flags: Vec<&str> = changes.iter().map(|c| c.flag.split(' ').next().unwrap()).collect();
        assert_eq!(flags, ["--batch", "--context", "--count", "--device"], "{changes:#?}");
        let batch: u64 = changes[0].flag[8..].parse().unwrap();
        assert_eq!(batch, will_it_fit(&q).unwrap().max_batch);
        assert!(changes.iter().all(|c| c.report.fits));
        assert_eq!(changes[2].flag, "--count 4");
        assert_eq!(changes[3].flag, "--device h100-sxm");
        // Each answer is the changed question's.
        assert_eq!(changes[2].report, will_it_fit(&FitQuery { device_count: 4, ..q }).unwrap());
        // What already fits needs no change.
        assert!(changes_to_fit(&FitQuery { batch: 1, context: 8192, ..q }).unwrap().is_empty());
    }

    #[test]
    fn a_70b_on_one_consumer_card() {
        let m = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let q = query(&m, device("rtx-4090").unwrap(), WeightFormat::Float(Dtype::Bf16), 8192, 1);
        let changes = changes_to_fit(&q).unwrap();
        // No KV, batch or context change can make room for 141 GB of weights,
        // and no 4-bit format brings them under 24 GB.
        let flags: Vec<&str> = changes.iter().map(|c| c.flag.as_str()).collect();
        assert_eq!(flags, ["--count 8", "--device h200"], "{changes:#?}");
    }

    #[test]
    fn the_kv_cache_and_weights_come_first() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        // 96K tokens: 12.9 GB of KV cache beside 16 GB of weights, on 24 GB.
        let q = query(&m, device("rtx-4090").unwrap(), WeightFormat::Float(Dtype::Bf16), 98_304, 1);
        let changes = changes_to_fit(&q).unwrap();
        let flags: Vec<&str> = changes.iter().map(|c| c.flag.as_str()).collect();
        assert_eq!(flags, ["--kv fp8", "--context 68728", "--weights int8", "--count 2", "--device rtx-5090"]);
        assert!(changes.iter().all(|c| c.report.fits));
        assert_eq!(changes[1].change, "Shorten the context to 68,728 tokens");
        // The context offered is the largest that fits.
        assert!(!will_it_fit(&FitQuery { context: 68_729, ..q }).unwrap().fits);
    }

    #[test]
    fn a_mac_counts_what_metal_lets_the_gpu_use() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let mac = device("mac-16gb").unwrap();
        let r = will_it_fit(&query(&m, mac, WeightFormat::GgufQ8_0, 4096, 1)).unwrap();
        assert_eq!(r.capacity_bytes, mac.gpu_budget_bytes());
        assert!(r.capacity_bytes < mac.capacity_bytes);
    }
}

//! KV cache size: exact bytes for MHA, GQA, MQA and MLA, with per-layer
//! sliding windows.
//!
//! Per token and layer, standard attention caches one key and one value
//! vector per KV head: `2 × n_kv_heads × d_head` elements (Shazeer 2019,
//! "Fast Transformer Decoding", arXiv 1911.02150, §2 — MQA shares one head;
//! Ainslie et al. 2023, "GQA", arXiv 2305.13245, §2 — G groups share G heads).
//! Multi-head latent attention caches the compressed latent and the decoupled
//! RoPE key: `(d_c + d_h^R)` elements per token and layer (DeepSeek-AI 2024,
//! "DeepSeek-V2", arXiv 2405.04434, §2.1.3 and Table 1). A sliding-window
//! layer keeps at most `W` tokens (Jiang et al. 2023, "Mistral 7B",
//! arXiv 2310.06825, §2 "Rolling Buffer Cache"; Gemma Team 2024, "Gemma 2",
//! arXiv 2408.00118, §2 — local layers with a 4096-token window alternate
//! with global layers).

use crate::arch::{AttentionSpan, KvLayout, ModelArch};
use crate::error::{ceil_div, product, Checked, EstimateError, Result};
use crate::formula::{add, count, div, min, mul, num, var, Expr, Formula, Unit};
use crate::precision::Dtype;
use crate::ssm::recurrent_state;
use serde::Serialize;

/// Largest context we compute for (2^40 tokens); beyond it is an input error.
pub const MAX_CONTEXT: u64 = 1 << 40;
/// Largest batch we compute for.
pub const MAX_BATCH: u64 = 1 << 24;

/// The KV cache of a model at a context length and batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvCache {
    /// Bytes per token across all attention layers, before any window cap.
    pub bytes_per_token: u64,
    /// Total bytes at `context × batch`, window caps applied, recurrent state included.
    pub total_bytes: u64,
    /// Tokens actually held per sequence, summed over attention layers (for a readout of the window effect).
    pub cached_token_layers: u64,
    /// Attention layers whose cache is capped by a sliding window or chunk at this context.
    pub capped_layers: u64,
    /// The constant state of the recurrent layers for one sequence (conv +
    /// SSM state, see [`crate::ssm`]); 0 for a transformer.
    pub state_bytes_per_sequence: u64,
    /// `state_bytes_per_sequence × batch`, included in `total_bytes`.
    pub state_bytes: u64,
    pub context: u64,
    pub batch: u64,
    pub dtype: Dtype,
}

/// Bytes of `elements` values of `dtype`, rounded up to whole bytes.
pub(crate) fn bytes_of(elements: u64, dtype: Dtype) -> Result<u64> {
    Ok(ceil_div(elements.mul_or(dtype.bits(), "bits")?, 8))
}

/// Checks a context and batch against the supported ranges.
pub fn check_workload(context: u64, batch: u64) -> Result<()> {
    if context > MAX_CONTEXT {
        return Err(EstimateError::OutOfRange {
            what: "context".into(),
            reason: format!("{context} tokens is more than the supported 2^40"),
        });
    }
    if batch > MAX_BATCH {
        return Err(EstimateError::OutOfRange {
            what: "batch".into(),
            reason: format!("{batch} is more than the supported {MAX_BATCH}"),
        });
    }
    Ok(())
}

/// KV bytes per token across `num_layers` attention layers for a layout, before window caps.
pub fn bytes_per_token(num_layers: u64, layout: KvLayout, dtype: Dtype) -> Result<u64> {
    let per_layer = layout.elements_per_token_per_layer()?;
    bytes_of(per_layer.mul_or(num_layers, "KV elements per token")?, dtype)
}

/// The model's KV cache at `context` tokens for `batch` sequences.
pub fn kv_cache(arch: &ModelArch, dtype: Dtype, context: u64, batch: u64) -> Result<KvCache> {
    kv_cache_with_layout(arch, arch.kv_layout(), dtype, context, batch)
}

/// As [`kv_cache`], with the attention layout replaced (to ask "what if this
/// model used MQA?"); layer kinds and windows stay the model's own.
///
/// Each attention layer holds the tokens its span needs
/// ([`crate::arch::AttentionSpan::cached_tokens`]): all of them for full
/// attention, at most W for a sliding window of W, at most C for chunked
/// attention with chunks of C (an engine keeps room for the whole chunk).
/// Recurrent layers hold a constant state per sequence instead
/// ([`crate::ssm::recurrent_state`]).
pub fn kv_cache_with_layout(
    arch: &ModelArch,
    layout: KvLayout,
    dtype: Dtype,
    context: u64,
    batch: u64,
) -> Result<KvCache> {
    check_workload(context, batch)?;
    let per_layer = layout.elements_per_token_per_layer()?;
    let mut cached_token_layers = 0u64;
    let mut capped_layers = 0u64;
    for span in arch.layers.iter().filter_map(|l| l.attention) {
        let tokens = span.cached_tokens(context);
        if tokens < context {
            capped_layers += 1;
        }
        cached_token_layers = cached_token_layers.add_or(tokens, "cached tokens")?;
    }
    let elements = product(&[cached_token_layers, per_layer, batch], "KV cache size")?;
    let state = recurrent_state(arch, dtype)?.total_bytes;
    let state_bytes = state.mul_or(batch, "recurrent state")?;
    Ok(KvCache {
        bytes_per_token: bytes_per_token(arch.attention_layer_count(), layout, dtype)?,
        total_bytes: bytes_of(elements, dtype)?.add_or(state_bytes, "KV cache size")?,
        cached_token_layers,
        capped_layers,
        state_bytes_per_sequence: state,
        state_bytes,
        context,
        batch,
        dtype,
    })
}

/// The formula behind [`kv_cache_with_layout`]'s total, for a figure's
/// "Show the formula" panel: tokens held summed over the attention layers
/// (grouped by span: full, sliding window W, chunk C), times the values
/// cached per token and layer, the batch and the bytes per value, plus the
/// recurrent layers' constant state per sequence. `cache` is what
/// [`kv_cache_with_layout`] gave for `arch` and `layout`. Sources as for
/// [`kv_cache_with_layout`] (module docs).
pub fn formula(arch: &ModelArch, layout: KvLayout, cache: &KvCache) -> Formula {
    let (dtype, context, batch) = (cache.dtype, cache.context, cache.batch);
    let (mut full, mut bounded) = (0u64, Vec::<(AttentionSpan, u64)>::new());
    for span in arch.layers.iter().filter_map(|l| l.attention) {
        match span {
            AttentionSpan::Full => full += 1,
            s => match bounded.iter_mut().find(|(b, _)| *b == s) {
                Some((_, n)) => *n += 1,
                None => bounded.push((s, 1)),
            },
        }
    }
    let s = || count("s", "tokens per sequence", context);
    let width: Vec<Expr> = match layout {
        KvLayout::Heads { kv_heads, k_head_dim, v_head_dim } if k_head_dim == v_head_dim => vec![
            num(2.0),
            count("H_kv", "KV heads per layer (a key and a value each)", kv_heads),
            count("d_h", "head dimension", k_head_dim),
        ],
        KvLayout::Heads { kv_heads, k_head_dim, v_head_dim } => vec![
            count("H_kv", "KV heads per layer", kv_heads),
            add(vec![count("d_k", "key head dimension", k_head_dim), count("d_v", "value head dimension", v_head_dim)]),
        ],
        KvLayout::Latent { latent_dim, rope_dim } => vec![add(vec![
            count("d_c", "MLA latent width (shared by all heads)", latent_dim),
            count("d_R", "decoupled RoPE key width", rope_dim),
        ])],
    };
    let tail = [
        count("b", "sequences in the batch", batch),
        var("β", "bytes per cached value", dtype.bits() as f64 / 8.0, Unit::Number),
    ];
    let mut factors = Vec::new();
    if bounded.is_empty() {
        // 2 × L × H_kv × d_h × s, as the papers write it.
        let mut width = width.into_iter();
        factors.extend(width.next());
        factors.push(count("L", "attention layers", full));
        factors.extend(width);
        factors.push(s());
    } else {
        let mut groups = Vec::new();
        if full > 0 {
            groups.push(mul(vec![count("L_full", "full-attention layers", full), s()]));
        }
        const WINDOW: [(&str, &str); 3] = [("L_win", "W"), ("L_win2", "W2"), ("L_win3", "W3")];
        const CHUNK: [(&str, &str); 3] = [("L_chunk", "C"), ("L_chunk2", "C2"), ("L_chunk3", "C3")];
        let (mut windows, mut chunks) = (0usize, 0usize);
        for (span, n) in &bounded {
            let (l, w) = match span {
                AttentionSpan::Chunked(c) => {
                    let (ls, cs) = CHUNK[chunks.min(2)];
                    chunks += 1;
                    (count(ls, "chunked-attention layers", *n), count(cs, "chunk (tokens)", *c))
                }
                _ => {
                    let (ls, ws) = WINDOW[windows.min(2)];
                    windows += 1;
                    (count(ls, "sliding-window layers", *n), count(ws, "window (tokens)", span.bound().unwrap_or(0)))
                }
            };
            groups.push(mul(vec![l, min(s(), w)]));
        }
        factors.push(add(groups));
        factors.extend(width);
    }
    factors.extend(tail);
    let mut expr = mul(factors);
    let state = cache.state_bytes_per_sequence;
    if state > 0 {
        expr = add(vec![
            expr,
            mul(vec![
                var("S", "recurrent layers' state per sequence", state as f64, Unit::Bytes),
                count("b", "sequences in the batch", batch),
            ]),
        ]);
    }
    Formula::new(
        "KV cache",
        expr,
        Unit::Bytes,
        "Shazeer 2019 (arXiv 1911.02150) §2; Ainslie et al. 2023, GQA (arXiv 2305.13245) §2; DeepSeek-V2 (arXiv 2405.04434) §2.1.3; Jiang et al. 2023, Mistral 7B (arXiv 2310.06825) §2",
    )
}

/// The formula behind "the largest cache is N× the smallest" when designs
/// are compared at one length: the two caches as [`kv_cache`] gives them.
pub fn ratio_formula(largest: u64, smallest: u64) -> Formula {
    Formula::new(
        "Ratio",
        div(
            var("KV_max", "the largest cache at this length", largest as f64, Unit::Bytes),
            var("KV_min", "the smallest cache at this length", smallest as f64, Unit::Bytes),
        ),
        Unit::Times(0),
        "Each cache as the KV cache figure computes it: Shazeer 2019 (arXiv 1911.02150) §2; DeepSeek-V2 (arXiv 2405.04434) §2.1.3; Gu & Dao 2023 (arXiv 2312.00752) §3",
    )
}

/// Bytes one more token adds to one sequence's cache at `context` tokens:
/// a key and a value in every layer still growing (full attention, or a
/// window or chunk not yet full); nothing in recurrent layers.
pub fn growth(arch: &ModelArch, dtype: Dtype, context: u64) -> Result<u64> {
    let next = context.checked_add(1).ok_or_else(|| EstimateError::Overflow { what: "context".into() })?;
    let after = kv_cache(arch, dtype, next, 1)?.total_bytes;
    Ok(after - kv_cache(arch, dtype, context, 1)?.total_bytes)
}

/// The four attention layouts the KV widget compares, derived from a model's
/// head geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttentionVariant {
    /// One KV head per query head.
    Mha,
    /// The model's own grouped KV heads (or 8 groups if the model has none).
    Gqa,
    /// A single KV head.
    Mqa,
    /// A latent of `4 × d_head` plus a RoPE key of `d_head / 2`: DeepSeek-V2's
    /// choice (d_c = 4 d_h = 512, d_h^R = d_h / 2 = 64; §2.1.3, "equivalent to
    /// GQA with only 2.25 groups").
    Mla,
}

impl AttentionVariant {
    pub const ALL: [AttentionVariant; 4] = [Self::Mha, Self::Gqa, Self::Mqa, Self::Mla];

    pub fn id(self) -> &'static str {
        match self {
            Self::Mha => "mha",
            Self::Gqa => "gqa",
            Self::Mqa => "mqa",
            Self::Mla => "mla",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Mha => "MHA",
            Self::Gqa => "GQA",
            Self::Mqa => "MQA",
            Self::Mla => "MLA",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id().eq_ignore_ascii_case(s))
    }

    /// The KV layout this variant gives a model with the same heads.
    pub fn layout_for(self, arch: &ModelArch) -> KvLayout {
        let own = arch.kv_layout();
        let (heads, head_dim) = match &arch.attention {
            Some(crate::arch::Attention::Standard(a)) => (a.num_heads, a.head_dim),
            Some(crate::arch::Attention::Latent(m)) => (m.num_heads, m.v_head_dim),
            None => (0, 0),
        };
        match self {
            Self::Mha => KvLayout::Heads { kv_heads: heads, k_head_dim: head_dim, v_head_dim: head_dim },
            Self::Gqa => match own {
                KvLayout::Heads { kv_heads, .. } if kv_heads > 1 && kv_heads < heads => own,
                _ => KvLayout::Heads {
                    kv_heads: if heads % 8 == 0 { 8.min(heads) } else { 1 },
                    k_head_dim: head_dim,
                    v_head_dim: head_dim,
                },
            },
            Self::Mqa => KvLayout::Heads { kv_heads: 1, k_head_dim: head_dim, v_head_dim: head_dim },
            Self::Mla => match own {
                KvLayout::Latent { .. } => own,
                _ => KvLayout::Latent { latent_dim: 4 * head_dim, rope_dim: head_dim / 2 },
            },
        }
    }

    /// Which variant a model's own attention is.
    pub fn of(arch: &ModelArch) -> Self {
        match arch.kv_layout() {
            KvLayout::Latent { .. } => Self::Mla,
            KvLayout::Heads { kv_heads: 0 | 1, .. } => Self::Mqa,
            KvLayout::Heads { kv_heads, .. } if kv_heads == arch.num_heads() => Self::Mha,
            KvLayout::Heads { .. } => Self::Gqa,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama 3.1 8B grows by 131,072 B per token at any length; Gemma 3 27B
    /// by its 62 layers × 8,192 B until the 1,024-token windows fill, then
    /// by its 10 global layers only.
    #[test]
    fn growth_per_token() {
        let llama = crate::presets::preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(growth(&llama, Dtype::Bf16, 0).unwrap(), 131_072);
        assert_eq!(growth(&llama, Dtype::Bf16, 100_000).unwrap(), 131_072);
        let gemma = crate::presets::preset("gemma-3-27b").unwrap().arch().unwrap();
        assert_eq!(growth(&gemma, Dtype::Bf16, 1000).unwrap(), 62 * 8192);
        assert_eq!(growth(&gemma, Dtype::Bf16, 4096).unwrap(), 10 * 8192);
        assert!(growth(&llama, Dtype::Bf16, u64::MAX).is_err());
    }
    use crate::presets::preset;

    /// Llama-3-8B: 32 layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes
    /// = 131,072 bytes per token (128 KiB), hand-computed.
    #[test]
    fn llama3_8b_per_token() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let kv = kv_cache(&m, Dtype::Bf16, 8192, 1).unwrap();
        assert_eq!(kv.bytes_per_token, 131_072);
        assert_eq!(kv.total_bytes, 131_072 * 8192);
        let fp8 = kv_cache(&m, Dtype::Fp8, 8192, 4).unwrap();
        assert_eq!(fp8.total_bytes, 65_536 * 8192 * 4);
    }

    /// The articles' 7B-class MHA model: 2 × 32 × 32 × 128 × 2 = 524,288 B/token,
    /// so 4K tokens = 2 GiB exactly.
    #[test]
    fn seven_b_class_mha() {
        let m = preset("llama-2-7b").unwrap().arch().unwrap();
        let kv = kv_cache(&m, Dtype::Fp16, 4096, 1).unwrap();
        assert_eq!(kv.bytes_per_token, 524_288);
        assert_eq!(kv.total_bytes, 2 * crate::units::GIB);
        let mqa = kv_cache_with_layout(&m, AttentionVariant::Mqa.layout_for(&m), Dtype::Fp16, 4096, 1).unwrap();
        assert_eq!(mqa.total_bytes * 32, kv.total_bytes);
    }

    /// DeepSeek-V3: 61 layers × (512 + 64) × 2 bytes = 70,272 B/token.
    #[test]
    fn deepseek_v3_mla() {
        let m = preset("deepseek-v3").unwrap().arch().unwrap();
        let kv = kv_cache(&m, Dtype::Bf16, 1000, 1).unwrap();
        assert_eq!(kv.bytes_per_token, 61 * 576 * 2);
        assert_eq!(kv.total_bytes, 70_272 * 1000);
    }

    /// Mistral 7B v0.1 caps every layer at its 4096-token window.
    #[test]
    fn mistral_window_caps_all_layers() {
        let m = preset("mistral-7b-v0.1").unwrap().arch().unwrap();
        let short = kv_cache(&m, Dtype::Bf16, 4096, 1).unwrap();
        let long = kv_cache(&m, Dtype::Bf16, 32_768, 1).unwrap();
        assert_eq!(short.total_bytes, long.total_bytes);
        assert_eq!(long.capped_layers, 32);
        assert_eq!(long.bytes_per_token, 131_072);
    }

    /// Gemma 2 9B: 21 local layers capped at 4096, 21 global layers full.
    /// Per layer-token: 8 KV heads × 256 × 2 × 2 B = 8192 B.
    #[test]
    fn gemma2_alternating_layers() {
        let m = preset("gemma-2-9b").unwrap().arch().unwrap();
        let kv = kv_cache(&m, Dtype::Bf16, 8192, 1).unwrap();
        assert_eq!(kv.capped_layers, 21);
        assert_eq!(kv.total_bytes, (21 * 8192 + 21 * 4096) * 8192);
        assert_eq!(kv.bytes_per_token, 42 * 8192);
    }

    #[test]
    fn int4_rounds_up_to_bytes() {
        let m = preset("gpt2").unwrap().arch().unwrap();
        let kv = kv_cache(&m, Dtype::Int4, 1, 1).unwrap();
        // 12 layers × 12 heads × 64 × 2 = 18,432 elements × 4 bits = 9,216 bytes.
        assert_eq!(kv.total_bytes, 9_216);
    }

    #[test]
    fn out_of_range_is_an_error() {
        let m = preset("gpt2").unwrap().arch().unwrap();
        assert!(kv_cache(&m, Dtype::Bf16, u64::MAX, 1).is_err());
        assert!(kv_cache(&m, Dtype::Bf16, 1, u64::MAX).is_err());
    }

    #[test]
    fn variants_of_a_gqa_model() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(AttentionVariant::of(&m), AttentionVariant::Gqa);
        let per = |v: AttentionVariant| bytes_per_token(32, v.layout_for(&m), Dtype::Bf16).unwrap();
        assert_eq!(per(AttentionVariant::Mha), 524_288);
        assert_eq!(per(AttentionVariant::Gqa), 131_072);
        assert_eq!(per(AttentionVariant::Mqa), 16_384);
        // (512 + 64) × 32 × 2 = 36,864: 2.25 groups' worth, as DeepSeek-V2 says.
        assert_eq!(per(AttentionVariant::Mla), 36_864);
        assert_eq!(per(AttentionVariant::Mla) * 4, per(AttentionVariant::Mqa) * 9);
    }
}

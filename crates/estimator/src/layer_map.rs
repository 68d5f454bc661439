//! What each layer of a model keeps for one sequence at a given length:
//! the map behind the KV cache article's hybrid-model figure.
//!
//! A layer keeps, per sequence:
//! - full attention: every earlier token's key and value;
//! - a sliding window of `W`: the last `W` tokens (Beltagy et al. 2020,
//!   "Longformer", arXiv 2004.05150, §3.1; Mistral 7B's rolling buffer,
//!   arXiv 2310.06825 §2; Gemma 3's local layers, arXiv 2503.19786 §2.1,
//!   5 local layers of 1,024 tokens to 1 global; gpt-oss's 128-token bands,
//!   arXiv 2508.10925 §2.1);
//! - chunked attention with chunks of `C`: the current chunk, room for `C`
//!   tokens (Llama 4's `attention_chunk_size`, transformers'
//!   `Llama4TextConfig`; the cache an engine keeps, see
//!   [`crate::arch::AttentionSpan::cached_tokens`]);
//! - a recurrent mixer (Mamba, Mamba-2, Gated DeltaNet): a fixed state,
//!   whatever the length ([`crate::ssm::recurrent_state`]; Gu & Dao 2023,
//!   "Mamba", arXiv 2312.00752, §3; Yang et al. 2024, "Gated Delta
//!   Networks", arXiv 2412.06464).
//!
//! The per-layer figures add up to [`crate::kv_cache::kv_cache`] for one
//! sequence, to the byte (tested).

use crate::arch::{AttentionSpan, ModelArch};
use crate::error::{Checked, Result};
use crate::kv_cache::{bytes_of, check_workload};
use crate::precision::Dtype;
use serde::Serialize;

/// What a layer keeps from one token to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "span")]
pub enum LayerKeep {
    /// Full attention: grows with every token.
    Full,
    /// A sliding window of this many tokens.
    Sliding(u64),
    /// Chunked attention with chunks of this many tokens.
    Chunked(u64),
    /// A recurrent mixer's fixed state.
    Recurrent,
    /// Neither attention nor a recurrent mixer (an MLP-only block).
    Nothing,
}

impl LayerKeep {
    /// A short name for tables and legends.
    pub fn label(self) -> &'static str {
        match self {
            LayerKeep::Full => "full attention",
            LayerKeep::Sliding(_) => "sliding window",
            LayerKeep::Chunked(_) => "chunked attention",
            LayerKeep::Recurrent => "recurrent state",
            LayerKeep::Nothing => "no cache",
        }
    }

    /// One letter, so the map does not rely on colour alone.
    pub fn letter(self) -> &'static str {
        match self {
            LayerKeep::Full => "F",
            LayerKeep::Sliding(_) => "S",
            LayerKeep::Chunked(_) => "C",
            LayerKeep::Recurrent => "R",
            LayerKeep::Nothing => "·",
        }
    }

    /// The window or chunk size, if any.
    pub fn span(self) -> Option<u64> {
        match self {
            LayerKeep::Sliding(w) | LayerKeep::Chunked(w) => Some(w),
            _ => None,
        }
    }
}

/// One layer's cache for one sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerCache {
    pub keep: LayerKeep,
    /// Tokens whose key and value the layer holds (0 for a recurrent layer).
    pub tokens: u64,
    pub bytes: u64,
}

/// Layers of one kind, in the order they first appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerGroup {
    pub keep: LayerKeep,
    pub layers: u64,
    /// Tokens each layer of the group holds.
    pub tokens: u64,
    pub bytes_per_layer: u64,
    pub bytes: u64,
}

/// Every layer's cache at one length, one sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerMap {
    pub context: u64,
    pub dtype: Dtype,
    pub layers: Vec<LayerCache>,
    pub groups: Vec<LayerGroup>,
    /// The sum of every layer's bytes.
    pub total_bytes: u64,
    /// What the attention layers would hold if every one were full attention
    /// (recurrent layers unchanged): the yardstick for what windows save.
    pub all_full_bytes: u64,
}

/// The cache of every layer of `arch` at `context` tokens, one sequence,
/// in `dtype`.
pub fn layer_map(arch: &ModelArch, dtype: Dtype, context: u64) -> Result<LayerMap> {
    check_workload(context, 1)?;
    let per_token = arch.kv_layout().elements_per_token_per_layer()?;
    let state = match &arch.recurrent {
        Some(r) => {
            let e = r.state_elements()?;
            bytes_of(e.conv, dtype)?.add_or(bytes_of(e.ssm, dtype)?, "recurrent state")?
        }
        None => 0,
    };
    let full_layer = bytes_of(per_token.mul_or(context, "KV elements")?, dtype)?;
    let mut layers = Vec::with_capacity(arch.layers.len());
    let (mut total, mut all_full) = (0u64, 0u64);
    for l in &arch.layers {
        let (keep, tokens, bytes) = match l.attention {
            Some(span) => {
                let keep = match span {
                    AttentionSpan::Full => LayerKeep::Full,
                    AttentionSpan::Sliding(w) => LayerKeep::Sliding(w),
                    AttentionSpan::Chunked(c) => LayerKeep::Chunked(c),
                };
                let tokens = span.cached_tokens(context);
                all_full = all_full.add_or(full_layer, "KV cache size")?;
                (keep, tokens, bytes_of(per_token.mul_or(tokens, "KV elements")?, dtype)?)
            }
            None if l.recurrent => {
                all_full = all_full.add_or(state, "KV cache size")?;
                (LayerKeep::Recurrent, 0, state)
            }
            None => (LayerKeep::Nothing, 0, 0),
        };
        total = total.add_or(bytes, "KV cache size")?;
        layers.push(LayerCache { keep, tokens, bytes });
    }
    let mut groups: Vec<LayerGroup> = Vec::new();
    for l in &layers {
        match groups.iter_mut().find(|g| g.keep == l.keep) {
            Some(g) => {
                g.layers += 1;
                g.bytes += l.bytes;
            }
            None => groups.push(LayerGroup {
                keep: l.keep,
                layers: 1,
                tokens: l.tokens,
                bytes_per_layer: l.bytes,
                bytes: l.bytes,
            }),
        }
    }
    Ok(LayerMap { context, dtype, layers, groups, total_bytes: total, all_full_bytes: all_full })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv_cache::kv_cache;
    use crate::presets::{preset, PRESETS};

    /// The map adds up to the KV cache the rest of the site reports, for
    /// every preset, at lengths below, at and above every window.
    #[test]
    fn adds_up_to_the_kv_cache() {
        for p in PRESETS {
            let m = p.arch().unwrap();
            for n in [1, 127, 128, 129, 1024, 4096, 8192, 32_768, 1 << 20] {
                for d in [Dtype::Bf16, Dtype::Fp8, Dtype::Int4] {
                    let map = layer_map(&m, d, n).unwrap();
                    assert_eq!(map.total_bytes, kv_cache(&m, d, n, 1).unwrap().total_bytes, "{} at {n}", p.id);
                    assert_eq!(map.layers.len() as u64, m.num_layers);
                    assert_eq!(map.groups.iter().map(|g| g.bytes).sum::<u64>(), map.total_bytes);
                    assert!(map.total_bytes <= map.all_full_bytes);
                }
            }
        }
    }

    /// Gemma 3 27B: 62 layers, 5 local (1,024 tokens) to 1 global; at 32K
    /// the 52 local layers hold 1,024 tokens each, the 10 global ones all
    /// 32,768. 16 KV heads × 128 × 2 (K and V) × 2 bytes = 8,192 B per token
    /// and layer.
    #[test]
    fn gemma_3_five_to_one() {
        let m = preset("gemma-3-27b").unwrap().arch().unwrap();
        let map = layer_map(&m, Dtype::Bf16, 32_768).unwrap();
        let local = map.groups.iter().find(|g| g.keep == LayerKeep::Sliding(1024)).unwrap();
        let global = map.groups.iter().find(|g| g.keep == LayerKeep::Full).unwrap();
        assert_eq!((local.layers, global.layers), (52, 10));
        assert_eq!(local.bytes_per_layer, 1024 * 8192);
        assert_eq!(global.bytes_per_layer, 32_768 * 8192);
        assert_eq!(map.all_full_bytes, 62 * 32_768 * 8192);
        // Every sixth layer is global, the first five local.
        assert_eq!(map.layers[5].keep, LayerKeep::Full);
        assert_eq!(map.layers[0].keep, LayerKeep::Sliding(1024));
    }

    /// A hybrid keeps a fixed state in its recurrent layers.
    #[test]
    fn hybrid_state_is_constant() {
        let m = preset("nemotron-h-8b").unwrap().arch().unwrap();
        let short = layer_map(&m, Dtype::Bf16, 1024).unwrap();
        let long = layer_map(&m, Dtype::Bf16, 131_072).unwrap();
        let r = |map: &LayerMap| map.groups.iter().find(|g| g.keep == LayerKeep::Recurrent).unwrap().bytes;
        assert!(r(&short) > 0);
        assert_eq!(r(&short), r(&long));
        assert!(long.groups.iter().any(|g| g.keep == LayerKeep::Nothing), "Nemotron-H has MLP-only blocks");
    }

    #[test]
    fn out_of_range_is_an_error() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert!(layer_map(&m, Dtype::Bf16, u64::MAX).is_err());
    }
}

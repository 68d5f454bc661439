//! State-space models: Mamba's constant per-sequence state against a
//! transformer's growing KV cache.
//!
//! A Mamba layer (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with
//! Selective State Spaces", arXiv 2312.00752, §3) carries, per sequence, a
//! convolution state of the last `d_conv` inputs to its causal conv1d
//! (d_inner × d_conv) and the selective-scan state h (d_inner × d_state),
//! whatever the sequence length. Hugging Face transformers' `MambaCache`
//! (`models/mamba/modeling_mamba.py`) allocates exactly `conv_states
//! [batch, d_inner, conv_kernel]` and `ssm_states [batch, d_inner,
//! state_size]` per layer in the model's dtype; mamba_ssm's
//! `allocate_inference_cache` does the same with the weight dtype.

use crate::arch::ModelArch;
use crate::error::{product, Checked, EstimateError, Result};
use crate::kv_cache::{bytes_of, kv_cache, MAX_CONTEXT};
use crate::precision::Dtype;
use serde::Serialize;
use serde_json::Value;

/// A Mamba (v1) configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MambaArch {
    pub hidden_size: u64,
    pub num_layers: u64,
    pub vocab_size: u64,
    /// d_state (`state_size`).
    pub state_size: u64,
    /// d_conv (`conv_kernel`).
    pub conv_kernel: u64,
    /// d_inner = expand × hidden (MambaConfig recomputes it this way).
    pub intermediate_size: u64,
    /// Rank of the Δ projection (`time_step_rank`, "auto" = ⌈hidden / 16⌉).
    pub time_step_rank: u64,
    pub use_bias: bool,
    pub use_conv_bias: bool,
    pub tie_word_embeddings: bool,
}

impl MambaArch {
    /// Parses a `model_type: "mamba"` config.json.
    pub fn parse(text: &str) -> Result<MambaArch> {
        if text.len() > crate::config::MAX_CONFIG_BYTES {
            return Err(EstimateError::MalformedConfig { reason: "config is too large".into() });
        }
        let v: Value =
            serde_json::from_str(text).map_err(|e| EstimateError::MalformedConfig { reason: e.to_string() })?;
        Self::from_value(&v)
    }

    /// Reads an already-decoded `model_type: "mamba"` config.
    pub fn from_value(v: &Value) -> Result<MambaArch> {
        let get = |field: &str| -> Result<u64> {
            v.get(field).and_then(Value::as_u64).filter(|&n| n > 0 && n <= 1 << 24).ok_or_else(|| {
                EstimateError::InvalidField {
                    field: field.into(),
                    reason: "expected a positive integer up to 2^24".into(),
                }
            })
        };
        if v.get("model_type").and_then(Value::as_str) != Some("mamba") {
            return Err(EstimateError::InvalidField {
                field: "model_type".into(),
                reason: "expected \"mamba\"".into(),
            });
        }
        let hidden = get("hidden_size")?;
        let expand = v.get("expand").and_then(Value::as_u64).unwrap_or(2);
        let rank = match v.get("time_step_rank") {
            Some(Value::String(s)) if s == "auto" => hidden.div_ceil(16),
            None | Some(Value::Null) => hidden.div_ceil(16),
            Some(_) => get("time_step_rank")?,
        };
        let flag = |f: &str, d: bool| v.get(f).and_then(Value::as_bool).unwrap_or(d);
        Ok(MambaArch {
            hidden_size: hidden,
            num_layers: get("num_hidden_layers")?.min(crate::arch::MAX_LAYERS),
            vocab_size: get("vocab_size")?,
            state_size: get("state_size")?,
            conv_kernel: get("conv_kernel")?,
            intermediate_size: hidden.mul_or(expand.clamp(1, 64), "intermediate size")?,
            time_step_rank: rank,
            use_bias: flag("use_bias", false),
            use_conv_bias: flag("use_conv_bias", true),
            tie_word_embeddings: flag("tie_word_embeddings", true),
        })
    }

    /// Per-sequence state bytes across all layers (conv + SSM state).
    pub fn state_bytes(&self, dtype: Dtype, batch: u64) -> Result<MambaState> {
        let conv = product(&[self.num_layers, self.intermediate_size, self.conv_kernel, batch], "conv state")?;
        let ssm = product(&[self.num_layers, self.intermediate_size, self.state_size, batch], "SSM state")?;
        let conv_bytes = bytes_of(conv, dtype)?;
        let ssm_bytes = bytes_of(ssm, dtype)?;
        Ok(MambaState { conv_bytes, ssm_bytes, total_bytes: conv_bytes.add_or(ssm_bytes, "state")? })
    }

    /// Parameters `MambaForCausalLM` instantiates: per layer in_proj (d → 2
    /// d_inner), conv1d (d_inner × d_conv + bias), x_proj (d_inner → r + 2N),
    /// dt_proj (r → d_inner, always biased), A_log (d_inner × N), D
    /// (d_inner), out_proj (d_inner → d), RMSNorm (d); plus embeddings,
    /// the final norm and a tied LM head.
    pub fn params(&self) -> Result<u64> {
        let (d, di, n, k, r) =
            (self.hidden_size, self.intermediate_size, self.state_size, self.conv_kernel, self.time_step_rank);
        let mut layer = product(&[2, d, di], "Mamba params")?;
        if self.use_bias {
            layer += 2 * di + d;
        }
        layer += di * k + if self.use_conv_bias { di } else { 0 };
        layer += di * (r + 2 * n);
        layer += r * di + di;
        layer += di * n + di;
        layer += di * d;
        layer += d;
        let mut total = layer.mul_or(self.num_layers, "Mamba params")?;
        total = total.add_or(self.vocab_size.mul_or(d, "embedding")?, "Mamba params")? + d;
        if !self.tie_word_embeddings {
            total = total.add_or(self.vocab_size * d, "LM head")?;
        }
        Ok(total)
    }
}

/// Mamba's recurrent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MambaState {
    pub conv_bytes: u64,
    pub ssm_bytes: u64,
    pub total_bytes: u64,
}

/// A built-in Mamba model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MambaPreset {
    pub id: &'static str,
    pub name: &'static str,
    pub expected_params: u64,
}

impl MambaPreset {
    /// Reads the preset's config (compiled in; see `presets.rs`).
    pub fn arch(&self) -> Result<MambaArch> {
        MambaArch::from_value(&crate::presets::preset_value(self.id))
    }

    /// The config.json text, verbatim.
    pub fn config_json(&self) -> &'static str {
        crate::presets::preset_json(self.id).unwrap_or("{}")
    }
}

macro_rules! mamba {
    ($id:literal, $name:literal, $params:expr) => {
        MambaPreset { id: $id, name: $name, expected_params: $params }
    };
}

/// state-spaces/mamba-*-hf (all: d_state 16, d_conv 4, expand 2, vocab 50280, fp32).
pub const MAMBA_PRESETS: &[MambaPreset] = &[
    mamba!("mamba-130m", "Mamba 130M", 129_135_360),
    mamba!("mamba-370m", "Mamba 370M", 371_516_416),
    mamba!("mamba-790m", "Mamba 790M", 793_204_224),
    mamba!("mamba-1.4b", "Mamba 1.4B", 1_372_178_432),
    mamba!("mamba-2.8b", "Mamba 2.8B", 2_768_345_600),
];

/// The Mamba preset with this id.
pub fn mamba_preset(id: &str) -> Result<&'static MambaPreset> {
    MAMBA_PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(id)).ok_or_else(|| EstimateError::UnknownName {
        kind: "Mamba preset",
        name: id.chars().take(64).collect(),
        known: MAMBA_PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", "),
    })
}

/// The shortest context at which `transformer`'s KV cache exceeds `state_bytes`
/// (batch and dtype as given), or `None` if it never does up to 2^40 tokens
/// (a model whose every layer slides can stay below a large state).
pub fn crossover_context(transformer: &ModelArch, kv: Dtype, batch: u64, state_bytes: u64) -> Result<Option<u64>> {
    let above = |n: u64| -> Result<bool> { Ok(kv_cache(transformer, kv, n, batch)?.total_bytes > state_bytes) };
    if !above(MAX_CONTEXT)? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (0u64, MAX_CONTEXT);
    // Invariant: !above(lo) (0 tokens hold nothing), above(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if above(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    #[test]
    fn presets_match_published_counts() {
        for p in MAMBA_PRESETS {
            let m = p.arch().unwrap();
            assert_eq!(m, MambaArch::parse(p.config_json()).unwrap());
            assert_eq!(m.params().unwrap(), p.expected_params, "{}", p.id);
        }
    }

    /// mamba-2.8b: 64 layers × 5120 × (4 + 16) = 6,553,600 elements per
    /// sequence: 13,107,200 bytes in bf16, whatever the length.
    #[test]
    fn mamba_2_8b_state() {
        let m = mamba_preset("mamba-2.8b").unwrap().arch().unwrap();
        let s = m.state_bytes(Dtype::Bf16, 1).unwrap();
        assert_eq!(s.total_bytes, 13_107_200);
        assert_eq!(s.conv_bytes, 64 * 5120 * 4 * 2);
        assert_eq!(m.state_bytes(Dtype::Fp32, 4).unwrap().total_bytes, 13_107_200 * 8);
    }

    /// Llama-3.1-8B holds 131,072 B/token: it passes 13,107,200 bytes at
    /// token 101 (100 tokens = exactly 13,107,200, not more).
    #[test]
    fn crossover_with_llama() {
        let llama = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(crossover_context(&llama, Dtype::Bf16, 1, 13_107_200).unwrap(), Some(101));
        // Mistral v0.1 slides every layer: its cache stops at 4096 tokens' worth.
        let mistral = preset("mistral-7b-v0.1").unwrap().arch().unwrap();
        assert_eq!(crossover_context(&mistral, Dtype::Bf16, 1, 1 << 40).unwrap(), None);
    }

    #[test]
    fn bad_configs_are_errors() {
        assert!(MambaArch::parse("{}").is_err());
        assert!(MambaArch::parse(r#"{"model_type":"llama"}"#).is_err());
        assert!(MambaArch::parse("not json").is_err());
    }
}

//! Recurrent mixers — Mamba, Mamba-2 and Gated DeltaNet — their parameters,
//! and the constant per-sequence state they keep instead of a KV cache.
//!
//! A Mamba layer (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with
//! Selective State Spaces", arXiv 2312.00752, §3) carries, per sequence, the
//! last inputs of its causal depthwise convolution and the selective-scan
//! state h, whatever the sequence length; Mamba-2 (Dao & Gu 2024,
//! "Transformers are SSMs", arXiv 2405.21060, §7) keeps a state per head of
//! `head_dim × d_state`; Gated DeltaNet (Yang, Kautz & Hatamizadeh 2024,
//! arXiv 2412.06464, §3; Qwen3-Next's linear-attention layers) keeps a
//! `d_k × d_v` matrix per value head.
//!
//! The state sizes are those vLLM allocates
//! (`vllm/model_executor/layers/mamba/mamba_utils.py`,
//! `MambaStateShapeCalculator.mamba1_state_shape`, `mamba2_state_shape` and
//! `gated_delta_net_state_shape`): the convolution state holds `kernel − 1`
//! columns (the newest input is the current token), and states take the
//! cache dtype (`MambaStateDtypeCalculator`, `mamba_ssm_cache_dtype="auto"`).
//! Hugging Face transformers' Mamba cache keeps `kernel` columns instead
//! (`MambaCache.conv_states`), one more per channel.

use crate::arch::{ModelArch, Tensor, TensorKind};
use crate::error::{product, Checked, Result};
use crate::formula::{add, div, var, Formula, Unit};
use crate::kv_cache::{bytes_of, kv_cache, MAX_CONTEXT};
use crate::precision::Dtype;
use serde::Serialize;

/// The recurrent mixer of a state-space or hybrid model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Recurrent {
    /// Mamba-1 (`MambaMixer`, `models/mamba/modeling_mamba.py`).
    Mamba {
        /// d_inner = expand × hidden.
        d_inner: u64,
        d_state: u64,
        d_conv: u64,
        /// Rank of the Δ projection (`time_step_rank`).
        dt_rank: u64,
        /// in_proj and out_proj carry biases (`use_bias`).
        bias: bool,
        conv_bias: bool,
    },
    /// Mamba-2 (`Mamba2Mixer`, `models/mamba2/modeling_mamba2.py`; the same
    /// mixer in `nemotron_h` and `granitemoehybrid`).
    Mamba2 {
        /// d_inner = num_heads × head_dim.
        d_inner: u64,
        num_heads: u64,
        head_dim: u64,
        n_groups: u64,
        d_state: u64,
        d_conv: u64,
        bias: bool,
        conv_bias: bool,
    },
    /// Gated DeltaNet (`Qwen3NextGatedDeltaNet`, `models/qwen3_next/`).
    GatedDeltaNet { num_k_heads: u64, num_v_heads: u64, head_k_dim: u64, head_v_dim: u64, conv_kernel: u64 },
}

/// Elements of a recurrent layer's per-sequence state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateElements {
    /// Convolution state: channels × (kernel − 1).
    pub conv: u64,
    /// SSM / linear-attention state.
    pub ssm: u64,
}

impl Recurrent {
    /// The channels the depthwise convolution runs over.
    pub fn conv_channels(&self) -> Result<u64> {
        match *self {
            Recurrent::Mamba { d_inner, .. } => Ok(d_inner),
            Recurrent::Mamba2 { d_inner, n_groups, d_state, .. } => {
                d_inner.add_or(product(&[2, n_groups, d_state], "Mamba-2 conv channels")?, "Mamba-2 conv channels")
            }
            Recurrent::GatedDeltaNet { num_k_heads, num_v_heads, head_k_dim, head_v_dim, .. } => {
                product(&[2, num_k_heads, head_k_dim], "DeltaNet conv channels")?
                    .add_or(num_v_heads.mul_or(head_v_dim, "DeltaNet conv channels")?, "DeltaNet conv channels")
            }
        }
    }

    fn kernel(&self) -> u64 {
        match *self {
            Recurrent::Mamba { d_conv, .. } | Recurrent::Mamba2 { d_conv, .. } => d_conv,
            Recurrent::GatedDeltaNet { conv_kernel, .. } => conv_kernel,
        }
    }

    /// Per-sequence state of one layer, as vLLM allocates it (module docs).
    pub fn state_elements(&self) -> Result<StateElements> {
        let conv = self.conv_channels()?.mul_or(self.kernel().saturating_sub(1), "conv state")?;
        let ssm = match *self {
            Recurrent::Mamba { d_inner, d_state, .. } => d_inner.mul_or(d_state, "SSM state")?,
            Recurrent::Mamba2 { num_heads, head_dim, d_state, .. } => {
                product(&[num_heads, head_dim, d_state], "SSM state")?
            }
            Recurrent::GatedDeltaNet { num_v_heads, head_k_dim, head_v_dim, .. } => {
                product(&[num_v_heads, head_k_dim, head_v_dim], "DeltaNet state")?
            }
        };
        Ok(StateElements { conv, ssm })
    }

    /// A short name for labels.
    pub fn label(&self) -> &'static str {
        match self {
            Recurrent::Mamba { .. } => "Mamba",
            Recurrent::Mamba2 { .. } => "Mamba-2",
            Recurrent::GatedDeltaNet { .. } => "Gated DeltaNet",
        }
    }

    /// The mixer's parameter tensors in layer `i` of a model `h` wide.
    ///
    /// - Mamba (`MambaMixer.__init__`): `in_proj` h → 2·d_inner, `conv1d`
    ///   d_inner × d_conv (+ bias), `x_proj` d_inner → rank + 2·d_state,
    ///   `dt_proj` rank → d_inner with bias, `A_log` d_inner × d_state, `D`
    ///   d_inner, `out_proj` d_inner → h.
    /// - Mamba-2 (`Mamba2Mixer.__init__`): `in_proj` h → 2·d_inner +
    ///   2·groups·d_state + heads, `conv1d` over d_inner + 2·groups·d_state
    ///   channels, `dt_bias`, `A_log`, `D` per head, a gated RMSNorm of
    ///   d_inner, `out_proj` d_inner → h.
    /// - Gated DeltaNet (`Qwen3NextGatedDeltaNet.__init__`): `in_proj_qkvz` h →
    ///   2·key_dim + 2·value_dim, `in_proj_ba` h → 2·v_heads, `conv1d` over
    ///   2·key_dim + value_dim channels without bias, `dt_bias` and `A_log`
    ///   per value head, a gated RMSNorm of head_v_dim, `out_proj` value_dim → h.
    pub fn push_tensors(&self, t: &mut Vec<Tensor>, i: u64, h: u64) -> Result<()> {
        use TensorKind as K;
        let l = Some(i);
        match *self {
            Recurrent::Mamba { d_inner, d_state, d_conv, dt_rank, bias, conv_bias } => {
                t.push(Tensor::new(K::SsmIn, l, d_inner.mul_or(2, "in_proj")?, h));
                if bias {
                    t.push(Tensor::vector(K::Bias, l, d_inner.mul_or(2, "in_proj bias")?));
                }
                t.push(Tensor::new(K::SsmConv, l, d_inner, d_conv));
                if conv_bias {
                    t.push(Tensor::vector(K::Bias, l, d_inner));
                }
                let x_out = dt_rank.add_or(d_state.mul_or(2, "x_proj")?, "x_proj")?;
                t.push(Tensor::new(K::SsmXProj, l, x_out, d_inner));
                t.push(Tensor::new(K::SsmDtProj, l, d_inner, dt_rank));
                t.push(Tensor::vector(K::Bias, l, d_inner));
                t.push(Tensor::new(K::SsmParams, l, d_inner, d_state));
                t.push(Tensor::vector(K::SsmParams, l, d_inner));
                t.push(Tensor::new(K::SsmOut, l, h, d_inner));
                if bias {
                    t.push(Tensor::vector(K::Bias, l, h));
                }
            }
            Recurrent::Mamba2 { d_inner, num_heads, bias, conv_bias, d_conv, .. } => {
                let conv = self.conv_channels()?;
                let proj = d_inner.add_or(conv, "in_proj")?.add_or(num_heads, "in_proj")?;
                t.push(Tensor::new(K::SsmIn, l, proj, h));
                if bias {
                    t.push(Tensor::vector(K::Bias, l, proj));
                }
                t.push(Tensor::new(K::SsmConv, l, conv, d_conv));
                if conv_bias {
                    t.push(Tensor::vector(K::Bias, l, conv));
                }
                for _ in 0..3 {
                    t.push(Tensor::vector(K::SsmParams, l, num_heads));
                }
                t.push(Tensor::vector(K::Norm, l, d_inner));
                t.push(Tensor::new(K::SsmOut, l, h, d_inner));
                if bias {
                    t.push(Tensor::vector(K::Bias, l, h));
                }
            }
            Recurrent::GatedDeltaNet { num_k_heads, num_v_heads, head_k_dim, head_v_dim, conv_kernel } => {
                let key_dim = num_k_heads.mul_or(head_k_dim, "key width")?;
                let value_dim = num_v_heads.mul_or(head_v_dim, "value width")?;
                let qkvz = key_dim.add_or(value_dim, "qkvz")?.mul_or(2, "qkvz")?;
                t.push(Tensor::new(K::SsmIn, l, qkvz, h));
                t.push(Tensor::new(K::SsmIn, l, num_v_heads.mul_or(2, "ba")?, h));
                t.push(Tensor::new(K::SsmConv, l, self.conv_channels()?, conv_kernel));
                t.push(Tensor::vector(K::SsmParams, l, num_v_heads));
                t.push(Tensor::vector(K::SsmParams, l, num_v_heads));
                t.push(Tensor::vector(K::Norm, l, head_v_dim));
                t.push(Tensor::new(K::SsmOut, l, h, value_dim));
            }
        }
        Ok(())
    }
}

/// A model's recurrent state for one sequence, across its recurrent layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecurrentState {
    pub conv_bytes: u64,
    pub ssm_bytes: u64,
    pub total_bytes: u64,
}

/// The formula behind the state-space figure's headline: a transformer's
/// KV cache over a recurrent (or hybrid) model's whole cache at the same
/// length — its constant state plus, for a hybrid, its attention layers'
/// keys and values. Written to one decimal below 10×, whole above.
pub fn cache_ratio_formula(transformer_kv: u64, recurrent_cache: u64, state: u64) -> Formula {
    let attention = recurrent_cache.saturating_sub(state);
    let denominator = if attention > 0 {
        add(vec![
            var("S", "the recurrent layers' state (constant)", state as f64, Unit::Bytes),
            var("KV_a", "a hybrid's attention layers' keys and values", attention as f64, Unit::Bytes),
        ])
    } else {
        var("S", "the recurrent layers' state (constant)", state as f64, Unit::Bytes)
    };
    Formula::new(
        "Ratio",
        div(var("KV", "the transformer's KV cache at this length", transformer_kv as f64, Unit::Bytes), denominator),
        Unit::Times(if transformer_kv < 10 * recurrent_cache { 1 } else { 0 }),
        "Gu & Dao 2023, Mamba (arXiv 2312.00752) §3; state shapes as vLLM allocates them (mamba_utils.py, MambaStateShapeCalculator); KV: Shazeer 2019 (arXiv 1911.02150) §2",
    )
}

/// The per-sequence recurrent state of `arch` in `dtype` (zero for a model
/// without recurrent layers).
pub fn recurrent_state(arch: &ModelArch, dtype: Dtype) -> Result<RecurrentState> {
    let Some(r) = &arch.recurrent else {
        return Ok(RecurrentState { conv_bytes: 0, ssm_bytes: 0, total_bytes: 0 });
    };
    let layers = arch.recurrent_layer_count();
    let e = r.state_elements()?;
    let conv_bytes = bytes_of(e.conv.mul_or(layers, "conv state")?, dtype)?;
    let ssm_bytes = bytes_of(e.ssm.mul_or(layers, "SSM state")?, dtype)?;
    Ok(RecurrentState { conv_bytes, ssm_bytes, total_bytes: conv_bytes.add_or(ssm_bytes, "recurrent state")? })
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
    // Invariant: !above(lo) (0 tokens hold only a constant state), above(hi).
    if above(0)? {
        return Ok(Some(0));
    }
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

/// The shortest context at which `growing`'s KV cache exceeds `other`'s
/// (both in `kv`, one sequence), looked for up to `limit` tokens; `None` if
/// it never does. For a pure state-space `other` this is
/// [`crossover_context`] against its state; for a hybrid, whose few attention
/// layers also grow, it is where the two curves meet. The search assumes
/// the difference changes sign once, true when `growing` adds more per token.
pub fn first_exceeding(growing: &ModelArch, other: &ModelArch, kv: Dtype, limit: u64) -> Result<Option<u64>> {
    let above = |n: u64| -> Result<bool> {
        Ok(kv_cache(growing, kv, n, 1)?.total_bytes > kv_cache(other, kv, n, 1)?.total_bytes)
    };
    let limit = limit.min(MAX_CONTEXT);
    if above(0)? {
        return Ok(Some(0));
    }
    // Doubling steps find a length where it is above, then bisection.
    let mut hi = 1u64;
    while !above(hi)? {
        if hi >= limit {
            return Ok(None);
        }
        hi = (hi * 2).min(limit);
    }
    let mut lo = hi / 2;
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

    /// mamba-2.8b: 64 layers × 5120 channels × (3 conv columns + 16 state)
    /// = 6,225,920 elements per sequence: 12,451,840 bytes in bf16, whatever
    /// the length (vLLM keeps kernel − 1 = 3 conv columns).
    #[test]
    fn mamba_2_8b_state() {
        let m = preset("mamba-2.8b").unwrap().arch().unwrap();
        let s = recurrent_state(&m, Dtype::Bf16).unwrap();
        assert_eq!(s.conv_bytes, 64 * 5120 * 3 * 2);
        assert_eq!(s.ssm_bytes, 64 * 5120 * 16 * 2);
        assert_eq!(s.total_bytes, 12_451_840);
        assert_eq!(recurrent_state(&m, Dtype::Fp32).unwrap().total_bytes, 12_451_840 * 2);
    }

    /// Llama-3.1-8B holds 131,072 B/token: it passes 12,451,840 bytes at
    /// token 95 (95 × 131,072 = 12,451,840 exactly is not more; 96 is).
    #[test]
    fn crossover_with_llama() {
        let llama = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(crossover_context(&llama, Dtype::Bf16, 1, 12_451_840).unwrap(), Some(96));
        // Mistral v0.1 slides every layer: its cache stops at 4096 tokens' worth.
        let mistral = preset("mistral-7b-v0.1").unwrap().arch().unwrap();
        assert_eq!(crossover_context(&mistral, Dtype::Bf16, 1, 1 << 40).unwrap(), None);
    }

    /// Against a pure state-space model, the meeting point is the crossover
    /// with its state; a hybrid's own attention layers push it later.
    #[test]
    fn meeting_points() {
        let llama = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let mamba = preset("mamba-2.8b").unwrap().arch().unwrap();
        assert_eq!(first_exceeding(&llama, &mamba, Dtype::Bf16, 1 << 20).unwrap(), Some(96));
        // Nemotron-H 8B: 51,806,208 bytes of state plus 16,384 per token;
        // Llama adds 131,072: they meet after 51,806,208 / 114,688 = 451.7 tokens.
        let hybrid = preset("nemotron-h-8b").unwrap().arch().unwrap();
        assert_eq!(first_exceeding(&llama, &hybrid, Dtype::Bf16, 1 << 20).unwrap(), Some(452));
        // The hybrid's state is there from the first token.
        let mistral = preset("mistral-7b-v0.1").unwrap().arch().unwrap();
        assert_eq!(first_exceeding(&hybrid, &mistral, Dtype::Bf16, 1 << 20).unwrap(), Some(0));
        // Mistral v0.1 (131,072 bytes a token, like Llama) passes it at 452 too.
        assert_eq!(first_exceeding(&mistral, &hybrid, Dtype::Bf16, 1 << 20).unwrap(), Some(452));
    }

    /// Mamba-2: conv over d_inner + 2·groups·d_state channels, kernel − 1
    /// columns; state heads × head_dim × d_state. Gated DeltaNet: conv over
    /// 2·key_dim + value_dim, state v_heads × d_k × d_v (Qwen3-Next-80B:
    /// 16 key heads, 32 value heads, 128 wide, kernel 4).
    #[test]
    fn state_shapes() {
        let m2 = Recurrent::Mamba2 {
            d_inner: 8192,
            num_heads: 128,
            head_dim: 64,
            n_groups: 8,
            d_state: 128,
            d_conv: 4,
            bias: false,
            conv_bias: true,
        };
        assert_eq!(m2.state_elements().unwrap(), StateElements { conv: (8192 + 2 * 8 * 128) * 3, ssm: 128 * 64 * 128 });
        let gdn = Recurrent::GatedDeltaNet {
            num_k_heads: 16,
            num_v_heads: 32,
            head_k_dim: 128,
            head_v_dim: 128,
            conv_kernel: 4,
        };
        assert_eq!(
            gdn.state_elements().unwrap(),
            StateElements { conv: (2 * 16 * 128 + 32 * 128) * 3, ssm: 32 * 128 * 128 }
        );
    }
}

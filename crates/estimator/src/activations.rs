//! What autograd keeps for the backward pass of one training step, tensor
//! by tensor, as a Hugging Face transformers model in bf16 saves it.
//!
//! Every term below is a tensor that a transformers 5.24 model saves with
//! `save_for_backward` during a training forward pass, found by listing the
//! saved tensors of small configs of each family under
//! `torch.autograd.graph.saved_tensors_hooks`
//! (`tools/reference/measure_activations.py`, run by `cargo xtask reference
//! activations`). The test `crates/estimator/tests/activations.rs` checks
//! that these formulas reproduce every measured figure to the byte, for
//! Llama, Qwen2, Qwen3, Gemma 2, Mixtral and GPT-2, with SDPA and eager
//! attention, with and without gradient checkpointing (GPT-2 through
//! [`Kernels::CpuReference`], see below). Per token of a decoder layer
//! (`h` hidden size, `H`/`K` query/key-value heads of width `d`, `i` MLP
//! width; bytes):
//!
//! - **RMSNorm** (`LlamaRMSNorm`): the input upcast to fp32 (`4h`), the
//!   reciprocal root (`4`), the normalised value cast back to bf16 (`2h`),
//!   and the output when a projection reads it (`2h`). Gemma's norm
//!   (`1 + weight`, computed in fp32) keeps the fp32 normalised value
//!   instead (`4h`) and its `1 + weight` (`4h` per layer, not per token).
//! - **Attention, FlashAttention/SDPA**: q after RoPE (`2Hd`), k and v
//!   (`2Kd` each), the output (`2Hd`, which `o_proj` reads in place) and one
//!   fp32 log-sum-exp per head (`4H`) — what FlashAttention-2 keeps
//!   (Dao 2023, arXiv 2307.08691, §3.1: "we only need to store … the
//!   logsumexp"), and what PyTorch's CPU flash kernel keeps. RoPE itself
//!   keeps nothing but its cos/sin tables.
//! - **Attention, eager**: q, k and v repeated to `H` heads (`repeat_kv`
//!   copies), the output copy `o_proj` reads (`2Hd` each), and per sequence
//!   the `s × s` scores: softmax output in fp32 (`4Hs²`), the probabilities
//!   cast back to bf16 (`2Hs²`) and, for Gemma 2's soft-capping, the tanh
//!   output (`2Hs²`) — the n² term of Korthikanti et al.'s formula.
//! - **Per-head q/k norms** (Qwen3, Gemma 3): the q and k norms as above,
//!   without an output (RoPE keeps none).
//! - **Gated MLP**: gate and up outputs, the activation's output and the
//!   product `down_proj` reads (`2i` each, `8i` in all).
//! - **MoE** (transformers' grouped-GEMM experts): the router softmax in
//!   fp32 (`4E`), the top-k indices (`8k`), the weights' sum and normalised
//!   copy (`4 + 4k`), three sorting indices (`24k`), and per routed token
//!   the gathered input (`2h`), the fused gate-up output (`4i`), the
//!   activation and product (`2i` each), the routing weight (`4`) and the
//!   expert output (`2h`); per layer, the token count of each expert
//!   (`4E`).
//! - **Checkpointed layers** keep only their input (`2h`, Chen et al. 2016,
//!   arXiv 1604.06174); the model then also keeps the position ids and, for
//!   eager attention, the `2·b·s²` causal mask the layers are called with
//!   (one per kind of layer: Gemma 2 has a sliding-window mask too).
//!
//! - **GPT-2** (LayerNorm, learned positions, fused `c_attn`, `gelu_new`,
//!   dropout 0.1): each LayerNorm keeps its input and its mean and
//!   reciprocal deviation (fp32 on a GPU, `2h + 8`; in bf16 on the CPU,
//!   `2h + 4`); `gelu_new`'s `pow` input, `tanh` output and the two factors
//!   of its last product plus `c_proj`'s input (`10i`); a dropout mask on
//!   each residual branch (`h` bytes each on a GPU, whose `native_dropout`
//!   keeps bools; `2h` on the CPU, which keeps bf16 noise). Eager attention
//!   takes the softmax in bf16 and keeps it, the mask and the dropped
//!   probabilities (`5Hs²` on a GPU, `6Hs²` on the CPU — Korthikanti et
//!   al.'s `5as²b`), and with one sequence q is a view of `c_attn`'s output,
//!   which keeps k's and v's part too (`4h`). SDPA with dropout is
//!   FlashAttention on a GPU (the flash terms above; the dropout mask is
//!   regenerated from a seed, Dao 2023 §3.1) but PyTorch's math fallback on
//!   the CPU: fp32 copies of q, k and v (`12h`) and fp32 scores, noise and
//!   probabilities (`12Hs²`). A GPT-2 layer on a GPU thus keeps `58h + 16`
//!   bytes a token where Korthikanti et al. count `34h` for GPT-3's fused
//!   kernels.
//!
//! Outside the layers: the input ids (`8` per token), RoPE's cos and sin
//! (`2·s·d` each, one copy for the batch), the final norm, the log-softmax
//! of the logits in fp32 (`4·vocab` per token — the largest single
//! activation of a small model), Gemma 2's logit soft-capping (`2·vocab`),
//! the shifted labels and the loss; for GPT-2 the position ids and the
//! embeddings' dropout mask.
//!
//! Families the measurements do not cover (MLA, recurrent mixers, LayerNorm
//! models, vision towers) are priced with the nearest of these terms and
//! marked as estimates ([`ActivationReport::measured`]).

use crate::arch::{Attention, AttentionSpan, Ffn, ModelArch, NormKind, QkNorm};
use crate::error::{Checked, EstimateError, Result};
use crate::families::Family;
use crate::training::Recompute;
use serde::Serialize;

/// How attention is computed during training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKernel {
    /// FlashAttention-2 or PyTorch SDPA: no `s × s` matrix is kept.
    Flash,
    /// transformers' eager attention: the scores are materialised and kept.
    Eager,
}

impl AttentionKernel {
    pub const ALL: [AttentionKernel; 2] = [AttentionKernel::Flash, AttentionKernel::Eager];

    pub fn id(self) -> &'static str {
        match self {
            AttentionKernel::Flash => "flash",
            AttentionKernel::Eager => "eager",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttentionKernel::Flash => "FlashAttention / SDPA",
            AttentionKernel::Eager => "eager (scores stored)",
        }
    }

    pub fn parse(s: &str) -> Result<AttentionKernel> {
        match s.to_ascii_lowercase().as_str() {
            "flash" | "sdpa" | "flash_attention_2" | "fa2" => Ok(AttentionKernel::Flash),
            "eager" => Ok(AttentionKernel::Eager),
            _ => Err(EstimateError::UnknownName {
                kind: "attention implementation",
                name: s.chars().take(32).collect(),
                known: "flash (also sdpa), eager".into(),
            }),
        }
    }
}

/// One training forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationQuery {
    pub seq: u64,
    pub micro_batch: u64,
    pub kernel: AttentionKernel,
    pub recompute: Recompute,
}

/// What the forward pass leaves for the backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActivationReport {
    /// The largest that one decoder layer keeps.
    pub layer_bytes: u64,
    /// All decoder layers.
    pub layers_bytes: u64,
    /// Embeddings, final norm, logits, labels and loss.
    pub rest_bytes: u64,
    pub total_bytes: u64,
    /// Whether every term is one the measurements check for this family.
    pub measured: bool,
}

/// The family's norm and capping quirks that change what is saved.
struct Quirks {
    /// Gemma's `(1 + weight)` RMSNorm, computed in fp32.
    gemma_norm: bool,
    /// Gemma 2's soft-capped attention scores.
    attn_softcap: bool,
    /// Gemma 2's soft-capped logits.
    final_softcap: bool,
    /// Covered by the measured fixtures.
    measured: bool,
    /// GPT-2's dropout (transformers' `GPT2Config`: `attn_pdrop`,
    /// `resid_pdrop` and `embd_pdrop` all 0.1 by default): a mask on the
    /// embeddings, on both residual branches and on the attention
    /// probabilities.
    dropout: bool,
    /// GPT-2's eager attention takes the softmax in bf16 (Llama-style
    /// attention upcasts it to fp32 and keeps a bf16 copy).
    softmax_bf16: bool,
    /// GPT-2's `gelu_new` (`NewGELUActivation`), written as tensor
    /// operations: `pow` keeps its input, `tanh` its output, and the final
    /// product both factors — four tensors of the MLP width.
    gelu_decomposed: bool,
    /// q, k and v are views of one fused projection's output (GPT-2's
    /// `c_attn`): with one sequence, eager attention's batched product takes
    /// q as a view, which keeps the whole fused buffer alive.
    fused_qkv: bool,
}

fn quirks(family: Family) -> Quirks {
    let gemma = matches!(family, Family::Gemma2 | Family::Gemma3Text | Family::Gemma3);
    let gpt2 = family == Family::Gpt2;
    Quirks {
        gemma_norm: gemma,
        attn_softcap: family == Family::Gemma2,
        final_softcap: family == Family::Gemma2,
        measured: matches!(
            family,
            Family::Llama
                | Family::Mistral
                | Family::Qwen2
                | Family::Qwen3
                | Family::Gemma2
                | Family::Mixtral
                | Family::Gpt2
        ),
        dropout: gpt2,
        softmax_bf16: gpt2,
        gelu_decomposed: gpt2,
        fused_qkv: gpt2,
    }
}

/// Where the kernels run: what a GPU keeps, or what the CPU kernels the
/// fixtures were measured with keep where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// CUDA: LayerNorm keeps fp32 statistics; dropout keeps a bool mask
    /// (`native_dropout`); SDPA with dropout runs FlashAttention, which keeps
    /// its random seed, not the mask.
    Gpu,
    /// PyTorch's CPU kernels, as `tools/reference/measure_activations.py`
    /// measured them in bf16: LayerNorm keeps its statistics in the input's
    /// dtype; dropout multiplies by a noise tensor of the input's dtype and
    /// keeps it; SDPA with dropout falls back to the math path, which upcasts
    /// q, k and v to fp32 and keeps fp32 scores, mask and probabilities.
    CpuReference,
}

impl Kernels {
    /// Bytes per element of a dropout mask.
    fn mask_bytes(self) -> u64 {
        match self {
            Kernels::Gpu => 1,
            Kernels::CpuReference => 2,
        }
    }

    /// Bytes per token of a LayerNorm's mean and reciprocal deviation.
    fn layer_norm_stats(self) -> u64 {
        match self {
            Kernels::Gpu => 8,
            Kernels::CpuReference => 4,
        }
    }
}

/// Bytes per token of one norm over `width`, and whether a projection reads its output.
fn norm_per_token(width: u64, gemma: bool, kind: NormKind, output_read: bool, kernels: Kernels) -> u64 {
    let out = if output_read { 2 * width } else { 0 };
    match kind {
        // LayerNorm keeps its bf16 input, its mean and its reciprocal deviation.
        NormKind::Layer | NormKind::LayerNoBias => 2 * width + kernels.layer_norm_stats() + out,
        NormKind::Rms if gemma => 4 * width + 4 + 4 * width + out,
        NormKind::Rms => 4 * width + 4 + 2 * width + out,
    }
}

/// Bytes per token, per token² of one sequence, and per layer, of one decoder layer.
struct LayerCost {
    per_token: u64,
    per_token_sq: u64,
    per_layer: u64,
}

fn layer_cost(
    arch: &ModelArch,
    layer: &crate::arch::Layer,
    kernel: AttentionKernel,
    q: &Quirks,
    kernels: Kernels,
    micro_batch: u64,
) -> LayerCost {
    let h = arch.hidden_size;
    let mut c = LayerCost { per_token: 0, per_token_sq: 0, per_layer: 0 };
    // Norms: one before attention and one before the MLP read by projections;
    // Gemma's two extra post-norms feed residual adds.
    let norms = arch.norms_per_layer.max(1);
    let read = norms.min(2);
    c.per_token += read * norm_per_token(h, q.gemma_norm, arch.norm, true, kernels);
    c.per_token += (norms - read) * norm_per_token(h, q.gemma_norm, arch.norm, false, kernels);
    if q.dropout {
        // The masks on the attention and MLP outputs, before each residual add.
        c.per_token += 2 * h * kernels.mask_bytes();
    }
    if q.gemma_norm {
        c.per_layer += norms * 4 * h;
    }
    if layer.attention.is_some() {
        match &arch.attention {
            Some(Attention::Standard(a)) => {
                let (hh, kv, d) = (a.num_heads, a.num_kv_heads, a.head_dim);
                match kernel {
                    // The CPU has no fused kernel with dropout: SDPA's math
                    // path keeps fp32 copies of q, k and v, and fp32 scores,
                    // noise and probabilities.
                    AttentionKernel::Flash if q.dropout && kernels == Kernels::CpuReference => {
                        c.per_token += 4 * (hh * d + 2 * kv * d) + 2 * hh * d;
                        c.per_token_sq += hh * 12;
                    }
                    AttentionKernel::Flash => c.per_token += 2 * hh * d + 4 * kv * d + 2 * hh * d + 4 * hh,
                    AttentionKernel::Eager => {
                        c.per_token += 4 * 2 * hh * d;
                        if q.fused_qkv && micro_batch == 1 {
                            // q's view keeps k's and v's part of the fused output too.
                            c.per_token += 4 * kv * d;
                        }
                        c.per_token_sq += if q.softmax_bf16 {
                            // bf16 softmax output and, with dropout, the mask and the dropped probabilities.
                            hh * (2 + if q.dropout { kernels.mask_bytes() + 2 } else { 0 })
                        } else {
                            hh * (4 + 2 + if q.attn_softcap { 2 } else { 0 })
                        };
                    }
                }
                match a.qk_norm {
                    QkNorm::SharedAcrossHeads | QkNorm::PerHead => {
                        let per_head = if q.gemma_norm { 8 * d + 4 } else { 6 * d + 4 };
                        c.per_token += (hh + kv) * per_head;
                        if q.gemma_norm {
                            c.per_layer += 2 * 4 * d;
                        }
                    }
                    QkNorm::None => {}
                }
            }
            Some(Attention::Latent(m)) => {
                // MLA (an estimate): the compressed latents and their norms,
                // then attention over the expanded heads as above.
                let qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
                let hh = m.num_heads;
                c.per_token += m.q_lora_rank.map_or(0, |r| norm_per_token(r, false, NormKind::Rms, true, kernels));
                c.per_token += norm_per_token(m.kv_lora_rank, false, NormKind::Rms, true, kernels);
                c.per_token += 2 * hh * (qk + m.v_head_dim) * 2;
                // Both kernels keep a bf16 copy of the queries for the
                // backward pass; FlashAttention adds its fp32 log-sum-exp per
                // head, eager attention the fp32 scores and bf16
                // probabilities per pair (so eager never keeps less).
                match kernel {
                    AttentionKernel::Flash => c.per_token += 2 * hh * qk + 4 * hh,
                    AttentionKernel::Eager => {
                        c.per_token += 2 * hh * qk;
                        c.per_token_sq += hh * 6;
                    }
                }
            }
            None => {}
        }
    }
    if layer.recurrent {
        // A recurrent mixer (an estimate): its input projection's output,
        // the convolution's output and the gated output, at conv width.
        let w = arch.recurrent.as_ref().and_then(|r| r.conv_channels().ok()).unwrap_or(2 * h);
        c.per_token += 3 * 2 * w + 2 * h;
    }
    match layer.ffn {
        // A gated MLP keeps gate, up, the activation's output and the
        // product; GPT-2's keeps `gelu_new`'s four tensors and its output.
        Ffn::Dense if q.gelu_decomposed && !arch.mlp.gated => c.per_token += 10 * arch.mlp.intermediate_size,
        Ffn::Dense => c.per_token += 8 * arch.mlp.intermediate_size,
        Ffn::Moe => {
            if let Some(m) = &arch.moe {
                let (e, k, i) = (m.num_experts, m.experts_per_token, m.expert_intermediate_size);
                c.per_token += 4 * e + 8 * k + 4 + 4 * k + 24 * k + k * (2 * h + 4 * i + 2 * i + 2 * i + 4 + 2 * h);
                c.per_layer += 4 * e;
                if m.shared_intermediate_size > 0 {
                    c.per_token += 8 * m.shared_intermediate_size;
                }
            }
        }
        Ffn::None => {}
    }
    c
}

/// What one training forward pass of `arch` keeps for the backward pass, on
/// a GPU.
pub fn activations(arch: &ModelArch, q: &ActivationQuery) -> Result<ActivationReport> {
    activations_with(arch, q, Kernels::Gpu)
}

/// [`activations`] as the given kernels keep it: [`Kernels::CpuReference`]
/// is what the measuring script saw on the CPU, which the fixtures record.
pub fn activations_with(arch: &ModelArch, q: &ActivationQuery, kernels: Kernels) -> Result<ActivationReport> {
    let (s, b) = (q.seq, q.micro_batch);
    if s == 0 || b == 0 {
        return Err(EstimateError::OutOfRange {
            what: "sequence and micro-batch".into(),
            reason: "must be at least 1".into(),
        });
    }
    let qk = quirks(arch.family);
    let tokens = s.mul_or(b, "activation size")?;
    let sq = s.mul_or(s, "activation size")?.mul_or(b, "activation size")?;
    let mut layer_max = 0u64;
    let mut layers = 0u64;
    for layer in &arch.layers {
        let bytes = match q.recompute {
            Recompute::Full => tokens.mul_or(arch.hidden_size.saturating_mul(2), "activation size")?,
            _ => {
                let c = layer_cost(arch, layer, q.kernel, &qk, kernels, b);
                let square = if q.recompute == Recompute::Selective { 0 } else { c.per_token_sq };
                tokens
                    .mul_or(c.per_token, "activation size")?
                    .add_or(sq.mul_or(square, "activation size")?, "activation size")?
                    .add_or(c.per_layer, "activation size")?
            }
        };
        layer_max = layer_max.max(bytes);
        layers = layers.add_or(bytes, "activation size")?;
    }
    // Outside the layers.
    let rope = if arch.learned_positions > 0 || arch.attention.is_none() {
        0
    } else if arch.rotary_dims > 0 {
        arch.rotary_dims
    } else {
        arch.head_dim()
    };
    let big = |v: u64, by: u64| v.mul_or(by, "activation size");
    let mut rest = big(tokens, 8)?.add_or(big(s, 4)?.mul_or(rope, "activation size")?, "activation size")?;
    if arch.learned_positions > 0 {
        rest = rest.add_or(big(s, 8)?, "activation size")?;
    }
    let final_norm = norm_per_token(arch.hidden_size, qk.gemma_norm, arch.norm, true, kernels);
    rest = rest.add_or(big(tokens, final_norm)?, "activation size")?;
    if qk.dropout {
        // The mask on the embeddings.
        rest = rest.add_or(big(tokens, arch.hidden_size.saturating_mul(kernels.mask_bytes()))?, "activation size")?;
    }
    if qk.gemma_norm {
        rest = rest.add_or(big(arch.hidden_size, 4)?.saturating_add(2), "activation size")?;
    }
    let logits = big(tokens, arch.vocab_size)?;
    rest = rest.add_or(big(logits, if qk.final_softcap { 6 } else { 4 })?, "activation size")?;
    let labels = if b == 1 { big(s.saturating_add(1), 8)? } else { big(tokens, 8)? };
    rest = rest.add_or(labels, "activation size")?.add_or(4, "activation size")?;
    if q.recompute == Recompute::Full {
        // The position ids the layers are called with (learned positions
        // already keep theirs, for the embedding).
        if arch.learned_positions == 0 {
            rest = rest.add_or(big(s, 8)?, "activation size")?;
        }
        if q.kernel == AttentionKernel::Eager {
            // One bf16 mask per kind of attention layer (Gemma 2 passes a
            // sliding-window mask and a full one).
            let kinds = [
                arch.layers.iter().any(|l| matches!(l.attention, Some(AttentionSpan::Full))),
                arch.layers.iter().any(|l| matches!(l.attention, Some(AttentionSpan::Sliding(_)))),
                arch.layers.iter().any(|l| matches!(l.attention, Some(AttentionSpan::Chunked(_)))),
            ];
            let masks = kinds.iter().filter(|k| **k).count() as u64;
            rest = rest.add_or(big(sq, 2 * masks)?, "activation size")?;
        }
    }
    let measured = qk.measured && arch.vision.is_none();
    Ok(ActivationReport {
        layer_bytes: layer_max,
        layers_bytes: layers,
        rest_bytes: rest,
        total_bytes: layers.add_or(rest, "activation size")?,
        measured,
    })
}

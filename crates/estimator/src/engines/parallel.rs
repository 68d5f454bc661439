//! Splitting a model over GPUs: tensor parallelism (TP), pipeline
//! parallelism (PP) and expert parallelism (EP), as vLLM and SGLang do it.
//!
//! Sources (vLLM, `vllm/model_executor/layers/`):
//! - `linear.py`: `ColumnParallelLinear` splits the output features (q, k,
//!   v, gate, up), `RowParallelLinear` the input features (o, down);
//!   `QKVParallelLinear` gives each rank `max(1, kv_heads / tp)` KV heads, so
//!   KV heads are replicated once TP exceeds their count; `ReplicatedLinear`
//!   (MLA's `q_a_proj` and `kv_a_proj_with_mqa`, MoE routers) is whole on
//!   every rank;
//! - `vocab_parallel_embedding.py`: the vocabulary is padded to a multiple
//!   of 64 (`DEFAULT_VOCAB_PADDING_SIZE`) and split evenly, for the embedding
//!   and the LM head;
//! - norms and the row-parallel layers' biases are replicated;
//! - `fused_moe/layer.py`: without EP each expert's intermediate width is
//!   split by TP; with EP (`--enable-expert-parallel`, over TP × DP ranks)
//!   each rank holds `experts / ep` whole experts;
//! - `vllm/distributed/utils.py` `get_pp_indices`: layers divided evenly
//!   between PP stages, the remainder to the last ones; the embedding lives
//!   on the first stage, the final norm and LM head on the last (a tied LM
//!   head is then a second copy of the embedding);
//! - MLA (`deepseek_v2.py`): the latent cache is not split by heads: every
//!   rank caches the whole latent for its layers.
//!
//! Errors say what to change: TP must divide the attention heads, EP the
//! experts, and PP cannot exceed the layers.

use crate::arch::{Attention, ModelArch, Tensor, TensorKind};
use crate::error::{EstimateError, Result};
use crate::precision::{TensorPricer, WeightFormat};
use serde::Serialize;

/// How a model is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Parallelism {
    /// Tensor-parallel ranks.
    pub tp: u64,
    /// Pipeline stages.
    pub pp: u64,
    /// Experts split over all TP ranks (EP = TP) instead of each expert
    /// split by TP.
    pub expert_parallel: bool,
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism { tp: 1, pp: 1, expert_parallel: false }
    }
}

impl Parallelism {
    pub fn gpus(&self) -> u64 {
        self.tp * self.pp
    }

    /// Checks the split against the model.
    pub fn check(&self, arch: &ModelArch) -> Result<()> {
        let bad = |what: &str, reason: String| Err(EstimateError::OutOfRange { what: what.into(), reason });
        if self.tp == 0 || self.pp == 0 {
            return bad("parallelism", "--tp and --pp must be at least 1".into());
        }
        if self.tp > 1024 || self.pp > 1024 {
            return bad("parallelism", "--tp and --pp are limited to 1,024".into());
        }
        let heads = arch.num_heads();
        if heads > 0 && heads % self.tp != 0 {
            return bad(
                "--tp",
                format!(
                    "the {heads} attention heads do not divide over {} GPUs; use a TP size that divides {heads}",
                    self.tp
                ),
            );
        }
        if let Some(a) = arch.standard_attention() {
            if a.num_kv_heads % self.tp != 0 && self.tp % a.num_kv_heads != 0 {
                return bad(
                    "--tp",
                    format!(
                        "{} KV heads neither divide over nor replicate evenly onto {} GPUs",
                        a.num_kv_heads, self.tp
                    ),
                );
            }
        }
        if let Some(moe) = &arch.moe {
            if self.expert_parallel && moe.num_experts % self.tp != 0 {
                return bad(
                    "expert parallelism",
                    format!("{} experts do not divide over {} GPUs", moe.num_experts, self.tp),
                );
            }
            if !self.expert_parallel && moe.expert_intermediate_size % self.tp != 0 {
                return bad(
                    "--tp",
                    format!(
                        "an expert's {} intermediate channels do not divide over {} GPUs; enable expert parallelism",
                        moe.expert_intermediate_size, self.tp
                    ),
                );
            }
        }
        if self.pp > arch.num_layers {
            return bad("--pp", format!("{} stages for {} layers", self.pp, arch.num_layers));
        }
        Ok(())
    }

    /// The layers of pipeline stage `stage` (`get_pp_indices`).
    pub fn stage_layers(&self, num_layers: u64, stage: u64) -> std::ops::Range<u64> {
        let per = num_layers / self.pp;
        let extra = num_layers % self.pp;
        // The last `extra` stages take one more layer each.
        let start = stage * per + stage.saturating_sub(self.pp - extra);
        let len = per + u64::from(stage >= self.pp - extra);
        start..(start + len).min(num_layers)
    }
}

/// One GPU's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RankShare {
    pub stage: u64,
    /// Weights on this GPU.
    pub weights_bytes: u64,
    /// Attention layers on this GPU's stage.
    pub attention_layers: u64,
    /// Recurrent layers on this GPU's stage.
    pub recurrent_layers: u64,
    /// KV bytes this GPU holds per token (all its attention layers).
    pub kv_bytes_per_token: u64,
}

/// The share of `t` one rank holds, as a tensor of reduced shape (`None` if
/// the tensor is not on this stage).
fn shard(arch: &ModelArch, t: &Tensor, par: &Parallelism, stage: u64, layers: &std::ops::Range<u64>) -> Option<Tensor> {
    use TensorKind as K;
    let tp = par.tp;
    let first = stage == 0;
    let last = stage == par.pp - 1;
    match t.layer {
        Some(l) if !layers.contains(&l) => return None,
        None => {
            let keep = match t.kind {
                K::TokenEmbedding | K::PositionEmbedding => first,
                K::LmHead | K::Norm => last,
                K::Vision | K::Projector => first,
                _ => true,
            };
            if !keep {
                return None;
            }
        }
        _ => {}
    }
    let mut s = *t;
    let vocab_rows = |rows: u64| rows.div_ceil(64) * 64 / tp;
    let kv_heads_per_rank = arch.standard_attention().map_or(1, |a| (a.num_kv_heads / tp).max(1));
    let head_dim = arch.standard_attention().map_or(0, |a| a.head_dim);
    match t.kind {
        K::TokenEmbedding | K::LmHead => s.rows = vocab_rows(t.rows),
        K::AttnQ
        | K::AttnQB
        | K::AttnKvB
        | K::MlpGate
        | K::MlpUp
        | K::MlpGateUp
        | K::SharedExpertGate
        | K::SharedExpertUp
        | K::SsmIn => s.rows = t.rows / tp,
        K::AttnK | K::AttnV => s.rows = kv_heads_per_rank * head_dim,
        K::AttnQkv => {
            let a = arch.standard_attention();
            let q = a.map_or(t.rows, |a| a.num_heads * a.head_dim) / tp;
            s.rows = q + 2 * kv_heads_per_rank * head_dim;
        }
        K::AttnOut | K::MlpDown | K::SharedExpertDown | K::SsmOut => s.cols = t.cols / tp,
        K::ExpertGate | K::ExpertUp => {
            if par.expert_parallel {
                s.copies = t.copies / tp;
                s.active_copies = t.active_copies.min(s.copies);
            } else {
                s.rows = t.rows / tp;
            }
        }
        K::ExpertDown => {
            if par.expert_parallel {
                s.copies = t.copies / tp;
                s.active_copies = t.active_copies.min(s.copies);
            } else {
                s.cols = t.cols / tp;
            }
        }
        // Replicated: norms, MLA down-projections, routers, sinks, biases,
        // SSM parameters and convolutions (sharded by channel, but small),
        // vision towers.
        _ => {}
    }
    // The LM head of a tied model lives on the last stage as a copy of the embedding.
    Some(s)
}

/// Each GPU's share of the weights and KV cache under `par`, the weights
/// priced in `format`; KV per token in `kv_bytes_per_element` bytes.
pub fn rank_shares(
    arch: &ModelArch,
    format: WeightFormat,
    par: &Parallelism,
    kv_bits_per_element: u64,
) -> Result<Vec<RankShare>> {
    par.check(arch)?;
    let pricer = TensorPricer::new(arch, format);
    let tensors = arch.all_tensors()?;
    let embedding = tensors.iter().find(|t| t.kind == TensorKind::TokenEmbedding).copied();
    let mut out = Vec::new();
    for stage in 0..par.pp {
        let layers = par.stage_layers(arch.num_layers, stage);
        let mut weights = 0u64;
        for t in &tensors {
            if let Some(s) = shard(arch, t, par, stage, &layers) {
                weights += pricer.price(&s)?.bytes * s.copies;
            }
        }
        if arch.tie_word_embeddings && par.pp > 1 && stage == par.pp - 1 {
            if let Some(e) = embedding {
                let mut head = e;
                head.kind = TensorKind::LmHead;
                head.rows = e.rows.div_ceil(64) * 64 / par.tp;
                weights += pricer.price(&head)?.bytes;
            }
        }
        let stage_layers: Vec<_> = arch.layers[layers.start as usize..layers.end as usize].to_vec();
        let attention_layers = stage_layers.iter().filter(|l| l.attention.is_some()).count() as u64;
        let recurrent_layers = stage_layers.iter().filter(|l| l.recurrent).count() as u64;
        let per_layer_elems = match &arch.attention {
            Some(Attention::Standard(a)) => 2 * (a.num_kv_heads / par.tp).max(1) * a.head_dim,
            Some(Attention::Latent(m)) => m.kv_lora_rank + m.qk_rope_head_dim,
            None => 0,
        };
        let kv_bytes_per_token = (attention_layers * per_layer_elems * kv_bits_per_element).div_ceil(8);
        out.push(RankShare { stage, weights_bytes: weights, attention_layers, recurrent_layers, kv_bytes_per_token });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::Dtype;
    use crate::presets::preset;

    /// TP 1 is the whole model.
    #[test]
    fn one_gpu_is_everything() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let s = rank_shares(&m, WeightFormat::Float(Dtype::Bf16), &Parallelism::default(), 16).unwrap();
        assert_eq!(s[0].weights_bytes, 8_030_261_248 * 2);
        assert_eq!(s[0].kv_bytes_per_token, 131_072);
    }

    /// Llama 3.1 70B over TP 8: each GPU holds one of the 8 KV heads and an
    /// eighth of every matrix; norms (2 × 80 + 1 vectors of 8,192) are
    /// replicated. Embedding and LM head: 128,256 rows (a multiple of 64) / 8.
    #[test]
    fn seventy_b_tp8() {
        let m = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let p = Parallelism { tp: 8, ..Default::default() };
        let s = rank_shares(&m, WeightFormat::Float(Dtype::Bf16), &p, 16).unwrap();
        let norms = (2 * 80 + 1) * 8192u64;
        let matrices = 70_553_706_496 - norms;
        assert_eq!(s[0].weights_bytes, (matrices / 8 + norms) * 2);
        assert_eq!(s[0].kv_bytes_per_token, 80 * 2 * 128 * 2);
    }

    /// More GPUs than KV heads: the heads are replicated, one per GPU.
    #[test]
    fn kv_heads_replicate() {
        let m = preset("qwen2.5-7b").unwrap().arch().unwrap(); // 28 heads, 4 KV heads
        let p = Parallelism { tp: 4, ..Default::default() };
        assert_eq!(
            rank_shares(&m, WeightFormat::Float(Dtype::Bf16), &p, 16).unwrap()[0].kv_bytes_per_token,
            28 * 2 * 128 * 2
        );
        let bad = Parallelism { tp: 8, ..Default::default() };
        assert!(rank_shares(&m, WeightFormat::Float(Dtype::Bf16), &bad, 16).unwrap_err().to_string().contains("28"));
    }

    /// 126 layers over 4 stages: 31, 31, 32, 32.
    #[test]
    fn pipeline_stages() {
        let p = Parallelism { pp: 4, ..Default::default() };
        let lens: Vec<u64> = (0..4).map(|s| p.stage_layers(126, s)).map(|r| r.end - r.start).collect();
        assert_eq!(lens, vec![31, 31, 32, 32]);
        assert_eq!(p.stage_layers(126, 3), 94..126);
    }

    /// MLA's latent is cached whole on every rank.
    #[test]
    fn mla_latent_is_replicated() {
        let m = preset("deepseek-v3").unwrap().arch().unwrap();
        let p = Parallelism { tp: 8, expert_parallel: true, ..Default::default() };
        let s = rank_shares(&m, WeightFormat::Checkpoint, &p, 16).unwrap();
        assert_eq!(s[0].kv_bytes_per_token, 61 * 576 * 2);
    }
}

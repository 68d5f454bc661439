//! What each GPU holds when training is split three ways: tensor parallel
//! (TP) inside a layer, pipeline parallel (PP) across layers, data parallel
//! (DP) across copies, with ZeRO sharding the states over the DP copies.
//!
//! An estimate assembled from parts that are each sourced:
//! - **Parameters per GPU**: the model's tensors split as Megatron-LM's
//!   column- and row-parallel layers split them, norms replicated, the
//!   vocabulary split across TP ranks, layers divided evenly between
//!   stages with the embedding on the first and the LM head on the last —
//!   the same rules as serving ([`crate::engines::parallel::rank_shares`],
//!   Shoeybi et al. 2019, "Megatron-LM", arXiv 1909.08053, §3). The
//!   vocabulary is padded to a multiple of 64 as vLLM does; Megatron-LM pads
//!   to 128 × TP (`--make-vocab-size-divisible-by`), a few thousand rows more.
//! - **Model states**: mixed-precision Adam's bytes per parameter, divided
//!   over the DP copies by the ZeRO stage ([`crate::training::model_states`];
//!   Rajbhandari et al. 2020, arXiv 1910.02054, §5).
//! - **Activations per layer**: what transformers keeps for backward
//!   ([`crate::activations`], measured), split TP ways: with sequence
//!   parallelism every activation of a layer is divided across the TP ranks
//!   (Korthikanti et al. 2022, arXiv 2205.05198, §4.2.2, Eq. 4 without the
//!   s² term). The logits, the largest tensor outside the layers, sit on the
//!   last stage, split by the vocabulary-parallel cross-entropy.
//! - **Micro-batches in flight**: under the 1F1B schedule stage `i` of `p`
//!   holds the activations of `p − i` micro-batches before its first
//!   backward pass frees one (Narayanan et al. 2021, "Efficient Large-Scale
//!   Language Model Training on GPU Clusters Using Megatron-LM", arXiv
//!   2104.04473, §2.2.1), so the first stage holds as many layers' worth as
//!   the whole model has, whatever `p` is (Korthikanti et al., §4.2.3).
//!   Enough micro-batches per step (at least `p`) are assumed.
//! - **Full recomputation**: each in-flight micro-batch keeps only its
//!   layers' inputs, and one layer is rebuilt at a time (Chen et al. 2016,
//!   arXiv 1604.06174, §3).
//!
//! Not counted: communication buffers, the allocator's fragmentation, and
//! ZeRO-3's gathered layers.

use crate::activations::{activations, ActivationQuery, AttentionKernel};
use crate::arch::ModelArch;
use crate::engines::parallel::{rank_shares, Parallelism};
use crate::error::{Checked, EstimateError, Result};
use crate::formula::{add, count, div, floor, mul, var, Formula, Unit};
use crate::precision::{Dtype, WeightFormat};
use crate::training::{model_states, ModelStates, Optimizer, Recompute, ZeroStage};
use serde::Serialize;

/// A 3D-parallel training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout3d {
    pub tp: u64,
    pub pp: u64,
    pub dp: u64,
    pub zero: ZeroStage,
    pub optimizer: Optimizer,
    pub seq: u64,
    pub micro_batch: u64,
    pub recompute: Recompute,
    pub kernel: AttentionKernel,
}

impl Default for Layout3d {
    fn default() -> Self {
        Layout3d {
            tp: 8,
            pp: 4,
            dp: 8,
            zero: ZeroStage::Zero1,
            optimizer: Optimizer::AdamMixed,
            seq: 4096,
            micro_batch: 1,
            recompute: Recompute::None,
            kernel: AttentionKernel::Flash,
        }
    }
}

/// What every GPU of one pipeline stage holds (all its TP ranks and DP
/// copies hold the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageMemory {
    pub stage: u64,
    /// Decoder layers `first..first + layers`.
    pub first_layer: u64,
    pub layers: u64,
    /// Parameters on one GPU of this stage.
    pub params: u64,
    pub states: ModelStates,
    /// Micro-batches whose activations are held at the peak.
    pub in_flight: u64,
    pub activation_bytes: u64,
    pub per_gpu_bytes: u64,
}

/// The largest GPU count the layout accepts.
pub const MAX_GPUS: u64 = 1 << 20;

/// Per-stage memory of `arch` trained under `l`.
pub fn training_layout(arch: &ModelArch, l: &Layout3d) -> Result<Vec<StageMemory>> {
    let gpus = l.tp.checked_mul(l.pp).and_then(|g| g.checked_mul(l.dp)).unwrap_or(u64::MAX);
    if l.dp == 0 || gpus > MAX_GPUS {
        return Err(EstimateError::OutOfRange {
            what: "GPU count".into(),
            reason: format!("TP × PP × DP must be between 1 and {MAX_GPUS}"),
        });
    }
    let par = Parallelism { tp: l.tp, pp: l.pp, expert_parallel: false };
    // Parameter counts: the bf16 share in bytes, halved.
    let shares = rank_shares(arch, WeightFormat::Float(Dtype::Bf16), &par, 16)?;
    let q = |recompute| ActivationQuery { seq: l.seq, micro_batch: l.micro_batch, kernel: l.kernel, recompute };
    // Selective recomputation drops the attention scores (none with
    // FlashAttention); full recomputation keeps the layers' inputs.
    let kept = activations(arch, &q(l.recompute))?;
    let each_layer = kept.layers_bytes / arch.num_layers.max(1);
    let rebuilt = if l.recompute == Recompute::Full { activations(arch, &q(Recompute::None))?.layer_bytes } else { 0 };
    let mut out = Vec::new();
    for share in shares {
        let range = par.stage_layers(arch.num_layers, share.stage);
        let layers = range.end - range.start;
        let params = share.weights_bytes / 2;
        let states = model_states(params, l.optimizer, l.zero, l.dp, false)?;
        let in_flight = l.pp - share.stage;
        let mut act = each_layer.mul_or(layers, "activation size")?.mul_or(in_flight, "activation size")?;
        act = act.add_or(rebuilt, "activation size")? / l.tp;
        if share.stage == l.pp - 1 {
            act = act.add_or(kept.rest_bytes / l.tp, "activation size")?;
        }
        let per_gpu_bytes = states.per_gpu_bytes.add_or(act, "training memory")?;
        out.push(StageMemory {
            stage: share.stage,
            first_layer: range.start,
            layers,
            params,
            states,
            in_flight,
            activation_bytes: act,
            per_gpu_bytes,
        });
    }
    Ok(out)
}

/// The formula behind [`StageMemory::per_gpu_bytes`] of `stage` (module
/// docs for each term's source): the stage's parameters' model states under
/// ZeRO over the DP copies, and the activations of its layers for the
/// micro-batches in flight (plus the one layer rebuilt at a time under full
/// recomputation), divided over the TP ranks — with the logits and the rest
/// outside the layers on the last stage.
pub fn stage_formula(arch: &ModelArch, l: &Layout3d, stage: &StageMemory) -> Result<Formula> {
    let q = |recompute| ActivationQuery { seq: l.seq, micro_batch: l.micro_batch, kernel: l.kernel, recompute };
    let kept = activations(arch, &q(l.recompute))?;
    let each_layer = kept.layers_bytes / arch.num_layers.max(1);
    let rebuilt = if l.recompute == Recompute::Full { activations(arch, &q(Recompute::None))?.layer_bytes } else { 0 };
    let tp = || count("TP", "tensor-parallel ranks", l.tp);
    let mut inner = vec![mul(vec![
        var("A_layer", "activations one layer keeps for one micro-batch", each_layer as f64, Unit::Bytes),
        count("ℓ", "layers on this stage", stage.layers),
        count("m", "micro-batches in flight under 1F1B (PP − stage)", stage.in_flight),
    ])];
    if rebuilt > 0 {
        inner.push(var("A_re", "the one layer rebuilt at a time", rebuilt as f64, Unit::Bytes));
    }
    let mut terms = crate::training::states_terms(stage.params, l.optimizer, l.zero, l.dp, false);
    terms.push(floor(div(add(inner), tp())));
    if stage.stage == l.pp - 1 {
        terms.push(floor(div(
            var("A_out", "outside the layers: final norm, logits and loss", kept.rest_bytes as f64, Unit::Bytes),
            tp(),
        )));
    }
    Ok(Formula::new(
        "Per GPU",
        add(terms),
        Unit::Bytes,
        "Shoeybi et al. 2019, Megatron-LM (arXiv 1909.08053) §3; Rajbhandari et al. 2020, ZeRO (arXiv 1910.02054) §5; Korthikanti et al. 2022 (arXiv 2205.05198) §4.2; Narayanan et al. 2021 (arXiv 2104.04473) §2.2.1",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    fn arch(id: &str) -> ModelArch {
        preset(id).unwrap().arch().unwrap()
    }

    /// One GPU, no pipeline: the whole model's states and activations, the
    /// same as the single-GPU training estimate.
    #[test]
    fn one_gpu_matches_training_memory() {
        let m = arch("llama-3.1-8b");
        let l = Layout3d { tp: 1, pp: 1, dp: 1, zero: ZeroStage::Zero0, ..Default::default() };
        let s = training_layout(&m, &l).unwrap();
        let setup = crate::training::TrainingSetup { gpus: 1, ..Default::default() };
        let t = crate::training::training_memory(&m, &setup).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].params, 8_030_261_248);
        assert_eq!(s[0].states, t.states);
        assert_eq!(s[0].activation_bytes, t.activation_bytes);
    }

    /// Llama 3.1 70B on TP 8 × PP 4 × DP 8: 20 layers a stage; the first
    /// stage holds 4 micro-batches of its 20 layers (80 layers' worth, all
    /// of the model's, an eighth of each), the last one micro-batch and the
    /// logits.
    #[test]
    fn seventy_b_on_256_gpus() {
        let m = arch("llama-3.1-70b");
        let s = training_layout(&m, &Layout3d::default()).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s.iter().map(|x| x.layers).collect::<Vec<_>>(), [20, 20, 20, 20]);
        assert_eq!(s.iter().map(|x| x.in_flight).collect::<Vec<_>>(), [4, 3, 2, 1]);
        let whole = activations(
            &m,
            &ActivationQuery { seq: 4096, micro_batch: 1, kernel: AttentionKernel::Flash, recompute: Recompute::None },
        )
        .unwrap();
        assert_eq!(s[0].activation_bytes, whole.layers_bytes / 80 * 80 / 8);
        assert_eq!(s[3].activation_bytes, whole.layers_bytes / 80 * 20 / 8 + whole.rest_bytes / 8);
        // Mixed-precision Adam: 2 + 2 bytes of weights and gradients per
        // parameter, 12 of optimizer state shared over 8 copies by ZeRO-1.
        let p = s[1].params;
        assert_eq!(s[1].states.per_gpu_bytes, 4 * p + (12 * p).div_ceil(8));
        // Stages in the middle hold only their layers: 20 of 80, split 8 ways.
        assert!(s[1].params > 2_000_000_000 && s[1].params < 2_200_000_000, "{}", s[1].params);
        assert!(s[0].per_gpu_bytes > s[1].per_gpu_bytes);
    }

    #[test]
    fn full_recompute_keeps_inputs() {
        let m = arch("llama-3.1-70b");
        let l = Layout3d { recompute: Recompute::Full, ..Default::default() };
        let s = training_layout(&m, &l).unwrap();
        // 20 layer inputs of 4,096 × 8,192 × 2 bytes per micro-batch, 4 in
        // flight, and one rebuilt layer, all split 8 ways.
        let input = 4096 * 8192 * 2;
        let q =
            ActivationQuery { seq: 4096, micro_batch: 1, kernel: AttentionKernel::Flash, recompute: Recompute::None };
        let rebuilt = activations(&m, &q).unwrap().layer_bytes;
        assert_eq!(s[0].activation_bytes, (20 * input * 4 + rebuilt) / 8);
    }

    #[test]
    fn bad_splits_say_what_to_change() {
        let m = arch("llama-3.1-8b");
        let e = training_layout(&m, &Layout3d { tp: 3, ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("32"), "{e}");
        assert!(training_layout(&m, &Layout3d { dp: 0, ..Default::default() }).is_err());
        assert!(training_layout(&m, &Layout3d { pp: 64, ..Default::default() }).is_err());
        assert!(training_layout(&m, &Layout3d { dp: u64::MAX, ..Default::default() }).is_err());
    }
}

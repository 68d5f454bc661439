//! One training step's memory on one GPU over time, computed rather than
//! recorded, in the spirit of PyTorch's memory snapshot
//! (`torch.cuda.memory._record_memory_history`): what is resident when the
//! step starts, activations piling up layer by layer through the forward
//! pass, the gradient of the loss arriving, activations freed and gradients
//! appearing layer by layer through the backward pass, and the optimizer
//! step.
//!
//! The parts, each from the estimator:
//! - **resident**: the (sharded) 16-bit weights and the optimizer state of
//!   mixed-precision training ([`crate::training::model_states`]); the
//!   gradients of the previous step were freed by `zero_grad(set_to_none=True)`,
//!   PyTorch's default since 2.0;
//! - **activations**: what transformers keeps, per layer and outside the
//!   layers ([`crate::activations`]); with full recomputation a layer keeps
//!   its input, and its activations exist again while the backward pass
//!   rebuilds it (Chen et al. 2016, arXiv 1604.06174, §3);
//! - **gradient of the loss**: the backward of the fp32 log-softmax produces
//!   a gradient of the logits' size in fp32 (`4 × vocab` bytes per token)
//!   before the LM head's backward consumes it — often the step's peak;
//! - **gradients**: each layer's share of the (sharded) gradient memory
//!   appears when its backward ends; the LM head's first, the embedding's
//!   last;
//! - **ZeRO-3**: two layers' parameters gathered while a layer computes
//!   ([`crate::training::zero3_gathered_bytes`]);
//! - **the optimizer step's temporaries**: the fp32 copy of 16-bit
//!   gradients the fp32 master weights are updated from, and `foreach`
//!   Adam's square roots ([`crate::training::optimizer_step_bytes`], an
//!   estimate); gradients kept in fp32 ([`TrainingSetup::fp32_grads`]) are
//!   4 bytes per parameter throughout the backward pass instead.
//!
//! Not modelled: the allocator's caching and fragmentation, temporaries
//! inside kernels, and communication buffers.

use crate::activations::{activations, ActivationQuery};
use crate::arch::ModelArch;
use crate::error::{Checked, Result};
use crate::formula::{add, var, Formula, Unit};
use crate::training::{optimizer_step_bytes, setup_states, zero3_gathered_bytes, Recompute, TrainingSetup, ZeroStage};
use serde::Serialize;

/// Where in the step a point lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Start,
    Forward,
    Backward,
    Optimizer,
}

/// Memory after one event of the step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelinePoint {
    pub phase: Phase,
    /// What just happened ("layer 12 forward").
    pub label: String,
    /// Everything on the GPU after it.
    pub bytes: u64,
    /// Of which activations and the loss gradient.
    pub activation_bytes: u64,
    /// Of which gradients.
    pub grad_bytes: u64,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepTimeline {
    pub points: Vec<TimelinePoint>,
    /// Weights and optimizer state, there throughout.
    pub resident_bytes: u64,
    pub peak_bytes: u64,
    /// Index of the (first) highest point.
    pub peak_index: usize,
}

impl StepTimeline {
    /// The formula behind [`StepTimeline::peak_bytes`]: what is on the GPU
    /// at the highest event of the step (the module docs give each term's
    /// source: ZeRO's model states, the activations measured per layer,
    /// the fp32 gradient of the loss, ZeRO-3's gathered layers).
    pub fn peak_formula(&self) -> Option<Formula> {
        let p = self.points.get(self.peak_index)?;
        let extra = p.bytes.saturating_sub(self.resident_bytes + p.activation_bytes + p.grad_bytes);
        let mut terms = vec![
            var("R", "weights and optimizer state, there all step", self.resident_bytes as f64, Unit::Bytes),
            var(
                "A",
                "activations held at the peak (the loss gradient included)",
                p.activation_bytes as f64,
                Unit::Bytes,
            ),
            var("G", "gradients computed by then", p.grad_bytes as f64, Unit::Bytes),
        ];
        if extra > 0 {
            let what = if p.phase == Phase::Optimizer {
                "the optimizer step's temporaries (an estimate: fp32 gradients, foreach Adam's roots)"
            } else {
                "ZeRO-3: layers gathered in full"
            };
            terms.push(var("X", what, extra as f64, Unit::Bytes));
        }
        Some(Formula::new(
            "Peak",
            add(terms),
            Unit::Bytes,
            "Rajbhandari et al. 2020, ZeRO (arXiv 1910.02054) §3; activations as transformers keeps them (measured, llmem activations.rs); PyTorch frees each tensor when its last use is done",
        ))
    }
}

/// The memory timeline of one training step of `arch` under `setup`.
pub fn step_timeline(arch: &ModelArch, setup: &TrainingSetup) -> Result<StepTimeline> {
    let counts = arch.param_counts()?;
    let states = setup_states(counts.total, setup)?;
    let step_temporaries = optimizer_step_bytes(counts.total, setup)?;
    let resident = states.params_bytes.add_or(states.optimizer_bytes, "timeline")?;
    let layers = arch.num_layers.max(1);
    // A GPU holds the activations of its share of each sequence.
    let seq = setup.local_seq()?;
    let q = |recompute| ActivationQuery { seq, micro_batch: setup.micro_batch, kernel: setup.kernel, recompute };
    let kept = activations(arch, &q(setup.recompute))?;
    let full = activations(arch, &q(Recompute::None))?;
    let per_layer = kept.layers_bytes / layers;
    let rebuilt = if setup.recompute == Recompute::Full { full.layer_bytes } else { 0 };
    let tokens = seq.mul_or(setup.micro_batch, "timeline")?;
    // Outside the layers: the input side (ids, RoPE tables) stays to the end;
    // the output side (final norm, logits, labels, loss) is freed once the
    // LM head's backward is done.
    let input_side = tokens.mul_or(8, "timeline")?.min(kept.rest_bytes);
    let output_side = kept.rest_bytes - input_side;
    let loss_grad = tokens.mul_or(arch.vocab_size, "timeline")?.mul_or(4, "timeline")?;
    let gathered = if setup.stage == ZeroStage::Zero3 && setup.gpus > 1 { zero3_gathered_bytes(arch)? } else { 0 };
    // Gradients by where they appear: LM head first, embedding last, layers between.
    let share =
        |params: u64| -> u64 { (states.grads_bytes as u128 * params as u128 / counts.total.max(1) as u128) as u64 };
    let head_params = if arch.tie_word_embeddings { 0 } else { arch.vocab_size.saturating_mul(arch.hidden_size) };
    let (head_grads, embed_grads) = (share(head_params), share(counts.embedding));
    let layer_grads = states.grads_bytes.saturating_sub(head_grads + embed_grads) / layers;

    let mut points = Vec::with_capacity(2 * layers as usize + 6);
    let mut push = |phase, label: String, act: u64, grads: u64, extra: u64| {
        points.push(TimelinePoint {
            phase,
            label,
            bytes: resident.saturating_add(act).saturating_add(grads).saturating_add(extra),
            activation_bytes: act,
            grad_bytes: grads,
        });
    };
    push(Phase::Start, "step starts: weights and optimizer state".into(), 0, 0, 0);
    for i in 1..=layers {
        let act = input_side + i * per_layer;
        push(Phase::Forward, format!("layer {i} forward"), act, 0, gathered);
    }
    let all_layers = input_side + layers * per_layer;
    push(Phase::Forward, "final norm, logits and loss".into(), all_layers + output_side, 0, 0);
    push(Phase::Backward, "gradient of the loss".into(), all_layers + output_side + loss_grad, head_grads, 0);
    let mut grads = head_grads;
    for i in (1..=layers).rev() {
        // The point is the height inside layer i's backward: its activations
        // (rebuilt first if checkpointed), the gradients of the layers after
        // it and the two gathered layers; then its activations are freed and
        // its gradients stay.
        grads += layer_grads;
        let act = input_side + (i - 1) * per_layer;
        push(Phase::Backward, format!("layer {i} backward"), act + per_layer + rebuilt, grads - layer_grads, gathered);
    }
    grads += embed_grads;
    push(Phase::Backward, "embedding backward: every gradient ready".into(), input_side, grads, 0);
    let step = if step_temporaries > 0 { "optimizer step, with its temporaries" } else { "optimizer step" };
    push(Phase::Optimizer, step.into(), 0, grads, step_temporaries);
    push(Phase::Optimizer, "gradients freed: next step".into(), 0, 0, 0);

    let (peak_index, peak_bytes) =
        points.iter().enumerate().fold((0, 0), |best, (i, p)| if p.bytes > best.1 { (i, p.bytes) } else { best });
    Ok(StepTimeline { points, resident_bytes: resident, peak_bytes, peak_index })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::AttentionKernel;
    use crate::presets::preset;

    /// Llama 3.1 8B, ZeRO-3 on 8 GPUs, 4K tokens, FlashAttention: the peak is
    /// the gradient of the loss arriving on top of every activation —
    /// resident 16.06 GB + 28.56 GB of activations + 4 × 128,256 × 4096 B
    /// (2.10 GB) of loss gradient + the LM head's gradient share.
    #[test]
    fn llama_8b_zero3() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let setup = TrainingSetup { stage: ZeroStage::Zero3, gpus: 8, ..TrainingSetup::default() };
        let t = step_timeline(&m, &setup).unwrap();
        assert_eq!(t.points.len(), 2 * 32 + 6);
        assert_eq!(t.resident_bytes, 8_030_261_248u64 * 14 / 8);
        let peak = &t.points[t.peak_index];
        assert_eq!(peak.label, "gradient of the loss");
        let act = activations(
            &m,
            &ActivationQuery { seq: 4096, micro_batch: 1, kernel: AttentionKernel::Flash, recompute: Recompute::None },
        )
        .unwrap();
        let head = (8_030_261_248u64 * 2 / 8) as u128 * (128_256 * 4096) as u128 / 8_030_261_248u128;
        assert_eq!(peak.bytes, t.resident_bytes + act.total_bytes + 4 * 128_256 * 4096 + head as u64);
        // The step ends where it began; every gradient existed at the optimizer step.
        assert_eq!(t.points.last().unwrap().bytes, t.resident_bytes);
        let opt = &t.points[t.points.len() - 2];
        assert!(opt.grad_bytes + 8 >= 8_030_261_248 * 2 / 8 && opt.grad_bytes <= 8_030_261_248 * 2 / 8);
        // Monotone through the forward pass, falling through the backward.
        let fwd: Vec<u64> = t.points.iter().filter(|p| p.phase == Phase::Forward).map(|p| p.activation_bytes).collect();
        assert!(fwd.windows(2).all(|w| w[0] < w[1]));
    }

    /// Checkpointing lowers the peak: layer inputs only, one layer rebuilt at a time.
    #[test]
    fn checkpointing_lowers_the_peak() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let base = TrainingSetup { stage: ZeroStage::Zero3, gpus: 8, ..TrainingSetup::default() };
        let t = step_timeline(&m, &base).unwrap();
        let c = step_timeline(&m, &TrainingSetup { recompute: Recompute::Full, ..base }).unwrap();
        assert!(c.peak_bytes < t.peak_bytes);
        assert_eq!(c.resident_bytes, t.resident_bytes);
    }

    /// On one GPU without sharding the optimizer step is the peak: 2 + 12
    /// bytes per parameter resident, 2 of gradients and the 4 of their fp32
    /// copy for the master weights — 20 per parameter, 160.6 GB for Llama
    /// 3.1 8B, above the forward pass's 144 GB. `foreach` Adam adds its
    /// square roots (4 more); fp32 gradients make the copy needless but
    /// hold 4 bytes per parameter through the backward pass.
    #[test]
    fn the_optimizer_step_and_its_temporaries() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let psi = 8_030_261_248u64;
        let one = TrainingSetup { gpus: 1, ..TrainingSetup::default() };
        let t = step_timeline(&m, &one).unwrap();
        let peak = &t.points[t.peak_index];
        assert_eq!((peak.phase, peak.label.as_str()), (Phase::Optimizer, "optimizer step, with its temporaries"));
        assert_eq!(peak.bytes, psi * 20);
        let f = t.peak_formula().unwrap();
        assert_eq!(f.expr.eval(), (psi * 20) as f64);
        let foreach = step_timeline(&m, &TrainingSetup { adam: crate::training::AdamKernel::Foreach, ..one }).unwrap();
        assert_eq!(foreach.peak_bytes, psi * 24);
        // fp32 gradients: no copy at the step (14 + 4 per parameter), but
        // twice the gradient bytes in the backward pass, whose loss
        // gradient is now the higher point.
        let fp32 = step_timeline(&m, &TrainingSetup { fp32_grads: true, ..one }).unwrap();
        let step = fp32.points.iter().find(|p| p.phase == Phase::Optimizer).unwrap();
        assert_eq!((step.label.as_str(), step.bytes), ("optimizer step", psi * 18));
        assert_eq!(fp32.points[fp32.peak_index].label, "gradient of the loss");
        assert!(fp32.peak_bytes > step.bytes);
        // Sharded over 8 GPUs with ZeRO-3 the step is small beside the
        // loss gradient's peak: a sub-group of 10⁹ parameters at a time.
        let z3 = TrainingSetup { stage: ZeroStage::Zero3, gpus: 8, ..TrainingSetup::default() };
        assert_eq!(optimizer_step_bytes(psi, &z3).unwrap(), 4_000_000_000);
        let sharded = step_timeline(&m, &z3).unwrap();
        assert_eq!(sharded.points[sharded.peak_index].label, "gradient of the loss");
        let z1 = TrainingSetup { stage: ZeroStage::Zero1, gpus: 8, ..TrainingSetup::default() };
        assert_eq!(optimizer_step_bytes(psi, &z1).unwrap(), psi.div_ceil(8) * 4);
        let off = TrainingSetup { offload_optimizer: true, ..z1 };
        assert_eq!(optimizer_step_bytes(psi, &off).unwrap(), 0);
    }

    /// Context parallelism over 4 of the 8 GPUs: a 32K sequence leaves each
    /// GPU the activations of 8K tokens — the same step as 8K tokens without
    /// it, byte for byte, with the same sharded states — and a quarter of the
    /// sequences per step.
    #[test]
    fn context_parallel_divides_the_sequence() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let z3 = TrainingSetup { stage: ZeroStage::Zero3, gpus: 8, seq: 32_768, ..TrainingSetup::default() };
        let cp4 = TrainingSetup { context_parallel: 4, ..z3 };
        let short = TrainingSetup { seq: 8192, ..z3 };
        assert_eq!(step_timeline(&m, &cp4).unwrap(), step_timeline(&m, &short).unwrap());
        let (with, without) =
            (crate::training::training_memory(&m, &cp4).unwrap(), crate::training::training_memory(&m, &z3).unwrap());
        assert_eq!(with.activation_bytes, crate::training::training_memory(&m, &short).unwrap().activation_bytes);
        assert!(with.per_gpu_bytes < without.per_gpu_bytes);
        assert_eq!((with.global_batch, without.global_batch), (2, 8));
        // What cannot be split is refused with the reason.
        let err = |s: TrainingSetup| step_timeline(&m, &s).unwrap_err().to_string();
        assert!(err(TrainingSetup { context_parallel: 3, ..z3 }).contains("does not divide 8 GPUs"));
        assert!(err(TrainingSetup { context_parallel: 8, seq: 4104, ..z3 }).contains("2 × 8 equal chunks"));
        assert!(err(TrainingSetup { context_parallel: 2, kernel: AttentionKernel::Eager, ..z3 }).contains("flash"));
        assert!(err(TrainingSetup { context_parallel: 0, ..z3 }).contains("at least 1"));
    }
}

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
//!   ([`crate::training::zero3_gathered_bytes`]).
//!
//! Not modelled: the allocator's caching and fragmentation, temporaries
//! inside kernels, the optimizer's per-tensor temporaries (`foreach` Adam
//! works through parameters in groups), and communication buffers.

use crate::activations::{activations, ActivationQuery};
use crate::arch::ModelArch;
use crate::error::{Checked, Result};
use crate::formula::{add, var, Formula, Unit};
use crate::training::{model_states, zero3_gathered_bytes, Recompute, TrainingSetup, ZeroStage};
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
            terms.push(var("X", "ZeRO-3: layers gathered in full", extra as f64, Unit::Bytes));
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
    let states = model_states(counts.total, setup.optimizer, setup.stage, setup.gpus, setup.offload_optimizer)?;
    let resident = states.params_bytes.add_or(states.optimizer_bytes, "timeline")?;
    let layers = arch.num_layers.max(1);
    let q =
        |recompute| ActivationQuery { seq: setup.seq, micro_batch: setup.micro_batch, kernel: setup.kernel, recompute };
    let kept = activations(arch, &q(setup.recompute))?;
    let full = activations(arch, &q(Recompute::None))?;
    let per_layer = kept.layers_bytes / layers;
    let rebuilt = if setup.recompute == Recompute::Full { full.layer_bytes } else { 0 };
    let tokens = setup.seq.mul_or(setup.micro_batch, "timeline")?;
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
    push(Phase::Optimizer, "optimizer step".into(), 0, grads, 0);
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
}

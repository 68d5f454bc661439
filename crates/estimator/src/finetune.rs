//! "Will fine-tuning fit?": what one GPU holds at the peak of a training
//! step, for a full fine-tune, LoRA or QLoRA, against a device.
//!
//! - **Full fine-tuning** is the step timeline's peak
//!   ([`crate::timeline::step_timeline`]): ZeRO's model states, the
//!   activations measured per layer, the gradient of the loss, ZeRO-3's
//!   gathered layers and the optimizer step's temporaries.
//! - **LoRA** (Hu et al. 2021, arXiv 2106.09685, §4) and **QLoRA** (Dettmers
//!   et al. 2023, arXiv 2305.14314, §3) freeze the base in bf16 or NF4 and
//!   train adapters whose weights, gradients and Adam states PEFT keeps in
//!   fp32 ([`crate::training::lora_memory`], 4 + 4 + 8 bytes per adapter
//!   parameter, sharded by ZeRO's stages like any model state). The
//!   activations still flow through the frozen base — the gradient has to
//!   pass back through every layer to reach the adapters — and are counted
//!   as full fine-tuning keeps them ([`crate::activations`]), an estimate
//!   both ways: a frozen projection without an adapter need not save its
//!   input (fewer bytes with attention-only adapters), while LoRA's dropout
//!   on an adapted input (`lora_dropout` > 0) and the adapters' rank-wide
//!   intermediates add some (more). The peak is where full fine-tuning's
//!   is: the fp32 gradient of the loss arriving on top of every
//!   activation. Under ZeRO-3 (or FSDP) the frozen base is sharded over the
//!   GPUs too, as DeepSpeed partitions every parameter, and two layers are
//!   gathered in full while one computes
//!   ([`crate::training::zero3_gathered_bytes`], in the base's format);
//!   below it each GPU holds the whole base.
//!
//! Every GPU also keeps the runtime's allowance ([`RUNTIME_OVERHEAD_PER_DEVICE`]).

use crate::activations::AttentionKernel;
use crate::arch::ModelArch;
use crate::error::{ceil_div, Checked, EstimateError, Result};
use crate::fit::RUNTIME_OVERHEAD_PER_DEVICE;
use crate::formula::{add, var, Formula, Unit};
use crate::hardware::Device;
use crate::timeline::step_timeline;
use crate::training::{
    lora_memory, model_activation_bytes, model_states, zero3_gathered_bytes, LoraTargets, Optimizer, Recompute,
    TrainingSetup, ZeroStage,
};
use serde::Serialize;

/// How the model is fine-tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every weight trained, mixed-precision Adam.
    Full,
    /// A bf16 base, frozen, with LoRA adapters.
    Lora,
    /// An NF4 base (double-quantized), frozen, with LoRA adapters.
    Qlora,
}

impl Method {
    pub fn parse(s: &str) -> Result<Method> {
        match s {
            "full" => Ok(Method::Full),
            "lora" => Ok(Method::Lora),
            "qlora" => Ok(Method::Qlora),
            other => Err(EstimateError::UnknownName {
                kind: "fine-tuning method",
                name: other.chars().take(32).collect(),
                known: "full, lora, qlora".into(),
            }),
        }
    }
}

/// A fine-tuning question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FineTuneQuery<'a> {
    pub arch: &'a ModelArch,
    pub method: Method,
    /// LoRA rank (LoRA and QLoRA).
    pub rank: u64,
    pub targets: LoraTargets,
    pub seq: u64,
    pub micro_batch: u64,
    pub checkpointing: bool,
    pub kernel: AttentionKernel,
    pub stage: ZeroStage,
    pub gpus: u64,
    pub device: &'a Device,
}

/// One GPU at the peak of a fine-tuning step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FineTuneReport {
    /// Weights (trained or frozen) and, for full fine-tuning, the optimizer state.
    pub weights_bytes: u64,
    /// Adapters with their gradients and Adam states (0 for full fine-tuning).
    pub adapter_bytes: u64,
    /// Activations and the gradient of the loss at the peak.
    pub activation_bytes: u64,
    /// Gradients held at the peak, ZeRO-3's gathered layers and the
    /// optimizer step's temporaries (full fine-tuning).
    pub other_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
    pub capacity_bytes: u64,
    pub fits: bool,
    /// Trainable parameters.
    pub trainable_params: u64,
}

impl FineTuneReport {
    /// The formula behind [`FineTuneReport::total_bytes`].
    pub fn formula(&self) -> Formula {
        let mut terms = vec![var(
            "W",
            "weights (and, fully fine-tuned, the optimizer state)",
            self.weights_bytes as f64,
            Unit::Bytes,
        )];
        if self.adapter_bytes > 0 {
            terms.push(var(
                "P",
                "adapters: fp32 weights, gradients and two Adam moments, 16 bytes each",
                self.adapter_bytes as f64,
                Unit::Bytes,
            ));
        }
        terms.push(var(
            "A",
            "activations kept for backward and the fp32 gradient of the loss",
            self.activation_bytes as f64,
            Unit::Bytes,
        ));
        if self.other_bytes > 0 {
            terms.push(var(
                "G",
                "gradients, ZeRO-3's gathered layers and optimizer temporaries at the peak",
                self.other_bytes as f64,
                Unit::Bytes,
            ));
        }
        terms.push(var("R", "CUDA context and library workspaces", self.overhead_bytes as f64, Unit::Bytes));
        Formula::new(
            "Per GPU at the peak",
            add(terms),
            Unit::Bytes,
            "ZeRO (arXiv 1910.02054) §5; LoRA (arXiv 2106.09685) §4; QLoRA (arXiv 2305.14314) §3; activations measured with transformers (llmem activations.rs)",
        )
    }
}

/// What one GPU holds at the peak of a fine-tuning step, and whether it fits.
pub fn finetune(q: &FineTuneQuery) -> Result<FineTuneReport> {
    let recompute = if q.checkpointing { Recompute::Full } else { Recompute::None };
    let gpus = q.gpus.max(1);
    let (weights_bytes, adapter_bytes, activation_bytes, other_bytes, trainable_params) = match q.method {
        Method::Full => {
            let setup = TrainingSetup {
                stage: q.stage,
                gpus,
                seq: q.seq,
                micro_batch: q.micro_batch,
                recompute,
                kernel: q.kernel,
                ..TrainingSetup::default()
            };
            let t = step_timeline(q.arch, &setup)?;
            let peak = &t.points[t.peak_index];
            let other = peak.bytes.saturating_sub(t.resident_bytes).saturating_sub(peak.activation_bytes);
            (t.resident_bytes, 0, peak.activation_bytes, other, q.arch.param_counts()?.total)
        }
        Method::Lora | Method::Qlora => {
            let l = lora_memory(q.arch, q.rank, q.targets, q.method == Method::Qlora)?;
            let sharded = q.stage == ZeroStage::Zero3 && gpus > 1;
            let base = if sharded { ceil_div(l.base_bytes, gpus) } else { l.base_bytes };
            // fp32 weights, gradients and two moments, sharded from the stage
            // that partitions each (ZeRO §5).
            let adapters = model_states(l.adapter_params, Optimizer::AdamFp32, q.stage, gpus, false)?.per_gpu_bytes;
            // ZeRO-3 gathers two layers of the base, in its own format.
            let gathered = if sharded {
                let params16 = q.arch.param_counts()?.total.saturating_mul(2).max(1);
                (u128::from(zero3_gathered_bytes(q.arch)?) * u128::from(l.base_bytes) / u128::from(params16)) as u64
            } else {
                0
            };
            let tokens = q.seq.mul_or(q.micro_batch, "fine-tuning")?;
            let loss_grad = tokens.mul_or(q.arch.vocab_size, "fine-tuning")?.mul_or(4, "fine-tuning")?;
            let act = model_activation_bytes(q.arch, q.seq, q.micro_batch, q.kernel, recompute)?
                .add_or(loss_grad, "fine-tuning")?;
            (base, adapters, act, gathered, l.adapter_params)
        }
    };
    let overhead_bytes = RUNTIME_OVERHEAD_PER_DEVICE;
    let total_bytes = weights_bytes
        .add_or(adapter_bytes, "fine-tuning")?
        .add_or(activation_bytes, "fine-tuning")?
        .add_or(other_bytes, "fine-tuning")?
        .add_or(overhead_bytes, "fine-tuning")?;
    let capacity_bytes = q.device.gpu_budget_bytes();
    Ok(FineTuneReport {
        weights_bytes,
        adapter_bytes,
        activation_bytes,
        other_bytes,
        overhead_bytes,
        total_bytes,
        capacity_bytes,
        fits: total_bytes <= capacity_bytes,
        trainable_params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    fn query<'a>(arch: &'a ModelArch, method: Method, dev: &'a Device) -> FineTuneQuery<'a> {
        FineTuneQuery {
            arch,
            method,
            rank: 16,
            targets: LoraTargets { attention: true, mlp: true },
            seq: 2048,
            micro_batch: 1,
            checkpointing: true,
            kernel: AttentionKernel::Flash,
            stage: ZeroStage::Zero0,
            gpus: 1,
            device: dev,
        }
    }

    /// The numbers practitioners meet: QLoRA of an 8B model fits a 24 GB
    /// card with room to spare; LoRA in bf16 fits it too, tightly; a full
    /// fine-tune on one 80 GB GPU does not (16 bytes per parameter alone
    /// are 128 GB), and fits with ZeRO-3 over eight.
    #[test]
    fn llama_8b_on_a_4090_and_on_h100s() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let (rtx, h100) = (device("rtx-4090").unwrap(), device("h100-sxm").unwrap());
        let q = finetune(&query(&m, Method::Qlora, rtx)).unwrap();
        assert!(q.fits && q.total_bytes < 12_000_000_000, "{q:?}");
        // All seven projections at rank 16: 16 × Σ(in + out) per layer × 32 = 41,943,040.
        assert_eq!(q.trainable_params, 41_943_040);
        assert_eq!(q.adapter_bytes, 41_943_040 * 16);
        let l = finetune(&query(&m, Method::Lora, rtx)).unwrap();
        assert_eq!(l.weights_bytes, 8_030_261_248 * 2);
        assert!(l.fits, "{l:?}");
        assert_eq!(l.activation_bytes, q.activation_bytes);
        let full = finetune(&query(&m, Method::Full, h100)).unwrap();
        assert!(!full.fits && full.total_bytes > 128_000_000_000, "{full:?}");
        let sharded =
            finetune(&FineTuneQuery { stage: ZeroStage::Zero3, gpus: 8, ..query(&m, Method::Full, h100) }).unwrap();
        assert!(sharded.fits, "{sharded:?}");
        for r in [q, l, full, sharded] {
            assert_eq!(r.formula().expr.eval(), r.total_bytes as f64);
            assert_eq!(
                r.total_bytes,
                r.weights_bytes + r.adapter_bytes + r.activation_bytes + r.other_bytes + r.overhead_bytes
            );
        }
        // ZeRO-3 shards the frozen base too, and gathers two of its layers.
        let z3 = finetune(&FineTuneQuery { stage: ZeroStage::Zero3, gpus: 4, ..query(&m, Method::Lora, rtx) }).unwrap();
        assert_eq!(z3.weights_bytes, (8_030_261_248u64 * 2).div_ceil(4));
        assert_eq!(z3.other_bytes, zero3_gathered_bytes(&m).unwrap());
        // ZeRO-1 shards only the adapters' Adam moments: 4 + 4 + 8/4 bytes each.
        let z1 = finetune(&FineTuneQuery { stage: ZeroStage::Zero1, gpus: 4, ..query(&m, Method::Lora, rtx) }).unwrap();
        assert_eq!(z1.adapter_bytes, 41_943_040 * 8 + 41_943_040 * 8 / 4);
        assert!(Method::parse("dora").is_err());
    }
}

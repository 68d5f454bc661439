//! 06 · ZeRO and FSDP: per-GPU training memory of a real model as optimizer
//! states, gradients and parameters are sharded over more GPUs, with
//! activation checkpointing on or off
//! ([`llmem_estimator::training::training_memory`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{attention_kernel, attention_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    hardware::device,
    presets::preset,
    training::{training_memory, Recompute, TrainingMemory, TrainingSetup, ZeroStage},
};

pub const GPU_STEPS: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Sequence length and micro-batch the activations assume.
pub const SEQ: u64 = 4096;

/// The training setup of the widget's settings.
fn setup_of(stage: u8, gpus: u64, checkpointing: bool, attention: &str) -> Option<TrainingSetup> {
    Some(TrainingSetup {
        stage: ZeroStage::from_u8(stage).ok()?,
        gpus,
        seq: SEQ,
        micro_batch: 1,
        recompute: if checkpointing { Recompute::Full } else { Recompute::None },
        kernel: attention_kernel(attention),
        ..TrainingSetup::default()
    })
}

/// Training memory for the widget's settings.
pub fn memory(model: &str, stage: u8, gpus: u64, checkpointing: bool, attention: &str) -> Option<TrainingMemory> {
    let a = preset(model).and_then(|p| p.arch()).ok()?;
    training_memory(&a, &setup_of(stage, gpus, checkpointing, attention)?).ok()
}

/// The ZeRO / FSDP widget.
#[component]
pub fn Zero(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let stage = RwSignal::new(params.get("stage").to_string());
    let gpus = RwSignal::new(params.u64("gpus"));
    let ckpt = RwSignal::new(params.get("checkpointing").to_string());
    let attention = RwSignal::new(params.get("attention").to_string());
    let mem = Memo::new(move |_| {
        memory(&model.get(), stage.get().parse().unwrap_or(0), gpus.get(), ckpt.get() == "on", &attention.get())
    });
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let m = mem.get()?;
        let params = preset(&model.get()).and_then(|p| p.arch()).and_then(|a| a.param_counts()).ok()?.total;
        let setup = setup_of(stage.get().parse().unwrap_or(0), gpus.get(), ckpt.get() == "on", &attention.get())?;
        Some(llmem_estimator::training::formula(params, &setup, &m))
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("stage", stage.get()),
            ("gpus", gpus.get().to_string()),
            ("checkpointing", ckpt.get()),
            ("attention", attention.get()),
        ]
    });
    let per_gpu = Signal::derive(move || {
        mem.get().map_or_else(Vec::new, |m| {
            vec![
                Segment { label: "Weights", bytes: m.states.params_bytes, class: "lw-c-weights" },
                Segment { label: "Optimizer state", bytes: m.states.optimizer_bytes, class: "lw-c-opt" },
                Segment { label: "Gradients", bytes: m.states.grads_bytes, class: "lw-c-grad" },
                Segment { label: "Activations", bytes: m.activation_bytes, class: "lw-c-act" },
                Segment { label: "Gathered layers (ZeRO-3)", bytes: m.gathered_bytes, class: "lw-c-muted" },
            ]
        })
    });
    let unsharded = Signal::derive(move || {
        memory(&model.get(), 0, 1, false, &attention.get()).map_or_else(Vec::new, |m| {
            vec![
                Segment { label: "Weights", bytes: m.states.params_bytes, class: "lw-c-weights" },
                Segment { label: "Optimizer state", bytes: m.states.optimizer_bytes, class: "lw-c-opt" },
                Segment { label: "Gradients", bytes: m.states.grads_bytes, class: "lw-c-grad" },
                Segment { label: "Activations", bytes: m.activation_bytes, class: "lw-c-act" },
            ]
        })
    });
    let scale = Signal::derive(move || mem.get().map_or(1, |m| m.unsharded_bytes));
    let h100 = device("h100-sxm").ok();
    let stage_options: Vec<(String, String)> = ["0 · none", "1 · optimizer", "2 · + gradients", "3 · + parameters"]
        .iter()
        .enumerate()
        .map(|(i, l)| (i.to_string(), l.to_string()))
        .collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-zero" formula
            subtitle="Data parallelism copies everything to every GPU. ZeRO (and PyTorch FSDP) shard it instead; checkpointing shrinks the activations.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-gpus") label="Data-parallel GPUs" steps=&GPU_STEPS
                    count=Signal::stored(GPU_STEPS.len()) value=gpus
                    text=Callback::new(|g: u64| format!("{g} GPU{}", if g == 1 { "" } else { "s" })) />
                <Choice name=format!("{uid}-stage") legend="ZeRO stage" options=stage_options value=stage />
                <Choice name=format!("{uid}-ckpt") legend="Activation checkpointing"
                    options=vec![("off".into(), "Off".into()), ("on".into(), "On".into())] value=ckpt />
                <Select id=format!("{uid}-attention") label="Attention" options=attention_options() value=attention />
            </div>
            <StackedBar label=Signal::derive(move || format!("Per GPU (stage {}, {} GPUs)", stage.get(), gpus.get()))
                segments=per_gpu scale=scale />
            <StackedBar label=Signal::stored("One GPU, no sharding, no checkpointing".to_string()) segments=unsharded scale=scale />
            <div class="lw-result" aria-live="polite">
                {move || mem.get().map(|m| view! {
                    <p class="lw-big">{show(m.per_gpu_bytes)}" "<span class="lw-big-label">{format!("per GPU, against {} unsharded", show(m.unsharded_bytes))}</span></p>
                    <p class="lw-detail">{format!(
                        "Mixed-precision Adam: 16 bytes per parameter (2 weights + 2 gradients + 12 optimizer). Activations for {SEQ}-token sequences at micro-batch 1 with {} attention{}, as transformers keeps them{}. {}",
                        attention_kernel(&attention.get()).label(),
                        if ckpt.get() == "on" { ", with full recomputation" } else { "" },
                        if m.gathered_bytes > 0 { format!("; ZeRO-3 also holds {} of parameters gathered for the current and next layer", show(m.gathered_bytes)) } else { String::new() },
                        h100.map(|d| if m.per_gpu_bytes <= d.capacity_bytes { format!("Fits an {} ({}).", d.name, show(d.capacity_bytes)) } else { format!("Too big for an {} ({}).", d.name, show(d.capacity_bytes)) }).unwrap_or_default())}</p>
                })}
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage3_on_8() {
        let m = memory("llama-3.1-8b", 3, 8, false, "flash").unwrap();
        assert_eq!(m.states.per_gpu_bytes, 8_030_261_248 * 16 / 8);
        // The default state fits an H100 with room to spare.
        assert!(m.per_gpu_bytes < 50_000_000_000, "{}", m.per_gpu_bytes);
        let c = memory("llama-3.1-8b", 3, 8, true, "flash").unwrap();
        assert!(c.activation_bytes < m.activation_bytes / 5);
        let e = memory("llama-3.1-8b", 3, 8, false, "eager").unwrap();
        assert!(e.activation_bytes > m.activation_bytes * 3);
    }
}

//! "Will fine-tuning fit?": full fine-tuning, LoRA or QLoRA of a model on
//! one device of a data-parallel group — weights, adapters, activations
//! and the rest at the peak of a step against the device's memory
//! ([`llmem_estimator::finetune::finetune`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{attention_kernel, device_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    finetune::{finetune, FineTuneQuery, FineTuneReport, Method},
    hardware::device,
    presets::preset,
    training::{LoraTargets, ZeroStage},
    units::group_thousands,
};

pub const RANK_STEPS: [u64; 6] = [4, 8, 16, 32, 64, 128];
pub const SEQ_STEPS: [u64; 6] = [512, 1024, 2048, 4096, 8192, 16_384];
pub const BATCH_STEPS: [u64; 6] = [1, 2, 4, 8, 16, 32];
pub const GPU_STEPS: [u64; 5] = [1, 2, 4, 8, 16];

/// The widget's settings besides the model and device, as its URL spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub method: String,
    pub rank: u64,
    /// `attention` or `all` (every linear projection).
    pub targets: String,
    pub seq: u64,
    pub batch: u64,
    pub checkpointing: bool,
    pub stage: u8,
    pub gpus: u64,
}

/// The report for `model` on `dev` at these settings.
pub fn report(model: &str, dev: &str, s: &Settings) -> Option<FineTuneReport> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    finetune(&FineTuneQuery {
        arch: &arch,
        method: Method::parse(&s.method).ok()?,
        rank: s.rank,
        targets: LoraTargets { attention: true, mlp: s.targets == "all" },
        seq: s.seq,
        micro_batch: s.batch,
        checkpointing: s.checkpointing,
        kernel: attention_kernel("flash"),
        stage: ZeroStage::from_u8(s.stage).ok()?,
        gpus: s.gpus,
        device: device(dev).ok()?,
    })
    .ok()
}

/// The fine-tuning calculator.
#[component]
pub fn FineTune(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let dev = RwSignal::new(params.get("device").to_string());
    let method = RwSignal::new(params.get("method").to_string());
    let rank = RwSignal::new(params.u64("rank"));
    let targets = RwSignal::new(params.get("targets").to_string());
    let seq = RwSignal::new(params.u64("seq"));
    let batch = RwSignal::new(params.u64("batch"));
    let ckpt = RwSignal::new(params.get("checkpointing").to_string());
    let stage = RwSignal::new(params.get("stage").to_string());
    let gpus = RwSignal::new(params.u64("gpus"));
    let result = Memo::new(move |_| {
        let settings = Settings {
            method: method.get(),
            rank: rank.get(),
            targets: targets.get(),
            seq: seq.get(),
            batch: batch.get(),
            checkpointing: ckpt.get() == "on",
            stage: stage.get().parse().unwrap_or(0),
            gpus: gpus.get(),
        };
        report(&model.get(), &dev.get(), &settings)
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("device", dev.get()),
            ("method", method.get()),
            ("rank", rank.get().to_string()),
            ("targets", targets.get()),
            ("seq", seq.get().to_string()),
            ("batch", batch.get().to_string()),
            ("checkpointing", ckpt.get()),
            ("stage", stage.get()),
            ("gpus", gpus.get().to_string()),
        ]
    });
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || result.get().map(|r| r.formula()));
    let segments = Signal::derive(move || {
        result.get().map_or_else(Vec::new, |r| {
            vec![
                Segment { label: "Weights (and optimizer state)", bytes: r.weights_bytes, class: "lw-c-weights" },
                Segment { label: "Adapters", bytes: r.adapter_bytes, class: "lw-c-kv" },
                Segment { label: "Activations", bytes: r.activation_bytes, class: "lw-c-act" },
                Segment { label: "Gradients and temporaries", bytes: r.other_bytes, class: "lw-c-grad" },
                Segment { label: "Runtime overhead", bytes: r.overhead_bytes, class: "lw-c-muted" },
            ]
        })
    });
    let scale = Signal::derive(move || result.get().map_or(1, |r| r.total_bytes.max(r.capacity_bytes)));
    let capacity = Signal::derive(move || result.get().map_or(0, |r| r.capacity_bytes));
    let lora = move || method.get() != "full";
    let device_name = move || device(&dev.get()).map(|d| d.name).unwrap_or_default();
    let stage_options: Vec<(String, String)> =
        ["0", "1", "2", "3"].iter().map(|s| (s.to_string(), format!("ZeRO-{s}"))).collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-finetune" formula
            subtitle="Full fine-tuning, LoRA or QLoRA: one GPU at the peak of a training step.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <Choice name=format!("{uid}-method") legend="Method"
                    options=vec![("full".into(), "Full".into()), ("lora".into(), "LoRA".into()), ("qlora".into(), "QLoRA".into())]
                    value=method />
            </div>
            <div class="lw-controls" hidden=move || !lora()>
                <StepSlider id=format!("{uid}-rank") label="LoRA rank" steps=&RANK_STEPS count=Signal::stored(RANK_STEPS.len())
                    value=rank text=Callback::new(|r: u64| r.to_string()) />
                <Choice name=format!("{uid}-targets") legend="Adapted projections"
                    options=vec![("attention".into(), "Attention".into()), ("all".into(), "All linear".into())] value=targets />
            </div>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS count=Signal::stored(SEQ_STEPS.len())
                    value=seq text=Callback::new(|s: u64| format!("{} tokens", group_thousands(s))) />
                <StepSlider id=format!("{uid}-batch") label="Micro-batch" steps=&BATCH_STEPS count=Signal::stored(BATCH_STEPS.len())
                    value=batch text=Callback::new(|b: u64| b.to_string()) />
                <Choice name=format!("{uid}-ckpt") legend="Gradient checkpointing"
                    options=vec![("off".into(), "Off".into()), ("on".into(), "On".into())] value=ckpt />
                <Choice name=format!("{uid}-stage") legend="Sharding" options=stage_options value=stage />
                <StepSlider id=format!("{uid}-gpus") label="Data-parallel GPUs" steps=&GPU_STEPS count=Signal::stored(GPU_STEPS.len())
                    value=gpus text=Callback::new(|g: u64| g.to_string()) />
            </div>
            <StackedBar label=Signal::derive(move || format!("One GPU at the peak, against a {}", device_name())) segments=segments
                scale=scale capacity=capacity />
            <div class="lw-result" aria-live="polite">
                {move || result.get().map(|r| {
                    let verdict = if r.fits {
                        format!("✓ Fits, with {} to spare", show(r.capacity_bytes - r.total_bytes))
                    } else {
                        format!("✗ Does not fit: {} short", show(r.total_bytes - r.capacity_bytes))
                    };
                    view! {
                        <p class=if r.fits { "lw-big lw-yes" } else { "lw-big lw-no" }>{verdict}</p>
                        <p class="lw-detail lw-ft-needed">{format!("{} needed of {} per GPU.", show(r.total_bytes), show(r.capacity_bytes))}</p>
                        <p class="lw-detail">{format!("{} trainable parameters.", group_thousands(r.trainable_params))}</p>
                    }
                })}
                <p class="lw-detail">"The peak is where the fp32 gradient of the loss arrives on top of every activation (or, fully fine-tuned on few GPUs, the optimizer step). LoRA's activations still flow through the frozen base, counted as full fine-tuning keeps them (an estimate); PEFT keeps adapters and their Adam states in fp32."</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_a_4090_with_qlora() {
        let s = Settings {
            method: "qlora".into(),
            rank: 16,
            targets: "all".into(),
            seq: 2048,
            batch: 1,
            checkpointing: true,
            stage: 0,
            gpus: 1,
        };
        let r = report("llama-3.1-8b", "rtx-4090", &s).unwrap();
        assert!(r.fits);
        assert_eq!(r.trainable_params, 41_943_040);
        assert!(!report("llama-3.1-8b", "rtx-4090", &Settings { method: "full".into(), ..s }).unwrap().fits);
    }
}

//! 06 · Tensor × pipeline × data parallel: what each GPU of a 3D-parallel
//! training run holds, stage by stage — its slice of the weights, gradients
//! and optimizer state, and the activations of the micro-batches in flight
//! ([`llmem_estimator::training_layout`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{device_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    hardware::device,
    presets::preset,
    training::{Recompute, ZeroStage},
    training_layout::{training_layout, Layout3d, StageMemory},
    units::format_tokens,
};

pub const TP_STEPS: [u64; 4] = [1, 2, 4, 8];
pub const PP_STEPS: [u64; 5] = [1, 2, 4, 8, 16];
pub const DP_STEPS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];
pub const SEQ_STEPS: [u64; 6] = [2048, 4096, 8192, 16_384, 32_768, 131_072];

/// The settings of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub model: String,
    pub tp: u64,
    pub pp: u64,
    pub dp: u64,
    pub zero: u8,
    pub seq: u64,
    pub checkpointing: bool,
}

/// Every stage's memory, or what is wrong with the split.
pub fn layout_for(s: &Setting) -> Result<Vec<StageMemory>, String> {
    let (arch, l) = inputs(s)?;
    training_layout(&arch, &l).map_err(|e| e.to_string())
}

/// The model and the layout of a setting.
fn inputs(s: &Setting) -> Result<(llmem_estimator::ModelArch, Layout3d), String> {
    let arch = preset(&s.model).and_then(|p| p.arch()).map_err(|e| e.to_string())?;
    let l = Layout3d {
        tp: s.tp,
        pp: s.pp,
        dp: s.dp,
        zero: ZeroStage::from_u8(s.zero).map_err(|e| e.to_string())?,
        seq: s.seq,
        recompute: if s.checkpointing { Recompute::Full } else { Recompute::None },
        ..Layout3d::default()
    };
    Ok((arch, l))
}

/// The formula of the fullest stage, the one the result names.
fn fullest_formula(s: &Setting, stages: &[StageMemory]) -> Option<llmem_estimator::formula::Formula> {
    let (arch, l) = inputs(s).ok()?;
    let top = stages.iter().max_by_key(|m| m.per_gpu_bytes)?;
    llmem_estimator::training_layout::stage_formula(&arch, &l, top).ok()
}

/// The bar segments of one stage.
pub fn segments(m: &StageMemory) -> Vec<Segment> {
    vec![
        Segment { label: "Weights (bf16)", bytes: m.states.params_bytes, class: "lw-c-weights" },
        Segment { label: "Gradients", bytes: m.states.grads_bytes, class: "lw-c-grad" },
        Segment { label: "Optimizer state", bytes: m.states.optimizer_bytes, class: "lw-c-opt" },
        Segment { label: "Activations", bytes: m.activation_bytes, class: "lw-c-act" },
    ]
}

/// "Stage 1 · layers 1–20 · 4 micro-batches in flight".
pub fn stage_label(m: &StageMemory, stages: usize) -> String {
    let which = if stages == 1 { "Every GPU".to_string() } else { format!("Stage {}", m.stage + 1) };
    let flight = if m.in_flight == 1 { "1 micro-batch".to_string() } else { format!("{} micro-batches", m.in_flight) };
    format!("{which} · layers {}–{} · {flight} in flight", m.first_layer + 1, m.first_layer + m.layers)
}

/// The sentence under the bars.
pub fn verdict(s: &Setting, stages: &[StageMemory], budget: u64, device_name: &str) -> String {
    let gpus = s.tp * s.pp * s.dp;
    let Some(top) = stages.iter().max_by_key(|m| m.per_gpu_bytes) else { return String::new() };
    let who = if stages.len() == 1 {
        "Each GPU holds".to_string()
    } else {
        format!("The fullest, each GPU of stage {}, holds", top.stage + 1)
    };
    let mut out = format!(
        "{gpus} GPU{} ({} × {} × {}). {who} {} of the {device_name}'s {}",
        if gpus == 1 { "" } else { "s" },
        s.tp,
        s.pp,
        s.dp,
        show(top.per_gpu_bytes),
        show(budget)
    );
    if top.per_gpu_bytes <= budget {
        out.push_str(": it fits.");
    } else {
        let hint = if !s.checkpointing { "turn on activation checkpointing, " } else { "" };
        let shard = if s.zero < 3 && s.dp > 1 { "shard more with ZeRO, " } else { "" };
        out.push_str(&format!(
            ": it does not fit. To make room, {hint}{shard}raise TP or PP, or shorten the sequences."
        ));
    }
    out
}

/// The 3D-parallel layout widget.
#[component]
pub fn ParallelLayout(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let tp = RwSignal::new(params.u64("tp"));
    let pp = RwSignal::new(params.u64("pp"));
    let dp = RwSignal::new(params.u64("dp"));
    let zero = RwSignal::new(params.get("zero").to_string());
    let seq = RwSignal::new(params.u64("seq"));
    let ckpt = RwSignal::new(params.get("ckpt").to_string());
    let gpu = RwSignal::new(params.get("device").to_string());
    let setting = Memo::new(move |_| Setting {
        model: model.get(),
        tp: tp.get(),
        pp: pp.get(),
        dp: dp.get(),
        zero: zero.get().parse().unwrap_or(1),
        seq: seq.get(),
        checkpointing: ckpt.get() == "on",
    });
    let stages = Memo::new(move |_| layout_for(&setting.get()));
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || fullest_formula(&setting.get(), stages.get().ok()?.as_slice()));
    let dev = Memo::new(move |_| device(&gpu.get()).ok());
    let budget = Signal::derive(move || dev.get().map_or(0, |d| d.gpu_budget_bytes()));
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("tp", tp.get().to_string()),
            ("pp", pp.get().to_string()),
            ("dp", dp.get().to_string()),
            ("zero", zero.get()),
            ("seq", seq.get().to_string()),
            ("ckpt", ckpt.get()),
            ("device", gpu.get()),
        ]
    });
    let zero_options: Vec<(String, String)> =
        ["0", "1", "2", "3"].iter().map(|s| (s.to_string(), format!("ZeRO-{s}"))).collect();
    let gpus_text = |n: u64| format!("{n} GPU{}", if n == 1 { "" } else { "s" });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-par" formula
            subtitle="Tensor parallelism splits every layer across GPUs, pipeline parallelism gives each GPU a run of layers, data parallelism copies the whole arrangement and ZeRO shares the copies' states.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-tp") label="Tensor parallel (within a layer)" steps=&TP_STEPS
                    count=Signal::stored(TP_STEPS.len()) value=tp text=Callback::new(gpus_text) />
                <StepSlider id=format!("{uid}-pp") label="Pipeline stages" steps=&PP_STEPS
                    count=Signal::stored(PP_STEPS.len()) value=pp
                    text=Callback::new(|n: u64| format!("{n} stage{}", if n == 1 { "" } else { "s" })) />
                <StepSlider id=format!("{uid}-dp") label="Data-parallel copies" steps=&DP_STEPS
                    count=Signal::stored(DP_STEPS.len()) value=dp
                    text=Callback::new(|n: u64| format!("{n} cop{}", if n == 1 { "y" } else { "ies" })) />
                <Choice name=format!("{uid}-zero") legend="Sharding over the copies" options=zero_options value=zero />
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq
                    text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
                <Choice name=format!("{uid}-ckpt") legend="Activation checkpointing"
                    options=vec![("off".into(), "Off".into()), ("on".into(), "On".into())] value=ckpt />
                <Select id=format!("{uid}-device") label="GPU" options=device_options() value=gpu />
            </div>
            <div class="lw-result" aria-live="polite">
                {move || match stages.get() {
                    Ok(list) => view! {
                        <p class="lw-detail">{verdict(&setting.get(), &list, budget.get(), dev.get().map_or("", |d| d.name))}</p>
                    }.into_any(),
                    Err(e) => view! { <p class="lw-detail lw-warn">{format!("This split does not work: {e}")}</p> }.into_any(),
                }}
            </div>
            <div class="lw-stages">
                {move || stages.get().ok().map(|list| {
                    let n = list.len();
                    list.into_iter().map(|m| {
                        let label = stage_label(&m, n);
                        let segs = segments(&m);
                        view! { <StackedBar label=label segments=segs scale=budget /> }
                    }).collect_view()
                })}
            </div>
            <p class="lw-source">"An estimate: Megatron-LM's splits (sequence parallelism on with TP, 1F1B pipeline schedule with at least as many micro-batches as stages), mixed-precision Adam, micro-batch 1, FlashAttention; each bar is scaled to the GPU's memory. Every TP rank of a stage, and every data-parallel copy, holds the same. Not counted: communication buffers and fragmentation."</p>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Setting {
        Setting { model: "llama-3.1-70b".into(), tp: 8, pp: 4, dp: 8, zero: 1, seq: 4096, checkpointing: false }
    }

    #[test]
    fn seventy_b_fits_on_256_h100s() {
        let s = default();
        let stages = layout_for(&s).unwrap();
        assert_eq!(stage_label(&stages[0], 4), "Stage 1 · layers 1–20 · 4 micro-batches in flight");
        assert_eq!(stage_label(&stages[3], 4), "Stage 4 · layers 61–80 · 1 micro-batch in flight");
        let h100 = device("h100-sxm").unwrap();
        let v = verdict(&s, &stages, h100.gpu_budget_bytes(), h100.name);
        assert!(v.starts_with("256 GPUs (8 × 4 × 8). The fullest, each GPU of stage 1, holds 28.8 GB"), "{v}");
        assert!(v.ends_with("it fits."), "{v}");
        // On one GPU it cannot.
        let one = Setting { tp: 1, pp: 1, dp: 1, zero: 0, ..default() };
        let v = verdict(&one, &layout_for(&one).unwrap(), h100.gpu_budget_bytes(), h100.name);
        assert!(v.starts_with("1 GPU (1 × 1 × 1). Each GPU holds 1.26 TB"), "{v}");
        assert!(v.contains("it does not fit. To make room, turn on activation checkpointing, raise TP"), "{v}");
    }

    #[test]
    fn bad_split_is_explained() {
        let s = Setting { model: "qwen2.5-7b".into(), tp: 8, ..default() };
        assert!(layout_for(&s).unwrap_err().contains("28"));
    }
}

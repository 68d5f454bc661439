//! 01 · Store or recompute: a slider from storing every layer's
//! activations to recomputing them all, with memory and compute meters in
//! the estimator's exact figures for a named model
//! ([`llmem_estimator::training::partial_recompute_bytes`]).

use crate::controls::{attention_kernel, attention_options, model_options, next_uid, Select, Slider, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::{show, Bytes};
use leptos::prelude::*;
use llmem_estimator::{
    presets::preset,
    training::{partial_recompute_bytes, recompute_compute_factor},
    units::{self, fixed, format_tokens},
};

/// Sequence lengths offered.
pub const SEQ_STEPS: [u64; 9] = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536, 131_072];

/// Layers recomputed at `percent`: rounded down, so only 100% recomputes
/// every layer (99% of 32 layers is 31).
pub fn recomputed_layers(layers: u64, percent: u32) -> u64 {
    layers * u64::from(percent.min(100)) / 100
}

/// The regime for a share of recomputed layers.
pub fn regime(percent: u32) -> &'static str {
    match percent {
        0..=32 => "Store almost everything: the fastest steps, the most memory. Fine while activations fit.",
        33..=66 => {
            "Balanced: keep some layers' activations, rebuild the rest. What most large training runs settle on."
        }
        _ => "Recompute aggressively: memory falls to the layer inputs, at up to a third more compute per step.",
    }
}

/// The "Store or recompute" widget.
#[component]
pub fn StoreRecompute(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let percent = RwSignal::new(params.u64("recompute") as u32);
    let model = RwSignal::new(params.get("model").to_string());
    let seq = RwSignal::new(params.u64("seq"));
    let attention = RwSignal::new(params.get("attention").to_string());
    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    let layers = Memo::new(move |_| arch.get().map_or(1, |a| a.num_layers));
    let recomputed = Memo::new(move |_| recomputed_layers(layers.get(), percent.get()));
    let memory = Memo::new(move |_| {
        let a = arch.get()?;
        let kernel = attention_kernel(&attention.get());
        let m = |r| partial_recompute_bytes(&a, seq.get(), 1, kernel, r).ok();
        Some((m(recomputed.get())?, m(0)?, m(a.num_layers)?))
    });
    let compute = Memo::new(move |_| recompute_compute_factor(layers.get(), recomputed.get()));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let kernel = attention_kernel(&attention.get());
        llmem_estimator::training::recompute_formula(&arch.get()?, seq.get(), 1, kernel, recomputed.get()).ok()
    });
    let state = Signal::derive(move || {
        vec![
            ("recompute", percent.get().to_string()),
            ("model", model.get()),
            ("seq", seq.get().to_string()),
            ("attention", attention.get()),
        ]
    });
    let mem_now = Signal::derive(move || memory.get().map_or(0, |m| m.0));
    let mem_fraction = move || memory.get().map_or(0.0, |(now, all, _)| now as f64 / all.max(1) as f64);
    let compute_fraction = move || (compute.get() - 1.0) / (4.0 / 3.0 - 1.0);
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-recompute" formula
            subtitle="Activation checkpointing trades memory for compute. Slide from keeping everything to rebuilding everything.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq
                    text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
                <Select id=format!("{uid}-attention") label="Attention" options=attention_options() value=attention />
            </div>
            <div class="lw-field lw-wide">
                <Slider id=format!("{uid}-recompute") label="Layers recomputed in the backward pass" min=0
                    max=Signal::stored(100u32) value=percent
                    text=Callback::new(move |p: u32| format!("{p}% ({} of {} layers)", recomputed_layers(layers.get(), p), layers.get())) />
                <div class="lw-ends" aria-hidden="true"><span>"◀ store everything"</span><span>"recompute everything ▶"</span></div>
            </div>
            <div class="lw-meters">
                <div class="lw-meter">
                    <div class="lw-meter-head"><span>"Activation memory"</span><Bytes bytes=mem_now /></div>
                    <span class="lw-bar-track" aria-hidden="true"><span class="lw-bar-fill lw-c-act"
                        style:width=move || format!("{}%", fixed(mem_fraction() * 100.0, 2))></span></span>
                    <div class="lw-ends" aria-hidden="true"><span>"0"</span><span>"storing every layer"</span></div>
                </div>
                <div class="lw-meter">
                    <div class="lw-meter-head"><span>"Compute per training step"</span>
                        <span class="lw-num">{move || format!("{}×", fixed(compute.get(), 2))}</span></div>
                    <span class="lw-bar-track" aria-hidden="true"><span class="lw-bar-fill lw-c-opt"
                        style:width=move || format!("{}%", fixed(4.0 + compute_fraction() * 96.0, 2))></span></span>
                    <div class="lw-ends" aria-hidden="true"><span>"1.00× (no recomputation)"</span><span>"1.33× (every layer)"</span></div>
                </div>
            </div>
            <div class="lw-result" aria-live="polite">
                <p class="lw-detail"><strong>{move || regime(percent.get())}</strong></p>
                <p class="lw-detail">{move || memory.get().map(|(now, all, none)| format!(
                    "{} of activations at micro-batch 1 with {} attention: {} of the {} that storing every layer takes, against {} if every layer is recomputed.",
                    show(now), attention_kernel(&attention.get()).label(), units::percent(now as f64 * 100.0 / all.max(1) as f64), show(all), show(none)))}</p>
            </div>
        </WidgetFrame>
    }
}

//! 07 · The memory hierarchy as a device sees it: on-chip SRAM, device
//! memory, host DRAM over PCIe and NVMe, on a log bandwidth scale with
//! capacities, and how long reading a model's weights once takes from each
//! ([`llmem_estimator::hardware::hierarchy`]).

use crate::controls::{device_options, model_options, next_uid, Select};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::units::fixed;
use llmem_estimator::{
    hardware::{device, hierarchy, stream_seconds},
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::preset,
    units::format_seconds,
};

use llmem_estimator::units::format_rate as rate;

/// The memory hierarchy widget.
#[component]
pub fn Hierarchy(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let dev = RwSignal::new(params.get("device").to_string());
    let model = RwSignal::new(params.get("model").to_string());
    let tier = RwSignal::new(params.get("tier").to_string());
    let tiers = Memo::new(move |_| device(&dev.get()).map(hierarchy).unwrap_or_default());
    let weights = Memo::new(move |_| {
        preset(&model.get())
            .and_then(|p| p.arch())
            .and_then(|a| weights_footprint(&a, WeightFormat::Float(Dtype::Bf16)))
            .map_or(0, |w| w.total_bytes)
    });
    // A tier the device lacks (e.g. host DRAM on unified memory) falls back to device memory.
    let selected = Memo::new(move |_| {
        let t = tiers.get();
        t.iter().position(|x| x.id == tier.get()).or_else(|| t.iter().position(|x| x.id == "hbm")).unwrap_or(0)
    });
    let state = Signal::derive(move || vec![("device", dev.get()), ("model", model.get()), ("tier", tier.get())]);
    let log_width = move |bw: f64| {
        let lo = 1e9f64.log10();
        let hi = 2e13f64.log10();
        ((bw.max(1e9).log10() - lo) / (hi - lo) * 100.0).clamp(4.0, 100.0)
    };
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let t = tiers.get().get(selected.get()).cloned()?;
        Some(llmem_estimator::hardware::stream_formula(weights.get(), t.bandwidth, &t.source))
    });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-hier" formula
            subtitle="Faster memory is smaller. Bars show bandwidth on a log scale; pick a tier to see its role and how long reading the weights from it takes.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <Select id=format!("{uid}-model") label="Model (bf16 weights)" options=model_options() value=model />
            </div>
            <div class="lw-tiers" role="group" aria-label="Memory tiers">
                {move || tiers.get().into_iter().enumerate().map(|(i, t)| {
                    let id = t.id;
                    view! {
                        <button type="button" class="lw-tier" aria-pressed=move || (selected.get() == i).to_string()
                            on:click=move |_| tier.set(id.to_string())>
                            <span class="lw-tier-name">{t.name}</span>
                            <span class="lw-tier-meta">{format!("{} · {}", show(t.capacity_bytes), rate(t.bandwidth))}</span>
                            <span class="lw-bar-track" aria-hidden="true"><span class="lw-bar-fill lw-c-weights"
                                style:width=format!("{}%", fixed(log_width(t.bandwidth), 1))></span></span>
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="lw-result" aria-live="polite">
                {move || tiers.get().get(selected.get()).cloned().map(|t| view! {
                    <p class="lw-big">{format_seconds(stream_seconds(weights.get(), t.bandwidth))}
                        " "<span class="lw-big-label">{format!("to read the model's {} of weights once from this tier: {}", show(weights.get()), t.name)}</span></p>
                    <p class="lw-detail">{t.role}</p>
                    <p class="lw-detail lw-warn">{(weights.get() > t.capacity_bytes).then(|| format!("The weights do not fit in this tier ({}).", show(t.capacity_bytes)))}</p>
                    <p class="lw-source">"Source: "{t.source}</p>
                })}
            </div>
        </WidgetFrame>
    }
}

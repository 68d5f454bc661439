//! 02 · Weights footprint: a model in any storage format — total bytes,
//! bits per parameter with every scale counted, what stays unquantized,
//! which real devices can hold it, and all formats side by side.

use crate::bars::Bar;
use crate::controls::{model_arch, model_options_with_custom, next_uid, Select, SizeSlider};
use crate::frame::{SubHeading, WidgetFrame};
use crate::params::Params;
use crate::units::{show, Bytes};
use leptos::prelude::*;
use llmem_estimator::units::{fixed, percent};
use llmem_estimator::{
    hardware::DEVICES,
    precision::{weights_footprint, WeightFormat, WeightsFootprint},
    units::group_thousands,
    ModelArch,
};

/// Every format's footprint for the model, in [`WeightFormat::ALL`] order.
pub fn all_formats(arch: &ModelArch) -> Option<Vec<WeightsFootprint>> {
    WeightFormat::ALL.iter().map(|f| weights_footprint(arch, *f).ok()).collect()
}

/// The weights footprint widget.
#[component]
pub fn Weights(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let format = RwSignal::new(params.get("format").to_string());
    let size = RwSignal::new(params.u64("size") as u32);
    let arch = Memo::new(move |_| model_arch(&model.get(), size.get()));
    let footprints = Memo::new(move |_| arch.with(|a| a.as_ref().and_then(all_formats)));
    let current = Memo::new(move |_| {
        let f = WeightFormat::parse(&format.get()).ok()?;
        let i = WeightFormat::ALL.iter().position(|x| *x == f)?;
        footprints.get().and_then(|v| v.get(i).cloned())
    });
    let state = Signal::derive(move || {
        vec![("model", model.get()), ("size", size.get().to_string()), ("format", format.get())]
    });
    let format_options: Vec<(String, String)> =
        WeightFormat::ALL.iter().map(|f| (f.id().to_string(), f.label().to_string())).collect();
    let total = Signal::derive(move || current.get().map_or(0, |c| c.total_bytes));
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || current.get().map(|c| llmem_estimator::precision::footprint_formula(&c)));
    let largest = move || footprints.get().and_then(|v| v.iter().map(|f| f.total_bytes).max()).unwrap_or(1).max(1);
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-weights" formula
            subtitle="Parameters times bytes per parameter — plus the scales and zero points a real quantized format stores.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options_with_custom() value=model />
                <Select id=format!("{uid}-format") label="Storage format" options=format_options value=format />
                <SizeSlider id=format!("{uid}-size") max=180 size=size model=model arch=arch />
            </div>
            <div class="lw-result" aria-live="polite">
                <p class="lw-big"><Bytes bytes=total />" "<span class="lw-big-label">"of weights"</span></p>
                <p class="lw-detail">{move || current.get().map(|c| format!(
                    "{} bits per parameter · {} · {} parameters",
                    fixed(c.bits_per_param, 3), c.format.description(), group_thousands(c.params)))}</p>
                <p class="lw-detail">{move || current.get().filter(|c| c.quantized_params > 0).map(|c| format!(
                    "Quantized: {} parameters in {} (of which {} are scales, zero points and indices). Kept in {}: {} parameters in {}.",
                    group_thousands(c.quantized_params), show(c.quantized_bytes), show(c.scale_bytes),
                    c.kept_dtype.label(), group_thousands(c.kept_params), show(c.kept_bytes)))}</p>
            </div>
            <SubHeading mode=params.mode text="Which devices can hold these weights" />
            <ul class="lw-fits">
                {DEVICES.iter().map(|d| {
                    let fits = move || total.get() <= d.capacity_bytes;
                    view! {
                        <li class:lw-yes=fits class:lw-no=move || !fits()>
                            <span class="lw-mark" aria-hidden="true">{move || if fits() { "✓" } else { "✗" }}</span>
                            <span class="visually-hidden">{move || if fits() { "Fits: " } else { "Too big: " }}</span>
                            {d.name}
                            <span class="lw-fit-short" aria-hidden="true">{move || format!(
                                " · {}", percent(total.get() as f64 * 100.0 / d.capacity_bytes as f64))}</span>
                            <span class="lw-fit-figures">{move || format!(
                                "{} of its {} (sold as {})", percent(total.get() as f64 * 100.0 / d.capacity_bytes as f64),
                                show(d.capacity_bytes), d.marketed)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="lw-detail">"Weights alone: a running model also needs room for its KV cache and activations."</p>
            <SubHeading mode=params.mode text="Every format, same model" />
            <ul class="lw-bars">
                {WeightFormat::ALL.iter().enumerate().map(|(i, f)| {
                    let f = *f;
                    let bytes = move || footprints.get().and_then(|v| v.get(i).map(|x| x.total_bytes)).unwrap_or(0);
                    view! {
                        <Bar label=f.label().to_string()
                            value=Signal::derive(move || show(bytes()))
                            fraction=Signal::derive(move || bytes() as f64 / largest() as f64)
                            current=Signal::derive(move || WeightFormat::parse(&format.get()).ok() == Some(f))
                            class="lw-c-weights" />
                    }
                }).collect_view()}
            </ul>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_formats() {
        let v = all_formats(&llmem_estimator::presets::preset("llama-3.1-8b").unwrap().arch().unwrap()).unwrap();
        assert_eq!(v.len(), WeightFormat::ALL.len());
        assert_eq!(v[0].total_bytes, 8_030_261_248 * 4);
        let q4 = v.iter().find(|f| f.format == WeightFormat::GgufQ4KM).unwrap();
        assert_eq!(q4.total_bytes, 4_912_898_048);
    }

    /// The custom 13B is Llama 2 13B's shape: 13,015,864,320 parameters.
    #[test]
    fn custom_size() {
        let a = crate::controls::model_arch("custom", 13).unwrap();
        let v = all_formats(&a).unwrap();
        assert_eq!(v[0].total_bytes, 13_015_864_320 * 4);
        assert!(crate::controls::model_arch("custom", 0).is_none());
    }
}

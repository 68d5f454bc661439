//! 07 · The bandwidth race: every device reading a model's weights and one
//! sequence's KV cache once — the floor under each decoded token — side by
//! side, with the devices that cannot hold the model marked
//! ([`llmem_estimator::hardware::stream_race`]).

use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    hardware::{stream_race, Lane},
    kv_cache::kv_cache,
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::preset,
    units::{fixed, format_seconds, format_tokens},
};

pub const CONTEXT_STEPS: [u64; 7] = [1024, 4096, 8192, 32_768, 65_536, 131_072, 1_048_576];

/// Bytes one decode step reads: (weights, KV cache of one sequence).
pub fn bytes_for(model: &str, format: &str, context: u64) -> Option<(u64, u64)> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    let format = WeightFormat::parse(format).ok()?;
    let weights = weights_footprint(&arch, format).ok()?.total_bytes;
    let kv = kv_cache(&arch, Dtype::Bf16, context, 1).ok()?.total_bytes;
    Some((weights, kv))
}

/// A lane's bar: its ceiling in tokens per second against the fastest.
fn width(lane: &Lane, fastest: f64) -> String {
    if fastest <= 0.0 {
        return "0%".into();
    }
    format!("{}%", fixed((lane.steps_per_second() / fastest * 100.0).clamp(0.5, 100.0), 1))
}

/// The bandwidth-race widget.
#[component]
pub fn BandwidthRace(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let format = RwSignal::new(params.get("format").to_string());
    let context = RwSignal::new(params.u64("context"));
    let bytes = Memo::new(move |_| bytes_for(&model.get(), &format.get(), context.get()));
    let lanes = Memo::new(move |_| bytes.get().map(|(w, k)| stream_race(w.saturating_add(k))).unwrap_or_default());
    // The fastest device that holds the model, as the result names it.
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let (w, k) = bytes.get()?;
        let fastest = lanes.get().into_iter().find(|l| l.fits)?;
        Some(llmem_estimator::hardware::race_formula(w, k, fastest.device))
    });
    let state = Signal::derive(move || {
        vec![("model", model.get()), ("format", format.get()), ("context", context.get().to_string())]
    });
    let format_options: Vec<(String, String)> = WeightFormat::ALL
        .iter()
        .filter(|f| **f != WeightFormat::Float(Dtype::Fp32))
        .map(|f| (f.id().to_string(), f.label().to_string()))
        .collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-race" formula
            subtitle="Generating a token reads every weight and the whole KV cache once. How fast each device can do that sets a ceiling on its tokens per second.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Select id=format!("{uid}-format") label="Weights" options=format_options value=format />
                <StepSlider id=format!("{uid}-context") label="Tokens in the KV cache" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            {move || bytes.get().map(|(w, k)| view! {
                <p class="lw-detail">{format!("Each token reads {} of weights and {} of KV cache: {} per step.", show(w), show(k), show(w.saturating_add(k)))}</p>
            })}
            <ol class="lw-lanes">
                {move || {
                    let lanes = lanes.get();
                    let fastest = lanes.iter().filter(|l| l.fits).map(Lane::steps_per_second).fold(0.0, f64::max);
                    lanes.into_iter().map(|l| {
                        let d = l.device;
                        let text = if l.fits {
                            format!("{} per token · at most {} tokens/s", format_seconds(l.seconds), fixed(l.steps_per_second(), 1))
                        } else {
                            format!("does not fit: its GPU can use {}", show(d.gpu_budget_bytes()))
                        };
                        view! {
                            <li class="lw-lane" class:lw-lane-out=!l.fits>
                                <span class="lw-lane-name">{d.name}</span>
                                <span class="lw-lane-meta">{format!("{} · {}", llmem_estimator::units::format_rate(d.bandwidth), d.memory_kind)}</span>
                                <span class="lw-bar-track" aria-hidden="true">
                                    <span class=if l.fits { "lw-bar-fill lw-c-weights" } else { "lw-bar-fill lw-c-muted" }
                                        style:width=if l.fits { width(&l, fastest) } else { "0%".to_string() }></span>
                                </span>
                                <span class="lw-lane-time">{text}</span>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <div class="lw-result" aria-live="polite">
                {move || {
                    let lanes = lanes.get();
                    let fits: Vec<&Lane> = lanes.iter().filter(|l| l.fits).collect();
                    match (fits.first(), fits.last()) {
                        (Some(a), Some(b)) => format!(
                            "{} of the {} devices can hold it. The fastest, {}, reads it in {}; the slowest, {}, in {} — {}× longer for every token.",
                            fits.len(), lanes.len(), a.device.name, format_seconds(a.seconds), b.device.name, format_seconds(b.seconds),
                            fixed(b.seconds / a.seconds.max(f64::MIN_POSITIVE), 0)),
                        _ => "No device here can hold it: split it across GPUs or choose a smaller format.".to_string(),
                    }
                }}
                <p class="lw-source">"Peak bandwidths from each datasheet; real kernels reach 70–90% of them, and a batch of sequences shares one read of the weights."</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_8b_bf16_at_8k() {
        let (w, k) = bytes_for("llama-3.1-8b", "bf16", 8192).unwrap();
        assert_eq!(w, 16_060_522_496);
        assert_eq!(k, 8192 * 131_072);
        assert!(bytes_for("llama-3.1-8b", "no-format", 8192).is_none());
        let lanes = stream_race(w + k);
        let fastest = lanes[0].steps_per_second();
        assert_eq!(width(&lanes[0], fastest), "100.0%");
        assert_eq!(width(&lanes[0], 0.0), "0%");
    }
}

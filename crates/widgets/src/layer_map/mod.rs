//! 03 · The layer map: every layer of a model as a cell, filled by what it
//! keeps for one sequence at the chosen length — full attention growing,
//! sliding windows and chunks capped, recurrent layers holding a fixed
//! state ([`llmem_estimator::layer_map::layer_map`]).

use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    layer_map::{layer_map, LayerKeep, LayerMap},
    precision::Dtype,
    presets::preset,
    units::{fixed, format_tokens, group_thousands},
};

pub const CONTEXT_STEPS: [u64; 8] = [1024, 4096, 8192, 32_768, 131_072, 262_144, 524_288, 1_048_576];

/// The map for a preset at `context` tokens (bf16 cache); `None` for an
/// unknown preset, an error text for an impossible length.
pub fn map_for(model: &str, context: u64) -> Option<Result<LayerMap, String>> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    Some(layer_map(&arch, Dtype::Bf16, context).map_err(|e| e.to_string()))
}

/// A kind's colour class (the letter in each cell says the same in text).
fn class(k: LayerKeep) -> &'static str {
    match k {
        LayerKeep::Full => "lw-c-kv",
        LayerKeep::Sliding(_) => "lw-c-act",
        LayerKeep::Chunked(_) => "lw-c-opt",
        LayerKeep::Recurrent => "lw-c-weights",
        LayerKeep::Nothing => "lw-c-muted",
    }
}

/// A kind with its window or chunk: "sliding window (1,024)".
fn kind_text(k: LayerKeep) -> String {
    match k.span() {
        Some(s) => format!("{} ({})", k.label(), group_thousands(s)),
        None => k.label().to_string(),
    }
}

/// Height of a cell's fill, in percent of the largest layer (a layer that
/// keeps anything shows at least a sliver).
fn fill(bytes: u64, largest: u64) -> String {
    if bytes == 0 || largest == 0 {
        return "0%".into();
    }
    format!("{}%", fixed((bytes as f64 * 100.0 / largest as f64).max(4.0), 1))
}

/// The layer-map widget.
#[component]
pub fn LayerMapWidget(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let context = RwSignal::new(params.u64("context"));
    let data = Memo::new(move |_| map_for(&model.get(), context.get()));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let arch = preset(&model.get()).and_then(|p| p.arch()).ok()?;
        crate::formula::kv_formula(&arch, Dtype::Bf16, context.get(), 1)
    });
    let state = Signal::derive(move || vec![("model", model.get()), ("context", context.get().to_string())]);
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-layermap" formula
            subtitle="One cell per layer, filled by what that layer keeps for one sequence. Full attention grows with every token; windows, chunks and recurrent state do not.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-context") label="Tokens in the sequence" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            {move || match data.get() {
                Some(Ok(m)) => {
                    let largest = m.layers.iter().map(|l| l.bytes).max().unwrap_or(0);
                    let saved = m.all_full_bytes.saturating_sub(m.total_bytes);
                    view! {
                        <ol class="lw-layers" aria-hidden="true">
                            {m.layers.iter().enumerate().map(|(i, l)| view! {
                                <li class="lw-layer" title=format!("layer {i}: {}, {}", kind_text(l.keep), show(l.bytes))>
                                    <span class="lw-layer-track"><span class=format!("lw-layer-fill {}", class(l.keep))
                                        style:height=fill(l.bytes, largest)></span></span>
                                    <span class="lw-layer-letter">{l.keep.letter()}</span>
                                </li>
                            }).collect_view()}
                        </ol>
                        <ul class="lw-legend">
                            {m.groups.iter().map(|g| view! {
                                <li><span class=format!("lw-key {}", class(g.keep)) aria-hidden="true"></span>
                                    {format!("{} {} × {}", g.keep.letter(), g.layers, kind_text(g.keep))}</li>
                            }).collect_view()}
                        </ul>
                        <div class="lw-result" aria-live="polite">
                            <p class="lw-big">{show(m.total_bytes)}" "<span class="lw-big-label">
                                {format!("kept for one sequence of {} tokens", group_thousands(m.context))}</span></p>
                            <p class="lw-detail">{if saved == 0 {
                                "Every layer that attends keeps the whole sequence at this length: nothing is saved yet.".to_string()
                            } else {
                                format!("If every layer attended to the whole sequence it would be {} — {} more ({}× the cache).",
                                    show(m.all_full_bytes), show(saved), fixed(m.all_full_bytes as f64 / m.total_bytes.max(1) as f64, 1))
                            }}</p>
                            <table class="lw-table">
                                <caption class="visually-hidden">"What each kind of layer keeps"</caption>
                                <thead><tr><th scope="col">"Layers"</th><th scope="col">"Count"</th>
                                    <th scope="col">"Tokens kept each"</th><th scope="col">"Bytes each"</th><th scope="col">"Bytes"</th></tr></thead>
                                <tbody>
                                    {m.groups.iter().map(|g| view! {
                                        <tr><th scope="row">{kind_text(g.keep)}</th><td>{g.layers}</td>
                                            <td>{if g.keep == LayerKeep::Recurrent { "fixed state".to_string() } else { group_thousands(g.tokens) }}</td>
                                            <td>{show(g.bytes_per_layer)}</td><td>{show(g.bytes)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
                Some(Err(e)) => view! { <div class="lw-result"><p class="lw-detail lw-warn">{e}</p></div> }.into_any(),
                None => view! { <div class="lw-result"><p class="lw-detail">"No figure for these settings."</p></div> }.into_any(),
            }}
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemma_3_at_32k() {
        let m = map_for("gemma-3-27b", 32_768).unwrap().unwrap();
        assert_eq!(m.layers.len(), 62);
        assert!(map_for("no-such-model", 1024).is_none());
        assert_eq!(fill(0, 10), "0%");
        assert_eq!(fill(1, 1000), "4.0%");
        assert_eq!(fill(10, 10), "100.0%");
    }
}

//! 03 · Decoding, one token at a time: every step appends a key and a value
//! to each layer still growing, and the cache's bytes count up
//! ([`llmem_estimator::kv_cache::growth`], [`llmem_estimator::kv_cache::kv_cache`]).

use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::stepper::{StepButtons, Stepper};
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    arch::ModelArch,
    kv_cache::{growth, kv_cache},
    precision::Dtype,
    presets::preset,
    units::{format_tokens, group_thousands},
};
use std::time::Duration;

pub const PROMPT_STEPS: [u64; 6] = [16, 1024, 8192, 32_768, 131_072, 1_048_576];
/// Positions drawn: the newest tokens.
pub const SHOWN: u64 = 24;
/// Tokens a walk generates before it stops.
pub const MAX_STEPS: u64 = 64;

/// (cache bytes, bytes the next token adds) for one sequence of `tokens`.
pub fn cache_at(arch: &ModelArch, tokens: u64) -> Result<(u64, u64), String> {
    let total = kv_cache(arch, Dtype::Bf16, tokens, 1).map_err(|e| e.to_string())?.total_bytes;
    Ok((total, growth(arch, Dtype::Bf16, tokens).map_err(|e| e.to_string())?))
}

/// The decode step-through widget.
#[component]
pub fn DecodeSteps(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let prompt = RwSignal::new(params.u64("prompt"));
    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    // Tokens generated since the prompt; a new model or prompt starts again.
    let walker = Stepper::new(Signal::stored(MAX_STEPS), Duration::from_millis(300));
    let generated = walker.done;
    crate::erased::effect(move || {
        arch.track();
        prompt.track();
        walker.reset();
    });
    let state = Signal::derive(move || vec![("model", model.get()), ("prompt", prompt.get().to_string())]);
    let now = Memo::new(move |_| arch.get().map(|a| cache_at(&a, prompt.get().saturating_add(generated.get()))));
    let layers = Memo::new(move |_| arch.get().map_or(0, |a| a.num_layers));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        crate::formula::kv_formula(&arch.get()?, Dtype::Bf16, prompt.get().saturating_add(generated.get()), 1)
    });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-decode" formula
            subtitle="After the prompt, each generated token adds one key and one value to every attention layer. Step through and watch the cache grow.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-prompt") label="Prompt length" steps=&PROMPT_STEPS
                    count=Signal::stored(PROMPT_STEPS.len()) value=prompt
                    text=Callback::new(|p: u64| format!("{} tokens", format_tokens(p))) />
            </div>
            <StepButtons walker group="Generate tokens" step="Next token" reset="Back to the prompt" />
            <div class="lw-decode-grid" aria-hidden="true"
                style:grid-template-columns=format!("repeat({SHOWN}, 1fr)")>
                {move || {
                    let g = generated.get();
                    let rows = layers.get().min(64);
                    (0..rows).flat_map(|_| 0..SHOWN).map(|col| {
                        // Column SHOWN − 1 is the newest token; generated tokens fill from the right.
                        let age = SHOWN - 1 - col;
                        let class = if age < g { if age == 0 { "lw-decode-cell lw-decode-new" } else { "lw-decode-cell lw-decode-gen" } } else { "lw-decode-cell" };
                        view! { <span class=class></span> }
                    }).collect_view()
                }}
            </div>
            <p class="lw-detail lw-axis">{move || format!("Rows: the {} layers{}. Columns: the newest {SHOWN} positions; pale cells are the prompt.",
                layers.get(), if layers.get() > 64 { " (the first 64 drawn)" } else { "" })}</p>
            <div class="lw-result" aria-live="polite">
                {move || match now.get() {
                    Some(Ok((total, next))) => {
                        let tokens = prompt.get().saturating_add(generated.get());
                        view! {
                            <p class="lw-big">{show(total)}" "<span class="lw-big-label">
                                {format!("of KV cache after {} tokens ({} generated)", group_thousands(tokens), generated.get())}</span></p>
                            <p class="lw-detail">{if next == 0 {
                                "The next token adds nothing: every layer's cache is a full window or a fixed state.".to_string()
                            } else {
                                format!("The next token adds {} to it, in every layer whose cache is still growing.", show(next))
                            }}</p>
                        }.into_any()
                    }
                    Some(Err(e)) => view! { <p class="lw-detail lw-warn">{e}</p> }.into_any(),
                    None => view! { <p class="lw-detail">"No figure for these settings."</p> }.into_any(),
                }}
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_grows_by_its_bytes_per_token() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(cache_at(&a, 1024).unwrap(), (1024 * 131_072, 131_072));
    }
}

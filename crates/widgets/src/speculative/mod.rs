//! 09 · Speculative decoding: the draft model's weights and cache next to
//! the target's, and the speed the memory roof allows for a draft length
//! and acceptance rate ([`llmem_estimator::speculative::speculative`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{device_options, model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    hardware::device,
    precision::{Dtype, WeightFormat},
    presets::preset,
    speculative::{speculative, SpecQuery, SpecReport},
    units::{fixed, format_seconds, format_tokens},
};

pub const K_STEPS: [u64; 8] = [1, 2, 3, 4, 5, 6, 8, 10];
/// Acceptance rate in percent.
pub const ACCEPT_STEPS: [u64; 10] = [40, 50, 60, 65, 70, 75, 80, 85, 90, 95];
pub const CONTEXT_STEPS: [u64; 6] = [1024, 4096, 8192, 32_768, 131_072, 1_048_576];

/// The report for the widget's settings (bf16 weights and cache, one
/// sequence); `None` for an unknown model or device.
pub fn report(
    target: &str,
    draft: &str,
    dev: &str,
    k: u64,
    accept_percent: u64,
    context: u64,
) -> Option<Result<SpecReport, String>> {
    let t = preset(target).and_then(|p| p.arch()).ok()?;
    let d = preset(draft).and_then(|p| p.arch()).ok()?;
    let q = SpecQuery {
        target: &t,
        draft: &d,
        format: WeightFormat::Float(Dtype::Bf16),
        kv: Dtype::Bf16,
        context,
        batch: 1,
        k,
        acceptance: accept_percent.min(100) as f64 / 100.0,
        device: device(dev).ok()?,
    };
    Some(speculative(&q).map_err(|e| e.to_string()))
}

/// The speculative-decoding widget.
#[component]
pub fn Speculative(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let target = RwSignal::new(params.get("target").to_string());
    let draft = RwSignal::new(params.get("draft").to_string());
    let dev = RwSignal::new(params.get("device").to_string());
    let k = RwSignal::new(params.u64("k"));
    let accept = RwSignal::new(params.u64("accept"));
    let context = RwSignal::new(params.u64("context"));
    let data =
        Memo::new(move |_| report(&target.get(), &draft.get(), &dev.get(), k.get(), accept.get(), context.get()));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let r = data.get()?.ok()?;
        let alpha = accept.get().min(100) as f64 / 100.0;
        Some(llmem_estimator::speculative::speedup_formula(k.get(), alpha, &r))
    });
    let state = Signal::derive(move || {
        vec![
            ("target", target.get()),
            ("draft", draft.get()),
            ("device", dev.get()),
            ("k", k.get().to_string()),
            ("accept", accept.get().to_string()),
            ("context", context.get().to_string()),
        ]
    });
    let segments = Signal::derive(move || match data.get() {
        Some(Ok(r)) => vec![
            Segment { label: "target weights", bytes: r.target_weights, class: "lw-c-weights" },
            Segment { label: "target KV cache", bytes: r.target_kv, class: "lw-c-kv" },
            Segment { label: "draft weights", bytes: r.draft_weights, class: "lw-c-opt" },
            Segment { label: "draft KV cache", bytes: r.draft_kv, class: "lw-c-act" },
        ],
        _ => Vec::new(),
    });
    let capacity = Memo::new(move |_| device(&dev.get()).map_or(1, |d| d.gpu_budget_bytes()));
    let scale = Signal::derive(move || segments.get().iter().map(|s| s.bytes).sum::<u64>().max(capacity.get()));
    let bar_label = Signal::derive(move || {
        let name = device(&dev.get()).map_or("", |d| d.name);
        format!("On one {name} (its GPU can use {})", show(capacity.get()))
    });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-spec" formula
            subtitle="A small draft model guesses a few tokens; the large model checks them all in one pass. The draft costs memory; accepted guesses buy speed.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-target") label="Target model" options=model_options() value=target />
                <Select id=format!("{uid}-draft") label="Draft model" options=model_options() value=draft />
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <StepSlider id=format!("{uid}-k") label="Draft tokens per step" steps=&K_STEPS
                    count=Signal::stored(K_STEPS.len()) value=k text=Callback::new(|v: u64| v.to_string()) />
                <StepSlider id=format!("{uid}-accept") label="Acceptance rate" steps=&ACCEPT_STEPS
                    count=Signal::stored(ACCEPT_STEPS.len()) value=accept text=Callback::new(|v: u64| format!("{v}%")) />
                <StepSlider id=format!("{uid}-context") label="Tokens in the context" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            <StackedBar label=bar_label segments=segments scale=scale />
            <div class="lw-result" aria-live="polite">
                {move || match data.get() {
                    Some(Ok(r)) => {
                        let fits = r.total_bytes <= capacity.get();
                        view! {
                            <p class="lw-big">{format!("{}×", fixed(r.speedup, 2))}" "<span class="lw-big-label">
                                {format!("the memory roof's speed-up: {} per token instead of {}", format_seconds(r.spec_seconds_per_token), format_seconds(r.plain_seconds_per_token))}</span></p>
                            <p class="lw-detail">{format!(
                                "Each pass of the target yields {} tokens on average. The draft adds {} ({}% on top of the target alone).",
                                fixed(r.tokens_per_pass, 2), show(r.extra_bytes),
                                fixed(r.extra_bytes as f64 * 100.0 / (r.total_bytes - r.extra_bytes).max(1) as f64, 1))}</p>
                            <p class="lw-detail lw-warn">{(!fits).then(|| format!("Target and draft together need {}; this device's GPU can use {}.", show(r.total_bytes), show(capacity.get())))}</p>
                            <p class="lw-detail lw-warn">{(!r.same_vocab).then_some("The two models have different vocabularies: a draft must share the target's tokenizer, so this pair would not work.")}</p>
                            <p class="lw-detail">{(r.speedup < 1.0).then_some("Below 1×: the draft costs more time than its accepted tokens save. A smaller draft, fewer draft tokens or a better-matched draft helps.")}</p>
                        }.into_any()
                    }
                    Some(Err(e)) => view! { <p class="lw-detail lw-warn">{e}</p> }.into_any(),
                    None => view! { <p class="lw-detail">"No figure for these settings."</p> }.into_any(),
                }}
                <p class="lw-source">"Speed from the memory roof at batch 1 (each step reads its model's weights and cache once); Leviathan et al. 2023 for the expected tokens per pass."</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pair() {
        let r = report("llama-3.1-70b", "llama-3.2-1b", "mi300x", 4, 80, 8192).unwrap().unwrap();
        assert!(r.same_vocab && r.speedup > 3.0);
        assert!(report("llama-3.1-70b", "nope", "mi300x", 4, 80, 8192).is_none());
        assert!(report("llama-3.1-70b", "llama-3.2-1b", "mi300x", 0, 80, 8192).unwrap().is_err());
    }
}

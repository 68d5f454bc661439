//! 08 · The context window's budget: system prompt, tool definitions,
//! retrieved chunks and the answer's reserve come first; the conversation
//! gets what is left, and the whole window is KV cache on the server
//! ([`llmem_estimator::context_window::budget`]).

use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    context_window::{budget, Budget, BudgetRequest},
    kv_cache::kv_cache,
    precision::Dtype,
    presets::preset,
    units::{fixed, format_tokens, group_thousands},
};

pub const LIMIT_STEPS: [u64; 5] = [8_192, 32_768, 131_072, 262_144, 1_048_576];
pub const SYSTEM_STEPS: [u64; 7] = [0, 500, 1_000, 2_000, 4_000, 8_000, 16_000];
pub const TOOL_STEPS: [u64; 6] = [0, 1_000, 3_000, 6_000, 12_000, 24_000];
pub const CHUNK_COUNT_STEPS: [u64; 7] = [0, 2, 4, 8, 16, 32, 64];
pub const CHUNK_STEPS: [u64; 5] = [128, 256, 512, 1_024, 2_048];
pub const OUTPUT_STEPS: [u64; 6] = [512, 1_024, 4_096, 8_192, 16_384, 32_768];
pub const TURN_STEPS: [u64; 5] = [200, 400, 800, 1_600, 3_200];

/// KV bytes of one conversation that fills the window as far as the parts
/// go (bf16 cache); `None` for an unknown model.
pub fn window_kv(model: &str, limit: u64, b: &Budget) -> Option<u64> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    let used = b.fixed.saturating_add(b.history).min(limit).max(1);
    kv_cache(&arch, Dtype::Bf16, used, 1).ok().map(|k| k.total_bytes)
}

/// One part of the window.
struct Part {
    label: &'static str,
    tokens: u64,
    class: &'static str,
}

fn parts(r: &BudgetRequest, b: &Budget) -> Vec<Part> {
    vec![
        Part { label: "system prompt", tokens: r.system, class: "lw-c-muted" },
        Part { label: "tool definitions", tokens: r.tools, class: "lw-c-opt" },
        Part { label: "retrieved chunks", tokens: b.retrieved, class: "lw-c-act" },
        Part { label: "conversation history", tokens: b.history, class: "lw-c-weights" },
        Part { label: "reserved for the answer", tokens: r.output, class: "lw-c-kv" },
    ]
}

/// The context-budget widget.
#[component]
pub fn ContextBudget(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let limit = RwSignal::new(params.u64("limit"));
    let system = RwSignal::new(params.u64("system"));
    let tools = RwSignal::new(params.u64("tools"));
    let chunks = RwSignal::new(params.u64("chunks"));
    let chunk = RwSignal::new(params.u64("chunk"));
    let output = RwSignal::new(params.u64("output"));
    let turn = RwSignal::new(params.u64("turn"));
    let request = Memo::new(move |_| BudgetRequest {
        limit: limit.get(),
        system: system.get(),
        tools: tools.get(),
        chunks: chunks.get(),
        chunk_tokens: chunk.get(),
        output: output.get(),
        turn_tokens: turn.get(),
    });
    let split = Memo::new(move |_| budget(&request.get()));
    // Over the limit, no turn fits and the figure says so instead.
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        (split.get().over == 0).then(|| llmem_estimator::context_window::turns_formula(&request.get()))
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("limit", limit.get().to_string()),
            ("system", system.get().to_string()),
            ("tools", tools.get().to_string()),
            ("chunks", chunks.get().to_string()),
            ("chunk", chunk.get().to_string()),
            ("output", output.get().to_string()),
            ("turn", turn.get().to_string()),
        ]
    });
    let tokens = |v: u64| format!("{} tokens", group_thousands(v));
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-budget" formula
            subtitle="Everything an agent sends competes for one window. The fixed parts are paid on every request; the conversation gets what is left.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-limit") label="Context limit" steps=&LIMIT_STEPS
                    count=Signal::stored(LIMIT_STEPS.len()) value=limit
                    text=Callback::new(|v: u64| format!("{} tokens", format_tokens(v))) />
                <StepSlider id=format!("{uid}-system") label="System prompt" steps=&SYSTEM_STEPS
                    count=Signal::stored(SYSTEM_STEPS.len()) value=system text=Callback::new(tokens) />
                <StepSlider id=format!("{uid}-tools") label="Tool definitions" steps=&TOOL_STEPS
                    count=Signal::stored(TOOL_STEPS.len()) value=tools text=Callback::new(tokens) />
                <StepSlider id=format!("{uid}-chunks") label="Retrieved chunks" steps=&CHUNK_COUNT_STEPS
                    count=Signal::stored(CHUNK_COUNT_STEPS.len()) value=chunks text=Callback::new(|v: u64| v.to_string()) />
                <StepSlider id=format!("{uid}-chunk") label="Tokens per chunk" steps=&CHUNK_STEPS
                    count=Signal::stored(CHUNK_STEPS.len()) value=chunk text=Callback::new(tokens) />
                <StepSlider id=format!("{uid}-output") label="Reserved for the answer" steps=&OUTPUT_STEPS
                    count=Signal::stored(OUTPUT_STEPS.len()) value=output text=Callback::new(tokens) />
                <StepSlider id=format!("{uid}-turn") label="Tokens per turn" steps=&TURN_STEPS
                    count=Signal::stored(TURN_STEPS.len()) value=turn text=Callback::new(tokens) />
                <Select id=format!("{uid}-model") label="Model (for the KV cache)" options=model_options() value=model />
            </div>
            <div class="lw-budget-bar" aria-hidden="true">
                {move || {
                    let (r, b) = (request.get(), split.get());
                    parts(&r, &b).into_iter().filter(|p| p.tokens > 0).map(|p| view! {
                        <span class=format!("lw-budget-part {}", p.class) style:flex-grow=p.tokens.to_string()></span>
                    }).collect_view()
                }}
            </div>
            <ul class="lw-legend">
                {move || {
                    let (r, b) = (request.get(), split.get());
                    parts(&r, &b).into_iter().map(|p| view! {
                        <li><span class=format!("lw-key {}", p.class) aria-hidden="true"></span>{p.label}" "
                            <span class="lw-num">{group_thousands(p.tokens)}</span></li>
                    }).collect_view()
                }}
            </ul>
            <div class="lw-result" aria-live="polite">
                {move || {
                    let (r, b) = (request.get(), split.get());
                    if b.over > 0 {
                        view! {
                            <p class="lw-big lw-no">"✗ Over the limit"</p>
                            <p class="lw-detail lw-warn">{format!(
                                "The fixed parts need {} tokens, {} more than the window holds, before any conversation: retrieve fewer or smaller chunks, trim the tool definitions or reserve less for the answer.",
                                group_thousands(b.fixed), group_thousands(b.over))}</p>
                        }.into_any()
                    } else {
                        view! {
                            <p class="lw-big">{format!("{} turns", group_thousands(b.turns))}" "<span class="lw-big-label">
                                {format!("of {} tokens fit in the {} tokens left for the conversation", group_thousands(r.turn_tokens), group_thousands(b.history))}</span></p>
                            <p class="lw-detail">{format!(
                                "The fixed parts take {}% of the window and are sent again with every request.",
                                fixed(b.fixed as f64 * 100.0 / r.limit.max(1) as f64, 1))}</p>
                        }.into_any()
                    }
                }}
                {move || window_kv(&model.get(), limit.get(), &split.get()).map(|kv| view! {
                    <p class="lw-detail">{format!("Once the window is full, the server holds {} of KV cache for this one conversation (bf16).", show(kv))}</p>
                })}
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_window_kv() {
        let r = BudgetRequest {
            limit: 131_072,
            system: 2_000,
            tools: 3_000,
            chunks: 8,
            chunk_tokens: 512,
            output: 4_096,
            turn_tokens: 800,
        };
        let b = budget(&r);
        assert_eq!(window_kv("llama-3.1-8b", r.limit, &b), Some(131_072 * 131_072));
        assert_eq!(parts(&r, &b).iter().map(|p| p.tokens).sum::<u64>(), r.limit);
        assert!(window_kv("nope", r.limit, &b).is_none());
    }
}

//! 08 · The context window as working memory: add turns until the window
//! fills, summarize the old ones, and watch the oldest fall out — the
//! simulation is [`llmem_estimator::context_window::ContextWindow`].

use crate::controls::{next_uid, Select, Slider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use leptos::prelude::*;
use llmem_estimator::units::{fixed, percent};
use llmem_estimator::{
    context_window::{ContextWindow, Event, CONTEXT_LIMITS},
    units::group_thousands,
};

/// Fill at which the bar turns to "nearly full".
pub const NEAR_FULL: f64 = 0.8;

/// What the live region says after an action.
pub fn describe(e: &Event, w: &ContextWindow) -> String {
    match e {
        Event::Added { turn, tokens } => {
            let state = if w.fill() >= 1.0 {
                " The window is now full."
            } else if w.fill() >= NEAR_FULL {
                " The window is nearly full: summarize, or the next turns will push the oldest out."
            } else {
                ""
            };
            format!("Turn {turn} added ({} tokens).{state}", group_thousands(*tokens))
        }
        Event::Evicted { turn, forgotten_first, forgotten_last, tokens_freed } => {
            let what = if forgotten_first == forgotten_last {
                format!("turn {forgotten_first}")
            } else {
                format!("turns {forgotten_first}–{forgotten_last}")
            };
            format!(
                "Turn {turn} did not fit, so {what} ({} tokens) fell out of the window. The model no longer sees {}.",
                group_thousands(*tokens_freed),
                if forgotten_first == forgotten_last { "it" } else { "them" }
            )
        }
        Event::Summarized { first, last, before, after } => format!(
            "Turns {first}–{last} ({} tokens) were replaced by a {}-token summary: the gist stays, the wording goes.",
            group_thousands(*before),
            group_thousands(*after)
        ),
        Event::NothingToSummarize => "There is nothing old enough to summarize yet: add a few turns first.".into(),
        Event::Reset => "The conversation was cleared.".into(),
        Event::LimitChanged { limit, forgotten: None } => {
            format!("The window is now {} tokens; the whole conversation still fits.", group_thousands(*limit))
        }
        Event::LimitChanged { limit, forgotten: Some((first, last)) } => format!(
            "The window is now {} tokens; {} no longer fit and fell out.",
            group_thousands(*limit),
            if first == last { format!("turn {first}") } else { format!("turns {first}–{last}") }
        ),
    }
}

/// The context window widget.
#[component]
pub fn ContextWindowWidget(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let limit = RwSignal::new(params.get("limit").to_string());
    let turn = RwSignal::new(params.u64("turn") as u32);
    let ratio = RwSignal::new(params.u64("ratio") as u32);
    let limit_n = Memo::new(move |_| limit.get().parse::<u64>().unwrap_or(8192));
    // Start mid-conversation, so the bar already tells the story: up to six
    // turns, as many as fill at most 60% of the window.
    let (limit0, turn0) = (limit_n.get_untracked(), u64::from(turn.get_untracked()));
    let head_start = (limit0 * 3 / 5 / turn0.max(1)).min(6);
    let mut start = ContextWindow::new(limit0);
    for _ in 0..head_start {
        start.add_turn(turn0);
    }
    let window = RwSignal::new(start);
    let message = RwSignal::new(format!(
        "{head_start} turns in. Each adds about {} tokens to the {}-token window.",
        group_thousands(turn0),
        group_thousands(limit0)
    ));
    // A new limit keeps the conversation and re-evaluates it.
    Effect::new(move |prev: Option<u64>| {
        let l = limit_n.get();
        if prev.is_some_and(|p| p != l) {
            let mut w = window.get_untracked();
            let e = w.set_limit(l);
            message.set(describe(&e, &w));
            window.set(w);
        }
        l
    });
    let frame_state = Signal::derive(move || {
        vec![("limit", limit.get()), ("turn", turn.get().to_string()), ("ratio", ratio.get().to_string())]
    });
    let act = move |f: &dyn Fn(&mut ContextWindow) -> Event| {
        let mut w = window.get_untracked();
        let e = f(&mut w);
        message.set(describe(&e, &w));
        window.set(w);
    };
    let fill = move || window.with(|w| w.fill());
    let state = move || {
        let f = fill();
        if f >= 1.0 {
            "full"
        } else if f >= NEAR_FULL {
            "near"
        } else {
            "ok"
        }
    };
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || Some(window.with(|w| w.fill_formula())));
    let mut limit_options: Vec<(String, String)> =
        CONTEXT_LIMITS.iter().map(|(n, l)| (n.to_string(), l.to_string())).collect();
    let current = params.get("limit").to_string();
    if !limit_options.iter().any(|(v, _)| *v == current) {
        limit_options.insert(0, (current.clone(), format!("{} tokens", group_thousands(current.parse().unwrap_or(0)))));
    }
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=frame_state units=false class="lw-ctx" formula
            subtitle="A chat keeps the conversation in the prompt. Add turns until the window fills, then decide what to forget.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-limit") label="Context limit" options=limit_options value=limit />
                <Slider id=format!("{uid}-turn") label="Tokens per turn" min=50 max=Signal::stored(8192u32) value=turn
                    text=Callback::new(|t: u32| format!("{} tokens", group_thousands(u64::from(t)))) />
                <Slider id=format!("{uid}-ratio") label="Summary size (share of the turns it replaces)" min=5
                    max=Signal::stored(90u32) value=ratio text=Callback::new(|r: u32| format!("{r}%")) />
            </div>
            <div class="lw-buttons">
                <button type="button" class="lw-button lw-primary"
                    on:click=move |_| act(&|w| w.add_turn(u64::from(turn.get_untracked())))>"+ Add a turn"</button>
                <button type="button" class="lw-button"
                    on:click=move |_| act(&|w| w.summarize(f64::from(ratio.get_untracked()) / 100.0))>"Summarize old turns"</button>
                <button type="button" class="lw-button" on:click=move |_| act(&|w| w.reset())>"Reset"</button>
            </div>
            <div class="lw-ctx-meter" data-state=state>
                <div class="lw-meter-head">
                    <span class="lw-num lw-ctx-used">{move || window.with(|w| format!(
                        "{} / {} tokens · {} full", group_thousands(w.used()), group_thousands(w.limit), percent(w.fill() * 100.0)))}</span>
                    <span class="lw-num">{move || window.with(|w| format!("{} turns held · {} added", w.turns.len(), w.turn_count))}</span>
                </div>
                <div class="lw-ctx-track" role="img"
                    aria-label=move || window.with(|w| format!("Context window {} full", percent(w.fill() * 100.0)))>
                    {move || window.with(|w| w.turns.iter().map(|t| {
                        let pct = t.tokens as f64 * 100.0 / w.limit as f64;
                        let label = if t.summary { format!("summary of turns {}–{}", t.first, t.last) } else { format!("turn {}", t.first) };
                        view! { <span class="lw-turn" class:lw-summary=t.summary title=label style:width=format!("{}%", fixed(pct, 3))></span> }
                    }).collect_view())}
                </div>
                <p class="lw-ctx-state">{move || match state() {
                    "full" => "⛔ Full: the next turn will push the oldest out.",
                    "near" => "⚠ Nearly full.",
                    _ => "Room to spare.",
                }}</p>
            </div>
            <div class="lw-result" aria-live="polite" aria-atomic="true">
                <p class="lw-detail">{move || message.get()}</p>
                <p class="lw-detail">{move || window.with(|w| (w.forgotten_through > 0).then(|| format!(
                    "Forgotten so far: turns 1–{} are gone from the model's view unless stored elsewhere.", w.forgotten_through)))}</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let mut w = ContextWindow::new(1000);
        let e = w.add_turn(850);
        assert!(describe(&e, &w).contains("nearly full"));
        let e = w.add_turn(300);
        assert!(describe(&e, &w).contains("turn 1"), "{}", describe(&e, &w));
    }
}

//! 05 · Continuous batching, step by step: eight requests arriving,
//! admitted while free KV blocks remain, growing a token per step and
//! returning their blocks when they finish, with the system prompt's blocks
//! shared copy-on-write ([`llmem_estimator::batching`]).

use crate::controls::{next_uid, Choice, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::stepper::{StepButtons, Stepper};
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    batching::{demo_workload, simulate, BatchingSetup, Block, Snapshot, Status},
    kv_cache::kv_cache,
    precision::Dtype,
    presets::preset,
};
use std::time::Duration;

pub const BLOCK_TOKENS: u64 = 16;
pub const POOL_STEPS: [u64; 7] = [16, 20, 24, 28, 32, 40, 48];
pub const PREFIX_STEPS: [u64; 3] = [0, 16, 32];

/// A request's letter: A, B, C…
pub fn letter(i: usize) -> char {
    char::from(b'A' + (i % 26) as u8)
}

/// The whole run for a setting.
pub fn run(blocks: u64, prefix: u64, share: bool) -> Option<Vec<Snapshot>> {
    simulate(&BatchingSetup {
        requests: demo_workload(),
        block_tokens: BLOCK_TOKENS,
        blocks,
        shared_prefix: prefix,
        share_prefix: share,
    })
    .ok()
}

/// One line on the state after a step.
pub fn describe(s: &Snapshot, steps: usize) -> String {
    let shared = s.shared_blocks();
    let refs = s.pool.iter().find_map(|b| if let Block::Shared { refs } = b { Some(*refs) } else { None });
    let sharing = match refs {
        Some(r) if shared > 0 => format!(", {shared} of them the shared system prompt ({r} requests point to each)"),
        _ => String::new(),
    };
    format!(
        "Step {} of {}: {} running, {} waiting, {} finished. {} of {} blocks in use{sharing}; {} token slots allocated but not yet written; {} tokens generated so far.",
        s.step,
        steps.saturating_sub(1),
        s.count(Status::Running),
        s.count(Status::Waiting),
        s.count(Status::Finished),
        s.used_blocks(),
        s.pool.len(),
        s.slack_tokens(BLOCK_TOKENS),
        s.generated
    )
}

/// How the whole run went, against the same pool with sharing switched.
pub fn outcome(this: &[Snapshot], other: Option<&[Snapshot]>, share: bool) -> String {
    let steps = |r: &[Snapshot]| r.len().saturating_sub(1);
    let pre = |r: &[Snapshot]| r.last().map_or(0, |s| s.preemptions);
    let peak = |r: &[Snapshot]| r.iter().map(Snapshot::used_blocks).max().unwrap_or(0);
    let mut out = format!(
        "All eight requests finish after {} steps, with {} preemption{} and at most {} blocks in use.",
        steps(this),
        pre(this),
        if pre(this) == 1 { "" } else { "s" },
        peak(this)
    );
    if let Some(o) = other {
        out.push_str(&format!(
            " {} sharing: {} steps, {} preemption{}, at most {} blocks.",
            if share { "Without" } else { "With" },
            steps(o),
            pre(o),
            if pre(o) == 1 { "" } else { "s" },
            peak(o)
        ));
    }
    out
}

/// The continuous-batching widget.
#[component]
pub fn BatchSteps(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let blocks = RwSignal::new(params.u64("blocks"));
    let prefix = RwSignal::new(params.u64("prefix"));
    let share = RwSignal::new(params.get("share").to_string());
    let sharing = Memo::new(move |_| share.get() == "on");
    let this = Memo::new(move |_| run(blocks.get(), prefix.get(), sharing.get()));
    let other = Memo::new(move |_| run(blocks.get(), prefix.get(), !sharing.get()));
    let total = Signal::derive(move || this.get().map_or(0, |r| r.len().saturating_sub(1) as u64));
    let walker = Stepper::new(total, Duration::from_millis(350));
    walker.done.set(params.u64("step"));
    // A new setting starts the walk again (not on the first run: the URL's step stands).
    Effect::new(move |prev: Option<()>| {
        this.track();
        if prev.is_some() {
            walker.reset();
        }
    });
    let now = Memo::new(move |_| {
        this.get().and_then(|r| {
            let i = (walker.done.get() as usize).min(r.len().saturating_sub(1));
            r.get(i).cloned()
        })
    });
    let state = Signal::derive(move || {
        vec![
            ("blocks", blocks.get().to_string()),
            ("prefix", prefix.get().to_string()),
            ("share", share.get()),
            ("step", walker.done.get().to_string()),
        ]
    });
    let per_token = preset("llama-3.1-8b")
        .and_then(|p| p.arch())
        .ok()
        .and_then(|a| kv_cache(&a, Dtype::Bf16, 1, 1).ok())
        .map_or(0, |k| k.bytes_per_token);
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || now.get().map(|s| s.in_use_formula(BLOCK_TOKENS, per_token)));
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-batch" formula
            subtitle="Requests join the batch the step they fit and leave the step they finish. Their caches live in 16-token blocks taken from one pool; a system prompt they all share can be stored once.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-blocks") label="KV blocks in the pool" steps=&POOL_STEPS
                    count=Signal::stored(POOL_STEPS.len()) value=blocks
                    text=Callback::new(|b: u64| format!("{b} blocks")) />
                <StepSlider id=format!("{uid}-prefix") label="Shared system prompt" steps=&PREFIX_STEPS
                    count=Signal::stored(PREFIX_STEPS.len()) value=prefix
                    text=Callback::new(|p: u64| format!("{p} tokens")) />
                <Choice name=format!("{uid}-share") legend="Prefix sharing"
                    options=vec![("off".into(), "Off".into()), ("on".into(), "On".into())] value=share />
            </div>
            <StepButtons walker group="Scheduler steps" back="Step back" step="Step" reset="Start" finish="End" />
            <ol class="lw-pool" aria-label="The block pool">
                {move || now.get().map(|s| s.pool.iter().enumerate().map(|(i, b)| {
                    let (class, text, fill) = match *b {
                        Block::Free => ("lw-pool-block", "free".to_string(), 0),
                        Block::Owned { request, tokens } => (
                            "lw-pool-block lw-pool-own",
                            format!("{} {tokens}/{BLOCK_TOKENS}", letter(request as usize)),
                            u64::from(tokens) * 100 / BLOCK_TOKENS,
                        ),
                        Block::Shared { refs } => ("lw-pool-block lw-pool-shared", format!("shared ×{refs}"), 100),
                    };
                    let label = format!("block {}: {text}", i + 1);
                    view! {
                        <li class=class aria-label=label>
                            <span class="lw-pool-fill" aria-hidden="true" style:width=format!("{fill}%")></span>
                            <span class="lw-pool-text" aria-hidden="true">{text}</span>
                        </li>
                    }
                }).collect_view())}
            </ol>
            <ul class="lw-queue">
                {move || now.get().map(|s| s.status.iter().enumerate().map(|(i, st)| {
                    let what = match st {
                        Status::NotArrived => "not arrived".to_string(),
                        Status::Waiting => "waiting for blocks".to_string(),
                        Status::Running => format!("running, {} tokens", s.tokens[i]),
                        Status::Finished => "finished".to_string(),
                    };
                    view! { <li class=format!("lw-req lw-req-{st:?}")>{format!("{} · {what}", letter(i))}</li> }
                }).collect_view())}
            </ul>
            <div class="lw-result" aria-live="polite">
                {move || now.get().zip(this.get()).map(|(s, r)| view! {
                    <p class="lw-detail">{describe(&s, r.len())}</p>
                    <p class="lw-detail lw-batch-bytes">{format!("The blocks in use hold {} of KV cache.", show(s.used_blocks() * BLOCK_TOKENS * per_token))}</p>
                    <p class="lw-detail">{outcome(&r, other.get().as_deref(), sharing.get())}</p>
                })}
                <p class="lw-source">{move || format!(
                    "For Llama 3.1 8B in bf16 one block is {} tokens × {} = {}, and this pool {}. Rules: vLLM's scheduler (admit when the prompt's blocks are free, preempt the newest by recomputation) and its prefix caching, which shares full blocks only.",
                    BLOCK_TOKENS, show(per_token), show(per_token * BLOCK_TOKENS), show(per_token * BLOCK_TOKENS * blocks.get()))}</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_blocks_with_and_without_sharing() {
        let on = run(20, 32, true).unwrap();
        let off = run(20, 32, false).unwrap();
        let o = outcome(&on, Some(&off), true);
        assert_eq!(
            o,
            "All eight requests finish after 42 steps, with 0 preemptions and at most 20 blocks in use. Without sharing: 48 steps, 3 preemptions, at most 20 blocks."
        );
        let d = describe(&on[12], on.len());
        assert!(d.starts_with("Step 12 of 42: "), "{d}");
        assert!(d.contains("of them the shared system prompt"), "{d}");
        assert_eq!(letter(2), 'C');
        assert!(run(4, 32, true).is_none());
    }
}

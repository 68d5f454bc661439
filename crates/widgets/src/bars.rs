//! Horizontal bars drawn in HTML: each has a text label and value beside it,
//! so they read without color and without sight; widths are set through the
//! CSS object model (`style.width`), which a strict CSP allows.

use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::units::fixed;

/// One segment of a stacked bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub label: &'static str,
    pub bytes: u64,
    /// CSS class carrying the color and pattern, e.g. `lw-c-weights`.
    pub class: &'static str,
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{}%", fixed((part as f64 * 100.0 / whole as f64).min(100.0), 3))
    }
}

/// A labelled stacked bar scaled against `scale` bytes, with a legend that
/// lists every segment's size.
#[component]
pub fn StackedBar(
    /// Row label, e.g. "Training".
    #[prop(into)]
    label: Signal<String>,
    /// Segments, in drawing order.
    #[prop(into)]
    segments: Signal<Vec<Segment>>,
    /// Bytes that span the full width.
    #[prop(into)]
    scale: Signal<u64>,
    /// Where the device's memory ends, marked on the bar with a dashed line
    /// and the word "capacity" (the row's label names the device).
    #[prop(optional, into)]
    capacity: Option<Signal<u64>>,
) -> impl IntoView {
    let total = Signal::derive(move || segments.get().iter().map(|s| s.bytes).sum::<u64>());
    view! {
        <div class="lw-stack-row">
            <div class="lw-stack-head"><span class="lw-stack-label">{move || label.get()}</span>
                <span class="lw-stack-total">{move || show(total.get())}</span></div>
            <div class="lw-stack-wrap" class:lw-has-cap=capacity.is_some()>
            <div class="lw-stack" aria-hidden="true">
                <For each={move || segments.get().into_iter().enumerate().filter(|(_, s)| s.bytes > 0)}
                    key=|(i, s)| (*i, s.label) let:item>
                    <span class=format!("lw-seg {}", item.1.class)
                        style:width=move || {
                            let b = segments.get().get(item.0).map_or(0, |s| s.bytes);
                            percent(b, scale.get())
                        }></span>
                </For>
            </div>
            {capacity.map(|cap| view! {
                // The tag sits left of the line: the line is at the bar's
                // end when the need fits, and past its middle unless the
                // need is twice the capacity.
                <span class="lw-cap" aria-hidden="true"
                    style:left=move || percent(cap.get(), scale.get())><span class="lw-cap-tag">"capacity"</span></span>
            })}
            </div>
            <ul class="lw-legend">
                {move || segments.get().into_iter().filter(|s| s.bytes > 0).map(|s| view! {
                    <li><span class=format!("lw-key {}", s.class) aria-hidden="true"></span>{s.label}" "
                        <span class="lw-num">{show(s.bytes)}</span></li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// A single labelled bar (for comparisons across options).
#[component]
pub fn Bar(
    /// Row label.
    label: String,
    /// The value to show beside the bar.
    #[prop(into)]
    value: Signal<String>,
    /// Fill fraction, 0–1.
    #[prop(into)]
    fraction: Signal<f64>,
    /// Highlight as the current choice.
    #[prop(into)]
    current: Signal<bool>,
    /// Color class of the fill.
    class: &'static str,
) -> impl IntoView {
    view! {
        <li class="lw-bar-row" class:lw-current=move || current.get()>
            <span class="lw-bar-label">{label}</span>
            <span class="lw-bar-track" aria-hidden="true">
                <span class=format!("lw-bar-fill {class}")
                    style:width=move || format!("{}%", fixed((fraction.get().clamp(0.0, 1.0) * 100.0).max(0.4), 3))></span>
            </span>
            <span class="lw-bar-value">{move || value.get()}</span>
        </li>
    }
}

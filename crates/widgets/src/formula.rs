//! "Show the formula": the panel under a figure that writes out the formula
//! behind its headline number ([`llmem_estimator::formula`]) — in symbols,
//! with the current values substituted, each symbol named, and its source.
//!
//! The panel is written as one string of markup rather than a view tree: every figure's bundle carries it, and a view tree over a new signal
//! type costs several KiB of wasm where this costs a few hundred bytes.
//! Every piece of text in it is escaped. (Fetching the formulas as a split
//! module on first open was measured and rejected: the async loading code
//! every bundle then carries weighs as much as the formulas it defers; see
//! BENCHMARKS.md.)

use crate::units::show_f64;
use leptos::prelude::*;
use llmem_estimator::formula::Formula;

pub use crate::frame::FormulaFn;

/// The KV cache formula of `arch` as built, for the figures whose headline
/// is its cache ([`llmem_estimator::kv_cache::formula`]).
pub fn kv_formula(
    arch: &llmem_estimator::ModelArch,
    dtype: llmem_estimator::precision::Dtype,
    context: u64,
    batch: u64,
) -> Option<Formula> {
    let cache = llmem_estimator::kv_cache::kv_cache(arch, dtype, context, batch).ok()?;
    Some(llmem_estimator::kv_cache::formula(arch, arch.kv_layout(), &cache))
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The panel's markup for `f`, bytes written in the reader's units.
pub fn markup(f: &Formula) -> String {
    let bytes = |b: f64| show_f64(b);
    let mut s = format!(
        "<p class=\"lw-formula-math\"><code>{} = {}</code><code>= {}</code><code>= <b class=\"lw-formula-result\">{}</b></code></p><dl class=\"lw-formula-symbols\">",
        escape(f.name),
        escape(&f.expr.symbolic()),
        escape(&f.expr.substituted(&bytes)),
        escape(&f.result(&bytes)),
    );
    for v in f.expr.vars() {
        s += &format!(
            "<dt><code>{}</code></dt><dd>{}: {}</dd>",
            escape(v.symbol),
            escape(v.meaning),
            escape(&v.unit.write(v.value, &bytes))
        );
    }
    s += &format!("</dl><p class=\"lw-formula-source\">Source: {}</p>", escape(&f.source));
    s
}

/// The collapsible formula panel of a figure; it follows the figure and
/// the reader's units. (Writing it on every change, open or not, costs a few
/// microseconds against the figure's own redraw, and spares every bundle the
/// code of a toggle handler and its signal.)
#[cfg(not(all(feature = "lazy-config", feature = "fit")))]
#[component]
pub fn FormulaPanel(formula: FormulaFn) -> impl IntoView {
    view! {
        <details class="lw-formula">
            <summary>"Show the formula"</summary>
            <div class="lw-formula-body" inner_html=move || formula().map_or_else(String::new, |f| markup(&f))></div>
        </details>
    }
}

/// The panel in a bundle that already fetches a module on demand (the
/// calculator's): the formula's writer lives in that module and runs once
/// the panel is opened, then follows the figure and the units while open.
/// Here a toggle handler and a signal cost less than the writer they defer.
#[cfg(all(feature = "lazy-config", feature = "fit"))]
#[component]
pub fn FormulaPanel(formula: FormulaFn) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let open = RwSignal::new(false);
    let html = RwSignal::new(String::new());
    let asked = StoredValue::new(0u32);
    crate::erased::effect(move || {
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        let _ = crate::units::units().get();
        let Some(f) = open.get().then(|| formula()).flatten() else { return };
        leptos::task::spawn_local(async move {
            let written = crate::fit::formula_markup_lazily(f).await;
            if asked.get_value() == this {
                html.set(written);
            }
        });
    });
    let on_toggle = move |ev: leptos::ev::Event| {
        open.set(
            ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|d| d.has_attribute("open")),
        );
    };
    view! {
        <details class="lw-formula" on:toggle=on_toggle>
            <summary>"Show the formula"</summary>
            <div class="lw-formula-body" inner_html=move || html.get()></div>
        </details>
    }
}

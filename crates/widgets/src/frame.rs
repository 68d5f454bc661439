//! The frame every widget sits in: its heading, a note about ignored
//! parameters, the content, and a footer with the unit switch and the
//! "Embed" button. The frame also owns the widget's URL state: each widget
//! hands it the current values of its parameters.

use crate::params::{query_for, write_url, Params};
use crate::units::UnitToggle;
use leptos::{html, prelude::*};

/// A widget's current parameter values, in catalogue names.
pub type State = Vec<(&'static str, String)>;

/// A widget's outer frame.
#[component]
pub fn WidgetFrame(
    /// The widget's parameters (for its title and any rejected values).
    params: Params,
    /// Unique id prefix of this widget instance.
    uid: String,
    /// One line under the title.
    subtitle: String,
    /// Extra class on the root, e.g. `lw-kv`.
    class: &'static str,
    /// The widget's current state: written to the page URL (on the site's own
    /// pages) and used for the embed snippets.
    #[prop(into)]
    state: Signal<State>,
    /// Offer the GB / GiB switch (only widgets that show byte counts do).
    #[prop(default = true)]
    units: bool,
    /// The formula behind the headline number, for the "Show the formula"
    /// panel under the figure.
    #[prop(optional)]
    formula: Option<FormulaFn>,
    /// The widget body.
    children: Children,
) -> impl IntoView {
    let title_id = format!("{uid}-title");
    let labelled_by = title_id.clone();
    let (spec, mode) = (params.spec, params.mode);
    // Only the site's own pages keep state in the URL; elsewhere the state
    // is read once, when the Embed panel opens, so a drag builds no strings.
    if mode == crate::params::PageMode::Site {
        crate::erased::effect(move || write_url(spec, mode, &state.get()));
    }
    let rejected = params.rejected.clone();
    let note = (!rejected.is_empty()).then(|| {
        let list = rejected.iter().map(|r| format!("{} = “{}”", r.name, r.shown)).collect::<Vec<_>>().join(", ");
        view! {
            <p class="lw-note" role="note">
                "Some settings were not valid and the defaults are shown instead: " {list} "."
            </p>
        }
    });
    let theme = crate::params::frame_theme(params.mode);
    let panel = NodeRef::<html::Div>::new();
    let open = RwSignal::new(false);
    let panel_id = format!("{uid}-embed");
    // In an iframe embed the widget is the page's only section (under the
    // page's hidden h1); in an article it sits under an h2 section.
    let title = if mode == crate::params::PageMode::Frame {
        view! { <h2 class="lw-title" id=title_id>{spec.title}</h2> }.into_any()
    } else {
        view! { <h3 class="lw-title" id=title_id>{spec.title}</h3> }.into_any()
    };
    view! {
        <section class=format!("llmem-widget {class}") aria-labelledby=labelled_by data-widget=spec.id data-theme=theme>
            <header class="lw-head">
                {title}
                <p class="lw-sub">{subtitle}</p>
            </header>
            {note}
            {children()}
            {formula_panel(formula)}
            <footer class="lw-foot">
                {units.then(|| view! { <UnitToggle uid=uid.clone() /> })}
                <button type="button" class="lw-button lw-embed-btn" aria-expanded=move || open.get().to_string()
                    aria-controls=panel_id.clone()
                    on:click=move |_| {
                        // embed.js fills the panel from `data-state` (shared JS rather than
                        // the same DOM-building code in every wasm bundle).
                        if let Some(p) = panel.get_untracked() {
                            let _ = p.set_attribute("data-state", &query_for(spec, &state.get_untracked(), false));
                        }
                        open.update(|o| *o = !*o);
                    }>"Embed"</button>
            </footer>
            <div node_ref=panel id=panel_id class="lw-embed" data-widget=spec.id data-title=spec.title
                hidden=move || !open.get()></div>
        </section>
    }
}

/// Gives a figure's formula at its current setting (`None` when the setting
/// has no result, e.g. out of range). Reading signals inside makes the open
/// panel follow the figure.
pub type FormulaFn = std::sync::Arc<dyn Fn() -> Option<llmem_estimator::formula::Formula> + Send + Sync>;

/// The "Show the formula" panel, in bundles whose widgets have a formula.
#[cfg(feature = "formula")]
fn formula_panel(formula: Option<FormulaFn>) -> impl IntoView {
    formula.map(|formula| view! { <crate::formula::FormulaPanel formula /> })
}

#[cfg(not(feature = "formula"))]
fn formula_panel(formula: Option<FormulaFn>) -> impl IntoView {
    drop(formula);
}

/// A heading inside a widget's body, one level below the widget's title
/// (h2 in an iframe embed, h3 in an article), so the outline never skips a
/// level.
#[component]
pub fn SubHeading(
    /// Where the widget is shown (sets the title's level).
    mode: crate::params::PageMode,
    /// The heading's text.
    text: &'static str,
) -> impl IntoView {
    if mode == crate::params::PageMode::Frame {
        view! { <h3 class="lw-h">{text}</h3> }.into_any()
    } else {
        view! { <h4 class="lw-h">{text}</h4> }.into_any()
    }
}

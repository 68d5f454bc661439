//! The frame every widget sits in: its heading, a note about ignored
//! parameters, the content, and a footer with the unit switch.

use crate::params::Params;
use crate::units::UnitToggle;
use leptos::prelude::*;

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
    /// The widget body.
    children: Children,
) -> impl IntoView {
    let title_id = format!("{uid}-title");
    let labelled_by = title_id.clone();
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
    view! {
        <section class=format!("llmem-widget {class}") aria-labelledby=labelled_by data-widget=params.spec.id data-theme=theme>
            <header class="lw-head">
                <h3 class="lw-title" id=title_id>{params.spec.title}</h3>
                <p class="lw-sub">{subtitle}</p>
            </header>
            {note}
            {children()}
            <footer class="lw-foot">
                <UnitToggle uid=uid.clone() />
            </footer>
        </section>
    }
}

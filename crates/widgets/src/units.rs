//! Byte units shown by every widget on a page: decimal GB by default, binary
//! GiB on request. One toggle in any widget switches all of them, and the
//! other unit is always in the element's tooltip.

use leptos::prelude::*;
use llmem_estimator::units::{format_bytes, format_bytes_f64, UnitSystem};

thread_local! {
    static UNITS: ArcRwSignal<UnitSystem> = ArcRwSignal::new(UnitSystem::Decimal);
}

/// The page-wide unit signal.
pub fn units() -> ArcRwSignal<UnitSystem> {
    UNITS.with(|u| u.clone())
}

/// `bytes` in the current units (reactive when called inside a view).
pub fn show(bytes: u64) -> String {
    format_bytes(bytes, units().get())
}

/// `bytes` in the other unit system, for a tooltip.
pub fn other(bytes: u64) -> String {
    let alt = match units().get() {
        UnitSystem::Decimal => UnitSystem::Binary,
        UnitSystem::Binary => UnitSystem::Decimal,
    };
    format_bytes(bytes, alt)
}

/// As [`show`] for fractional byte counts.
pub fn show_f64(bytes: f64) -> String {
    format_bytes_f64(bytes, units().get())
}

/// A byte count with the other unit in its tooltip.
#[component]
pub fn Bytes(
    /// The byte count to display.
    #[prop(into)]
    bytes: Signal<u64>,
) -> impl IntoView {
    view! { <span class="lw-bytes" title=move || other(bytes.get())>{move || show(bytes.get())}</span> }
}

/// The GB / GiB switch: two radio buttons in a labelled group.
#[component]
pub fn UnitToggle(
    /// Unique prefix for this widget's control ids.
    uid: String,
) -> impl IntoView {
    let u = units();
    let name = format!("{uid}-units");
    let u1 = u.clone();
    let u2 = u.clone();
    let u3 = u.clone();
    view! {
        <fieldset class="lw-units">
            <legend>"Units"</legend>
            <label>
                <input type="radio" name=name.clone() value="gb"
                    prop:checked=move || u1.get() == UnitSystem::Decimal
                    on:change=move |_| u2.set(UnitSystem::Decimal) />
                "GB"
            </label>
            <label>
                <input type="radio" name=name value="gib"
                    prop:checked={let u = u.clone(); move || u.get() == UnitSystem::Binary}
                    on:change=move |_| u3.set(UnitSystem::Binary) />
                "GiB"
            </label>
        </fieldset>
    }
}

//! Byte units shown by every widget on a page: decimal GB by default, binary
//! GiB on request. One toggle in any widget switches all of them, and the
//! other unit is always in the element's tooltip.
//!
//! The choice is kept: on the site's pages in the URL (`units=gib`, so a
//! shared link shows what its sender saw) and in `localStorage` (so the next
//! page opens in the same units); an iframe embed reads `units` from its
//! URL and the stored choice. On someone else's page nothing is read or
//! written: their address bar and storage are theirs.

use leptos::prelude::*;
use llmem_estimator::units::{format_bytes, format_bytes_f64, UnitSystem};

thread_local! {
    static UNITS: ArcRwSignal<UnitSystem> = ArcRwSignal::new(initial());
}

/// Where the choice is remembered between pages.
#[cfg(target_arch = "wasm32")]
const STORAGE_KEY: &str = "llmem.units";

#[cfg(target_arch = "wasm32")]
fn parse(v: &str) -> Option<UnitSystem> {
    match v {
        "gib" => Some(UnitSystem::Binary),
        "gb" => Some(UnitSystem::Decimal),
        _ => None,
    }
}

/// The units a page opens in: the URL's, else the stored choice, else GB.
#[cfg(target_arch = "wasm32")]
fn initial() -> UnitSystem {
    use crate::params::PageMode;
    if PageMode::detect() == PageMode::Guest {
        return UnitSystem::Decimal;
    }
    let window = web_sys::window();
    let from_url = window
        .as_ref()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|p| p.get("units"))
        .and_then(|v| parse(&v));
    let stored = || {
        window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|v| parse(&v))
    };
    from_url.or_else(stored).unwrap_or(UnitSystem::Decimal)
}

#[cfg(not(target_arch = "wasm32"))]
fn initial() -> UnitSystem {
    UnitSystem::Decimal
}

/// Sets the page's units and remembers them (see the module docs).
pub fn choose(u: UnitSystem) {
    units().set(u);
    #[cfg(target_arch = "wasm32")]
    {
        use crate::params::PageMode;
        let mode = PageMode::detect();
        if mode == PageMode::Guest {
            return;
        }
        let id = if u == UnitSystem::Binary { "gib" } else { "gb" };
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            // Storage may be full or blocked; the choice still holds for this page.
            let _ = storage.set_item(STORAGE_KEY, id);
        }
        if mode == PageMode::Site {
            crate::params::queue_url_key("units".into(), (u == UnitSystem::Binary).then(|| id.to_string()));
        }
    }
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
    view! {
        <fieldset class="lw-units">
            <legend>"Units"</legend>
            <label>
                <input type="radio" name=name.clone() value="gb"
                    prop:checked=move || u1.get() == UnitSystem::Decimal
                    on:change=move |_| choose(UnitSystem::Decimal) />
                "GB"
            </label>
            <label>
                <input type="radio" name=name value="gib"
                    prop:checked={let u = u.clone(); move || u.get() == UnitSystem::Binary}
                    on:change=move |_| choose(UnitSystem::Binary) />
                "GiB"
            </label>
        </fieldset>
    }
}

//! A widget's parameters: the author's defaults in the placeholder's
//! `data-*` attributes, overridden by the page URL's query string, every
//! value checked against the catalogue ([`llmem_catalog`]) and replaced by
//! the default when it is missing, malformed or out of range.
//!
//! On the site's own pages a widget's state is written back to the URL with
//! `history.replaceState` (no history entry, no scroll), under keys prefixed
//! with the widget id (`kv-cache.context=32768`) so several widgets on a page
//! never collide. In an iframe embed the keys are unprefixed. In someone
//! else's page (script embed) the URL is neither read nor written.

use llmem_catalog::{WidgetSpec, MAX_VALUE_LEN};
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;

/// Where a widget is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMode {
    /// One of the site's own pages: read and write the URL (prefixed keys).
    Site,
    /// The iframe embed page: read the URL (plain keys), never write it.
    Frame,
    /// Someone else's page: leave their URL alone.
    Guest,
}

impl PageMode {
    /// Reads `<meta name="llmem-page" content="site|frame">`; anything else is a guest page.
    pub fn detect() -> PageMode {
        let content = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=\"llmem-page\"]").ok().flatten())
            .and_then(|m| m.get_attribute("content"));
        match content.as_deref() {
            Some("site") => PageMode::Site,
            Some("frame") => PageMode::Frame,
            _ => PageMode::Guest,
        }
    }
}

/// The `theme` an iframe embed was asked for (`light` or `dark`); `None`
/// for `auto`, anything else, or outside an iframe embed.
pub fn frame_theme(mode: PageMode) -> Option<&'static str> {
    if mode != PageMode::Frame {
        return None;
    }
    let search = web_sys::window()?.location().search().ok()?;
    match web_sys::UrlSearchParams::new_with_str(&search).ok()?.get("theme").as_deref() {
        Some("light") => Some("light"),
        Some("dark") => Some("dark"),
        _ => None,
    }
}

/// A parameter value that was given but not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub name: String,
    /// The given value, shortened for display (always shown as text, never HTML).
    pub shown: String,
}

/// A widget's resolved parameters.
#[derive(Debug, Clone)]
pub struct Params {
    pub spec: &'static WidgetSpec,
    pub mode: PageMode,
    values: BTreeMap<&'static str, String>,
    /// Values that were ignored, for a polite note in the widget.
    pub rejected: Vec<Rejected>,
    /// The placeholder's `data-config`: a calculator's own model, encoded as
    /// a link carries it (read, and checked, by the calculator's config reader).
    #[cfg(feature = "fit")]
    pub config_attr: Option<String>,
}

fn shorten(v: &str) -> String {
    let mut s: String = v.chars().filter(|c| !c.is_control()).take(24).collect();
    if v.chars().count() > 24 {
        s.push('…');
    }
    s
}

impl Params {
    /// Resolves parameters from attribute and URL lookups (kept abstract so
    /// tests can run without a DOM).
    pub fn resolve(
        spec: &'static WidgetSpec,
        mode: PageMode,
        attr: impl Fn(&str) -> Option<String>,
        url: impl Fn(&str) -> Option<String>,
    ) -> Params {
        let mut values = BTreeMap::new();
        let mut rejected = Vec::new();
        for p in spec.params {
            let mut value = p.default.to_string();
            let key = match mode {
                PageMode::Site => Some(format!("{}.{}", spec.id, p.name)),
                PageMode::Frame => Some(p.name.to_string()),
                PageMode::Guest => None,
            };
            let sources = [attr(p.name), key.and_then(|k| url(&k))];
            for raw in sources.into_iter().flatten() {
                match p.accept(&raw) {
                    Some(v) => value = v,
                    None => rejected.push(Rejected { name: p.name.to_string(), shown: shorten(&raw) }),
                }
            }
            values.insert(p.name, value);
        }
        Params {
            spec,
            mode,
            values,
            rejected,
            #[cfg(feature = "fit")]
            config_attr: None,
        }
    }

    /// Reads a placeholder element and (per mode) the page URL.
    pub fn read(el: &web_sys::Element, spec: &'static WidgetSpec, mode: PageMode) -> Params {
        let query = current_query();
        #[allow(unused_mut)]
        let mut p = Params::resolve(
            spec,
            mode,
            |name| el.get_attribute(&format!("data-{name}")).filter(|v| v.len() <= MAX_VALUE_LEN * 4),
            |key| query.get(key).cloned(),
        );
        #[cfg(feature = "fit")]
        {
            p.config_attr = el.get_attribute("data-config");
        }
        p
    }

    /// The canonical value of a parameter (its default if it was not given or not valid).
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// An integer parameter; its catalogue default if somehow unparsable.
    pub fn u64(&self, name: &str) -> u64 {
        self.get(name).parse().ok().or_else(|| self.spec.param(name)?.default.parse().ok()).unwrap_or(0)
    }
}

/// The page's query string as a map (first value wins; at most 64 keys read).
fn current_query() -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else {
        return map;
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return map;
    };
    let Ok(Some(iter)) = js_sys::try_iter(&params) else {
        return map;
    };
    for entry in iter.take(64).flatten() {
        let pair = js_sys::Array::from(&entry);
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            map.entry(k).or_insert(v);
        }
    }
    map
}

/// Writes a widget's state to the URL (site pages only), leaving other keys
/// alone and dropping values equal to their default.
pub fn write_url(spec: &'static WidgetSpec, mode: PageMode, state: &[(&str, String)]) {
    if mode != PageMode::Site {
        return;
    }
    for (name, value) in state {
        let default = spec.param(name).map(|p| p.default);
        let value = (default != Some(value.as_str())).then(|| value.clone());
        queue_url_key(format!("{}.{}", spec.id, name), value);
    }
}

/// Sets or removes one URL key outside the catalogue (the fit widget's
/// encoded config), on site pages only.
pub fn write_extra(spec: &'static WidgetSpec, mode: PageMode, name: &str, value: Option<String>) {
    if mode != PageMode::Site {
        return;
    }
    queue_url_key(format!("{}.{}", spec.id, name), value);
}

/// How long URL writes wait for the reader to stop moving a control.
///
/// `replaceState` is not free (the browser process is told about every
/// call, and Chromium ignores them, with a console warning, once a page
/// makes too many in a few seconds), and a drag fires an `input` event per
/// frame.
/// The link only has to be right once the reader stops, so writes are
/// coalesced into one `replaceState` after a quiet spell.
const URL_WRITE_DELAY_MS: i32 = 250;

thread_local! {
    /// URL keys waiting to be written: `Some(value)` sets, `None` deletes.
    /// A few keys at most, so a `Vec` (a map type would add kilobytes of
    /// wasm to every bundle for nothing).
    static PENDING_URL: std::cell::RefCell<Vec<(String, Option<String>)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The timer of the pending flush, so a newer change can push it back.
    static URL_TIMER: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

pub(crate) fn queue_url_key(key: String, value: Option<String>) {
    PENDING_URL.with(|p| {
        let mut pending = p.borrow_mut();
        match pending.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => pending.push((key, value)),
        }
    });
    let Some(window) = web_sys::window() else { return };
    if let Some(old) = URL_TIMER.with(|t| t.take()) {
        window.clear_timeout_with_handle(old);
    }
    let flush = wasm_bindgen::closure::Closure::once_into_js(flush_url);
    if let Ok(id) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        wasm_bindgen::JsCast::unchecked_ref(&flush),
        URL_WRITE_DELAY_MS,
    ) {
        URL_TIMER.with(|t| t.set(Some(id)));
    }
}

/// Applies every pending key to the current URL with one `replaceState`.
/// The current URL is read at flush time, so a hash or another key changed
/// meanwhile survives.
fn flush_url() {
    URL_TIMER.with(|t| t.set(None));
    let pending = PENDING_URL.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let Some(window) = web_sys::window() else { return };
    let Ok(href) = window.location().href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else { return };
    let search = url.search_params();
    for (key, value) in &pending {
        match value {
            Some(v) => search.set(key, v),
            None => search.delete(key),
        }
    }
    let new = url.href();
    if new != href {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&new));
        }
    }
}

/// A link to this exact state, for the embed dialog and for sharing.
pub fn query_for(spec: &'static WidgetSpec, state: &[(&str, String)], prefixed: bool) -> String {
    let mut parts = Vec::new();
    for (name, value) in state {
        if spec.param(name).is_some_and(|p| p.default == value) {
            continue;
        }
        let key = if prefixed { format!("{}.{}", spec.id, name) } else { name.to_string() };
        parts.push(format!("{}={}", encode(&key), encode(value)));
    }
    parts.join("&")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmem_catalog::widget;

    #[test]
    fn data_then_url_with_fallback() {
        let spec = widget("kv-cache").unwrap();
        let p = Params::resolve(
            spec,
            PageMode::Site,
            |n| (n == "context").then(|| "32768".to_string()),
            |k| (k == "kv-cache.batch").then(|| "4".to_string()),
        );
        assert_eq!(p.get("context"), "32768");
        assert_eq!(p.u64("batch"), 4);
        assert_eq!(p.get("model"), "llama-3.1-8b");
        assert!(p.rejected.is_empty());
    }

    #[test]
    fn hostile_values_fall_back_and_are_reported() {
        let spec = widget("kv-cache").unwrap();
        let p = Params::resolve(
            spec,
            PageMode::Frame,
            |n| (n == "model").then(|| "<script>alert(1)</script>".to_string()),
            |k| (k == "context").then(|| "-5".to_string()),
        );
        assert_eq!(p.get("model"), "llama-3.1-8b");
        assert_eq!(p.get("context"), "8192");
        assert_eq!(p.rejected.len(), 2);
        assert!(p.rejected[0].shown.chars().count() <= 25);
    }

    #[test]
    fn query_strings() {
        let spec = widget("kv-cache").unwrap();
        let state = [("context", "32768".to_string()), ("batch", "1".to_string())];
        assert_eq!(query_for(spec, &state, true), "kv-cache.context=32768");
        assert_eq!(query_for(spec, &state, false), "context=32768");
        assert_eq!(encode("a b&<"), "a%20b%26%3C");
    }

    #[test]
    fn guest_pages_ignore_the_url() {
        let spec = widget("kv-cache").unwrap();
        let p = Params::resolve(spec, PageMode::Guest, |_| None, |_| Some("65536".to_string()));
        assert_eq!(p.get("context"), "8192");
    }
}

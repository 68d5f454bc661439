//! The iframe embed page (`/embed/<widget>/?…`): applies the `theme`
//! parameter to the page, and tells the parent page its height whenever it
//! changes, so the host can size the iframe to fit.
//!
//! Height protocol (documented in EMBED.md): the frame posts
//! `{ type: "llmem:height", widget: "<id>", height: <CSS pixels> }` to
//! `window.parent` with target origin `"*"` — the message carries no data
//! but the frame's own height, so any host may read it.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// Sets `<html data-theme>` and starts reporting the height (once per page).
pub fn install() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let Some(root) = document.document_element() else { return };
    if let Some(theme) = crate::params::frame_theme(crate::params::PageMode::Frame) {
        let _ = root.set_attribute("data-theme", theme);
    }
    let widget = document
        .query_selector("[data-llmem-widget]")
        .ok()
        .flatten()
        .and_then(|e| e.get_attribute("data-llmem-widget"))
        .unwrap_or_default();
    let last = std::cell::Cell::new(-1i32);
    let report = Closure::<dyn Fn()>::new(move || {
        let Some(w) = web_sys::window() else { return };
        let Some(el) = w.document().and_then(|d| d.document_element()) else { return };
        let height = el.scroll_height();
        if height == last.get() {
            return;
        }
        last.set(height);
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"type".into(), &"llmem:height".into());
        let _ = js_sys::Reflect::set(&msg, &"widget".into(), &JsValue::from_str(&widget));
        let _ = js_sys::Reflect::set(&msg, &"height".into(), &JsValue::from(height));
        if let Ok(Some(parent)) = w.parent() {
            if parent != w {
                let _ = parent.post_message(&msg, "*");
            }
        }
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(report.as_ref().unchecked_ref()) {
        if let Some(body) = document.body() {
            observer.observe(&body);
        }
    }
    let _ = window.add_event_listener_with_callback("load", report.as_ref().unchecked_ref());
    report.forget();
}

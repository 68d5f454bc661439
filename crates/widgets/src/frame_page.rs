//! The iframe embed page (`/embed/<widget>/?…`): applies the `theme`
//! parameter to the page, and tells the parent page its height whenever it
//! changes, so the host can size the iframe to fit.
//!
//! Height protocol (documented on the embed guide page,
//! `site/content/pages/embed.md`): the frame posts
//! `{ type: "llmem:height", widget: "<id>", height: <CSS pixels> }` to
//! `window.parent` with target origin `"*"` — the message carries no data
//! but the frame's own height, so any host may read it.
//!
//! When: once the widget has rendered, and then on every resize. Chromium
//! does not render a cross-origin frame that is out of view, so a resize
//! observer alone may stay silent until the reader scrolls to it; the first
//! report therefore comes from a timer after mounting, which measures with a
//! forced layout.

use std::cell::{Cell, RefCell};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
    /// The last height reported (none yet: -1).
    static LAST: Cell<i32> = const { Cell::new(-1) };
    /// The widget id the messages name.
    static WIDGET: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets `<html data-theme>` and starts reporting the height (once per page).
pub fn install() {
    if INSTALLED.with(|i| i.replace(true)) {
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
    WIDGET.with(|w| *w.borrow_mut() = widget);
    let report = Closure::<dyn Fn()>::new(report_height);
    if let Ok(observer) = web_sys::ResizeObserver::new(report.as_ref().unchecked_ref()) {
        if let Some(body) = document.body() {
            observer.observe(&body);
        }
    }
    let _ = window.add_event_listener_with_callback("load", report.as_ref().unchecked_ref());
    report.forget();
}

/// Reports the height after the current task and its microtasks (a freshly
/// mounted widget's first render). Does nothing outside an embed page.
pub fn report_soon() {
    if !INSTALLED.with(Cell::get) {
        return;
    }
    let report = Closure::once_into_js(report_height);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(report.unchecked_ref());
    }
}

/// Posts the page's height to the parent if it changed since the last report.
fn report_height() {
    let Some(w) = web_sys::window() else { return };
    let Some(el) = w.document().and_then(|d| d.document_element()) else { return };
    let height = el.scroll_height();
    if LAST.with(|l| l.replace(height)) == height {
        return;
    }
    let msg = js_sys::Object::new();
    let widget = WIDGET.with(|w| w.borrow().clone());
    let _ = js_sys::Reflect::set(&msg, &"type".into(), &"llmem:height".into());
    let _ = js_sys::Reflect::set(&msg, &"widget".into(), &JsValue::from_str(&widget));
    let _ = js_sys::Reflect::set(&msg, &"height".into(), &JsValue::from(height));
    if let Ok(Some(parent)) = w.parent() {
        if parent != w {
            let _ = parent.post_message(&msg, "*");
        }
    }
}

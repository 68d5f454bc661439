//! Containing a panic to the widget it happened in.
//!
//! The release build aborts on panic (`panic = "abort"`): the call that
//! panicked traps, and whatever Rust state it was changing is left as it was.
//! The hook installed here runs just before the trap. It logs the panic once
//! (as a console error naming llmem), replaces the widget that was running
//! with a short, polite message, and expects the trap that follows, so the
//! browser does not report the same failure a second time as an uncaught
//! error. The other widgets keep working: each has its own reactive state,
//! and the end-to-end suite drives a widget after its neighbour crashed.
//!
//! Which widget was running: each widget is mounted in a task of its own
//! ([`run_as`]), and its shadow root notes every event it receives in the
//! capture phase ([`watch`]). Event handlers, and the effects they trigger
//! (which run as microtasks straight after), are then attributed to that
//! widget until the next task. A panic nobody can be blamed for (a window
//! resize redrawing every chart, say) takes down every widget of this bundle,
//! since any of them may hold the broken state.

use std::cell::{Cell, RefCell};
use wasm_bindgen::{closure::Closure, JsCast};

thread_local! {
    /// The host element of the widget whose code is running.
    static ACTIVE: RefCell<Option<web_sys::Element>> = const { RefCell::new(None) };
    /// Every widget host this bundle has mounted.
    static HOSTS: RefCell<Vec<web_sys::Element>> = const { RefCell::new(Vec::new()) };
    /// Panics whose trap the error listeners have not seen yet.
    static PENDING_TRAPS: Cell<u32> = const { Cell::new(0) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
    /// A task that clears `ACTIVE` is already queued.
    static CLEAR_QUEUED: Cell<bool> = const { Cell::new(false) };
}

/// The events a widget reacts to; any of them makes it the active widget.
const EVENTS: [&str; 10] =
    ["click", "input", "change", "keydown", "keyup", "pointerdown", "pointerup", "focusin", "dragover", "drop"];

/// What a crashed widget shows instead. Constant text: nothing from the page
/// or the panic message is ever rendered as HTML.
const MESSAGE: &str = "<div class=\"llmem-widget lw-crashed\" role=\"alert\">\
<p class=\"lw-crashed-title\">This figure stopped working.</p>\
<p>An internal error in llmem stopped it; the rest of the page is unaffected. \
Reloading the page starts the figure again.</p></div>";

/// Installs the panic hook and the listeners that expect the traps. Once per
/// page, however often it is called.
pub fn install() {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    std::panic::set_hook(Box::new(on_panic));
    let Some(window) = web_sys::window() else { return };
    let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        if is_our_trap(&e.error()) {
            e.prevent_default();
        }
    });
    let on_rejection = Closure::<dyn Fn(web_sys::PromiseRejectionEvent)>::new(|e: web_sys::PromiseRejectionEvent| {
        if is_our_trap(&e.reason()) {
            e.prevent_default();
        }
    });
    let _ = window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("unhandledrejection", on_rejection.as_ref().unchecked_ref());
    on_error.forget();
    on_rejection.forget();
}

/// A wasm trap we announced in [`on_panic`] (and only as many as we
/// announced: a host page's own wasm errors are never hidden).
fn is_our_trap(error: &wasm_bindgen::JsValue) -> bool {
    if !error.is_instance_of::<js_sys::WebAssembly::RuntimeError>() {
        return false;
    }
    PENDING_TRAPS.with(|p| match p.get() {
        0 => false,
        n => {
            p.set(n - 1);
            true
        }
    })
}

fn on_panic(info: &std::panic::PanicHookInfo) {
    PENDING_TRAPS.with(|p| p.set(p.get().saturating_add(1)));
    // The message and where it was raised; not `{info}`, whose Display
    // brings in formatting code worth half a KiB of gzip to every bundle.
    let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
    let payload = info.payload();
    let what = payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    let what = what.unwrap_or("a panic");
    web_sys::console::error_1(&format!("llmem: a figure stopped after an internal error: {what}{place}").into());
    let active = ACTIVE.with(|a| a.try_borrow().ok().and_then(|a| a.clone()));
    let hosts = match active {
        Some(host) => vec![host],
        None => HOSTS.with(|h| h.try_borrow().map(|h| h.clone()).unwrap_or_default()),
    };
    for host in &hosts {
        show_crash(host);
    }
}

/// Replaces a widget's content with [`MESSAGE`], keeping its stylesheet.
fn show_crash(host: &web_sys::Element) {
    let _ = host.set_attribute("data-llmem-error", "crashed");
    let container = host.shadow_root().and_then(|root| root.query_selector(".lw-root").ok().flatten());
    match container {
        Some(c) => c.set_inner_html(MESSAGE),
        // Crashed before its shadow root existed: plain text in the placeholder.
        None => host.set_text_content(Some("This figure stopped working after an internal error.")),
    }
}

/// Makes `host` the active widget until the current task ends.
fn set_active(host: &web_sys::Element) {
    ACTIVE.with(|a| {
        if let Ok(mut a) = a.try_borrow_mut() {
            *a = Some(host.clone());
        }
    });
    // One queued clear is enough: it runs after this task's microtasks,
    // whichever widget the last event before it belonged to.
    if CLEAR_QUEUED.with(|q| q.replace(true)) {
        return;
    }
    let clear = Closure::once_into_js(|| {
        CLEAR_QUEUED.with(|q| q.set(false));
        ACTIVE.with(|a| {
            if let Ok(mut a) = a.try_borrow_mut() {
                *a = None;
            }
        })
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(clear.unchecked_ref());
    }
}

/// Runs `f` (mounting a widget) as `host`'s code, and remembers the host.
pub fn run_as(host: &web_sys::Element, f: impl FnOnce()) {
    HOSTS.with(|h| h.borrow_mut().push(host.clone()));
    set_active(host);
    f();
}

/// Attributes the events `host`'s shadow root receives to `host`.
pub fn watch(host: &web_sys::Element, root: &web_sys::ShadowRoot) {
    let owner = host.clone();
    let note = Closure::<dyn Fn()>::new(move || set_active(&owner));
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    options.set_passive(true);
    for event in EVENTS {
        let _ = root.add_event_listener_with_callback_and_add_event_listener_options(
            event,
            note.as_ref().unchecked_ref(),
            &options,
        );
    }
    note.forget();
}

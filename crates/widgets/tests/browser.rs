//! Widgets mounted into a real page in headless Chromium (wasm-bindgen-test),
//! driven by DOM events, asserted on their text.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn placeholder(widget: &str, attrs: &[(&str, &str)]) -> HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el: HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    el.set_attribute("data-llmem-widget", widget).unwrap();
    for (k, v) in attrs {
        el.set_attribute(&format!("data-{k}"), v).unwrap();
    }
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

/// The widget's rendered text (it lives in the placeholder's shadow root).
fn text(el: &HtmlElement) -> String {
    el.shadow_root().and_then(|r| r.text_content()).or_else(|| el.text_content()).unwrap_or_default()
}

fn input(el: &HtmlElement, selector: &str, value: &str) {
    let root = el.shadow_root().unwrap();
    let input: HtmlInputElement = root.query_selector(selector).unwrap().unwrap().dyn_into().unwrap();
    input.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

/// Lets every queued task run: `mount_all` mounts one widget per task (so a
/// panic in one cannot stop the rest), and reactive updates settle in
/// microtasks. A few turns of the event loop cover both.
async fn settle() {
    for _ in 0..8 {
        let wait = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window().unwrap().set_timeout_with_callback(&resolve);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
    }
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn kv_cache_mounts_with_author_defaults_and_reacts() {
    let el = placeholder("kv-cache", &[("context", "32768")]);
    llmem_widgets::mount_all();
    settle().await;
    let shown = text(&el);
    // 32,768 tokens × 131,072 B = 4,294,967,296 B.
    assert!(shown.contains("4.29 GB"), "{shown}");
    input(&el, "input[id$='-batch']", "2");
    settle().await;
    let shown = text(&el);
    assert!(shown.contains("8.59 GB"), "{shown}");
}

#[wasm_bindgen_test]
async fn mounting_twice_is_harmless_and_widgets_are_independent() {
    let a = placeholder("kv-cache", &[("batch", "1")]);
    let b = placeholder("kv-cache", &[("batch", "3")]);
    llmem_widgets::mount_all();
    llmem_widgets::mount_all();
    settle().await;
    assert_eq!(a.shadow_root().unwrap().query_selector_all(".llmem-widget").unwrap().length(), 1);
    input(&a, "input[id$='-batch']", "2");
    settle().await;
    // 8K × 131,072 × 2 and × 3.
    assert!(text(&a).contains("2.15 GB"), "{}", text(&a));
    assert!(text(&b).contains("3.22 GB"), "{}", text(&b));
}

#[wasm_bindgen_test]
async fn unknown_widget_gets_a_text_message() {
    let el = placeholder("<b>nope</b>", &[]);
    llmem_widgets::mount_all();
    settle().await;
    assert!(text(&el).contains("no widget called"));
    assert!(el.query_selector("b").unwrap().is_none());
}

//! # llmem-widgets
//!
//! The interactive figures of llmem, as Leptos components, and the code that
//! mounts them into placeholder elements:
//!
//! ```html
//! <div data-llmem-widget="kv-cache" data-context="32768"></div>
//! ```
//!
//! [`mount_all`] finds every such element on the page and mounts the
//! matching component into it — on the site's own pages, in the iframe
//! embeds, and in other people's blog posts alike. Each widget lives in its
//! own folder with its CSS beside it; every number it shows comes from
//! `llmem-estimator`.

pub mod chart;
pub mod controls;
pub mod frame;
pub mod kv_cache;
pub mod params;
pub mod units;

use leptos::prelude::*;
use params::{PageMode, Params};
use wasm_bindgen::JsCast;

/// Mounts every `[data-llmem-widget]` element that is not mounted yet.
/// Safe to call again after adding placeholders to the page.
pub fn mount_all() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(list) = document.query_selector_all("[data-llmem-widget]") else { return };
    let mode = PageMode::detect();
    // Leptos's executor drives effects; mount_to would start it, but only for
    // a page that mounts something — start it first so nothing can run early.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    chart::install_redraw_listeners();
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
        if el.has_attribute("data-llmem-mounted") {
            continue;
        }
        let _ = el.set_attribute("data-llmem-mounted", "");
        mount_one(el, mode);
    }
}

/// Mounts the widget a placeholder names, replacing its fallback text.
fn mount_one(el: web_sys::HtmlElement, mode: PageMode) {
    let id = el.get_attribute("data-llmem-widget").unwrap_or_default();
    let Some(spec) = llmem_catalog::widget(&id) else {
        // Text, never HTML: the id comes from someone else's page.
        let shown: String = id.chars().take(40).collect();
        el.set_text_content(Some(&format!("llmem: there is no widget called “{shown}”.")));
        let _ = el.set_attribute("data-llmem-error", "unknown-widget");
        return;
    };
    let params = Params::read(&el, spec, mode);
    let Some(container) = shadow_container(&el) else { return };
    match spec.id {
        "kv-cache" => leptos::mount::mount_to(container, move || view! { <kv_cache::KvCache params /> }).forget(),
        _ => {
            container.set_text_content(Some(&format!("{} — this figure is coming soon.", spec.title)));
        }
    }
}

/// Gives the placeholder an open shadow root holding the widget stylesheet
/// and an empty container, and returns the container. In the shadow root the
/// host page's styles cannot reach the widget and the widget's cannot leak
/// out; the stylesheet is the one already linked (`link[data-llmem-css]`),
/// so it comes from the cache, and the container stays invisible until it
/// has applied, so nothing flashes unstyled.
fn shadow_container(el: &web_sys::HtmlElement) -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    el.set_inner_html("");
    let root = match el.shadow_root() {
        Some(r) => r,
        None => el.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).ok()?,
    };
    let container: web_sys::HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
    container.set_class_name("lw-root");
    let href = document
        .query_selector("link[data-llmem-css]")
        .ok()
        .flatten()
        .and_then(|l| l.dyn_into::<web_sys::HtmlLinkElement>().ok())
        .map(|l| l.href());
    if let Some(href) = href {
        let link: web_sys::HtmlLinkElement = document.create_element("link").ok()?.dyn_into().ok()?;
        link.set_rel("stylesheet");
        link.set_href(&href);
        let _ = container.style().set_property("visibility", "hidden");
        let shown = container.clone();
        let reveal = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = shown.style().remove_property("visibility");
        });
        link.set_onload(Some(reveal.unchecked_ref()));
        link.set_onerror(Some(reveal.unchecked_ref()));
        root.append_child(&link).ok()?;
    }
    root.append_child(&container).ok()?;
    Some(container)
}

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

#[cfg(feature = "attention-matrix")]
pub mod attention_matrix;
#[cfg(feature = "attention-pattern")]
pub mod attention_pattern;
pub mod b64;
#[cfg(feature = "bandwidth-race")]
pub mod bandwidth_race;
pub mod bars;
#[cfg(feature = "batch-steps")]
pub mod batch_steps;
#[cfg(feature = "cache-compare")]
pub mod cache_compare;
pub mod canvas_backend;
pub mod chart;
pub mod config_text;
#[cfg(feature = "context-budget")]
pub mod context_budget;
#[cfg(feature = "context-window")]
pub mod context_window;
pub mod controls;
#[cfg(feature = "decode-steps")]
pub mod decode_steps;
#[cfg(any(feature = "engine-memory", feature = "fit"))]
pub mod engine_answer;
#[cfg(feature = "engine-memory")]
pub mod engine_memory;
pub mod erased;
#[cfg(feature = "finetune")]
pub mod finetune;
#[cfg(feature = "fit")]
pub mod fit;
#[cfg(feature = "flash-tiles")]
pub mod flash_tiles;
#[cfg(feature = "formula")]
pub mod formula;
pub mod frame;
pub mod frame_page;
#[cfg(feature = "gpu-map")]
pub mod gpu_map;
#[cfg(feature = "hierarchy")]
pub mod hierarchy;
#[cfg(feature = "kv-cache")]
pub mod kv_cache;
#[cfg(feature = "layer-map")]
pub mod layer_map;
#[cfg(feature = "memory-store")]
pub mod memory_store;
#[cfg(feature = "offload-split")]
pub mod offload_split;
#[cfg(feature = "paging")]
pub mod paging;
pub mod panic_guard;
#[cfg(feature = "panic-test")]
pub mod panic_test;
#[cfg(feature = "parallel-layout")]
pub mod parallel_layout;
pub mod params;
#[cfg(feature = "prefill-decode")]
pub mod prefill_decode;
#[cfg(feature = "quant-block")]
pub mod quant_block;
#[cfg(feature = "quant-quality")]
pub mod quant_quality;
#[cfg(feature = "speculative")]
pub mod speculative;
#[cfg(feature = "ssm-vs-kv")]
pub mod ssm_vs_kv;
#[cfg(feature = "step-timeline")]
pub mod step_timeline;
#[cfg(any(feature = "flash-tiles", feature = "decode-steps", feature = "batch-steps"))]
pub mod stepper;
#[cfg(feature = "store-recompute")]
pub mod store_recompute;
#[cfg(feature = "train-vs-infer")]
pub mod train_vs_infer;
pub mod units;
#[cfg(feature = "weights")]
pub mod weights;
#[cfg(feature = "zero")]
pub mod zero;

use leptos::prelude::*;
use params::{PageMode, Params};
use wasm_bindgen::JsCast;

/// Mounts every `[data-llmem-widget]` element that is not mounted yet and
/// that this bundle carries. Safe to call again after adding placeholders.
///
/// Each widget mounts in a task of its own: the page stays responsive while
/// several widgets start, and a widget that panics while mounting is
/// contained ([`panic_guard`]) without stopping the ones after it.
pub fn mount_all() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(list) = document.query_selector_all("[data-llmem-widget]") else { return };
    let mode = PageMode::detect();
    panic_guard::install();
    // Leptos's executor drives effects; mount_to would start it, but only for
    // a page that mounts something — start it first so nothing can run early.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    chart::install_redraw_listeners();
    if mode == PageMode::Frame {
        frame_page::install();
    }
    let mut jobs: Vec<(web_sys::HtmlElement, Job)> = Vec::new();
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
        if el.has_attribute("data-llmem-mounted") {
            continue;
        }
        let id = el.get_attribute("data-llmem-widget").unwrap_or_default();
        #[cfg(feature = "panic-test")]
        if id == panic_test::ID {
            let _ = el.set_attribute("data-llmem-mounted", "");
            jobs.push((el, Job::PanicTest));
            continue;
        }
        let Some(spec) = carried_spec(&id) else {
            // Another bundle's widget is left for that bundle.
            if llmem_catalog::IDS.contains(&id.as_str()) {
                continue;
            }
            // Text, never HTML: the id comes from someone else's page.
            let shown: String = id.chars().take(40).collect();
            el.set_text_content(Some(&format!("llmem: there is no widget called “{shown}”.")));
            let _ = el.set_attribute("data-llmem-mounted", "");
            let _ = el.set_attribute("data-llmem-error", "unknown-widget");
            continue;
        };
        // Marked now, so a second call does not queue it again.
        let _ = el.set_attribute("data-llmem-mounted", "");
        jobs.push((el, Job::Widget(spec, mode)));
    }
    jobs.reverse();
    mount_in_turn(jobs);
}

/// What to mount into one placeholder.
enum Job {
    Widget(&'static llmem_catalog::WidgetSpec, PageMode),
    #[cfg(feature = "panic-test")]
    PanicTest,
}

/// Starts the last job now and queues the rest as a new task. The next task
/// is queued first, so a panic in this one cannot stop it.
fn mount_in_turn(mut jobs: Vec<(web_sys::HtmlElement, Job)>) {
    let Some((el, job)) = jobs.pop() else { return };
    if !jobs.is_empty() {
        let rest = wasm_bindgen::closure::Closure::once_into_js(move || mount_in_turn(jobs));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(rest.unchecked_ref());
        }
    }
    match job {
        Job::Widget(spec, mode) => {
            let params = Params::read(&el, spec, mode);
            start_widget(spec.id, el, params);
        }
        #[cfg(feature = "panic-test")]
        Job::PanicTest => panic_guard::run_as(&el, || {
            if let Some(container) = shadow_container(&el) {
                panic_test::mount(container, &el);
            }
        }),
    }
}

/// Mounts a widget into its placeholder: in the placeholder's shadow root,
/// as the placeholder's code for the panic guard, and telling an iframe's
/// host the new height.
fn mount_view<V: IntoView + 'static>(host: web_sys::HtmlElement, view: impl FnOnce() -> V + 'static) {
    panic_guard::run_as(&host, || {
        if let Some(container) = shadow_container(&host) {
            leptos::mount::mount_to(container, view).forget();
        }
    });
    frame_page::report_soon();
}

/// Declares every widget once: its feature (which is also its id), its
/// catalogue entry and its view. From the list come [`carried`],
/// [`carried_spec`] and [`start_widget`]. Naming each catalogue entry,
/// rather than searching the whole catalogue, keeps the other widgets'
/// texts out of a bundle.
macro_rules! widgets {
    ($($feature:literal => $spec:ident, |$params:ident| $view:expr;)*) => {
        /// The ids of the widgets compiled into this bundle.
        pub fn carried() -> Vec<&'static str> {
            vec![$(#[cfg(feature = $feature)] $feature,)*]
        }

        /// The catalogue entry of a widget this bundle carries.
        fn carried_spec(id: &str) -> Option<&'static llmem_catalog::WidgetSpec> {
            match id {
                $(#[cfg(feature = $feature)] $feature => Some(&llmem_catalog::$spec),)*
                _ => None,
            }
        }

        /// Mounts widget `id` into `host`.
        fn start_widget(id: &str, host: web_sys::HtmlElement, params: Params) {
            match id {
                $(#[cfg(feature = $feature)] $feature => mount_view(host, move || { let $params = params; $view }),)*
                _ => {}
            }
        }
    };
}

widgets! {
    "kv-cache" => KV_CACHE, |params| view! { <kv_cache::KvCache params /> };
    "gpu-map" => GPU_MAP, |params| view! { <gpu_map::GpuMap params /> };
    "store-recompute" => STORE_RECOMPUTE, |params| view! { <store_recompute::StoreRecompute params /> };
    "train-vs-infer" => TRAIN_VS_INFER, |params| view! { <train_vs_infer::TrainVsInfer params /> };
    "weights" => WEIGHTS, |params| view! { <weights::Weights params /> };
    "attention-matrix" => ATTENTION_MATRIX, |params| view! { <attention_matrix::AttentionMatrix params /> };
    "paging" => PAGING, |params| view! { <paging::Paging params /> };
    "prefill-decode" => PREFILL_DECODE, |params| view! { <prefill_decode::PrefillDecode params /> };
    "zero" => ZERO, |params| view! { <zero::Zero params /> };
    "hierarchy" => HIERARCHY, |params| view! { <hierarchy::Hierarchy params /> };
    "context-window" => CONTEXT_WINDOW, |params| view! { <context_window::ContextWindowWidget params /> };
    "ssm-vs-kv" => SSM_VS_KV, |params| view! { <ssm_vs_kv::SsmVsKv params /> };
    "fit" => FIT, |params| view! { <fit::Fit params /> };
    "engine-memory" => ENGINE_MEMORY, |params| view! { <engine_memory::EngineMemory params /> };
    "layer-map" => LAYER_MAP, |params| view! { <layer_map::LayerMapWidget params /> };
    "memory-store" => MEMORY_STORE, |params| view! { <memory_store::MemoryStore params /> };
    "bandwidth-race" => BANDWIDTH_RACE, |params| view! { <bandwidth_race::BandwidthRace params /> };
    "speculative" => SPECULATIVE, |params| view! { <speculative::Speculative params /> };
    "quant-block" => QUANT_BLOCK, |params| view! { <quant_block::QuantBlock params /> };
    "quant-quality" => QUANT_QUALITY, |params| view! { <quant_quality::QuantQuality params /> };
    "parallel-layout" => PARALLEL_LAYOUT, |params| view! { <parallel_layout::ParallelLayout params /> };
    "offload-split" => OFFLOAD_SPLIT, |params| view! { <offload_split::OffloadSplit params /> };
    "attention-pattern" => ATTENTION_PATTERN, |params| view! { <attention_pattern::AttentionPattern params /> };
    "cache-compare" => CACHE_COMPARE, |params| view! { <cache_compare::CacheCompare params /> };
    "batch-steps" => BATCH_STEPS, |params| view! { <batch_steps::BatchSteps params /> };
    "context-budget" => CONTEXT_BUDGET, |params| view! { <context_budget::ContextBudget params /> };
    "flash-tiles" => FLASH_TILES, |params| view! { <flash_tiles::FlashTiles params /> };
    "decode-steps" => DECODE_STEPS, |params| view! { <decode_steps::DecodeSteps params /> };
    "step-timeline" => STEP_TIMELINE, |params| view! { <step_timeline::StepTimelineWidget params /> };
    "finetune" => FINETUNE, |params| view! { <finetune::FineTune params /> };
}

/// Gives the placeholder an open shadow root holding the widget stylesheet
/// and an empty container, and returns the container. In the shadow root the
/// host page's styles cannot reach the widget and the widget's cannot leak
/// out; the stylesheet is the one the loader named on the placeholder
/// (`data-llmem-css`, on another site's page) or the one already linked
/// (`link[data-llmem-css]`), so it comes from the cache, and the container stays invisible until it
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
    // A widget embedded on another site has a stylesheet of its own, named
    // on its placeholder by the loader (embed.js); otherwise the page's.
    let href = el.get_attribute("data-llmem-css").or_else(|| {
        document
            .query_selector("link[data-llmem-css]")
            .ok()
            .flatten()
            .and_then(|l| l.dyn_into::<web_sys::HtmlLinkElement>().ok())
            .map(|l| l.href())
    });
    if let Some(href) = href {
        let link: web_sys::HtmlLinkElement = document.create_element("link").ok()?.dyn_into().ok()?;
        link.set_rel("stylesheet");
        link.set_href(&href);
        let _ = container.style().set_property("visibility", "hidden");
        let shown = container.clone();
        let reveal = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = shown.style().remove_property("visibility");
            // Charts drawn before the stylesheet arrived used fallback colors
            // and sizes; the redraw may change the page's height.
            chart::restyled();
            frame_page::report_soon();
        });
        link.set_onload(Some(reveal.unchecked_ref()));
        link.set_onerror(Some(reveal.unchecked_ref()));
        root.append_child(&link).ok()?;
    }
    root.append_child(&container).ok()?;
    panic_guard::watch(el, &root);
    Some(container)
}

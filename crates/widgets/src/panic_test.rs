//! A widget that panics on purpose, to prove a panic stays inside its widget.
//!
//! Compiled only with the `panic-test` feature, which no site or embed bundle
//! enables: `cargo xtask test` builds a separate bundle with it for the
//! end-to-end fixture `tests/fixtures/panic.html`. Its placeholder id is not
//! in the catalogue, so no content can ask for it.
//!
//! `data-when` picks the moment: `mount` (while mounting), `click` (in a
//! button's event handler) or `effect` (in an effect the click triggers,
//! which runs as a microtask after the handler returned).

use leptos::prelude::*;

/// The placeholder id: `<div data-llmem-widget="llmem-panic-test">`.
pub const ID: &str = "llmem-panic-test";

/// Mounts the test widget into `container`; `host` is its placeholder.
pub fn mount(container: web_sys::HtmlElement, host: &web_sys::HtmlElement) {
    let when = host.get_attribute("data-when").unwrap_or_default();
    if when == "mount" {
        panic!("deliberate panic while mounting (llmem panic test)");
    }
    let armed = RwSignal::new(false);
    let in_effect = when == "effect";
    leptos::mount::mount_to(container, move || {
        crate::erased::effect(move || {
            if armed.get() {
                panic!("deliberate panic in an effect (llmem panic test)");
            }
        });
        view! {
            <section class="llmem-widget">
                <p>"Panic test"</p>
                <button type="button" class="lw-button" on:click=move |_| {
                    if in_effect {
                        armed.set(true);
                    } else {
                        panic!("deliberate panic in a click handler (llmem panic test)");
                    }
                }>"Panic"</button>
            </section>
        }
    })
    .forget();
}

//! The wasm entry point of the llmem site and embeds. `embed.js` loads a
//! bundle and calls its exported [`mount`], which mounts every widget
//! placeholder on the page that this bundle carries. All logic lives in
//! `llmem-widgets`.

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the page's widget placeholders (idempotent; called by embed.js and
/// by `window.llmem.mount()` after a host page adds placeholders).
#[wasm_bindgen]
pub fn mount() {
    llmem_widgets::mount_all();
}

/// Nothing happens at start: the loader decides when to mount.
fn main() {}

//! The wasm entry point of the llmem site and embeds: mount every widget
//! placeholder on the page. All logic lives in `llmem-widgets`.

fn main() {
    llmem_widgets::mount_all();
}

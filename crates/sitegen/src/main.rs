//! `llmem-sitegen`: renders the static site.
//!
//! - `llmem-sitegen post-build` — trunk's `post_build` hook: reads trunk's
//!   `index.html` and bundle names from `$TRUNK_STAGING_DIR` and writes every
//!   page there (trunk then moves it to `dist/`).
//! - `llmem-sitegen check` — renders everything in memory and reports
//!   content errors, without writing.

use llmem_sitegen::{build, Bundle, Sources};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("post-build") => post_build(),
        Some("check") => check(),
        _ => Err("usage: llmem-sitegen post-build | check".to_string()),
    };
    match result {
        Ok(msg) => {
            eprintln!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("llmem-sitegen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Finds trunk's `<name>-<hash>.js` and `<name>-<hash>_bg.wasm` in `dir`.
fn find_bundle(dir: &Path) -> Result<Bundle, String> {
    let mut js = None;
    let mut wasm = None;
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("llmem-site-") && name.ends_with("_bg.wasm") {
            wasm = Some(name);
        } else if name.starts_with("llmem-site-") && name.ends_with(".js") {
            js = Some(name);
        }
    }
    Ok(Bundle {
        js: js.ok_or("no llmem-site-*.js in the trunk output")?,
        wasm: wasm.ok_or("no llmem-site-*_bg.wasm in the trunk output")?,
    })
}

fn post_build() -> Result<String, String> {
    let staging = PathBuf::from(
        std::env::var("TRUNK_STAGING_DIR").map_err(|_| "TRUNK_STAGING_DIR is not set (run me from trunk)")?,
    );
    let shell = std::fs::read_to_string(staging.join("index.html")).map_err(|e| format!("trunk's index.html: {e}"))?;
    let bundle = find_bundle(&staging)?;
    let site = build(&Sources::repository(), &shell, &bundle)?;
    site.write(&staging)?;
    Ok(format!("llmem-sitegen: wrote {} files", site.files.len()))
}

fn check() -> Result<String, String> {
    let sources = Sources::repository();
    let shell = std::fs::read_to_string(sources.content.join("../../index.html")).map_err(|e| e.to_string())?;
    let bundle = Bundle { js: "llmem-check.js".into(), wasm: "llmem-check_bg.wasm".into() };
    let site = build(&sources, &shell, &bundle)?;
    Ok(format!("llmem-sitegen: content OK ({} files)", site.files.len()))
}

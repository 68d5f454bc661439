//! `llmem-sitegen`: renders the static site.
//!
//! - `llmem-sitegen post-build` — trunk's `post_build` hook: reads trunk's
//!   `index.html` and bundle names from `$TRUNK_STAGING_DIR` and writes every
//!   page there (trunk then moves it to `dist/`).
//! - `llmem-sitegen check` — renders everything in memory and reports
//!   content errors, without writing.
//! - `llmem-sitegen test-bundle <dir>` — builds the end-to-end tests' bundle
//!   (the KV cache widget and the deliberately panicking test widget) into
//!   `<dir>/panic-bundle.js` and its wasm.
//! - `llmem-sitegen bundle <dir> <widget>…` — builds one bundle for these
//!   widgets into `<dir>`, as the release build does (for measuring one
//!   bundle's size without building the site).

use llmem_sitegen::{
    build,
    bundles::{build_bundles, prune_cache, BundleMap},
    widget_sets, Sources,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("post-build") => post_build(),
        Some("check") => check(),
        Some("test-bundle") => match args.get(1) {
            Some(dir) => test_bundle(Path::new(dir)),
            None => Err("usage: llmem-sitegen test-bundle <dir>".to_string()),
        },
        Some("bundle") if args.len() > 2 => one_bundle(Path::new(&args[1]), &args[2..]),
        _ => Err("usage: llmem-sitegen post-build | check | test-bundle <dir> | bundle <dir> <widget>…".to_string()),
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
fn find_bundle(dir: &Path) -> Result<(String, String), String> {
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
    Ok((
        js.ok_or("no llmem-site-*.js in the trunk output")?,
        wasm.ok_or("no llmem-site-*_bg.wasm in the trunk output")?,
    ))
}

fn post_build() -> Result<String, String> {
    let staging = PathBuf::from(
        std::env::var("TRUNK_STAGING_DIR").map_err(|_| "TRUNK_STAGING_DIR is not set (run me from trunk)")?,
    );
    let shell = std::fs::read_to_string(staging.join("index.html")).map_err(|e| format!("trunk's index.html: {e}"))?;
    let (js, wasm) = find_bundle(&staging)?;
    let sources = Sources::repository();
    let release = std::env::var("TRUNK_PROFILE").as_deref() == Ok("release");
    let bundles = if release {
        // Per-page and per-widget bundles replace trunk's all-widget bundle.
        let root = sources.content.join("../..");
        let map = build_bundles(&root, &staging, &widget_sets(&sources)?)?;
        prune_cache(&root, &map);
        for f in [&js, &wasm] {
            let _ = std::fs::remove_file(staging.join(f));
        }
        map
    } else {
        BundleMap::single(&js, &wasm)
    };
    let site = build(&sources, &shell, &bundles)?;
    site.write(&staging)?;
    if release {
        // Every embed downloads the loader: terser (npm, as for the glue)
        // takes a tenth off its gzip.
        llmem_sitegen::bundles::terser(&staging.join("embed.js"))?;
    }
    Ok(format!("llmem-sitegen: wrote {} files and {} wasm bundles", site.files.len(), bundles.files.len()))
}

fn check() -> Result<String, String> {
    let sources = Sources::repository();
    let shell = std::fs::read_to_string(sources.content.join("../../index.html")).map_err(|e| e.to_string())?;
    let site = build(&sources, &shell, &BundleMap::single("llmem-check.js", "llmem-check_bg.wasm"))?;
    Ok(format!("llmem-sitegen: content OK ({} files)", site.files.len()))
}

/// One bundle for `widgets`, for measuring it alone.
fn one_bundle(dir: &Path, widgets: &[String]) -> Result<String, String> {
    let root = Sources::repository().content.join("../..");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let map = build_bundles(&root, dir, &[(widgets.to_vec(), "one".to_string())])?;
    let stem = map.by_set.values().next().ok_or("no bundle was built")?;
    Ok(format!("llmem-sitegen: {}", dir.join(stem).display()))
}

/// The panic-containment fixture's bundle: never part of `dist/`.
fn test_bundle(dir: &Path) -> Result<String, String> {
    let root = Sources::repository().content.join("../..");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let set = vec!["kv-cache".to_string(), "panic-test".to_string()];
    let map = build_bundles(&root, dir, &[(set, "test-panic".to_string())])?;
    let (js, wasm) = map.files.values().next().ok_or("no bundle was built")?;
    // A fixed name for the fixture to import; the glue finds its wasm by the
    // name it was built with, which stays beside it.
    std::fs::rename(dir.join(js), dir.join("panic-bundle.js")).map_err(|e| e.to_string())?;
    std::fs::rename(dir.join(wasm), dir.join(Path::new(wasm).file_name().unwrap_or_default()))
        .map_err(|e| e.to_string())?;
    let folder = Path::new(js).parent().unwrap_or(Path::new(""));
    let _ = std::fs::remove_dir(dir.join(folder));
    Ok(format!("llmem-sitegen: test bundle panic-bundle.js + {wasm} in {}", dir.display()))
}

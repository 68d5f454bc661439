//! Splitting the wasm into bundles that carry only what a page needs.
//!
//! Every widget is a cargo feature of `llmem-widgets` (and `llmem-site`). A
//! Leptos widget with the runtime it needs is 100–150 KiB of gzipped wasm,
//! so one bundle of every widget would break the page budget; instead the
//! release build makes one bundle per distinct set of widgets on a page, and
//! one per widget for embeds, each `cargo build --no-default-features
//! --features <widgets>` → wasm-bindgen → wasm-opt, and terser for the glue.
//! A bundle already built for the same wasm bytes is reused from
//! `target/bundles/`.
//!
//! In development (`trunk serve`) trunk's single bundle carries every widget
//! and everything points at it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which bundle serves what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleMap {
    /// Bundle base name (`w-kv-cache-1a2b3c4d5e6f`) → its JS glue and wasm file names.
    pub files: BTreeMap<String, (String, String)>,
    /// Widget id → the bundle that carries it alone (for embeds).
    pub by_widget: BTreeMap<String, String>,
    /// Set of widget ids → the bundle carrying exactly that set (for pages).
    pub by_set: BTreeMap<Vec<String>, String>,
}

impl BundleMap {
    /// Every widget served by one bundle (development, or tests).
    pub fn single(js: &str, wasm: &str) -> BundleMap {
        let name = js.trim_end_matches(".js").to_string();
        let mut m = BundleMap::default();
        m.files.insert(name.clone(), (js.to_string(), wasm.to_string()));
        for w in llmem_catalog::WIDGETS {
            m.by_widget.insert(w.id.to_string(), name.clone());
        }
        m.by_set.insert(Vec::new(), name);
        m
    }

    /// The bundle for a page showing `widgets` (any bundle carrying all of them).
    pub fn for_set(&self, widgets: &[String]) -> Option<&str> {
        let mut key: Vec<String> = widgets.to_vec();
        key.sort();
        key.dedup();
        if let Some(b) = self.by_set.get(&key) {
            return Some(b);
        }
        if key.len() == 1 {
            return self.by_widget.get(&key[0]).map(String::as_str);
        }
        // Development: one bundle carries everything.
        self.by_set.get(&Vec::new()).map(String::as_str)
    }
}

/// What is done to a wasm after cargo: part of every bundle's name.
const PIPELINE: &[u8] = b"wasm-bindgen --target web; wasm-opt -Oz; terser --module --compress --mangle";

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// A short stable name for a set: the widget id, or the page slug for a set.
fn bundle_stem(set: &[String], label: &str) -> String {
    if set.len() == 1 {
        set[0].clone()
    } else {
        label.to_string()
    }
}

/// Builds a bundle per set (each labelled, e.g. by its page slug) into `out`.
///
/// `root` is the workspace; the tools (cargo, wasm-bindgen, wasm-opt) are
/// found on `PATH`, where `cargo xtask` puts the pinned versions.
pub fn build_bundles(root: &Path, out: &Path, sets: &[(Vec<String>, String)]) -> Result<BundleMap, String> {
    let cache = root.join("target/bundles");
    std::fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
    let mut map = BundleMap::default();
    let mut done: BTreeSet<Vec<String>> = BTreeSet::new();
    for (set, label) in sets {
        let mut set = set.clone();
        set.sort();
        set.dedup();
        if set.is_empty() || !done.insert(set.clone()) {
            continue;
        }
        let features = set.join(",");
        eprintln!("llmem-sitegen: bundle [{features}]");
        run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown", "-p", "llmem-site"])
            .args(["--no-default-features", "--features", &features]))?;
        let wasm_in = root.join("target/wasm32-unknown-unknown/release/llmem-site.wasm");
        let bytes = std::fs::read(&wasm_in).map_err(|e| format!("{}: {e}", wasm_in.display()))?;
        // The name covers the wasm and how it is processed, so a cached
        // bundle from an older pipeline is never reused.
        let stem = format!("w-{}-{}", bundle_stem(&set, label), crate::content_hash(&[&bytes[..], PIPELINE].concat()));
        let cached = cache.join(&stem);
        let (js, wasm) = (format!("{stem}.js"), format!("{stem}_bg.wasm"));
        if !cached.join(&wasm).is_file() || !cached.join(&js).is_file() {
            let tmp = cache.join(format!("{stem}.tmp"));
            let _ = std::fs::remove_dir_all(&tmp);
            run(Command::new("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--out-name", &stem, "--out-dir"])
                .arg(&tmp)
                .arg(&wasm_in))?;
            run(Command::new("wasm-opt")
                .args(["-Oz", "--enable-reference-types", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
                .arg(tmp.join(&wasm))
                .arg("-o")
                .arg(tmp.join(format!("{wasm}.opt"))))?;
            std::fs::rename(tmp.join(format!("{wasm}.opt")), tmp.join(&wasm)).map_err(|e| e.to_string())?;
            // wasm-bindgen's glue is readable JavaScript; terser (npm) makes
            // it about a third smaller, gzip included.
            run(Command::new("terser")
                .arg(tmp.join(&js))
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(tmp.join(format!("{js}.min"))))?;
            std::fs::rename(tmp.join(format!("{js}.min")), tmp.join(&js)).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_dir_all(&cached);
            std::fs::rename(&tmp, &cached).map_err(|e| e.to_string())?;
        }
        for f in [&js, &wasm] {
            std::fs::copy(cached.join(f), out.join(f)).map_err(|e| format!("copy {f}: {e}"))?;
        }
        map.files.insert(stem.clone(), (js, wasm));
        if set.len() == 1 {
            map.by_widget.insert(set[0].clone(), stem.clone());
        }
        map.by_set.insert(set, stem);
    }
    Ok(map)
}

/// `target/bundles` entries older than the ones just used are removed so the
/// cache does not grow without bound.
pub fn prune_cache(root: &Path, keep: &BundleMap) {
    let cache: PathBuf = root.join("target/bundles");
    if let Ok(entries) = std::fs::read_dir(&cache) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            // Test-only bundles (`w-test-…`) are kept for the next test run.
            if !keep.files.contains_key(&name) && !name.starts_with("w-test-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_bundle_serves_every_set() {
        let m = BundleMap::single("llmem-site-1.js", "llmem-site-1_bg.wasm");
        assert_eq!(m.for_set(&["kv-cache".into()]), Some("llmem-site-1"));
        assert_eq!(m.for_set(&["paging".into(), "prefill-decode".into()]), Some("llmem-site-1"));
    }

    #[test]
    fn sets_find_their_bundle() {
        let mut m = BundleMap::default();
        m.by_set.insert(vec!["a".into(), "b".into()], "w-ab".into());
        m.by_widget.insert("a".into(), "w-a".into());
        assert_eq!(m.for_set(&["b".into(), "a".into()]), Some("w-ab"));
        assert_eq!(m.for_set(&["a".into()]), Some("w-a"));
        assert_eq!(m.for_set(&["c".into(), "a".into()]), None);
    }
}

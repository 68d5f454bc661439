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
    /// Bundle carrying one widget → its own stylesheet (`<stem>/widget.css`:
    /// the shared rules and that widget's, for embeds; release builds only).
    pub css: BTreeMap<String, String>,
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
const PIPELINE: &[u8] = b"wasm-split 0.2.4 when lazy, else strip linking/reloc sections; wasm-bindgen --target web (--keep-lld-exports when lazy); \
drop wasm-streams' exports and their glue classes; wasm-opt -Oz each module; terser --module --compress --mangle; in a folder";

/// The glue's name inside a bundle's folder.
const GLUE: &str = "llmem";
/// The stylesheet in the folder of a one-widget bundle ([`BundleMap::css`]).
pub const WIDGET_CSS: &str = "widget.css";

/// Widgets whose bundle splits off modules fetched on first use (feature
/// `lazy-config`): the calculator's config and file readers, the engine
/// figure's llama.cpp graph builder.
const LAZY_CONFIG: &[&str] = &["fit", "engine-memory"];

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

/// Builds a bundle per set (each labelled, e.g. by its page slug) into
/// `out/<stem>/`: `llmem.js` (the glue), `llmem_bg.wasm`, and for a set with
/// the calculator the lazily fetched config reader (`split_config_reader.wasm`
/// with its loader `__wasm_split.js`, which finds it relative to itself).
/// The folder is named by the content hash, so files inside keep short
/// names and never collide with an older build's.
///
/// `root` is the workspace; the tools (cargo, wasm-bindgen, wasm-opt,
/// terser) are found on `PATH`, where `cargo xtask` puts the pinned versions.
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
        let lazy = set.iter().any(|w| LAZY_CONFIG.contains(&w.as_str()));
        // A bundle of one widget is embedded alone, with a stylesheet of its
        // own; its name covers the stylesheet too, so a changed rule is a
        // new address.
        let css = match &set[..] {
            [one] => Some(crate::minify_css(&crate::widget_css(&root.join("crates/widgets/src"), one)?)),
            _ => None,
        };
        let features = if lazy { format!("{},lazy-config", set.join(",")) } else { set.join(",") };
        eprintln!("llmem-sitegen: bundle [{features}]");
        run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown", "-p", "llmem-site"])
            .args(["--no-default-features", "--features", &features]))?;
        let wasm_in = root.join("target/wasm32-unknown-unknown/release/llmem-site.wasm");
        let bytes = std::fs::read(&wasm_in).map_err(|e| format!("{}: {e}", wasm_in.display()))?;
        // The name covers the wasm and how it is processed, so a cached
        // bundle from an older pipeline is never reused.
        let css_bytes = css.as_deref().unwrap_or_default().as_bytes();
        let stem = format!(
            "w-{}-{}",
            bundle_stem(&set, label),
            crate::content_hash(&[&bytes[..], PIPELINE, css_bytes].concat())
        );
        let cached = cache.join(&stem);
        if !cached.join(format!("{GLUE}_bg.wasm")).is_file() {
            let tmp = cache.join(format!("{stem}.tmp"));
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
            process(&bytes, &tmp, lazy)?;
            let _ = std::fs::remove_dir_all(&cached);
            std::fs::rename(&tmp, &cached).map_err(|e| e.to_string())?;
        }
        let dest = out.join(&stem);
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
        for e in std::fs::read_dir(&cached).map_err(|e| e.to_string())?.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            std::fs::copy(e.path(), dest.join(&name)).map_err(|e| format!("copy {name}: {e}"))?;
        }
        if let Some(css) = css {
            std::fs::write(dest.join(WIDGET_CSS), css).map_err(|e| format!("{stem}/{WIDGET_CSS}: {e}"))?;
            map.css.insert(stem.clone(), format!("{stem}/{WIDGET_CSS}"));
        }
        map.files.insert(stem.clone(), (format!("{stem}/{GLUE}.js"), format!("{stem}/{GLUE}_bg.wasm")));
        if set.len() == 1 {
            map.by_widget.insert(set[0].clone(), stem.clone());
        }
        map.by_set.insert(set, stem);
    }
    Ok(map)
}

/// cargo's wasm → the files of a bundle in `dir`.
fn process(wasm: &[u8], dir: &Path, lazy: bool) -> Result<(), String> {
    let main = dir.join("main.wasm");
    let mut modules = Vec::new();
    let mut scripts = vec![format!("{GLUE}.js")];
    if lazy {
        // wasm-split (as cargo-leptos runs it) moves the code only the split
        // point reaches into its own module and writes the loader.
        let main_module = format!("./{GLUE}.js");
        let split = wasm_split_cli_support::transform({
            let mut opts = wasm_split_cli_support::Options::new(wasm);
            opts.output_dir = dir;
            opts.main_out_path = &main;
            opts.main_module = &main_module;
            opts.link_name = "./__wasm_split.js";
            opts
        })
        .map_err(|e| format!("wasm-split: {e:#}"))?;
        modules.extend(split.split_modules);
        scripts.push("__wasm_split.js".into());
    } else {
        std::fs::write(&main, strip_link_sections(wasm)?).map_err(|e| e.to_string())?;
    }
    // A split main module exports what its split modules link against.
    let keep_exports = if lazy { &["--keep-lld-exports"][..] } else { &[] };
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript"])
        .args(keep_exports)
        .args(["--out-name", GLUE, "--out-dir"])
        .arg(dir)
        .arg(&main))?;
    std::fs::remove_file(&main).map_err(|e| e.to_string())?;
    let bg = dir.join(format!("{GLUE}_bg.wasm"));
    let bytes = std::fs::read(&bg).map_err(|e| e.to_string())?;
    std::fs::write(&bg, drop_exports(&bytes, UNUSED_EXPORTS)?).map_err(|e| e.to_string())?;
    let glue = dir.join(format!("{GLUE}.js"));
    let js = std::fs::read_to_string(&glue).map_err(|e| e.to_string())?;
    std::fs::write(&glue, drop_classes(&js, UNUSED_CLASSES)?).map_err(|e| e.to_string())?;
    modules.push(bg);
    for m in &modules {
        let opt = m.with_extension("opt");
        run(Command::new("wasm-opt")
            .args(["-Oz", "--enable-reference-types", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
            .arg(m)
            .arg("-o")
            .arg(&opt))?;
        std::fs::rename(&opt, m).map_err(|e| e.to_string())?;
    }
    // wasm-bindgen's glue is readable JavaScript; terser (npm) makes it
    // about a third smaller, gzip included.
    for js in scripts {
        terser(&dir.join(js))?;
    }
    Ok(())
}

/// Minifies an ES module in place with terser.
pub fn terser(js: &Path) -> Result<(), String> {
    let min = js.with_extension("min.js");
    run(Command::new("terser").arg(js).args(["--module", "--compress", "--mangle", "--output"]).arg(&min))?;
    std::fs::rename(&min, js).map_err(|e| e.to_string())
}

/// The module without the relocation and linking sections that
/// `-Clink-args=--emit-relocs` (set for every wasm build in
/// `.cargo/config.toml`, for wasm-split) adds: half a megabyte that only
/// wasm-split reads, and that wasm-bindgen and wasm-opt would pass through.
fn strip_link_sections(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("reading the wasm: {e}"))?;
        if let wasmparser::Payload::CustomSection(c) = &payload {
            if c.name() == "linking" || c.name().starts_with("reloc.") {
                continue;
            }
        }
        copy_section(&mut module, wasm, &payload)?;
    }
    Ok(module.finish())
}

/// Copies `payload`'s section of `wasm` into `module` as it is (nothing for
/// a payload that is not a section of its own: headers, the end).
fn copy_section(module: &mut wasm_encoder::Module, wasm: &[u8], payload: &wasmparser::Payload) -> Result<(), String> {
    let section = match payload {
        wasmparser::Payload::CustomSection(c) => Some((0u8, c.range())),
        other => other.as_section(),
    };
    if let Some((id, range)) = section {
        let data = usize::try_from(range.start)
            .ok()
            .zip(usize::try_from(range.end).ok())
            .and_then(|(start, end)| wasm.get(start..end))
            .ok_or("a wasm section runs past the end of the file")?;
        module.section(&wasm_encoder::RawSection { id, data });
    }
    Ok(())
}

/// Exports no widget calls, whose code would otherwise stay in every
/// bundle: wasm-streams' `IntoUnderlying*` classes, which Leptos's
/// `server_fn` links for streaming server functions (the site has none).
/// Exported items are roots that no optimizer may remove; without the
/// exports wasm-opt drops their code, and [`drop_classes`] their classes
/// ([`UNUSED_CLASSES`]) in the glue.
const UNUSED_EXPORTS: &[&str] = &["intounderlying"];

/// The glue's classes for [`UNUSED_EXPORTS`].
const UNUSED_CLASSES: &[&str] = &["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

/// wasm-bindgen's glue without the classes `names`: each `export class`
/// block (to its closing brace at the start of a line), its `Symbol.dispose`
/// line and its `FinalizationRegistry` (three lines), as wasm-bindgen 0.2
/// writes them. Anything of theirs left over is an error: the glue would
/// call exports that are gone.
fn drop_classes(js: &str, names: &[&str]) -> Result<String, String> {
    let mut out = String::with_capacity(js.len());
    let mut skip = 0usize;
    let mut in_class = false;
    for line in js.lines() {
        if in_class {
            in_class = line != "}";
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let starts = |prefix: &str| names.iter().any(|n| line.starts_with(&format!("{prefix}{n}")));
        if starts("export class ") {
            in_class = true;
        } else if starts("if (Symbol.dispose) ") {
        } else if starts("const ") && line.contains("Finalization = ") {
            skip = 2;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    match names.iter().find(|n| out.contains(*n) || out.contains(&n.to_lowercase())) {
        Some(n) => Err(format!("the glue still mentions {n} after its class was dropped")),
        None => Ok(out),
    }
}

/// The module without the exports whose names start with one of `prefixes`.
fn drop_exports(wasm: &[u8], prefixes: &[&str]) -> Result<Vec<u8>, String> {
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("reading the wasm: {e}"))?;
        if let wasmparser::Payload::ExportSection(reader) = &payload {
            let mut exports = wasm_encoder::ExportSection::new();
            for export in reader.clone() {
                let e = export.map_err(|e| format!("reading the wasm's exports: {e}"))?;
                if prefixes.iter().any(|p| e.name.starts_with(p)) {
                    continue;
                }
                let kind = match e.kind {
                    wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                        wasm_encoder::ExportKind::Func
                    }
                    wasmparser::ExternalKind::Table => wasm_encoder::ExportKind::Table,
                    wasmparser::ExternalKind::Memory => wasm_encoder::ExportKind::Memory,
                    wasmparser::ExternalKind::Global => wasm_encoder::ExportKind::Global,
                    wasmparser::ExternalKind::Tag => wasm_encoder::ExportKind::Tag,
                };
                exports.export(e.name, kind, e.index);
            }
            module.section(&exports);
            continue;
        }
        copy_section(&mut module, wasm, &payload)?;
    }
    Ok(module.finish())
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
    fn unused_exports_are_dropped_and_the_others_kept() {
        use wasm_encoder::{CodeSection, ExportKind, ExportSection, Function, FunctionSection, Module, TypeSection};
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        funcs.function(0);
        m.section(&funcs);
        let mut exports = ExportSection::new();
        exports.export("intounderlyingsource_pull", ExportKind::Func, 0);
        exports.export("main", ExportKind::Func, 1);
        m.section(&exports);
        let mut code = CodeSection::new();
        for _ in 0..2 {
            let mut f = Function::new([]);
            f.instructions().end();
            code.function(&f);
        }
        m.section(&code);
        let out = drop_exports(&m.finish(), UNUSED_EXPORTS).unwrap();
        let names: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&out)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::ExportSection(r) => {
                    Some(r.into_iter().map(|e| e.unwrap().name.to_string()).collect::<Vec<_>>())
                }
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(names, ["main"]);
        wasmparser::validate(&out).unwrap();
        // And their classes in the glue.
        let glue = "const a = 1;\nexport class Gone {\n    free() {\n        wasm.__wbg_gone_free(0);\n    }\n}\nif (Symbol.dispose) Gone.prototype[Symbol.dispose] = Gone.prototype.free;\n\nexport class Kept {\n}\nconst GoneFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? { register: () => {}, unregister: () => {} }\n    : new FinalizationRegistry(ptr => wasm.__wbg_gone_free(ptr, 1));\nconst b = 2;\n";
        assert_eq!(drop_classes(glue, &["Gone"]).unwrap(), "const a = 1;\n\nexport class Kept {\n}\nconst b = 2;\n");
        assert!(drop_classes("new Gone();\n", &["Gone"]).is_err());
    }

    #[test]
    fn link_sections_are_stripped_and_the_rest_kept() {
        let mut m = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        for name in ["linking", "reloc.CODE", "producers"] {
            m.section(&wasm_encoder::CustomSection { name: name.into(), data: vec![1, 2, 3].into() });
        }
        let out = strip_link_sections(&m.finish()).unwrap();
        let mut names = Vec::new();
        let mut types_seen = 0;
        for p in wasmparser::Parser::new(0).parse_all(&out) {
            match p.unwrap() {
                wasmparser::Payload::CustomSection(c) => names.push(c.name().to_string()),
                wasmparser::Payload::TypeSection(t) => types_seen += t.count(),
                _ => {}
            }
        }
        assert_eq!(names, ["producers"]);
        assert_eq!(types_seen, 1);
        assert!(strip_link_sections(b"\0asm\x01\0\0\0\x01\xff").is_err());
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

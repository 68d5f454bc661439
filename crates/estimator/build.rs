//! Compiles `presets/*.json` (and the catalogue's architectures) into static
//! Rust data (`$OUT_DIR/preset_data.rs`).
//!
//! Why: the widgets only ever read the built-in models, and parsing their
//! JSON at run time would put serde_json's parser (and core's float parser)
//! into every browser bundle — about 9 KiB gzip for nothing. The JSON files
//! stay the source of truth (verbatim Hugging Face configs); a unit test in
//! `presets.rs` checks that the compiled data parses to exactly what the text
//! does.

use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time: a build script compiled for one checkout may be
    // reused by cargo for another that shares its target directory.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let files = json_files(&Path::new(&manifest_dir).join("presets"));

    let mut fields = String::from(
        "/// The top-level fields of a built-in model's config.json.\n\
         pub(crate) fn preset_fields(id: &str) -> Option<&'static [(&'static str, Lit)]> {\n    match id {\n",
    );
    let mut texts = String::from(
        "/// A built-in model's config.json text, verbatim.\n\
         pub(crate) fn preset_json(id: &str) -> Option<&'static str> {\n    match id {\n",
    );
    for path in &files {
        let id = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 preset file name");
        compile(path, &mut fields);
        writeln!(texts, "        {id:?} => Some(include_str!({:?})),", path.display().to_string()).unwrap();
    }
    fields.push_str("        _ => None,\n    }\n}\n");
    texts.push_str("        _ => None,\n    }\n}\n");
    // The catalogue's architectures (`src/catalogue.rs`): `catalogue/*.json`,
    // and the real models' configs the family tests read (`tests/configs/`,
    // not the synthetic or quantized ones).
    let mut catalogue = String::from(
        "/// The top-level fields of a catalogue architecture's config.json.\n\
         pub(crate) fn catalogue_fields(key: &str) -> Option<&'static [(&'static str, Lit)]> {\n    match key {\n",
    );
    let mut arch_files = json_files(&Path::new(&manifest_dir).join("catalogue"));
    arch_files.extend(json_files(&Path::new(&manifest_dir).join("tests/configs")).into_iter().filter(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with("synthetic-") && !n.starts_with("quant-"))
    }));
    for path in &arch_files {
        compile(path, &mut catalogue);
    }
    catalogue.push_str("        _ => None,\n    }\n}\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("preset_data.rs");
    std::fs::write(out, format!("{fields}\n{texts}\n{catalogue}")).expect("writable OUT_DIR");
}

/// The `.json` files of `dir`, sorted; cargo reruns the script when they change.
fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// One match arm of `<key> => Some(&[(field, Lit), …])` for the config at `path`.
fn compile(path: &Path, out: &mut String) {
    println!("cargo::rerun-if-changed={}", path.display());
    let id = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name");
    let text = std::fs::read_to_string(path).expect("readable config");
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Value::Object(map) = &value else { panic!("{}: top level is not an object", path.display()) };
    writeln!(out, "        {id:?} => Some(&[").unwrap();
    for (k, v) in map {
        writeln!(out, "            ({k:?}, {}),", literal(v)).unwrap();
    }
    writeln!(out, "        ]),").unwrap();
}

/// `v` as a `Lit` constructor expression.
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "Lit::Null".into(),
        Value::Bool(b) => format!("Lit::Bool({b})"),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => format!("Lit::UInt({u})"),
            (None, Some(i), _) => format!("Lit::Int({i})"),
            (_, _, Some(f)) => format!("Lit::Float({f:?})"),
            _ => panic!("unrepresentable number {n}"),
        },
        Value::String(s) => format!("Lit::Str({s:?})"),
        Value::Array(a) => format!("Lit::List(&[{}])", a.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "Lit::Object(&[{}])",
            m.iter().map(|(k, v)| format!("({k:?}, {})", literal(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

//! Compiles `presets/*.json` into static Rust data (`$OUT_DIR/preset_data.rs`).
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
    let dir = Path::new(&manifest_dir).join("presets");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("presets/ exists")
        .map(|e| e.expect("readable presets/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();

    let mut fields = String::from(
        "/// The top-level fields of a built-in model's config.json.\n\
         pub(crate) fn preset_fields(id: &str) -> Option<&'static [(&'static str, Lit)]> {\n    match id {\n",
    );
    let mut texts = String::from(
        "/// A built-in model's config.json text, verbatim.\n\
         pub(crate) fn preset_json(id: &str) -> Option<&'static str> {\n    match id {\n",
    );
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let id = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 preset file name");
        let text = std::fs::read_to_string(path).expect("readable preset");
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Value::Object(map) = &value else { panic!("{}: top level is not an object", path.display()) };
        writeln!(fields, "        {id:?} => Some(&[").unwrap();
        for (k, v) in map {
            writeln!(fields, "            ({k:?}, {}),", literal(v)).unwrap();
        }
        writeln!(fields, "        ]),").unwrap();
        writeln!(texts, "        {id:?} => Some(include_str!({:?})),", path.display().to_string()).unwrap();
    }
    fields.push_str("        _ => None,\n    }\n}\n");
    texts.push_str("        _ => None,\n    }\n}\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("preset_data.rs");
    std::fs::write(out, format!("{fields}\n{texts}")).expect("writable OUT_DIR");
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

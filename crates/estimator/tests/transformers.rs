//! The estimator against Hugging Face transformers itself.
//!
//! `tests/fixtures/transformers_params.json` holds what transformers 5.24
//! instantiates for every built-in preset and every real config in
//! `tests/configs/` (written by `cargo xtask reference params`, which builds
//! each model on PyTorch's meta device and counts its parameters). Our tensor
//! inventory must give the same counts, to the parameter: language model,
//! vision encoder and projector separately.
//!
//! `tests/fixtures/transformers_defaults.json` holds the defaults of every
//! config class we model (`cargo xtask reference defaults`); every default in
//! our family registry must equal transformers' own.

use llmem_estimator::{parse_config, FAMILIES};
use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/fixtures").join(name)).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn parameter_counts_equal_transformers() {
    let fx = fixture("transformers_params.json");
    let models = fx["models"].as_object().expect("models");
    assert!(models.len() >= 50, "fixture has {} models", models.len());
    let mut failures = Vec::new();
    for (key, expected) in models {
        let (dir, id) = key.split_once('/').expect("dir/id");
        let path = match dir {
            "presets" => root().join("presets").join(format!("{id}.json")),
            _ => root().join("tests/configs").join(format!("{id}.json")),
        };
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let arch = match parse_config(&text) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{key}: does not parse: {e}"));
                continue;
            }
        };
        let c = arch.param_counts().unwrap();
        let want = |f: &str| expected[f].as_u64().unwrap_or_else(|| panic!("{key}: {f}"));
        for (field, got) in
            [("params_language_model", c.total), ("params_vision", c.vision), ("params_projector", c.projector)]
        {
            if got != want(field) {
                failures.push(format!("{key}: {field} {got} ≠ transformers {}", want(field)));
            }
        }
        // Buffers loaded from the checkpoint (DeepSeek-V3's correction bias).
        let buffers: u64 = expected["buffers"].as_object().map_or(0, |b| b.values().filter_map(Value::as_u64).sum());
        let ours: u64 =
            arch.tensors().unwrap().iter().filter(|t| t.is_buffer()).map(|t| t.elements().unwrap() * t.copies).sum();
        if buffers != ours {
            failures.push(format!("{key}: buffers {ours} ≠ transformers {buffers}"));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn registry_defaults_equal_transformers() {
    let fx = fixture("transformers_defaults.json");
    assert_eq!(fx["transformers_version"], llmem_estimator::families::TRANSFORMERS_VERSION);
    let classes = fx["classes"].as_object().expect("classes");
    let mut failures = Vec::new();
    for spec in FAMILIES {
        let Some(class) = classes.get(spec.model_type) else {
            failures.push(format!("{}: not in the fixture", spec.model_type));
            continue;
        };
        assert_eq!(class["class"], spec.config_class, "{}", spec.model_type);
        for (field, ours) in spec.defaults {
            let theirs = &class["defaults"][*field];
            if *theirs != ours.to_value() {
                failures.push(format!("{}.{field}: ours {:?}, transformers {theirs}", spec.model_type, ours));
            }
        }
    }
    for (class, defaults) in llmem_estimator::vision::VISION_DEFAULTS {
        for (field, ours) in *defaults {
            let theirs = &classes[*class]["defaults"][*field];
            if *theirs != ours.to_value() {
                failures.push(format!("{class}.{field}: ours {ours:?}, transformers {theirs}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

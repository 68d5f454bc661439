//! The activation model against what transformers' models save for
//! backward, measured by `tools/reference/measure_activations.py` (see
//! `llmem_estimator::activations`).

use llmem_estimator::activations::{activations, ActivationQuery, AttentionKernel};
use llmem_estimator::training::Recompute;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/transformers_activations.json");
    serde_json::from_str(text).expect("the fixture is JSON")
}

/// Families whose every term the estimator models (GPT-2's dropout masks
/// and LayerNorm statistics differ between the CPU kernels measured and a
/// GPU's; it keeps Korthikanti et al.'s formula, tested in `training.rs`).
const EXACT: &[&str] = &["llama", "qwen2", "qwen3", "gemma2", "mixtral"];

#[test]
fn every_measured_layer_and_rest_is_reproduced() {
    let doc = fixture();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for case in doc["cases"].as_array().unwrap() {
        let family = case["family"].as_str().unwrap();
        if !EXACT.contains(&family) {
            continue;
        }
        let arch_with = |layers: u64| {
            let mut config = doc["configs"][family].clone();
            config["num_hidden_layers"] = layers.into();
            llmem_estimator::config::parse_config_value(&config).unwrap()
        };
        let q = ActivationQuery {
            seq: case["seq"].as_u64().unwrap(),
            micro_batch: case["batch"].as_u64().unwrap(),
            kernel: AttentionKernel::parse(case["attention"].as_str().unwrap()).unwrap(),
            recompute: if case["checkpointing"].as_bool().unwrap() { Recompute::Full } else { Recompute::None },
        };
        // The fixture splits the one- and two-layer totals into a layer and the rest.
        let (layer, rest) = (case["layer_bytes"].as_u64().unwrap(), case["rest_bytes"].as_u64().unwrap());
        for layers in [1, 2] {
            let r = activations(&arch_with(layers), &q).unwrap();
            assert!(r.measured, "{family}");
            let measured = rest + layers * layer;
            if r.total_bytes != measured {
                mismatches.push(format!(
                    "{family} {} recompute={} s={} b={} layers={layers}: {} vs measured {measured} ({:+})",
                    q.kernel.id(),
                    q.recompute.id(),
                    q.seq,
                    q.micro_batch,
                    r.total_bytes,
                    r.total_bytes as i64 - measured as i64
                ));
            }
        }
        checked += 1;
    }
    assert!(checked >= 36, "only {checked} cases");
    assert!(mismatches.is_empty(), "{} of {checked} differ:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// Eager attention never keeps less than FlashAttention, for any preset and
/// down to a single token (MLA once kept less at one token; the property
/// test in `properties.rs` found it).
#[test]
fn eager_keeps_at_least_flash_for_every_preset() {
    for p in llmem_estimator::presets::PRESETS {
        let a = p.arch().unwrap();
        for (seq, micro_batch) in [(1, 1), (2, 1), (1, 3), (4096, 1)] {
            let q = |kernel| {
                activations(&a, &ActivationQuery { seq, micro_batch, kernel, recompute: Recompute::None })
                    .unwrap()
                    .total_bytes
            };
            assert!(q(AttentionKernel::Eager) >= q(AttentionKernel::Flash), "{} s={seq} b={micro_batch}", p.id);
        }
    }
}

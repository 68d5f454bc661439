//! The activation model against what transformers' models save for
//! backward, measured by `tools/reference/measure_activations.py` (see
//! `llmem_estimator::activations`).

use llmem_estimator::activations::{activations, activations_with, ActivationQuery, AttentionKernel, Kernels};
use llmem_estimator::training::Recompute;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/transformers_activations.json");
    serde_json::from_str(text).expect("the fixture is JSON")
}

/// Families whose every term the estimator models. Where the CPU kernels
/// the fixtures were measured with keep something else than a GPU's
/// (GPT-2's dropout masks, LayerNorm statistics and SDPA with dropout), the
/// estimator's CPU variant reproduces the fixture; [`gpt2_on_a_gpu`] checks
/// what the GPU variant changes.
const EXACT: &[&str] = &["llama", "qwen2", "qwen3", "gemma2", "mixtral", "gpt2"];

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
            config["n_layer"] = layers.into();
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
            let r = activations_with(&arch_with(layers), &q, Kernels::CpuReference).unwrap();
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
    assert!(checked >= 44, "only {checked} cases");
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

/// GPT-2 on a GPU against the CPU it was measured on, term by term (h = 128,
/// 4 heads, s = 64, b = 2, so 128 tokens): LayerNorm's fp32 statistics
/// (+4 bytes a token for each of the layer's two norms), bool dropout masks
/// (−h bytes a token for each residual mask, and one byte instead of two per
/// attention probability under eager attention), and FlashAttention with
/// dropout instead of the CPU's fp32 math path (q, k and v in bf16, no
/// scores, a log-sum-exp per head).
#[test]
fn gpt2_on_a_gpu() {
    let doc = fixture();
    let mut config = doc["configs"]["gpt2"].clone();
    config["n_layer"] = 1.into();
    let a = llmem_estimator::config::parse_config_value(&config).unwrap();
    let (h, heads, tokens, pairs) = (128u64, 4u64, 128u64, 2 * 64 * 64u64);
    let layer = |kernel, kernels| {
        let q = ActivationQuery { seq: 64, micro_batch: 2, kernel, recompute: Recompute::None };
        activations_with(&a, &q, kernels).unwrap().layer_bytes
    };
    let cpu_eager = layer(AttentionKernel::Eager, Kernels::CpuReference);
    let gpu_eager = layer(AttentionKernel::Eager, Kernels::Gpu);
    assert_eq!(cpu_eager as i64 - gpu_eager as i64, (tokens * (2 * h - 2 * 4) + heads * pairs) as i64);
    let cpu_flash = layer(AttentionKernel::Flash, Kernels::CpuReference);
    let gpu_flash = layer(AttentionKernel::Flash, Kernels::Gpu);
    // CPU: fp32 q, k, v (12h) and 12 bytes per head and pair; GPU: bf16 q, k, v (6h), 4 bytes per head.
    assert_eq!(
        cpu_flash as i64 - gpu_flash as i64,
        (tokens * (6 * h + 2 * h - 2 * 4 - 4 * heads) + 12 * heads * pairs) as i64
    );
    // Korthikanti's 5·a·s²·b: the GPU's eager attention keeps 5 bytes per head and pair.
    assert_eq!(gpu_eager - gpu_flash, heads * pairs * 5 - tokens * 4 * heads);
    assert_eq!(
        activations(
            &a,
            &ActivationQuery { seq: 64, micro_batch: 2, kernel: AttentionKernel::Eager, recompute: Recompute::None }
        )
        .unwrap()
        .layer_bytes,
        gpu_eager
    );
}

//! Every "Show the formula" panel's expression, evaluated, gives the number
//! the figure shows as its headline: the formula a reader sees is the
//! computation the figure makes, for every preset model and a spread of
//! settings.

use llmem_estimator::{
    formula::Formula,
    kv_cache::{self, AttentionVariant},
    precision::Dtype,
    presets::PRESETS,
};

/// `formula` evaluates to `expected` (to a part in 10^9, or within one byte
/// of rounding up a fractional byte count).
fn agrees(formula: &Formula, expected: f64, what: &str) {
    let got = formula.value();
    let tolerance = (expected.abs() * 1e-9).max(1.0);
    assert!(
        (got - expected).abs() <= tolerance,
        "{what}: formula gives {got}, the figure {expected}\n{}",
        formula.expr.symbolic()
    );
}

#[test]
fn kv_cache_formula_is_the_kv_cache() {
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for variant in AttentionVariant::ALL {
            let layout = variant.layout_for(&arch);
            for dtype in [Dtype::Bf16, Dtype::Fp8, Dtype::Int4] {
                for (context, batch) in [(1, 1), (1000, 3), (8192, 1), (131_072, 8)] {
                    let cache = kv_cache::kv_cache_with_layout(&arch, layout, dtype, context, batch).unwrap();
                    let f = kv_cache::formula(&arch, layout, &cache);
                    agrees(&f, cache.total_bytes as f64, &format!("{} {variant:?} {dtype:?} {context}×{batch}", p.id));
                }
            }
        }
    }
}

#[test]
fn kv_formula_names_windows_and_state() {
    let gemma = llmem_estimator::presets::preset("gemma-3-27b").unwrap().arch().unwrap();
    let f = kv_cache::formula(&gemma, gemma.kv_layout(), &kv_cache::kv_cache(&gemma, Dtype::Bf16, 32_768, 1).unwrap());
    assert_eq!(f.expr.symbolic(), "(L_full × s + L_win × min(s, W)) × 2 × H_kv × d_h × b × β");
    assert_eq!(
        f.expr.substituted(&|b| b.to_string()),
        "(10 × 32,768 + 52 × min(32,768, 1,024)) × 2 × 16 × 128 × 1 × 2"
    );
    let llama = llmem_estimator::presets::preset("llama-3.1-8b").unwrap().arch().unwrap();
    let f = kv_cache::formula(&llama, llama.kv_layout(), &kv_cache::kv_cache(&llama, Dtype::Bf16, 8192, 1).unwrap());
    assert_eq!(f.expr.symbolic(), "2 × L × H_kv × d_h × s × b × β");
    assert_eq!(f.value(), 1_073_741_824.0);
}

#[test]
fn weights_formula_is_the_footprint() {
    use llmem_estimator::precision::{footprint_formula, weights_footprint, WeightFormat};
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for id in ["bf16", "fp32", "fp8", "int8", "int4", "nf4", "q4_k_m", "q8_0", "gptq-int4", "awq-int4"] {
            let Ok(format) = WeightFormat::parse(id) else { continue };
            let fp = weights_footprint(&arch, format).unwrap();
            agrees(&footprint_formula(&fp), fp.total_bytes as f64, &format!("{} {id}", p.id));
        }
    }
    let llama = llmem_estimator::presets::preset("llama-3.1-8b").unwrap().arch().unwrap();
    let f = footprint_formula(&weights_footprint(&llama, WeightFormat::parse("bf16").unwrap()).unwrap());
    assert_eq!(f.expr.symbolic(), "P × β");
    assert_eq!(f.expr.substituted(&|_| String::new()), "8,030,261,248 × 2");
}

#[test]
fn attention_hierarchy_and_block_formulas() {
    use llmem_estimator::{attention, block_layout::BLOCKS, hardware};
    for (b, h, n) in [(1, 32, 8192), (4, 64, 131_072), (1, 1, 1)] {
        let m = attention::attention_memory(b, h, n, Dtype::Bf16).unwrap();
        let f = attention::scores_formula(b, h, n, Dtype::Bf16);
        agrees(&f, m.naive_scores_bytes as f64, "scores");
        assert_eq!(f.expr.symbolic(), "b × h × n × n × β");
    }
    let f = hardware::stream_formula(16_060_522_496, 3.35e12, "H100 datasheet");
    assert!((f.value() - hardware::stream_seconds(16_060_522_496, 3.35e12)).abs() < 1e-12);
    assert_eq!(f.result(&|_| String::new()), "4.79 ms");
    for b in BLOCKS {
        let f = b.formula();
        assert_eq!(f.value(), b.bits_per_weight(), "{}", b.id);
        assert_eq!(f.expr.vars().len(), b.fields.len() + 1, "{}: every field named once", b.id);
    }
    let q4k = llmem_estimator::block_layout::block("q4_k").unwrap().formula();
    assert_eq!(q4k.result(&|_| String::new()), "4.5 bits");
}

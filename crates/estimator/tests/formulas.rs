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

#[test]
fn zero_formula_is_the_per_gpu_memory() {
    use llmem_estimator::training::{formula, training_memory, Optimizer, Recompute, TrainingSetup, ZeroStage};
    for id in ["llama-3.1-8b", "qwen3-30b-a3b", "deepseek-v2-lite", "gemma-3-27b"] {
        let Ok(p) = llmem_estimator::presets::preset(id) else { continue };
        let arch = p.arch().unwrap();
        let params = arch.param_counts().unwrap().total;
        for stage in [ZeroStage::Zero0, ZeroStage::Zero1, ZeroStage::Zero2, ZeroStage::Zero3] {
            for gpus in [1, 3, 8, 1024] {
                for optimizer in [Optimizer::AdamMixed, Optimizer::Adam8bit] {
                    for (recompute, offload, fp32_grads) in [
                        (Recompute::None, false, false),
                        (Recompute::Full, true, false),
                        (Recompute::None, false, true),
                    ] {
                        let setup = TrainingSetup {
                            stage,
                            gpus,
                            optimizer,
                            recompute,
                            offload_optimizer: offload,
                            fp32_grads,
                            ..TrainingSetup::default()
                        };
                        let m = training_memory(&arch, &setup).unwrap();
                        agrees(
                            &formula(params, &setup, &m),
                            m.per_gpu_bytes as f64,
                            &format!("{id} {stage:?} ×{gpus}"),
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn store_formula_is_the_index() {
    use llmem_estimator::vector_store::{index_formula, store_size, IndexKind, StoreQuery, VectorDtype};
    for index in
        [IndexKind::Flat, IndexKind::Hnsw { m: 32 }, IndexKind::Hnsw { m: 2 }, IndexKind::IvfPq { nlist: 4096, m: 64 }]
    {
        for dtype in [VectorDtype::F32, VectorDtype::F16, VectorDtype::Int8, VectorDtype::Binary] {
            for (documents, tokens) in [(1, 1), (1_000_000, 1000), (1_000_000_000, 5000)] {
                let q = StoreQuery {
                    documents,
                    tokens_per_document: tokens,
                    chunk_tokens: 512,
                    overlap_tokens: 64,
                    dim: 768,
                    dtype,
                    index,
                };
                let s = store_size(&q).unwrap();
                agrees(&index_formula(&q, &s), s.index_bytes as f64, &format!("{index:?} {dtype:?} {documents}"));
            }
        }
    }
}

#[test]
fn decode_formula_is_the_ceiling() {
    use llmem_estimator::{
        hardware::DEVICES,
        precision::WeightFormat,
        throughput::{decode_formula, phases},
    };
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for d in DEVICES {
            for (context, batch) in [(128, 1), (4096, 64), (131_072, 8)] {
                let a = phases(&arch, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, context, batch, d).unwrap();
                let f = decode_formula(&arch, context, batch, d, &a).unwrap();
                let rel = (f.value() - a.decode_tokens_per_s).abs() / a.decode_tokens_per_s.max(1e-12);
                assert!(rel < 1e-9, "{} on {}: {} against {}", p.id, d.id, f.value(), a.decode_tokens_per_s);
            }
        }
    }
}

#[test]
fn speculative_formula_is_the_speedup() {
    use llmem_estimator::{
        hardware::device,
        precision::WeightFormat,
        speculative::{speculative, speedup_formula, SpecQuery},
    };
    let t = llmem_estimator::presets::preset("llama-3.1-70b").unwrap().arch().unwrap();
    let d = llmem_estimator::presets::preset("llama-3.2-1b").unwrap().arch().unwrap();
    for k in [1, 4, 64] {
        for alpha in [0.0, 0.5, 0.8, 1.0] {
            let q = SpecQuery {
                target: &t,
                draft: &d,
                format: WeightFormat::Float(Dtype::Bf16),
                kv: Dtype::Bf16,
                context: 8192,
                batch: 1,
                k,
                acceptance: alpha,
                device: device("h100-sxm").unwrap(),
            };
            let r = speculative(&q).unwrap();
            let f = speedup_formula(k, alpha, &r);
            assert!(
                (f.value() - r.speedup).abs() < 1e-9 * r.speedup.max(1.0),
                "k {k} α {alpha}: {} against {}",
                f.value(),
                r.speedup
            );
        }
    }
}

#[test]
fn paging_formula_is_the_waste() {
    use llmem_estimator::paging::PagingScenario;
    for block in [1, 4, 16, 64] {
        for n in 0..=6 {
            let s = PagingScenario {
                capacity: 1024,
                max_len: 256,
                block_size: block,
                requests: [100, 37, 250, 3, 180, 64][..n].to_vec(),
                new_request_len: 64,
            };
            for l in [s.contiguous().unwrap(), s.paged().unwrap()] {
                let f = l.waste_formula();
                assert!((f.value() * 100.0 - l.waste_percent()).abs() < 1e-9, "block {block}, {n} requests");
                assert_eq!(f.result(&|_| String::new()), llmem_estimator::units::percent(l.waste_percent()));
            }
        }
    }
}

#[test]
fn offload_formula_is_the_ceiling() {
    use llmem_estimator::{
        engines::{gguf_layout::FileType, offload::offload_sweep},
        hardware::{device, HOST_CPU},
    };
    let arch = llmem_estimator::presets::preset("llama-3.1-70b").unwrap().arch().unwrap();
    let gpu = device("rtx-4090").unwrap();
    for step in offload_sweep(&arch, FileType::parse("q4_k_m").unwrap(), 8192, gpu, &HOST_CPU).unwrap() {
        let f = step.formula(gpu, &HOST_CPU);
        assert!((f.value() - step.tokens_per_second()).abs() < 1e-9, "{} layers", step.n_gpu_layers);
    }
}

#[test]
fn budget_formula_is_the_turns() {
    use llmem_estimator::context_window::{budget, turns_formula, BudgetRequest};
    for limit in [4096, 131_072, 1_048_576] {
        for (chunks, turn) in [(0, 1), (5, 800), (20, 3000), (3, 0)] {
            let r = BudgetRequest {
                limit,
                system: 1500,
                tools: 2000,
                chunks,
                chunk_tokens: 512,
                output: 4096,
                turn_tokens: turn,
            };
            let b = budget(&r);
            if b.over > 0 {
                continue;
            }
            assert_eq!(turns_formula(&r).value(), b.turns as f64, "{limit} {chunks} {turn}");
        }
    }
}

#[test]
fn window_fill_formula_is_the_fill() {
    use llmem_estimator::context_window::ContextWindow;
    let mut w = ContextWindow::new(8192);
    assert_eq!(w.fill_formula().value(), 0.0, "an empty window");
    // Turns, a summary, eviction past the limit, and a smaller limit: the
    // formula follows the window through each.
    let mut summarized = false;
    for step in 0..40u64 {
        match step % 7 {
            3 => {
                w.summarize(0.25);
            }
            6 if step > 30 => {
                w.set_limit(4096);
            }
            _ => {
                w.add_turn(300 + step * 97);
            }
        }
        let (formula, fill) = (w.fill_formula().value(), w.fill());
        assert!((formula - fill).abs() < 1e-12 && fill <= 1.0, "step {step}: formula {formula}, figure {fill}");
        summarized |= w.turns.iter().any(|t| t.summary);
    }
    assert!(summarized, "the walk held a summary at some step");
}

#[test]
fn timeline_formula_is_the_peak() {
    use llmem_estimator::{
        timeline::step_timeline,
        training::{Recompute, TrainingSetup, ZeroStage},
    };
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for (stage, gpus, recompute) in [
            (ZeroStage::Zero0, 1, Recompute::None),
            (ZeroStage::Zero3, 8, Recompute::Full),
            (ZeroStage::Zero2, 4, Recompute::None),
        ] {
            let setup = TrainingSetup { stage, gpus, recompute, ..TrainingSetup::default() };
            let t = step_timeline(&arch, &setup).unwrap();
            agrees(&t.peak_formula().unwrap(), t.peak_bytes as f64, p.id);
        }
    }
}

#[test]
fn ratio_formula_writes_as_the_figure() {
    use llmem_estimator::ssm::cache_ratio_formula;
    // Llama 3.1 8B at 8K against Mamba 2.8B's 12,451,840-byte state.
    let f = cache_ratio_formula(1_073_741_824, 12_451_840, 12_451_840);
    assert_eq!(f.expr.symbolic(), "KV / S");
    assert_eq!(f.result(&|_| String::new()), "86×");
    let h = cache_ratio_formula(1_073_741_824, 51_806_208 + 8192 * 16_384, 51_806_208);
    assert_eq!(h.expr.symbolic(), "KV / (S + KV_a)");
    assert!((h.value() - 1_073_741_824.0 / (51_806_208.0 + 8192.0 * 16_384.0)).abs() < 1e-12);
    assert_eq!(h.result(&|_| String::new()), "5.8×");
}

#[test]
fn train_infer_formula_is_the_ratio() {
    use llmem_estimator::{
        activations::AttentionKernel,
        fit::inference_memory,
        precision::WeightFormat,
        training::{model_activation_bytes, model_states, train_infer_formula, Optimizer, Recompute, ZeroStage},
    };
    for p in PRESETS {
        let arch = p.arch().unwrap();
        let params = arch.param_counts().unwrap().total;
        let s = model_states(params, Optimizer::AdamMixed, ZeroStage::Zero0, 1, false).unwrap();
        let act = model_activation_bytes(&arch, 4096, 1, AttentionKernel::Flash, Recompute::None).unwrap();
        let m = inference_memory(&arch, WeightFormat::Float(Dtype::Bf16), Dtype::Fp16, 8192, 1).unwrap();
        let train = s.params_bytes + s.grads_bytes + s.optimizer_bytes + act;
        let infer = m.weights_bytes + m.kv_bytes + m.activation_bytes;
        let f = train_infer_formula(params, act, m.weights_bytes, m.kv_bytes, m.activation_bytes);
        assert!((f.value() - train as f64 / infer as f64).abs() < 1e-9, "{}", p.id);
    }
}

#[test]
fn inference_formula_is_the_total() {
    use llmem_estimator::{fit::inference_memory, precision::WeightFormat};
    for p in PRESETS {
        let m = inference_memory(&p.arch().unwrap(), WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 8192, 4).unwrap();
        agrees(&m.formula(), m.total_bytes as f64, p.id);
    }
}

#[test]
fn flash_formula_is_the_traffic() {
    use llmem_estimator::attention::flash_walk;
    for (n, d, sram) in [(1024, 64, 49_152), (4096, 128, 114_688), (1000, 96, 20_000), (17, 64, 256)] {
        let w = flash_walk(n, d, sram).unwrap();
        for s in (0..=w.steps()).step_by(((w.steps() / 50).max(1)) as usize).chain([w.steps()]) {
            assert_eq!(w.hbm_formula(s, 2).value(), (w.hbm_after(s) * 2) as f64, "{n} {d} {sram} step {s}");
        }
    }
}

#[test]
fn scoreboard_formula_is_the_size() {
    for p in llmem_estimator::quant_quality::SCOREBOARD {
        agrees(&p.size_formula(), p.size_bytes() as f64, p.id);
    }
}

#[test]
fn pattern_formula_is_the_share() {
    use llmem_estimator::attention::{pattern_formula, span_cost};
    use std::collections::BTreeMap;
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for n in [1, 4096, 32_768] {
            let mut by_span: BTreeMap<String, (llmem_estimator::AttentionSpan, u64)> = BTreeMap::new();
            for span in arch.layers.iter().filter_map(|l| l.attention) {
                by_span.entry(format!("{span:?}")).or_insert((span, 0)).1 += 1;
            }
            if by_span.is_empty() {
                continue;
            }
            let kinds: Vec<_> = by_span.values().map(|(s, l)| (*s, *l, span_cost(*s, n, 128).unwrap().pairs)).collect();
            let scored: u64 = kinds.iter().map(|k| k.1 * k.2).sum();
            let all: u64 = kinds.iter().map(|k| k.1).sum::<u64>() * (n * (n + 1) / 2);
            let f = pattern_formula(&kinds, n);
            assert!((f.value() - scored as f64 / all as f64).abs() < 1e-12, "{} at {n}", p.id);
        }
    }
}

#[test]
fn recompute_formula_is_the_activations() {
    use llmem_estimator::{
        activations::AttentionKernel,
        training::{partial_recompute_bytes, recompute_formula},
    };
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for r in [0, 1, arch.num_layers / 2, arch.num_layers] {
            for kernel in [AttentionKernel::Flash, AttentionKernel::Eager] {
                let bytes = partial_recompute_bytes(&arch, 4096, 1, kernel, r).unwrap();
                agrees(
                    &recompute_formula(&arch, 4096, 1, kernel, r).unwrap(),
                    bytes as f64,
                    &format!("{} r={r}", p.id),
                );
            }
        }
    }
}

#[test]
fn race_formula_is_each_lane() {
    use llmem_estimator::hardware::{race_formula, stream_race};
    for lane in stream_race(16_060_522_496 + 1_073_741_824) {
        let f = race_formula(16_060_522_496, 1_073_741_824, lane.device);
        assert!((f.value() - lane.seconds).abs() < 1e-15, "{}", lane.device.id);
    }
}

#[test]
fn stage_formula_is_each_stage() {
    use llmem_estimator::{
        training::{Recompute, ZeroStage},
        training_layout::{stage_formula, training_layout, Layout3d},
    };
    for id in ["llama-3.1-8b", "llama-3.1-70b", "qwen3-30b-a3b"] {
        let arch = llmem_estimator::presets::preset(id).unwrap().arch().unwrap();
        for (tp, pp, dp, zero, recompute) in [
            (1, 1, 1, ZeroStage::Zero0, Recompute::None),
            (8, 4, 8, ZeroStage::Zero1, Recompute::None),
            (2, 2, 3, ZeroStage::Zero3, Recompute::Full),
        ] {
            let l = Layout3d { tp, pp, dp, zero, recompute, ..Layout3d::default() };
            let Ok(stages) = training_layout(&arch, &l) else { continue };
            for s in &stages {
                agrees(
                    &stage_formula(&arch, &l, s).unwrap(),
                    s.per_gpu_bytes as f64,
                    &format!("{id} {tp}×{pp}×{dp} stage {}", s.stage),
                );
            }
        }
    }
}

#[test]
fn engine_formula_is_the_engine_figure() {
    use llmem_estimator::engines::{
        gguf_layout::FileType,
        llama_cpp::LlamaCppParams,
        parallel::Parallelism,
        serve::{serve, Engine, ServeQuery, VllmOptions},
    };
    use llmem_estimator::{hardware::device, precision::WeightFormat};
    let mut checked = [0usize; 4];
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for engine in Engine::ALL {
            for (dev, tp) in [("h100-sxm", 1), ("h100-sxm", 4), ("rtx-4090", 1), ("m3-max", 1), ("cpu", 1)] {
                let llama = engine == Engine::LlamaCpp;
                if !llama && (dev == "cpu" || dev.starts_with("m3")) {
                    continue;
                }
                let q = ServeQuery {
                    arch: &arch,
                    engine,
                    device: device(dev).unwrap(),
                    parallel: Parallelism { tp: if llama { 1 } else { tp }, pp: 1, expert_parallel: false },
                    weights: WeightFormat::Float(Dtype::Bf16),
                    gguf: FileType::Q4KM,
                    gguf_file: None,
                    kv: Dtype::Bf16,
                    context: 8192,
                    batch: 4,
                    vllm: VllmOptions::default(),
                    sglang_mem_fraction: 0.88,
                    llama: LlamaCppParams { n_gpu_layers: u64::MAX, ..LlamaCppParams::default() },
                };
                let Ok(r) = serve(&q) else { continue };
                let f = r.formula();
                let what = format!("{} {engine:?} {dev} TP {tp}", p.id);
                let expected = match (engine, r.gpus.first()) {
                    (Engine::Vllm | Engine::Sglang, Some(g)) => g.term("kv"),
                    (_, Some(g)) => g.total_bytes,
                    (_, None) => r.total_bytes,
                };
                assert_eq!(f.value(), expected as f64, "{what}\n{}", f.expr.symbolic());
                checked[Engine::ALL.iter().position(|e| *e == engine).unwrap()] += 1;
            }
        }
    }
    assert!(checked.iter().all(|n| *n > 20), "{checked:?}");
}

#[test]
fn fit_formula_is_what_is_needed() {
    use llmem_estimator::{
        fit::{will_it_fit, FitQuery},
        hardware::device,
        precision::WeightFormat,
    };
    for p in PRESETS {
        let arch = p.arch().unwrap();
        for (dev, n, context, batch) in [("rtx-4090", 1, 8192, 1), ("h100-sxm", 8, 131_072, 16), ("m3-max", 1, 4096, 4)]
        {
            let q = FitQuery {
                arch: &arch,
                weights: WeightFormat::Float(Dtype::Bf16),
                kv: Dtype::Bf16,
                context,
                batch,
                device: device(dev).unwrap(),
                device_count: n,
                stored_weights: None,
            };
            let Ok(r) = will_it_fit(&q) else { continue };
            assert_eq!(r.formula().value(), r.total_bytes as f64, "{} on {n} × {dev}", p.id);
        }
    }
}

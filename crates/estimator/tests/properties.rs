//! Property tests over the estimator's whole input space: nothing panics or
//! overflows, no float result is NaN or infinite, and what must be monotone
//! is monotone.

use llmem_estimator::{
    attention::attention_memory,
    config::parse_config,
    context_window::ContextWindow,
    fit::{will_it_fit, FitQuery},
    hardware::DEVICES,
    kv_cache::{kv_cache, kv_cache_with_layout, AttentionVariant},
    paging::PagingScenario,
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::PRESETS,
    throughput::phases,
    training::{activation_bytes, model_states, Optimizer, Recompute, ZeroStage},
    units::fixed,
    ModelArch,
};
use proptest::prelude::*;

fn arch(i: usize) -> ModelArch {
    PRESETS[i % PRESETS.len()].arch().unwrap()
}

fn any_dtype() -> impl Strategy<Value = Dtype> {
    prop::sample::select(Dtype::ALL.to_vec())
}

fn any_format() -> impl Strategy<Value = WeightFormat> {
    prop::sample::select(WeightFormat::ALL.to_vec())
}

fn any_stage() -> impl Strategy<Value = ZeroStage> {
    prop::sample::select(ZeroStage::ALL.to_vec())
}

fn any_optimizer() -> impl Strategy<Value = Optimizer> {
    prop::sample::select(Optimizer::ALL.to_vec())
}

/// A config with arbitrary (often absurd) dimensions for a random family.
fn any_config() -> impl Strategy<Value = String> {
    let family = prop::sample::select(vec![
        "llama",
        "mistral",
        "mixtral",
        "qwen2",
        "gemma2",
        "phi3",
        "deepseek_v3",
        "gpt2",
        "bert",
    ]);
    let dim = prop_oneof![Just(0u64), 1u64..70_000, Just(u64::MAX), Just(1u64 << 40), Just(4096)];
    (family, dim.clone(), dim.clone(), dim.clone(), dim.clone(), dim.clone(), dim, any::<bool>()).prop_map(
        |(f, h, l, a, kv, v, i, tie)| {
            format!(
                r#"{{"model_type":"{f}","hidden_size":{h},"num_hidden_layers":{l},"num_attention_heads":{a},
                "num_key_value_heads":{kv},"vocab_size":{v},"intermediate_size":{i},"tie_word_embeddings":{tie},
                "n_embd":{h},"n_layer":{l},"n_head":{a},"n_positions":{v},"num_local_experts":{kv},"num_experts_per_tok":{a},
                "n_routed_experts":{kv},"moe_intermediate_size":{i},"kv_lora_rank":{a},"qk_nope_head_dim":{a},
                "qk_rope_head_dim":{kv},"v_head_dim":{a},"q_lora_rank":{i},"sliding_window":{v}}}"#
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any config either parses into an architecture whose estimates are all
    /// computable-or-errors, or is rejected with a message; never a panic.
    #[test]
    fn configs_never_panic(text in any_config(), fmt in any_format(), dtype in any_dtype(), ctx in any::<u64>(), batch in any::<u64>()) {
        if let Ok(a) = parse_config(&text) {
            let _ = a.param_counts();
            if let Ok(w) = weights_footprint(&a, fmt) {
                prop_assert!(w.bits_per_param.is_finite());
            }
            let _ = kv_cache(&a, dtype, ctx, batch);
        }
    }

    /// Arbitrary bytes as config text: an error, not a panic.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse_config(&text);
    }

    /// KV cache grows (weakly) with context and with batch, for every preset,
    /// attention design and dtype.
    #[test]
    fn kv_is_monotone(i in 0usize..64, v in 0usize..4, dtype in any_dtype(), ctx in 1u64..(1 << 22), extra in 0u64..100_000, batch in 1u64..64) {
        let a = arch(i);
        let layout = AttentionVariant::ALL[v].layout_for(&a);
        let base = kv_cache_with_layout(&a, layout, dtype, ctx, batch).unwrap().total_bytes;
        let longer = kv_cache_with_layout(&a, layout, dtype, ctx + extra, batch).unwrap().total_bytes;
        let wider = kv_cache_with_layout(&a, layout, dtype, ctx, batch + 1).unwrap().total_bytes;
        prop_assert!(longer >= base);
        prop_assert!(wider >= base);
    }

    /// A higher ZeRO stage never raises per-GPU memory; more GPUs never raise it.
    #[test]
    fn zero_is_monotone(params in 1u64..(1 << 42), gpus in 1u64..4096, s in 0usize..3, opt in any_optimizer(), offload in any::<bool>()) {
        let lo = ZeroStage::ALL[s];
        let hi = ZeroStage::ALL[s + 1];
        let a = model_states(params, opt, lo, gpus, offload).unwrap().per_gpu_bytes;
        let b = model_states(params, opt, hi, gpus, offload).unwrap().per_gpu_bytes;
        prop_assert!(b <= a);
        for stage in ZeroStage::ALL {
            let few = model_states(params, opt, stage, gpus, offload).unwrap().per_gpu_bytes;
            let more = model_states(params, opt, stage, gpus + 1, offload).unwrap().per_gpu_bytes;
            prop_assert!(more <= few);
        }
    }

    /// Huge inputs give errors, not overflow panics.
    #[test]
    fn huge_inputs_are_errors(params in any::<u64>(), gpus in any::<u64>(), stage in any_stage(), l in any::<u64>(), h in any::<u64>(), s in any::<u64>()) {
        let _ = model_states(params, Optimizer::AdamMixed, stage, gpus, false);
        for r in [Recompute::None, Recompute::Selective, Recompute::Full] {
            let _ = activation_bytes(l, h, h, s, s, r);
        }
        let _ = attention_memory(l, h, s, Dtype::Bf16);
    }

    /// Splitting each sequence over more GPUs never raises a GPU's peak, for
    /// every preset, stage and recomputation.
    #[test]
    fn context_parallel_never_raises_the_peak(i in 0usize..64, chunks in 1u64..64, stage in 0usize..4, full in any::<bool>()) {
        use llmem_estimator::{timeline::step_timeline, training::TrainingSetup};
        let a = arch(i);
        let base = TrainingSetup {
            stage: [ZeroStage::Zero0, ZeroStage::Zero1, ZeroStage::Zero2, ZeroStage::Zero3][stage],
            gpus: 8,
            seq: 16 * chunks,
            recompute: if full { Recompute::Full } else { Recompute::None },
            ..TrainingSetup::default()
        };
        let mut last = u64::MAX;
        for cp in [1, 2, 4, 8] {
            let peak = step_timeline(&a, &TrainingSetup { context_parallel: cp, ..base }).unwrap().peak_bytes;
            prop_assert!(peak <= last, "cp {cp}: {peak} > {last}");
            last = peak;
        }
    }

    /// Recomputing more never stores more.
    #[test]
    fn recompute_is_monotone(l in 1u64..200, h in 64u64..20_000, a in 1u64..128, s in 1u64..65_536, b in 1u64..64) {
        let none = activation_bytes(l, h, a, s, b, Recompute::None).unwrap();
        let sel = activation_bytes(l, h, a, s, b, Recompute::Selective).unwrap();
        let full = activation_bytes(l, h, a, s, b, Recompute::Full).unwrap();
        prop_assert!(none >= sel && sel >= full);
    }

    /// What transformers keeps grows with the sequence and the micro-batch,
    /// never grows with recomputation, and eager attention never keeps less
    /// than FlashAttention — for every preset.
    #[test]
    fn transformers_activations_are_monotone(i in 0usize..64, s in 1u64..32_768, b in 1u64..16) {
        use llmem_estimator::activations::{activations, ActivationQuery, AttentionKernel};
        let a = arch(i);
        let q = |seq, micro_batch, kernel, recompute| activations(&a, &ActivationQuery { seq, micro_batch, kernel, recompute }).unwrap();
        for k in AttentionKernel::ALL {
            let none = q(s, b, k, Recompute::None);
            prop_assert!(q(s + 1, b, k, Recompute::None).total_bytes > none.total_bytes);
            prop_assert!(q(s, b + 1, k, Recompute::None).total_bytes > none.total_bytes);
            let sel = q(s, b, k, Recompute::Selective);
            let full = q(s, b, k, Recompute::Full);
            prop_assert!(none.total_bytes >= sel.total_bytes, "{} selective", a.family.model_type());
            prop_assert!(sel.layers_bytes >= full.layers_bytes, "{} full", a.family.model_type());
            prop_assert_eq!(none.total_bytes, none.layers_bytes + none.rest_bytes);
        }
        prop_assert!(q(s, b, AttentionKernel::Eager, Recompute::None).total_bytes >= q(s, b, AttentionKernel::Flash, Recompute::None).total_bytes);
    }

    /// Fit reports are finite and self-consistent on every device.
    #[test]
    fn fit_is_consistent(i in 0usize..64, d in 0usize..64, fmt in any_format(), kv in any_dtype(), ctx in 1u64..(1 << 20), batch in 1u64..256, count in 1u64..16) {
        let a = arch(i);
        let device = &DEVICES[d % DEVICES.len()];
        let r = will_it_fit(&FitQuery { arch: &a, weights: fmt, kv, context: ctx, batch, device, device_count: count, stored_weights: None }).unwrap();
        prop_assert!(r.decode_tokens_per_s.is_finite() && r.decode_tokens_per_s >= 0.0);
        prop_assert_eq!(r.fits, r.total_bytes <= r.capacity_bytes);
        prop_assert_eq!(r.total_bytes, r.weights_bytes + r.kv_bytes + r.activation_bytes + r.overhead_bytes);
        prop_assert!(r.max_context <= a.max_position_embeddings.max(1));
        if let Ok(p) = phases(&a, fmt, kv, ctx, batch, device) {
            for v in [p.decode_tokens_per_s, p.prefill_seconds, p.decode.intensity, p.prefill.intensity] {
                prop_assert!(v.is_finite() && v >= 0.0);
            }
        }
    }

    /// Paging: slots always add up, paged never wastes more than one block per
    /// request, and — when the block size divides both the maximum length and
    /// the capacity — never admits fewer requests than contiguous reservation
    /// (each paged request then costs at most its reservation).
    #[test]
    fn paging_accounts(cap in 1u64..2048, max_len in 1u64..256, bs in 1u64..64, reqs in prop::collection::vec(1u64..256, 0..20)) {
        let requests: Vec<u64> = reqs.into_iter().map(|r| r.min(max_len)).collect();
        let s = PagingScenario { capacity: cap, max_len, block_size: bs, requests: requests.clone(), new_request_len: 1 };
        let c = s.contiguous().unwrap();
        let p = s.paged().unwrap();
        for l in [&c, &p] {
            prop_assert_eq!(l.used + l.reserved_waste + l.internal_waste + l.free, cap);
            prop_assert!(l.waste_percent().is_finite() && l.free_percent().is_finite());
        }
        prop_assert!(p.internal_waste < bs * requests.len().max(1) as u64);
        if max_len % bs == 0 && cap % bs == 0 {
            prop_assert!(p.admitted_count() >= c.admitted_count());
        }
    }

    /// The context window never holds more than its limit.
    #[test]
    fn context_window_bounded(limit in 1u64..100_000, ops in prop::collection::vec((0u8..3, 1u64..20_000, 0.0f64..1.5), 0..60)) {
        let mut w = ContextWindow::new(limit);
        for (op, size, ratio) in ops {
            match op {
                0 => { w.add_turn(size); }
                1 => { w.summarize(ratio); }
                _ => { w.reset(); }
            }
            prop_assert!(w.used() <= limit);
            prop_assert!(w.fill().is_finite());
        }
    }

    /// The display rounding the widgets use agrees with core's `{:.N}`
    /// everywhere below its documented ceiling (integers, halves and
    /// arbitrary bit patterns alike).
    #[test]
    fn fixed_agrees_with_core(bits in any::<u64>(), small in -1e7f64..1e7, halves in -2_000_000i64..2_000_000, d in 0u32..=6) {
        let scale = 10f64.powi(d as i32);
        for v in [f64::from_bits(bits), small, halves as f64 / 2.0 / scale] {
            if v.is_finite() && v.abs() * scale < 1.8e19 {
                prop_assert_eq!(fixed(v, d), format!("{v:.prec$}", prec = d as usize));
            }
        }
    }
}

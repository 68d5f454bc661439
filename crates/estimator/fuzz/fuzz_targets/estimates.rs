//! Every public estimate with arbitrary inputs: no panic, no overflow, and no
//! NaN or infinity in a result.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use llmem_estimator::{
    attention::attention_memory,
    context_window::ContextWindow,
    activations::{activations, ActivationQuery, AttentionKernel},
    fit::{will_it_fit, FitQuery},
    hardware::DEVICES,
    kv_cache::{kv_cache_with_layout, AttentionVariant},
    paging::PagingScenario,
    precision::{Dtype, WeightFormat},
    presets::PRESETS,
    throughput::phases,
    training::{activation_bytes, model_states, partial_recompute_bytes, Optimizer, Recompute, ZeroStage},
};

#[derive(Debug, Arbitrary)]
struct Input {
    preset: u8,
    device: u8,
    variant: u8,
    dtype: u8,
    format: u8,
    context: u64,
    batch: u64,
    count: u64,
    params: u64,
    gpus: u64,
    stage: u8,
    dims: [u64; 5],
    paging: (u16, u16, u16, Vec<u16>, u16),
    turns: Vec<(u8, u32, f64)>,
}

fuzz_target!(|i: Input| {
    let arch = PRESETS[i.preset as usize % PRESETS.len()].arch().expect("presets parse");
    let device = &DEVICES[i.device as usize % DEVICES.len()];
    let dtype = Dtype::ALL[i.dtype as usize % Dtype::ALL.len()];
    let format = WeightFormat::ALL[i.format as usize % WeightFormat::ALL.len()];
    let layout = AttentionVariant::ALL[i.variant as usize % 4].layout_for(&arch);
    let _ = kv_cache_with_layout(&arch, layout, dtype, i.context, i.batch);
    if let Ok(r) = will_it_fit(&FitQuery {
        arch: &arch,
        weights: format,
        kv: dtype,
        context: i.context % (1 << 24),
        batch: i.batch % 4096,
        device,
        device_count: i.count % 64,
        stored_weights: None,
    }) {
        assert!(r.decode_tokens_per_s.is_finite());
    }
    if let Ok(p) = phases(&arch, format, dtype, i.context % (1 << 24), i.batch % 4096, device) {
        for v in [p.decode_tokens_per_s, p.prefill_seconds, p.decode.intensity, p.prefill.intensity] {
            assert!(v.is_finite());
        }
    }
    let stage = ZeroStage::ALL[i.stage as usize % 4];
    for opt in Optimizer::ALL {
        let _ = model_states(i.params, opt, stage, i.gpus, i.stage % 2 == 0);
    }
    let [l, h, a, s, b] = i.dims;
    for r in [Recompute::None, Recompute::Selective, Recompute::Full] {
        let _ = activation_bytes(l, h, a, s, b, r);
    }
    for kernel in AttentionKernel::ALL {
        let _ = partial_recompute_bytes(&arch, s, b, kernel, i.params);
        for r in [Recompute::None, Recompute::Selective, Recompute::Full] {
            let _ = activations(&arch, &ActivationQuery { seq: s, micro_batch: b, kernel, recompute: r });
        }
    }
    let _ = attention_memory(b, a, s, dtype);
    let (cap, max_len, bs, reqs, new_len) = i.paging;
    let sc = PagingScenario {
        capacity: u64::from(cap),
        max_len: u64::from(max_len),
        block_size: u64::from(bs),
        requests: reqs.into_iter().take(64).map(u64::from).collect(),
        new_request_len: u64::from(new_len),
    };
    for layout in [sc.contiguous(), sc.paged()].into_iter().flatten() {
        assert!(layout.waste_percent().is_finite() && layout.free_percent().is_finite());
    }
    let mut w = ContextWindow::new(i.context % (1 << 30));
    for (op, size, ratio) in i.turns.into_iter().take(200) {
        match op % 3 {
            0 => drop(w.add_turn(u64::from(size))),
            1 => drop(w.summarize(ratio)),
            _ => drop(w.reset()),
        }
        assert!(w.used() <= w.limit);
    }
});

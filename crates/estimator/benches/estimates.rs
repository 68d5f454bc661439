//! Criterion benchmarks of the estimator's public estimates. Each must be far
//! under a millisecond natively: the widgets call them on every slider move.
//! Run with `cargo bench -p llmem-estimator`; results go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion};
use llmem_estimator::{
    attention::attention_memory,
    config::parse_config,
    fit::{will_it_fit, FitQuery},
    hardware::device,
    kv_cache::kv_cache,
    paging::PagingScenario,
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::preset,
    throughput::phases,
    training::{training_memory, TrainingSetup, ZeroStage},
};
use std::hint::black_box;

fn estimates(c: &mut Criterion) {
    let llama = preset("llama-3.1-8b").unwrap();
    let arch = llama.arch().unwrap();
    let deepseek = preset("deepseek-v3").unwrap().arch().unwrap();
    let h100 = device("h100-sxm").unwrap();

    c.bench_function("parse_config llama-3.1-8b", |b| b.iter(|| parse_config(black_box(llama.config_json()))));
    c.bench_function("param_counts deepseek-v3 (inventory)", |b| b.iter(|| black_box(&deepseek).param_counts()));
    c.bench_function("kv_cache llama-3.1-8b 128K", |b| {
        b.iter(|| kv_cache(black_box(&arch), Dtype::Bf16, black_box(131_072), 1))
    });
    c.bench_function("weights_footprint q4_k_m llama-3.1-8b", |b| {
        b.iter(|| weights_footprint(black_box(&arch), WeightFormat::GgufQ4KM))
    });
    c.bench_function("weights_footprint nf4 deepseek-v3", |b| {
        b.iter(|| weights_footprint(black_box(&deepseek), WeightFormat::Nf4))
    });
    c.bench_function("attention_memory", |b| b.iter(|| attention_memory(1, 32, black_box(32_768), Dtype::Bf16)));
    c.bench_function("training_memory zero3", |b| {
        let setup = TrainingSetup { stage: ZeroStage::Zero3, ..TrainingSetup::default() };
        b.iter(|| training_memory(black_box(&arch), &setup))
    });
    c.bench_function("phases (roofline)", |b| {
        b.iter(|| phases(black_box(&arch), WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, 2048, 8, h100))
    });
    c.bench_function("will_it_fit (with max context/batch search)", |b| {
        b.iter(|| {
            will_it_fit(&FitQuery {
                arch: black_box(&arch),
                weights: WeightFormat::Float(Dtype::Bf16),
                kv: Dtype::Bf16,
                context: 8192,
                batch: 4,
                device: h100,
                device_count: 1,
                stored_weights: None,
            })
        })
    });
    c.bench_function("paging simulation 4096 slots", |b| {
        let s = PagingScenario {
            capacity: 4096,
            max_len: 512,
            block_size: 16,
            requests: (0..8).map(|i| 60 + i * 50).collect(),
            new_request_len: 200,
        };
        b.iter(|| (black_box(&s).contiguous(), s.paged()))
    });
}

criterion_group!(benches, estimates);
criterion_main!(benches);

//! 05 · What a serving engine takes: one GPU's memory as vLLM, SGLang,
//! llama.cpp or transformers lays it out for a model, a device and a
//! workload, each term marked as the engine's own arithmetic (exact), an
//! estimate or a setting, with vLLM's start-up lines
//! ([`llmem_estimator::engines::serve::serve`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{device_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::engine_answer::answer_markup;
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    engines::{
        gguf_layout::FileType,
        llama_cpp::LlamaCppParams,
        parallel::Parallelism,
        serve::{serve, Engine, ServeQuery, ServeReport, VllmOptions, SGLANG_MEM_FRACTION_STATIC},
    },
    hardware::device,
    precision::{Dtype, WeightFormat},
    presets::preset,
    units::format_tokens,
};

pub const GPU_STEPS: [u64; 4] = [1, 2, 4, 8];
pub const CONTEXT_STEPS: [u64; 8] = [2048, 4096, 8192, 16_384, 32_768, 65_536, 131_072, 262_144];
pub const BATCH_STEPS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The engine's report for the widget's settings. `weights` is a GGUF file
/// type for llama.cpp and a weights format for the others.
pub fn report(
    model: &str,
    dev: &str,
    engine: &str,
    gpus: u64,
    weights: &str,
    context: u64,
    batch: u64,
) -> Option<Result<ServeReport, String>> {
    report_with(serve, model, dev, engine, gpus, weights, context, batch)
}

/// [`report`] through `answer`: [`serve`], or
/// [`llmem_estimator::engines::serve::serve_gpu_engines`] where llama.cpp's
/// graph builder must stay out of the first load.
#[allow(clippy::too_many_arguments)]
fn report_with(
    answer: fn(&ServeQuery) -> llmem_estimator::Result<ServeReport>,
    model: &str,
    dev: &str,
    engine: &str,
    gpus: u64,
    weights: &str,
    context: u64,
    batch: u64,
) -> Option<Result<ServeReport, String>> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    let engine = Engine::parse(engine).ok()?;
    let llama = engine == Engine::LlamaCpp;
    let q = ServeQuery {
        arch: &arch,
        engine,
        device: device(dev).ok()?,
        parallel: Parallelism { tp: if llama { 1 } else { gpus }, pp: 1, expert_parallel: false },
        weights: if llama { WeightFormat::Float(Dtype::Bf16) } else { WeightFormat::parse(weights).ok()? },
        gguf: if llama { FileType::parse(weights).ok()? } else { FileType::F16 },
        gguf_file: None,
        kv: Dtype::Bf16,
        context,
        batch,
        vllm: VllmOptions::default(),
        sglang_mem_fraction: SGLANG_MEM_FRACTION_STATIC,
        llama: LlamaCppParams { n_gpu_layers: u64::MAX, ..LlamaCppParams::default() },
    };
    Some(answer(&q).map_err(|e| e.to_string()))
}

/// The module holding llama.cpp's figures could not be fetched.
struct NotLoaded;

#[cfg(feature = "lazy-config")]
impl From<wasm_split_helpers::SplitLoaderError> for NotLoaded {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// llama.cpp's report, in the lazily fetched module where the bundle
/// splits (its compute buffer rebuilds llama.cpp's graph, code a figure
/// showing vLLM by default need not load).
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(llama_cpp, fallible))]
#[allow(clippy::unnecessary_wraps, clippy::too_many_arguments)]
fn llama_report_split(
    model: String,
    dev: String,
    gpus: u64,
    gguf: String,
    context: u64,
    batch: u64,
) -> Result<Option<Result<ServeReport, String>>, NotLoaded> {
    Ok(report(&model, &dev, "llama.cpp", gpus, &gguf, context, batch))
}

/// A term's color class.
fn class(id: &str) -> &'static str {
    match id {
        "weights" => "lw-c-weights",
        "kv" => "lw-c-kv",
        "activations" | "compute" => "lw-c-act",
        "cuda_graphs" | "non_torch" => "lw-c-opt",
        _ => "lw-c-muted",
    }
}

/// The engine-memory widget.
#[component]
pub fn EngineMemory(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let dev = RwSignal::new(params.get("device").to_string());
    let engine = RwSignal::new(params.get("engine").to_string());
    let gpus = RwSignal::new(params.u64("gpus"));
    let weights = RwSignal::new(params.get("weights").to_string());
    let gguf = RwSignal::new(params.get("gguf").to_string());
    let context = RwSignal::new(params.u64("context"));
    let batch = RwSignal::new(params.u64("batch"));
    let llama = Memo::new(move |_| engine.get() == "llama.cpp");
    // vLLM, SGLang and transformers are answered at once; llama.cpp from
    // its own module, the latest request winning.
    let data = RwSignal::new(None::<Result<ServeReport, String>>);
    let asked = StoredValue::new(0u32);
    crate::erased::effect(move || {
        let (m, d, g, n, b) = (model.get(), dev.get(), gpus.get(), context.get(), batch.get());
        let this = asked.get_value().wrapping_add(1);
        asked.set_value(this);
        if !llama.get() {
            let e = engine.get();
            data.set(report_with(
                llmem_estimator::engines::serve::serve_gpu_engines,
                &m,
                &d,
                &e,
                g,
                &weights.get(),
                n,
                b,
            ));
            return;
        }
        let file = gguf.get();
        leptos::task::spawn_local(async move {
            #[cfg(feature = "lazy-config")]
            let r = llama_report_split(m, d, g, file, n, b).await;
            #[cfg(not(feature = "lazy-config"))]
            let r = llama_report_split(m, d, g, file, n, b);
            if asked.get_value() == this {
                data.set(r.unwrap_or_else(|NotLoaded| {
                    Some(Err("llama.cpp's figures could not be fetched; reload the page to try again".into()))
                }));
            }
        });
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("device", dev.get()),
            ("engine", engine.get()),
            ("gpus", gpus.get().to_string()),
            ("weights", weights.get()),
            ("gguf", gguf.get()),
            ("context", context.get().to_string()),
            ("batch", batch.get().to_string()),
        ]
    });
    // The first GPU (every rank of a TP group holds the same), or for an
    // engine running in unified or host memory, the whole run.
    let segments = Signal::derive(move || match data.get() {
        Some(Ok(r)) => match r.gpus.first() {
            Some(g) => g.terms.iter().map(|t| Segment { label: t.label, bytes: t.bytes, class: class(t.id) }).collect(),
            None => vec![
                Segment { label: "model", bytes: r.weights_bytes, class: "lw-c-weights" },
                Segment { label: "KV cache", bytes: r.kv_bytes, class: "lw-c-kv" },
                Segment { label: "compute buffer", bytes: r.compute_bytes, class: "lw-c-act" },
                Segment { label: "output", bytes: r.output_bytes, class: "lw-c-muted" },
            ],
        },
        _ => Vec::new(),
    });
    let capacity = Memo::new(move |_| device(&dev.get()).map_or(1, |d| d.gpu_budget_bytes()));
    let scale = Signal::derive(move || {
        let used: u64 = segments.get().iter().map(|s| s.bytes).sum();
        used.max(capacity.get())
    });
    let bar_label = Signal::derive(move || {
        let d = device(&dev.get()).ok();
        let name = d.map_or(String::new(), |d| d.name.to_string());
        if llama.get() || gpus.get() == 1 {
            format!("One {name}, usable {}", show(capacity.get()))
        } else {
            format!("Each of {} × {name} (tensor parallel), {}", gpus.get(), show(capacity.get()))
        }
    });
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || data.get().and_then(|r| r.ok()).map(|r| r.formula()));
    let engine_options: Vec<(String, String)> =
        Engine::ALL.iter().map(|e| (e.id().to_string(), e.label().to_string())).collect();
    let weight_options: Vec<(String, String)> =
        [("checkpoint", "As stored (bf16)"), ("fp8", "FP8"), ("awq-int4", "AWQ 4-bit")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    let gguf_options: Vec<(String, String)> = [("f16", "F16"), ("q8_0", "Q8_0"), ("q4_k_m", "Q4_K_M")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-engine" formula
            subtitle="The same model, served by different engines: what each one takes before the first request, and what it leaves for the KV cache.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <Choice name=format!("{uid}-engine") legend="Engine" options=engine_options value=engine />
                <div hidden=move || llama.get()>
                    <StepSlider id=format!("{uid}-gpus") label="GPUs (tensor parallel)" steps=&GPU_STEPS
                        count=Signal::stored(GPU_STEPS.len()) value=gpus
                        text=Callback::new(|g: u64| g.to_string()) />
                </div>
                <div hidden=move || llama.get()>
                    <Select id=format!("{uid}-weights") label="Weights" options=weight_options value=weights />
                </div>
                <div hidden=move || !llama.get()>
                    <Select id=format!("{uid}-gguf") label="GGUF file type" options=gguf_options value=gguf />
                </div>
                <StepSlider id=format!("{uid}-context") label="Tokens per sequence" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
                <StepSlider id=format!("{uid}-batch") label="Sequences at once" steps=&BATCH_STEPS
                    count=Signal::stored(BATCH_STEPS.len()) value=batch
                    text=Callback::new(|b: u64| b.to_string()) />
            </div>
            <StackedBar label=bar_label segments=segments scale=scale capacity=capacity />
            // One string of markup, every interpolated text escaped: a view
            // tree for the answer would cost this figure's bundle several KiB.
            <div class="lw-result" aria-live="polite" inner_html=move || answer_markup(data.get(), context.get(), capacity.get())></div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vllm_on_an_h100() {
        let r = report("llama-3.1-8b", "h100-sxm", "vllm", 1, "checkpoint", 8192, 1).unwrap().unwrap();
        assert!(r.fits);
        assert_eq!(r.kv_cache_tokens.unwrap() % 16, 0);
        let r = report("llama-3.1-8b", "h100-sxm", "vllm", 3, "checkpoint", 8192, 1).unwrap();
        assert!(r.is_err(), "32 heads do not split over 3 GPUs");
        let m = report("llama-3.1-8b", "mac-16gb", "llama.cpp", 1, "q4_k_m", 8192, 1).unwrap().unwrap();
        assert!(m.fits && m.gpus.is_empty());
    }
}

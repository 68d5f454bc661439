//! 01 · Training versus inference: stacked bars of what one GPU holds to
//! train a model and to run it, and the ratio between them.

use crate::bars::{Segment, StackedBar};
use crate::controls::{
    attention_kernel, attention_options, model_arch, model_options_with_custom, next_uid, Choice, Select, SizeSlider,
};
use crate::frame::WidgetFrame;
use crate::params::Params;
use leptos::prelude::*;
use llmem_estimator::units::fixed;
use llmem_estimator::{
    activations::AttentionKernel,
    fit::inference_memory,
    precision::{Dtype, WeightFormat},
    training::{model_activation_bytes, model_states, Optimizer, Recompute, ZeroStage},
    ModelArch,
};

/// Context (inference) and sequence (training) the bars assume.
pub const CONTEXT: u64 = 8192;
pub const SEQ: u64 = 4096;

/// The weights format for an inference precision choice.
pub fn format_for(precision: &str) -> WeightFormat {
    match precision {
        "fp32" => WeightFormat::Float(Dtype::Fp32),
        "int8" => WeightFormat::Int8,
        "int4" => WeightFormat::Int4,
        _ => WeightFormat::Float(Dtype::Fp16),
    }
}

/// (training segments, inference segments).
pub fn breakdown(arch: &ModelArch, precision: &str, kernel: AttentionKernel) -> Option<(Vec<Segment>, Vec<Segment>)> {
    let params = arch.param_counts().ok()?.total;
    let s = model_states(params, Optimizer::AdamMixed, ZeroStage::Zero0, 1, false).ok()?;
    let act = model_activation_bytes(arch, SEQ, 1, kernel, Recompute::None).ok()?;
    let training = vec![
        Segment { label: "Weights (fp16)", bytes: s.params_bytes, class: "lw-c-weights" },
        Segment { label: "Gradients", bytes: s.grads_bytes, class: "lw-c-grad" },
        Segment { label: "Optimizer state", bytes: s.optimizer_bytes, class: "lw-c-opt" },
        Segment { label: "Activations", bytes: act, class: "lw-c-act" },
    ];
    let kv_dtype = if precision == "fp32" { Dtype::Fp32 } else { Dtype::Fp16 };
    let m = inference_memory(arch, format_for(precision), kv_dtype, CONTEXT, 1).ok()?;
    let inference = vec![
        Segment { label: "Weights", bytes: m.weights_bytes, class: "lw-c-weights" },
        Segment { label: "KV cache", bytes: m.kv_bytes, class: "lw-c-kv" },
        Segment { label: "Activations", bytes: m.activation_bytes, class: "lw-c-act" },
    ];
    Some((training, inference))
}

/// The "Training versus inference" widget.
#[component]
pub fn TrainVsInfer(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let precision = RwSignal::new(params.get("precision").to_string());
    let size = RwSignal::new(params.u64("size") as u32);
    let attention = RwSignal::new(params.get("attention").to_string());
    let arch = Memo::new(move |_| model_arch(&model.get(), size.get()));
    let bars = Memo::new(move |_| {
        let kernel = attention_kernel(&attention.get());
        arch.with(|a| a.as_ref().and_then(|a| breakdown(a, &precision.get(), kernel)))
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("size", size.get().to_string()),
            ("precision", precision.get()),
            ("attention", attention.get()),
        ]
    });
    let training = Signal::derive(move || bars.get().map(|b| b.0).unwrap_or_default());
    let inference = Signal::derive(move || bars.get().map(|b| b.1).unwrap_or_default());
    let sum = |v: Vec<Segment>| v.iter().map(|s| s.bytes).sum::<u64>();
    let scale = Signal::derive(move || sum(training.get()).max(sum(inference.get())));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let (t, i) = (training.get(), inference.get());
        let params = arch.get()?.param_counts().ok()?.total;
        Some(llmem_estimator::training::train_infer_formula(
            params,
            t.get(3)?.bytes,
            i.first()?.bytes,
            i.get(1)?.bytes,
            i.get(2)?.bytes,
        ))
    });
    let ratio = move || {
        let (t, i) = (sum(training.get()), sum(inference.get()));
        if i == 0 {
            "—".to_string()
        } else {
            format!("{}×", fixed(t as f64 / i as f64, 1))
        }
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-tvi" formula
            subtitle="The same model, trained and served, on one GPU. Change the model and the precision it is served in.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options_with_custom() value=model />
                <Choice name=format!("{uid}-precision") legend="Inference precision"
                    options=vec![("fp32".into(), "FP32".into()), ("fp16".into(), "FP16".into()),
                                 ("int8".into(), "INT8".into()), ("int4".into(), "INT4".into())]
                    value=precision />
                <SizeSlider id=format!("{uid}-size") max=70 size=size model=model arch=arch />
                <Select id=format!("{uid}-attention") label="Training attention" options=attention_options() value=attention />
            </div>
            <StackedBar label=Signal::stored("Training".to_string()) segments=training scale=scale />
            <StackedBar label=Signal::stored("Inference".to_string()) segments=inference scale=scale />
            <div class="lw-result" aria-live="polite">
                <p class="lw-big">{ratio}" "<span class="lw-big-label">"— training needs about this many times the memory of inference here"</span></p>
                <p class="lw-detail">{move || format!(
                    "Training: mixed-precision Adam, {SEQ}-token sequences, micro-batch 1, {} attention, no recomputation or sharding. \
                     Inference: an {CONTEXT}-token context, one sequence, cache in fp16 (fp32 with fp32 weights); int8 and int4 include their scales.",
                    attention_kernel(&attention.get()).label())}</p>
                <p class="lw-detail lw-warn">{move || arch.with(|a| a.as_ref().filter(|a| a.max_position_embeddings < CONTEXT).map(|a| format!(
                    "Note: this model was trained for {} tokens, fewer than the lengths shown; the bars are what those shapes would take, not a setting it supports.",
                    llmem_estimator::units::group_thousands(a.max_position_embeddings))))}</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama2_7b_fp16() {
        let a = llmem_estimator::presets::preset("llama-2-7b").unwrap().arch().unwrap();
        let (t, i) = breakdown(&a, "fp16", AttentionKernel::Flash).unwrap();
        assert_eq!(t[0].bytes, 6_738_415_616 * 2);
        assert_eq!(t[2].bytes, 6_738_415_616 * 12);
        assert_eq!(i[0].bytes, 6_738_415_616 * 2);
        // 32 layers × 32 heads × 128 × 2 × 2 B × 8192 tokens.
        assert_eq!(i[1].bytes, 4 * (1 << 30));
        let (_, i4) = breakdown(&a, "int4", AttentionKernel::Flash).unwrap();
        assert!(i4[0].bytes < i[0].bytes / 3);
    }

    /// A custom 13B is Llama 2 13B's shape: 13,015,864,320 parameters;
    /// KV = 40 layers × 5120 × 2 (K and V) × 2 B × 8192 tokens.
    #[test]
    fn custom_13b() {
        let a = crate::controls::model_arch("custom", 13).unwrap();
        let (t, i) = breakdown(&a, "fp16", AttentionKernel::Flash).unwrap();
        assert_eq!(t[0].bytes, 13_015_864_320 * 2);
        assert_eq!(t[2].bytes, 13_015_864_320 * 12);
        assert_eq!(i[1].bytes, 40 * 5120 * 2 * 2 * 8192);
    }
}

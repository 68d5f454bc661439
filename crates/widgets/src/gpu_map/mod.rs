//! 01 · What's on the GPU: the four kinds of memory — weights, activations,
//! KV cache, optimizer state and gradients — for inference or training of a
//! real model, as bars sized by the estimator. Selecting a block (click or
//! keyboard) explains what it holds.

use crate::controls::{model_options, next_uid, Choice, Select};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::units::fixed;
use llmem_estimator::{
    activations::AttentionKernel,
    fit::inference_memory,
    precision::{Dtype, WeightFormat},
    presets::preset,
    training::{model_activation_bytes, model_states, Optimizer, Recompute, ZeroStage},
    ModelArch,
};

/// The four blocks, in display order: (id, name, CSS color class).
pub const BLOCKS: [(&str, &str, &str); 4] = [
    ("weights", "Weights", "lw-c-weights"),
    ("activations", "Activations", "lw-c-act"),
    ("kv", "KV cache", "lw-c-kv"),
    ("optimizer", "Optimizer state + gradients", "lw-c-opt"),
];

/// Inference context and training sequence the sizes assume.
pub const INFERENCE_CONTEXT: u64 = 8192;
pub const TRAINING_SEQ: u64 = 4096;

/// Bytes of each block (in [`BLOCKS`] order) for a mode; 0 = not present.
pub fn block_sizes(arch: &ModelArch, training: bool) -> Option<[u64; 4]> {
    if training {
        let params = arch.param_counts().ok()?.total;
        let states = model_states(params, Optimizer::AdamMixed, ZeroStage::Zero0, 1, false).ok()?;
        // FlashAttention, as every current trainer runs it.
        let act = model_activation_bytes(arch, TRAINING_SEQ, 1, AttentionKernel::Flash, Recompute::None).ok()?;
        Some([states.params_bytes, act, 0, states.grads_bytes + states.optimizer_bytes])
    } else {
        let m = inference_memory(arch, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, INFERENCE_CONTEXT, 1).ok()?;
        Some([m.weights_bytes, m.activation_bytes, m.kv_bytes, 0])
    }
}

/// The formula behind the total of [`block_sizes`] for a mode.
fn total_formula(arch: &ModelArch, training: bool) -> Option<llmem_estimator::formula::Formula> {
    if training {
        let setup = llmem_estimator::training::TrainingSetup { gpus: 1, seq: TRAINING_SEQ, ..Default::default() };
        let m = llmem_estimator::training::training_memory(arch, &setup).ok()?;
        Some(llmem_estimator::training::formula(arch.param_counts().ok()?.total, &setup, &m))
    } else {
        let m = inference_memory(arch, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, INFERENCE_CONTEXT, 1).ok()?;
        Some(m.formula())
    }
}

fn describe(block: &str, training: bool) -> &'static str {
    match (block, training) {
        ("weights", _) => "The learned parameters: every matrix of every layer and the embedding table. Both modes need all of them, and generation reads them in full for every token.",
        ("activations", false) => "Intermediate results of the forward pass. Inference needs only the current layer's and throws them away as it goes, so this block stays small.",
        ("activations", true) => "Intermediate results of the forward pass, kept for the backward pass to compute gradients from. They grow with batch size, sequence length and depth, which is why activation checkpointing exists.",
        ("kv", false) => "The keys and values of every token so far, kept so each new token attends to them without recomputing them. It grows with every token and every sequence in the batch.",
        ("kv", true) => "Training processes whole sequences in parallel and keeps no cache between steps, so there is no KV cache here.",
        ("optimizer", false) => "Inference updates nothing, so there are no gradients and no optimizer state.",
        ("optimizer", true) => "A gradient for every parameter, and the optimizer's bookkeeping: mixed-precision Adam keeps an fp32 copy of each weight and two fp32 running moments. Usually the largest block in training.",
        _ => "",
    }
}

/// The "What's on the GPU" widget.
#[component]
pub fn GpuMap(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let mode = RwSignal::new(params.get("mode").to_string());
    let model = RwSignal::new(params.get("model").to_string());
    let block = RwSignal::new(params.get("block").to_string());
    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    let training = Memo::new(move |_| mode.get() == "training");
    let sizes = Memo::new(move |_| arch.get().and_then(|a| block_sizes(&a, training.get())));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || total_formula(&arch.get()?, training.get()));
    let state = Signal::derive(move || vec![("mode", mode.get()), ("model", model.get()), ("block", block.get())]);

    let total = move || sizes.get().map_or(0, |s| s.iter().sum::<u64>());
    let assumption = move || {
        if training.get() {
            format!(
                "Mixed-precision Adam on one GPU, {}-token sequences, micro-batch 1, no recomputation.",
                TRAINING_SEQ
            )
        } else {
            format!("BF16 weights and cache, an {}-token context, one sequence.", INFERENCE_CONTEXT)
        }
    };
    let detail = move || {
        let b = block.get();
        let idx = BLOCKS.iter().position(|x| x.0 == b).unwrap_or(0);
        let bytes = sizes.get().map_or(0, |s| s[idx]);
        let size = if bytes == 0 { "Not present in this mode.".to_string() } else { format!("{} here.", show(bytes)) };
        (BLOCKS[idx].1, size, describe(&b, training.get()))
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-gpu" formula
            subtitle="Switch between running and training the model, then pick a block to see what it holds.".into()>
            <div class="lw-controls">
                <Choice name=format!("{uid}-mode") legend="Workload"
                    options=vec![("inference".into(), "Inference".into()), ("training".into(), "Training".into())] value=mode />
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
            </div>
            <p class="lw-detail">{assumption}" Total: "<strong>{move || show(total())}</strong></p>
            <div class="lw-blocks" role="group" aria-label="Memory blocks">
                {BLOCKS.iter().enumerate().map(|(i, (id, name, class))| {
                    let id = *id;
                    let bytes = move || sizes.get().map_or(0, |s| s[i]);
                    let max = move || sizes.get().map_or(1, |s| s.iter().copied().max().unwrap_or(1).max(1));
                    view! {
                        <button type="button" class="lw-block" class:lw-off=move || bytes() == 0
                            aria-pressed=move || (block.get() == id).to_string()
                            on:click=move |_| block.set(id.to_string())>
                            <span class="lw-block-name">{*name}</span>
                            <span class="lw-bar-track" aria-hidden="true">
                                <span class=format!("lw-bar-fill {class}")
                                    style:width=move || format!("{}%", fixed(bytes() as f64 * 100.0 / max() as f64, 2))></span>
                            </span>
                            <span class="lw-block-size">{move || if bytes() == 0 { "—".to_string() } else { show(bytes()) }}</span>
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="lw-result lw-explain" aria-live="polite">
                {move || { let (name, size, text) = detail(); view! {
                    <p class="lw-explain-title"><strong>{name}</strong>" — "{size}</p>
                    <p class="lw-detail">{text}</p>
                } }}
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_dwarfs_inference() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let inf = block_sizes(&a, false).unwrap();
        let tr = block_sizes(&a, true).unwrap();
        assert_eq!(inf[0], 16_060_522_496);
        assert_eq!(inf[2], 1_073_741_824);
        assert_eq!(inf[3], 0);
        assert_eq!(tr[2], 0);
        assert_eq!(tr[3], 8_030_261_248 * 14);
        assert!(tr.iter().sum::<u64>() > 5 * inf.iter().sum::<u64>());
    }
}

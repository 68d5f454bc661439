//! 09 · Every architecture's memory per sequence at one length: real
//! configs of full attention (MHA, GQA), latent attention (MLA), sliding
//! windows, chunks, hybrids and pure state-space models side by side, with
//! what each adds per token and what it holds whatever the length
//! ([`llmem_estimator::kv_cache`]).

use crate::controls::{next_uid, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    kv_cache::kv_cache,
    precision::Dtype,
    presets::preset,
    units::{fixed, format_tokens, group_thousands},
    Attention, AttentionSpan, ModelArch,
};

/// The models compared: one real config per design.
pub const MODELS: [&str; 11] = [
    "llama-2-7b",
    "llama-3.1-8b",
    "qwen3-8b",
    "mistral-7b-v0.1",
    "gemma-3-27b",
    "gpt-oss-20b",
    "llama-4-scout",
    "deepseek-v3",
    "qwen3-next-80b-a3b",
    "nemotron-h-8b",
    "mamba-2.8b",
];

pub const SEQ_STEPS: [u64; 9] = [1024, 4096, 8192, 32_768, 65_536, 131_072, 262_144, 524_288, 1_048_576];

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: &'static str,
    pub name: String,
    pub design: String,
    /// The cache at the chosen length (bf16), state included.
    pub bytes: u64,
    /// What one more token adds at this length (0 once every layer is capped).
    pub per_token: u64,
    /// The part that does not depend on the length.
    pub state: u64,
}

/// What kind of memory design `arch` is, in a few words.
pub fn design(arch: &ModelArch) -> String {
    let attn = arch.attention_layer_count();
    let rec = arch.recurrent_layer_count();
    if attn == 0 {
        return "state-space: fixed state only".into();
    }
    let spans: Vec<AttentionSpan> = arch.layers.iter().filter_map(|l| l.attention).collect();
    let full = spans.iter().filter(|s| **s == AttentionSpan::Full).count();
    let heads = match &arch.attention {
        Some(Attention::Latent(_)) => "MLA (one latent per token)".to_string(),
        Some(Attention::Standard(a)) if a.num_kv_heads == arch.num_heads() => {
            format!("MHA, {} KV heads", a.num_kv_heads)
        }
        Some(Attention::Standard(a)) => format!("GQA, {} KV heads", a.num_kv_heads),
        None => String::new(),
    };
    if rec > 0 {
        return format!("hybrid: {attn} attention + {rec} recurrent layers");
    }
    match spans.iter().find_map(|s| s.bound().map(|b| (s.label(), b))) {
        Some((kind, b)) if full == 0 => format!("{heads}, {kind} window of {} in every layer", group_thousands(b)),
        Some((kind, b)) => format!("{heads}, {} {kind} ({}) : {full} full", spans.len() - full, group_thousands(b)),
        None => heads,
    }
}

/// The rows at `seq` tokens.
pub fn rows(seq: u64) -> Vec<Row> {
    MODELS
        .iter()
        .filter_map(|id| {
            let p = preset(id).ok()?;
            let arch = p.arch().ok()?;
            let at = kv_cache(&arch, Dtype::Bf16, seq, 1).ok()?;
            let next = kv_cache(&arch, Dtype::Bf16, seq.saturating_add(1), 1).ok()?;
            Some(Row {
                id,
                // "Llama 2 7B (7B-class)" → "Llama 2 7B": the design column says the rest.
                name: p.name.split(" (").next().unwrap_or(p.name).to_string(),
                design: design(&arch),
                bytes: at.total_bytes,
                per_token: next.total_bytes.saturating_sub(at.total_bytes),
                state: at.state_bytes_per_sequence,
            })
        })
        .collect()
}

/// The sentence under the bars.
pub fn verdict(rows: &[Row], seq: u64) -> String {
    let (Some(big), Some(small)) = (rows.iter().max_by_key(|r| r.bytes), rows.iter().min_by_key(|r| r.bytes)) else {
        return String::new();
    };
    format!(
        "At {} tokens the largest cache here, {}'s, is {}× the smallest, {}'s: {} against {}.",
        format_tokens(seq),
        big.name,
        group_thousands((big.bytes as f64 / small.bytes.max(1) as f64).round() as u64),
        small.name,
        show(big.bytes),
        show(small.bytes)
    )
}

/// The comparison widget.
#[component]
pub fn CacheCompare(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let seq = RwSignal::new(params.u64("seq"));
    let data = Memo::new(move |_| rows(seq.get()));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let rows = data.get();
        let big = rows.iter().map(|r| r.bytes).max()?;
        let small = rows.iter().map(|r| r.bytes).min()?;
        Some(llmem_estimator::kv_cache::ratio_formula(big, small.max(1)))
    });
    let state = Signal::derive(move || vec![("seq", seq.get().to_string())]);
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-compare" formula
            subtitle="The memory one sequence holds, for eleven real models whose designs differ only in how they remember: all heads, shared heads, a compressed latent, windows, chunks, recurrent state.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq
                    text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
            </div>
            <div class="lw-result" aria-live="polite">
                <p class="lw-detail">{move || verdict(&data.get(), seq.get())}</p>
            </div>
            <ol class="lw-lanes">
                {move || {
                    let rows = data.get();
                    let top = rows.iter().map(|r| r.bytes).max().unwrap_or(1).max(1);
                    rows.into_iter().map(|r| {
                        let width = format!("{}%", fixed((r.bytes as f64 / top as f64 * 100.0).clamp(0.4, 100.0), 2));
                        let growth = if r.per_token == 0 && r.bytes == r.state {
                            "never grows".to_string()
                        } else if r.per_token == 0 {
                            "no longer grows".to_string()
                        } else {
                            format!("+{} per token", show(r.per_token))
                        };
                        let fixed_part = if r.state > 0 { format!(" · {} fixed", show(r.state)) } else { String::new() };
                        view! {
                            <li class="lw-lane">
                                <span class="lw-lane-name">{r.name.clone()}</span>
                                <span class="lw-lane-meta">{r.design.clone()}</span>
                                <span class="lw-bar-track" aria-hidden="true">
                                    <span class="lw-bar-fill lw-c-kv" style:width=width></span>
                                </span>
                                <span class="lw-lane-time">{format!("{} · {growth}{fixed_part}", show(r.bytes))}</span>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <p class="lw-source">"One sequence, bf16, as the model's config defines its layers (windows and chunks applied, recurrent state as vLLM allocates it). Weights are not included: the models range from 2.8 to 671 billion parameters."</p>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_priced_and_described() {
        let r = rows(131_072);
        assert_eq!(r.len(), MODELS.len());
        let by = |id: &str| r.iter().find(|x| x.id == id).unwrap().clone();
        // Llama 3.1 8B: 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes per token.
        assert_eq!(by("llama-3.1-8b").bytes, 131_072 * 131_072);
        assert_eq!(by("llama-3.1-8b").per_token, 131_072);
        assert_eq!(by("llama-3.1-8b").design, "GQA, 8 KV heads");
        assert_eq!(by("llama-2-7b").design, "MHA, 32 KV heads");
        assert_eq!(by("mistral-7b-v0.1").per_token, 0);
        assert_eq!(by("mistral-7b-v0.1").design, "GQA, 8 KV heads, sliding window of 4,096 in every layer");
        assert_eq!(by("gemma-3-27b").design, "GQA, 16 KV heads, 52 sliding (1,024) : 10 full");
        assert!(by("deepseek-v3").design.starts_with("MLA"));
        let m = by("mamba-2.8b");
        assert_eq!((m.per_token, m.bytes, m.design.as_str()), (0, m.state, "state-space: fixed state only"));
        assert!(by("nemotron-h-8b").design.starts_with("hybrid: 4 attention"));
        let v = verdict(&r, 131_072);
        assert!(v.starts_with("At 128K tokens the largest cache here, Llama 2 7B's, is 5,519× the smallest"), "{v}");
        assert!(v.contains("the smallest, Mamba 2.8B"), "{v}");
    }
}

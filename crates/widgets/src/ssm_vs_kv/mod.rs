//! 09 · Growing cache versus constant state: a transformer's KV cache
//! climbs with the sequence while a Mamba model's per-sequence state stays
//! flat; the chart marks where they cross
//! ([`llmem_estimator::ssm`], [`llmem_estimator::kv_cache`]).

use crate::chart::{redraw_epoch, short_number, Anchor, Axis, Plot};
use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::{show, show_f64};
use leptos::{html, prelude::*};
use llmem_estimator::{
    kv_cache::kv_cache,
    precision::Dtype,
    presets::{preset, recurrent_preset, recurrent_presets},
    ssm::{first_exceeding, recurrent_state},
    units::{fixed, format_tokens},
    ModelArch,
};

/// Sequence lengths on the (logarithmic) slider.
pub const SEQ_STEPS: [u64; 17] = [
    1 << 10,
    3 << 9,
    2 << 10,
    3 << 10,
    4 << 10,
    6 << 10,
    8 << 10,
    12 << 10,
    16 << 10,
    24 << 10,
    32 << 10,
    48 << 10,
    64 << 10,
    96 << 10,
    128 << 10,
    192 << 10,
    256 << 10,
];

/// One state of the figure: the two models, what each holds at `seq` tokens
/// (bf16, one sequence), the recurrent model's constant part, and the first
/// length at which the transformer holds more.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub transformer: ModelArch,
    pub recurrent: ModelArch,
    /// The transformer's KV cache at `seq`.
    pub kv: u64,
    /// The recurrent model's whole cache at `seq`: its state, plus its
    /// attention layers' keys and values for a hybrid.
    pub recurrent_kv: u64,
    /// The constant part of `recurrent_kv`.
    pub state: u64,
    pub cross: Option<u64>,
}

/// Largest length the figure draws and searches.
const MAX_SEQ: u64 = 262_144;

pub fn compare(model: &str, recurrent: &str, seq: u64) -> Option<Comparison> {
    let transformer = preset(model).and_then(|p| p.arch()).ok()?;
    let recurrent = recurrent_preset(recurrent).ok()?.arch().ok()?;
    let state = recurrent_state(&recurrent, Dtype::Bf16).ok()?.total_bytes;
    let kv = kv_cache(&transformer, Dtype::Bf16, seq, 1).ok()?.total_bytes;
    let recurrent_kv = kv_cache(&recurrent, Dtype::Bf16, seq, 1).ok()?.total_bytes;
    let cross = first_exceeding(&transformer, &recurrent, Dtype::Bf16, MAX_SEQ).ok()?;
    Some(Comparison { transformer, recurrent, kv, recurrent_kv, state, cross })
}

/// "the Mamba state" or "the hybrid's cache".
fn noun(c: &Comparison) -> &'static str {
    if c.recurrent.attention_layer_count() > 0 {
        "the hybrid's cache"
    } else {
        "the state"
    }
}

/// The growing-cache-versus-constant-state widget.
#[component]
pub fn SsmVsKv(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let seq = RwSignal::new(params.u64("seq"));
    let model = RwSignal::new(params.get("model").to_string());
    let mamba = RwSignal::new(params.get("mamba").to_string());
    let data = Memo::new(move |_| compare(&model.get(), &mamba.get(), seq.get()));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        data.get().map(|c| llmem_estimator::ssm::cache_ratio_formula(c.kv, c.recurrent_kv, c.state))
    });
    let state =
        Signal::derive(move || vec![("seq", seq.get().to_string()), ("model", model.get()), ("mamba", mamba.get())]);
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Some(d)) = (canvas.get(), data.get()) {
            draw(&c, &d, seq.get());
        }
    });
    let mamba_options: Vec<(String, String)> =
        recurrent_presets().map(|p| (p.id.to_string(), p.name.to_string())).collect();
    let summary = move || {
        data.get().map_or(String::new(), |c| {
            format!(
                "At {} tokens the transformer's KV cache is {} and {} {}; {}",
                format_tokens(seq.get()),
                show(c.kv),
                noun(&c),
                show(c.recurrent_kv),
                match c.cross {
                    Some(n) => format!("the transformer's cache passes it at {} tokens.", format_tokens(n)),
                    None => "this transformer's cache never passes it.".to_string(),
                }
            )
        })
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-ssm" formula
            subtitle="A transformer keeps every token's keys and values; a state-space model folds them into a state of fixed size, and a hybrid keeps both, in different layers.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS count=Signal::stored(SEQ_STEPS.len())
                    value=seq text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
                <Select id=format!("{uid}-model") label="Transformer" options=model_options() value=model />
                <Select id=format!("{uid}-mamba") label="State-space or hybrid model" options=mamba_options value=mamba />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Memory per sequence against length (log scales), bf16: the transformer's KV cache climbs; a state-space model's conv and SSM state is flat; a hybrid starts at its state and climbs slowly with its few attention layers. The dot marks where the transformer passes it."</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || data.get().map(|c| view! {
                    <p class="lw-big">{format!("{}×", fixed(c.kv as f64 / c.recurrent_kv.max(1) as f64, if c.kv < 10 * c.recurrent_kv { 1 } else { 0 }))}" "<span class="lw-big-label">{format!("— the transformer's cache over {} at this length", noun(&c))}</span></p>
                    <p class="lw-detail">{format!("KV cache {} · {} {}{}{}",
                        show(c.kv),
                        if c.recurrent.attention_layer_count() > 0 { "hybrid" } else { "state" },
                        show(c.recurrent_kv),
                        if c.recurrent.attention_layer_count() > 0 {
                            format!(" (of which state {}, flat; {} attention layers grow)", show(c.state), c.recurrent.attention_layer_count())
                        } else {
                            " (flat at any length)".to_string()
                        },
                        c.cross.map(|n| format!(" · equal at {} tokens", format_tokens(n))).unwrap_or_default())}</p>
                    {
                        let beyond: Vec<String> = [(&c.transformer, "the transformer"), (&c.recurrent, "the hybrid")]
                            .into_iter()
                            .filter(|(m, _)| m.max_position_embeddings > 0 && m.max_position_embeddings < seq.get() && m.attention_layer_count() > 0)
                            .map(|(m, who)| format!("{who} ({} tokens)", format_tokens(m.max_position_embeddings)))
                            .collect();
                        (!beyond.is_empty()).then(|| view! {
                            <p class="lw-detail lw-warn">{format!(
                                "Note: past the context trained for {}; the memory is what this length would take, not a length the model handles well.",
                                beyond.join(" and "))}</p>
                        })
                    }
                })}
            </div>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, c: &Comparison, seq: u64) {
    let xs: Vec<f64> = (0..=40).map(|i| 2f64.powf(6.0 + 12.0 * f64::from(i) / 40.0)).collect();
    let curve = |arch: &ModelArch| -> Vec<(f64, f64)> {
        xs.iter()
            .filter_map(|&x| kv_cache(arch, Dtype::Bf16, x as u64, 1).ok().map(|k| (x, k.total_bytes as f64)))
            .collect()
    };
    let kv = curve(&c.transformer);
    let rec = curve(&c.recurrent);
    let y_max = kv.iter().chain(&rec).map(|p| p.1).fold(1.0, f64::max) * 2.0;
    let y_min = kv.iter().chain(&rec).map(|p| p.1).filter(|y| *y > 0.0).fold(f64::MAX, f64::min).min(y_max) / 2.0;
    let Some(plot) = Plot::new(canvas, 260.0, Axis::log(64.0, MAX_SEQ as f64), Axis::log(y_min.max(1.0), y_max)) else {
        return;
    };
    plot.axes(&short_number, &show_f64, "sequence length (tokens)", "memory per sequence");
    plot.line(&kv, plot.pal.series[1], 2.5);
    plot.line(&rec, plot.pal.series[3], 2.5);
    // Labels where no line crosses them: the cache's near its top end; the
    // recurrent model's at the right end, above its line, where the cache is
    // long past it (at the left the cache's line climbs through the state's
    // level, right where a label would sit).
    let near_end = kv.iter().rev().nth(6).copied().unwrap_or((1.0, 1.0));
    plot.label("transformer KV cache", near_end.0, near_end.1 * 1.6, plot.pal.series[1], Anchor::Right);
    let end = rec.last().copied().unwrap_or((MAX_SEQ as f64, 1.0));
    let label =
        if c.recurrent.attention_layer_count() > 0 { "hybrid: state + attention" } else { "state-space state (flat)" };
    plot.label(label, end.0 / 1.1, end.1 * 1.3, plot.pal.series[3], Anchor::Right);
    if let Some(n) = c.cross {
        if (64..=MAX_SEQ).contains(&n) {
            if let Ok(k) = kv_cache(&c.recurrent, Dtype::Bf16, n, 1) {
                plot.dot(n as f64, k.total_bytes as f64, 6.0, plot.pal.text);
            }
        }
    }
    // The current length, from just above the state's label (so the dashed
    // line does not run through it) up to the transformer's cache.
    if let Ok(k) = kv_cache(&c.transformer, Dtype::Bf16, seq, 1) {
        let from = rec.iter().find(|p| p.0 >= seq as f64).map_or(y_min, |p| p.1 * 3.0).max(y_min.max(1.0));
        if (k.total_bytes as f64) > from {
            plot.dashed((seq as f64, from), (seq as f64, k.total_bytes as f64), plot.pal.muted);
        }
    }
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_vs_mamba() {
        let c = compare("llama-3.1-8b", "mamba-2.8b", 8192).unwrap();
        assert_eq!(c.kv, 1_073_741_824);
        // 64 layers × 5,120 channels × (3 conv columns + 16 state) × 2 bytes.
        assert_eq!((c.state, c.recurrent_kv), (12_451_840, 12_451_840));
        assert_eq!(c.cross, Some(96));
    }

    /// Nemotron-H 8B: 51,806,208 bytes of state + 4 layers × 4,096 bytes a
    /// token: 186,023,936 at 8K; Llama passes it at 452 tokens.
    #[test]
    fn llama_vs_hybrid() {
        let c = compare("llama-3.1-8b", "nemotron-h-8b", 8192).unwrap();
        assert_eq!(c.recurrent_kv, 51_806_208 + 8192 * 16_384);
        assert_eq!(c.cross, Some(452));
    }
}

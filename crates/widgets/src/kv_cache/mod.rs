//! 03 · KV cache growth: context, batch, attention design and cache dtype →
//! the cache's bytes, its share of the weights, and a chart of size against
//! context for MHA, GQA, MQA and MLA. All figures come from
//! [`llmem_estimator::kv_cache`].

use crate::chart::{blend, redraw_epoch, Anchor, Axis, Plot};
use crate::controls::{next_uid, Choice, Select, Slider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::{show, show_f64, Bytes};
use leptos::{html, prelude::*};
use llmem_estimator::{
    kv_cache::{formula as kv_formula, kv_cache_with_layout, AttentionVariant},
    precision::{float_weights_bytes, Dtype},
    presets::preset,
    units::{format_tokens, percent},
    ModelArch,
};

/// Context lengths the slider steps through (round numbers on a roughly
/// logarithmic scale; 1K = 1024 tokens).
pub const CONTEXT_STEPS: [u64; 21] = [
    1 << 10,
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
    160 << 10,
    192 << 10,
    256 << 10,
    384 << 10,
    512 << 10,
    768 << 10,
    1 << 20,
];

/// Largest context offered for a model: 128K, or the model's own window if longer.
pub fn context_limit(arch: &ModelArch) -> u64 {
    arch.max_position_embeddings.clamp(128 << 10, 1 << 20)
}

/// The slider position nearest to `context`.
pub fn step_index(context: u64) -> u32 {
    CONTEXT_STEPS.iter().enumerate().min_by_key(|(_, s)| s.abs_diff(context)).map_or(0, |(i, _)| i as u32)
}

/// Everything the view shows for one state.
#[derive(Debug, Clone, PartialEq)]
pub struct KvReadout {
    pub total: u64,
    pub per_token: u64,
    pub weights: u64,
    pub percent_of_weights: f64,
    pub capped_layers: u64,
    pub layout_label: String,
    pub beyond_trained: bool,
}

/// The widget's computation, separate from the view so tests can call it.
pub fn readout(
    arch: &ModelArch,
    variant: Option<AttentionVariant>,
    dtype: Dtype,
    context: u64,
    batch: u64,
) -> Option<KvReadout> {
    let layout = variant.map_or_else(|| arch.kv_layout(), |v| v.layout_for(arch));
    let kv = kv_cache_with_layout(arch, layout, dtype, context, batch).ok()?;
    let weights = float_weights_bytes(arch, Dtype::Bf16).ok()?;
    let layout_label = match layout {
        llmem_estimator::KvLayout::Heads { kv_heads, k_head_dim, .. } => {
            format!("{kv_heads} KV head{} × {k_head_dim}", if kv_heads == 1 { "" } else { "s" })
        }
        llmem_estimator::KvLayout::Latent { latent_dim, rope_dim } => {
            format!("latent {latent_dim} + RoPE key {rope_dim}")
        }
    };
    Some(KvReadout {
        total: kv.total_bytes,
        per_token: kv.bytes_per_token,
        weights,
        percent_of_weights: if weights == 0 { 0.0 } else { kv.total_bytes as f64 * 100.0 / weights as f64 },
        capped_layers: kv.capped_layers,
        layout_label,
        beyond_trained: context > arch.max_position_embeddings,
    })
}

fn variant_of(choice: &str) -> Option<AttentionVariant> {
    AttentionVariant::parse(choice)
}

/// The KV cache growth widget.
#[component]
pub fn KvCache(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let context = RwSignal::new(params.u64("context"));
    let batch = RwSignal::new(params.u64("batch") as u32);
    let attention = RwSignal::new(params.get("attention").to_string());
    let dtype = RwSignal::new(params.get("dtype").to_string());
    let scale = RwSignal::new(params.get("scale").to_string());

    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    let dtype_v = Memo::new(move |_| Dtype::parse(&dtype.get()).unwrap_or(Dtype::Bf16));
    let limit = Memo::new(move |_| arch.get().map_or(128 << 10, |a| context_limit(&a)));
    let max_step =
        Signal::derive(move || CONTEXT_STEPS.iter().filter(|s| **s <= limit.get()).count().saturating_sub(1) as u32);
    // Slider position ↔ context: the slider moves in round steps, but an
    // author's exact value (e.g. 10000) is kept until the reader moves it.
    let step = RwSignal::new(step_index(context.get_untracked()));
    let on_step = Callback::new(move |s: u32| {
        if let Some(c) = CONTEXT_STEPS.get(s as usize) {
            context.set(*c);
        }
    });
    crate::erased::effect(move || {
        if context.get() > limit.get() {
            context.set(limit.get());
            step.set(step_index(limit.get()));
        }
    });

    let result = Memo::new(move |_| {
        let a = arch.get()?;
        readout(&a, variant_of(&attention.get()), dtype_v.get(), context.get(), u64::from(batch.get()))
    });

    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let a = arch.get()?;
        let layout = variant_of(&attention.get()).map_or_else(|| a.kv_layout(), |v| v.layout_for(&a));
        let cache = kv_cache_with_layout(&a, layout, dtype_v.get(), context.get(), u64::from(batch.get())).ok()?;
        Some(kv_formula(&a, layout, &cache))
    });

    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("context", context.get().to_string()),
            ("batch", batch.get().to_string()),
            ("attention", attention.get()),
            ("dtype", dtype.get()),
            ("scale", scale.get()),
        ]
    });

    let model_options = crate::controls::model_options();
    let dtype_options: Vec<(String, String)> =
        [Dtype::Bf16, Dtype::Fp16, Dtype::Fp8, Dtype::Int8, Dtype::Int4, Dtype::Fp32]
            .iter()
            .map(|d| (d.id().to_string(), d.label().to_string()))
            .collect();

    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    let curves =
        Memo::new(move |_| arch.get().map(|a| chart_data(&a, dtype_v.get(), u64::from(batch.get()), limit.get())));
    crate::erased::effect(move || {
        let _ = epoch.get();
        let Some(c) = canvas.get() else { return };
        let Some(own) = arch.with(|a| a.as_ref().map(AttentionVariant::of)) else { return };
        let current = variant_of(&attention.get()).unwrap_or(own);
        // The dot is the readout's own total, so chart and text always agree.
        curves.with(|d| {
            if let Some(d) = d {
                draw(&c, d, current, context.get(), result.get().map(|r| r.total), scale.get() == "log");
            }
        });
    });

    let summary = move || match result.get() {
        Some(r) => format!(
            "{} of KV cache at {} tokens × batch {} — {} of the model's {} of bf16 weights.",
            show(r.total),
            format_tokens(context.get()),
            batch.get(),
            percent(r.percent_of_weights),
            show(r.weights)
        ),
        None => "These settings are out of range.".to_string(),
    };
    let table = NodeRef::<html::Table>::new();
    crate::erased::effect(move || {
        let _ = crate::units::units().get();
        if let (Some(t), Some(a)) = (table.get(), arch.get()) {
            let head: Vec<String> = std::iter::once("Context".to_string())
                .chain(AttentionVariant::ALL.iter().map(|v| v.label().to_string()))
                .collect();
            crate::chart::fill_table(&t, &head, &table_rows(&a, dtype_v.get(), u64::from(batch.get()), limit.get()));
        }
    });

    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-kv" formula
            subtitle="Every token keeps a key and a value per KV head in every layer. Grow the context and batch, or change how heads share them.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options value=model />
                <Slider id=format!("{uid}-context") label="Context length" min=0 max=max_step value=step on_input=on_step
                    text=Callback::new(move |_: u32| format!("{} tokens", format_tokens(context.get()))) />
                <Slider id=format!("{uid}-batch") label="Batch size" min=1 max=Signal::stored(32u32) value=batch
                    text=Callback::new(move |b: u32| format!("{b} sequence{}", if b == 1 { "" } else { "s" })) />
                <Select id=format!("{uid}-dtype") label="Cache dtype" options=dtype_options value=dtype />
                <Choice name=format!("{uid}-attn") legend="Attention design"
                    options=vec![
                        ("own".into(), "As built".into()),
                        ("mha".into(), "MHA".into()),
                        ("gqa".into(), "GQA".into()),
                        ("mqa".into(), "MQA".into()),
                        ("mla".into(), "MLA".into()),
                    ]
                    value=attention />
                <Choice name=format!("{uid}-scale") legend="Vertical scale"
                    options=vec![("linear".into(), "Linear".into()), ("log".into(), "Log".into())]
                    value=scale />
            </div>
            <div class="lw-result" aria-live="polite" aria-atomic="true">
                <p class="lw-big">
                    <Bytes bytes=Signal::derive(move || result.get().map_or(0, |r| r.total)) />
                    " "<span class="lw-big-label">"KV cache"</span>
                </p>
                <p class="lw-detail">{move || result.get().map(|r| format!(
                    "{} of the weights ({} in bf16) · {} per token · {}",
                    percent(r.percent_of_weights), show(r.weights), show(r.per_token), r.layout_label))}</p>
                <p class="lw-detail lw-warn">{move || result.get().and_then(|r| (r.capped_layers > 0).then(|| format!(
                    "{} layers use a sliding window and stop growing at its size.", r.capped_layers)))}</p>
                <p class="lw-detail lw-warn">{move || result.get().and_then(|r| r.beyond_trained.then(||
                    "This is past the longest context the model was trained for.".to_string()))}</p>
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img"
                    aria-label=summary></canvas>
                <figcaption class="lw-caption">
                    "KV cache size against context for four attention designs, at the current batch and dtype; the dashed line is the model's bf16 weights and the dot is the current setting."
                </figcaption>
                <details class="lw-data">
                    <summary>"Chart data"</summary>
                    <table class="lw-table" node_ref=table></table>
                </details>
            </figure>
        </WidgetFrame>
    }
}

/// The chart's data as text: KV cache at a few contexts for each design.
fn table_rows(arch: &ModelArch, dtype: Dtype, batch: u64, limit: u64) -> Vec<Vec<String>> {
    let contexts: std::collections::BTreeSet<u64> =
        [4u64 << 10, 8 << 10, 32 << 10, 128 << 10, limit].into_iter().filter(|c| *c <= limit).collect();
    contexts
        .into_iter()
        .map(|c| {
            let mut row = vec![format_tokens(c)];
            for v in AttentionVariant::ALL {
                let b = kv_cache_with_layout(arch, v.layout_for(arch), dtype, c, batch).map_or(0, |k| k.total_bytes);
                row.push(show(b));
            }
            row
        })
        .collect()
}

/// The chart's curves: cache size against context for every attention
/// design, and the weights line. They depend on the model, dtype, batch and
/// context limit but not on the context itself, so a context drag reuses
/// them (a [`Memo`]) and only moves the dot.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// x in K-tokens (1K = 1024, so the axis ticks land on round numbers), y in bytes.
    series: Vec<(AttentionVariant, Vec<(f64, f64)>)>,
    weights: f64,
    limit: u64,
}

/// 49 points per design, evenly spaced from 1K to the context limit.
pub fn chart_data(arch: &ModelArch, dtype: Dtype, batch: u64, limit: u64) -> ChartData {
    let xs: Vec<u64> = (0..=48).map(|i| 1024 + limit.saturating_sub(1024) * i / 48).collect();
    let series = AttentionVariant::ALL
        .iter()
        .map(|v| {
            let layout = v.layout_for(arch);
            let pts = xs
                .iter()
                .filter_map(|&x| {
                    kv_cache_with_layout(arch, layout, dtype, x, batch)
                        .ok()
                        .map(|k| (x as f64 / 1024.0, k.total_bytes as f64))
                })
                .collect();
            (*v, pts)
        })
        .collect();
    let weights = float_weights_bytes(arch, Dtype::Bf16).map_or(0.0, |w| w as f64);
    ChartData { series, weights, limit }
}

/// Draws `data` with `current` highlighted and a dot at (`context`, `dot_bytes`).
fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    data: &ChartData,
    current: AttentionVariant,
    context: u64,
    dot_bytes: Option<u64>,
    log: bool,
) {
    let limit_k = data.limit as f64 / 1024.0;
    let weights = data.weights;
    let y_max = data.series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(weights, f64::max).max(1.0) * 1.08;
    // On a log scale the designs' curves, decades apart (MHA against MLA),
    // are all readable; the axis starts half the smallest value down.
    let y = if log {
        let y_min =
            data.series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).filter(|v| *v > 0.0).fold(y_max, f64::min);
        Axis::log((y_min / 2.0).max(1.0), y_max * 1.5)
    } else {
        Axis::linear(0.0, y_max)
    };
    let Some(plot) = Plot::new(canvas, 260.0, Axis::linear(1.0, limit_k), y) else { return };
    plot.axes(&|x| format!("{}K", x.round() as u64), &show_f64, "context (tokens)", "KV cache");
    plot.dashed((1.0, weights), (limit_k, weights), plot.pal.muted);
    plot.label("weights (bf16)", 1.0 + limit_k * 0.02, weights, plot.pal.muted, Anchor::Left);
    let mut ends = Vec::new();
    for (i, (v, pts)) in data.series.iter().enumerate() {
        let base = plot.pal.series[i];
        let (color, width) = if *v == current { (base, 3.0) } else { (blend(base, plot.pal.bg, 0.8), 2.0) };
        plot.line(pts, color, width);
        if let Some(last) = pts.last() {
            ends.push((v.label(), last.0, last.1, base));
        }
    }
    plot.labels_spaced(&ends, Anchor::Right);
    if let Some(bytes) = dot_bytes {
        plot.dot(context as f64 / 1024.0, bytes as f64, 5.0, plot.pal.text);
    }
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readout_llama() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let r = readout(&a, None, Dtype::Bf16, 8192, 1).unwrap();
        assert_eq!(r.total, 1_073_741_824);
        assert_eq!(r.per_token, 131_072);
        assert_eq!(r.layout_label, "8 KV heads × 128");
        let mha = readout(&a, Some(AttentionVariant::Mha), Dtype::Bf16, 8192, 1).unwrap();
        assert_eq!(mha.total, 4 * r.total);
    }

    #[test]
    fn steps() {
        assert_eq!(step_index(8192), 5);
        assert_eq!(step_index(10_000), 5);
        assert_eq!(CONTEXT_STEPS[step_index(131_072) as usize], 131_072);
        let a = preset("llama-2-7b").unwrap().arch().unwrap();
        assert_eq!(context_limit(&a), 128 << 10);
    }
}

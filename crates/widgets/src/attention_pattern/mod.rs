//! 04 · Which query sees which key: the mask of every kind of attention
//! layer a model has (full, sliding window, chunked), drawn to scale for the
//! chosen length, with the score pairs and FlashAttention tiles each one
//! computes and the keys and values it keeps
//! ([`llmem_estimator::attention::span_cost`]).

use crate::chart::{blend, redraw_epoch, Anchor, Axis, Plot};
use crate::controls::{model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use leptos::{html, prelude::*};
use llmem_estimator::{
    attention::{span_cost, SpanCost},
    presets::preset,
    units::{fixed, format_tokens, group_thousands as format_count},
    AttentionSpan, ModelArch,
};

pub const SEQ_STEPS: [u64; 9] = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 131_072, 1_048_576];
/// FlashAttention-2's usual block: 128 queries × 128 keys.
pub const TILE: u64 = 128;

/// One kind of attention layer in a model, with how many layers have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanKind {
    pub span: AttentionSpan,
    pub layers: u64,
    pub cost: SpanCost,
}

/// The model's attention layers grouped by span, full first.
pub fn kinds(arch: &ModelArch, n: u64) -> Vec<SpanKind> {
    let mut out: Vec<SpanKind> = Vec::new();
    for span in arch.layers.iter().filter_map(|l| l.attention) {
        if let Some(k) = out.iter_mut().find(|k| k.span == span) {
            k.layers += 1;
        } else if let Ok(cost) = span_cost(span, n, TILE) {
            out.push(SpanKind { span, layers: 1, cost });
        }
    }
    out.sort_by_key(|k| k.span.bound().unwrap_or(0));
    out
}

/// "sliding window of 1,024" / "chunks of 8,192" / "full".
pub fn span_name(span: AttentionSpan) -> String {
    match span {
        AttentionSpan::Full => "full attention".into(),
        AttentionSpan::Sliding(w) => format!("sliding window of {}", format_count(w)),
        AttentionSpan::Chunked(c) => format!("chunks of {}", format_count(c)),
    }
}

fn percent(part: u64, whole: u64) -> String {
    let p = part as f64 * 100.0 / whole.max(1) as f64;
    format!("{}%", fixed(p, if p < 10.0 { 1 } else { 0 }))
}

/// The line under one panel.
pub fn describe(k: &SpanKind) -> String {
    format!(
        "{} layer{} · {} of the causal pairs · {} of {} tiles · keeps {} tokens",
        k.layers,
        if k.layers == 1 { "" } else { "s" },
        percent(k.cost.pairs, k.cost.causal_pairs),
        format_count(k.cost.tiles),
        format_count(k.cost.causal_tiles),
        format_count(k.cost.kept_tokens)
    )
}

/// The whole model against one with every attention layer full.
pub fn verdict(name: &str, all: &[SpanKind], n: u64) -> String {
    let layers: u64 = all.iter().map(|k| k.layers).sum();
    if layers == 0 {
        return format!("{name} has no attention layers: nothing here grows with the square of the length.");
    }
    let pairs: u64 = all.iter().map(|k| k.layers.saturating_mul(k.cost.pairs)).sum();
    let full = all.first().map_or(0, |k| k.cost.causal_pairs).saturating_mul(layers);
    let kept: u64 = all.iter().map(|k| k.layers.saturating_mul(k.cost.kept_tokens)).sum();
    if all.iter().all(|k| k.span == AttentionSpan::Full) {
        return format!(
            "At {} tokens every one of {name}'s {layers} attention layers scores all {} causal pairs per head and keeps every token.",
            format_tokens(n),
            format_count(all[0].cost.causal_pairs)
        );
    }
    format!(
        "At {} tokens {name} scores {} of the pairs and keeps {} of the keys and values that {layers} full-attention layers would.",
        format_tokens(n),
        percent(pairs, full),
        percent(kept, n.saturating_mul(layers))
    )
}

/// The attention-pattern widget.
#[component]
pub fn AttentionPattern(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let seq = RwSignal::new(params.u64("seq"));
    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    let all = Memo::new(move |_| arch.get().map(|a| kinds(&a, seq.get())).unwrap_or_default());
    let name = Memo::new(move |_| preset(&model.get()).map(|p| p.name.to_string()).unwrap_or_default());
    let state = Signal::derive(move || vec![("model", model.get()), ("seq", seq.get().to_string())]);
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let Some(c) = canvas.get() {
            draw(&c, &all.get(), seq.get());
        }
    });
    let summary = move || verdict(&name.get(), &all.get(), seq.get());
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let kinds: Vec<_> = all.get().iter().map(|k| (k.span, k.layers, k.cost.pairs)).collect();
        (!kinds.is_empty()).then(|| llmem_estimator::attention::pattern_formula(&kinds, seq.get()))
    });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-pattern" formula
            subtitle="Each square is one layer's score matrix: a row per query, a column per key, the shaded part the pairs it computes. Full attention fills the triangle; windows and chunks keep a band.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq
                    text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Drawn to scale for this length, one panel per kind of layer. The pale triangle is what full causal attention would compute; tiles are FlashAttention's 128 × 128 blocks, which a kernel skips when the mask leaves them empty."</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                <p class="lw-detail">{summary}</p>
                <ul class="lw-pattern-list">
                    {move || all.get().into_iter().map(|k| view! {
                        <li><strong>{span_name(k.span)}</strong>": "{describe(&k)}</li>
                    }).collect_view()}
                </ul>
            </div>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, all: &[SpanKind], n: u64) {
    let panels = all.len().max(1) as f64;
    let gap = 0.25;
    let needed = panels + gap * (panels - 1.0);
    // Square panels: as many x units as the plot's width holds at the y
    // scale (the plot area is the canvas less 78 px across and 46 down).
    let height = 240.0;
    let across = (crate::chart::css_width(canvas) - 78.0).max(1.0) * 1.16 / (height - 46.0);
    let width = across.max(needed);
    let shift = (width - needed) / 2.0;
    let Some(plot) = Plot::new(canvas, height, Axis::linear(0.0, width), Axis::linear(-0.16, 1.0)) else { return };
    let nf = n.max(1) as f64;
    for (i, k) in all.iter().enumerate() {
        let x0 = shift + i as f64 * (1.0 + gap);
        // Coordinates: key j → x0 + j/n, query i → 1 − i/n (query 0 at the top).
        let pale = blend(plot.pal.series[0], plot.pal.bg, 0.18);
        plot.fill_polygon(&[(x0, 1.0), (x0, 0.0), (x0 + 1.0, 0.0)], pale);
        let color = plot.pal.series[0];
        match k.span {
            AttentionSpan::Full => plot.fill_polygon(&[(x0, 1.0), (x0, 0.0), (x0 + 1.0, 0.0)], color),
            AttentionSpan::Sliding(w) => {
                let w = (w as f64 / nf).min(1.0);
                plot.fill_polygon(&[(x0, 1.0), (x0, 1.0 - w), (x0 + 1.0 - w, 0.0), (x0 + 1.0, 0.0)], color);
            }
            AttentionSpan::Chunked(c) => {
                let c = (c as f64 / nf).min(1.0);
                let mut start = 0.0;
                // At most a few hundred chunks at the longest length.
                while start < 1.0 {
                    let end = (start + c).min(1.0);
                    plot.fill_polygon(
                        &[(x0 + start, 1.0 - start), (x0 + start, 1.0 - end), (x0 + end, 1.0 - end)],
                        color,
                    );
                    start = end;
                }
            }
        }
        plot.label(&span_name(k.span), x0 + 0.5, -0.1, plot.pal.text, Anchor::Center);
    }
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemma3_at_32k() {
        let arch = preset("gemma-3-27b").unwrap().arch().unwrap();
        let k = kinds(&arch, 32_768);
        assert_eq!(k.len(), 2);
        assert_eq!((k[0].span, k[0].layers), (AttentionSpan::Full, 10));
        assert_eq!((k[1].span, k[1].layers), (AttentionSpan::Sliding(1024), 52));
        assert_eq!(
            describe(&k[1]),
            "52 layers · 6.2% of the causal pairs · 2,268 of 32,896 tiles · keeps 1,024 tokens"
        );
        let v = verdict("Gemma 3 27B", &k, 32_768);
        assert!(v.starts_with("At 32K tokens Gemma 3 27B scores 21% of the pairs and keeps 19% of"), "{v}");
        let l = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert!(verdict("Llama 3.1 8B", &kinds(&l, 8192), 8192).contains("all 33,558,528 causal pairs"));
        let m = preset("mamba-2.8b");
        assert!(m.is_err() || verdict("Mamba", &[], 8192).contains("no attention layers"));
    }
}

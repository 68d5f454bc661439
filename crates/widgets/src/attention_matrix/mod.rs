//! 04 · Attention: n² versus FlashAttention. A toy sequence drawn as its
//! n × n score grid beside O(n²) and O(n) bars, and the real memory of one
//! layer's scores at real lengths for a real model's head count
//! ([`llmem_estimator::attention::attention_memory`]).

use crate::bars::Bar;
use crate::chart::{backend, palette, redraw_epoch};
use crate::controls::{model_options, next_uid, Select, Slider, StepSlider};
use crate::frame::{SubHeading, WidgetFrame};
use crate::params::Params;
use crate::units::show;
use leptos::{html, prelude::*};
use llmem_estimator::{
    attention::attention_memory, hardware::device, precision::Dtype, presets::preset, units::format_tokens,
};
use plotters::prelude::*;

/// Real sequence lengths offered.
pub const CONTEXT_STEPS: [u64; 11] =
    [1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];

/// The attention n² versus FlashAttention widget.
#[component]
pub fn AttentionMatrix(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let n = RwSignal::new(params.u64("seq") as u32);
    let model = RwSignal::new(params.get("model").to_string());
    let context = RwSignal::new(params.u64("context"));
    let heads = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).map_or(32, |a| a.num_heads()));
    let real = Memo::new(move |_| attention_memory(1, heads.get(), context.get(), Dtype::Bf16).ok());
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        (heads.get() > 0)
            .then(|| llmem_estimator::attention::scores_formula(1, heads.get(), context.get(), Dtype::Bf16))
    });
    let state = Signal::derive(move || {
        vec![("seq", n.get().to_string()), ("model", model.get()), ("context", context.get().to_string())]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let Some(c) = canvas.get() {
            draw_grid(&c, n.get());
        }
    });
    let h100 = device("h100-sxm").ok();
    let squares = move || u64::from(n.get()) * u64::from(n.get());
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-attn" formula
            subtitle="Every token scores every earlier token. Grow the toy sequence and watch the grid square while FlashAttention's memory only lengthens.".into()>
            <Slider id=format!("{uid}-seq") label="Toy sequence length" min=4 max=Signal::stored(40u32) value=n
                text=Callback::new(|v: u32| format!("{v} tokens")) />
            <div class="lw-attn-body">
                <figure class="lw-figure lw-grid-fig">
                    <canvas node_ref=canvas class="lw-canvas lw-square" role="img"
                        aria-label=move || format!("A {0} by {0} grid of attention scores: {1} cells, of which {2} are computed under a causal mask.",
                            n.get(), squares(), u64::from(n.get()) * (u64::from(n.get()) + 1) / 2)></canvas>
                    <figcaption class="lw-caption">"Filled: scores a causal model computes (row = query, column = key). Faded: masked future positions."</figcaption>
                </figure>
                <div>
                    <ul class="lw-bars">
                        <Bar label="Standard O(n²)".into() value=Signal::derive(move || format!("{} scores", squares()))
                            fraction=Signal::derive(move || squares() as f64 / 1600.0) current=Signal::stored(false) class="lw-c-opt" />
                        <Bar label="FlashAttention O(n)".into() value=Signal::derive(move || format!("{} statistics", n.get()))
                            fraction=Signal::derive(move || f64::from(n.get()) / 1600.0) current=Signal::stored(false) class="lw-c-kv" />
                    </ul>
                    <p class="lw-detail">{move || format!(
                        "At {} tokens the full score matrix has {} cells per head. FlashAttention streams it through on-chip memory in tiles and keeps one running statistic per row: {}.",
                        n.get(), squares(), n.get())}</p>
                </div>
            </div>
            <SubHeading mode=params.mode text="The same at real lengths, one layer" />
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model (sets the head count)" options=model_options() value=model />
                <StepSlider id=format!("{uid}-context") label="Real sequence length" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            <div class="lw-result" aria-live="polite">
                {move || (heads.get() == 0).then(|| view! {
                    <p class="lw-detail">"This model has no attention layers: a state-space model keeps no score matrix and no KV cache, only a fixed state per sequence. Pick a transformer or a hybrid to see the scores."</p>
                })}
                {move || real.get().filter(|_| heads.get() > 0).map(|m| view! {
                    <p class="lw-big">{show(m.naive_scores_bytes)}" "<span class="lw-big-label">"of scores in one layer, against "{show(m.flash_bytes)}" for FlashAttention"</span></p>
                    <p class="lw-detail">{format!(
                        "{} heads × {} × {} scores in bf16, batch 1; a naive implementation also keeps the softmax output, {} in all. FlashAttention keeps one fp32 log-sum-exp per row and head: {}× less.",
                        heads.get(), format_tokens(context.get()), format_tokens(context.get()),
                        show(m.naive_scores_and_probs_bytes), llmem_estimator::units::format_count(m.naive_scores_bytes as f64 / m.flash_bytes.max(1) as f64))}</p>
                    <p class="lw-detail lw-warn">{h100.and_then(|d| (m.naive_scores_bytes > d.capacity_bytes).then(|| format!(
                        "One layer's scores alone exceed an {}'s {} of memory.", d.name, d.marketed)))}</p>
                })}
            </div>
        </WidgetFrame>
    }
}

fn draw_grid(canvas: &web_sys::HtmlCanvasElement, n: u32) {
    let side = crate::chart::css_width(canvas).clamp(120.0, 360.0);
    let Some((backend, _)) = backend(canvas, side) else { return };
    let pal = palette(canvas);
    let root = backend.into_drawing_area();
    let _ = root.fill(&pal.bg);
    let (w, h) = root.dim_in_pixel();
    let size = w.min(h) as f64;
    let cell = size / f64::from(n.max(1));
    let gap = (cell * 0.12).max(1.0);
    for row in 0..n {
        for col in 0..n {
            let x0 = f64::from(col) * cell;
            let y0 = f64::from(row) * cell;
            let style = if col <= row { pal.series[2].filled() } else { pal.grid.mix(0.6).filled() };
            let _ = root.draw(&Rectangle::new(
                [((x0 + gap) as i32, (y0 + gap) as i32), ((x0 + cell - gap) as i32, (y0 + cell - gap) as i32)],
                style,
            ));
        }
    }
    let _ = root.present();
}

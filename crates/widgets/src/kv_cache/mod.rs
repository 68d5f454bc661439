//! 03 · KV cache growth: context, batch, attention design and cache dtype →
//! the cache's bytes, its share of the weights, and a chart of size against
//! context for MHA, GQA, MQA and MLA. All figures come from
//! [`llmem_estimator::kv_cache`].

use crate::chart::{backend, palette, redraw_epoch};
use crate::controls::{next_uid, Choice, Select, Slider};
use crate::frame::WidgetFrame;
use crate::params::{write_url, Params};
use crate::units::{show, Bytes};
use leptos::{html, prelude::*};
use llmem_estimator::{
    kv_cache::{kv_cache_with_layout, AttentionVariant},
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::{preset, PRESETS},
    units::format_tokens,
    ModelArch,
};
use plotters::prelude::*;

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
    let weights = weights_footprint(arch, WeightFormat::Float(Dtype::Bf16)).ok()?.total_bytes;
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

    let arch = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).ok());
    let dtype_v = Memo::new(move |_| Dtype::parse(&dtype.get()).unwrap_or(Dtype::Bf16));
    let limit = Memo::new(move |_| arch.get().map_or(128 << 10, |a| context_limit(&a)));
    let max_step =
        Signal::derive(move || CONTEXT_STEPS.iter().filter(|s| **s <= limit.get()).count().saturating_sub(1) as u32);
    // Slider position ↔ context: the slider moves in round steps, but an
    // author's exact value (e.g. 10000) is kept until the reader moves it.
    let step = RwSignal::new(step_index(context.get_untracked()));
    Effect::new(move |prev: Option<u32>| {
        let s = step.get();
        if prev.is_some_and(|p| p != s) {
            context.set(CONTEXT_STEPS[s as usize]);
        }
        s
    });
    Effect::new(move |_| {
        if context.get() > limit.get() {
            context.set(limit.get());
            step.set(step_index(limit.get()));
        }
    });

    let result = Memo::new(move |_| {
        let a = arch.get()?;
        readout(&a, variant_of(&attention.get()), dtype_v.get(), context.get(), u64::from(batch.get()))
    });

    let spec = params.spec;
    let mode = params.mode;
    Effect::new(move |_| {
        write_url(
            spec,
            mode,
            &[
                ("model", model.get()),
                ("context", context.get().to_string()),
                ("batch", batch.get().to_string()),
                ("attention", attention.get()),
                ("dtype", dtype.get()),
            ],
        );
    });

    let model_options: Vec<(String, String)> = PRESETS.iter().map(|p| (p.id.to_string(), p.name.to_string())).collect();
    let dtype_options: Vec<(String, String)> =
        [Dtype::Bf16, Dtype::Fp16, Dtype::Fp8, Dtype::Int8, Dtype::Int4, Dtype::Fp32]
            .iter()
            .map(|d| (d.id().to_string(), d.label().to_string()))
            .collect();

    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    Effect::new(move |_| {
        let _ = epoch.get();
        let (Some(c), Some(a)) = (canvas.get(), arch.get()) else { return };
        draw(&c, &a, variant_of(&attention.get()), dtype_v.get(), context.get(), u64::from(batch.get()), limit.get());
    });

    let summary = move || match result.get() {
        Some(r) => format!(
            "{} of KV cache at {} tokens × batch {} — {:.0}% of the model's {} of bf16 weights.",
            show(r.total),
            format_tokens(context.get()),
            batch.get(),
            r.percent_of_weights,
            show(r.weights)
        ),
        None => "These settings are out of range.".to_string(),
    };
    let table = move || data_table(arch.get(), dtype_v.get(), u64::from(batch.get()), limit.get());

    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() class="lw-kv"
            subtitle="Every token keeps a key and a value per KV head in every layer. Grow the context and batch, or change how heads share them.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options value=model />
                <Slider id=format!("{uid}-context") label="Context length" min=0 max=max_step value=step
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
            </div>
            <div class="lw-result" aria-live="polite" aria-atomic="true">
                <p class="lw-big">
                    <Bytes bytes=Signal::derive(move || result.get().map_or(0, |r| r.total)) />
                    <span class="lw-big-label">" KV cache"</span>
                </p>
                <p class="lw-detail">{move || result.get().map(|r| format!(
                    "{:.0}% of the weights ({} in bf16) · {} per token · {}",
                    r.percent_of_weights, show(r.weights), show(r.per_token), r.layout_label))}</p>
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
                    {table}
                </details>
            </figure>
        </WidgetFrame>
    }
}

fn data_table(arch: Option<ModelArch>, dtype: Dtype, batch: u64, limit: u64) -> impl IntoView {
    let Some(a) = arch else { return view! { <p>"No data."</p> }.into_any() };
    let contexts: Vec<u64> = [4u64 << 10, 8 << 10, 32 << 10, 128 << 10, limit]
        .into_iter()
        .filter(|c| *c <= limit)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    view! {
        <table class="lw-table">
            <thead><tr><th scope="col">"Context"</th>
                {AttentionVariant::ALL.iter().map(|v| view! { <th scope="col">{v.label()}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {contexts.into_iter().map(|c| {
                    let a = a.clone();
                    view! { <tr><th scope="row">{format_tokens(c)}</th>
                        {AttentionVariant::ALL.iter().map(move |v| {
                            let b = kv_cache_with_layout(&a, v.layout_for(&a), dtype, c, batch).map(|k| k.total_bytes).unwrap_or(0);
                            view! { <td>{show(b)}</td> }
                        }).collect_view()}
                    </tr> }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    arch: &ModelArch,
    chosen: Option<AttentionVariant>,
    dtype: Dtype,
    context: u64,
    batch: u64,
    limit: u64,
) {
    let Some((backend, dpr)) = backend(canvas, 260.0) else { return };
    let pal = palette(canvas);
    let root = backend.into_drawing_area();
    let _ = root.fill(&pal.bg);
    let own = AttentionVariant::of(arch);
    let current = chosen.unwrap_or(own);
    // x is plotted in K-tokens (1K = 1024) so the axis ticks land on round numbers.
    let xs: Vec<u64> = (0..=48).map(|i| 1024 + (limit - 1024) * i / 48).collect();
    let series: Vec<(AttentionVariant, Vec<(f64, f64)>)> = AttentionVariant::ALL
        .iter()
        .map(|v| {
            let layout = v.layout_for(arch);
            let pts = xs
                .iter()
                .filter_map(|&x| {
                    kv_cache_with_layout(arch, layout, dtype, x, batch)
                        .ok()
                        .map(|k| (x as f64 / 1024.0, k.total_bytes as f64 / 1e9))
                })
                .collect();
            (*v, pts)
        })
        .collect();
    let weights_gb =
        weights_footprint(arch, WeightFormat::Float(Dtype::Bf16)).map(|w| w.total_bytes as f64 / 1e9).unwrap_or(0.0);
    let y_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(weights_gb, f64::max).max(1e-6) * 1.08;
    let font = (12.0 * dpr) as u32;
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin((10.0 * dpr) as u32)
        .x_label_area_size((34.0 * dpr) as u32)
        .y_label_area_size((58.0 * dpr) as u32)
        .build_cartesian_2d(1f64..limit as f64 / 1024.0, 0f64..y_max)
    else {
        return;
    };
    let _ = chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal.grid)
        .axis_style(pal.muted)
        .label_style(("sans-serif", font).into_font().color(&pal.muted))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{}K", x.round() as u64))
        .y_label_formatter(&|y| crate::units::show_f64(*y * 1e9))
        .x_desc("context (tokens)")
        .draw();
    let _ = chart.draw_series(DashedLineSeries::new(
        [(1.0, weights_gb), (limit as f64 / 1024.0, weights_gb)],
        (6.0 * dpr) as u32,
        (4.0 * dpr) as u32,
        pal.muted.stroke_width((1.5 * dpr) as u32),
    ));
    let _ = chart.draw_series(std::iter::once(Text::new(
        "weights (bf16)".to_string(),
        (limit as f64 / 1024.0 * 0.02 + 1.0, weights_gb),
        ("sans-serif", font).into_font().color(&pal.muted).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Bottom,
        )),
    )));
    for (i, (v, pts)) in series.iter().enumerate() {
        let color = pal.series[i];
        let width = if *v == current { 3.0 } else { 1.5 };
        let style = if *v == current {
            color.stroke_width((width * dpr) as u32)
        } else {
            color.mix(0.55).stroke_width((width * dpr) as u32)
        };
        let _ = chart.draw_series(LineSeries::new(pts.iter().copied(), style));
        if let Some(last) = pts.last() {
            let _ = chart.draw_series(std::iter::once(Text::new(
                v.label().to_string(),
                (last.0, last.1),
                ("sans-serif", font).into_font().color(&color).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Right,
                    plotters::style::text_anchor::VPos::Bottom,
                )),
            )));
        }
    }
    if let Ok(k) = kv_cache_with_layout(arch, current.layout_for(arch), dtype, context, batch) {
        let y = k.total_bytes as f64 / 1e9;
        let _ = chart.draw_series(std::iter::once(Circle::new(
            (context as f64 / 1024.0, y),
            (5.0 * dpr) as u32,
            pal.text.filled(),
        )));
    }
    let _ = root.present();
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

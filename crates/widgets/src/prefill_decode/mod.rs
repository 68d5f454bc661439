//! 05 · Prefill versus decode on a roofline: where each phase of one
//! request shape lands on a real device's roof, which is compute-bound and
//! which memory-bound, and the decode ceiling
//! ([`llmem_estimator::throughput::phases`]).

use crate::chart::{redraw_epoch, short_number, Anchor, Axis, Plot};
use crate::controls::{device_options, model_options, next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::{html, prelude::*};
use llmem_estimator::{
    hardware::{device, Device},
    precision::{Dtype, WeightFormat},
    presets::preset,
    throughput::{phases, PhaseAnalysis},
    units::{fixed, format_count, format_seconds, format_tokens},
};

pub const BATCH_STEPS: [u64; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
pub const CONTEXT_STEPS: [u64; 11] = [128, 256, 512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536, 131_072];

/// The prefill-versus-decode widget.
#[component]
pub fn PrefillDecode(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let dev = RwSignal::new(params.get("device").to_string());
    let batch = RwSignal::new(params.u64("batch"));
    let context = RwSignal::new(params.u64("context"));
    let d = Memo::new(move |_| device(&dev.get()).ok().copied());
    let analysis = Memo::new(move |_| {
        let a = preset(&model.get()).and_then(|p| p.arch()).ok()?;
        phases(&a, WeightFormat::Float(Dtype::Bf16), Dtype::Bf16, context.get(), batch.get(), &d.get()?).ok()
    });
    // A setting that does not fit has no speed, so no formula either.
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let an = analysis.get().filter(|an| an.fits)?;
        let a = preset(&model.get()).and_then(|p| p.arch()).ok()?;
        llmem_estimator::throughput::decode_formula(&a, context.get(), batch.get(), &d.get()?, &an).ok()
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("device", dev.get()),
            ("batch", batch.get().to_string()),
            ("context", context.get().to_string()),
        ]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Some(d)) = (canvas.get(), d.get()) {
            draw(&c, analysis.get().as_ref(), &d);
        }
    });
    let bound = |cb: bool| if cb { "compute-bound" } else { "memory-bound" };
    let summary = move || match (analysis.get(), d.get()) {
        (Some(a), Some(d)) if !a.fits => format!(
            "This setting does not fit the {}: it needs {} for the weights and the KV cache, and the device offers {}.",
            d.name,
            show(a.needed_bytes),
            show(a.capacity_bytes)
        ),
        (Some(a), Some(d)) if !a.compute_roof => format!(
            "On a memory roof for the {} (its maker publishes no GPU throughput, so no compute roof): decode runs at \
             {} FLOPs per byte, at most {} tokens/s.",
            d.name,
            fixed(a.decode.intensity, 1),
            format_count(a.decode_tokens_per_s)
        ),
        (Some(a), Some(d)) => format!(
            "On a roofline for the {}: prefill runs at {} FLOPs per byte ({}), decode at {} ({}); the ridge is at {}.",
            d.name,
            fixed(a.prefill.intensity, 0),
            bound(a.prefill.compute_bound),
            fixed(a.decode.intensity, 1),
            bound(a.decode.compute_bound),
            fixed(d.bf16_flops.unwrap_or(0.0) / d.bandwidth, 0)
        ),
        _ => "No roofline for this device.".into(),
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state units=false class="lw-roof" formula
            subtitle="Prefill reads the weights once for the whole prompt; decode reads them again for every token. Batch the decode to climb the roof.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <StepSlider id=format!("{uid}-batch") label="Batch (sequences decoded together)" steps=&BATCH_STEPS
                    count=Signal::stored(BATCH_STEPS.len()) value=batch text=Callback::new(|b: u64| b.to_string()) />
                <StepSlider id=format!("{uid}-context") label="Prompt length" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Roofline (log–log): attainable throughput against arithmetic intensity. Left of the ridge the device waits on memory; right of it, on arithmetic. "</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || analysis.get().map(|a| if !a.fits {
                    view! {
                        <p class="lw-big lw-no">"✗ Does not fit"</p>
                        <p class="lw-detail">{format!(
                            "The weights and this batch's KV cache need {}; the device has {}. It cannot run here, so no speed is shown: pick a larger device, a smaller model, a shorter prompt or a smaller batch.",
                            show(a.needed_bytes), show(a.capacity_bytes))}</p>
                    }.into_any()
                } else if !a.compute_roof {
                    view! {
                        <p class="lw-big">{format_count(a.decode_tokens_per_s)}" "<span class="lw-big-label">"tokens/s at most while decoding"</span></p>
                        <p class="lw-detail">{format!(
                            "Each decode step reads {} of weights and KV cache; at {}/s that takes at least {}. The maker publishes no GPU FLOP/s for this chip, so the compute roof is not drawn and prefill (compute-bound on every GPU with a published peak) is not placed.",
                            show(a.decode.bytes as u64), show(d.get().map_or(0, |d| d.bandwidth as u64)), format_seconds(a.decode.seconds))}</p>
                        <p class="lw-detail">"An upper bound at peak bandwidth; real kernels reach a fraction of it."</p>
                    }.into_any()
                } else {
                    view! {
                        <p class="lw-big">{format_count(a.decode_tokens_per_s)}" "<span class="lw-big-label">"tokens/s at most while decoding"</span></p>
                        <p class="lw-detail">{format!(
                            "Decode is {} at {} FLOPs per byte; each step takes at least {}. Prefill is {} at {} FLOPs per byte; the first token takes at least {}.",
                            bound(a.decode.compute_bound), fixed(a.decode.intensity, 1), format_seconds(a.decode.seconds),
                            bound(a.prefill.compute_bound), format_count(a.prefill.intensity), format_seconds(a.prefill_seconds))}</p>
                        <p class="lw-detail">"Upper bounds at peak datasheet throughput and bandwidth; real kernels reach a fraction of both."</p>
                    }.into_any()
                })}
            </div>
        </WidgetFrame>
    }
}

/// The roofline of `d`, and the two phases on it when the setting fits.
/// Without a published peak only the memory roof is drawn, and only decode.
fn draw(canvas: &web_sys::HtmlCanvasElement, a: Option<&PhaseAnalysis>, d: &Device) {
    let bw = d.bandwidth / 1e12;
    // Without a peak, the top of the chart is where the memory roof leaves it.
    let peak = d.bf16_flops.map(|p| p / 1e12);
    let top = peak.unwrap_or(bw * 1e3);
    let Some(plot) = Plot::new(canvas, 280.0, Axis::log(0.1, 1e5), Axis::log(top / 1e4, top * 2.0)) else { return };
    plot.axes(&short_number, &short_number, "FLOPs per byte (arithmetic intensity)", "TFLOP/s");
    // On log-log axes the roof is two straight pieces meeting at the ridge.
    // Without a peak, the memory roof runs to the top of the chart.
    let ridge = peak.map(|p| p / bw);
    let end = ridge.map_or(top * 2.0 / bw, |_| 1e5).min(1e5);
    let roof: Vec<(f64, f64)> = [Some(0.1), ridge, Some(end)]
        .into_iter()
        .flatten()
        .filter(|x| (0.1..=1e5).contains(x))
        .map(|x| (x, (x * bw).min(peak.unwrap_or(f64::INFINITY))))
        .collect();
    plot.line(&roof, plot.pal.text, 2.0);
    if let (Some(ridge), Some(peak)) = (ridge, peak) {
        plot.dashed((ridge, peak / 1e4), (ridge, peak), plot.pal.muted);
        plot.label_beside("ridge", ridge, peak / 1e3, 4.0, plot.pal.muted, Anchor::Left);
    } else {
        plot.label_beside("memory roof (no published peak)", 100.0, bw * 100.0, 8.0, plot.pal.muted, Anchor::Right);
    }
    if let Some(a) = a.filter(|a| a.fits) {
        let phases = [("P prefill", a.prefill, plot.pal.series[2]), ("D decode", a.decode, plot.pal.series[1])];
        for (label, p, color) in phases.into_iter().filter(|(l, ..)| a.compute_roof || l.starts_with('D')) {
            let x = p.intensity.clamp(0.11, 9e4);
            // max/min rather than clamp: f64::clamp with bounds the compiler
            // cannot see are ordered keeps a panic message that formats
            // them, and with it core's float printer (7 KiB gzip of wasm).
            let y = (p.attainable_flops / 1e12).max(top / 9e3).min(top * 1.9);
            plot.dot(x, y, 6.0, color);
            plot.label_beside(label, x, y, 8.0, plot.pal.text, if x > 1e3 { Anchor::Right } else { Anchor::Left });
        }
    }
    plot.present();
}

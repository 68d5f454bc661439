//! 07 · Partial offload: llama.cpp's `--n-gpu-layers`, layer by layer —
//! what lives in GPU memory and what stays in host RAM, and how fast a
//! token can be when part of every step reads from the slower side
//! ([`llmem_estimator::engines::offload`]).

use crate::chart::{redraw_epoch, Anchor, Axis, Plot};
use crate::controls::{model_options, next_uid, Select, Slider, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::{html, prelude::*};
use llmem_estimator::{
    engines::{
        gguf_layout::FileType,
        offload::{most_that_fit, offload_sweep, OffloadStep},
    },
    hardware::{device, HOST_CPU},
    presets::preset,
    units::{fixed, format_rate, format_tokens},
};

pub const CONTEXT_STEPS: [u64; 6] = [2048, 4096, 8192, 16_384, 32_768, 131_072];

/// Discrete GPUs (Apple's unified memory has nothing to offload to).
pub fn gpu_options() -> Vec<(String, String)> {
    llmem_estimator::hardware::DEVICES
        .iter()
        .filter(|d| !d.is_unified())
        .map(|d| (d.id.to_string(), d.name.to_string()))
        .collect()
}

/// Every `--n-gpu-layers` setting for the figure's inputs.
pub fn sweep_for(model: &str, gguf: &str, gpu: &str, context: u64) -> Option<Vec<OffloadStep>> {
    let arch = preset(model).and_then(|p| p.arch()).ok()?;
    let ftype = FileType::parse(gguf).ok()?;
    let gpu = device(gpu).ok().filter(|d| !d.is_unified() && !d.is_cpu())?;
    offload_sweep(&arch, ftype, context, gpu, &HOST_CPU).ok()
}

/// The layer count the figure starts at: the URL's, or the most that fit.
pub fn start_layers(sweep: &[OffloadStep], asked: &str) -> u64 {
    let last = sweep.len().saturating_sub(1) as u64;
    match asked.parse::<u64>() {
        Ok(n) => n.min(last),
        Err(_) => most_that_fit(sweep).map_or(0, |s| s.n_gpu_layers),
    }
}

/// What the slider position means, in llama.cpp's terms.
pub fn layers_text(n: u64, layers: u64) -> String {
    if n > layers {
        format!("{n} (all {layers} layers and the output layer)")
    } else {
        format!("{n} of {layers} layers")
    }
}

/// The sentence under the chart.
pub fn verdict(s: &OffloadStep, best: Option<&OffloadStep>, all: Option<&OffloadStep>, gpu_name: &str) -> String {
    // A side that serves only an embedding row or two is not worth naming.
    let sides: Vec<String> = [(s.gpu_read, s.gpu_seconds, "the GPU"), (s.host_read, s.host_seconds, "host RAM")]
        .iter()
        .filter(|(bytes, _, _)| *bytes >= 1_000_000)
        .map(|(bytes, secs, side)| {
            format!("{} from {side} ({})", show(*bytes), llmem_estimator::units::format_seconds(*secs))
        })
        .collect();
    let mut out =
        format!("At most {} tokens/s: each token reads {}.", fixed(s.tokens_per_second(), 1), sides.join(" and "));
    if !s.fits {
        out.push_str(&format!(
            " This does not fit: the GPU side needs {}, more than the {gpu_name} offers.",
            show(s.gpu_bytes())
        ));
    } else if let (Some(b), Some(a)) = (best, all) {
        if b.n_gpu_layers == a.n_gpu_layers {
            out.push_str(" The whole model fits on the GPU.");
        } else if s.host_read > 0 && s.host_seconds > s.gpu_seconds {
            out.push_str(&format!(
                " Host RAM takes {}% of the time for {}% of the bytes; with the whole model on a GPU large enough, a token would take {}.",
                fixed(s.host_seconds / s.seconds().max(f64::MIN_POSITIVE) * 100.0, 0),
                fixed(s.host_read as f64 / (s.host_read + s.gpu_read).max(1) as f64 * 100.0, 0),
                llmem_estimator::units::format_seconds(a.seconds())
            ));
        }
    }
    out
}

/// The partial-offload widget.
#[component]
pub fn OffloadSplit(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let gguf = RwSignal::new(params.get("gguf").to_string());
    let gpu = RwSignal::new(params.get("device").to_string());
    let context = RwSignal::new(params.u64("context"));
    let sweep = Memo::new(move |_| sweep_for(&model.get(), &gguf.get(), &gpu.get(), context.get()));
    let asked = params.get("layers").to_string();
    let layers = RwSignal::new(sweep.get_untracked().map_or(0, |s| start_layers(&s, &asked)) as u32);
    // A new model, format, GPU or context starts again at the most that fit.
    Effect::new(move |prev: Option<()>| {
        let s = sweep.get();
        if prev.is_some() {
            layers.set(s.map_or(0, |s| start_layers(&s, "auto")) as u32);
        }
    });
    let max = Signal::derive(move || sweep.get().map_or(0, |s| s.len().saturating_sub(1)) as u32);
    let current = Memo::new(move |_| sweep.get().and_then(|s| s.get(layers.get() as usize).cloned()));
    let num_layers = Memo::new(move |_| preset(&model.get()).and_then(|p| p.arch()).map_or(0, |a| a.num_layers));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || {
        let d = device(&gpu.get()).ok()?;
        current.get().map(|c| c.formula(d, &HOST_CPU))
    });
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("gguf", gguf.get()),
            ("device", gpu.get()),
            ("context", context.get().to_string()),
            ("layers", layers.get().to_string()),
        ]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Some(s)) = (canvas.get(), sweep.get()) {
            draw(&c, &s, layers.get() as usize);
        }
    });
    let gguf_options: Vec<(String, String)> = [FileType::F16, FileType::Q8_0, FileType::Q4KM]
        .iter()
        .map(|f| (f.id().to_string(), f.id().to_uppercase()))
        .collect();
    let gpu_name = move || device(&gpu.get()).map_or("", |d| d.name);
    let summary = move || {
        let s = sweep.get();
        current.get().map_or_else(
            || "No figure for these settings.".to_string(),
            |c| {
                let best = s.as_deref().and_then(most_that_fit);
                format!(
                    "Tokens per second against the layers on the GPU: the ceiling climbs slowly while most of the model is in host RAM and steeply for the last layers. {}",
                    verdict(&c, best, s.as_ref().and_then(|s| s.last()), gpu_name())
                )
            },
        )
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-offload" formula
            subtitle="When a model does not fit the GPU, llama.cpp keeps the first layers in host RAM and runs them on the CPU. Every token still reads every layer, so the slow side sets the pace.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Select id=format!("{uid}-gguf") label="GGUF type" options=gguf_options value=gguf />
                <Select id=format!("{uid}-device") label="GPU" options=gpu_options() value=gpu />
                <StepSlider id=format!("{uid}-context") label="Context" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
                <Slider id=format!("{uid}-layers") label="Layers on the GPU (--n-gpu-layers)" min=0 max=max value=layers
                    text=Callback::new(move |n: u32| layers_text(u64::from(n), num_layers.get_untracked())) />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">{move || format!(
                    "Decode ceiling at batch 1 against --n-gpu-layers: the {} at {} and the host's {} at {}. The solid part fits the GPU; the ring is the current setting.",
                    gpu_name(), device(&gpu.get()).map_or(String::new(), |d| format_rate(d.bandwidth)), HOST_CPU.memory_kind, format_rate(HOST_CPU.bandwidth))}</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || current.get().map(|c| {
                    let s = sweep.get();
                    let best = s.as_deref().and_then(most_that_fit).cloned();
                    let all = s.as_ref().and_then(|s| s.last()).cloned();
                    view! {
                        <p class="lw-big">{format!("{} tokens/s", fixed(c.tokens_per_second(), 1))}" "<span class="lw-big-label">"at most, one sequence"</span></p>
                        <p class="lw-detail">{verdict(&c, best.as_ref(), all.as_ref(), gpu_name())}</p>
                        <p class="lw-detail">{format!(
                            "GPU: {} of weights, {} of KV cache, {} of compute buffer. Host RAM: {} of weights, {} of KV cache, {} of buffers.",
                            show(c.report.model.device), show(c.report.kv.device), show(c.report.compute.device),
                            show(c.report.model.host), show(c.report.kv.host), show(c.report.compute.host + c.report.output_bytes))}</p>
                    }
                })}
                <p class="lw-source">"Where each byte goes is llama.cpp's own split (checked against llama.cpp in the test suite; the compute buffer is an estimate). The speed is a ceiling from peak bandwidths: llama.cpp's CPU side usually reaches well under its peak."</p>
            </div>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, sweep: &[OffloadStep], at: usize) {
    let n = sweep.len().saturating_sub(1).max(1) as f64;
    let top = sweep.iter().map(OffloadStep::tokens_per_second).fold(1.0, f64::max) * 1.12;
    let Some(plot) = Plot::new(canvas, 260.0, Axis::linear(0.0, n), Axis::linear(0.0, top)) else { return };
    plot.axes(&|v| fixed(v, 0), &|v| fixed(v, 0), "layers on the GPU (--n-gpu-layers)", "tokens/s (ceiling)");
    let fits: Vec<(f64, f64)> =
        sweep.iter().filter(|s| s.fits).map(|s| (s.n_gpu_layers as f64, s.tokens_per_second())).collect();
    let all: Vec<(f64, f64)> = sweep.iter().map(|s| (s.n_gpu_layers as f64, s.tokens_per_second())).collect();
    plot.line(&all, crate::chart::blend(plot.pal.series[1], plot.pal.bg, 0.35), 1.5);
    plot.line(&fits, plot.pal.series[1], 3.0);
    if let Some(b) = most_that_fit(sweep) {
        let x = b.n_gpu_layers as f64;
        if (b.n_gpu_layers as usize) < sweep.len() - 1 {
            plot.dashed((x, 0.0), (x, top), plot.pal.muted);
            plot.label_beside("fits", x, top * 0.92, 4.0, plot.pal.muted, Anchor::Right);
            plot.label_beside("does not fit", x, top * 0.92, 4.0, plot.pal.muted, Anchor::Left);
        }
    }
    if let Some(s) = sweep.get(at) {
        plot.ring(s.n_gpu_layers as f64, s.tokens_per_second(), 7.0, plot.pal.accent);
    }
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventy_b_q4_on_a_4090_starts_at_the_most_that_fit() {
        let s = sweep_for("llama-3.1-70b", "q4_k_m", "rtx-4090", 8192).unwrap();
        let start = start_layers(&s, "auto");
        assert_eq!(Some(start), most_that_fit(&s).map(|b| b.n_gpu_layers));
        assert_eq!(start_layers(&s, "9999"), 81);
        assert_eq!(start_layers(&s, "12"), 12);
        let v = verdict(&s[start as usize], most_that_fit(&s), s.last(), "RTX 4090");
        assert!(v.starts_with("At most "), "{v}");
        assert!(v.contains("Host RAM takes"), "{v}");
        let v = verdict(s.last().unwrap(), most_that_fit(&s), s.last(), "RTX 4090");
        assert!(v.contains("This does not fit"), "{v}");
        assert_eq!(layers_text(81, 80), "81 (all 80 layers and the output layer)");
        assert!(sweep_for("llama-3.1-8b", "q4_k_m", "mac-16gb", 8192).is_none());
    }
}

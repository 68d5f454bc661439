//! 06 · One training step over time: memory on one GPU through the forward
//! pass, the backward pass and the optimizer step, with the peak marked and
//! explained ([`llmem_estimator::timeline::step_timeline`]). The data table
//! under the chart is its text alternative.

use crate::chart::{redraw_epoch, Anchor, Axis, Plot};
use crate::controls::{attention_kernel, attention_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::{show, show_f64};
use leptos::{html, prelude::*};
use llmem_estimator::{
    presets::preset,
    timeline::{step_timeline, Phase, StepTimeline},
    training::{AdamKernel, Recompute, TrainingSetup, ZeroStage},
};

pub const GPU_STEPS: [u64; 8] = [1, 2, 4, 8, 16, 32, 64, 128];
pub const SEQ_STEPS: [u64; 7] = [1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];
pub const CP_STEPS: [u64; 4] = [1, 2, 4, 8];

/// The widget's settings besides the model, as its URL spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub stage: u8,
    pub gpus: u64,
    pub seq: u64,
    pub checkpointing: bool,
    pub attention: String,
    /// `bf16` or `fp32` gradients.
    pub grads: String,
    /// Adam's implementation: `fused` or `foreach`.
    pub adam: String,
    /// Context parallelism: each sequence split over this many of the GPUs.
    pub cp: u64,
}

/// The timeline for `model` at these settings, or why there is none.
pub fn timeline(model: &str, s: &Settings) -> Result<StepTimeline, String> {
    let text = |e: llmem_estimator::EstimateError| e.to_string();
    let a = preset(model).and_then(|p| p.arch()).map_err(text)?;
    let setup = TrainingSetup {
        stage: ZeroStage::from_u8(s.stage).map_err(text)?,
        gpus: s.gpus,
        seq: s.seq,
        micro_batch: 1,
        recompute: if s.checkpointing { Recompute::Full } else { Recompute::None },
        kernel: attention_kernel(&s.attention),
        fp32_grads: s.grads == "fp32",
        adam: AdamKernel::parse(&s.adam).map_err(text)?,
        context_parallel: s.cp,
        ..TrainingSetup::default()
    };
    step_timeline(&a, &setup).map_err(text)
}

/// Why the peak is where it is, in a sentence.
pub fn explain_peak(t: &StepTimeline) -> String {
    let p = &t.points[t.peak_index];
    let why = match p.phase {
        Phase::Backward if p.label == "gradient of the loss" => {
            "the backward pass has just begun: every activation is still held, and the gradient of the logits (fp32, one number per vocabulary entry per token) arrives on top of them"
        }
        Phase::Backward => "inside the backward pass, where gradients have piled up faster than activations were freed",
        Phase::Forward => "at the end of the forward pass, with every activation held",
        Phase::Optimizer if p.label != "optimizer step" => {
            "at the optimizer step: every gradient is held, and the step makes temporaries of the shard it updates (an fp32 copy of 16-bit gradients for the fp32 master weights; foreach Adam's square roots)"
        }
        Phase::Optimizer => "at the optimizer step, with every gradient held",
        Phase::Start => "before the step, so the weights and the optimizer state dominate",
    };
    format!("The peak, {}, comes at “{}”: {why}.", show(p.bytes), p.label)
}

/// The step timeline widget.
#[component]
pub fn StepTimelineWidget(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let stage = RwSignal::new(params.get("stage").to_string());
    let gpus = RwSignal::new(params.u64("gpus"));
    let seq = RwSignal::new(params.u64("seq"));
    let ckpt = RwSignal::new(params.get("checkpointing").to_string());
    let attention = RwSignal::new(params.get("attention").to_string());
    let grads = RwSignal::new(params.get("grads").to_string());
    let adam = RwSignal::new(params.get("adam").to_string());
    let cp = RwSignal::new(params.u64("cp"));
    let data = Memo::new(move |_| {
        let settings = Settings {
            stage: stage.get().parse().unwrap_or(3),
            gpus: gpus.get(),
            seq: seq.get(),
            checkpointing: ckpt.get() == "on",
            attention: attention.get(),
            grads: grads.get(),
            adam: adam.get(),
            cp: cp.get(),
        };
        timeline(&model.get(), &settings)
    });
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || data.get().ok()?.peak_formula());
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("stage", stage.get()),
            ("gpus", gpus.get().to_string()),
            ("seq", seq.get().to_string()),
            ("checkpointing", ckpt.get()),
            ("attention", attention.get()),
            ("grads", grads.get()),
            ("adam", adam.get()),
            ("cp", cp.get().to_string()),
        ]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Ok(t)) = (canvas.get(), data.get()) {
            draw(&c, &t);
        }
    });
    let summary = move || {
        data.get().map_or_else(
            |e| format!("No timeline for these settings: {e}."),
            |t| {
                format!(
                    "Memory of one training step on one GPU, from {} at the start to a peak of {} and back. {}",
                    show(t.resident_bytes),
                    show(t.peak_bytes),
                    explain_peak(&t)
                )
            },
        )
    };
    let stage_options: Vec<(String, String)> =
        ["0", "1", "2", "3"].iter().map(|s| (s.to_string(), format!("ZeRO-{s}"))).collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-timeline" formula
            subtitle="Memory through one step: activations pile up in the forward pass, turn into gradients in the backward pass, and the optimizer updates the weights.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-model") label="Model" options=model_options() value=model />
                <Choice name=format!("{uid}-stage") legend="Sharding" options=stage_options value=stage />
                <StepSlider id=format!("{uid}-gpus") label="GPUs in all (data × context parallel)" steps=&GPU_STEPS
                    count=Signal::stored(GPU_STEPS.len()) value=gpus
                    text=Callback::new(|g: u64| format!("{g} GPU{}", if g == 1 { "" } else { "s" })) />
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq
                    text=Callback::new(|s: u64| format!("{} tokens", llmem_estimator::units::format_tokens(s))) />
                <Choice name=format!("{uid}-ckpt") legend="Activation checkpointing"
                    options=vec![("off".into(), "Off".into()), ("on".into(), "On".into())] value=ckpt />
                <Select id=format!("{uid}-attention") label="Attention" options=attention_options() value=attention />
                <Choice name=format!("{uid}-grads") legend="Gradients kept in"
                    options=vec![("bf16".into(), "BF16".into()), ("fp32".into(), "FP32".into())] value=grads />
                <Choice name=format!("{uid}-adam") legend="Adam's kernel"
                    options=vec![("fused".into(), "Fused".into()), ("foreach".into(), "Foreach".into())] value=adam />
                <StepSlider id=format!("{uid}-cp") label="Each sequence split over (context parallel)" steps=&CP_STEPS
                    count=Signal::stored(CP_STEPS.len()) value=cp
                    text=Callback::new(|c: u64| if c == 1 { "1 GPU (off)".to_string() } else { format!("{c} GPUs") }) />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Computed, not recorded: one GPU's memory after each event of the step, micro-batch 1, mixed-precision Adam; the GPUs in all are the data-parallel ones times those that split each sequence (context parallel), and all of them shard the states. The flat line is what stays resident; the dot is the peak. The optimizer step's temporaries are an estimate."</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || data.get().err().map(|e| view! { <p class="lw-detail lw-warn">{format!("No timeline for these settings: {e}.")}</p> })}
                {move || data.get().ok().map(|t| view! {
                    <p class="lw-big">{show(t.peak_bytes)}" "<span class="lw-big-label">"at the peak of the step"</span></p>
                    <p class="lw-detail">{explain_peak(&t)}</p>
                    <p class="lw-detail">{format!("Resident throughout: {} of weights and optimizer state.", show(t.resident_bytes))}</p>
                })}
            </div>
            <details class="lw-data">
                <summary>"Data table"</summary>
                <table class="lw-table">
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Activations"</th><th scope="col">"Gradients"</th><th scope="col">"Total"</th></tr></thead>
                    <tbody>
                        {move || data.get().ok().map(|t| t.points.iter().enumerate().map(|(i, p)| view! {
                            <tr class:lw-peak=i == t.peak_index>
                                <th scope="row">{p.label.clone()}{(i == t.peak_index).then_some(" (peak)")}</th>
                                <td>{show(p.activation_bytes)}</td>
                                <td>{show(p.grad_bytes)}</td>
                                <td>{show(p.bytes)}</td>
                            </tr>
                        }).collect::<Vec<_>>())}
                    </tbody>
                </table>
            </details>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, t: &StepTimeline) {
    let n = t.points.len().max(2) as f64 - 1.0;
    let top = t.peak_bytes as f64 * 1.15;
    let Some(plot) = Plot::new(canvas, 260.0, Axis::linear(0.0, n), Axis::linear(0.0, top)) else { return };
    plot.axes(&|_| String::new(), &show_f64, "forward pass → backward pass → optimizer step", "memory on one GPU");
    // What stays resident, labelled under its line where the curve is far above it.
    let resident = t.resident_bytes as f64;
    plot.line(&[(0.0, resident), (n, resident)], plot.pal.muted, 1.5);
    let below = (resident - top * 0.09).max(top * 0.02);
    plot.label_beside("resident: weights, optimizer", n, below, 2.0, plot.pal.muted, Anchor::Right);
    let pts: Vec<(f64, f64)> = t.points.iter().enumerate().map(|(i, p)| (i as f64, p.bytes as f64)).collect();
    plot.line(&pts, plot.pal.series[1], 2.5);
    // Where the backward pass begins, and the two passes named.
    if let Some(b) = t.points.iter().position(|p| p.phase == Phase::Backward) {
        plot.dashed((b as f64, 0.0), (b as f64, top), plot.pal.muted);
        let y = top * 0.03;
        plot.label_beside("forward", b as f64, y, 6.0, plot.pal.muted, Anchor::Right);
        plot.label_beside("backward", b as f64, y, 6.0, plot.pal.muted, Anchor::Left);
    }
    let peak = &t.points[t.peak_index];
    plot.dot(t.peak_index as f64, peak.bytes as f64, 6.0, plot.pal.text);
    let anchor = if (t.peak_index as f64) < n / 2.0 { Anchor::Left } else { Anchor::Right };
    plot.label_beside(
        &format!("peak {}", show(peak.bytes)),
        t.peak_index as f64,
        peak.bytes as f64,
        8.0,
        plot.pal.text,
        anchor,
    );
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_setting_fits_an_h100_and_peaks_at_the_loss_gradient() {
        let s = Settings {
            stage: 3,
            gpus: 8,
            seq: 4096,
            checkpointing: false,
            attention: "flash".into(),
            grads: "bf16".into(),
            adam: "fused".into(),
            cp: 1,
        };
        let t = timeline("llama-3.1-8b", &s).unwrap();
        assert!(t.peak_bytes < 80_000_000_000);
        assert!(explain_peak(&t).contains("gradient of the logits"));
        let c = timeline("llama-3.1-8b", &Settings { checkpointing: true, ..s.clone() }).unwrap();
        assert!(c.peak_bytes < t.peak_bytes);
        // One GPU, unsharded: the optimizer step's temporaries make it the peak.
        let one = timeline("llama-3.1-8b", &Settings { stage: 0, gpus: 1, ..s.clone() }).unwrap();
        assert!(explain_peak(&one).contains("an fp32 copy of 16-bit gradients"), "{}", explain_peak(&one));
        // Context parallelism: a 32K sequence over 4 GPUs is held as 8K is.
        let long = Settings { seq: 32_768, cp: 4, ..s.clone() };
        assert_eq!(timeline("llama-3.1-8b", &long), timeline("llama-3.1-8b", &Settings { seq: 8192, ..s.clone() }));
        let e = timeline("llama-3.1-8b", &Settings { gpus: 2, cp: 4, ..s }).unwrap_err();
        assert!(e.contains("does not divide 2 GPUs"), "{e}");
    }
}

//! 02 · Size against quality: every GGUF format of Llama 3 8B that
//! llama.cpp measured, file size against how far its predictions drift
//! from FP16's, with the line a GPU's memory draws through them
//! ([`llmem_estimator::quant_quality`], [`llmem_estimator::engines::llama_cpp`]).

use crate::chart::{redraw_epoch, Anchor, Axis, Plot};
use crate::controls::{next_uid, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::{show, show_f64};
use leptos::{html, prelude::*};
use llmem_estimator::{
    engines::{
        gguf_layout::FileType,
        llama_cpp::{llama_cpp, LlamaCppParams},
    },
    presets::preset,
    quant_quality::{best_within, point, QualityPoint, SCOREBOARD},
    units::{fixed, format_tokens},
};

/// GPU memory on the slider, GiB (what "8 GB" cards have).
pub const MEMORY_STEPS: [u64; 9] = [4, 6, 8, 10, 12, 16, 20, 24, 32];
/// Context lengths on the slider.
pub const CONTEXT_STEPS: [u64; 6] = [2048, 4096, 8192, 16_384, 32_768, 131_072];

/// What llama.cpp allocates besides the weights for one sequence of
/// `context` tokens with flash attention: the KV cache (f16), the compute
/// buffer (an estimate) and the output buffer.
pub fn runtime_bytes(context: u64) -> Option<u64> {
    let arch = preset("llama-3.1-8b").and_then(|p| p.arch()).ok()?;
    let p = LlamaCppParams { n_ctx: context, flash_attn: true, ..LlamaCppParams::default() };
    let r = llama_cpp(&arch, FileType::F16, &p).ok()?;
    Some(r.kv.total() + r.compute.total() + r.output_bytes)
}

/// Room for the weights on a GPU of `gib` GiB at `context` tokens.
pub fn weights_room(gib: u64, context: u64) -> Option<u64> {
    Some((gib << 30).saturating_sub(runtime_bytes(context)?))
}

/// "Q4_K_M" or "Q4_K_M (imatrix)" where the format also exists without one.
fn label(p: &QualityPoint) -> String {
    if p.id.ends_with("-imatrix") {
        format!("{} (imatrix)", p.name)
    } else {
        p.name.to_string()
    }
}

/// The sentence under the chart.
pub fn verdict(selected: &QualityPoint, room: u64) -> String {
    let f16 = point("f16").map_or(1, |p| p.size_centi_gib);
    let share = fixed(f64::from(selected.size_centi_gib) / f64::from(f16) * 100.0, 0);
    let fits = if selected.size_bytes() <= room {
        "It fits".to_string()
    } else {
        format!("It does not fit: {} are left for the weights", show(room))
    };
    let best = match best_within(room) {
        Some(b) if b.id == selected.id => " — and nothing measured that fits is closer to FP16.".to_string(),
        Some(b) => format!(
            "; the closest to FP16 that fits is {} ({}, divergence {}).",
            label(b),
            show(b.size_bytes()),
            fixed(b.kld, 4)
        ),
        None => "; no measured format fits.".to_string(),
    };
    if selected.id == "f16" {
        return format!(
            "F16 is the original: {} bits per weight (the norms are kept in 32 bits). Its divergence of {} is only the rounding of the stored reference predictions. {}{}",
            fixed(selected.bits_per_weight(), 2),
            fixed(selected.kld, 4),
            fits,
            best
        );
    }
    format!(
        "{} is {}% of FP16's size, {} bits per weight, and its predictions diverge from FP16's by {} (mean KL divergence; perplexity +{}). {}{}",
        label(selected),
        share,
        fixed(selected.bits_per_weight(), 2),
        fixed(selected.kld, 4),
        fixed(selected.delta_ppl, 3),
        fits,
        best
    )
}

/// The size-against-quality widget.
#[component]
pub fn QuantQuality(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let format = RwSignal::new(params.get("format").to_string());
    let memory = RwSignal::new(params.u64("memory"));
    let context = RwSignal::new(params.u64("context"));
    let selected = Memo::new(move |_| point(&format.get()).or(SCOREBOARD.first()).copied());
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || selected.get().map(|p| p.size_formula()));
    let room = Memo::new(move |_| weights_room(memory.get(), context.get()));
    let state = Signal::derive(move || {
        vec![("format", format.get()), ("memory", memory.get().to_string()), ("context", context.get().to_string())]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Some(s)) = (canvas.get(), selected.get()) {
            draw(&c, &s, room.get());
        }
    });
    let options: Vec<(String, String)> = SCOREBOARD
        .iter()
        .map(|p| {
            (p.id.to_string(), format!("{} · {}", label(p), fixed(f64::from(p.size_centi_gib) / 100.0, 2) + " GiB"))
        })
        .collect();
    let summary = move || {
        selected.get().zip(room.get()).map_or(String::new(), |(s, r)| {
            format!(
                "Scatter of {} GGUF files of Llama 3 8B, size against KL divergence from FP16: quality falls slowly down to about 4 bits per weight and fast below 3. {}",
                SCOREBOARD.len(),
                verdict(&s, r)
            )
        })
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-qq" formula
            subtitle="Each dot is one file of the same model, measured by llama.cpp: how large it is, and how far its next-token predictions drift from the 16-bit original.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-format") label="Format" options=options value=format />
                <StepSlider id=format!("{uid}-memory") label="GPU memory" steps=&MEMORY_STEPS
                    count=Signal::stored(MEMORY_STEPS.len()) value=memory
                    text=Callback::new(|g: u64| format!("{g} GiB")) />
                <StepSlider id=format!("{uid}-context") label="Context (one sequence)" steps=&CONTEXT_STEPS
                    count=Signal::stored(CONTEXT_STEPS.len()) value=context
                    text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Measured, not computed: llama.cpp's Llama 3 8B scoreboard (Wikitext-2, CUDA). Dots: quantized without help; squares: with an importance matrix. Lower is closer to FP16 (log scale). Files right of the dashed line do not fit beside the KV cache and llama.cpp's buffers."</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || selected.get().zip(room.get()).map(|(s, r)| view! {
                    <p class="lw-big">{show(s.size_bytes())}" "<span class="lw-big-label">{format!("— {} of Llama 3 8B", label(&s))}</span></p>
                    <p class="lw-detail">{verdict(&s, r)}</p>
                    <p class="lw-detail">{move || runtime_bytes(context.get()).map(|b| format!(
                        "Room for the weights: {} of {} GiB, after the {} that llama.cpp allocates for one {}-token sequence with flash attention (KV cache in f16, compute and output buffers). The driver's own few hundred MB are not counted.",
                        show(r), memory.get(), show(b), format_tokens(context.get())))}</p>
                })}
            </div>
            <details class="lw-data">
                <summary>"Data table"</summary>
                <div class="lw-scroll" tabindex="0" role="region" aria-label="The scoreboard as a table">
                    <table class="lw-table">
                        <thead><tr><th scope="col">"Format"</th><th scope="col">"Size"</th><th scope="col">"Bits per weight"</th><th scope="col">"Perplexity"</th><th scope="col">"KL divergence"</th><th scope="col">"RMS Δp"</th></tr></thead>
                        <tbody>
                            {SCOREBOARD.iter().map(|p| view! {
                                <tr class:lw-peak=move || format.get() == p.id>
                                    <th scope="row">{label(p)}</th>
                                    <td>{move || show(p.size_bytes())}</td>
                                    <td>{fixed(p.bits_per_weight(), 2)}</td>
                                    <td>{fixed(p.ppl, 3)}</td>
                                    <td>{fixed(p.kld, 4)}</td>
                                    <td>{format!("{}%", fixed(p.rms_dp, 2))}</td>
                                </tr>
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                </div>
            </details>
        </WidgetFrame>
    }
}

/// Points labelled on the chart (besides the selected one).
const LANDMARKS: [&str; 5] = ["f16", "q8_0", "q4_k_m", "q2_k", "iq1_s"];

fn draw(canvas: &web_sys::HtmlCanvasElement, selected: &QualityPoint, room: Option<u64>) {
    let gib = f64::from(1u32 << 30);
    let Some(plot) = Plot::new(canvas, 280.0, Axis::linear(0.0, 16.5 * gib), Axis::log(0.0003, 4.0)) else {
        return;
    };
    plot.axes(&show_f64, &|v| llmem_estimator::units::trimmed(v, 4), "file size", "KL divergence from FP16");
    let room = room.map(|r| r as f64);
    for p in SCOREBOARD {
        let x = p.size_bytes() as f64;
        let fits = room.is_none_or(|r| x <= r);
        let color = if fits { plot.pal.series[0] } else { crate::chart::blend(plot.pal.series[0], plot.pal.bg, 0.35) };
        if p.imatrix {
            plot.square(x, p.kld, 4.0, color);
        } else {
            plot.dot(x, p.kld, 4.0, color);
        }
    }
    if let Some(r) = room {
        if r > 0.0 && r < 16.5 * gib {
            plot.dashed((r, 0.0003), (r, 4.0), plot.pal.muted);
            plot.label_beside("← fits", r, 0.0005, 4.0, plot.pal.muted, Anchor::Right);
        }
    }
    for id in LANDMARKS {
        if let Some(p) = point(id).filter(|p| p.id != selected.id) {
            plot.label_beside(&label(p), p.size_bytes() as f64, p.kld, 6.0, plot.pal.muted, Anchor::Left);
        }
    }
    let (x, y) = (selected.size_bytes() as f64, selected.kld);
    plot.ring(x, y, 8.0, plot.pal.accent);
    plot.label_beside(&label(selected), x, y, 10.0, plot.pal.text, Anchor::Left);
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama 3.1 8B at 8K with flash attention: 1 GiB of KV cache plus
    /// llama.cpp's compute and output buffers; an 8 GiB card then holds
    /// Q6_K (6.14 GiB) at best, not Q8_0 (7.96 GiB).
    #[test]
    fn eight_gib_at_8k() {
        let rt = runtime_bytes(8192).unwrap();
        assert!(rt > 1 << 30 && rt < (1 << 30) + (600 << 20), "{rt}");
        let room = weights_room(8, 8192).unwrap();
        assert_eq!(best_within(room).unwrap().id, "q6_k");
        let q4 = point("q4_k_m").unwrap();
        let v = verdict(q4, room);
        assert!(v.starts_with("Q4_K_M is 31% of FP16's size, 4.90 bits per weight"), "{v}");
        assert!(v.contains("the closest to FP16 that fits is Q6_K"), "{v}");
        assert_eq!(weights_room(4, 131_072), Some(0));
        assert!(verdict(q4, 0).contains("no measured format fits"));
        let f16 = verdict(point("f16").unwrap(), weights_room(24, 8192).unwrap());
        assert!(f16.starts_with("F16 is the original: 16.01 bits per weight"), "{f16}");
        assert!(f16.ends_with("It fits — and nothing measured that fits is closer to FP16."), "{f16}");
    }
}

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
    ssm::{crossover_context, recurrent_state},
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

/// (transformer KV bytes, Mamba state bytes, crossover tokens) at `seq`, bf16, one sequence.
pub fn compare(model: &str, mamba: &str, seq: u64) -> Option<(ModelArch, u64, u64, Option<u64>)> {
    let t = preset(model).and_then(|p| p.arch()).ok()?;
    let m = recurrent_preset(mamba).ok()?.arch().ok()?;
    let state = recurrent_state(&m, Dtype::Bf16).ok()?.total_bytes;
    let kv = kv_cache(&t, Dtype::Bf16, seq, 1).ok()?.total_bytes;
    let cross = crossover_context(&t, Dtype::Bf16, 1, state).ok()?;
    Some((t, kv, state, cross))
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
    let data = Memo::new(move |_| compare(&model.get(), &mamba.get(), seq.get()).map(|(_, kv, st, x)| (kv, st, x)));
    let state =
        Signal::derive(move || vec![("seq", seq.get().to_string()), ("model", model.get()), ("mamba", mamba.get())]);
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    Effect::new(move |_| {
        let _ = epoch.get();
        if let (Some(c), Some((arch, _, state, cross))) = (canvas.get(), compare(&model.get(), &mamba.get(), seq.get()))
        {
            draw(&c, &arch, state, cross, seq.get());
        }
    });
    let mamba_options: Vec<(String, String)> =
        recurrent_presets().map(|p| (p.id.to_string(), p.name.to_string())).collect();
    let summary = move || {
        data.get().map_or(String::new(), |(kv, st, x)| {
            format!(
                "At {} tokens the transformer's KV cache is {} and the Mamba state {}; {}",
                format_tokens(seq.get()),
                show(kv),
                show(st),
                match x {
                    Some(n) => format!("the cache passes the state at {} tokens.", format_tokens(n)),
                    None => "this transformer's cache never passes the state.".to_string(),
                }
            )
        })
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-ssm"
            subtitle="A transformer keeps every token's keys and values; a state-space model folds them into a state of fixed size.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS count=Signal::stored(SEQ_STEPS.len())
                    value=seq text=Callback::new(|s: u64| format!("{} tokens", format_tokens(s))) />
                <Select id=format!("{uid}-model") label="Transformer" options=model_options() value=model />
                <Select id=format!("{uid}-mamba") label="State-space model" options=mamba_options value=mamba />
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption">"Memory per sequence against length (log scales), bf16: the transformer's KV cache climbs; the state-space model's conv and SSM state is flat. The dot marks where they cross."</figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || data.get().map(|(kv, st, x)| view! {
                    <p class="lw-big">{format!("{}×", fixed(kv as f64 / st.max(1) as f64, 0))}" "<span class="lw-big-label">"— the transformer's cache over the state at this length"</span></p>
                    <p class="lw-detail">{format!("KV cache {} · state {} (flat at any length){}", show(kv), show(st),
                        x.map(|n| format!(" · equal at {} tokens", format_tokens(n))).unwrap_or_default())}</p>
                })}
            </div>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, arch: &ModelArch, state: u64, cross: Option<u64>, seq: u64) {
    let xs: Vec<f64> = (0..=40).map(|i| 2f64.powf(6.0 + 12.0 * f64::from(i) / 40.0)).collect();
    let kv: Vec<(f64, f64)> = xs
        .iter()
        .filter_map(|&x| kv_cache(arch, Dtype::Bf16, x as u64, 1).ok().map(|k| (x, k.total_bytes as f64)))
        .collect();
    let y_max = kv.iter().map(|p| p.1).fold(state as f64, f64::max) * 2.0;
    let y_min = kv.first().map_or(1.0, |p| p.1).min(state as f64) / 2.0;
    let Some(plot) = Plot::new(canvas, 260.0, Axis::log(64.0, 262_144.0), Axis::log(y_min.max(1.0), y_max)) else {
        return;
    };
    plot.axes(&short_number, &show_f64, "sequence length (tokens)", "memory per sequence");
    plot.line(&kv, plot.pal.series[1], 2.5);
    plot.line(&[(64.0, state as f64), (262_144.0, state as f64)], plot.pal.series[3], 2.5);
    // Labels where no line crosses them: the cache's near its top end, the
    // state's at the left, above its flat line.
    let near_end = kv.iter().rev().nth(6).copied().unwrap_or((1.0, 1.0));
    plot.label("transformer KV cache", near_end.0, near_end.1 * 1.6, plot.pal.series[1], Anchor::Right);
    plot.label("state-space state (flat)", 80.0, state as f64 * 1.3, plot.pal.series[3], Anchor::Left);
    if let Some(n) = cross {
        if (64..=262_144).contains(&n) {
            plot.dot(n as f64, state as f64, 6.0, plot.pal.text);
        }
    }
    if let Ok(k) = kv_cache(arch, Dtype::Bf16, seq, 1) {
        plot.dashed((seq as f64, y_min.max(1.0)), (seq as f64, k.total_bytes as f64), plot.pal.muted);
    }
    plot.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_vs_mamba() {
        let (_, kv, st, x) = compare("llama-3.1-8b", "mamba-2.8b", 8192).unwrap();
        assert_eq!(kv, 1_073_741_824);
        // 64 layers × 5,120 channels × (3 conv columns + 16 state) × 2 bytes.
        assert_eq!(st, 12_451_840);
        assert_eq!(x, Some(96));
    }
}

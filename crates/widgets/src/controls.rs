//! Labelled form controls shared by every widget: real `<input>` and
//! `<select>` elements, so screen readers announce them and the keyboard
//! operates them natively.

use leptos::prelude::*;

thread_local! {
    static NEXT_UID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A page-unique prefix for one widget instance's element ids.
pub fn next_uid() -> String {
    NEXT_UID.with(|n| {
        let v = n.get() + 1;
        n.set(v);
        format!("lw{v}")
    })
}

/// A range slider with a visible label and value. The value text is also
/// given to assistive technology as `aria-valuetext` (e.g. "32K tokens").
#[component]
pub fn Slider(
    /// Element id, unique on the page.
    id: String,
    /// Visible label.
    label: &'static str,
    /// Smallest slider position.
    min: u32,
    /// Largest slider position (may change, e.g. with the model).
    #[prop(into)]
    max: Signal<u32>,
    /// The slider position.
    value: RwSignal<u32>,
    /// Text for a position, shown beside the label and announced.
    #[prop(into)]
    text: Callback<u32, String>,
    /// Greyed out and inert (the setting does not apply right now).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Called with the new position when the reader moves the slider (not
    /// when `value` changes elsewhere). Runs inside the input handler, so a
    /// key press is never lost to a not-yet-run effect.
    #[prop(optional, into)]
    on_input: Option<Callback<u32>>,
) -> impl IntoView {
    let id2 = id.clone();
    // Shown and announced: formatted once per move.
    let value_text = Memo::new(move |_| text.run(value.get()));
    view! {
        <div class="lw-field">
            <div class="lw-label-row">
                <label class="lw-label" for=id.clone()>{label}</label>
                <output class="lw-value" for=id.clone() aria-hidden="true">{move || value_text.get()}</output>
            </div>
            <input class="lw-range" type="range" id=id2 min=min max=move || max.get() step="1" prop:disabled=disabled
                prop:value=move || value.get().to_string()
                aria-valuetext=move || value_text.get()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                        let v = v.clamp(min, max.get_untracked().max(min));
                        value.set(v);
                        if let Some(f) = on_input {
                            f.run(v);
                        }
                    }
                } />
        </div>
    }
}

/// A drop-down list with a visible label.
#[component]
pub fn Select(
    /// Element id, unique on the page.
    id: String,
    /// Visible label.
    label: &'static str,
    /// (value, text) pairs.
    options: Vec<(String, String)>,
    /// The selected value.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="lw-field">
            <label class="lw-label" for=id.clone()>{label}</label>
            <select class="lw-select" id=id prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options.into_iter().map(|(v, t)| {
                    let v2 = v.clone();
                    view! { <option value=v selected=move || value.get() == v2>{t}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// A group of radio buttons shown as a segmented switch. Arrow keys move
/// between options, as in any native radio group.
#[component]
pub fn Choice(
    /// The radio group's name, unique on the page.
    name: String,
    /// The group's visible legend.
    legend: &'static str,
    /// (value, text) pairs.
    options: Vec<(String, String)>,
    /// The selected value.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <fieldset class="lw-choice">
            <legend class="lw-label">{legend}</legend>
            <div class="lw-segments">
                {options.into_iter().map(|(v, t)| {
                    let v_checked = v.clone();
                    let v_set = v.clone();
                    view! {
                        <label class="lw-segment">
                            <input type="radio" name=name.clone() value=v
                                prop:checked=move || value.get() == v_checked
                                on:change=move |_| value.set(v_set.clone()) />
                            <span>{t}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

/// A slider over a fixed list of round values (1K, 2K, 4K… or 1, 2, 4, 8 GPUs).
/// The value is kept exactly as given (an author may start at 10000); the
/// slider moves to the nearest step and writes step values from then on.
#[component]
pub fn StepSlider(
    /// Element id, unique on the page.
    id: String,
    /// Visible label.
    label: &'static str,
    /// The values, ascending.
    steps: &'static [u64],
    /// How many of the steps are offered (may depend on the model).
    #[prop(into)]
    count: Signal<usize>,
    /// The value.
    value: RwSignal<u64>,
    /// Text for a value, shown and announced.
    #[prop(into)]
    text: Callback<u64, String>,
    /// Greyed out and inert (the setting does not apply right now).
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let index = RwSignal::new(nearest_step(steps, value.get_untracked()));
    // Keep the slider in step when the value changes elsewhere (a reset, a clamp).
    crate::erased::effect(move || {
        let v = value.get();
        if steps.get(index.get_untracked() as usize) != Some(&v) {
            index.set(nearest_step(steps, v));
        }
    });
    let max = Signal::derive(move || count.get().saturating_sub(1) as u32);
    // Slider → value: only when the reader moves it.
    let on_input = Callback::new(move |i: u32| {
        if let Some(v) = steps.get(i as usize) {
            value.set(*v);
        }
    });
    view! {
        <Slider id=id label=label min=0 max=max value=index disabled=disabled on_input=on_input
            text=Callback::new(move |_: u32| text.run(value.get())) />
    }
}

/// The position in `steps` nearest to `v`.
pub fn nearest_step(steps: &[u64], v: u64) -> u32 {
    steps.iter().enumerate().min_by_key(|(_, s)| s.abs_diff(v)).map_or(0, |(i, _)| i as u32)
}

/// (id, label) pairs of the attention implementations training can use.
pub fn attention_options() -> Vec<(String, String)> {
    llmem_estimator::activations::AttentionKernel::ALL
        .iter()
        .map(|k| (k.id().to_string(), k.label().to_string()))
        .collect()
}

/// The attention implementation a widget's `attention` value names (flash if unknown).
pub fn attention_kernel(id: &str) -> llmem_estimator::activations::AttentionKernel {
    llmem_estimator::activations::AttentionKernel::parse(id)
        .unwrap_or(llmem_estimator::activations::AttentionKernel::Flash)
}

/// (id, name) pairs of every transformer preset, for a model picker.
pub fn model_options() -> Vec<(String, String)> {
    llmem_estimator::presets::PRESETS
        .iter()
        .filter(|p| p.in_pickers)
        .map(|p| (p.id.to_string(), p.name.to_string()))
        .collect()
}

/// Model menu entries with a last entry for a size of the reader's choosing.
pub fn model_options_with_custom() -> Vec<(String, String)> {
    let mut v = model_options();
    v.push((llmem_catalog::CUSTOM_MODEL.to_string(), "Custom size (Llama-shaped)".to_string()));
    v
}

/// The architecture behind a model menu choice: a preset, or for
/// [`llmem_catalog::CUSTOM_MODEL`] a Llama-shaped model of `billions`
/// parameters ([`llmem_estimator::presets::dense_of_size`]).
pub fn model_arch(model: &str, billions: u32) -> Option<llmem_estimator::ModelArch> {
    if model == llmem_catalog::CUSTOM_MODEL {
        llmem_estimator::presets::dense_of_size(u64::from(billions).saturating_mul(1_000_000_000)).ok()
    } else {
        llmem_estimator::presets::preset(model).and_then(|p| p.arch()).ok()
    }
}

/// A size slider for [`model_arch`]: moving it selects the custom model,
/// and a line under it names the shape that size stands for.
#[component]
pub fn SizeSlider(
    /// Element id, unique on the page.
    id: String,
    /// Largest size offered, in billions of parameters.
    max: u32,
    /// The size, in billions.
    size: RwSignal<u32>,
    /// The model menu's value; set to custom when the slider moves.
    model: RwSignal<String>,
    /// The architecture currently shown (its shape is described when custom).
    #[prop(into)]
    arch: Signal<Option<llmem_estimator::ModelArch>>,
) -> impl IntoView {
    // Always one line, so choosing a preset or a size never moves the layout;
    // with a preset chosen it says the slider is not what is shown.
    let shape = move || {
        if model.get() != llmem_catalog::CUSTOM_MODEL {
            return "Not in use while a listed model is chosen; move it to size a model yourself.".to_string();
        }
        arch.get().map_or_else(String::new, |a| {
            format!(
                "Custom: a dense Llama-2-shaped model, {} layers, {} wide, {} parameters.",
                a.num_layers,
                a.hidden_size,
                a.param_counts().map_or_else(|_| "?".to_string(), |c| llmem_estimator::units::group_thousands(c.total))
            )
        })
    };
    // One element, so in a grid of controls the line stays under its slider.
    view! {
        <div class="lw-size">
            <Slider id=id label="Custom size" min=1 max=Signal::stored(max) value=size
                text=Callback::new(|v: u32| format!("{v}B parameters"))
                on_input=Callback::new(move |_| model.set(llmem_catalog::CUSTOM_MODEL.to_string())) />
            <p class="lw-detail lw-shape">{shape}</p>
        </div>
    }
}

/// (id, name) pairs of every device.
pub fn device_options() -> Vec<(String, String)> {
    llmem_estimator::hardware::DEVICES.iter().map(|d| (d.id.to_string(), d.name.to_string())).collect()
}

//! "Will it fit?": a preset or a pasted/uploaded `config.json`, a device and
//! a workload → weights, KV cache, activations and overhead against the
//! device's memory, the verdict and margin, the largest context and batch
//! that fit, and the decode ceiling ([`llmem_estimator::fit::will_it_fit`]).
//!
//! A pasted config is never inserted as HTML: it is parsed by the
//! estimator, its error message is shown as text, and only the fields the
//! estimator reads are carried in the shareable URL.

use crate::b64;
use crate::bars::{Segment, StackedBar};
use crate::config_text::{minimal_config_text, parse_config_text};
use crate::controls::{device_options, model_options, next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::{PageMode, Params};
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::units::fixed;
use llmem_estimator::{
    config::MAX_CONFIG_BYTES,
    fit::{changes_to_fit, will_it_fit, Change, FitQuery, FitReport},
    hardware::device,
    precision::{Dtype, WeightFormat},
    presets::preset,
    units::{format_tokens, group_thousands},
    ModelArch,
};
use wasm_bindgen::JsCast;

pub const COUNT_STEPS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];
pub const CONTEXT_STEPS: [u64; 11] =
    [1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];
pub const BATCH_STEPS: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Longest config we put in a URL (base64url characters).
pub const MAX_URL_CONFIG: usize = 3000;

/// A reader's config, as the widget keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadConfig {
    /// The config reduced to the fields the estimator reads (what a link carries).
    pub minimal: String,
    pub arch: ModelArch,
    /// One line saying what was read ("Using your config: qwen3 (36 layers), …").
    /// Written by the reader, so the family table stays in its module.
    pub summary: String,
}

/// Parses pasted text into the compact config we keep, with a message for the reader on failure.
pub fn accept_config(text: &str) -> Result<ReadConfig, String> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "That is {} of text; a config.json is at most {} — is this the right file?",
            show(text.len() as u64),
            show(MAX_CONFIG_BYTES as u64)
        ));
    }
    if text.trim().is_empty() {
        return Err("Paste the contents of a Hugging Face config.json first.".into());
    }
    let arch = parse_config_text(text).map_err(|e| format!("This config cannot be used: {e}."))?;
    let minimal = minimal_config_text(text).ok_or("This config cannot be used: it could not be re-encoded.")?;
    let summary = format!(
        "Using your config: {} ({} layers), {} parameters, {}.",
        arch.family.model_type(),
        arch.num_layers,
        group_thousands(arch.param_counts().map(|c| c.total).unwrap_or(0)),
        arch.attention_label()
    );
    Ok(ReadConfig { minimal, arch, summary })
}

/// [`accept_config`] as a split point: with `lazy-config` the config reader
/// (the estimator's family table and parser, a seventh of this widget's
/// wasm) is fetched the first time a reader uses their own config.
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(config_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn accept_config_split(text: String) -> Result<Result<ReadConfig, String>, ReaderNotLoaded> {
    Ok(accept_config(&text))
}

/// The config reader's module could not be fetched.
#[derive(Debug)]
pub struct ReaderNotLoaded;

#[cfg(feature = "lazy-config")]
impl From<wasm_split_helpers::SplitLoaderError> for ReaderNotLoaded {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        ReaderNotLoaded
    }
}

/// [`accept_config`], fetching the config reader first where it is split off.
pub async fn accept_config_lazily(text: String) -> Result<ReadConfig, String> {
    #[cfg(feature = "lazy-config")]
    let read = accept_config_split(text).await;
    #[cfg(not(feature = "lazy-config"))]
    let read = accept_config_split(text);
    read.unwrap_or_else(|_| Err("The config reader could not be loaded; check the connection and try again.".into()))
}

/// The report for the current inputs, and what would make it fit when it
/// does not ([`changes_to_fit`]).
pub fn report(
    arch: &ModelArch,
    dev: &str,
    count: u64,
    weights: &str,
    kv: &str,
    context: u64,
    batch: u64,
) -> Option<(FitReport, Vec<Change>)> {
    let q = FitQuery {
        arch,
        weights: WeightFormat::parse(weights).ok()?,
        kv: Dtype::parse(kv).ok()?,
        context,
        batch,
        device: device(dev).ok()?,
        device_count: count,
    };
    let r = will_it_fit(&q).ok()?;
    Some((r, changes_to_fit(&q).unwrap_or_default()))
}

/// The same question as an `llmem fit` command line (a pasted config is
/// read from a file the reader saves as `config.json`).
pub fn cli_line(model: &str, dev: &str, count: u64, weights: &str, kv: &str, context: u64, batch: u64) -> String {
    format!("llmem fit {model} --device {dev} --count {count} --weights {weights} --kv {kv} --context {context} --batch {batch}")
}

/// What the model search box asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Built-in models whose name or id holds every word typed, best first.
    Presets(Vec<&'static str>),
    /// A Hugging Face repository id (`owner/name`), to fetch from the Hub.
    Hub(String),
    /// Neither: what to tell the reader.
    Nothing(String),
}

/// Reads the search box: a built-in model by part of its name ("qwen3 8b"),
/// else a Hugging Face id (`Qwen/Qwen3-8B`: owner and name of letters,
/// digits, `-`, `_` and `.`, as the Hub allows, at most 96 characters each).
pub fn look_up(text: &str) -> Lookup {
    let text = text.trim();
    if text.is_empty() {
        return Lookup::Nothing("Type a model's name, or a Hugging Face id such as Qwen/Qwen3-8B.".into());
    }
    let words: Vec<String> = text.to_lowercase().split([' ', '/', '_']).filter(|w| !w.is_empty()).map(String::from).collect();
    let found: Vec<&'static str> = llmem_estimator::PRESETS
        .iter()
        .filter(|p| {
            let hay = format!("{} {}", p.id, p.name.to_lowercase());
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .map(|p| p.id)
        .collect();
    // A full id with an owner is the Hub's, even if a preset shares words.
    let part = |s: &str| {
        !s.is_empty() && s.len() <= 96 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && !s.starts_with(['.', '-'])
    };
    match text.split_once('/') {
        Some((owner, name)) if part(owner) && part(name) => Lookup::Hub(text.to_string()),
        Some(_) => Lookup::Nothing(format!(
            "“{}” is not a Hugging Face id: an id is owner/name, such as Qwen/Qwen3-8B.",
            text.chars().take(60).collect::<String>()
        )),
        None if !found.is_empty() => Lookup::Presets(found),
        None => Lookup::Nothing(format!(
            "No built-in model matches “{}”. For any other model, type its Hugging Face id (owner/name).",
            text.chars().take(60).collect::<String>()
        )),
    }
}

/// Where the page says the Hub is (`<meta name="llmem-hub">`, a build
/// setting), else the public Hub.
fn hub_base() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=llmem-hub]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .unwrap_or_else(|| "https://huggingface.co".into())
}

/// Fetches `config.json` of the repository `id` from the Hub's file
/// endpoint (`{hub}/{id}/resolve/main/config.json`; huggingface_hub,
/// `hf_hub_url`), following its redirects, with a message for each way it
/// can fail.
async fn fetch_hub_config(id: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let url = format!("{}/{id}/resolve/main/config.json", hub_base());
    let window = web_sys::window().ok_or("No window to fetch from.")?;
    let offline = || format!("The Hub could not be reached for {id} (offline, or blocked): paste its config.json instead.");
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&url)).await.ok().and_then(|r| r.dyn_into().ok()).ok_or_else(offline)?;
    match response.status() {
        200 => {}
        401 | 403 => {
            return Err(format!(
                "{id} is gated on the Hub: its config needs a signed-in account that accepted the licence. \
                 Paste the config (download it on the Hub while signed in), or pick a built-in model."
            ))
        }
        404 => return Err(format!("The Hub has no model {id}, or it has no config.json: check the spelling.")),
        s => return Err(format!("The Hub answered {s} for {id}; try again later, or paste its config.json.")),
    }
    let text = JsFuture::from(response.text().map_err(|_| offline())?).await.ok().and_then(|t| t.as_string());
    text.ok_or_else(offline)
}

fn url_config(mode: PageMode) -> Option<String> {
    let key = match mode {
        PageMode::Site => "fit.config",
        PageMode::Frame => "config",
        PageMode::Guest => return None,
    };
    let search = web_sys::window()?.location().search().ok()?;
    let v = web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(key)?;
    (v.len() <= MAX_URL_CONFIG).then_some(v)
}

/// A warning when the context is past the length the model's config
/// declares (`max_position_embeddings`), naming the RoPE scaling the config
/// already applies, if any: the memory is still what that length would take.
pub fn context_note(arch: &ModelArch, context: u64) -> Option<String> {
    let max = arch.max_position_embeddings;
    if max == 0 || context <= max || arch.attention_layer_count() == 0 {
        return None;
    }
    let scaling = arch.rope_scaling.as_ref().map_or(String::new(), |r| {
        let factor = r.factor_milli.map_or(String::new(), |f| format!(" by {}×", llmem_estimator::units::trimmed(f as f64 / 1000.0, 3)));
        let from = r.original_context.map_or(String::new(), |o| format!(" from {} tokens", group_thousands(o)));
        format!(" Its config already stretches RoPE ({}){factor}{from} to reach that; going further needs more scaling, which changes quality, not memory.", r.kind)
    });
    Some(format!(
        "Note: {} tokens is past the {} this model's config declares. The memory shown is what that length would take, not a length the model was trained for.{scaling}",
        group_thousands(context),
        group_thousands(max)
    ))
}

/// The "Will it fit?" calculator.
#[component]
pub fn Fit(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let model = RwSignal::new(params.get("model").to_string());
    let dev = RwSignal::new(params.get("device").to_string());
    let count = RwSignal::new(params.u64("count"));
    let weights = RwSignal::new(params.get("weights").to_string());
    let kv = RwSignal::new(params.get("kv").to_string());
    let context = RwSignal::new(params.u64("context"));
    let batch = RwSignal::new(params.u64("batch"));
    let source = RwSignal::new("preset".to_string());
    // The reader's own config, reduced to the fields we read, and its model.
    let custom = RwSignal::new(None::<ReadConfig>);
    // What we put in the paste box (a config from the link or a file). The
    // box is otherwise the reader's: typing is not copied into wasm, and
    // "Use this config" reads it once, checking its length before its text.
    let paste = RwSignal::new(String::new());
    let paste_box = NodeRef::<leptos::html::Textarea>::new();
    let problem = RwSignal::new(None::<String>);
    if let Some(encoded) = url_config(params.mode) {
        match b64::decode(&encoded).and_then(|b| String::from_utf8(b).ok()) {
            Some(text) => leptos::task::spawn_local(async move {
                match accept_config_lazily(text).await {
                    Ok(read) => {
                        paste.set(read.minimal.clone());
                        custom.set(Some(read));
                        source.set("custom".into());
                    }
                    Err(e) => problem.set(Some(format!("The config in this link could not be used. {e}"))),
                }
            }),
            None => problem.set(Some("The config in this link is damaged; the preset is shown instead.".into())),
        }
    }
    let arch = Memo::new(move |_| {
        if source.get() == "custom" {
            custom.with(|c| c.as_ref().map(|c| c.arch.clone()))
        } else {
            preset(&model.get()).and_then(|p| p.arch()).ok()
        }
    });
    let answer = Memo::new(move |_| {
        arch.get()
            .and_then(|a| report(&a, &dev.get(), count.get(), &weights.get(), &kv.get(), context.get(), batch.get()))
    });
    let result = Memo::new(move |_| answer.get().map(|(r, _)| r));
    let url_too_long = Memo::new(move |_| {
        custom.with(|c| c.as_ref().is_some_and(|c| b64::encode(c.minimal.as_bytes()).len() > MAX_URL_CONFIG))
    });
    let (spec, pmode) = (params.spec, params.mode);
    let state = Signal::derive(move || {
        vec![
            ("model", model.get()),
            ("device", dev.get()),
            ("count", count.get().to_string()),
            ("weights", weights.get()),
            ("kv", kv.get()),
            ("context", context.get().to_string()),
            ("batch", batch.get().to_string()),
        ]
    });
    // The pasted config rides in the URL beside the catalogue parameters.
    Effect::new(move |_| {
        crate::params::write_extra(
            spec,
            pmode,
            "config",
            custom.with(|c| {
                c.as_ref()
                    .filter(|_| source.get() == "custom" && !url_too_long.get())
                    .map(|c| b64::encode(c.minimal.as_bytes()))
            }),
        );
    });
    let use_text = move |text: String| {
        leptos::task::spawn_local(async move {
            match accept_config_lazily(text).await {
                Ok(read) => {
                    custom.set(Some(read));
                    source.set("custom".into());
                    problem.set(None);
                }
                // The previous result stays; only the message changes.
                Err(e) => problem.set(Some(e)),
            }
        })
    };
    let use_box = move || {
        let Some(b) = paste_box.get_untracked() else { return };
        // UTF-16 units never outnumber UTF-8 bytes: a box this long is too
        // big whatever it holds, and is refused without copying it.
        let units = u64::from(b.text_length());
        if units > MAX_CONFIG_BYTES as u64 {
            problem.set(Some(format!(
                "That is {} of text; a config.json is at most {} — is this the right file?",
                show(units),
                show(MAX_CONFIG_BYTES as u64)
            )));
        } else {
            use_text(b.value());
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        if file.size() > MAX_CONFIG_BYTES as f64 {
            problem.set(Some(format!(
                "“{}” is {}; a config.json is at most {}.",
                file.name().chars().take(60).collect::<String>(),
                show(file.size() as u64),
                show(MAX_CONFIG_BYTES as u64)
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()) {
                Some(text) => {
                    paste.set(text.clone());
                    use_text(text);
                }
                None => problem.set(Some("That file could not be read as text.".into())),
            }
        });
    };
    // A message belongs to the question it answered: choosing another model
    // or source clears it.
    Effect::new(move |prev: Option<(String, String)>| {
        let now = (model.get(), source.get());
        if prev.is_some_and(|p| p != now) {
            problem.set(None);
        }
        now
    });
    // The search box: a built-in model by name, or any model's config from the Hub.
    let search_box = NodeRef::<leptos::html::Input>::new();
    let search_note = RwSignal::new(None::<String>);
    let searches = StoredValue::new(0u32);
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(b) = search_box.get_untracked() else { return };
        searches.update_value(|n| *n += 1);
        let this = searches.get_value();
        match look_up(&b.value()) {
            Lookup::Presets(found) => {
                let name = |id: &str| preset(id).map_or(id.to_string(), |p| p.name.to_string());
                model.set(found[0].to_string());
                source.set("preset".into());
                problem.set(None);
                search_note.set(Some(match found.len() {
                    1 => format!("Showing the built-in {}.", name(found[0])),
                    n => format!(
                        "Showing the built-in {}; {} more match: {}.",
                        name(found[0]),
                        n - 1,
                        found[1..].iter().map(|id| name(id)).collect::<Vec<_>>().join(", ")
                    ),
                }));
            }
            Lookup::Nothing(why) => {
                search_note.set(None);
                problem.set(Some(why));
            }
            Lookup::Hub(id) => {
                search_note.set(Some(format!("Fetching config.json of {id} from the Hub…")));
                leptos::task::spawn_local(async move {
                    let read = match fetch_hub_config(&id).await {
                        Ok(text) => accept_config_lazily(text).await,
                        Err(e) => Err(e),
                    };
                    // A later search has taken over: this answer is not wanted.
                    if searches.get_value() != this {
                        return;
                    }
                    search_note.set(None);
                    match read {
                        Ok(mut read) => {
                            read.summary = read.summary.replacen("Using your config", &format!("Using {id} from the Hub"), 1);
                            paste.set(read.minimal.clone());
                            custom.set(Some(read));
                            source.set("custom".into());
                            problem.set(None);
                        }
                        Err(e) => problem.set(Some(e)),
                    }
                });
            }
        }
    };
    let weight_options: Vec<(String, String)> =
        WeightFormat::ALL.iter().map(|f| (f.id().to_string(), f.label().to_string())).collect();
    let kv_options: Vec<(String, String)> =
        [Dtype::Bf16, Dtype::Fp16, Dtype::Fp8, Dtype::Int8, Dtype::Int4, Dtype::Fp32]
            .iter()
            .map(|d| (d.id().to_string(), d.label().to_string()))
            .collect();
    let segments = Signal::derive(move || {
        result.get().map_or_else(Vec::new, |r| {
            vec![
                Segment { label: "Weights", bytes: r.weights_bytes, class: "lw-c-weights" },
                Segment { label: "KV cache", bytes: r.kv_bytes, class: "lw-c-kv" },
                Segment { label: "Activations (estimate)", bytes: r.activation_bytes, class: "lw-c-act" },
                Segment { label: "Runtime overhead", bytes: r.overhead_bytes, class: "lw-c-muted" },
            ]
        })
    });
    let scale = Signal::derive(move || result.get().map_or(1, |r| r.total_bytes.max(r.capacity_bytes)));
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || result.get().map(|r| r.formula()));
    let model_id = format!("{uid}-model");
    let cli_id = format!("{uid}-cli");
    let search_id = format!("{uid}-search");
    // A config that failed to read leaves the last good answer on screen,
    // marked as not current.
    let stale = move || problem.with(Option::is_some) && result.with(Option::is_some);
    let paste_id = format!("{uid}-paste");
    let capacity_label = move || {
        let d = device(&dev.get()).ok();
        d.map(|d| format!("{} × {} ({} each, sold as {})", count.get(), d.name, show(d.capacity_bytes), d.marketed))
            .unwrap_or_default()
    };
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-fit" formula
            subtitle="Pick a model — or paste your own config.json — a device and a workload.".into()>
            <form class="lw-search" role="search" on:submit=on_search>
                <label class="lw-label" for=search_id.clone()>"Find a model: part of a built-in model's name, or any Hugging Face id"</label>
                <div class="lw-search-row">
                    <input class="lw-input" type="search" id=search_id node_ref=search_box placeholder="Qwen/Qwen3-8B" spellcheck="false"
                        autocomplete="off" />
                    <button type="submit" class="lw-button">"Find"</button>
                </div>
                <p class="lw-detail lw-search-note" aria-live="polite">{move || search_note.get()}</p>
            </form>
            <div class="lw-controls">
                <Choice name=format!("{uid}-source") legend="Model"
                    options=vec![("preset".into(), "A built-in model".into()), ("custom".into(), "My config.json".into())] value=source />
                <div hidden=move || source.get() != "preset">
                    <Select id=model_id label="Built-in model" options=model_options() value=model />
                </div>
            </div>
            <div class="lw-field lw-paste" hidden=move || source.get() != "custom">
                    <label class="lw-label" for=paste_id.clone()>"Paste a Hugging Face config.json"</label>
                    <textarea class="lw-textarea" id=paste_id rows="6" spellcheck="false" node_ref=paste_box
                        prop:value=move || paste.get()></textarea>
                    <div class="lw-buttons">
                        <button type="button" class="lw-button lw-primary" on:click=move |_| use_box()>"Use this config"</button>
                        <label class="lw-button lw-file">"Upload a file…"
                            <input type="file" accept=".json,application/json" on:change=on_file /></label>
                    </div>
                    <p class="lw-detail">{move || custom.with(|c| c.as_ref().filter(|_| source.get() == "custom").map(|c| c.summary.clone()))}</p>
                    <p class="lw-detail lw-warn">{move || url_too_long.get().then(||
                        "This config is too large to carry in a shareable link; the link keeps every other setting.".to_string())}</p>
            </div>
            <p class="lw-error" role="alert">{move || problem.get()}</p>
            <div class="lw-controls">
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <StepSlider id=format!("{uid}-count") label="Devices" steps=&COUNT_STEPS count=Signal::stored(COUNT_STEPS.len())
                    value=count text=Callback::new(|c: u64| c.to_string()) />
                <Select id=format!("{uid}-weights") label="Weights format" options=weight_options value=weights />
                <Select id=format!("{uid}-kv") label="KV cache dtype" options=kv_options value=kv />
                <StepSlider id=format!("{uid}-context") label="Context length" steps=&CONTEXT_STEPS count=Signal::stored(CONTEXT_STEPS.len())
                    value=context text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
                <StepSlider id=format!("{uid}-batch") label="Concurrent sequences" steps=&BATCH_STEPS count=Signal::stored(BATCH_STEPS.len())
                    value=batch text=Callback::new(|b: u64| b.to_string()) />
            </div>
            // Nothing to draw before a first good answer (a fresh page whose
            // linked or pasted config failed): no empty "0 B" bar.
            <div hidden=move || result.with(|r| r.is_none())>
                <StackedBar label=Signal::derive(move || format!("Needed, against {}", capacity_label())) segments=segments scale=scale
                    capacity=Signal::derive(move || result.get().map_or(0, |r| r.capacity_bytes)) />
            </div>
            <div class="lw-result" aria-live="polite" class:lw-stale=stale>
                {move || stale().then(|| view! {
                    <p class="lw-detail lw-warn lw-stale-note">"Not current: these figures are for the model shown before, not for what was asked above."</p>
                })}
                {move || (result.with(|r| r.is_none()) && source.get() == "custom").then(|| view! {
                    <p class="lw-detail">"No figures yet: use a config that reads, or pick a built-in model."</p>
                })}
                {move || result.get().map(|r| {
                    let verdict = if r.fits {
                        format!("✓ Fits, with {} to spare", show(r.margin_bytes as u64))
                    } else {
                        format!("✗ Does not fit: {} short", show(r.margin_bytes.unsigned_abs() as u64))
                    };
                    view! {
                        <p class="lw-big" class:lw-yes=r.fits class:lw-no=!r.fits>{verdict}</p>
                        <p class="lw-detail lw-fit-needed">{format!("{} needed of {}.", show(r.total_bytes), show(r.capacity_bytes))}</p>
                        <p class="lw-detail">{if r.max_context == 0 { "Even one token of context does not fit at this batch.".to_string() } else {
                            format!("Largest context at this batch: {} tokens. Largest batch at this context: {}.",
                                group_thousands(r.max_context), group_thousands(r.max_batch)) }}</p>
                        <p class="lw-detail">{format!("Decoding runs at most {} tokens/s in all ({} per sequence), the memory-bandwidth ceiling.",
                            fixed(r.decode_tokens_per_s, 0), fixed(r.decode_tokens_per_s / batch.get().max(1) as f64, 0))}</p>
                        {(r.fits && r.margin_bytes * 10 < r.capacity_bytes as i128).then(|| view! {
                            <p class="lw-detail lw-warn">"Less than 10% to spare: a serving engine that keeps a tenth of the memory back (vLLM's default gpu_memory_utilization is 0.9) would not start."</p>
                        })}
                    }
                })}
                {move || answer.with(|a| a.as_ref().filter(|(_, c)| !c.is_empty()).map(|(_, changes)| view! {
                    <div class="lw-changes">
                        <p class="lw-detail">"Any one of these changes makes it fit, from the one that gives up least:"</p>
                        <ol>{changes.iter().map(|c| view! {
                            <li>{c.change.clone()}<span class="lw-num">{format!(" — {} of {}", show(c.report.total_bytes), show(c.report.capacity_bytes))}</span></li>
                        }).collect_view()}</ol>
                    </div>
                }))}
                {move || arch.get().and_then(|a| context_note(&a, context.get())).map(|n| view! { <p class="lw-detail lw-warn">{n}</p> })}
                <p class="lw-detail">"Overhead is the CUDA context and library workspaces, 512 MiB per device; activations are an estimate for 2,048-token prefill chunks. Serving engines also keep a share of memory in reserve."</p>
                <p class="lw-detail lw-cli">
                    <code id=cli_id.clone()>{move || cli_line(
                        &if source.get() == "custom" { "config.json".to_string() } else { model.get() },
                        &dev.get(), count.get(), &weights.get(), &kv.get(), context.get(), batch.get())}</code>" "
                    <button type="button" class="lw-button" data-llmem-copy=cli_id>"Copy as an llmem command"</button>
                </p>
                <p class="lw-detail lw-version">{format!("Computed by the llmem estimator {}.", llmem_estimator::VERSION)}</p>
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama 3.1 8B declares 131,072 tokens, reached by llama3 RoPE scaling
    /// ×8 from 8,192: a million tokens is past it, and the note says both.
    #[test]
    fn context_past_the_declared_length_is_noted() {
        let a = llmem_estimator::presets::preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(context_note(&a, 131_072), None);
        let n = context_note(&a, 1_048_576).unwrap();
        assert!(n.starts_with("Note: 1,048,576 tokens is past the 131,072 this model's config declares."), "{n}");
        assert!(n.contains("RoPE (llama3) by 8× from 8,192 tokens"), "{n}");
    }

    #[test]
    fn configs() {
        let full = preset("llama-3.1-8b").unwrap().config_json();
        let read = accept_config(full).unwrap();
        assert!(read.minimal.len() < full.len());
        assert_eq!(read.arch.param_counts().unwrap().total, 8_030_261_248);
        assert_eq!(
            read.summary,
            "Using your config: llama (32 layers), 8,030,261,248 parameters, GQA (32 query heads, 8 KV heads)."
        );
        assert!(accept_config("").unwrap_err().contains("Paste"));
        assert!(accept_config("{\"model_type\":\"bert\"}").unwrap_err().contains("bert"));
        assert!(accept_config(&"x".repeat(MAX_CONFIG_BYTES + 1)).unwrap_err().contains("at most"));
    }

    #[test]
    fn a_report() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let (r, changes) = report(&a, "rtx-4090", 1, "bf16", "bf16", 8192, 1).unwrap();
        assert!(changes.is_empty());
        assert!(r.fits);
        assert_eq!(r.weights_bytes, 16_060_522_496);
    }
}

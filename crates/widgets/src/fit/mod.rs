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
    catalogue::{self, CatalogueEntry},
    config::MAX_CONFIG_BYTES,
    engines::{
        gguf_layout::FileType,
        llama_cpp::LlamaCppParams,
        parallel::Parallelism,
        serve::{serve, Engine, ServeQuery, ServeReport, VllmOptions, SGLANG_MEM_FRACTION_STATIC},
    },
    fit::{changes_to_fit, will_it_fit, Change, FitQuery, FitReport},
    gguf::GgmlType,
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
/// The price signal's value for no price.
const NO_PRICE: u64 = u64::MAX;
/// Longest config we put in a URL (base64url characters).
pub const MAX_URL_CONFIG: usize = 3000;

/// A reader's config, as the widget keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadConfig {
    /// The config reduced to the fields the estimator reads (what a link carries).
    pub minimal: String,
    pub arch: ModelArch,
    /// `minimal` in base64url, as a link carries it.
    pub encoded: String,
    /// One line saying what was read ("Using your config: qwen3 (36 layers), …").
    /// Written by the reader, so the family table stays in its module.
    pub summary: String,
    /// A checkpoint file whose stored tensors are the weights.
    pub file: Option<StoredFile>,
}

/// A checkpoint file the reader chose: its name and the bytes of every
/// tensor as it stores them (read from its header alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub bytes: u64,
    /// How `llmem fit` names the model and the weights for it (written by
    /// the file reader's module, [`StoredFile::new`]).
    pub cli_model: String,
    pub cli_weights: String,
}

thread_local! {
    /// The tensors of the last GGUF read, by its name and stored bytes: kept
    /// by the file reader's module so that the engine section prices that
    /// very file for llama.cpp ([`engine_report`]). Outside the settings, so
    /// the first load carries none of their code.
    static LAST_GGUF: std::cell::RefCell<Option<(String, u64, Vec<llmem_estimator::safetensors::StoredTensor>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The tensors of `file`, if it is the GGUF read last.
fn gguf_tensors(file: &StoredFile) -> Option<Vec<llmem_estimator::safetensors::StoredTensor>> {
    LAST_GGUF.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(name, bytes, _)| *name == file.name && *bytes == file.bytes)
            .map(|l| l.2.clone())
    })
}

impl StoredFile {
    /// Whether the file is a GGUF (the model of `llmem fit` and `serve`).
    fn is_gguf(&self) -> bool {
        self.cli_weights.is_empty()
    }

    /// The weights a link carries (`stored` bytes, from a file read when the
    /// link was made), for `model` as the command line names it.
    pub fn from_link(bytes: u64, model: &str) -> StoredFile {
        StoredFile {
            name: "the checkpoint file of this link".into(),
            bytes,
            cli_model: model.to_string(),
            cli_weights: format!("--weights-bytes {bytes} "),
        }
    }

    /// A GGUF is the model for `llmem fit`; another checkpoint file is its
    /// `--weights-file` for `model` (a built-in id, or a pasted config saved
    /// as `config.json`).
    pub fn new(name: String, bytes: u64, gguf: bool, model: &str) -> StoredFile {
        let (cli_model, cli_weights) = if gguf {
            (shell_word(&name), String::new())
        } else {
            (model.to_string(), format!("--weights-file {} ", shell_word(&name)))
        };
        StoredFile { name, bytes, cli_model, cli_weights }
    }
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
    let encoded = b64::encode(minimal.as_bytes());
    Ok(ReadConfig { minimal, encoded, arch, summary, file: None })
}

/// The calculator's model: what the config reader's module sets once it has
/// read a config or found a model. Every field is a handle, so the state
/// crosses into that module as a copy.
#[derive(Clone, Copy)]
pub struct ModelState {
    pub model: RwSignal<String>,
    pub source: RwSignal<String>,
    pub custom: RwSignal<Option<ReadConfig>>,
    /// What the text box shows (a config from a link, a file or the Hub).
    pub paste: RwSignal<String>,
    pub problem: RwSignal<Option<String>>,
    /// What a search found or is doing.
    pub note: RwSignal<Option<String>>,
    /// Which search is current: a newer one drops an older answer.
    pub searches: StoredValue<u32>,
}

/// Where a config's text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Pasted or uploaded by the reader.
    Reader,
    /// Carried by the page's link (base64url, still encoded; empty when the
    /// link carries no config), with the bytes of weights a checkpoint file
    /// stored when the link was made (0: none).
    Link(u64),
    /// Fetched from the Hub for this repository.
    Hub(String),
    /// This repository of the built-in catalogue.
    Catalogue(&'static str),
}

/// Reads `text` and applies the result: the config becomes the model, or
/// the message says why not and the previous result stays.
fn apply(state: ModelState, text: &str, origin: Origin) {
    let read = match &origin {
        // Only a file's weights: the built-in model they were read for.
        Origin::Link(stored) if text.is_empty() => {
            match preset(&state.model.get_untracked()).and_then(|p| Ok((p.name, p.arch()?))) {
                Ok((name, arch)) => Ok(ReadConfig {
                    minimal: String::new(),
                    encoded: String::new(),
                    arch,
                    summary: format!("Using {name}'s architecture."),
                    file: Some(StoredFile::from_link(*stored, &state.model.get_untracked())),
                }),
                Err(e) => Err(e.to_string()),
            }
        }
        Origin::Link(stored) => match b64::decode(text).and_then(|b| String::from_utf8(b).ok()) {
            Some(t) => accept_config(&t)
                .map(|mut read| {
                    read.file = (*stored > 0).then(|| StoredFile::from_link(*stored, "config.json"));
                    read
                })
                .map_err(|e| format!("The config in this link could not be used. {e}")),
            None => Err("The config in this link is damaged; the preset is shown instead.".into()),
        },
        _ => accept_config(text),
    };
    match read {
        Ok(mut read) => {
            let from = match &origin {
                Origin::Hub(id) => Some(format!("Using {id} from the Hub")),
                Origin::Catalogue(id) => Some(format!("Using {id} from the built-in catalogue")),
                _ => None,
            };
            if let (Some(from), Some(rest)) = (from, read.summary.strip_prefix("Using your config")) {
                read.summary = format!("{from}{rest}");
            }
            if let Some(f) = &read.file {
                read.summary += &format!(
                    " Weights: {}, as the checkpoint file this link was made from stores them.",
                    show(f.bytes)
                );
            }
            if origin != Origin::Reader {
                state.paste.set(read.minimal.clone());
            }
            // A config too long for a link still works here; the note says so.
            state.note.set((read.encoded.len() > MAX_URL_CONFIG).then(|| {
                "This config is too large to carry in a shareable link; the link keeps every other setting.".to_string()
            }));
            state.custom.set(Some(read));
            state.source.set("custom".into());
            state.problem.set(None);
        }
        Err(e) => {
            // The message is about this attempt; an earlier search's note is not.
            state.note.set(None);
            state.problem.set(Some(e));
        }
    }
}

/// [`apply`] as a split point: with `lazy-config` the config reader (the
/// estimator's family table and parser, a seventh of this widget's wasm)
/// is fetched the first time a reader brings a config of their own.
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(config_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn apply_split(state: ModelState, text: String, origin: Origin) -> Result<(), ReaderNotLoaded> {
    // A config read now wins over a file or a search still in flight.
    state.searches.update_value(|n| *n += 1);
    apply(state, &text, origin);
    Ok(())
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

/// The message when the config reader's module cannot be fetched.
const NOT_LOADED: &str = "The config reader could not be loaded; check the connection and try again.";

/// Reads and applies a config's text, fetching the config reader first where it is split off.
pub fn use_config_text(state: ModelState, text: String, origin: Origin) {
    leptos::task::spawn_local(async move {
        #[cfg(feature = "lazy-config")]
        let done = apply_split(state, text, origin).await;
        #[cfg(not(feature = "lazy-config"))]
        let done = apply_split(state, text, origin);
        if done.is_err() {
            state.problem.set(Some(NOT_LOADED.into()));
        }
    });
}

/// The widget's settings besides the model, as its URL spells them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub dev: String,
    pub count: u64,
    pub weights: String,
    pub kv: String,
    pub context: u64,
    pub batch: u64,
    /// The weights as a checkpoint file stores them, in place of `weights`.
    pub file: Option<StoredFile>,
    /// The serving engine whose allocation is shown too (`none`, or an
    /// [`Engine`] id; the menu's `auto` is resolved by [`engine_for`]).
    pub engine: String,
    /// The price of one device-hour in US cents, for the cost of a million
    /// generated tokens.
    pub price_cents: Option<u64>,
    /// Pipeline stages the engine splits the devices into (each stage a
    /// tensor-parallel group of `count / pp`).
    pub pp: u64,
    /// The model as a command line names it: a built-in model's id, or
    /// `config.json` for a pasted one (saved by the reader under that name).
    pub name: String,
}

impl Settings {
    /// The question these settings ask of `arch` (`None` for a setting no
    /// device or format answers to).
    fn query<'a>(&self, arch: &'a ModelArch) -> Option<FitQuery<'a>> {
        Some(FitQuery {
            arch,
            weights: WeightFormat::parse(&self.weights).ok()?,
            kv: Dtype::parse(&self.kv).ok()?,
            context: self.context,
            batch: self.batch,
            device: device(&self.dev).ok()?,
            device_count: self.count,
            stored_weights: self.file.as_ref().map(|f| f.bytes),
        })
    }

    /// The same question as an `llmem fit` command line for `model` (a
    /// pasted model is read from a file the reader saves as `config.json`;
    /// a GGUF is the model, another checkpoint file the `--weights-file`).
    pub fn cli_line(&self) -> String {
        let Settings { dev, count, weights, kv, context, batch, file, name, .. } = self;
        let (model, weights) = match file {
            None => (name.clone(), format!("--weights {weights} ")),
            Some(f) => (f.cli_model.clone(), f.cli_weights.clone()),
        };
        format!(
            "llmem fit {model} --device {dev} --count {count} {weights}--kv {kv} --context {context} --batch {batch}"
        )
    }

    /// The engine's question as an `llmem serve` command line, which prices
    /// the weights in a format (for llama.cpp, a GGUF file type) and turns
    /// on flash attention where llama.cpp's quantized cache needs it.
    pub fn serve_line(&self) -> String {
        let Settings { dev, count, weights, kv, context, batch, file, engine, name, price_cents, pp } = self;
        let model = file.as_ref().map_or(name, |f| &f.cli_model);
        let llama = engine == "llama.cpp";
        let flash = if llama && (kv == "int8" || kv == "int4") { "--flash-attn on " } else { "" };
        // llama.cpp sizes a GGUF's own tensors; otherwise the weights are a format.
        let weights = if llama && file.as_ref().is_some_and(StoredFile::is_gguf) {
            String::new()
        } else {
            format!("--weights {weights} ")
        };
        // Pipeline stages, each a tensor-parallel group (`--count` must be their product).
        let split = if *pp > 1 { format!("--tp {} --pp {pp} ", count / pp) } else { String::new() };
        let line = format!(
            "llmem serve {model} --engine {engine} {flash}--device {dev} --count {count} {split}{weights}--kv {kv} --context {context} --batch {batch}"
        );
        price_cents.map_or(line.clone(), |c| with_price(&line, c))
    }
}

/// An `llmem serve` line (without a price) with `--gpu-hour-price` for
/// `cents`: the price box writes it into the line as it is typed, from the
/// line without a price that the line's element keeps (`data-line`).
fn with_price(line: &str, cents: u64) -> String {
    format!("{line} --gpu-hour-price {}.{:02}", cents / 100, cents % 100)
}

/// The engine the menu's choice means on a device: `auto` is what people
/// run there ([`Engine::default_for`]: vLLM on a GPU, llama.cpp on a Mac's
/// unified memory or a CPU); any other choice is itself.
pub fn engine_for(choice: &str, dev: &str) -> String {
    match device(dev) {
        Ok(d) if choice == "auto" => Engine::default_for(d).id().to_string(),
        _ => choice.to_string(),
    }
}

/// `word` as one shell word, single-quoted (a quote inside written `'\''`).
fn shell_word(word: &str) -> String {
    let mut out = String::from("'");
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out + "'"
}

/// The report for `arch` at these settings.
pub fn report(arch: &ModelArch, settings: &Settings) -> Option<FitReport> {
    will_it_fit(&settings.query(arch)?).ok()
}

/// An uploaded file, read in the file reader's lazily fetched module (the
/// GGUF and safetensors readers are needed only by a reader who brings a
/// file): a `config.json` is checked for size, read as text and applied; a
/// checkpoint or its index goes to [`read_checkpoint_file`].
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(file_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn read_file_split(state: ModelState, file: web_sys::File) -> Result<Search, ReaderNotLoaded> {
    let lower = file.name().to_ascii_lowercase();
    if !lower.ends_with(".json") || lower.ends_with("index.json") {
        return Ok(read_checkpoint_file(state, file));
    }
    if file.size() > MAX_CONFIG_BYTES as f64 {
        state.problem.set(Some(format!(
            "“{}” is {}; a config.json is at most {}.",
            file.name().chars().take(60).collect::<String>(),
            show(file.size() as u64),
            show(MAX_CONFIG_BYTES as u64)
        )));
        return Ok(Box::pin(async {}));
    }
    Ok(Box::pin(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()) {
            Some(text) => {
                state.paste.set(text.clone());
                apply(state, &text, Origin::Reader);
            }
            None => state.problem.set(Some("That file could not be read as text.".into())),
        }
    }))
}

/// A checkpoint file: a sharded checkpoint's `model.safetensors.index.json`
/// (its `total_size`), or a `.gguf` or `.safetensors` file, of which only
/// the header is read ([`read_header_of`]).
fn read_checkpoint_file(state: ModelState, file: web_sys::File) -> Search {
    if !file.name().to_ascii_lowercase().ends_with(".json") {
        return Box::pin(read_header_of(state, file));
    }
    let limit = llmem_estimator::safetensors::MAX_HEADER;
    let name = file.name();
    let shown: String = name.chars().take(60).collect();
    if file.size() > limit as f64 {
        state.problem.set(Some(format!(
            "“{shown}” is {}; a checkpoint index is at most {}.",
            show(file.size() as u64),
            show(limit)
        )));
        return Box::pin(async {});
    }
    Box::pin(async move {
        let Some(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string())
        else {
            state.problem.set(Some("That file could not be read as text.".into()));
            return;
        };
        match llmem_estimator::safetensors::read_index(&text) {
            Ok(i) => use_stored_weights(
                state,
                name,
                i.total_size,
                None,
                format!("{} tensors in {} shards", group_thousands(i.tensors), i.shards.len()),
            ),
            Err(e) => state.problem.set(Some(format!("“{shown}” cannot be used: {e}."))),
        }
    })
}

/// The first `n` bytes of `file` (`Blob.slice`: the rest is never read).
async fn file_head(file: &web_sys::File, n: u64) -> Option<Vec<u8>> {
    let part = file.slice_with_f64_and_f64(0.0, n as f64).ok()?;
    let buffer = wasm_bindgen_futures::JsFuture::from(part.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Reads a `.gguf` or `.safetensors` file's header, growing the read while
/// the header asks for more (as `llmem inspect` does, [`next_read`]), and
/// never the multi-gigabyte body: every tensor priced at its stored type
/// becomes the weights, and a GGUF's metadata the model.
async fn read_header_of(state: ModelState, file: web_sys::File) {
    use llmem_estimator::safetensors::{next_read, read_checkpoint, NextRead, FIRST_READ};
    let name = file.name();
    let shown: String = name.chars().take(60).collect();
    let len = file.size() as u64;
    // A model chosen or searched for while the file is read wins over it.
    state.searches.update_value(|n| *n += 1);
    let this = state.searches.get_value();
    state.note.set(Some(format!("Reading the header of “{shown}”…")));
    let mut want = len.min(FIRST_READ);
    let head = loop {
        let read = file_head(&file, want).await;
        if state.searches.get_value() != this {
            return;
        }
        let Some(bytes) = read else {
            state.note.set(None);
            state.problem.set(Some(format!("“{shown}” could not be read.")));
            return;
        };
        match next_read(read_checkpoint(&bytes, len), bytes.len() as u64, len) {
            NextRead::Done(head) => break head,
            NextRead::More(n) => want = n,
            NextRead::Fail(why) => {
                state.note.set(None);
                state.problem.set(Some(format!("“{shown}” cannot be used: {why}.")));
                return;
            }
        }
    };
    let s = &head.summary;
    // The stored types, largest first ("Q4_K 4.2 GB, Q6_K 0.8 GB, F32 …").
    let types =
        s.by_type.iter().take(4).map(|t| format!("{} {}", t.dtype, show(t.bytes))).collect::<Vec<_>>().join(", ");
    let detail = format!("{} tensors: {types}", group_thousands(s.tensors.len() as u64));
    match head.config {
        None => {
            // Unpacked tensors count the parameters: a file far from the
            // model's count is likely another model's (or an adapter).
            let packed = s.by_type.iter().any(|t| matches!(t.dtype.as_str(), "I32" | "U32" | "I8" | "U8"));
            let elements = (!packed).then_some(s.elements);
            use_stored_weights(state, name, s.bytes, None, detail + &elements_note(state, elements))
        }
        Some(Ok(config)) => {
            let text = config.to_string();
            match accept_config(&text) {
                Ok(read) => {
                    LAST_GGUF.with(|last| *last.borrow_mut() = Some((name.clone(), s.bytes, s.tensors.clone())));
                    use_stored_weights(state, name, s.bytes, Some((read, text)), detail)
                }
                Err(e) => {
                    state.note.set(None);
                    state.problem.set(Some(format!("“{shown}”: its metadata does not read as a model. {e}")));
                }
            }
        }
        Some(Err(why)) => {
            state.note.set(None);
            state.problem.set(Some(format!(
                "“{shown}” stores {} of weights, but {why}. Paste the model's config.json to size the rest.",
                show(s.bytes)
            )));
        }
    }
}

/// A sentence when a file's `elements` (unpacked tensors) are not within
/// 10% of the parameters of the model on screen, else nothing.
fn elements_note(state: ModelState, elements: Option<u64>) -> String {
    let own = state.custom.get_untracked().filter(|_| state.source.get_untracked() == "custom").map(|c| c.arch);
    let arch = own.or_else(|| preset(&state.model.get_untracked()).ok().and_then(|p| p.arch().ok()));
    let params = arch.and_then(|a| a.param_counts().ok()).map(|c| c.total + c.vision + c.projector);
    match (elements, params) {
        (Some(e), Some(p)) if p > 0 && (e * 10 < p * 9 || e * 10 > p * 11) => format!(
            ". Its {} parameters are not the {} of the model shown: is it this model's file (and not an adapter's, or one shard)?",
            group_thousands(e),
            group_thousands(p)
        ),
        _ => String::new(),
    }
}

/// Makes a file's stored bytes the weights: of the model its own metadata
/// describes (`read`, a GGUF), or of the model on screen (a safetensors
/// file or index names none; the reader's own config if one is shown, else
/// the built-in model, whose link then carries no config of its own).
fn use_stored_weights(state: ModelState, name: String, bytes: u64, read: Option<(ReadConfig, String)>, detail: String) {
    let shown: String = name.chars().take(60).collect();
    // No "Reading…" left behind, whatever happens next.
    state.note.set(None);
    let gguf = read.is_some();
    let (mut config, note) = if let Some((mut read, text)) = read {
        read.summary = match read.summary.strip_prefix("Using your config") {
            Some(rest) => format!("Using {shown}{rest}"),
            None => read.summary,
        };
        state.paste.set(text);
        (read, format!("Read the header of “{shown}”: {detail}. The model is what its metadata describes."))
    } else {
        let own = state.custom.get_untracked().filter(|_| state.source.get_untracked() == "custom");
        let config = match own {
            Some(c) => c,
            None => {
                let Some(p) = preset(&state.model.get_untracked()).ok() else { return };
                let Ok(arch) = p.arch() else { return };
                let summary = format!("Using {}'s architecture.", p.name);
                ReadConfig { minimal: String::new(), encoded: String::new(), arch, summary, file: None }
            }
        };
        // One shard of several holds only part of the weights.
        let shard = name.as_bytes().windows(4).any(|w| w == b"-of-");
        let note = format!(
            "Read the header of “{shown}”: {detail}. A safetensors file does not name its model: the rest is for the model shown{}",
            if shard {
                ". This is one shard of several: choose model.safetensors.index.json for the weights of all of them."
            } else {
                "."
            }
        );
        (config, note)
    };
    // An earlier file's sentence gives way to this one's.
    let base = config.summary.split(" Weights as “").next().unwrap_or_default().to_string();
    config.summary = format!("{base} Weights as “{shown}” stores them: {}.", show(bytes));
    let model = if config.minimal.is_empty() { state.model.get_untracked() } else { "config.json".into() };
    config.file = Some(StoredFile::new(name, bytes, gguf, &model));
    state.custom.set(Some(config));
    state.source.set("custom".into());
    state.problem.set(None);
    state.note.set(Some(note));
}

/// Reads an uploaded file, fetching its reader first where it is split off.
pub fn read_file(state: ModelState, file: web_sys::File) {
    leptos::task::spawn_local(async move {
        #[cfg(feature = "lazy-config")]
        let read = read_file_split(state, file).await;
        #[cfg(not(feature = "lazy-config"))]
        let read = read_file_split(state, file);
        match read {
            Ok(read) => read.await,
            Err(_) => state.problem.set(Some(NOT_LOADED.into())),
        }
    });
}

/// Where the "what would make it fit" list goes, and which question is current.
#[derive(Clone, Copy)]
pub struct ChangesState {
    /// The list's markup (empty when it fits).
    pub markup: RwSignal<String>,
    /// Bumped by every new question; an answer to an older one is dropped.
    pub asked: StoredValue<u32>,
}

/// What the chosen serving engine allocates ([`engine_markup`]), the note
/// on a context past the model's declared length ([`context_note`]) and
/// what would make it fit ([`changes_to_fit`]), as markup written in the
/// config reader's module: each is needed only in its case, and their code
/// (the engines' arithmetic among it) would otherwise weigh on every first
/// visit.
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(config_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn changes_split(out: ChangesState, this: u32, arch: ModelArch, settings: Settings) -> Result<(), ReaderNotLoaded> {
    let markup = changes_markup_for(&arch, &settings);
    if out.asked.get_value() == this {
        out.markup.set(markup);
    }
    Ok(())
}

/// What [`changes_split`] writes for a question: where not even one
/// sequence fits, or little is left, what the engine allocates, the note on
/// a context past the model's declared length and what would make it fit.
fn changes_markup_for(arch: &ModelArch, settings: &Settings) -> String {
    let list = settings.query(arch).and_then(|q| changes_to_fit(&q).ok()).unwrap_or_default();
    // Where not even one sequence fits (the first load writes the largest
    // context and batch otherwise), or it fits with less than a tenth to spare.
    let slim = match settings.query(arch).map(|q| will_it_fit(&q)) {
        Some(Ok(r)) if r.max_context == 0 => {
            "<p class=\"lw-detail\">Even one token of context does not fit at this batch.</p>".to_string()
        }
        Some(Ok(r)) if r.max_batch == 0 => format!(
            "<p class=\"lw-detail\">Largest context at this batch: {} tokens. At this context not even one sequence fits.</p>",
            group_thousands(r.max_context)
        ),
        Some(Ok(r)) if settings.engine == "none" && r.fits && r.margin_bytes * 10 < r.capacity_bytes as i128 => "<p class=\"lw-detail lw-warn\">Less than 10% to spare: a serving engine that keeps a tenth of the memory back (vLLM's default gpu_memory_utilization is 0.9) would not start; choose one under Serving engine to see what it would take.</p>".to_string(),
        _ => String::new(),
    };
    let note = context_note(arch, settings.context).map_or(String::new(), |n| {
        format!("<p class=\"lw-detail lw-warn lw-context-note\">{}</p>", crate::formula::escape(&n))
    });
    slim + &engine_markup(arch, settings) + &note + &changes_markup(&list)
}

/// What the first load shows under the verdict for the widget's default
/// question ([`default_settings`] of the default model, in GB): the
/// markup [`changes_markup_for`] writes for it, kept equal to it by the
/// test `default_answer_is_current` (`LLMEM_BLESS=1` rewrites it). Every
/// first visit asks this question; carrying its answer (about 1.3 KiB
/// gzip) spares it the lazily fetched module with the engines' code.
const DEFAULT_ANSWER: &str = include_str!("default_answer.html");

/// The settings of the catalogue's defaults (`FIT`), the engine resolved:
/// the question [`DEFAULT_ANSWER`] answers.
#[cfg(test)]
fn default_settings() -> Settings {
    let d = |name: &str| llmem_catalog::FIT.param(name).map_or("", |p| p.default);
    let n = |name: &str| d(name).parse::<u64>().unwrap_or(0);
    Settings {
        dev: d("device").into(),
        count: n("count"),
        weights: d("weights").into(),
        kv: d("kv").into(),
        context: n("context"),
        batch: n("batch"),
        file: None,
        engine: engine_for(d("engine"), d("device")),
        name: d("model").into(),
        price_cents: llmem_catalog::cents(d("price")),
        pp: n("pp"),
    }
}

/// The GGUF file type llama.cpp would load for a weights format: the float
/// formats and the two GGUF quantizations llmem lays out; llama.cpp runs
/// none of the GPU quantization formats (GPTQ, AWQ, FP8, bitsandbytes).
fn llama_file_type(weights: &str) -> Result<FileType, String> {
    match weights {
        "fp32" | "fp16" | "bf16" | "q8_0" | "q4_k_m" => FileType::parse(weights).map_err(|e| e.to_string()),
        _ => Err("llama.cpp loads GGUF files: choose FP32, FP16, BF16, GGUF Q8_0 or GGUF Q4_K_M weights".into()),
    }
}

/// llama.cpp's cache type (`--cache-type-k/v`) for a KV cache dtype: its
/// 8- and 4-bit caches are the blocks `q8_0` and `q4_0` (34 and 18 bytes
/// per 32 values, `ggml/src/ggml-common.h`); it has no FP8 cache.
fn llama_cache_type(kv: &str) -> Result<GgmlType, String> {
    Ok(match kv {
        "fp32" => GgmlType::F32,
        "fp16" => GgmlType::F16,
        "bf16" => GgmlType::Bf16,
        "int8" => GgmlType::Q8_0,
        "int4" => GgmlType::Q4_0,
        _ => return Err("llama.cpp has no FP8 KV cache; its 8-bit cache is q8_0 (choose INT8)".into()),
    })
}

/// What `settings.engine` would allocate to serve `arch` at these settings
/// (`None` for no engine): the same question as the command line's
/// `llmem serve` — `count` GPUs as tensor-parallel ranks, each engine's
/// defaults (vLLM's `gpu_memory_utilization` 0.9 and 16-token blocks,
/// SGLang's `mem_fraction_static`, llama.cpp with every layer on the GPU and
/// flash attention where its quantized cache needs it).
pub fn engine_report(arch: &ModelArch, settings: &Settings) -> Option<Result<ServeReport, String>> {
    engine_report_with(arch, settings, u64::MAX)
}

/// [`engine_report`] with llama.cpp's `--n-gpu-layers` (every layer and the
/// output layer for `u64::MAX`).
fn engine_report_with(arch: &ModelArch, settings: &Settings, n_gpu_layers: u64) -> Option<Result<ServeReport, String>> {
    let engine = Engine::parse(&settings.engine).ok()?;
    let llama = engine == Engine::LlamaCpp;
    let answer = (|| {
        let dev = device(&settings.dev).map_err(|e| e.to_string())?;
        if dev.is_cpu() && !llama {
            return Err(format!("{} needs a GPU; on a CPU choose llama.cpp", engine.label()));
        }
        if settings.pp == 0 || settings.count % settings.pp != 0 {
            return Err(format!(
                "{} devices do not split into {} pipeline stages: choose a number of stages that divides the devices",
                settings.count, settings.pp
            ));
        }
        if llama && settings.count > 1 {
            return Err(
                "llmem models llama.cpp on one device; choose one device, or vLLM or SGLang for several GPUs".into()
            );
        }
        // A GGUF file's own tensors, for llama.cpp; else a file type laid out.
        let tensors = settings.file.as_ref().filter(|_| llama).and_then(gguf_tensors);
        let (gguf, cache) = match (llama, &tensors) {
            (true, Some(_)) => (FileType::F16, llama_cache_type(&settings.kv)?),
            (true, None) => (llama_file_type(&settings.weights)?, llama_cache_type(&settings.kv)?),
            (false, _) => (FileType::F16, GgmlType::F16),
        };
        let q = ServeQuery {
            arch,
            engine,
            device: dev,
            parallel: Parallelism { tp: settings.count / settings.pp, pp: settings.pp, expert_parallel: false },
            weights: WeightFormat::parse(&settings.weights).map_err(|e| e.to_string())?,
            gguf,
            gguf_file: tensors.as_deref(),
            kv: Dtype::parse(&settings.kv).map_err(|e| e.to_string())?,
            context: settings.context,
            batch: settings.batch,
            vllm: VllmOptions::default(),
            sglang_mem_fraction: SGLANG_MEM_FRACTION_STATIC,
            llama: LlamaCppParams {
                n_gpu_layers,
                flash_attn: cache.is_quantized(),
                type_k: cache,
                type_v: cache,
                ..LlamaCppParams::default()
            },
        };
        serve(&q).map_err(|e| e.to_string())
    })();
    Some(answer)
}

/// [`engine_report`] as markup under its own heading (empty for no
/// engine), with a word on a checkpoint file's weights, which the engine's
/// figures price in the chosen format.
fn engine_markup(arch: &ModelArch, settings: &Settings) -> String {
    let Some(report) = engine_report(arch, settings) else { return String::new() };
    let label = Engine::parse(&settings.engine).map_or("", |e| e.label());
    let capacity = device(&settings.dev).map_or(0, |d| d.gpu_budget_bytes());
    let file = settings.file.as_ref().map_or(String::new(), |f| {
        let name = crate::formula::escape(&f.name);
        if label == "llama.cpp" && gguf_tensors(f).is_some() {
            format!("<p class=\"lw-detail\">llama.cpp's model buffer is {name} itself: its tensors as stored, placed by layer.</p>")
        } else {
            format!(
                "<p class=\"lw-detail\">The engine's figures price the weights as {}, not as {name} stores them.</p>",
                crate::formula::escape(WeightFormat::parse(&settings.weights).map_or("chosen", |w| w.label()))
            )
        }
    });
    let offload = partial_offload(arch, settings, &report).unwrap_or_default();
    let esc = crate::formula::escape;
    let unpriced = Settings { price_cents: None, ..settings.clone() };
    let line = format!(
        "<p class=\"lw-detail lw-cli\"><code id=\"lw-serve-line\" data-line=\"{}\">{}</code> <button type=\"button\" class=\"lw-button\" data-llmem-copy=\"lw-serve-line\">Copy as an llmem serve command</button></p>",
        esc(&unpriced.serve_line()),
        esc(&settings.serve_line())
    );
    let fits = report.as_ref().is_ok_and(|r| r.fits);
    format!("<h3 class=\"lw-engine-head\">What {label} allocates</h3><p class=\"lw-detail\">The verdict above counts the tensors alone; this is what {label} itself would take.</p>{file}")
        + &crate::engine_answer::answer_markup(Some(report), settings.context, capacity)
        + &offload
        + &if fits { speed_markup(arch, settings) } else { String::new() }
        + &line
}

/// The cost sentence for a price of `cents` per GPU-hour, given what a
/// million generated tokens cost at $1 per GPU-hour at the fastest and the
/// slowest speed considered, in millionths of a dollar (integers, so the
/// first load reads them from the box's attributes without a float parser):
/// the cost is proportional to the price.
fn cost_text(cents: u64, fast: u64, slow: u64) -> String {
    let money = |per_dollar: u64| format!("${}", fixed(cents as f64 * per_dollar as f64 * 1e-8, 2));
    let range =
        if fast == slow { format!("at least {}", money(fast)) } else { format!("{}–{}", money(fast), money(slow)) };
    format!("{range} per million generated tokens.")
}

/// What typing in a price box does, in the lazily fetched module (the box
/// is in markup written there, or in the default answer the first load
/// carries): the price goes to the widget's settings — its link and Embed
/// snippet — and the cost and the `llmem serve` line beside it are
/// rewritten in place, the box keeping its focus. Events from inside a
/// shadow root are retargeted, so the box is the first element of the
/// event's path.
fn on_price_input(ev: &web_sys::Event, price: RwSignal<u64>) {
    let Some(input) = ev.composed_path().get(0).dyn_into::<web_sys::HtmlInputElement>().ok() else { return };
    if input.has_attribute("data-llmem-price") {
        leptos::task::spawn_local(async move {
            #[cfg(feature = "lazy-config")]
            let _ = price_split(input, price).await;
            #[cfg(not(feature = "lazy-config"))]
            let _ = price_split(input, price);
        });
    }
}

/// [`on_price_input`]'s work on the box.
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(config_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn price_split(input: web_sys::HtmlInputElement, price: RwSignal<u64>) -> Result<(), ReaderNotLoaded> {
    let number = |name: &str| input.get_attribute(name).and_then(|v| v.parse::<u64>().ok());
    let value = input.value_as_number();
    let cents = (value.is_finite() && (0.0..=10_000.0).contains(&value)).then(|| (value * 100.0).round() as u64);
    price.set(cents.unwrap_or(NO_PRICE));
    let text = match (cents, number("data-fast"), number("data-slow")) {
        (Some(c), Some(fast), Some(slow)) => cost_text(c, fast, slow),
        _ => "Enter a price from $0 to $10,000 to see the cost per million generated tokens.".to_string(),
    };
    if let Some(out) = input.next_element_sibling() {
        out.set_text_content(Some(&text));
    }
    let line =
        input.closest(".lw-changes").ok().flatten().and_then(|c| c.query_selector("#lw-serve-line").ok().flatten());
    if let Some(line) = line {
        let text = line.get_attribute("data-line").unwrap_or_default();
        line.set_text_content(Some(&cents.map_or(text.clone(), |c| with_price(&text, c))));
    }
    Ok(())
}

/// Speed and cost with the chosen engine ([`llmem_estimator::speed`]): the
/// decode ceiling, the band measured runs of the engine reach (or that none
/// is on record), the first token's lower bound, and a box for a price per
/// GPU-hour whose cost [`on_price_input`] writes.
fn speed_markup(arch: &ModelArch, settings: &Settings) -> String {
    let Ok(engine) = Engine::parse(&settings.engine) else { return String::new() };
    let Some(q) = settings.query(arch) else { return String::new() };
    let Ok(s) = llmem_estimator::speed::speed(&q, Some(engine), Some(1.0)) else { return String::new() };
    let esc = crate::formula::escape;
    let tps = |v: f64| group_thousands(v.round() as u64);
    let per_seq = settings.batch.max(1) as f64;
    let mut html = format!(
        "<h4>Speed and cost</h4><p class=\"lw-detail lw-speed\">Decoding runs at most {} tokens/s in all ({} per sequence), the {} ceiling{}. ",
        tps(s.ceiling_tokens_per_s),
        tps(s.ceiling_tokens_per_s / per_seq),
        if s.memory_bound { "memory-bandwidth" } else { "compute" },
        if settings.count > 1 { " with ideal tensor parallelism" } else { "" }
    );
    html += &match &s.band {
        Some(b) => format!(
            "Measured {} runs reached {}–{}% of their ceilings (single-stream token generation: {}), so expect about {}–{} tokens/s.</p>",
            engine.label(),
            fixed(b.low_efficiency * 100.0, 0),
            fixed(b.high_efficiency * 100.0, 0),
            // Each run as "device: address", without the source's details.
            esc(&b
                .runs
                .iter()
                .map(|r| r.split_once(": ").map_or(r.clone(), |(d, src)| format!("{d}: {}", src.split(" (").next().unwrap_or(src))))
                .collect::<Vec<_>>()
                .join("; ")),
            tps(b.low_tokens_per_s),
            tps(b.high_tokens_per_s)
        ),
        None => format!(
            "No measured {} run is on record here to bound it from below: real decoding is slower than this by a margin llmem does not guess.</p>",
            engine.label()
        ),
    };
    html += &format!(
        "<p class=\"lw-detail\">The first token after a prompt of {} tokens takes at least {} s ({}).</p>",
        group_thousands(settings.context),
        fixed(s.first_token_seconds, 3),
        if s.first_token_at_peak {
            "its FLOPs at the device's peak"
        } else {
            "no published peak: its bytes at the bandwidth"
        }
    );
    if let Some((fast, slow)) = s.cost_per_million {
        let (fast, slow) = ((fast * 1e6).round() as u64, (slow * 1e6).round() as u64);
        let (value, said) = match settings.price_cents {
            Some(c) => (format!("{}.{:02}", c / 100, c % 100), cost_text(c, fast, slow)),
            None => (String::new(), "Enter a price to see the cost per million generated tokens.".to_string()),
        };
        html += &format!(
            "<p class=\"lw-detail lw-cost\"><label for=\"lw-price\">Price per GPU-hour, US$</label> <input id=\"lw-price\" class=\"lw-textarea\" type=\"number\" min=\"0\" max=\"10000\" step=\"0.01\" inputmode=\"decimal\" value=\"{value}\" data-llmem-price data-fast=\"{fast}\" data-slow=\"{slow}\"> <output for=\"lw-price\" aria-live=\"polite\">{}</output></p>",
            esc(&said)
        );
    }
    html
}

/// When llama.cpp does not fit a discrete GPU with every layer on it, the
/// most layers that do (`--n-gpu-layers`, the rest left in host RAM and run
/// by the CPU backend: [`llmem_estimator::engines::llama_cpp`]'s split,
/// checked against llama.cpp), as a paragraph of markup.
fn partial_offload(arch: &ModelArch, settings: &Settings, all: &Result<ServeReport, String>) -> Option<String> {
    let dev = device(&settings.dev).ok()?;
    let full = all.as_ref().ok()?;
    if full.fits || full.engine != Engine::LlamaCpp || dev.is_unified() || dev.is_cpu() {
        return None;
    }
    // Layers are offloaded from the last; the count one past them also takes
    // the output layer. The GPU's share only grows with the count, so the
    // most that fit is found by bisection (a handful of reports, not one
    // per layer).
    let fits = |n| engine_report_with(arch, settings, n)?.ok().filter(|r| r.fits);
    let (mut lo, mut hi, mut best) = (0, arch.num_layers, None);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match fits(mid) {
            Some(r) => {
                best = Some(r);
                lo = mid;
            }
            None => hi = mid - 1,
        }
    }
    let (n, r) = (lo, best?);
    let gpu = r.gpus.first()?;
    Some(format!(
        "<p class=\"lw-detail lw-offload\">It runs with part of the model on the GPU: with <code>--n-gpu-layers {n}</code> ({n} of {} layers) the GPU holds {} of its {} and host RAM holds {}, the other layers' weights and cache, run by the CPU at the host's memory bandwidth — each token then waits mostly on the CPU side (see the offload figure in the hardware article).</p>",
        arch.num_layers,
        show(gpu.total_bytes),
        show(gpu.capacity_bytes),
        show(r.host_bytes),
    ))
}

/// [`changes_split`], fetching its module first where it is split off (no
/// list if it cannot be fetched: the verdict stands without it).
pub fn show_changes(out: ChangesState, this: u32, arch: ModelArch, settings: Settings) {
    leptos::task::spawn_local(async move {
        #[cfg(feature = "lazy-config")]
        let _ = changes_split(out, this, arch, settings).await;
        #[cfg(not(feature = "lazy-config"))]
        let _ = changes_split(out, this, arch, settings);
    });
}

/// What the model search box asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Built-in models whose name or id holds every word typed, best first.
    Presets(Vec<&'static str>),
    /// Repositories of the built-in catalogue ([`llmem_estimator::catalogue`]):
    /// the id typed, or those holding every word typed, in catalogue order.
    Catalogue(Vec<&'static CatalogueEntry>),
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
    let words: Vec<String> =
        text.to_ascii_lowercase().split([' ', '/', '_']).filter(|w| !w.is_empty()).map(String::from).collect();
    let found: Vec<&'static str> = llmem_estimator::PRESETS
        .iter()
        .filter(|p| {
            let hay = format!("{} {}", p.id, p.name.to_ascii_lowercase());
            // Byte windows rather than `str::contains`, whose two-way
            // searcher (and its panic paths) would join the bundle.
            words.iter().all(|w| hay.as_bytes().windows(w.len()).any(|x| x == w.as_bytes()))
        })
        .map(|p| p.id)
        .collect();
    // A full id with an owner is the Hub's, even if a preset shares words.
    let part = |s: &str| {
        !s.is_empty()
            && s.len() <= 96
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && !s.starts_with(['.', '-'])
    };
    match text.split_once('/') {
        // A catalogue id is answered offline (gated repositories included).
        Some(_) if catalogue::find(text).is_some() => Lookup::Catalogue(catalogue::find(text).into_iter().collect()),
        Some((owner, name)) if part(owner) && part(name) => Lookup::Hub(text.to_string()),
        Some(_) => Lookup::Nothing(format!(
            "“{}” is not a Hugging Face id: an id is owner/name, such as Qwen/Qwen3-8B.",
            text.chars().take(60).collect::<String>()
        )),
        None if !found.is_empty() => Lookup::Presets(found),
        None if !catalogue::search(&words).is_empty() => Lookup::Catalogue(catalogue::search(&words)),
        None => Lookup::Nothing(format!(
            "No built-in model matches “{}”. For any other model, type its Hugging Face id (owner/name).",
            text.chars().take(60).collect::<String>()
        )),
    }
}

/// The "what would make it fit" list as markup, sizes in the reader's units.
fn changes_markup(changes: &[Change]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let items: String = changes
        .iter()
        .map(|c| {
            format!(
                "<li>{}<span class=\"lw-num\"> — {} of {}</span></li>",
                crate::formula::escape(&c.change),
                show(c.report.total_bytes),
                show(c.report.capacity_bytes)
            )
        })
        .collect();
    format!("<p class=\"lw-detail\">Any one of these changes makes it fit, from the one that gives up least:</p><ol>{items}</ol>")
}

/// The formula panel's markup, written in the config reader's module (see
/// [`crate::formula::FormulaPanel`]).
#[cfg(feature = "lazy-config")]
#[wasm_split_helpers::wasm_split(config_reader, fallible)]
#[allow(clippy::unnecessary_wraps)]
fn formula_markup_split(f: llmem_estimator::formula::Formula) -> Result<String, ReaderNotLoaded> {
    Ok(crate::formula::markup(&f))
}

/// [`formula_markup_split`], fetching its module first.
#[cfg(feature = "lazy-config")]
pub async fn formula_markup_lazily(f: llmem_estimator::formula::Formula) -> String {
    formula_markup_split(f).await.unwrap_or_else(|_| {
        "<p>The formula could not be loaded; check the connection and open it again.</p>".to_string()
    })
}

/// A search, run to its end.
pub type Search = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// A search for a model by name or Hugging Face id ([`look_up`]), run in
/// the config reader's module: a built-in model is shown, a Hub id's config
/// fetched and read, and anything else explained. Its code (the matching,
/// the fetch, every message) need not weigh on a first visit.
#[cfg_attr(feature = "lazy-config", wasm_split_helpers::wasm_split(config_reader, fallible))]
#[allow(clippy::unnecessary_wraps)]
fn find_split(state: ModelState, text: Result<String, u32>) -> Result<Search, ReaderNotLoaded> {
    state.searches.update_value(|n| *n += 1);
    let this = state.searches.get_value();
    let text = match text {
        Ok(text) => text,
        Err(units) => {
            state.problem.set(Some(format!(
                "That is {} of text; a config.json is at most {} — is this the right file?",
                show(u64::from(units)),
                show(MAX_CONFIG_BYTES as u64)
            )));
            return Ok(Box::pin(async {}));
        }
    };
    // A config starts as JSON does; anything else is a name or an id.
    if text.trim_start().starts_with(['{', '[']) {
        apply(state, &text, Origin::Reader);
        return Ok(Box::pin(async {}));
    }
    let current = move || state.searches.get_value() == this;
    let name = |id: &str| preset(id).map_or(id.to_string(), |p| p.name.to_string());
    match look_up(&text) {
        Lookup::Presets(found) => {
            state.model.set(found[0].to_string());
            state.source.set("preset".into());
            state.problem.set(None);
            state.note.set(Some(match found.len() {
                1 => format!("Showing the built-in {}.", name(found[0])),
                n => format!(
                    "Showing the built-in {}; {} more match: {}.",
                    name(found[0]),
                    n - 1,
                    found[1..].iter().map(|id| name(id)).collect::<Vec<_>>().join(", ")
                ),
            }));
        }
        Lookup::Catalogue(found) => {
            let text = found[0].config().to_string();
            apply(state, &text, Origin::Catalogue(found[0].id));
            // More than one repository matched: name a few of the others.
            if found.len() > 1 {
                let others: Vec<&str> = found[1..].iter().take(5).map(|e| e.id).collect();
                let more = if found.len() > 6 { format!(" and {} more", found.len() - 6) } else { String::new() };
                state.note.set(Some(format!(
                    "{} repositories match; showing {}. Others: {}{more}.",
                    found.len(),
                    found[0].id,
                    others.join(", ")
                )));
            }
        }
        Lookup::Nothing(why) => {
            state.note.set(None);
            state.problem.set(Some(why));
        }
        Lookup::Hub(id) => {
            state.note.set(Some(format!("Fetching config.json of {id} from the Hub…")));
            return Ok(Box::pin(async move {
                let fetched = fetch_hub_config(&id).await;
                if !current() {
                    return;
                }
                state.note.set(None);
                match fetched {
                    Ok(text) => apply(state, &text, Origin::Hub(id)),
                    Err(e) => state.problem.set(Some(e)),
                }
            }));
        }
    }
    Ok(Box::pin(async {}))
}

/// Reads what the box holds — a config, or a name or id to search for
/// (`Err`: its length in UTF-16 units, too long to be either, refused
/// without copying it) — fetching the config reader's module first where
/// it is split off.
pub fn find_model(state: ModelState, text: Result<String, u32>) {
    leptos::task::spawn_local(async move {
        #[cfg(feature = "lazy-config")]
        let search = find_split(state, text).await;
        #[cfg(not(feature = "lazy-config"))]
        let search = find_split(state, text);
        match search {
            Ok(search) => search.await,
            Err(_) => state.problem.set(Some(NOT_LOADED.into())),
        }
    });
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
    let offline =
        || format!("The Hub could not be reached for {id} (offline, or blocked): paste its config.json instead.");
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
    let engine = RwSignal::new(params.get("engine").to_string());
    // In cents, or NO_PRICE (a signal of a type the widget already has).
    let price = RwSignal::new(llmem_catalog::cents(params.get("price")).unwrap_or(NO_PRICE));
    let pp = RwSignal::new(params.get("pp").to_string());
    let source = RwSignal::new("preset".to_string());
    // The reader's own config, reduced to the fields we read, and its model.
    let custom = RwSignal::new(None::<ReadConfig>);
    // What we put in the paste box (a config from the link or a file). The
    // box is otherwise the reader's: typing is not copied into wasm, and
    // "Use" reads it once, checking its length before its text.
    let paste = RwSignal::new(String::new());
    let paste_box = NodeRef::<leptos::html::Textarea>::new();
    let problem = RwSignal::new(None::<String>);
    let search_note = RwSignal::new(None::<String>);
    let models =
        ModelState { model, source, custom, paste, problem, note: search_note, searches: StoredValue::new(0u32) };
    // A link's config, or a script embed's `data-config`.
    let given = match params.mode {
        PageMode::Guest => params.config_attr.clone().filter(|v| v.len() <= MAX_URL_CONFIG),
        mode => url_config(mode),
    };
    // A file's weights ride in the link as their bytes.
    let stored = params.u64("stored");
    if given.is_some() || stored > 0 {
        use_config_text(models, given.unwrap_or_default(), Origin::Link(stored));
    }
    // The reader's own model once one has been read; until then (or after
    // a config that failed) the built-in one stays on screen.
    let own = move || source.get() == "custom" && custom.with(Option::is_some);
    // A checkpoint file's weights, while its model is shown.
    let file_now = move || custom.with(|c| c.as_ref().and_then(|c| c.file.clone())).filter(|_| own());
    let arch = Memo::new(move |_| {
        if own() {
            custom.with(|c| c.as_ref().map(|c| c.arch.clone()))
        } else {
            preset(&model.get()).and_then(|p| p.arch()).ok()
        }
    });
    let settings = move || Settings {
        dev: dev.get(),
        count: count.get(),
        weights: weights.get(),
        kv: kv.get(),
        context: context.get(),
        batch: batch.get(),
        file: file_now(),
        engine: engine_for(&engine.get(), &dev.get()),
        name: if own() { "config.json".to_string() } else { model.get() },
        // Read, not tracked: typing a price rewrites its sentence in place
        // (`on_price_input`), not the whole answer with the box in it.
        price_cents: Some(price.get_untracked()).filter(|c| *c != NO_PRICE),
        pp: pp.get().parse().unwrap_or(1),
    };
    let result = Memo::new(move |_| arch.get().and_then(|a| report(&a, &settings())));
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
            ("engine", engine.get()),
            ("pp", pp.get()),
            (
                "price",
                match price.get() {
                    NO_PRICE => "none".into(),
                    c => format!("{}.{:02}", c / 100, c % 100),
                },
            ),
            ("stored", file_now().map_or(0, |f| f.bytes).to_string()),
        ]
        .into_iter()
        // The reader's own model goes wherever the settings go: the Embed
        // panel's snippets (as `data-config` and `?config=`) and the link.
        .chain(custom.with(|c| {
            c.as_ref()
                .filter(|c| source.get() == "custom" && (1..=MAX_URL_CONFIG).contains(&c.encoded.len()))
                .map(|c| ("config", c.encoded.clone()))
        }))
        .collect::<Vec<_>>()
    });
    // What would make it fit, when it does not: computed in the lazily
    // fetched module; a newer question drops an older answer.
    let changes = ChangesState { markup: RwSignal::new(String::new()), asked: StoredValue::new(0u32) };
    crate::erased::effect(move || {
        changes.asked.update_value(|n| *n += 1);
        let this = changes.asked.get_value();
        // The list's sizes are written in the reader's units.
        let decimal = crate::units::units().get() == llmem_estimator::units::UnitSystem::Decimal;
        // Asked for when it does not fit or fits with less than a tenth to
        // spare, when the context is past what the model declares, or for
        // an engine (each writes its note there).
        let settings = settings();
        let serving = settings.engine != "none";
        let Some(a) = result.get().and_then(|r| {
            arch.get_untracked().filter(|a| {
                serving
                    || r.margin_bytes * 10 < r.capacity_bytes as i128
                    || context.get_untracked() > a.max_position_embeddings
            })
        }) else {
            changes.markup.set(String::new());
            return;
        };
        // The question every first visit asks is answered without fetching
        // the engines' code.
        // (Its settings are the catalogue's defaults; read, not tracked: the
        // price is among them, and typing one rewrites only its sentence.)
        let asked_first =
            state.with_untracked(|s| s.iter().all(|(k, v)| spec.param(k).is_some_and(|p| p.default == v)));
        if decimal && !own() && asked_first {
            changes.markup.set(DEFAULT_ANSWER.to_string());
            return;
        }
        show_changes(changes, this, a, settings);
    });
    // The pasted config rides in the URL beside the catalogue parameters
    // (and leaves it when the reader goes back to a built-in model).
    crate::erased::effect(move || {
        crate::params::write_extra(
            spec,
            pmode,
            "config",
            custom.with(|c| {
                c.as_ref()
                    .filter(|c| source.get() == "custom" && (1..=MAX_URL_CONFIG).contains(&c.encoded.len()))
                    .map(|c| c.encoded.clone())
            }),
        );
    });
    let use_box = move || {
        let Some(b) = paste_box.get_untracked() else { return };
        // UTF-16 units never outnumber UTF-8 bytes: a box this long is too
        // big whatever it holds, and is refused without copying it.
        let units = b.text_length();
        find_model(models, if units as usize > MAX_CONFIG_BYTES { Err(units) } else { Ok(b.value()) });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_file(models, file);
        }
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
    let weight_options: Vec<(String, String)> =
        WeightFormat::ALL.iter().map(|f| (f.id().to_string(), f.label().to_string())).collect();
    let engine_options: Vec<(String, String)> = [
        ("auto", "Usual for the device"),
        ("none", "None: the tensors alone"),
        ("vllm", "vLLM"),
        ("sglang", "SGLang"),
        ("llama.cpp", "llama.cpp"),
        ("transformers", "transformers"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let pp_options: Vec<(String, String)> = [("1", "1: tensor parallel only"), ("2", "2"), ("4", "4"), ("8", "8")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
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
            subtitle="Pick a model — built in, by name, or from your own config.json or checkpoint file — a device and a workload.".into()>
            <div class="lw-controls">
                <Choice name=format!("{uid}-source") legend="Model"
                    options=vec![("preset".into(), "A built-in model".into()), ("custom".into(), "Any other model".into())] value=source />
                <div hidden=move || source.get() != "preset">
                    <Select id=model_id label="Built-in model" options=model_options() value=model />
                </div>
            </div>
            // A file dropped on the box is read as one chosen with the button
            // (embed.js hands it to the file input: `data-llmem-drop`).
            <div class="lw-field lw-paste" hidden=move || source.get() != "custom" data-llmem-drop="">
                    <label class="lw-label" for=paste_id.clone()>"Type its Hugging Face id (Qwen/Qwen3-8B) or part of its name, or paste its config.json"</label>
                    <textarea class="lw-textarea" id=paste_id rows="4" spellcheck="false" node_ref=paste_box
                        prop:value=move || paste.get()></textarea>
                    <div class="lw-buttons">
                        <button type="button" class="lw-button lw-primary" on:click=move |_| use_box()>"Use"</button>
                        <label class="lw-button lw-file">"Open a config.json, .gguf or .safetensors…"
                            <input type="file" accept=".json,.gguf,.safetensors,application/json" on:change=on_file /></label>
                    </div>
                    <p class="lw-detail">{move || custom.with(|c| c.as_ref().filter(|_| source.get() == "custom").map(|c| c.summary.clone()))}</p>
            </div>
            // What a search found or is doing (visible whichever model is shown).
            <p class="lw-detail lw-search-note" aria-live="polite">{move || search_note.get()}</p>
            <p class="lw-error" role="alert">{move || problem.get()}</p>

            <div class="lw-controls">
                <Select id=format!("{uid}-device") label="Device" options=device_options() value=dev />
                <StepSlider id=format!("{uid}-count") label="Devices" steps=&COUNT_STEPS count=Signal::stored(COUNT_STEPS.len())
                    value=count text=Callback::new(|c: u64| c.to_string()) />
                // Hidden by the stylesheet while a file's weights are used (.lw-file-note).
                <Select id=format!("{uid}-weights") label="Weights format" options=weight_options value=weights />
                <Select id=format!("{uid}-kv") label="KV cache dtype" options=kv_options value=kv />
                <StepSlider id=format!("{uid}-context") label="Context length" steps=&CONTEXT_STEPS count=Signal::stored(CONTEXT_STEPS.len())
                    value=context text=Callback::new(|c: u64| format!("{} tokens", format_tokens(c))) />
                <StepSlider id=format!("{uid}-batch") label="Concurrent sequences" steps=&BATCH_STEPS count=Signal::stored(BATCH_STEPS.len())
                    value=batch text=Callback::new(|b: u64| b.to_string()) />
                <Select id=format!("{uid}-engine") label="Serving engine" options=engine_options value=engine />
                // Only an engine splits the devices into stages.
                <div hidden=move || engine.get() == "none">
                    <Select id=format!("{uid}-pp") label="Pipeline stages" options=pp_options value=pp />
                </div>
            </div>
            <StackedBar label=Signal::derive(move || format!("Needed, against {}", capacity_label())) segments=segments scale=scale
                capacity=Signal::derive(move || result.get().map_or(0, |r| r.capacity_bytes)) />
            <div class="lw-result" aria-live="polite">
            <div inner_html=move || {
                let esc = crate::formula::escape;
                let mut html = String::new();
                let p = |class: &str, text: &str| format!("<p class=\"lw-detail{class}\">{}</p>", esc(text));
                if stale() {
                    html += &p(" lw-warn lw-stale-note", "Not current: these figures are for the model shown before, not for what was asked above.");
                }
                match result.get() {
                    None => {}
                    Some(r) => {
                        html += &if r.fits {
                            format!("<p class=\"lw-big lw-yes\">✓ Fits, with {} to spare</p>", esc(&show(r.margin_bytes as u64)))
                        } else {
                            format!("<p class=\"lw-big lw-no\">✗ Does not fit: {} short</p>", esc(&show(r.margin_bytes.unsigned_abs() as u64)))
                        };
                        html += &p(" lw-fit-needed", &format!("{} needed of {}.", show(r.total_bytes), show(r.capacity_bytes)));
                        // (Where not even one sequence fits, the lazily fetched
                        // module says so: it is fetched for what does not fit.)
                        if r.max_context > 0 && r.max_batch > 0 {
                            html += &p("", &format!(
                                "Largest context at this batch: {} tokens. Largest batch at this context: {}.",
                                group_thousands(r.max_context),
                                group_thousands(r.max_batch)
                            ));
                        }
                        // A speed only for what can run at all (an engine's
                        // section gives its own, with the measured band).
                        if r.fits && engine.get() == "none" {
                            html += &p("", &format!(
                                "Decoding runs at most {} tokens/s in all ({} per sequence), the memory-bandwidth ceiling.",
                                fixed(r.decode_tokens_per_s, 0),
                                fixed(r.decode_tokens_per_s / batch.get().max(1) as f64, 0)
                            ));
                        }
                    }
                }
                html += &p("", "Overhead is the CUDA context and library workspaces, 512 MiB per device; activations are an estimate for 2,048-token prefill chunks.");
                html
            }></div>
            <div class="lw-changes" on:input=move |ev| on_price_input(&ev, price) inner_html=move || changes.markup.get()></div>
            </div>
            // The question as a command line, outside the live region (a
            // button there would be read out with every answer).
            <div inner_html=move || {
                let esc = crate::formula::escape;
                let settings = settings();
                // Marks the widget while a file's weights are used (the stylesheet hides the format menu).
                let uses_file = if settings.file.is_some() { " lw-uses-file" } else { "" };
                let html = format!(
                    "<p class=\"lw-detail lw-cli{uses_file}\"><code id=\"{cli_id}\">{}</code> <button type=\"button\" class=\"lw-button\" data-llmem-copy=\"{cli_id}\">Copy as an llmem command</button></p>",
                    esc(&settings.cli_line())
                );
                html + &format!("<p class=\"lw-detail lw-version\">Computed by the llmem estimator {}.</p>", esc(llmem_estimator::VERSION))
            }></div>
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

    /// Built-in models first, then the catalogue by words or by id (offline,
    /// gated repositories included), then the Hub for any other id.
    #[test]
    fn searches() {
        assert_eq!(look_up("qwen3 8b"), Lookup::Presets(vec!["qwen3-8b"]));
        let ids = |l: Lookup| match l {
            Lookup::Catalogue(found) => found.iter().map(|e| e.id).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(ids(look_up("qwen2.5 72b awq")), ["Qwen/Qwen2.5-72B-Instruct-AWQ"]);
        assert_eq!(ids(look_up("meta-llama/llama-3.3-70b-instruct")), ["meta-llama/Llama-3.3-70B-Instruct"]);
        assert_eq!(look_up("acme/tiny-llama"), Lookup::Hub("acme/tiny-llama".into()));
        assert!(matches!(look_up("no-such-model"), Lookup::Nothing(_)));
    }

    #[test]
    fn a_report() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let settings = Settings {
            dev: "rtx-4090".into(),
            count: 1,
            weights: "bf16".into(),
            kv: "bf16".into(),
            context: 8192,
            batch: 1,
            file: None,
            engine: "none".into(),
            name: "llama-3.1-8b".into(),
            price_cents: None,
            pp: 1,
        };
        let r = report(&a, &settings).unwrap();
        assert_eq!(
            settings.cli_line(),
            "llmem fit llama-3.1-8b --device rtx-4090 --count 1 --weights bf16 --kv bf16 --context 8192 --batch 1"
        );
        assert!(r.fits);
        assert_eq!(r.weights_bytes, 16_060_522_496);
        // A checkpoint file's bytes are the weights; the command line names the file.
        let stored = |name: &str, gguf| StoredFile::new(name.into(), 4_920_000_000, gguf, "llama-3.1-8b");
        let gguf = Settings { file: Some(stored("Meta-Llama-3.1-8B-Q4_K_M.gguf", true)), ..settings.clone() };
        assert_eq!(report(&a, &gguf).unwrap().weights_bytes, 4_920_000_000);
        assert_eq!(
            gguf.cli_line(),
            "llmem fit 'Meta-Llama-3.1-8B-Q4_K_M.gguf' --device rtx-4090 --count 1 --kv bf16 --context 8192 --batch 1"
        );
        // A link made while a file's weights were used carries their bytes.
        let linked = Settings { file: Some(StoredFile::from_link(4_920_000_000, "config.json")), ..settings.clone() };
        assert_eq!(report(&a, &linked).unwrap().weights_bytes, 4_920_000_000);
        assert_eq!(
            linked.cli_line(),
            "llmem fit config.json --device rtx-4090 --count 1 --weights-bytes 4920000000 --kv bf16 --context 8192 --batch 1"
        );
        let st = Settings { file: Some(stored("my model's weights.safetensors", false)), ..settings };
        assert_eq!(
            st.cli_line(),
            "llmem fit llama-3.1-8b --device rtx-4090 --count 1 --weights-file 'my model'\\''s weights.safetensors' --kv bf16 --context 8192 --batch 1"
        );
    }

    /// The answer the first load carries for the default question is the
    /// one the lazily fetched module writes for it (`LLMEM_BLESS=1`
    /// rewrites the file), and that question is vLLM's on a GPU.
    #[test]
    fn default_answer_is_current() {
        let settings = default_settings();
        assert_eq!(settings.engine, "vllm");
        assert_eq!(settings.price_cents, None);
        let a = preset(&settings.name).unwrap().arch().unwrap();
        let markup = changes_markup_for(&a, &settings);
        assert!(markup.contains("What vLLM allocates") && markup.contains("GPU KV cache size: "), "{markup}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fit/default_answer.html");
        if std::env::var_os("LLMEM_BLESS").is_some() {
            std::fs::write(&path, &markup).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            markup,
            "stale: LLMEM_BLESS=1 cargo test -p llmem-widgets default_answer"
        );
        assert_eq!(DEFAULT_ANSWER, markup, "rebuild after blessing");
    }

    /// `auto` is vLLM on a GPU and llama.cpp on a Mac or a CPU; a price
    /// joins the serve line.
    #[test]
    fn the_usual_engine_and_a_price() {
        assert_eq!(engine_for("auto", "h100-sxm"), "vllm");
        assert_eq!(engine_for("auto", "mac-36gb"), "llama.cpp");
        assert_eq!(engine_for("auto", "cpu"), "llama.cpp");
        assert_eq!(engine_for("sglang", "mac-36gb"), "sglang");
        let s = Settings { price_cents: Some(249), ..default_settings() };
        assert!(s.serve_line().ends_with("--batch 1 --gpu-hour-price 2.49"), "{}", s.serve_line());
        assert_eq!(with_price(&default_settings().serve_line(), 5), s.serve_line().replace("2.49", "0.05"));
        assert_eq!(cost_text(200, 620_000, 800_000), "$1.24–$1.60 per million generated tokens.");
        assert_eq!(cost_text(200, 620_000, 620_000), "at least $1.24 per million generated tokens.");
    }

    /// The engine picker asks `llmem serve`'s question: the same numbers as
    /// the serving figure, and a message for what the engine cannot run.
    #[test]
    fn engines() {
        let a = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let on = |engine: &str, dev: &str, count, weights: &str, kv: &str| Settings {
            dev: dev.into(),
            count,
            weights: weights.into(),
            kv: kv.into(),
            context: 8192,
            batch: 1,
            file: None,
            engine: engine.into(),
            name: "llama-3.1-8b".into(),
            price_cents: None,
            pp: 1,
        };
        assert_eq!(engine_report(&a, &on("none", "h100-sxm", 1, "bf16", "bf16")), None);
        // What `llmem serve llama-3.1-8b --engine vllm` prints on an H100 (the serving figure's e2e test).
        let vllm = engine_report(&a, &on("vllm", "h100-sxm", 1, "bf16", "bf16")).unwrap().unwrap();
        assert_eq!(vllm.kv_cache_tokens, Some(448_224));
        let two = engine_report(&a, &on("vllm", "h100-sxm", 2, "bf16", "bf16")).unwrap().unwrap();
        assert_eq!(two.gpus.len(), 2);
        assert!(two.kv_cache_tokens.unwrap() > vllm.kv_cache_tokens.unwrap());
        let err = |s: Settings| engine_report(&a, &s).unwrap().unwrap_err();
        assert!(
            err(on("vllm", "h100-sxm", 3, "bf16", "bf16")).contains("divide"),
            "{}",
            err(on("vllm", "h100-sxm", 3, "bf16", "bf16"))
        );
        assert!(err(on("llama.cpp", "rtx-4090", 2, "q4_k_m", "bf16")).contains("one device"));
        // Pipeline stages: four H100s as two stages of two tensor-parallel
        // ranks, the command line spelling the split as `llmem serve` takes it.
        let l70 = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let staged = Settings { pp: 2, ..on("vllm", "h100-sxm", 4, "bf16", "bf16") };
        let r = engine_report(&l70, &staged).unwrap().unwrap();
        assert_eq!(r.gpus.len(), 4);
        assert_eq!(r.gpus.iter().map(|g| g.stage).collect::<Vec<_>>(), [0, 0, 1, 1]);
        assert!(staged.serve_line().contains(" --count 4 --tp 2 --pp 2 --weights bf16 "), "{}", staged.serve_line());
        assert!(err(Settings { pp: 8, ..staged.clone() }).contains("4 devices do not split into 8 pipeline stages"));
        assert!(err(Settings { pp: 2, ..on("sglang", "h100-sxm", 1, "bf16", "bf16") }).contains("do not split"));
        assert!(err(on("llama.cpp", "rtx-4090", 1, "awq-int4", "bf16")).contains("GGUF"));
        assert!(err(on("llama.cpp", "rtx-4090", 1, "q4_k_m", "fp8")).contains("q8_0"));
        let fp16 = engine_report(&a, &on("llama.cpp", "h100-sxm", 1, "fp16", "bf16")).unwrap().unwrap();
        assert_eq!(
            fp16.weights_bytes,
            engine_report(&a, &on("llama.cpp", "h100-sxm", 1, "bf16", "bf16")).unwrap().unwrap().weights_bytes
        );
        // A quantized cache: llama.cpp's q8_0 blocks, with flash attention, on the command line too.
        let q8 = on("llama.cpp", "rtx-4090", 1, "q4_k_m", "int8");
        let r = engine_report(&a, &q8).unwrap().unwrap();
        let f16 = engine_report(&a, &on("llama.cpp", "rtx-4090", 1, "q4_k_m", "fp16")).unwrap().unwrap();
        assert!(r.fits);
        assert_eq!(r.kv_bytes * 32, f16.kv_bytes * 17, "q8_0 keeps 34 bytes per 32 values, f16 64");
        assert_eq!(
            q8.serve_line(),
            "llmem serve llama-3.1-8b --engine llama.cpp --flash-attn on --device rtx-4090 --count 1 --weights q4_k_m --kv int8 --context 8192 --batch 1"
        );
        // Llama 3.1 70B in Q4_K_M does not fit an RTX 4090 whole: the most layers that do, and no more.
        let big = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let cpp = on("llama.cpp", "rtx-4090", 1, "q4_k_m", "fp16");
        assert!(!engine_report(&big, &cpp).unwrap().unwrap().fits);
        let note = partial_offload(&big, &cpp, &engine_report(&big, &cpp).unwrap()).unwrap();
        let n: u64 = note.split("--n-gpu-layers ").nth(1).unwrap().split('<').next().unwrap().parse().unwrap();
        assert!((20..80).contains(&n), "{note}");
        assert!(engine_report_with(&big, &cpp, n).unwrap().unwrap().fits);
        assert!(!engine_report_with(&big, &cpp, n + 1).unwrap().unwrap().fits);
        // Whatever fits whole, or runs in unified memory, needs no such note.
        assert_eq!(partial_offload(&a, &q8, &engine_report(&a, &q8).unwrap()), None);
        let mac = on("llama.cpp", "mac-16gb", 1, "q4_k_m", "fp16");
        assert_eq!(partial_offload(&big, &mac, &engine_report(&big, &mac).unwrap()), None);
        // A GGUF file read in the page: llama.cpp sizes its own tensors (the
        // same buffers as its file type laid out), and the command line names
        // the file without a --weights.
        use llmem_estimator::engines::gguf_layout::{layout, metadata};
        let qwen = preset("qwen3-8b").unwrap().arch().unwrap();
        let l = layout(&qwen, FileType::Q4KM).unwrap();
        let (header, _) =
            llmem_estimator::gguf_file::write_header(&metadata(&qwen, &l, FileType::Q4KM).unwrap(), &l.new_tensors())
                .unwrap();
        let summary =
            llmem_estimator::safetensors::summarize_gguf(&llmem_estimator::gguf_file::read_header(&header).unwrap())
                .unwrap();
        LAST_GGUF.with(|last| {
            *last.borrow_mut() = Some(("Qwen3-8B-Q4_K_M.gguf".into(), summary.bytes, summary.tensors.clone()))
        });
        let file = StoredFile::new("Qwen3-8B-Q4_K_M.gguf".into(), summary.bytes, true, "qwen3-8b");
        let with_file =
            Settings { file: Some(file), name: "qwen3-8b".into(), ..on("llama.cpp", "rtx-4090", 1, "bf16", "fp16") };
        let laid_out = on("llama.cpp", "rtx-4090", 1, "q4_k_m", "fp16");
        assert_eq!(engine_report(&qwen, &with_file), engine_report(&qwen, &laid_out));
        assert_eq!(
            with_file.serve_line(),
            "llmem serve 'Qwen3-8B-Q4_K_M.gguf' --engine llama.cpp --device rtx-4090 --count 1 --kv fp16 --context 8192 --batch 1"
        );
        assert!(engine_markup(&qwen, &with_file).contains("is Qwen3-8B-Q4_K_M.gguf itself"));
        // Another engine prices the model it describes in the chosen format, and says so.
        let vllm = Settings { engine: "vllm".into(), ..with_file };
        assert!(
            engine_markup(&qwen, &vllm).contains("price the weights as BF16, not as Qwen3-8B-Q4_K_M.gguf stores them")
        );
        let markup = engine_markup(&a, &q8);
        assert!(markup.starts_with("<h3 class=\"lw-engine-head\">What llama.cpp allocates</h3>"), "{markup}");
        assert!(markup.contains("llama.cpp serves this workload"), "{markup}");
        // Speed and cost: llama.cpp's measured band, a price box; vLLM has no band on record.
        assert!(markup.contains("Measured llama.cpp runs reached 62–86% of their ceilings"), "{markup}");
        assert!(markup.contains("data-llmem-price"), "{markup}");
        assert!(markup.contains("Apple M4 (16 GB): github.com/brand-o/normiebench/issues/3;"), "{markup}");
        let vllm =
            engine_markup(&a, &Settings { engine: "vllm".into(), weights: "bf16".into(), kv: "bf16".into(), ..q8 });
        assert!(vllm.contains("No measured vLLM run is on record here"), "{vllm}");
        assert_eq!(cost_text(200, 1_500_000, 3_000_000), "$3.00–$6.00 per million generated tokens.");
        assert_eq!(cost_text(200, 1_500_000, 1_500_000), "at least $3.00 per million generated tokens.");
    }
}

//! Shortcodes: `{{name key=value …}}` in article Markdown, evaluated by the
//! estimator when the site is built, so the prose and the widgets can never
//! disagree.
//!
//! Two kinds:
//! - **figures**, replaced by formatted text: `{{kv model=llama-3.1-8b context=8192}}` → `1.07 GB`;
//! - **widgets**, on a line of their own: `{{widget kv-cache context=8192}}` →
//!   the placeholder element the wasm bundle mounts into.
//!
//! Unknown shortcodes, unknown parameters and estimator errors fail the
//! build with the file and line. `CONTENT.md` lists every shortcode.

use llmem_estimator::{
    attention::attention_memory,
    hardware::{device, hierarchy, stream_seconds},
    kv_cache::{kv_cache_with_layout, AttentionVariant},
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::preset,
    presets::recurrent_preset,
    ssm::{crossover_context, recurrent_state},
    throughput::{phases, ridge_intensity},
    training::{activation_bytes, lora_memory, model_states, LoraTargets, Optimizer, Recompute, ZeroStage},
    units::{format_bytes, format_params, group_thousands, three_significant, UnitSystem},
    ModelArch,
};
use std::collections::BTreeMap;

/// A parsed shortcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcode {
    pub name: String,
    pub args: BTreeMap<String, String>,
    /// For `{{widget kind …}}`, the widget kind.
    pub positional: Option<String>,
}

/// Parses the inside of `{{ … }}`.
pub fn parse(inner: &str) -> Result<Shortcode, String> {
    let mut parts = inner.split_whitespace();
    let name = parts.next().ok_or("empty shortcode")?.to_string();
    let mut args = BTreeMap::new();
    let mut positional = None;
    for p in parts {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                if args.insert(k.to_string(), v.to_string()).is_some() {
                    return Err(format!("`{k}` is given twice"));
                }
            }
            None if positional.is_none() && name == "widget" => positional = Some(p.to_string()),
            _ => return Err(format!("`{p}` is not key=value")),
        }
    }
    Ok(Shortcode { name, args, positional })
}

/// Typed access to arguments, tracking which were used so typos are caught.
struct Args<'a> {
    code: &'a Shortcode,
    used: std::cell::RefCell<Vec<&'static str>>,
}

impl<'a> Args<'a> {
    fn new(code: &'a Shortcode) -> Self {
        Self { code, used: Default::default() }
    }
    fn raw(&self, key: &'static str) -> Option<&'a str> {
        self.used.borrow_mut().push(key);
        self.code.args.get(key).map(String::as_str)
    }
    fn str_or(&self, key: &'static str, default: &'a str) -> &'a str {
        self.raw(key).unwrap_or(default)
    }
    fn req(&self, key: &'static str) -> Result<&'a str, String> {
        self.raw(key).ok_or_else(|| format!("`{}` needs `{key}=`", self.code.name))
    }
    fn u64_or(&self, key: &'static str, default: u64) -> Result<u64, String> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => parse_count(v).map_err(|e| format!("`{key}`: {e}")),
        }
    }
    fn model(&self) -> Result<ModelArch, String> {
        let id = self.req("model")?;
        preset(id).and_then(|p| p.arch()).map_err(|e| e.to_string())
    }
    fn dtype(&self, key: &'static str, default: Dtype) -> Result<Dtype, String> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => Dtype::parse(v).map_err(|e| e.to_string()),
        }
    }
    fn format(&self) -> Result<WeightFormat, String> {
        WeightFormat::parse(self.str_or("format", "bf16")).map_err(|e| e.to_string())
    }
    fn units(&self) -> Result<UnitSystem, String> {
        match self.str_or("unit", "gb") {
            "gb" => Ok(UnitSystem::Decimal),
            "gib" => Ok(UnitSystem::Binary),
            other => Err(format!("unit `{other}` is not gb or gib")),
        }
    }
    /// Fails on any argument that was never asked for (a typo).
    fn finish(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.code.args.keys().find(|k| !used.contains(&k.as_str())) {
            Some(k) => Err(format!("`{}` does not take `{k}=`", self.code.name)),
            None => Ok(()),
        }
    }
}

/// Parses `8192`, `8K` (×1024 for token counts), `7.5B`, `350M` (×10^n).
pub fn parse_count(v: &str) -> Result<u64, String> {
    if let Ok(n) = v.replace('_', "").parse::<u64>() {
        return Ok(n);
    }
    let (num, mult) = match v.chars().last() {
        Some('K') => (&v[..v.len() - 1], 1024.0),
        Some('k') => (&v[..v.len() - 1], 1000.0),
        Some('M') => (&v[..v.len() - 1], 1e6),
        Some('B') => (&v[..v.len() - 1], 1e9),
        Some('T') => (&v[..v.len() - 1], 1e12),
        _ => (v, 1.0),
    };
    let x: f64 = num.parse().map_err(|_| format!("`{v}` is not a number"))?;
    let r = (x * mult).round();
    if r.is_finite() && (0.0..1e19).contains(&r) {
        Ok(r as u64)
    } else {
        Err(format!("`{v}` is out of range"))
    }
}

pub use llmem_estimator::units::format_seconds;

pub use llmem_estimator::units::format_rate;

/// A parameter count in words: `8.03 billion`, `124 million`.
pub fn params_in_words(n: u64) -> String {
    let f = n as f64;
    if f >= 1e12 {
        format!("{} trillion", three_significant(f / 1e12))
    } else if f >= 1e9 {
        format!("{} billion", three_significant(f / 1e9))
    } else if f >= 1e6 {
        format!("{} million", three_significant(f / 1e6))
    } else {
        group_thousands(n)
    }
}

fn count(n: u64, style: &str) -> Result<String, String> {
    match style {
        "words" => Ok(params_in_words(n)),
        "exact" => Ok(group_thousands(n)),
        "short" => Ok(format_params(n)),
        other => Err(format!("style `{other}` is not words, exact or short")),
    }
}

fn variant(args: &Args) -> Result<Option<AttentionVariant>, String> {
    match args.raw("attention") {
        None => Ok(None),
        Some(v) => {
            AttentionVariant::parse(v).map(Some).ok_or_else(|| format!("attention `{v}` is not mha, gqa, mqa or mla"))
        }
    }
}

/// The names of every figure shortcode, for error messages and CONTENT.md.
pub const FIGURES: &[&str] = &[
    "params",
    "active",
    "layers",
    "weights",
    "bpw",
    "kv",
    "kv_per_token",
    "kv_percent",
    "scores",
    "flash",
    "zero",
    "train_states",
    "activations",
    "step_peak",
    "engine",
    "store",
    "spec",
    "quality",
    "offload",
    "layout3d",
    "lora",
    "device_memory",
    "device_bandwidth",
    "device_flops",
    "stream_time",
    "decode_tps",
    "prefill_time",
    "ridge",
    "mamba_state",
    "ssm_crossover",
    "context",
];

/// Evaluates a figure shortcode to text.
pub fn evaluate(code: &Shortcode) -> Result<String, String> {
    evaluate_with_alt(code).map(|(text, _)| text)
}

/// The same byte figure in the other unit system, for a tooltip: the site
/// shows decimal GB in prose and widgets alike, with GiB one hover away.
fn alt_bytes(text: &str) -> Option<String> {
    let (num, unit) = text.split_once(' ')?;
    let factor = match unit {
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024f64.powi(4),
        _ => return None,
    };
    let bytes = num.parse::<f64>().ok()? * factor;
    let system = if unit.contains('i') { UnitSystem::Decimal } else { UnitSystem::Binary };
    Some(format!("≈ {}", llmem_estimator::units::format_bytes_f64(bytes, system)))
}

/// Evaluates a figure shortcode to its text and, for byte figures, the
/// same amount in the other unit system.
pub fn evaluate_with_alt(code: &Shortcode) -> Result<(String, Option<String>), String> {
    let text = evaluate_inner(code)?;
    let alt = alt_bytes(&text);
    Ok((text, alt))
}

fn evaluate_inner(code: &Shortcode) -> Result<String, String> {
    let a = Args::new(code);
    let out = match code.name.as_str() {
        "params" => {
            let c = a.model()?.param_counts().map_err(|e| e.to_string())?;
            count(c.total, a.str_or("style", "words"))?
        }
        "active" => {
            let c = a.model()?.param_counts().map_err(|e| e.to_string())?;
            count(c.active, a.str_or("style", "words"))?
        }
        "layers" => a.model()?.num_layers.to_string(),
        "heads" => a.model()?.num_heads().to_string(),
        "kv_heads" => match a.model()?.kv_layout() {
            llmem_estimator::KvLayout::Heads { kv_heads, .. } => kv_heads.to_string(),
            llmem_estimator::KvLayout::Latent { .. } => return Err("an MLA model caches a latent, not KV heads".into()),
        },
        "head_dim" => match a.model()?.head_dim() {
            0 => return Err("this model has no attention".into()),
            d => d.to_string(),
        },
        "hidden" => group_thousands(a.model()?.hidden_size),
        "vocab" => group_thousands(a.model()?.vocab_size),
        "experts" => a.model()?.moe.map(|m| m.num_experts.to_string()).ok_or("not a mixture-of-experts model")?,
        "experts_active" => {
            a.model()?.moe.map(|m| m.experts_per_token.to_string()).ok_or("not a mixture-of-experts model")?
        }
        "layer_count" => {
            let m = a.model()?;
            let kind = a.req("kind")?;
            let n = match kind {
                "full" | "sliding" | "chunked" | "recurrent" | "mlp" => {
                    m.layers.iter().filter(|l| l.kind_label() == kind).count()
                }
                "attention" => m.attention_layer_count() as usize,
                "moe" => m.layers.iter().filter(|l| l.ffn == llmem_estimator::Ffn::Moe).count(),
                other => {
                    return Err(format!(
                        "`kind={other}` is not full, sliding, chunked, recurrent, mlp, attention or moe"
                    ))
                }
            };
            n.to_string()
        }
        "window" => {
            a.model()?.smallest_window().map(group_thousands).ok_or("this model has no sliding window or chunk")?
        }
        "embed_share" => {
            let m = a.model()?;
            let c = m.param_counts().map_err(|e| e.to_string())?;
            let head = if m.tie_word_embeddings { 0 } else { m.vocab_size * m.hidden_size };
            format!("{:.0}%", (c.embedding + head) as f64 * 100.0 / c.total as f64)
        }
        "overhead" => format_bytes(llmem_estimator::fit::RUNTIME_OVERHEAD_PER_DEVICE, a.units()?),
        "context" => {
            let m = a.model()?;
            llmem_estimator::units::format_tokens(m.max_position_embeddings)
        }
        "weights" => {
            let (m, f, u) = (a.model()?, a.format()?, a.units()?);
            format_bytes(weights_footprint(&m, f).map_err(|e| e.to_string())?.total_bytes, u)
        }
        "bpw" => {
            let (m, f) = (a.model()?, a.format()?);
            format!("{:.2}", weights_footprint(&m, f).map_err(|e| e.to_string())?.bits_per_param)
        }
        "kv" | "kv_per_token" | "kv_percent" => {
            let mut m = a.model()?;
            // `spans=full`: what the cache would be if every attention layer saw the whole context.
            match a.raw("spans") {
                None => {}
                Some("full") => {
                    for l in m.layers.iter_mut().filter(|l| l.attention.is_some()) {
                        l.attention = Some(llmem_estimator::AttentionSpan::Full);
                    }
                }
                Some(other) => return Err(format!("`spans={other}`: only `spans=full` is known")),
            }
            let dtype = a.dtype("dtype", Dtype::Bf16)?;
            let context = a.u64_or("context", 4096)?;
            let batch = a.u64_or("batch", 1)?;
            let layout = variant(&a)?.map(|v| v.layout_for(&m)).unwrap_or_else(|| m.kv_layout());
            let kv = kv_cache_with_layout(&m, layout, dtype, context, batch).map_err(|e| e.to_string())?;
            match code.name.as_str() {
                "kv" => format_bytes(kv.total_bytes, a.units()?),
                "kv_per_token" => format_bytes(kv.bytes_per_token, a.units()?),
                _ => {
                    let w = weights_footprint(&m, a.format()?).map_err(|e| e.to_string())?;
                    format!("{:.0}%", kv.total_bytes as f64 * 100.0 / w.total_bytes as f64)
                }
            }
        }
        "scores" | "flash" => {
            let heads = match a.raw("model") {
                Some(_) => a.model()?.num_heads(),
                None => a.u64_or("heads", 32)?,
            };
            let seq = parse_count(a.req("seq")?)?;
            let batch = a.u64_or("batch", 1)?;
            let dtype = a.dtype("dtype", Dtype::Bf16)?;
            let mem = attention_memory(batch, heads, seq, dtype).map_err(|e| e.to_string())?;
            let bytes = if code.name == "scores" { mem.naive_scores_bytes } else { mem.flash_bytes };
            format_bytes(bytes, a.units()?)
        }
        "zero" => {
            let params = match a.raw("model") {
                Some(_) => a.model()?.param_counts().map_err(|e| e.to_string())?.total,
                None => parse_count(a.req("params")?)?,
            };
            let gpus = a.u64_or("gpus", 1)?;
            let stage = ZeroStage::from_u8(a.u64_or("stage", 0)?.min(9) as u8).map_err(|e| e.to_string())?;
            let opt = Optimizer::parse(a.str_or("optimizer", "adam")).map_err(|e| e.to_string())?;
            let s = model_states(params, opt, stage, gpus, false).map_err(|e| e.to_string())?;
            format_bytes(s.per_gpu_bytes, a.units()?)
        }
        "train_states" => {
            let m = a.model()?;
            let opt = Optimizer::parse(a.str_or("optimizer", "adam")).map_err(|e| e.to_string())?;
            let p = m.param_counts().map_err(|e| e.to_string())?.total;
            let s = model_states(p, opt, ZeroStage::Zero0, 1, false).map_err(|e| e.to_string())?;
            format_bytes(s.per_gpu_bytes, a.units()?)
        }
        "activations" => {
            let m = a.model()?;
            let seq = a.u64_or("seq", 4096)?;
            let batch = a.u64_or("batch", 1)?;
            let r = Recompute::parse(a.str_or("recompute", "none")).map_err(|e| e.to_string())?;
            // `formula=gpt` quotes Korthikanti et al.'s GPT-3 formula; the
            // default is what transformers keeps, with `attention=flash|eager`.
            let b = if a.str_or("formula", "transformers") == "gpt" {
                activation_bytes(m.num_layers, m.hidden_size, m.num_heads(), seq, batch, r)
            } else {
                let kernel = llmem_estimator::activations::AttentionKernel::parse(a.str_or("attention", "flash"))
                    .map_err(|e| e.to_string())?;
                llmem_estimator::training::model_activation_bytes(&m, seq, batch, kernel, r)
            }
            .map_err(|e| e.to_string())?;
            format_bytes(b, a.units()?)
        }
        "step_peak" => {
            let m = a.model()?;
            let setup = llmem_estimator::training::TrainingSetup {
                stage: llmem_estimator::training::ZeroStage::from_u8(a.u64_or("stage", 0)? as u8)
                    .map_err(|e| e.to_string())?,
                gpus: a.u64_or("gpus", 1)?,
                seq: a.u64_or("seq", 4096)?,
                micro_batch: a.u64_or("batch", 1)?,
                recompute: Recompute::parse(a.str_or("recompute", "none")).map_err(|e| e.to_string())?,
                kernel: llmem_estimator::activations::AttentionKernel::parse(a.str_or("attention", "flash"))
                    .map_err(|e| e.to_string())?,
                fp32_grads: a.str_or("grads", "bf16") == "fp32",
                adam: llmem_estimator::training::AdamKernel::parse(a.str_or("adam", "fused"))
                    .map_err(|e| e.to_string())?,
                context_parallel: a.u64_or("cp", 1)?,
                ..Default::default()
            };
            let t = llmem_estimator::timeline::step_timeline(&m, &setup).map_err(|e| e.to_string())?;
            format_bytes(t.peak_bytes, a.units()?)
        }
        "spec" => {
            use llmem_estimator::speculative::{speculative, SpecQuery};
            let target = preset(a.req("target")?).and_then(|p| p.arch()).map_err(|e| e.to_string())?;
            let draft = preset(a.req("draft")?).and_then(|p| p.arch()).map_err(|e| e.to_string())?;
            let q = SpecQuery {
                target: &target,
                draft: &draft,
                format: WeightFormat::Float(Dtype::Bf16),
                kv: Dtype::Bf16,
                context: a.u64_or("context", 8192)?,
                batch: 1,
                k: a.u64_or("k", 4)?,
                acceptance: a.u64_or("accept", 80)?.min(100) as f64 / 100.0,
                device: device(a.str_or("device", "mi300x")).map_err(|e| e.to_string())?,
            };
            let r = speculative(&q).map_err(|e| e.to_string())?;
            match a.str_or("show", "speedup") {
                "speedup" => format!("{}×", llmem_estimator::units::fixed(r.speedup, 2)),
                "tokens" => llmem_estimator::units::fixed(r.tokens_per_pass, 2),
                "extra" => format_bytes(r.extra_bytes, a.units()?),
                "draft_weights" => format_bytes(r.draft_weights, a.units()?),
                other => return Err(format!("unknown show `{other}` (speedup, tokens, extra, draft_weights)")),
            }
        }
        "quality" => {
            use llmem_estimator::quant_quality::point;
            let id = a.req("format")?;
            let q = point(id).ok_or_else(|| format!("`{id}` is not on llama.cpp's Llama 3 8B scoreboard"))?;
            let fixed = llmem_estimator::units::fixed;
            match a.str_or("show", "kld") {
                "kld" => fixed(q.kld, 4),
                "ppl" => fixed(q.ppl, 2),
                "delta_ppl" => fixed(q.delta_ppl, 2),
                "size" => format_bytes(q.size_bytes(), a.units()?),
                "bpw" => fixed(q.bits_per_weight(), 2),
                "rms" => format!("{}%", fixed(q.rms_dp, 1)),
                other => return Err(format!("unknown show `{other}` (kld, ppl, delta_ppl, size, bpw, rms)")),
            }
        }
        "pattern" => {
            use llmem_estimator::attention::span_cost;
            let m = a.model()?;
            let n = a.u64_or("seq", 32_768)?;
            let (mut pairs, mut full, mut kept, mut layers) = (0u64, 0u64, 0u64, 0u64);
            for span in m.layers.iter().filter_map(|l| l.attention) {
                let c = span_cost(span, n, 128).map_err(|e| e.to_string())?;
                pairs += c.pairs;
                full += c.causal_pairs;
                kept += c.kept_tokens;
                layers += 1;
            }
            if full == 0 {
                return Err("the model has no attention layers".into());
            }
            let pct = |a: u64, b: u64| format!("{}%", llmem_estimator::units::fixed(a as f64 * 100.0 / b as f64, 0));
            match a.str_or("show", "pairs") {
                "pairs" => pct(pairs, full),
                "kept" => pct(kept, layers.saturating_mul(n)),
                other => return Err(format!("unknown show `{other}` (pairs, kept)")),
            }
        }
        "offload" => {
            use llmem_estimator::engines::{
                gguf_layout::FileType,
                offload::{most_that_fit, offload_sweep},
            };
            let m = preset(a.str_or("model", "llama-3.1-70b")).and_then(|p| p.arch()).map_err(|e| e.to_string())?;
            let ftype = FileType::parse(a.str_or("gguf", "q4_k_m")).map_err(|e| e.to_string())?;
            let gpu = device(a.str_or("device", "rtx-4090")).map_err(|e| e.to_string())?;
            let sweep = offload_sweep(&m, ftype, a.u64_or("context", 8192)?, gpu, &llmem_estimator::hardware::HOST_CPU)
                .map_err(|e| e.to_string())?;
            let best = most_that_fit(&sweep).ok_or("not even one layer fits the GPU")?;
            let all = sweep.last().ok_or("no layers")?;
            let fixed = llmem_estimator::units::fixed;
            match a.str_or("show", "tps") {
                "layers" => best.n_gpu_layers.min(m.num_layers).to_string(),
                "tps" => fixed(best.tokens_per_second(), 1),
                "all_tps" => fixed(all.tokens_per_second(), 1),
                "host_share" => {
                    format!(
                        "{}%",
                        fixed(best.host_read as f64 / (best.host_read + best.gpu_read).max(1) as f64 * 100.0, 0)
                    )
                }
                "host_time" => {
                    format!("{}%", fixed(best.host_seconds / best.seconds().max(f64::MIN_POSITIVE) * 100.0, 0))
                }
                other => return Err(format!("unknown show `{other}` (layers, tps, all_tps, host_share, host_time)")),
            }
        }
        "layout3d" => {
            use llmem_estimator::training::{Recompute, ZeroStage};
            use llmem_estimator::training_layout::{training_layout, Layout3d};
            let m = preset(a.req("model")?).and_then(|p| p.arch()).map_err(|e| e.to_string())?;
            let l = Layout3d {
                tp: a.u64_or("tp", 8)?,
                pp: a.u64_or("pp", 4)?,
                dp: a.u64_or("dp", 8)?,
                zero: ZeroStage::from_u8(a.u64_or("zero", 1)?.min(3) as u8).map_err(|e| e.to_string())?,
                seq: a.u64_or("seq", 4096)?,
                recompute: Recompute::parse(a.str_or("recompute", "none")).map_err(|e| e.to_string())?,
                ..Layout3d::default()
            };
            let stages = training_layout(&m, &l).map_err(|e| e.to_string())?;
            let pick = match a.str_or("show", "first") {
                "first" => stages.first(),
                "last" => stages.last(),
                "peak" => stages.iter().max_by_key(|s| s.per_gpu_bytes),
                other => return Err(format!("unknown show `{other}` (first, last, peak)")),
            };
            format_bytes(pick.ok_or("no stages")?.per_gpu_bytes, a.units()?)
        }
        "batching" => {
            use llmem_estimator::batching::{demo_workload, simulate, BatchingSetup, Snapshot};
            let setup = BatchingSetup {
                requests: demo_workload(),
                block_tokens: 16,
                blocks: a.u64_or("blocks", 20)?,
                shared_prefix: a.u64_or("prefix", 32)?,
                share_prefix: a.str_or("share", "on") == "on",
            };
            let run = simulate(&setup).map_err(|e| e.to_string())?;
            match a.str_or("show", "steps") {
                "steps" => run.len().saturating_sub(1).to_string(),
                "preemptions" => run.last().map_or(0, |s| s.preemptions).to_string(),
                "peak" => run.iter().map(Snapshot::used_blocks).max().unwrap_or(0).to_string(),
                other => return Err(format!("unknown show `{other}` (steps, preemptions, peak)")),
            }
        }
        "store" => {
            use llmem_estimator::vector_store::{
                chunks_per_document, embedder, store_size, suggested_nlist, IndexKind, StoreQuery, VectorDtype,
            };
            let documents = a.u64_or("docs", 1_000_000)?;
            let tokens = a.u64_or("tokens", 1000)?;
            let (chunk, overlap) = (a.u64_or("chunk", 512)?, a.u64_or("overlap", 64)?);
            let embed = a.str_or("embedder", "bge-base-en-v1.5");
            let dim = embedder(embed).ok_or_else(|| format!("unknown embedder `{embed}`"))?.dim;
            let dtype = a.str_or("dtype", "f32");
            let dtype = VectorDtype::parse(dtype).ok_or_else(|| format!("unknown vector dtype `{dtype}`"))?;
            let links = a.u64_or("links", 32)?;
            let chunks =
                chunks_per_document(tokens, chunk, overlap).map_err(|e| e.to_string())?.saturating_mul(documents);
            let index = match a.str_or("index", "hnsw") {
                "flat" => IndexKind::Flat,
                "hnsw" => IndexKind::Hnsw { m: links },
                "ivf-pq" => IndexKind::IvfPq { nlist: suggested_nlist(chunks), m: links },
                other => return Err(format!("unknown index `{other}` (flat, hnsw, ivf-pq)")),
            };
            let q = StoreQuery {
                documents,
                tokens_per_document: tokens,
                chunk_tokens: chunk,
                overlap_tokens: overlap,
                dim,
                dtype,
                index,
            };
            let s = store_size(&q).map_err(|e| e.to_string())?;
            match a.str_or("show", "index") {
                "index" => format_bytes(s.index_bytes, a.units()?),
                "text" => format_bytes(s.text_bytes, a.units()?),
                "graph" => format_bytes(s.graph_bytes, a.units()?),
                "f32" => format_bytes(s.f32_vector_bytes, a.units()?),
                "chunks" => group_thousands(s.chunks),
                other => return Err(format!("unknown show `{other}` (index, text, graph, f32, chunks)")),
            }
        }
        "engine" => {
            use llmem_estimator::engines::serve::{serve, Engine, ServeQuery};
            use llmem_estimator::engines::{gguf_layout::FileType, llama_cpp::LlamaCppParams, parallel::Parallelism};
            let m = a.model()?;
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let engine = Engine::parse(a.req("engine")?).map_err(|e| e.to_string())?;
            let q = ServeQuery {
                arch: &m,
                engine,
                device: d,
                parallel: Parallelism { tp: a.u64_or("gpus", 1)?, pp: 1, expert_parallel: false },
                weights: WeightFormat::parse(a.str_or("format", "checkpoint")).map_err(|e| e.to_string())?,
                gguf: FileType::parse(a.str_or("gguf", "q4_k_m")).map_err(|e| e.to_string())?,
                gguf_file: None,
                kv: Dtype::Bf16,
                context: a.u64_or("context", 8192)?,
                batch: a.u64_or("batch", 1)?,
                vllm: Default::default(),
                sglang_mem_fraction: 0.88,
                llama: LlamaCppParams { n_gpu_layers: u64::MAX, ..Default::default() },
            };
            let r = serve(&q).map_err(|e| e.to_string())?;
            let term = |id: &str| r.gpus.first().map_or(0, |g| g.term(id));
            match a.str_or("show", "kv_tokens") {
                "kv_tokens" => {
                    format!("{} tokens", group_thousands(r.kv_cache_tokens.ok_or("no KV pool for this engine")?))
                }
                "concurrency" => format!("{:.2}×", r.max_concurrency.ok_or("only vLLM reports a concurrency")?),
                "compute" => format_bytes(r.compute_bytes, a.units()?),
                "kv" => format_bytes(r.kv_bytes, a.units()?),
                other => format_bytes(term(other), a.units()?),
            }
        }
        "lora" => {
            let m = a.model()?;
            let rank = a.u64_or("rank", 16)?;
            let targets = match a.str_or("targets", "attention") {
                "attention" => LoraTargets { attention: true, mlp: false },
                "all" => LoraTargets { attention: true, mlp: true },
                other => return Err(format!("targets `{other}` is not attention or all")),
            };
            let qlora = a.str_or("base", "bf16") == "nf4";
            let l = lora_memory(&m, rank, targets, qlora).map_err(|e| e.to_string())?;
            match a.str_or("show", "params") {
                "params" => count(l.adapter_params, a.str_or("style", "words"))?,
                "total" => format_bytes(l.total_bytes, a.units()?),
                other => return Err(format!("show `{other}` is not params or total")),
            }
        }
        "device_memory" => device(a.req("device")?).map_err(|e| e.to_string())?.marketed.to_string(),
        "device_bandwidth" => format_rate(device(a.req("device")?).map_err(|e| e.to_string())?.bandwidth),
        "device_flops" => {
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let f = d.bf16_flops.ok_or_else(|| format!("{} has no published throughput", d.name))?;
            format!("{} TFLOPS", three_significant(f / 1e12))
        }
        "device_sram" => {
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            format_bytes(d.sram_bytes.ok_or_else(|| format!("{} has no published SRAM figure", d.name))?, a.units()?)
        }
        "tier_bandwidth" | "tier_capacity" => {
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let tier_id = a.req("tier")?;
            let t = hierarchy(d)
                .into_iter()
                .find(|t| t.id == tier_id)
                .ok_or_else(|| format!("{} has no tier `{tier_id}`", d.name))?;
            if code.name == "tier_bandwidth" {
                format_rate(t.bandwidth)
            } else {
                format_bytes(t.capacity_bytes, a.units()?)
            }
        }
        "host_link" => {
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            format_rate(d.host_link.bandwidth().ok_or_else(|| format!("{} has unified memory", d.name))?)
        }
        "decode_ceiling" => {
            let m = a.model()?;
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let batch = a.u64_or("batch", 1)?;
            let w = weights_footprint(&m, a.format()?).map_err(|e| e.to_string())?;
            let kv = kv_cache_with_layout(
                &m,
                m.kv_layout(),
                a.dtype("dtype", Dtype::Bf16)?,
                a.u64_or("context", 1024)?,
                batch,
            )
            .map_err(|e| e.to_string())?;
            let count = a.u64_or("count", 1)?;
            let needed = w.total_bytes.saturating_add(kv.total_bytes);
            if needed > d.gpu_budget_bytes().saturating_mul(count) {
                return Err(format!(
                    "this setting does not fit {count} × {} ({needed} bytes needed): prose must not quote its speed",
                    d.name
                ));
            }
            let tps = llmem_estimator::throughput::decode_tokens_per_s_memory_bound(
                w.active_bytes + kv.total_bytes,
                d.bandwidth * count as f64,
                batch,
            );
            format!("{tps:.0} tokens/s")
        }
        "max_context" | "max_batch" => {
            let m = a.model()?;
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let r = llmem_estimator::fit::will_it_fit(&llmem_estimator::fit::FitQuery {
                arch: &m,
                weights: a.format()?,
                kv: a.dtype("dtype", Dtype::Bf16)?,
                context: a.u64_or("context", 4096)?,
                batch: a.u64_or("batch", 1)?,
                device: d,
                device_count: a.u64_or("count", 1)?,
                stored_weights: None,
            })
            .map_err(|e| e.to_string())?;
            let n = if code.name == "max_context" { r.max_context } else { r.max_batch };
            if n == 0 {
                return Err("the model does not fit at all on this device".into());
            }
            group_thousands(n)
        }
        "ridge" => {
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let r = ridge_intensity(d).ok_or_else(|| format!("{} has no published throughput", d.name))?;
            format!("{:.0}", r)
        }
        "stream_time" => {
            let m = a.model()?;
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let tier_id = a.str_or("tier", "hbm");
            let tier = hierarchy(d)
                .into_iter()
                .find(|t| t.id == tier_id)
                .ok_or_else(|| format!("{} has no tier `{tier_id}`", d.name))?;
            let w = weights_footprint(&m, a.format()?).map_err(|e| e.to_string())?;
            format_seconds(stream_seconds(w.total_bytes, tier.bandwidth))
        }
        "decode_tps" | "prefill_time" => {
            let m = a.model()?;
            let d = device(a.req("device")?).map_err(|e| e.to_string())?;
            let context = a.u64_or("context", 1024)?;
            let batch = a.u64_or("batch", 1)?;
            let p = phases(&m, a.format()?, a.dtype("dtype", Dtype::Bf16)?, context, batch, d)
                .map_err(|e| e.to_string())?;
            // A speed for a setting that cannot run would mislead the reader.
            if !p.fits {
                return Err(format!(
                    "this setting does not fit the {} ({} needed, {} available): prose must not quote its speed",
                    d.name, p.needed_bytes, p.capacity_bytes
                ));
            }
            if !p.compute_roof && code.name == "prefill_time" {
                return Err(format!("{} publishes no throughput: prefill time has no bound", d.name));
            }
            if code.name == "decode_tps" {
                format!("{:.0} tokens/s", p.decode_tokens_per_s)
            } else {
                format_seconds(p.prefill_seconds)
            }
        }
        "mamba_state" => {
            let p = recurrent_preset(a.req("model")?).map_err(|e| e.to_string())?;
            let m = p.arch().map_err(|e| e.to_string())?;
            let s = recurrent_state(&m, a.dtype("dtype", Dtype::Bf16)?).map_err(|e| e.to_string())?;
            let batch = a.u64_or("batch", 1)?;
            format_bytes(s.total_bytes.saturating_mul(batch), a.units()?)
        }
        "ssm_crossover" => {
            let p = recurrent_preset(a.req("mamba")?).map_err(|e| e.to_string())?;
            let mamba = p.arch().map_err(|e| e.to_string())?;
            let dtype = a.dtype("dtype", Dtype::Bf16)?;
            let state = recurrent_state(&mamba, dtype).map_err(|e| e.to_string())?.total_bytes;
            let m = a.model()?;
            match crossover_context(&m, dtype, 1, state).map_err(|e| e.to_string())? {
                Some(n) => group_thousands(n),
                None => return Err("the transformer's cache never exceeds the state".into()),
            }
        }
        other => return Err(format!("unknown shortcode `{other}`; known: widget, {}", FIGURES.join(", "))),
    };
    a.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> Result<String, String> {
        evaluate(&parse(s)?)
    }

    #[test]
    fn figures() {
        assert_eq!(eval("params model=llama-3.1-8b").unwrap(), "8.03 billion");
        assert_eq!(eval("params model=llama-3.1-8b style=exact").unwrap(), "8,030,261,248");
        assert_eq!(eval("weights model=llama-3.1-8b").unwrap(), "16.1 GB");
        assert_eq!(eval("weights model=llama-3.1-8b unit=gib").unwrap(), "15.0 GiB");
        assert_eq!(eval("kv model=llama-3.1-8b context=8K").unwrap(), "1.07 GB");
        assert_eq!(eval("kv_per_token model=llama-3.1-8b unit=gib").unwrap(), "128 KiB");
        assert_eq!(eval("kv model=llama-2-7b context=4K unit=gib").unwrap(), "2.00 GiB");
        assert_eq!(eval("zero params=7.5B gpus=64 stage=1").unwrap(), "31.4 GB");
        assert_eq!(eval("bpw model=llama-3.1-8b format=q4_k_m").unwrap(), "4.89");
        assert_eq!(eval("stream_time model=llama-3.1-8b device=h100-sxm").unwrap(), "4.79 ms");
        // vLLM keeps kernel − 1 = 3 conv columns: 64 × 5120 × (3 + 16) × 2 bytes.
        assert_eq!(eval("mamba_state model=mamba-2.8b").unwrap(), "12.5 MB");
        assert_eq!(eval("ssm_crossover mamba=mamba-2.8b model=llama-3.1-8b").unwrap(), "96");
        // Gemma 3 27B: 10 global and 52 local layers; at 32K, 3,120,562,176 bytes
        // against 62 × 32,768 × 8,192 = 16,642,998,272 if every layer were global.
        assert_eq!(eval("layer_count model=gemma-3-27b kind=full").unwrap(), "10");
        assert_eq!(eval("layer_count model=llama-4-scout kind=chunked").unwrap(), "36");
        assert_eq!(eval("layer_count model=qwen3-next-80b-a3b kind=recurrent").unwrap(), "36");
        assert_eq!(eval("kv model=gemma-3-27b context=32K").unwrap(), "3.12 GB");
        assert_eq!(eval("kv model=gemma-3-27b context=32K spans=full").unwrap(), "16.6 GB");
        assert!(eval("kv model=gemma-3-27b spans=local").is_err());
    }

    #[test]
    fn model_geometry_and_devices() {
        assert_eq!(eval("heads model=llama-3.1-8b").unwrap(), "32");
        assert_eq!(eval("kv_heads model=llama-3.1-8b").unwrap(), "8");
        assert_eq!(eval("head_dim model=gemma-2-27b").unwrap(), "128");
        assert_eq!(eval("window model=mistral-7b-v0.1").unwrap(), "4,096");
        assert!(eval("window model=llama-3.1-8b").is_err());
        assert_eq!(eval("experts model=mixtral-8x7b").unwrap(), "8");
        assert_eq!(eval("experts_active model=mixtral-8x7b").unwrap(), "2");
        // Embedding + LM head: 2 × 128,256 × 4,096 / 8,030,261,248 = 13.1%.
        assert_eq!(eval("embed_share model=llama-3.1-8b").unwrap(), "13%");
        assert_eq!(eval("overhead unit=gib").unwrap(), "512 MiB");
        assert_eq!(eval("host_link device=h100-sxm").unwrap(), "63.0 GB/s");
        // 800 GB/s over 16,060,522,496 + 134,217,728 bytes.
        assert_eq!(eval("decode_ceiling model=llama-3.1-8b device=m2-ultra").unwrap(), "49 tokens/s");
        assert!(eval("max_batch model=llama-3.1-70b device=rtx-4090").is_err());
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(eval("kv model=llama-3.1-8b contxt=8K").unwrap_err().contains("contxt"));
        assert!(eval("kv model=nope").unwrap_err().contains("nope"));
        assert!(eval("frob").unwrap_err().contains("unknown shortcode"));
        assert!(eval("kv model").unwrap_err().contains("key=value"));
        assert!(eval("weights model=gpt2 format=int3").unwrap_err().contains("int3"));
    }

    #[test]
    fn widget_shortcode_parses() {
        let s = parse("widget kv-cache context=8192").unwrap();
        assert_eq!(s.positional.as_deref(), Some("kv-cache"));
        assert_eq!(s.args["context"], "8192");
    }

    #[test]
    fn formats() {
        assert_eq!(format_seconds(0.004794), "4.79 ms");
        assert_eq!(format_seconds(2.5e-5), "25.0 µs");
        assert_eq!(format_seconds(300.0), "5.00 min");
        assert_eq!(format_rate(3.35e12), "3.35 TB/s");
        assert_eq!(parse_count("128K").unwrap(), 131_072);
        assert_eq!(parse_count("7.5B").unwrap(), 7_500_000_000);
    }
}

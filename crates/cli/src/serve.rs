//! `llmem serve`: what an inference engine allocates for a model, per GPU.
//!
//! Every number comes from `llmem_estimator::engines::serve`; this module
//! turns flags into a [`ServeQuery`] and the report into a table or JSON.

use crate::{both_units, err, formats, load, CliResult};
use clap::{Args, ValueEnum};
use llmem_estimator::{
    engines::{
        gguf_layout::FileType,
        llama_cpp::{LlamaCppParams, CACHE_TYPES},
        parallel::Parallelism,
        serve::{serve, Basis, Engine, ServeQuery, ServeReport, VllmOptions},
    },
    fit::FitQuery,
    gguf::GgmlType,
    hardware::device,
    precision::{Dtype, WeightFormat},
    speed::{speed, Speed},
    units::{format_bytes, group_thousands, UnitSystem},
};
use serde_json::json;

/// `--flash-attn on|off`, as llama.cpp spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// The flags of `llmem serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Path to a Hugging Face config.json, a preset name (see `llmem
    /// presets`), a catalogue id, or a .gguf file (its metadata is the
    /// model; llama.cpp then sizes the file's own tensors).
    pub config: String,
    /// Engine: llama.cpp, vllm, sglang or transformers.
    #[arg(long)]
    pub engine: String,
    /// Device id (see `llmem devices`); `cpu` is llama.cpp's CPU backend on
    /// a machine with 64 GB of RAM.
    #[arg(long, default_value = "h100-sxm")]
    pub device: String,
    /// GPUs. Without --tp/--pp, all of them are tensor-parallel ranks.
    #[arg(long)]
    pub count: Option<u64>,
    /// Tensor-parallel ranks (vllm, sglang, transformers).
    #[arg(long)]
    pub tp: Option<u64>,
    /// Pipeline stages (vllm, sglang, transformers).
    #[arg(long)]
    pub pp: Option<u64>,
    /// Split each MoE layer's experts over the TP ranks (vLLM's --enable-expert-parallel).
    #[arg(long)]
    pub expert_parallel: bool,
    /// Weights format. For llama.cpp the GGUF file type (f32 f16 bf16 q8_0
    /// q4_k_m, laid out as its converter and quantizer write it; default
    /// f16); otherwise fp32 fp16 bf16 fp8 int8 int4 gptq-int4 awq-int4 nf4
    /// checkpoint (default: as the checkpoint stores them).
    #[arg(long)]
    pub weights: Option<String>,
    /// KV cache dtype: fp32 fp16 bf16 fp8 int8 int4 (vllm, sglang,
    /// transformers). For llama.cpp, a cache type for both K and V.
    #[arg(long)]
    pub kv: Option<String>,
    /// Tokens per sequence (vLLM's --max-model-len; for llama.cpp, each
    /// slot's share of --ctx-size).
    #[arg(long, default_value_t = 8192)]
    pub context: u64,
    /// Sequences served at once (for llama.cpp, the same as --parallel).
    #[arg(long)]
    pub batch: Option<u64>,
    /// llama.cpp: --ubatch-size.
    #[arg(long, default_value_t = 512)]
    pub ubatch: u64,
    /// llama.cpp: --parallel, the number of slots; --ctx-size is
    /// --context × --parallel.
    #[arg(long)]
    pub parallel: Option<u64>,
    /// llama.cpp: --flash-attn.
    #[arg(long, value_enum, default_value_t = OnOff::Off)]
    pub flash_attn: OnOff,
    /// llama.cpp: --cache-type-k (f32 f16 bf16 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1).
    #[arg(long)]
    pub cache_type_k: Option<String>,
    /// llama.cpp: --cache-type-v.
    #[arg(long)]
    pub cache_type_v: Option<String>,
    /// llama.cpp: --n-gpu-layers (default: every layer and the output on the GPU).
    #[arg(long)]
    pub n_gpu_layers: Option<u64>,
    /// vLLM: --gpu-memory-utilization.
    #[arg(long, default_value_t = 0.9)]
    pub gpu_memory_utilization: f64,
    /// vLLM: --max-num-batched-tokens.
    #[arg(long, default_value_t = 8192)]
    pub max_num_batched_tokens: u64,
    /// vLLM: --max-num-seqs.
    #[arg(long, default_value_t = 256)]
    pub max_num_seqs: u64,
    /// vLLM: --block-size.
    #[arg(long, default_value_t = 16)]
    pub block_size: u64,
    /// vLLM: --enforce-eager (no CUDA graphs).
    #[arg(long)]
    pub enforce_eager: bool,
    /// SGLang: --mem-fraction-static.
    #[arg(long, default_value_t = 0.88)]
    pub mem_fraction_static: f64,
    /// Dollars per GPU-hour: adds the cost of a million generated tokens.
    #[arg(long)]
    pub gpu_hour_price: Option<f64>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A llama.cpp cache type from `--cache-type-*` or `--kv`.
fn cache_type(s: &str) -> CliResult<GgmlType> {
    let name = match s.to_ascii_lowercase().as_str() {
        "fp16" => "f16".to_string(),
        "fp32" => "f32".to_string(),
        // llmem's KV dtypes, as llama.cpp's cache blocks of that width.
        "int8" => "q8_0".to_string(),
        "int4" => "q4_0".to_string(),
        other => other.to_string(),
    };
    GgmlType::parse(&name).filter(|t| CACHE_TYPES.contains(t)).ok_or_else(|| {
        format!(
            "llama.cpp has no cache type {s:?}; it takes {}",
            CACHE_TYPES.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Checks a setting that must be a fraction of the device.
fn fraction(flag: &str, v: f64) -> CliResult<f64> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(format!("{flag} must be above 0 and at most 1, not {v}"))
    }
}

/// Runs `llmem serve`.
pub fn run(a: &ServeArgs) -> CliResult<String> {
    let engine = Engine::parse(&a.engine).map_err(err)?;
    // A GGUF is the model (its metadata) and, for llama.cpp unless --weights
    // names a file type, the weights (its own tensors, as stored).
    let (name, arch, file) = if a.config.to_ascii_lowercase().ends_with(".gguf") {
        let (arch, tensors) = crate::inspect::gguf_model(&a.config)?;
        (a.config.clone(), arch, Some(tensors))
    } else {
        let (name, arch) = load(&a.config)?;
        (name, arch, None)
    };
    let dev = device(&a.device).map_err(err)?;
    let llama = engine == Engine::LlamaCpp;
    if dev.is_cpu() && !llama {
        return Err(format!("{} needs a GPU; on the CPU use --engine llama.cpp", engine.label()));
    }
    // GPUs and their split.
    let parallel = match (a.tp, a.pp, a.count) {
        (None, None, count) => Parallelism { tp: count.unwrap_or(1), pp: 1, expert_parallel: a.expert_parallel },
        (tp, pp, count) => {
            let p = Parallelism { tp: tp.unwrap_or(1), pp: pp.unwrap_or(1), expert_parallel: a.expert_parallel };
            if let Some(c) = count.filter(|&c| c != p.gpus()) {
                return Err(format!("--count {c} does not match --tp {} × --pp {} = {} GPUs", p.tp, p.pp, p.gpus()));
            }
            p
        }
    };
    if llama && parallel.gpus() > 1 {
        return Err("llmem models llama.cpp on one device: drop --count/--tp/--pp, or use --engine vllm or sglang \
                    for several GPUs"
            .into());
    }
    if parallel.tp == 0 || parallel.pp == 0 {
        return Err("--count, --tp and --pp must be at least 1".into());
    }
    let sequences = match (a.batch, a.parallel) {
        (Some(b), Some(p)) if b != p => {
            return Err(format!("--batch {b} and --parallel {p} disagree; for llama.cpp they are the same setting"))
        }
        (b, p) => b.or(p).unwrap_or(1),
    };
    if a.parallel.is_some() && !llama {
        return Err("--parallel is llama.cpp's; for other engines use --batch".into());
    }
    // Formats: a GGUF file type for llama.cpp, a weights format otherwise.
    let (weights, kv) = if llama {
        (WeightFormat::Float(Dtype::Fp16), Dtype::Fp16)
    } else {
        formats(&arch, a.weights.as_deref(), a.kv.as_deref())?
    };
    let gguf = match (llama, a.weights.as_deref()) {
        (true, Some(w)) => FileType::parse(w).map_err(err)?,
        _ => FileType::F16,
    };
    let kv_default = match (llama, a.kv.as_deref()) {
        (true, Some(k)) => cache_type(k)?,
        _ => GgmlType::F16,
    };
    let type_k = a.cache_type_k.as_deref().map(cache_type).transpose()?.unwrap_or(kv_default);
    let type_v = a.cache_type_v.as_deref().map(cache_type).transpose()?.unwrap_or(kv_default);
    let flash_attn = a.flash_attn == OnOff::On;
    if llama && type_v.is_quantized() && !flash_attn {
        return Err(format!(
            "llama.cpp needs --flash-attn on for a quantized V cache ({}); add it, or use f16",
            type_v.name()
        ));
    }
    if a.ubatch == 0 {
        return Err("--ubatch must be at least 1".into());
    }
    let q = ServeQuery {
        arch: &arch,
        engine,
        device: dev,
        parallel,
        weights,
        gguf,
        gguf_file: file.as_deref().filter(|_| llama && a.weights.is_none()),
        kv,
        context: a.context,
        batch: sequences,
        vllm: VllmOptions {
            gpu_memory_utilization: fraction("--gpu-memory-utilization", a.gpu_memory_utilization)?,
            max_num_batched_tokens: a.max_num_batched_tokens.max(1),
            max_num_seqs: a.max_num_seqs.max(1),
            block_size: a.block_size.max(1),
            enforce_eager: a.enforce_eager,
        },
        sglang_mem_fraction: fraction("--mem-fraction-static", a.mem_fraction_static)?,
        llama: LlamaCppParams {
            n_ubatch: a.ubatch,
            flash_attn,
            type_k,
            type_v,
            n_gpu_layers: a.n_gpu_layers.unwrap_or(u64::MAX),
            ..LlamaCppParams::default()
        },
    };
    let r = serve(&q).map_err(err)?;
    // Speed and cost, for the format the engine reads (a GGUF's own tensors
    // are not one format: no speed for those).
    let speed = if q.gguf_file.is_some() {
        None
    } else {
        let weights = if llama { gguf.weight_format() } else { weights };
        let kv = if llama { llama_kv_dtype(type_k) } else { kv };
        let fit = FitQuery {
            arch: &arch,
            weights,
            kv,
            context: a.context,
            batch: sequences,
            device: dev,
            device_count: parallel.tp,
            stored_weights: None,
        };
        Some(speed(&fit, Some(engine), a.gpu_hour_price).map_err(err)?)
    };
    if a.json {
        let mut v = to_json(&name, &q, &r);
        v["speed"] = serde_json::to_value(&speed).map_err(|e| e.to_string())?;
        Ok(v.to_string())
    } else {
        Ok(table(&name, &q, &r) + &speed.map_or(String::new(), |s| speed_lines(&s, &q, a.gpu_hour_price)))
    }
}

/// The KV dtype of the same width as a llama.cpp cache type (its quantized
/// blocks read as int8 or int4: the scale bytes are a rounding here).
fn llama_kv_dtype(t: GgmlType) -> Dtype {
    match t {
        GgmlType::F32 => Dtype::Fp32,
        GgmlType::Bf16 => Dtype::Bf16,
        GgmlType::Q8_0 => Dtype::Int8,
        t if t.is_quantized() => Dtype::Int4,
        _ => Dtype::Fp16,
    }
}

/// The speed and cost lines under the table.
fn speed_lines(s: &Speed, q: &ServeQuery, price: Option<f64>) -> String {
    let tps = |v: f64| group_thousands(v.round() as u64);
    let mut out = vec![format!(
        "\nspeed        decoding at most {} tokens/s in all ({} per sequence): the {} ceiling{}",
        tps(s.ceiling_tokens_per_s),
        tps(s.ceiling_tokens_per_s / q.batch.max(1) as f64),
        if s.memory_bound { "memory-bandwidth" } else { "compute" },
        if q.parallel.tp > 1 { ", ideal tensor parallelism" } else { "" }
    )];
    match &s.band {
        Some(b) => out.push(format!(
            "             measured {} runs reached {:.0}–{:.0}% of their ceilings: expect about {}–{} tokens/s",
            q.engine.label(),
            b.low_efficiency * 100.0,
            b.high_efficiency * 100.0,
            tps(b.low_tokens_per_s),
            tps(b.high_tokens_per_s)
        )),
        None => out.push(format!(
            "             no measured {} run is on record here to bound it from below: expect less",
            q.engine.label()
        )),
    }
    out.push(format!(
        "first token  at least {:.3} s for a {}-token prompt ({})",
        s.first_token_seconds,
        group_thousands(q.context),
        if s.first_token_at_peak {
            "its FLOPs at the device's peak"
        } else {
            "no published peak: its bytes at the bandwidth"
        }
    ));
    if let (Some((fast, slow)), Some(p)) = (s.cost_per_million, price) {
        let range = if (fast - slow).abs() < 1e-9 {
            format!("at least ${fast:.2}")
        } else {
            format!("${fast:.2}–${slow:.2}")
        };
        out.push(format!("cost         {range} per million generated tokens at ${p:.2} per GPU-hour"));
    }
    if let Some(b) = &s.band {
        for r in &b.runs {
            out.push(format!("  run        {r}"));
        }
    }
    out.join("\n")
}

fn to_json(name: &str, q: &ServeQuery, r: &ServeReport) -> serde_json::Value {
    let gpus: Vec<_> = r
        .gpus
        .iter()
        .map(|g| {
            json!({
                "rank": g.rank,
                "stage": g.stage,
                "total_bytes": g.total_bytes,
                "capacity_bytes": g.capacity_bytes,
                "terms": g.terms,
            })
        })
        .collect();
    let mut v = json!({
        "model": name,
        "engine": r.engine.id(),
        "device": q.device.id,
        "tp": q.parallel.tp,
        "pp": q.parallel.pp,
        "context": q.context,
        "sequences": q.batch,
        "weights_bytes": r.weights_bytes,
        "kv_bytes": r.kv_bytes,
        "compute_bytes": r.compute_bytes,
        "compute_exact": r.compute_exact,
        "output_bytes": r.output_bytes,
        "total_bytes": r.total_bytes,
        "host_bytes": r.host_bytes,
        "fits": r.fits,
        "gpus": gpus,
        "kv_cache_tokens": r.kv_cache_tokens,
        "max_concurrency": r.max_concurrency,
        "problems": r.problems,
    });
    if let Some(l) = &r.llama_cpp {
        v["llama_cpp"] = json!({
            "file_type": q.gguf.id(),
            "n_ctx": l.n_ctx,
            "n_ctx_seq": l.n_ctx_seq,
            "n_swa_cells": l.n_swa_cells,
            "n_ubatch": l.n_ubatch,
            "flash_attn": q.llama.flash_attn,
            "cache_type_k": q.llama.type_k.name(),
            "cache_type_v": q.llama.type_v.name(),
            "model": l.model,
            "kv": l.kv,
            "compute": l.compute,
            "output_bytes": l.output_bytes,
        });
    }
    v
}

fn basis(b: Basis) -> &'static str {
    match b {
        Basis::Exact => "exact",
        Basis::Estimate => "estimate",
        Basis::Setting => "setting",
    }
}

fn table(name: &str, q: &ServeQuery, r: &ServeReport) -> String {
    let gb = |b: u64| format_bytes(b, UnitSystem::Decimal);
    let mut out = vec![format!("{name} with {} on {}", r.engine.label(), q.device.name)];
    if let Some(l) = &r.llama_cpp {
        out.push(format!(
            "llama.cpp    {} GGUF, --ctx-size {} (--parallel {} × {} cells), --ubatch-size {}, flash attention {}, \
             cache {}/{}",
            q.gguf.id(),
            l.n_ctx,
            q.batch,
            l.n_ctx_seq,
            l.n_ubatch,
            if q.llama.flash_attn { "on" } else { "off" },
            q.llama.type_k.name(),
            q.llama.type_v.name()
        ));
        let split = |s: &llmem_estimator::engines::llama_cpp::Split| {
            if s.host > 0 && s.device > 0 {
                format!(" ({} on the GPU, {} in host RAM)", gb(s.device), gb(s.host))
            } else {
                String::new()
            }
        };
        out.push(format!("model        {}{}  exact", both_units(l.model.total()), split(&l.model)));
        out.push(format!("KV cache     {}{}  exact", both_units(l.kv.total()), split(&l.kv)));
        if l.n_swa_cells > 0 {
            out.push(format!("             sliding-window layers keep {} cells per sequence", l.n_swa_cells));
        }
        out.push(format!(
            "compute      {}{}  {}",
            both_units(l.compute.total()),
            split(&l.compute),
            if r.compute_exact { "exact (CPU backend)" } else { "estimate" }
        ));
        out.push(format!("output       {}  exact (logits, host RAM)", both_units(l.output_bytes)));
        out.push(format!("total        {}", both_units(r.total_bytes)));
    }
    for g in &r.gpus {
        // One block per pipeline stage: TP ranks of a stage are alike.
        if g.rank % q.parallel.tp != 0 {
            continue;
        }
        let who = match (q.parallel.tp, q.parallel.pp) {
            (1, 1) => "GPU".to_string(),
            (1, _) => format!("GPU {} (stage {})", g.rank, g.stage),
            (t, _) => format!("GPUs {}–{} (stage {}, each)", g.rank, g.rank + t - 1, g.stage),
        };
        out.push(format!("{who}: {} of {}", gb(g.total_bytes), gb(g.capacity_bytes)));
        for t in &g.terms {
            out.push(format!("  {:<40} {:>10}  {:<8} {}", t.label, gb(t.bytes), basis(t.basis), t.note));
        }
    }
    if r.engine == Engine::Vllm {
        // The two lines vLLM prints at start-up (vllm/v1/core/kv_cache_utils.py).
        if let (Some(tokens), Some(c)) = (r.kv_cache_tokens, r.max_concurrency) {
            out.push(format!("GPU KV cache size: {} tokens", group_thousands(tokens)));
            out.push(format!("Maximum concurrency for {} tokens per request: {c:.2}x", group_thousands(q.context)));
        }
    } else if let (Engine::Sglang, Some(tokens)) = (r.engine, r.kv_cache_tokens) {
        out.push(format!("max_total_num_tokens={tokens}"));
    }
    if r.fits {
        out.push("verdict      fits".into());
    } else {
        out.push("verdict      does NOT fit".into());
    }
    for p in &r.problems {
        out.push(format!("  - {p}"));
    }
    out.join("\n")
}

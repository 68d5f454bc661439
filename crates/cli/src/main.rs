//! `llmem`: where an LLM's memory goes, in a terminal.
//!
//! A thin front end over `llmem-estimator`; every number comes from there.
//! Errors go to stderr with exit code 2 and say what to fix.

use clap::{Parser, Subcommand};
use llmem_estimator::{
    catalogue,
    config::parse_config_value,
    finetune::{finetune, FineTuneQuery, Method},
    fit::{changes_to_fit, will_it_fit, FitQuery},
    hardware::{device, DEVICES},
    kv_cache::kv_cache,
    precision::{weights_footprint, Dtype, WeightFormat},
    presets::{preset, PRESETS},
    training::{
        activation_bytes, optimizer_step_bytes, setup_states, AdamKernel, LoraTargets, Optimizer, Recompute,
        TrainingSetup, ZeroStage,
    },
    units::{format_bytes, group_thousands, UnitSystem},
    EstimateError, ModelArch,
};
use serde_json::json;
use std::process::ExitCode;

mod inspect;
mod serve;

#[derive(Parser)]
#[command(name = "llmem", version, about = "Exact memory estimates for large language models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parameters, weights and KV cache of a model (a config.json path or a preset name).
    Model {
        /// Path to a Hugging Face config.json, or a preset name (see `llmem presets`).
        config: String,
        /// Weights format: fp32 fp16 bf16 fp8 int8 int4 gptq-int4 awq-int4 q8_0 q4_k_m nf4 checkpoint.
        /// Default: as the checkpoint stores them (its quantization_config, else its
        /// torch_dtype; bf16 if absent).
        #[arg(long)]
        weights: Option<String>,
        /// KV cache dtype: fp32 fp16 bf16 fp8 int8 int4. Default: the weights'
        /// float type, or bf16 for quantized weights.
        #[arg(long)]
        kv: Option<String>,
        /// Context length in tokens.
        #[arg(long, default_value_t = 4096)]
        context: u64,
        /// Sequences in the batch.
        #[arg(long, default_value_t = 1)]
        batch: u64,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Per-GPU model states for mixed-precision training under ZeRO.
    Train {
        /// Parameter count: an integer or with a suffix, e.g. 7.5B, 70e9.
        #[arg(long)]
        params: String,
        /// Data-parallel GPUs.
        #[arg(long)]
        gpus: u64,
        /// ZeRO stage: 0, 1, 2 or 3.
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=3))]
        zero: u8,
        /// Optimizer: adam (mixed precision), adam-fp32, sgd, adam-8bit.
        #[arg(long, default_value = "adam")]
        optimizer: String,
        /// Keep and accumulate gradients in fp32 (Megatron's
        /// --accumulate-allreduce-grads-in-fp32, DeepSpeed's BF16 optimizer, FSDP2 with fp32 sharded parameters).
        #[arg(long)]
        fp32_grads: bool,
        /// Adam's implementation: fused (no temporaries) or foreach (PyTorch's CUDA default).
        #[arg(long, default_value = "fused")]
        adam: String,
        #[arg(long)]
        json: bool,
    },
    /// Activation memory of a training forward pass, 16-bit, no tensor/sequence
    /// parallelism: with --config, what transformers keeps tensor by tensor;
    /// with --layers/--hidden/--heads, Korthikanti et al. 2022's GPT formula.
    Activations {
        /// A config.json path or a preset name.
        #[arg(long, conflicts_with_all = ["layers", "hidden", "heads"])]
        config: Option<String>,
        #[arg(long, required_unless_present = "config")]
        layers: Option<u64>,
        #[arg(long, required_unless_present = "config")]
        hidden: Option<u64>,
        #[arg(long, required_unless_present = "config")]
        heads: Option<u64>,
        #[arg(long)]
        seq: u64,
        #[arg(long)]
        batch: u64,
        /// none, selective or full.
        #[arg(long, default_value = "none")]
        recompute: String,
        /// flash (FlashAttention/SDPA, the default) or eager; with --config only.
        #[arg(long, requires = "config")]
        attention: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Will a model fit on a device? Breakdown, margin, largest context and batch.
    Fit {
        /// Path to a config.json, a .gguf file (its metadata gives the model,
        /// its tensors the weights), or a preset name.
        config: String,
        /// Device id (see `llmem devices`).
        #[arg(long, default_value = "h100-sxm")]
        device: String,
        /// How many devices.
        #[arg(long, default_value_t = 1)]
        count: u64,
        #[arg(long)]
        weights: Option<String>,
        /// Weights as this checkpoint stores them, read from its header: a
        /// .gguf, a .safetensors, or a sharded checkpoint's
        /// model.safetensors.index.json (instead of --weights).
        #[arg(long, conflicts_with = "weights")]
        weights_file: Option<String>,
        /// Weights of this many bytes, as a checkpoint file stores them (what
        /// the calculator's link carries for a file it read; instead of --weights).
        #[arg(long, conflicts_with_all = ["weights", "weights_file"], value_parser = clap::value_parser!(u64).range(1..))]
        weights_bytes: Option<u64>,
        #[arg(long)]
        kv: Option<String>,
        #[arg(long, default_value_t = 4096)]
        context: u64,
        #[arg(long, default_value_t = 1)]
        batch: u64,
        #[arg(long)]
        json: bool,
    },
    /// Will fine-tuning fit? One GPU at the peak of a step: full, LoRA or QLoRA.
    Finetune {
        /// Path to a config.json, a preset name or a catalogue id.
        config: String,
        /// full, lora (bf16 base) or qlora (NF4 base).
        #[arg(long, default_value = "qlora")]
        method: String,
        /// LoRA rank.
        #[arg(long, default_value_t = 16)]
        rank: u64,
        /// Adapted projections: attention, or all (every linear layer).
        #[arg(long, default_value = "all")]
        targets: String,
        #[arg(long, default_value_t = 2048)]
        seq: u64,
        /// Micro-batch.
        #[arg(long, default_value_t = 1)]
        batch: u64,
        /// Gradient checkpointing: on or off.
        #[arg(long, default_value = "on")]
        checkpointing: String,
        /// ZeRO stage: 0, 1, 2 or 3.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
        zero: u8,
        /// Data-parallel GPUs.
        #[arg(long, default_value_t = 1)]
        gpus: u64,
        #[arg(long, default_value = "rtx-4090")]
        device: String,
        #[arg(long)]
        json: bool,
    },
    /// What an inference engine allocates to serve a model, per GPU: llama.cpp's
    /// buffers, vLLM's reserve and KV blocks, SGLang's token pool, transformers' cache.
    Serve(Box<serve::ServeArgs>),
    /// What a checkpoint stores, from its header alone: a .gguf, a .safetensors,
    /// or a model.safetensors.index.json (the body is never read).
    Inspect {
        /// The file.
        file: String,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// List every tensor too.
        #[arg(long)]
        tensors: bool,
    },
    /// List the built-in model presets.
    Presets,
    /// List the catalogue of Hugging Face repositories known offline (any
    /// command that takes a model takes one of these ids).
    Catalogue {
        /// Only the ids holding every one of these words.
        words: Vec<String>,
    },
    /// List the devices in the hardware table.
    Devices,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(out) => {
            // A reader that stops reading (`llmem catalogue | head`) is not an error.
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout(), "{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("llmem: {e}");
            ExitCode::from(2)
        }
    }
}

/// An error for the user: estimator errors and file errors alike.
type CliResult<T> = Result<T, String>;

fn run(command: Command) -> CliResult<String> {
    match command {
        Command::Model { config, weights, kv, context, batch, json } => {
            model(&config, weights.as_deref(), kv.as_deref(), context, batch, json)
        }
        Command::Train { params, gpus, zero, optimizer, fp32_grads, adam, json } => {
            train(&params, gpus, zero, &optimizer, (fp32_grads, &adam), json)
        }
        Command::Activations { config, layers, hidden, heads, seq, batch, recompute, attention, json } => {
            let r = Recompute::parse(&recompute).map_err(err)?;
            if let Some(config) = config {
                return activations_of(&config, seq, batch, r, attention.as_deref(), json);
            }
            let (layers, hidden, heads) = (layers.unwrap_or(0), hidden.unwrap_or(0), heads.unwrap_or(0));
            let bytes = activation_bytes(layers, hidden, heads, seq, batch, r).map_err(err)?;
            let layer_bytes = activation_bytes(1, hidden, heads, seq, batch, r).map_err(err)?;
            if json {
                Ok(json!({ "bytes": bytes, "layer_bytes": layer_bytes, "recompute": r.id() }).to_string())
            } else {
                Ok(format!("activations ({} recomputation, GPT formula): {}", r.id(), both_units(bytes)))
            }
        }
        Command::Fit { config, device: dev, count, weights, weights_file, weights_bytes, kv, context, batch, json } => {
            fit(
                &config,
                &dev,
                count,
                Weights { format: weights.as_deref(), file: weights_file.as_deref(), bytes: weights_bytes },
                kv.as_deref(),
                context,
                batch,
                json,
            )
        }
        Command::Serve(args) => serve::run(&args),
        Command::Finetune {
            config,
            method,
            rank,
            targets,
            seq,
            batch,
            checkpointing,
            zero,
            gpus,
            device: dev,
            json,
        } => finetune_command(&config, &method, rank, &targets, (seq, batch), &checkpointing, (zero, gpus), &dev, json),
        Command::Inspect { file, json, tensors } => inspect::run(&file, json, tensors),
        Command::Catalogue { words } => {
            let words: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
            Ok(catalogue::search(&words)
                .iter()
                .map(|e| format!("{:<52} {:<30} {:>6}B  {:?}", e.id, e.arch, e.card_billions, e.stored))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        Command::Presets => Ok(PRESETS
            .iter()
            .map(|p| format!("{:<16} {:<44} {:>17} params", p.id, p.name, group_thousands(p.expected_params)))
            .collect::<Vec<_>>()
            .join("\n")),
        Command::Devices => Ok(DEVICES
            .iter()
            .map(|d| format!("{:<10} {:<28} {:>8}  {:>6.0} GB/s", d.id, d.name, d.marketed, d.bandwidth / 1e9))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn err(e: EstimateError) -> String {
    e.to_string()
}

/// Loads a config from a file path, or a preset by name.
fn load(config: &str) -> CliResult<(String, ModelArch)> {
    let path = std::path::Path::new(config);
    if path.exists() {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {config}: {e}"))?;
        if meta.len() > llmem_estimator::config::MAX_CONFIG_BYTES as u64 {
            return Err(format!("{config} is {} bytes; a config.json is at most 1 MiB", meta.len()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {config}: {e}"))?;
        let arch = llmem_estimator::parse_config(&text).map_err(|e| format!("{config}: {e}"))?;
        return Ok((config.to_string(), arch));
    }
    match preset(config) {
        Ok(p) => Ok((p.name.to_string(), p.arch().map_err(err)?)),
        Err(e) => match catalogue::find(config) {
            Some(entry) => Ok((entry.id.to_string(), parse_config_value(&entry.config()).map_err(err)?)),
            None => Err(format!("{config} is neither a file, a preset nor a catalogue id (`llmem catalogue`) ({e})")),
        },
    }
}

/// Resolves --weights and --kv against the config's defaults.
fn formats(arch: &ModelArch, weights: Option<&str>, kv: Option<&str>) -> CliResult<(WeightFormat, Dtype)> {
    let w = match weights {
        Some(s) => WeightFormat::parse(s).map_err(err)?,
        // A pre-quantized checkpoint is priced as it is stored.
        None if arch.quantization.is_some() => WeightFormat::Checkpoint,
        None => WeightFormat::from_dtype(arch.torch_dtype),
    };
    let k = match kv {
        Some(s) => Dtype::parse(s).map_err(err)?,
        None => match w {
            WeightFormat::Float(d) => d,
            WeightFormat::Checkpoint => match arch.torch_dtype {
                d @ (Dtype::Fp32 | Dtype::Fp16 | Dtype::Bf16) => d,
                _ => Dtype::Bf16,
            },
            _ => Dtype::Bf16,
        },
    };
    Ok((w, k))
}

fn both_units(bytes: u64) -> String {
    format!(
        "{} ({}, {} bytes)",
        format_bytes(bytes, UnitSystem::Decimal),
        format_bytes(bytes, UnitSystem::Binary),
        group_thousands(bytes)
    )
}

fn model(
    config: &str,
    weights: Option<&str>,
    kv: Option<&str>,
    context: u64,
    batch: u64,
    json: bool,
) -> CliResult<String> {
    let (name, arch) = load(config)?;
    let (w, k) = formats(&arch, weights, kv)?;
    let counts = arch.param_counts().map_err(err)?;
    let wf = weights_footprint(&arch, w).map_err(err)?;
    let cache = kv_cache(&arch, k, context, batch).map_err(err)?;
    let quantization = match (w, &arch.quantization) {
        (WeightFormat::Checkpoint, Some(q)) => Some(q.label()),
        _ => None,
    };
    let layer_kinds = |kind: &str| arch.layers.iter().filter(|l| l.kind_label() == kind).count();
    if json {
        return Ok(json!({
            "model": name,
            "model_type": arch.family.model_type(),
            "params_total": counts.total,
            "params_active": counts.active,
            "params_vision": counts.vision,
            "params_projector": counts.projector,
            "weights_format": w.id(),
            "weights_quantization": quantization,
            "weights_bytes": wf.total_bytes,
            "weights_bits_per_param": wf.bits_per_param,
            "weights_unquantized_params": wf.kept_params,
            "kv_dtype": k.id(),
            "kv_bytes_per_token": cache.bytes_per_token,
            "kv_bytes": cache.total_bytes,
            "kv_window_capped_layers": cache.capped_layers,
            "kv_state_bytes_per_sequence": cache.state_bytes_per_sequence,
            "kv_state_bytes": cache.state_bytes,
            "context": context,
            "batch": batch,
            "attention": arch.attention_label(),
            "layers": {
                "total": arch.num_layers,
                "full": layer_kinds("full"),
                "sliding": layer_kinds("sliding"),
                "chunked": layer_kinds("chunked"),
                "recurrent": layer_kinds("recurrent"),
                "mlp_only": layer_kinds("mlp"),
                "moe": arch.layers.iter().filter(|l| l.ffn == llmem_estimator::Ffn::Moe).count(),
            },
            "max_position_embeddings": arch.max_position_embeddings,
            "defaulted_fields": arch.defaulted,
            "notes": arch.notes,
        })
        .to_string());
    }
    let mut out = vec![
        format!("model        {name} ({})", arch.family.model_type()),
        format!("attention    {}", arch.attention_label()),
        format!(
            "parameters   {} total, {} active per token",
            group_thousands(counts.total),
            group_thousands(counts.active)
        ),
        format!(
            "weights      {} in {} ({:.3} bits/param)",
            both_units(wf.total_bytes),
            quantization.as_deref().map_or_else(|| w.label().to_string(), |q| format!("{q}, as stored")),
            wf.bits_per_param
        ),
    ];
    if counts.vision > 0 {
        out.push(format!(
            "vision       {} encoder + {} projector parameters (included in the weights)",
            group_thousands(counts.vision),
            group_thousands(counts.projector)
        ));
    }
    if wf.kept_params > 0 && wf.quantized_params > 0 {
        out.push(format!(
            "             {} params kept unquantized: {}",
            group_thousands(wf.kept_params),
            format_bytes(wf.kept_bytes, UnitSystem::Decimal)
        ));
    }
    out.push(format!(
        "KV cache     {} per token ({}), before window caps",
        format_bytes(cache.bytes_per_token, UnitSystem::Decimal),
        k.id()
    ));
    out.push(format!("             {} at {context} tokens × batch {batch}", both_units(cache.total_bytes)));
    if cache.capped_layers > 0 {
        out.push(format!("             {} layers capped by a sliding window or chunk", cache.capped_layers));
    }
    if cache.state_bytes_per_sequence > 0 {
        out.push(format!(
            "             of which {} recurrent state ({} per sequence, whatever the length)",
            format_bytes(cache.state_bytes, UnitSystem::Decimal),
            format_bytes(cache.state_bytes_per_sequence, UnitSystem::Decimal)
        ));
    }
    if context > arch.max_position_embeddings {
        out.push(format!(
            "warning      {context} tokens is beyond the {} the config declares (max_position_embeddings)",
            arch.max_position_embeddings
        ));
    }
    if !arch.defaulted.is_empty() {
        out.push(format!("defaults     transformers' defaults for: {}", arch.defaulted.join(", ")));
    }
    for n in &arch.notes {
        out.push(format!("note         {n}"));
    }
    Ok(out.join("\n"))
}

/// `llmem activations --config`: what transformers keeps for backward.
fn activations_of(
    config: &str,
    seq: u64,
    batch: u64,
    recompute: Recompute,
    attention: Option<&str>,
    json: bool,
) -> CliResult<String> {
    use llmem_estimator::activations::{activations, ActivationQuery, AttentionKernel};
    let (name, arch) = load(config)?;
    let kernel = attention.map_or(Ok(AttentionKernel::Flash), AttentionKernel::parse).map_err(err)?;
    let r = activations(&arch, &ActivationQuery { seq, micro_batch: batch, kernel, recompute }).map_err(err)?;
    if json {
        return Ok(json!({
            "model": name,
            "bytes": r.total_bytes,
            "layer_bytes": r.layer_bytes,
            "layers_bytes": r.layers_bytes,
            "rest_bytes": r.rest_bytes,
            "recompute": recompute.id(),
            "attention": kernel.id(),
            "measured": r.measured,
        })
        .to_string());
    }
    Ok([
        format!(
            "{name}: {seq} tokens × micro-batch {batch}, {} attention, {} recomputation",
            kernel.label(),
            if recompute == Recompute::None { "no" } else { recompute.id() }
        ),
        format!("one layer    {}", both_units(r.layer_bytes)),
        format!("all layers   {}", both_units(r.layers_bytes)),
        format!(
            "outside them {} (embeddings, final norm, fp32 log-softmax of the logits, loss)",
            both_units(r.rest_bytes)
        ),
        format!("total        {}", both_units(r.total_bytes)),
        if r.measured {
            "basis        every term is one transformers keeps, checked against measurements".to_string()
        } else {
            "basis        an estimate: this family's layers are not among the measured ones".to_string()
        },
    ]
    .join("\n"))
}

/// Parses `7500000000`, `7.5e9`, `7.5B`, `70b`, `350M`.
fn parse_count(s: &str) -> CliResult<u64> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('B') | Some('G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        _ => (t, 1.0),
    };
    if let Ok(n) = num.parse::<u64>() {
        if mult == 1.0 {
            return Ok(n);
        }
    }
    let x: f64 = num.parse().map_err(|_| format!("`{s}` is not a number (try 7500000000 or 7.5B)"))?;
    let v = (x * mult).round();
    if !(v.is_finite() && (1.0..1e18).contains(&v)) {
        return Err(format!("`{s}` must be between 1 and 10^18"));
    }
    Ok(v as u64)
}

/// `llmem train`: model states per GPU and the optimizer step's temporaries;
/// `grads` is (fp32 gradients, Adam's implementation).
fn train(params: &str, gpus: u64, zero: u8, optimizer: &str, grads: (bool, &str), json: bool) -> CliResult<String> {
    let p = parse_count(params)?;
    let stage = ZeroStage::from_u8(zero).map_err(err)?;
    let opt = Optimizer::parse(optimizer).map_err(err)?;
    let setup = TrainingSetup {
        optimizer: opt,
        stage,
        gpus,
        fp32_grads: grads.0,
        adam: AdamKernel::parse(grads.1).map_err(err)?,
        ..TrainingSetup::default()
    };
    let s = setup_states(p, &setup).map_err(err)?;
    let step = optimizer_step_bytes(p, &setup).map_err(err)?;
    if json {
        return Ok(json!({
            "params": p,
            "gpus": gpus,
            "zero": zero,
            "optimizer": opt.id(),
            "per_gpu_bytes": s.per_gpu_bytes,
            "params_bytes": s.params_bytes,
            "grads_bytes": s.grads_bytes,
            "optimizer_bytes": s.optimizer_bytes,
            "optimizer_step_bytes": step,
        })
        .to_string());
    }
    Ok([
        format!(
            "{} parameters, {} on {gpus} GPU(s), ZeRO stage {zero} ({})",
            group_thousands(p),
            opt.label(),
            stage.label()
        ),
        format!("parameters   {}", both_units(s.params_bytes)),
        format!("gradients    {}", both_units(s.grads_bytes)),
        format!("optimizer    {}", both_units(s.optimizer_bytes)),
        format!("per GPU      {}", both_units(s.per_gpu_bytes)),
        format!("optimizer step: +{} of temporaries (estimate)", both_units(step)),
    ]
    .join("\n"))
}

/// `llmem finetune`: one GPU at the peak of a fine-tuning step
/// ([`llmem_estimator::finetune`]); `tokens` is (sequence, micro-batch) and
/// `data` (ZeRO stage, data-parallel GPUs).
#[allow(clippy::too_many_arguments)]
fn finetune_command(
    config: &str,
    method: &str,
    rank: u64,
    targets: &str,
    tokens: (u64, u64),
    checkpointing: &str,
    data: (u8, u64),
    dev: &str,
    json: bool,
) -> CliResult<String> {
    let ((seq, batch), (zero, gpus)) = (tokens, data);
    if gpus == 0 || rank == 0 || seq == 0 || batch == 0 {
        return Err("--gpus, --rank, --seq and --batch must be at least 1".into());
    }
    let (name, arch) = load(config)?;
    let q = FineTuneQuery {
        arch: &arch,
        method: Method::parse(method).map_err(err)?,
        rank,
        targets: match targets {
            "attention" => LoraTargets { attention: true, mlp: false },
            "all" => LoraTargets { attention: true, mlp: true },
            other => return Err(format!("--targets {other}: expected attention or all")),
        },
        seq,
        micro_batch: batch,
        checkpointing: match checkpointing {
            "on" => true,
            "off" => false,
            other => return Err(format!("--checkpointing {other}: expected on or off")),
        },
        kernel: llmem_estimator::activations::AttentionKernel::Flash,
        stage: ZeroStage::from_u8(zero).map_err(err)?,
        gpus,
        device: device(dev).map_err(err)?,
    };
    let r = finetune(&q).map_err(err)?;
    if json {
        return serde_json::to_string(&r).map_err(|e| e.to_string());
    }
    Ok([
        format!("{name}, {method} on {dev} (×{gpus}, ZeRO-{zero}): {}", if r.fits { "fits" } else { "does NOT fit" }),
        format!("weights      {}", both_units(r.weights_bytes)),
        format!("adapters     {}", both_units(r.adapter_bytes)),
        format!("activations  {} (with the loss gradient)", both_units(r.activation_bytes)),
        format!("other        {} (gradients, gathered layers, optimizer temporaries)", both_units(r.other_bytes)),
        format!("overhead     {}", both_units(r.overhead_bytes)),
        format!(
            "total        {} of {}",
            both_units(r.total_bytes),
            format_bytes(r.capacity_bytes, UnitSystem::Decimal)
        ),
        format!("trainable    {} parameters", group_thousands(r.trainable_params)),
    ]
    .join("\n"))
}

/// How `llmem fit` prices the weights: a format (`--weights`), or the bytes
/// a checkpoint file stores (`--weights-file`, or a `.gguf` model).
struct Weights<'a> {
    format: Option<&'a str>,
    file: Option<&'a str>,
    bytes: Option<u64>,
}

#[allow(clippy::too_many_arguments)]
fn fit(
    config: &str,
    dev: &str,
    count: u64,
    weights: Weights,
    kv: Option<&str>,
    context: u64,
    batch: u64,
    json: bool,
) -> CliResult<String> {
    // A GGUF is both the model (its metadata) and, unless a format is
    // asked for, the weights (its tensors as stored).
    let (name, arch, mut stored) = if config.to_ascii_lowercase().ends_with(".gguf") {
        match inspect::weights_file(config)? {
            (bytes, Some(arch)) => (config.to_string(), arch, weights.format.is_none().then_some(bytes)),
            (_, None) => return Err(format!("{config}: not a GGUF file")),
        }
    } else {
        let (name, arch) = load(config)?;
        (name, arch, None)
    };
    if let Some(file) = weights.file {
        stored = Some(inspect::weights_file(file)?.0);
    }
    if let Some(bytes) = weights.bytes {
        stored = Some(bytes);
    }
    let (w, k) = formats(&arch, weights.format, kv)?;
    let d = device(dev).map_err(err)?;
    let q = FitQuery {
        arch: &arch,
        weights: w,
        kv: k,
        context,
        batch,
        device: d,
        device_count: count,
        stored_weights: stored,
    };
    let r = will_it_fit(&q).map_err(err)?;
    let changes = changes_to_fit(&q).map_err(err)?;
    if json {
        // The report's fields, and what would make it fit (empty when it fits).
        let mut v = serde_json::to_value(r).map_err(|e| e.to_string())?;
        v["changes"] = serde_json::to_value(&changes).map_err(|e| e.to_string())?;
        return serde_json::to_string(&v).map_err(|e| e.to_string());
    }
    let verdict = if r.fits { "fits" } else { "does NOT fit" };
    let margin = if r.margin_bytes >= 0 {
        format!("{} to spare", format_bytes(r.margin_bytes as u64, UnitSystem::Decimal))
    } else {
        format!("{} short", format_bytes(r.margin_bytes.unsigned_abs() as u64, UnitSystem::Decimal))
    };
    Ok([
        format!("{name} on {count} × {}: {verdict} ({margin})", d.name),
        format!(
            "weights      {}{}",
            both_units(r.weights_bytes),
            if stored.is_some() { " (as the file stores them)" } else { "" }
        ),
        format!("KV cache     {}", both_units(r.kv_bytes)),
        format!("activations  {} (estimate)", both_units(r.activation_bytes)),
        format!("overhead     {} (CUDA context and workspaces)", both_units(r.overhead_bytes)),
        format!(
            "total        {} of {}",
            both_units(r.total_bytes),
            format_bytes(r.capacity_bytes, UnitSystem::Decimal)
        ),
        format!(
            "largest context at batch {batch}: {} tokens; largest batch at {context} tokens: {}",
            group_thousands(r.max_context),
            r.max_batch
        ),
        format!("decode ceiling: {:.0} tokens/s (memory bandwidth bound)", r.decode_tokens_per_s),
    ]
    .into_iter()
    .chain((!changes.is_empty()).then(|| "to make it fit, change one of:".to_string()))
    .chain(changes.iter().map(|c| {
        format!(
            "  {:<18} {} → {} of {}",
            c.flag,
            c.change,
            format_bytes(c.report.total_bytes, UnitSystem::Decimal),
            format_bytes(c.report.capacity_bytes, UnitSystem::Decimal)
        )
    }))
    .collect::<Vec<_>>()
    .join("\n"))
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn counts() {
        assert_eq!(parse_count("7500000000").unwrap(), 7_500_000_000);
        assert_eq!(parse_count("7.5B").unwrap(), 7_500_000_000);
        assert_eq!(parse_count("7.5e9").unwrap(), 7_500_000_000);
        assert_eq!(parse_count("350m").unwrap(), 350_000_000);
        assert!(parse_count("abc").is_err());
        assert!(parse_count("-5").is_err());
        assert!(parse_count("1e30").is_err());
    }
}

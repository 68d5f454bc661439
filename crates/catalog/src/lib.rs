//! The llmem widget catalogue: every widget's id, title, home article and
//! parameters, with their defaults and allowed values.
//!
//! One list, read by three parties: the site generator (to validate widget
//! shortcodes and write placeholders), the widgets (to read `data-*`
//! attributes and URL parameters with the same ranges and fall back to the
//! same defaults) and the embed documentation. A parameter value that fails
//! [`ParamSpec::accept`] is replaced by the default — never a panic.

use llmem_estimator::{
    hardware::DEVICES,
    precision::{Dtype, WeightFormat},
    presets::{recurrent_presets, PRESETS},
};

/// What values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Int { min: u64, max: u64 },
    /// `auto` (the widget chooses, e.g. the most that fit) or an integer in
    /// `min..=max`.
    IntOrAuto { min: u64, max: u64 },
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// A transformer preset id.
    Model,
    /// A transformer preset id, or `custom`: a Llama-shaped model of the
    /// size the widget's `size` parameter gives
    /// ([`llmem_estimator::presets::dense_of_size`]).
    ModelOrCustom,
    /// A preset with recurrent layers (state-space or hybrid).
    Mamba,
    /// A device id.
    Device,
    /// A weights format id.
    WeightFormat,
    /// A KV/activation dtype id.
    Dtype,
    /// `none`, or an amount of US dollars with at most two decimals, at
    /// most `max_dollars` (written canonically with two: `2.5` → `2.50`).
    Price { max_dollars: u64 },
}

/// One parameter of a widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// Attribute name without `data-` (`context` ↔ `data-context`).
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: &'static str,
    /// One line for the embed documentation.
    pub doc: &'static str,
}

/// Longest parameter value we look at; anything longer is rejected unread.
pub const MAX_VALUE_LEN: usize = 64;

impl ParamSpec {
    /// The canonical form of `raw` if it is an allowed value, else `None`.
    /// Integers accept plain digits and a `K` suffix (×1024) for token counts.
    pub fn accept(&self, raw: &str) -> Option<String> {
        let v = raw.trim();
        if v.is_empty() || v.len() > MAX_VALUE_LEN {
            return None;
        }
        match self.kind {
            ParamKind::Int { min, max } => {
                let n = parse_int(v)?;
                (min..=max).contains(&n).then(|| n.to_string())
            }
            ParamKind::IntOrAuto { .. } if v.eq_ignore_ascii_case("auto") => Some("auto".to_string()),
            ParamKind::IntOrAuto { min, max } => {
                let n = parse_int(v)?;
                (min..=max).contains(&n).then(|| n.to_string())
            }
            ParamKind::Choice(list) => list.iter().find(|c| c.eq_ignore_ascii_case(v)).map(|c| c.to_string()),
            ParamKind::Model => PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(v)).map(|p| p.id.to_string()),
            ParamKind::ModelOrCustom if v.eq_ignore_ascii_case(CUSTOM_MODEL) => Some(CUSTOM_MODEL.to_string()),
            ParamKind::ModelOrCustom => PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(v)).map(|p| p.id.to_string()),
            ParamKind::Mamba => recurrent_presets().find(|p| p.id.eq_ignore_ascii_case(v)).map(|p| p.id.to_string()),
            ParamKind::Device => DEVICES.iter().find(|d| d.id.eq_ignore_ascii_case(v)).map(|d| d.id.to_string()),
            ParamKind::WeightFormat => WeightFormat::parse(v).ok().map(|f| f.id().to_string()),
            ParamKind::Dtype => Dtype::parse(v).ok().map(|d| d.id().to_string()),
            ParamKind::Price { .. } if v.eq_ignore_ascii_case("none") => Some("none".to_string()),
            ParamKind::Price { max_dollars } => {
                cents(v).filter(|c| *c <= max_dollars * 100).map(|c| format!("{}.{:02}", c / 100, c % 100))
            }
        }
    }

    /// Allowed values, for documentation.
    pub fn describe_values(&self) -> String {
        match self.kind {
            ParamKind::Int { min, max } => format!("integer {min}–{max}"),
            ParamKind::IntOrAuto { min, max } => format!("`auto` or integer {min}–{max}"),
            ParamKind::Choice(list) => list.join(" | "),
            ParamKind::Model => "a model preset id (see the list below)".into(),
            ParamKind::ModelOrCustom => {
                format!("a model preset id (see the list below), or `{CUSTOM_MODEL}` for a Llama-shaped model of `size` billion parameters")
            }
            ParamKind::Mamba => recurrent_presets().map(|p| p.id).collect::<Vec<_>>().join(" | "),
            ParamKind::Device => DEVICES.iter().map(|d| d.id).collect::<Vec<_>>().join(" | "),
            ParamKind::WeightFormat => WeightFormat::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(" | "),
            ParamKind::Dtype => Dtype::ALL.iter().map(|d| d.id()).collect::<Vec<_>>().join(" | "),
            ParamKind::Price { max_dollars } => format!("`none` or US dollars 0–{max_dollars}, at most two decimals"),
        }
    }
}

/// `8192`, `8K` (= 8192), `1M` (= 1,048,576); nothing else.
fn parse_int(v: &str) -> Option<u64> {
    let (digits, mult) = match v.as_bytes().last()? {
        b'K' | b'k' => (&v[..v.len() - 1], 1024u64),
        b'M' | b'm' => (&v[..v.len() - 1], 1 << 20),
        _ => (v, 1),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// An amount of dollars (`2`, `2.5`, `2.49`; at most two decimals) in
/// cents; nothing else.
pub fn cents(v: &str) -> Option<u64> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let frac = if frac.is_empty() { 0 } else { frac.parse::<u64>().ok()? * if frac.len() == 1 { 10 } else { 1 } };
    Some(whole.parse::<u64>().ok()? * 100 + frac)
}

/// A widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidgetSpec {
    pub id: &'static str,
    pub title: &'static str,
    /// Slug of the article it belongs to.
    pub article: &'static str,
    /// One sentence: what a reader does with it.
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
}

impl WidgetSpec {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

const fn p(name: &'static str, kind: ParamKind, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind, default, doc }
}

const MODEL: ParamKind = ParamKind::Model;

/// The `model` value that means "a model of the size I choose".
pub const CUSTOM_MODEL: &str = "custom";
const DEVICE: ParamKind = ParamKind::Device;

/// How training computes attention: FlashAttention/SDPA keeps no `s × s`
/// matrix; eager attention stores it (`llmem_estimator::activations`).
const ATTENTION: ParamSpec = p(
    "attention",
    ParamKind::Choice(&["flash", "eager"]),
    "flash",
    "attention implementation in training: flash (FlashAttention/SDPA) or eager (stores the s×s scores)",
);

/// The `gpu-map` widget.
pub const GPU_MAP: WidgetSpec = WidgetSpec {
    id: "gpu-map",
    title: "What's on the GPU",
    article: "fundamentals",
    summary: "Switch between inference and training and select a block to see what it holds and how big it is for a real model.",
    params: &[
        p("mode", ParamKind::Choice(&["inference", "training"]), "inference", "which workload to show"),
        p("model", MODEL, "llama-3.1-8b", "the model whose sizes are drawn"),
        p("block", ParamKind::Choice(&["weights", "activations", "kv", "optimizer"]), "weights", "the block selected at start"),
    ],
};

/// The `store-recompute` widget.
pub const STORE_RECOMPUTE: WidgetSpec = WidgetSpec {
    id: "store-recompute",
    title: "Store or recompute",
    article: "fundamentals",
    summary:
        "Slide from storing every layer's activations to recomputing them all, and watch memory fall as compute rises.",
    params: &[
        p(
            "recompute",
            ParamKind::Int { min: 0, max: 100 },
            "50",
            "percentage of layers recomputed in the backward pass",
        ),
        p("model", MODEL, "llama-3.1-8b", "the model being trained"),
        p("seq", ParamKind::Int { min: 512, max: 131_072 }, "4096", "sequence length"),
        ATTENTION,
    ],
};

/// The `train-vs-infer` widget.
pub const TRAIN_VS_INFER: WidgetSpec = WidgetSpec {
    id: "train-vs-infer",
    title: "Training versus inference",
    article: "fundamentals",
    summary: "Compare the memory one GPU needs to train a model with what it needs to run it.",
    params: &[
        p("model", ParamKind::ModelOrCustom, "llama-2-7b", "the model compared"),
        p("size", ParamKind::Int { min: 1, max: 70 }, "7", "billions of parameters, when model is custom"),
        p("precision", ParamKind::Choice(&["fp32", "fp16", "int8", "int4"]), "fp16", "inference weights precision"),
        ATTENTION,
    ],
};

/// The `weights` widget.
pub const WEIGHTS: WidgetSpec = WidgetSpec {
    id: "weights",
    title: "Weights footprint",
    article: "weights",
    summary: "Pick a model and a storage format to see the bytes of its weights and which devices can hold them.",
    params: &[
        p("model", ParamKind::ModelOrCustom, "llama-3.1-8b", "the model"),
        p("size", ParamKind::Int { min: 1, max: 180 }, "7", "billions of parameters, when model is custom"),
        p("format", ParamKind::WeightFormat, "bf16", "weights format"),
    ],
};

/// The `kv-cache` widget.
pub const KV_CACHE: WidgetSpec = WidgetSpec {
    id: "kv-cache",
    title: "KV cache growth",
    article: "kv-cache",
    summary: "Grow the context and the batch and watch the KV cache overtake the weights, for four attention designs.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model"),
        p("context", ParamKind::Int { min: 1024, max: 1_048_576 }, "8192", "context length in tokens"),
        p("batch", ParamKind::Int { min: 1, max: 256 }, "1", "sequences in the batch"),
        p(
            "attention",
            ParamKind::Choice(&["own", "mha", "gqa", "mqa", "mla"]),
            "own",
            "attention layout: the model's own, or what-if",
        ),
        p("dtype", ParamKind::Dtype, "bf16", "KV cache element type"),
        p("scale", ParamKind::Choice(&["linear", "log"]), "linear", "the chart's vertical scale"),
    ],
};

/// The `attention-matrix` widget.
pub const ATTENTION_MATRIX: WidgetSpec = WidgetSpec {
    id: "attention-matrix",
    title: "Attention: n² versus FlashAttention",
    article: "attention",
    summary: "Grow a toy sequence to see the score matrix square, next to the real memory at real lengths.",
    params: &[
        p("seq", ParamKind::Int { min: 4, max: 40 }, "16", "toy sequence length drawn as a grid"),
        p("model", MODEL, "llama-3.1-8b", "model whose heads size the real figures"),
        p("context", ParamKind::Int { min: 1024, max: 1_048_576 }, "32768", "real sequence length"),
    ],
};

/// The `paging` widget.
pub const PAGING: WidgetSpec = WidgetSpec {
    id: "paging",
    title: "PagedAttention",
    article: "inference",
    summary: "Compare contiguous KV reservations with paged blocks, add requests and change the block size.",
    params: &[
        p("mode", ParamKind::Choice(&["contiguous", "paged"]), "contiguous", "allocation scheme"),
        p("block", ParamKind::Int { min: 1, max: 32 }, "8", "tokens per block"),
        p("requests", ParamKind::Int { min: 1, max: 12 }, "4", "requests in flight"),
    ],
};

/// The `prefill-decode` widget.
pub const PREFILL_DECODE: WidgetSpec = WidgetSpec {
    id: "prefill-decode",
    title: "Prefill versus decode",
    article: "inference",
    summary: "Place prefill and decode on a device's roofline and see which is compute-bound and which memory-bound.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model"),
        p("device", DEVICE, "h100-sxm", "the device"),
        p("batch", ParamKind::Int { min: 1, max: 512 }, "1", "sequences decoded together"),
        p("context", ParamKind::Int { min: 128, max: 131_072 }, "1024", "prompt length"),
    ],
};

/// The `zero` widget.
pub const ZERO: WidgetSpec = WidgetSpec {
    id: "zero",
    title: "ZeRO and FSDP sharding",
    article: "training",
    summary: "Shard optimizer states, gradients and parameters over more GPUs and switch recomputation on.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model trained"),
        p("stage", ParamKind::Int { min: 0, max: 3 }, "3", "ZeRO stage"),
        p("gpus", ParamKind::Int { min: 1, max: 1024 }, "8", "data-parallel GPUs"),
        p("checkpointing", ParamKind::Choice(&["off", "on"]), "off", "full activation recomputation"),
        ATTENTION,
    ],
};

/// The `hierarchy` widget.
pub const HIERARCHY: WidgetSpec = WidgetSpec {
    id: "hierarchy",
    title: "The memory hierarchy",
    article: "hardware",
    summary: "Compare on-chip SRAM, device memory, host DRAM and NVMe by bandwidth and capacity.",
    params: &[
        p("device", DEVICE, "h100-sxm", "the device"),
        p("model", MODEL, "llama-3.1-8b", "model whose weights are streamed"),
        p("tier", ParamKind::Choice(&["sram", "hbm", "dram", "nvme"]), "hbm", "tier selected at start"),
    ],
};

/// The `context-window` widget.
pub const CONTEXT_WINDOW: WidgetSpec = WidgetSpec {
    id: "context-window",
    title: "The context window as working memory",
    article: "agent-memory",
    summary: "Add turns until the window fills, then summarize or watch the oldest turns fall out.",
    params: &[
        p("limit", ParamKind::Int { min: 1024, max: 1_048_576 }, "8192", "context limit in tokens"),
        p("turn", ParamKind::Int { min: 50, max: 8192 }, "800", "tokens per turn"),
        p("ratio", ParamKind::Int { min: 5, max: 90 }, "25", "summary size as a percentage of what it replaces"),
    ],
};

/// The `ssm-vs-kv` widget.
pub const SSM_VS_KV: WidgetSpec = WidgetSpec {
    id: "ssm-vs-kv",
    title: "Growing cache versus constant state",
    article: "advanced",
    summary: "Stretch the sequence and compare a transformer's KV cache with a Mamba model's fixed state.",
    params: &[
        p("seq", ParamKind::Int { min: 1024, max: 262_144 }, "8192", "sequence length in tokens"),
        p("model", MODEL, "llama-3.1-8b", "the transformer"),
        p("mamba", ParamKind::Mamba, "mamba-2.8b", "the state-space model"),
    ],
};

/// The `fit` widget.
pub const FIT: WidgetSpec = WidgetSpec {
    id: "fit",
    title: "Will it fit?",
    article: "calculator",
    summary:
        "Pick a model, a device and a workload to see whether it fits, with what margin, and how fast it can decode.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model (or paste a config.json in the widget)"),
        p("device", DEVICE, "rtx-4090", "the device"),
        p("count", ParamKind::Int { min: 1, max: 64 }, "1", "number of devices"),
        p("weights", ParamKind::WeightFormat, "bf16", "weights format"),
        p("kv", ParamKind::Dtype, "bf16", "KV cache dtype"),
        p("context", ParamKind::Int { min: 1, max: 1_048_576 }, "8192", "context length in tokens"),
        p("batch", ParamKind::Int { min: 1, max: 1024 }, "1", "concurrent sequences"),
        p(
            "engine",
            ParamKind::Choice(&["auto", "none", "vllm", "sglang", "llama.cpp", "transformers"]),
            "auto",
            "the serving engine whose allocation is shown too (auto: vLLM on a GPU, llama.cpp on a Mac or a CPU; none: the tensors alone)",
        ),
        p(
            "pp",
            ParamKind::Choice(&["1", "2", "4", "8"]),
            "1",
            "pipeline stages the engine splits the devices into, each stage a tensor-parallel group (vLLM, SGLang)",
        ),
        p(
            "price",
            ParamKind::Price { max_dollars: 10_000 },
            "none",
            "price of one device-hour in US dollars, for the cost of a million generated tokens (none: no cost shown)",
        ),
        p(
            "stored",
            ParamKind::Int { min: 0, max: 1 << 50 },
            "0",
            "bytes of weights as a checkpoint file stores them (0: priced in the weights format)",
        ),
    ],
};

/// The `finetune` widget.
pub const FINETUNE: WidgetSpec = WidgetSpec {
    id: "finetune",
    title: "Will fine-tuning fit?",
    article: "calculator",
    summary: "Fine-tune a model fully, with LoRA or with QLoRA, and see what one GPU holds at the peak of a step and whether it fits.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model fine-tuned"),
        p("device", DEVICE, "rtx-4090", "the device"),
        p("method", ParamKind::Choice(&["full", "lora", "qlora"]), "qlora", "full fine-tuning, LoRA (bf16 base) or QLoRA (NF4 base)"),
        p("rank", ParamKind::Int { min: 1, max: 1024 }, "16", "LoRA rank"),
        p("targets", ParamKind::Choice(&["attention", "all"]), "all", "projections adapted: attention only, or every linear layer"),
        p("seq", ParamKind::Int { min: 128, max: 131_072 }, "2048", "sequence length"),
        p("batch", ParamKind::Int { min: 1, max: 256 }, "1", "micro-batch"),
        p("checkpointing", ParamKind::Choice(&["off", "on"]), "on", "gradient checkpointing"),
        p("stage", ParamKind::Int { min: 0, max: 3 }, "0", "ZeRO stage"),
        p("gpus", ParamKind::Int { min: 1, max: 1024 }, "1", "data-parallel GPUs"),
    ],
};

/// The `step-timeline` widget.
pub const STEP_TIMELINE: WidgetSpec = WidgetSpec {
    id: "step-timeline",
    title: "One training step, over time",
    article: "training",
    summary: "Follow one GPU's memory through the forward pass, the backward pass and the optimizer step, and see where the peak comes.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model trained"),
        p("stage", ParamKind::Int { min: 0, max: 3 }, "3", "ZeRO stage"),
        p("gpus", ParamKind::Int { min: 1, max: 128 }, "8", "GPUs in all: the data-parallel copies times the context-parallel size"),
        p("seq", ParamKind::Int { min: 1024, max: 65_536 }, "4096", "sequence length"),
        p("checkpointing", ParamKind::Choice(&["off", "on"]), "off", "full activation recomputation"),
        ATTENTION,
        p("grads", ParamKind::Choice(&["bf16", "fp32"]), "bf16", "precision the gradients are kept and accumulated in"),
        p("adam", ParamKind::Choice(&["fused", "foreach"]), "fused", "Adam's implementation (foreach makes temporaries)"),
        p("cp", ParamKind::Int { min: 1, max: 8 }, "1", "context parallelism: GPUs each sequence is split over (among the GPUs)"),
    ],
};

/// The `engine-memory` widget.
pub const ENGINE_MEMORY: WidgetSpec = WidgetSpec {
    id: "engine-memory",
    title: "What a serving engine takes",
    article: "inference",
    summary: "Serve a model with vLLM, SGLang, llama.cpp or transformers and see what each reserves, allocates and leaves for the KV cache.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model served"),
        p("device", DEVICE, "h100-sxm", "the device"),
        p("engine", ParamKind::Choice(&["vllm", "sglang", "llama.cpp", "transformers"]), "vllm", "the serving engine"),
        p("gpus", ParamKind::Int { min: 1, max: 8 }, "1", "tensor-parallel GPUs (vllm, sglang, transformers)"),
        p("weights", ParamKind::Choice(&["checkpoint", "fp8", "awq-int4"]), "checkpoint", "weights format (vllm, sglang, transformers)"),
        p("gguf", ParamKind::Choice(&["f16", "q8_0", "q4_k_m"]), "q4_k_m", "GGUF file type (llama.cpp)"),
        p("context", ParamKind::Int { min: 256, max: 262_144 }, "8192", "tokens per sequence"),
        p("batch", ParamKind::Int { min: 1, max: 256 }, "1", "sequences served at once"),
    ],
};

/// The `layer-map` widget.
pub const LAYER_MAP: WidgetSpec = WidgetSpec {
    id: "layer-map",
    title: "What each layer keeps",
    article: "kv-cache",
    summary: "See every layer of a model as a cell: full attention grows with the sequence, sliding windows, chunks and recurrent state stay put.",
    params: &[
        p("model", MODEL, "gemma-3-27b", "the model"),
        p("context", ParamKind::Int { min: 1, max: 1_048_576 }, "32768", "tokens in the sequence"),
    ],
};

/// The `memory-store` widget.
pub const MEMORY_STORE: WidgetSpec = WidgetSpec {
    id: "memory-store",
    title: "Sizing a long-term memory store",
    article: "agent-memory",
    summary: "Cut documents into chunks, embed them and index them (flat, HNSW or IVF-PQ) to see what the memory costs in RAM and on disk.",
    params: &[
        p("docs", ParamKind::Int { min: 1, max: 1_000_000_000 }, "1000000", "documents"),
        p("tokens", ParamKind::Int { min: 1, max: 1_000_000 }, "1000", "average tokens per document"),
        p("chunk", ParamKind::Int { min: 16, max: 8192 }, "512", "chunk size in tokens"),
        p("overlap", ParamKind::Int { min: 0, max: 4096 }, "64", "overlap between chunks in tokens"),
        p(
            "embedder",
            ParamKind::Choice(&[
                "all-minilm-l6-v2",
                "bge-base-en-v1.5",
                "bge-m3",
                "text-embedding-3-small",
                "text-embedding-3-large",
                "qwen3-embedding-8b",
            ]),
            "bge-base-en-v1.5",
            "embedding model (sets the vector width)",
        ),
        p("dtype", ParamKind::Choice(&["f32", "f16", "int8", "binary"]), "f32", "how each vector component is stored"),
        p("index", ParamKind::Choice(&["flat", "hnsw", "ivf-pq"]), "hnsw", "index type"),
        p("links", ParamKind::Int { min: 8, max: 64 }, "32", "HNSW M, or PQ bytes per vector"),
    ],
};

/// The `bandwidth-race` widget.
pub const BANDWIDTH_RACE: WidgetSpec = WidgetSpec {
    id: "bandwidth-race",
    title: "The bandwidth race",
    article: "hardware",
    summary:
        "Every device reading a model's weights and KV cache once, side by side: the floor under each generated token.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model"),
        p("format", ParamKind::WeightFormat, "bf16", "weights format"),
        p("context", ParamKind::Int { min: 1, max: 1_048_576 }, "8192", "tokens in the KV cache"),
    ],
};

/// The `speculative` widget.
pub const SPECULATIVE: WidgetSpec = WidgetSpec {
    id: "speculative",
    title: "Speculative decoding: memory for speed",
    article: "advanced",
    summary: "Pair a large model with a small draft and see what the draft's weights and cache cost and what its accepted guesses buy.",
    params: &[
        p("target", MODEL, "llama-3.1-70b", "the model being served"),
        p("draft", MODEL, "llama-3.2-1b", "the draft model (must share the target's tokenizer)"),
        p("device", DEVICE, "mi300x", "the device"),
        p("k", ParamKind::Int { min: 1, max: 10 }, "4", "draft tokens proposed per step"),
        p("accept", ParamKind::Int { min: 1, max: 99 }, "80", "acceptance rate of a draft token, in percent"),
        p("context", ParamKind::Int { min: 1, max: 1_048_576 }, "8192", "tokens in the context"),
    ],
};

/// The `quant-block` widget.
pub const QUANT_BLOCK: WidgetSpec = WidgetSpec {
    id: "quant-block",
    title: "Anatomy of a quantized block",
    article: "weights",
    summary:
        "Open one block of Q4_K, Q6_K, NF4, MXFP4 or AWQ and see how codes and scales add up to the bits per weight.",
    params: &[p(
        "format",
        ParamKind::Choice(&["q8_0", "q6_k", "q5_k", "q4_k", "q4_0", "mxfp4", "awq-int4", "nf4", "q2_k"]),
        "q4_k",
        "block format",
    )],
};

/// The `quant-quality` widget.
pub const QUANT_QUALITY: WidgetSpec = WidgetSpec {
    id: "quant-quality",
    title: "Size against quality",
    article: "weights",
    summary: "Every GGUF format of Llama 3 8B that llama.cpp measured: file size against divergence from FP16, and the best that fits a GPU's memory.",
    params: &[
        p(
            "format",
            ParamKind::Choice(&[
                "f16",
                "q8_0",
                "q6_k",
                "q5_k_m",
                "q5_k_s",
                "q5_1",
                "q5_0",
                "q4_k_m-imatrix",
                "q4_k_m",
                "q4_k_s-imatrix",
                "iq4_nl",
                "iq4_xs",
                "q4_k_s",
                "q4_1",
                "q4_0",
                "q3_k_l-imatrix",
                "q3_k_m-imatrix",
                "q3_k_l",
                "q3_k_m",
                "iq3_m",
                "iq3_s",
                "iq3_xs",
                "iq3_xxs",
                "q3_k_s-imatrix",
                "q3_k_s",
                "iq2_m",
                "q2_k-imatrix",
                "q2_k_s",
                "iq2_s",
                "q2_k",
                "iq2_xs",
                "iq2_xxs",
                "iq1_m",
                "iq1_s",
            ]),
            "q4_k_m",
            "the format to highlight",
        ),
        p("memory", ParamKind::Int { min: 1, max: 1024 }, "8", "GPU memory in GiB"),
        p("context", ParamKind::Int { min: 256, max: 131_072 }, "8192", "tokens of context for one sequence"),
    ],
};

/// The `parallel-layout` widget.
pub const PARALLEL_LAYOUT: WidgetSpec = WidgetSpec {
    id: "parallel-layout",
    title: "Tensor, pipeline and data parallel, GPU by GPU",
    article: "training",
    summary: "Split a training run over TP × PP × DP GPUs and see what each pipeline stage's GPUs hold: weights, gradients, optimizer state and the activations of the micro-batches in flight.",
    params: &[
        p("model", MODEL, "llama-3.1-70b", "the model"),
        p("tp", ParamKind::Int { min: 1, max: 64 }, "8", "tensor-parallel GPUs per layer"),
        p("pp", ParamKind::Int { min: 1, max: 128 }, "4", "pipeline stages"),
        p("dp", ParamKind::Int { min: 1, max: 4096 }, "8", "data-parallel copies"),
        p("zero", ParamKind::Choice(&["0", "1", "2", "3"]), "1", "ZeRO stage over the data-parallel copies"),
        p("seq", ParamKind::Int { min: 1, max: 1_048_576 }, "4096", "sequence length"),
        p("ckpt", ParamKind::Choice(&["off", "on"]), "off", "activation checkpointing"),
        p("device", DEVICE, "h100-sxm", "the GPU"),
    ],
};

/// The `offload-split` widget.
pub const OFFLOAD_SPLIT: WidgetSpec = WidgetSpec {
    id: "offload-split",
    title: "Partial offload, layer by layer",
    article: "hardware",
    summary: "Move llama.cpp's --n-gpu-layers and see what stays in host RAM and how the slow side sets the speed of every token.",
    params: &[
        p("model", MODEL, "llama-3.1-70b", "the model"),
        p("gguf", ParamKind::Choice(&["f16", "q8_0", "q4_k_m"]), "q4_k_m", "GGUF file type"),
        p("device", DEVICE, "rtx-4090", "the GPU (a discrete one)"),
        p("context", ParamKind::Int { min: 1, max: 1_048_576 }, "8192", "context in tokens"),
        p("layers", ParamKind::IntOrAuto { min: 0, max: 1024 }, "auto", "layers on the GPU (`auto`: the most that fit)"),
    ],
};

/// The `attention-pattern` widget.
pub const ATTENTION_PATTERN: WidgetSpec = WidgetSpec {
    id: "attention-pattern",
    title: "Which query sees which key",
    article: "attention",
    summary: "The mask of each kind of attention layer in a model (full, sliding window, chunked) drawn to scale, with the score pairs and tiles it computes and the keys it keeps.",
    params: &[
        p("model", MODEL, "gemma-3-27b", "the model"),
        p("seq", ParamKind::Int { min: 1, max: 1_048_576 }, "32768", "sequence length"),
    ],
};

/// The `cache-compare` widget.
pub const CACHE_COMPARE: WidgetSpec = WidgetSpec {
    id: "cache-compare",
    title: "One sequence, eleven designs",
    article: "advanced",
    summary: "The memory one sequence holds at a chosen length for real models of every design: MHA, GQA, MLA, windows, chunks, hybrids and state-space models.",
    params: &[p("seq", ParamKind::Int { min: 1, max: 1_048_576 }, "131072", "sequence length")],
};

/// The `batch-steps` widget.
pub const BATCH_STEPS: WidgetSpec = WidgetSpec {
    id: "batch-steps",
    title: "Continuous batching, step by step",
    article: "inference",
    summary: "Step through a scheduler admitting requests while KV blocks are free, growing them a token a step, freeing their blocks when they finish, and sharing a system prompt's blocks.",
    params: &[
        p("blocks", ParamKind::Int { min: 8, max: 4096 }, "20", "KV blocks of 16 tokens in the pool"),
        p("prefix", ParamKind::Int { min: 0, max: 40 }, "32", "tokens of system prompt every request shares"),
        p("share", ParamKind::Choice(&["off", "on"]), "on", "store the shared prompt's full blocks once"),
        p("step", ParamKind::Int { min: 0, max: 100_000 }, "12", "the scheduler step shown"),
    ],
};

/// The `context-budget` widget.
pub const CONTEXT_BUDGET: WidgetSpec = WidgetSpec {
    id: "context-budget",
    title: "Budgeting the context window",
    article: "agent-memory",
    summary: "Split one window between system prompt, tool definitions, retrieved chunks, the answer and the conversation, and see the KV cache a full window costs.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model (for the KV cache of a full window)"),
        p("limit", ParamKind::Int { min: 1024, max: 1_048_576 }, "131072", "context limit in tokens"),
        p("system", ParamKind::Int { min: 0, max: 1_048_576 }, "2000", "system prompt tokens"),
        p("tools", ParamKind::Int { min: 0, max: 1_048_576 }, "3000", "tool definition tokens"),
        p("chunks", ParamKind::Int { min: 0, max: 1024 }, "8", "retrieved chunks"),
        p("chunk", ParamKind::Int { min: 1, max: 65_536 }, "512", "tokens per chunk"),
        p("output", ParamKind::Int { min: 0, max: 1_048_576 }, "4096", "tokens reserved for the answer"),
        p("turn", ParamKind::Int { min: 1, max: 65_536 }, "800", "tokens per conversation turn"),
    ],
};

/// The `flash-tiles` widget.
pub const FLASH_TILES: WidgetSpec = WidgetSpec {
    id: "flash-tiles",
    title: "FlashAttention, block by block",
    article: "attention",
    summary:
        "Step through FlashAttention's tiles and watch on-chip memory and HBM traffic against standard attention's.",
    params: &[
        p("seq", ParamKind::Int { min: 16, max: 16_384 }, "1024", "sequence length"),
        p("dim", ParamKind::Int { min: 16, max: 512 }, "128", "head dimension"),
        p("sram", ParamKind::Int { min: 1, max: 1024 }, "100", "on-chip memory per SM, in KiB"),
    ],
};

/// The `decode-steps` widget.
pub const DECODE_STEPS: WidgetSpec = WidgetSpec {
    id: "decode-steps",
    title: "Decoding, one token at a time",
    article: "kv-cache",
    summary: "Generate tokens one by one and watch each append a key and a value to every layer, and the cache's bytes count up.",
    params: &[
        p("model", MODEL, "llama-3.1-8b", "the model"),
        p("prompt", ParamKind::Int { min: 1, max: 1_048_576 }, "1024", "prompt length in tokens"),
    ],
};

/// Every widget, in the order the embed guide lists them.
pub const WIDGETS: &[WidgetSpec] = &[
    GPU_MAP,
    STORE_RECOMPUTE,
    TRAIN_VS_INFER,
    WEIGHTS,
    KV_CACHE,
    ATTENTION_MATRIX,
    PAGING,
    PREFILL_DECODE,
    ZERO,
    HIERARCHY,
    CONTEXT_WINDOW,
    SSM_VS_KV,
    FIT,
    STEP_TIMELINE,
    FINETUNE,
    ENGINE_MEMORY,
    LAYER_MAP,
    MEMORY_STORE,
    BANDWIDTH_RACE,
    SPECULATIVE,
    QUANT_BLOCK,
    QUANT_QUALITY,
    PARALLEL_LAYOUT,
    OFFLOAD_SPLIT,
    ATTENTION_PATTERN,
    CACHE_COMPARE,
    BATCH_STEPS,
    CONTEXT_BUDGET,
    FLASH_TILES,
    DECODE_STEPS,
];

/// Every widget id: for telling a misspelt id from one another bundle
/// carries without linking every widget's texts into each bundle.
pub const IDS: &[&str] = &[
    GPU_MAP.id,
    STORE_RECOMPUTE.id,
    TRAIN_VS_INFER.id,
    WEIGHTS.id,
    KV_CACHE.id,
    ATTENTION_MATRIX.id,
    PAGING.id,
    PREFILL_DECODE.id,
    ZERO.id,
    HIERARCHY.id,
    CONTEXT_WINDOW.id,
    SSM_VS_KV.id,
    FIT.id,
    STEP_TIMELINE.id,
    FINETUNE.id,
    ENGINE_MEMORY.id,
    LAYER_MAP.id,
    MEMORY_STORE.id,
    BANDWIDTH_RACE.id,
    SPECULATIVE.id,
    QUANT_BLOCK.id,
    QUANT_QUALITY.id,
    PARALLEL_LAYOUT.id,
    OFFLOAD_SPLIT.id,
    ATTENTION_PATTERN.id,
    CACHE_COMPARE.id,
    BATCH_STEPS.id,
    CONTEXT_BUDGET.id,
    FLASH_TILES.id,
    DECODE_STEPS.id,
];

/// The widget with this id.
pub fn widget(id: &str) -> Option<&'static WidgetSpec> {
    WIDGETS.iter().find(|w| w.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quantized-block choices are the estimator's layouts, in order.
    #[test]
    fn blocks_match_the_estimator() {
        let ParamKind::Choice(list) = QUANT_BLOCK.param("format").unwrap().kind else { panic!("a choice") };
        let ids: Vec<&str> = llmem_estimator::block_layout::BLOCKS.iter().map(|b| b.id).collect();
        assert_eq!(list, &ids[..]);
    }

    /// The size-against-quality choices are the scoreboard's rows, in order.
    #[test]
    fn quality_points_match_the_estimator() {
        let ParamKind::Choice(list) = QUANT_QUALITY.param("format").unwrap().kind else { panic!("a choice") };
        let ids: Vec<&str> = llmem_estimator::quant_quality::SCOREBOARD.iter().map(|q| q.id).collect();
        assert_eq!(list, &ids[..]);
    }

    /// The memory store's embedder choices are the estimator's table.
    #[test]
    fn embedders_match_the_estimator() {
        let ParamKind::Choice(list) = MEMORY_STORE.param("embedder").unwrap().kind else { panic!("a choice") };
        let ids: Vec<&str> = llmem_estimator::vector_store::EMBEDDERS.iter().map(|e| e.id).collect();
        assert_eq!(list, &ids[..]);
    }

    #[test]
    fn auto_or_a_number() {
        let l = OFFLOAD_SPLIT.param("layers").unwrap();
        assert_eq!(l.accept("AUTO").as_deref(), Some("auto"));
        assert_eq!(l.accept("40").as_deref(), Some("40"));
        assert_eq!(l.accept("2000"), None);
        assert_eq!(l.accept("some"), None);
    }

    /// A price is dollars with at most two decimals, written with two.
    #[test]
    fn a_price() {
        let price = FIT.param("price").unwrap();
        assert_eq!(price.accept("2").as_deref(), Some("2.00"));
        assert_eq!(price.accept("2.5").as_deref(), Some("2.50"));
        assert_eq!(price.accept(" 0.07 ").as_deref(), Some("0.07"));
        assert_eq!(price.accept("NONE").as_deref(), Some("none"));
        assert_eq!(price.accept("10000").as_deref(), Some("10000.00"));
        for bad in ["10000.01", "2.499", "-1", "1e3", ".5", "2,50", "$2", "nan", "inf", "99999999999999"] {
            assert_eq!(price.accept(bad), None, "{bad}");
        }
        assert_eq!(cents("12.34"), Some(1234));
    }

    #[test]
    fn ids_match_widgets() {
        assert_eq!(IDS, WIDGETS.iter().map(|w| w.id).collect::<Vec<_>>());
    }

    #[test]
    fn every_default_is_accepted() {
        for w in WIDGETS {
            for p in w.params {
                assert_eq!(p.accept(p.default).as_deref(), Some(p.default), "{}.{}", w.id, p.name);
            }
        }
    }

    #[test]
    fn hostile_values_are_rejected() {
        let ctx = widget("kv-cache").unwrap().param("context").unwrap();
        for bad in [
            "",
            "-1",
            "NaN",
            "1e9",
            "0x10",
            "<script>",
            "9".repeat(100).as_str(),
            "１２",
            "100000000000000000000",
            "99999999999999999999K",
            "1023",
        ] {
            assert_eq!(ctx.accept(bad), None, "{bad}");
        }
        assert_eq!(ctx.accept("32K").as_deref(), Some("32768"));
        assert_eq!(ctx.accept(" 8192 ").as_deref(), Some("8192"));
        let model = widget("kv-cache").unwrap().param("model").unwrap();
        assert_eq!(model.accept("LLAMA-3.1-8B").as_deref(), Some("llama-3.1-8b"));
        assert_eq!(model.accept("\"><img src=x>"), None);
    }

    #[test]
    fn ids_are_unique_and_url_safe() {
        let mut ids: Vec<_> = WIDGETS.iter().map(|w| w.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), WIDGETS.len());
        for w in WIDGETS {
            assert!(w.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
    }
}

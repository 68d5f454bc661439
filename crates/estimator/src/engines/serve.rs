//! Serving a model with an engine: what each one reserves and allocates,
//! per GPU, and what that leaves for the KV cache.
//!
//! - **vLLM** (`vllm/v1/worker/gpu_worker.py`, `determine_available_memory`;
//!   `vllm/v1/core/kv_cache_utils.py`): the engine takes
//!   `gpu_memory_utilization` (0.9) of each GPU's memory; from that it
//!   subtracts the weights, the peak of a profiling forward pass over
//!   `max_num_batched_tokens` tokens and the sampler over `max_num_seqs`
//!   sequences, CUDA-graph memory and memory allocated outside PyTorch
//!   (CUDA context, NCCL), and fills the rest with KV blocks of `block_size`
//!   tokens: `num_blocks = available // page_size // layers_per_group`
//!   (`get_num_blocks`), layers grouped by attention kind so sliding-window,
//!   chunked and recurrent layers share one block pool
//!   (`_get_kv_cache_groups_uniform_page_size`). At start-up it prints "GPU
//!   KV cache size: N tokens" and "Maximum concurrency for L tokens per
//!   request: X×" (`get_kv_cache_capacity`); both are reproduced here.
//!   Weights and the KV arithmetic are exact; the activation peak, CUDA
//!   graphs and non-torch memory are estimates (labelled so).
//! - **SGLang** (`python/sglang/srt/model_executor/model_runner.py`,
//!   `profile_max_num_token`): `mem_fraction_static` of the memory holds
//!   the weights and the token pool; the pool gets what the weights leave:
//!   `(total × mem_fraction_static − weights) / cell_size` tokens.
//! - **transformers** (`src/transformers/cache_utils.py`): a `DynamicCache`
//!   grows with the sequence (sliding layers keep `W − 1` tokens); nothing
//!   is reserved; activations of one forward pass are an estimate.
//! - **llama.cpp**: see [`super::llama_cpp`].

use super::gguf_layout::FileType;
use super::llama_cpp::{llama_cpp, llama_cpp_for_file, LlamaCppParams, LlamaCppReport};
use super::parallel::{rank_shares, Parallelism};
use crate::arch::{AttentionSpan, ModelArch};
use crate::error::{EstimateError, Result};
use crate::formula::{add, div, floor, mul, sub, var, Expr, Formula, Unit};
use crate::hardware::Device;
use crate::precision::{Dtype, WeightFormat};
use crate::ssm::recurrent_state;
use crate::units::{fixed, group_thousands, percent, trimmed};
use serde::Serialize;

/// An inference engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    LlamaCpp,
    Vllm,
    Sglang,
    Transformers,
}

impl Engine {
    pub const ALL: [Engine; 4] = [Engine::Vllm, Engine::Sglang, Engine::LlamaCpp, Engine::Transformers];

    pub fn id(self) -> &'static str {
        match self {
            Engine::LlamaCpp => "llama.cpp",
            Engine::Vllm => "vllm",
            Engine::Sglang => "sglang",
            Engine::Transformers => "transformers",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Engine::LlamaCpp => "llama.cpp",
            Engine::Vllm => "vLLM",
            Engine::Sglang => "SGLang",
            Engine::Transformers => "Hugging Face transformers",
        }
    }

    pub fn parse(s: &str) -> Result<Engine> {
        let l = s.to_ascii_lowercase();
        let e = match l.as_str() {
            "llama.cpp" | "llamacpp" | "llama-cpp" | "llama_cpp" => Engine::LlamaCpp,
            "vllm" => Engine::Vllm,
            "sglang" => Engine::Sglang,
            "transformers" | "hf" => Engine::Transformers,
            _ => {
                return Err(EstimateError::UnknownName {
                    kind: "engine",
                    name: s.chars().take(32).collect(),
                    known: "llama.cpp, vllm, sglang, transformers".into(),
                })
            }
        };
        Ok(e)
    }

    /// The engine people run on a device by default: llama.cpp on Apple
    /// silicon and CPUs (vLLM and SGLang need a GPU), vLLM on GPUs.
    pub fn default_for(device: &Device) -> Engine {
        if device.is_unified() || device.is_cpu() {
            Engine::LlamaCpp
        } else {
            Engine::Vllm
        }
    }
}

/// vLLM's settings (`vllm serve` flags).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VllmOptions {
    /// `--gpu-memory-utilization` (0.9).
    pub gpu_memory_utilization: f64,
    /// `--max-num-batched-tokens` (8,192 for `vllm serve` with chunked prefill).
    pub max_num_batched_tokens: u64,
    /// `--max-num-seqs` (256).
    pub max_num_seqs: u64,
    /// `--block-size` (16).
    pub block_size: u64,
    /// `--enforce-eager`: no CUDA graphs.
    pub enforce_eager: bool,
}

impl Default for VllmOptions {
    fn default() -> Self {
        VllmOptions {
            gpu_memory_utilization: 0.9,
            max_num_batched_tokens: 8192,
            max_num_seqs: 256,
            block_size: 16,
            enforce_eager: false,
        }
    }
}

/// SGLang's `--mem-fraction-static` on one GPU when none is given: 0.88
/// (`python/sglang/srt/server_args.py`, `ServerArgs.__post_init__`, which
/// lowers it as the tensor-parallel size grows; newer releases derive it
/// from the GPU's memory instead).
pub const SGLANG_MEM_FRACTION_STATIC: f64 = 0.88;

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServeQuery<'a> {
    pub arch: &'a ModelArch,
    pub engine: Engine,
    pub device: &'a Device,
    /// GPUs (TP × PP for vLLM/SGLang; ignored by llama.cpp on one device).
    pub parallel: Parallelism,
    /// Weights format for vLLM, SGLang and transformers.
    pub weights: WeightFormat,
    /// GGUF file type for llama.cpp.
    pub gguf: FileType,
    /// For llama.cpp, a real GGUF file's tensors (its header's table), used
    /// in place of the layout of `gguf`: the model buffer of that very file
    /// ([`super::llama_cpp::llama_cpp_for_file`]).
    pub gguf_file: Option<&'a [crate::safetensors::StoredTensor]>,
    /// KV cache dtype for vLLM, SGLang and transformers.
    pub kv: Dtype,
    /// Tokens per sequence (vLLM's `--max-model-len`, llama.cpp's `--ctx-size`).
    pub context: u64,
    /// Sequences served at once.
    pub batch: u64,
    pub vllm: VllmOptions,
    /// SGLang's `--mem-fraction-static`.
    pub sglang_mem_fraction: f64,
    pub llama: LlamaCppParams,
}

/// Whether a term is reproduced from the engine's arithmetic or estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The engine's own arithmetic, reproduced exactly.
    Exact,
    /// An estimate; the term's note says of what.
    Estimate,
    /// A setting: memory held back on purpose.
    Setting,
}

/// One line of a GPU's memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub id: &'static str,
    pub label: &'static str,
    pub bytes: u64,
    pub basis: Basis,
    pub note: String,
}

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuReport {
    pub rank: u64,
    pub stage: u64,
    pub terms: Vec<Term>,
    /// Everything on this GPU.
    pub total_bytes: u64,
    /// What the GPU may use.
    pub capacity_bytes: u64,
    /// vLLM and SGLang: how the KV pool was sized.
    #[serde(skip)]
    pub kv_pool: Option<KvPool>,
}

/// How vLLM or SGLang sized the KV pool on one GPU: the share of the
/// device's memory it may fill, and the unit the pool is counted in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KvPool {
    /// `gpu_memory_utilization` (vLLM) or `mem_fraction_static` (SGLang).
    pub fraction: f64,
    /// Bytes of one unit: a block in every layer of a KV group (vLLM's
    /// page size × layers per group), or one token in every layer (SGLang's
    /// cell size).
    pub unit_bytes: u64,
}

impl GpuReport {
    pub fn term(&self, id: &str) -> u64 {
        self.terms.iter().filter(|t| t.id == id).map(|t| t.bytes).sum()
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServeReport {
    pub engine: Engine,
    pub gpus: Vec<GpuReport>,
    /// Sums over GPUs.
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    pub compute_bytes: u64,
    pub output_bytes: u64,
    pub total_bytes: u64,
    /// Host memory (llama.cpp layers left on the CPU, its output buffer).
    pub host_bytes: u64,
    /// Whether `batch` sequences of `context` tokens can be served.
    pub fits: bool,
    /// vLLM and SGLang: tokens the KV pool holds.
    pub kv_cache_tokens: Option<u64>,
    /// vLLM: "Maximum concurrency for `context` tokens per request".
    pub max_concurrency: Option<f64>,
    /// Why it does not fit, and what to change.
    pub problems: Vec<String>,
    /// llama.cpp: its buffers in detail (context after padding, cells per
    /// sequence, host/device split).
    pub llama_cpp: Option<LlamaCppReport>,
    /// llama.cpp on its CPU backend, for an architecture whose graph llmem
    /// rebuilds: the compute buffer is llama.cpp's own, to the byte
    /// ([`super::llama_graph`]); otherwise it is an estimate.
    pub compute_exact: bool,
}

/// What the compute buffer's figure is, in a few words.
pub fn compute_note(exact: bool, cpu: bool) -> &'static str {
    match (exact, cpu) {
        (true, true) => "ggml's allocator over llama.cpp's own graph: the CPU backend's buffer, to the byte",
        (true, false) => {
            "ggml's allocator over llama.cpp's own graph, as the CPU backend sizes it; a GPU backend's alignment \
             and fused operations change it"
        }
        (false, _) => "the graph allocator's peak, modelled from llama.cpp's CPU backend; a GPU backend's differs",
    }
}

impl ServeReport {
    /// The formula behind the figure's first GPU: for vLLM and SGLang, the
    /// KV pool as what the engine's share of the device leaves, rounded
    /// down to whole blocks (vLLM) or tokens (SGLang); for llama.cpp and
    /// transformers, everything the device holds, term by term.
    pub fn formula(&self) -> Formula {
        let Some(gpu) = self.gpus.first() else {
            // llama.cpp on a CPU or in unified memory: one pool holds all.
            return Formula::new(
                "Memory used",
                add(vec![
                    var("W", "model buffer (the GGUF's tensors)", self.weights_bytes as f64, Unit::Bytes),
                    var("KV", "KV cache (cells padded to 256 per sequence)", self.kv_bytes as f64, Unit::Bytes),
                    var(
                        "C",
                        if self.compute_exact { "compute buffer (exact)" } else { "compute buffer (estimate)" },
                        self.compute_bytes as f64,
                        Unit::Bytes,
                    ),
                    var("O", "output buffer (logits)", self.output_bytes as f64, Unit::Bytes),
                ]),
                Unit::Bytes,
                "llama.cpp, src/llama-model.cpp, src/llama-kv-cache.cpp and src/llama-context.cpp \
                 (the buffers it prints at load)",
            );
        };
        let bytes = |symbol, meaning, id| var(symbol, meaning, gpu.term(id) as f64, Unit::Bytes);
        match (self.engine, gpu.kv_pool) {
            (Engine::Vllm | Engine::Sglang, Some(pool)) => {
                let vllm = self.engine == Engine::Vllm;
                let before = if vllm {
                    add(vec![
                        bytes("W", "weights on this GPU", "weights"),
                        bytes("A", "profiled activation peak (estimate)", "activations"),
                        bytes("G", "CUDA graphs (estimate)", "cuda_graphs"),
                        bytes("C", "CUDA context and NCCL (estimate)", "non_torch"),
                    ])
                } else {
                    bytes("W", "weights on this GPU", "weights")
                };
                let share = mul(vec![
                    var(
                        "f",
                        if vllm { "gpu_memory_utilization" } else { "mem_fraction_static" },
                        pool.fraction,
                        Unit::Number,
                    ),
                    var("M", "the GPU's memory", gpu.capacity_bytes as f64, Unit::Bytes),
                ]);
                let unit = var(
                    "P",
                    if vllm {
                        "one block of block_size tokens in every layer of a KV group"
                    } else {
                        "one token in every layer (cell size)"
                    },
                    pool.unit_bytes as f64,
                    Unit::Bytes,
                );
                let left = sub(share, before);
                let left = if left.eval() < 0.0 { crate::formula::max(crate::formula::num(0.0), left) } else { left };
                Formula::new(
                    if vllm { "KV cache blocks" } else { "KV token pool" },
                    mul(vec![floor(div(left, unit.clone())), unit]),
                    Unit::Bytes,
                    if vllm {
                        "vLLM, vllm/v1/worker/gpu_worker.py (determine_available_memory) and \
                         vllm/v1/core/kv_cache_utils.py (get_num_blocks)"
                    } else {
                        "SGLang, python/sglang/srt/model_executor/model_runner.py (profile_max_num_token)"
                    },
                )
            }
            _ => {
                let terms: Vec<Expr> = gpu
                    .terms
                    .iter()
                    .map(|t| {
                        let symbol = match t.id {
                            "weights" => "W",
                            "kv" => "KV",
                            "compute" => "C",
                            "activations" => "A",
                            _ => "X",
                        };
                        var(symbol, t.label, t.bytes as f64, Unit::Bytes)
                    })
                    .collect();
                Formula::new(
                    "Memory on the GPU",
                    add(terms),
                    Unit::Bytes,
                    if self.engine == Engine::LlamaCpp {
                        "llama.cpp, src/llama-model.cpp, src/llama-kv-cache.cpp and src/llama-context.cpp \
                         (the buffers it prints at load)"
                    } else {
                        "transformers, src/transformers/cache_utils.py (DynamicCache); activations an estimate"
                    },
                )
            }
        }
    }
}

/// Bytes of activations of one forward pass over `tokens` tokens on one GPU
/// (an estimate): the residual stream and a norm output, the attention's
/// q/k/v and the MLP's gate, up and activation for those tokens, in 16-bit,
/// with the wide projections divided by TP.
fn activation_estimate(arch: &ModelArch, tokens: u64, tp: u64) -> u64 {
    let h = arch.hidden_size;
    let attn = match &arch.attention {
        Some(crate::arch::Attention::Standard(a)) => (a.num_heads + 2 * a.num_kv_heads) * a.head_dim,
        Some(crate::arch::Attention::Latent(m)) => {
            m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
        }
        None => 0,
    };
    let ffn = match &arch.moe {
        Some(m) => (m.experts_per_token * m.expert_intermediate_size + m.shared_intermediate_size)
            .max(arch.mlp.intermediate_size),
        None => arch.mlp.intermediate_size,
    };
    let recurrent = arch.recurrent.as_ref().and_then(|r| r.conv_channels().ok()).unwrap_or(0) * 2;
    let wide = (attn.max(recurrent) + 3 * ffn) / tp;
    tokens * (3 * h + wide) * 2
}

/// Logits of the sampler's profiling run: `max_num_seqs` rows of the
/// vocabulary in fp32, plus probabilities and log-probabilities (an estimate).
fn sampler_estimate(arch: &ModelArch, seqs: u64) -> u64 {
    seqs * arch.vocab_size * 4 * 3
}

/// CUDA context, cuBLAS workspace and, with several GPUs, NCCL buffers: 0.5
/// GiB, plus 0.25 GiB with TP (an estimate; vLLM reports this as "non-torch
/// memory", ≈ 0.4 GiB on one GPU in vllm-project/vllm #11251).
fn non_torch_estimate(tp: u64) -> u64 {
    (512 << 20) + if tp > 1 { 256 << 20 } else { 0 }
}

/// CUDA graphs for the decode batch sizes vLLM captures (up to 512): about
/// 0.1 MiB per layer per captured size for 67 sizes, an estimate (graphs
/// keep their intermediate buffers in a private pool).
fn cuda_graph_estimate(arch: &ModelArch, eager: bool) -> u64 {
    if eager {
        0
    } else {
        arch.num_layers * 67 * (100 << 10)
    }
}

/// Answers a serving query.
pub fn serve(q: &ServeQuery) -> Result<ServeReport> {
    check_query(q)?;
    match q.engine {
        Engine::LlamaCpp => serve_llama_cpp(q),
        Engine::Vllm | Engine::Sglang | Engine::Transformers => serve_gpu_engine(q),
    }
}

/// [`serve`] for vLLM, SGLang and transformers only (llama.cpp is refused):
/// a caller that never asks llama.cpp does not carry its graph builder,
/// which a browser bundle then fetches only when llama.cpp is chosen.
pub fn serve_gpu_engines(q: &ServeQuery) -> Result<ServeReport> {
    check_query(q)?;
    match q.engine {
        Engine::LlamaCpp => {
            Err(EstimateError::OutOfRange { what: "engine".into(), reason: "llama.cpp is answered by serve".into() })
        }
        Engine::Vllm | Engine::Sglang | Engine::Transformers => serve_gpu_engine(q),
    }
}

fn check_query(q: &ServeQuery) -> Result<()> {
    if q.context == 0 || q.batch == 0 {
        return Err(EstimateError::OutOfRange {
            what: "workload".into(),
            reason: "context and batch must be at least 1".into(),
        });
    }
    crate::kv_cache::check_workload(q.context, q.batch)
}

/// llama.cpp with `q.batch` slots (`--parallel`) of `q.context` tokens each:
/// `--ctx-size` is their product, as llama-server divides it among slots.
fn serve_llama_cpp(q: &ServeQuery) -> Result<ServeReport> {
    let n_layer = q.arch.num_layers;
    let cpu = q.device.is_cpu();
    let params = LlamaCppParams {
        n_ctx: q.context * q.batch,
        n_parallel: q.batch,
        n_gpu_layers: if cpu { 0 } else { q.llama.n_gpu_layers.min(n_layer + 1) },
        ..q.llama
    };
    let r = match q.gguf_file {
        Some(tensors) => llama_cpp_for_file(q.arch, tensors, &params)?,
        None => llama_cpp(q.arch, q.gguf, &params)?,
    };
    let capacity = q.device.gpu_budget_bytes();
    let term = |id, label, bytes, basis, note: &str| Term { id, label, bytes, basis, note: note.to_string() };
    let gpu_terms = vec![
        term(
            "weights",
            "model buffer",
            r.model.device,
            Basis::Exact,
            "the offloaded layers' tensors as the GGUF stores them",
        ),
        term(
            "kv",
            "KV cache",
            r.kv.device,
            Basis::Exact,
            "cells padded to 256 per sequence; sliding-window layers in their own cache",
        ),
        term("compute", "compute buffer", r.compute.device, Basis::Estimate, compute_note(r.compute_exact, false)),
    ];
    let gpu_total: u64 = gpu_terms.iter().map(|t| t.bytes).sum();
    let host = r.model.host + r.kv.host + r.compute.host + r.output_bytes;
    let unified = q.device.is_unified() || cpu;
    let mut problems = Vec::new();
    let fits = if cpu {
        let all = r.total();
        if all > capacity {
            problems.push(format!(
                "needs {} of RAM; this machine has {}: use a smaller file type, a shorter context or fewer slots",
                crate::units::format_bytes(all, crate::units::UnitSystem::Decimal),
                q.device.marketed
            ));
        }
        all <= capacity
    } else if unified {
        let all = r.total();
        if all > capacity {
            problems.push(format!(
                "needs {} of GPU-wired memory; macOS lets the GPU use {} of this Mac's {} \
                 (recommendedMaxWorkingSetSize): use a smaller file type, a shorter context, \
                 or raise iogpu.wired_limit_mb",
                crate::units::format_bytes(all, crate::units::UnitSystem::Decimal),
                crate::units::format_bytes(capacity, crate::units::UnitSystem::Decimal),
                q.device.marketed
            ));
        }
        all <= capacity
    } else {
        if gpu_total > capacity {
            problems.push(format!(
                "the offloaded part needs {}; offload fewer layers (--n-gpu-layers) or use a smaller file type",
                crate::units::format_bytes(gpu_total, crate::units::UnitSystem::Decimal)
            ));
        }
        gpu_total <= capacity
    };
    let gpus = if cpu || unified {
        Vec::new()
    } else {
        vec![GpuReport {
            rank: 0,
            stage: 0,
            terms: gpu_terms,
            total_bytes: gpu_total,
            capacity_bytes: capacity,
            kv_pool: None,
        }]
    };
    Ok(ServeReport {
        engine: Engine::LlamaCpp,
        gpus,
        weights_bytes: r.model.total(),
        kv_bytes: r.kv.total(),
        compute_bytes: r.compute.total(),
        output_bytes: r.output_bytes,
        total_bytes: r.total(),
        host_bytes: if unified { 0 } else { host },
        fits,
        kv_cache_tokens: Some(r.n_ctx),
        max_concurrency: None,
        problems,
        compute_exact: cpu && r.compute_exact,
        llama_cpp: Some(r),
    })
}

/// KV bytes one GPU's attention layers need for one sequence of `context`
/// tokens, windows applied, plus its recurrent state.
fn kv_for_sequence(q: &ServeQuery, per_token: u64, attention_layers: u64, recurrent_layers: u64) -> Result<u64> {
    if attention_layers == 0 && recurrent_layers == 0 {
        return Ok(0);
    }
    let all_attention = q.arch.attention_layer_count().max(1);
    let cached: u64 = q.arch.layers.iter().filter_map(|l| l.attention).map(|s| s.cached_tokens(q.context)).sum();
    // The share of this GPU's layers among the model's, windows applied.
    let kv = per_token as u128 * cached as u128 / all_attention as u128;
    let state = recurrent_state(q.arch, q.kv)?.total_bytes;
    let state_share = state.checked_mul(recurrent_layers).map_or(0, |s| s / q.arch.recurrent_layer_count().max(1));
    Ok(kv as u64 + state_share / q.parallel.tp)
}

fn serve_gpu_engine(q: &ServeQuery) -> Result<ServeReport> {
    let par = q.parallel;
    let shares = rank_shares(q.arch, q.weights, &par, q.kv.bits())?;
    let capacity = q.device.gpu_budget_bytes();
    let mut gpus = Vec::new();
    let mut problems = Vec::new();
    let mut kv_tokens_min: Option<u64> = None;
    let mut concurrency_min: Option<f64> = None;
    let mut totals = (0u64, 0u64, 0u64, 0u64);
    for share in &shares {
        let need_one = kv_for_sequence(q, share.kv_bytes_per_token, share.attention_layers, share.recurrent_layers)?;
        let need = need_one.saturating_mul(q.batch);
        let mut terms = vec![Term {
            id: "weights",
            label: "weights",
            bytes: share.weights_bytes,
            basis: Basis::Exact,
            note: format!("this GPU's share ({}), as the checkpoint is loaded", parallel_note(&par)),
        }];
        let mut pool = None;
        let (kv_alloc, act, total) = match q.engine {
            Engine::Vllm => {
                let budget = (capacity as f64 * q.vllm.gpu_memory_utilization) as u64;
                let tokens = q.vllm.max_num_batched_tokens;
                let act = activation_estimate(q.arch, tokens, par.tp)
                    + if share.stage == par.pp - 1 { sampler_estimate(q.arch, q.vllm.max_num_seqs) } else { 0 };
                let graphs = cuda_graph_estimate(q.arch, q.vllm.enforce_eager);
                let non_torch = non_torch_estimate(par.tp);
                terms.push(Term {
                    id: "activations",
                    label: "profiled activation peak",
                    bytes: act,
                    basis: Basis::Estimate,
                    note: format!(
                        "a forward pass over {tokens} tokens (max_num_batched_tokens) and the sampler over {} sequences",
                        q.vllm.max_num_seqs
                    ),
                });
                terms.push(Term {
                    id: "cuda_graphs",
                    label: "CUDA graphs",
                    bytes: graphs,
                    basis: Basis::Estimate,
                    note: "decode graphs for batch sizes up to 512".into(),
                });
                terms.push(Term {
                    id: "non_torch",
                    label: "CUDA context and NCCL",
                    bytes: non_torch,
                    basis: Basis::Estimate,
                    note: "memory allocated outside PyTorch".into(),
                });
                let used = share.weights_bytes + act + graphs + non_torch;
                let available = budget.saturating_sub(used);
                let (kv_bytes, tokens_held, concurrency, unit_bytes) = vllm_blocks(q, share, available);
                pool = Some(KvPool { fraction: q.vllm.gpu_memory_utilization, unit_bytes });
                terms.push(Term {
                    id: "kv",
                    label: "KV cache blocks",
                    bytes: kv_bytes,
                    basis: Basis::Exact,
                    note: format!(
                        "what gpu_memory_utilization = {} leaves, in blocks of {} tokens",
                        trimmed(q.vllm.gpu_memory_utilization, 3),
                        q.vllm.block_size
                    ),
                });
                terms.push(Term {
                    id: "reserve",
                    label: "left unused by gpu_memory_utilization",
                    bytes: capacity.saturating_sub(budget),
                    basis: Basis::Setting,
                    note: format!("{} of the GPU held back", percent((1.0 - q.vllm.gpu_memory_utilization) * 100.0)),
                });
                kv_tokens_min = Some(kv_tokens_min.map_or(tokens_held, |m: u64| m.min(tokens_held)));
                concurrency_min = Some(concurrency_min.map_or(concurrency, |m: f64| m.min(concurrency)));
                if available == 0 || tokens_held < q.context {
                    problems.push(format!(
                        "vLLM would refuse to start: the KV cache holds {} tokens on GPU {}, fewer than one \
                         sequence of {} (max_model_len); lower --max-model-len, raise --gpu-memory-utilization, \
                         use more GPUs or a smaller weights format",
                        group_thousands(tokens_held),
                        share.stage,
                        group_thousands(q.context)
                    ));
                } else if concurrency < q.batch as f64 {
                    problems.push(format!(
                        "only {} sequences of {} tokens fit at once, not {}: vLLM will queue the rest",
                        fixed(concurrency, 2),
                        group_thousands(q.context),
                        q.batch
                    ));
                }
                (kv_bytes, act + graphs + non_torch, budget)
            }
            Engine::Sglang => {
                let budget = (capacity as f64 * q.sglang_mem_fraction) as u64;
                let left = budget.saturating_sub(share.weights_bytes);
                let per_token = share.kv_bytes_per_token.max(1);
                let tokens_held = left / per_token;
                pool = Some(KvPool { fraction: q.sglang_mem_fraction, unit_bytes: per_token });
                terms.push(Term {
                    id: "kv",
                    label: "KV token pool",
                    bytes: tokens_held * per_token,
                    basis: Basis::Exact,
                    note: format!(
                        "what mem_fraction_static = {} leaves after the weights",
                        trimmed(q.sglang_mem_fraction, 3)
                    ),
                });
                let act = activation_estimate(q.arch, 8192, par.tp) + non_torch_estimate(par.tp);
                terms.push(Term {
                    id: "activations",
                    label: "activations, CUDA graphs and context",
                    bytes: act,
                    basis: Basis::Estimate,
                    note: "outside the static fraction: a chunked prefill of 8,192 tokens, graphs and the CUDA context"
                        .into(),
                });
                kv_tokens_min = Some(kv_tokens_min.map_or(tokens_held, |m: u64| m.min(tokens_held)));
                if tokens_held < q.context.saturating_mul(q.batch) {
                    problems.push(format!(
                        "the token pool holds {} tokens, fewer than {} × {}",
                        group_thousands(tokens_held),
                        q.batch,
                        group_thousands(q.context)
                    ));
                }
                (tokens_held * per_token, act, budget + act)
            }
            _ => {
                let act = activation_estimate(q.arch, q.context.min(8192) * q.batch, par.tp)
                    + q.batch * q.arch.vocab_size * 4
                    + non_torch_estimate(par.tp);
                terms.push(Term {
                    id: "kv",
                    label: "KV cache (DynamicCache)",
                    bytes: need,
                    basis: Basis::Exact,
                    note: "grows with the sequence; sliding layers keep their window".into(),
                });
                terms.push(Term {
                    id: "activations",
                    label: "activations and CUDA context",
                    bytes: act,
                    basis: Basis::Estimate,
                    note: "one forward pass over the prompt, the last position's logits, the CUDA context".into(),
                });
                (need, act, share.weights_bytes + need + act)
            }
        };
        if q.engine == Engine::Transformers && total > capacity {
            problems.push(format!(
                "GPU {} needs {} of {}",
                share.stage,
                crate::units::format_bytes(total, crate::units::UnitSystem::Decimal),
                crate::units::format_bytes(capacity, crate::units::UnitSystem::Decimal)
            ));
        }
        if share.weights_bytes > capacity {
            problems.push(format!(
                "the weights alone ({} per GPU) exceed the GPU's {}: use more GPUs (--tp/--pp) or a smaller format",
                crate::units::format_bytes(share.weights_bytes, crate::units::UnitSystem::Decimal),
                q.device.marketed
            ));
        }
        totals.0 += share.weights_bytes;
        totals.1 += kv_alloc;
        totals.2 += act;
        totals.3 += total;
        for tp_rank in 0..par.tp {
            gpus.push(GpuReport {
                rank: share.stage * par.tp + tp_rank,
                stage: share.stage,
                terms: terms.clone(),
                total_bytes: total,
                capacity_bytes: capacity,
                kv_pool: pool,
            });
        }
    }
    problems.dedup();
    let tp = par.tp;
    Ok(ServeReport {
        engine: q.engine,
        gpus,
        weights_bytes: totals.0 * tp,
        kv_bytes: totals.1 * tp,
        compute_bytes: totals.2 * tp,
        output_bytes: 0,
        total_bytes: totals.3 * tp,
        host_bytes: 0,
        fits: problems.is_empty(),
        kv_cache_tokens: kv_tokens_min,
        max_concurrency: concurrency_min,
        problems,
        llama_cpp: None,
        compute_exact: false,
    })
}

fn parallel_note(p: &Parallelism) -> String {
    match (p.tp, p.pp) {
        (1, 1) => "one GPU".into(),
        (t, 1) => format!("TP {t}"),
        (1, s) => format!("PP {s}"),
        (t, s) => format!("TP {t} × PP {s}"),
    }
}

/// vLLM's KV blocks on one GPU (`get_kv_cache_config_from_groups`,
/// `get_max_concurrency_for_kv_cache_config`): layers bucketed by kind,
/// groups of `group_size` layers sharing a page size, `num_blocks =
/// available // page_size // group_size`; a request of `context` tokens
/// needs `ceil(context / block)` blocks in a full-attention group and
/// `ceil((window − 1 + max_num_batched_tokens) / block) + 1` in a
/// sliding-window one, or a chunk's worth for chunked attention, and one
/// block in a recurrent group. Returns (bytes allocated, tokens,
/// concurrency, bytes of one block in every layer of a group).
fn vllm_blocks(q: &ServeQuery, share: &super::parallel::RankShare, available: u64) -> (u64, u64, f64, u64) {
    let block = q.vllm.block_size.max(1);
    let layers_here = share.attention_layers;
    if layers_here == 0 {
        return (0, 0, f64::INFINITY, 0);
    }
    let page = share.kv_bytes_per_token / layers_here * block;
    // Buckets of attention layers by kind, across the model (vLLM groups
    // the whole model's layers; this GPU holds its stage's share).
    let mut full = 0u64;
    let mut sliding: Vec<(u64, u64)> = Vec::new();
    for l in &q.arch.layers {
        match l.attention {
            Some(AttentionSpan::Full) => full += 1,
            Some(AttentionSpan::Sliding(w)) | Some(AttentionSpan::Chunked(w)) => {
                match sliding.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, n)) => *n += 1,
                    None => sliding.push((w, 1)),
                }
            }
            None => {}
        }
    }
    let mut buckets: Vec<(u64, Option<u64>)> = Vec::new(); // (layers, window)
    if full > 0 {
        buckets.push((full, None));
    }
    for (w, n) in &sliding {
        buckets.push((*n, Some(*w)));
    }
    let min = buckets.iter().map(|b| b.0).min().unwrap_or(1);
    let max = buckets.iter().map(|b| b.0).max().unwrap_or(1);
    let group_size = if buckets.len() == 1 || (max as f64) < min as f64 * 1.5 { max } else { min };
    let scale = |n: u64| n * layers_here / q.arch.attention_layer_count().max(1);
    let group_size_here = scale(group_size).max(1);
    let num_blocks = available / page.max(1) / group_size_here;
    // Blocks one request of `context` tokens needs, summed over groups.
    let mut per_request = 0u64;
    for (n, window) in &buckets {
        let groups = n.div_ceil(group_size);
        let blocks = match window {
            None => q.context.div_ceil(block),
            Some(w) => (q.context.min(*w - 1 + q.vllm.max_num_batched_tokens)).div_ceil(block) + 1,
        };
        per_request += groups * blocks;
    }
    let groups_total: u64 = buckets.iter().map(|(n, _)| n.div_ceil(group_size)).sum();
    // Each block id is one page in every group: `num_blocks` is shared by all groups.
    let concurrency = if per_request == 0 { 0.0 } else { (num_blocks * groups_total) as f64 / per_request as f64 };
    let tokens = (concurrency * q.context as f64) as u64;
    let unit = page * group_size_here;
    (num_blocks * unit, tokens, concurrency, unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    fn query<'a>(arch: &'a ModelArch, engine: Engine, dev: &'a Device) -> ServeQuery<'a> {
        ServeQuery {
            arch,
            engine,
            device: dev,
            parallel: Parallelism::default(),
            weights: WeightFormat::Checkpoint,
            gguf: FileType::F16,
            gguf_file: None,
            kv: Dtype::Bf16,
            context: 8192,
            batch: 1,
            vllm: VllmOptions::default(),
            sglang_mem_fraction: 0.88,
            llama: LlamaCppParams::default(),
        }
    }

    /// What people run where: llama.cpp where vLLM and SGLang cannot
    /// (Apple's unified memory, a CPU), vLLM on every GPU.
    #[test]
    fn the_usual_engine() {
        let on = |id: &str| Engine::default_for(device(id).unwrap());
        assert_eq!(on("mac-16gb"), Engine::LlamaCpp);
        assert_eq!(on("m4-max"), Engine::LlamaCpp);
        assert_eq!(on("cpu"), Engine::LlamaCpp);
        for gpu in ["rtx-4090", "h100-sxm", "mi300x", "t4"] {
            assert_eq!(on(gpu), Engine::Vllm, "{gpu}");
        }
    }

    /// vLLM's arithmetic for a dense model: blocks = available // (16 tokens
    /// × 131,072 bytes / 32 layers × 32 layers); the tokens and concurrency
    /// follow from the blocks.
    #[test]
    fn vllm_llama_8b_h100() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let d = device("h100-sxm").unwrap();
        let r = serve(&query(&m, Engine::Vllm, d)).unwrap();
        let g = &r.gpus[0];
        let budget = (d.capacity_bytes as f64 * 0.9) as u64;
        let available =
            budget - g.term("weights") - g.term("activations") - g.term("cuda_graphs") - g.term("non_torch");
        let blocks = available / (16 * 131_072);
        assert_eq!(r.kv_cache_tokens, Some(blocks * 16));
        assert!((r.max_concurrency.unwrap() - (blocks * 16) as f64 / 8192.0).abs() < 1e-9);
        assert!(r.fits);
        assert_eq!(g.term("weights"), 8_030_261_248 * 2);
    }

    /// 405B in bf16 does not fit one H100: the message says what to change.
    #[test]
    fn vllm_refuses_what_does_not_fit() {
        let m = preset("llama-3.1-405b").unwrap().arch().unwrap();
        let d = device("h100-sxm").unwrap();
        let r = serve(&query(&m, Engine::Vllm, d)).unwrap();
        assert!(!r.fits);
        assert!(r.problems.iter().any(|p| p.contains("--tp")), "{:?}", r.problems);
        let p = Parallelism { tp: 8, pp: 2, expert_parallel: false };
        let r = serve(&ServeQuery { parallel: p, ..query(&m, Engine::Vllm, d) }).unwrap();
        assert!(r.fits, "{:?}", r.problems);
        assert_eq!(r.gpus.len(), 16);
    }

    /// A Mac can give the GPU three quarters of its 128 GB.
    #[test]
    fn apple_working_set() {
        let m = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let d = device("m3-max").unwrap();
        let mut q = query(&m, Engine::LlamaCpp, d);
        q.gguf = FileType::Q8_0;
        q.llama.n_gpu_layers = 999;
        let r = serve(&q).unwrap();
        // 70B in Q8_0 is ≈ 75 GB: within the 96 GiB working set.
        assert!(r.fits, "{:?}", r.problems);
        q.gguf = FileType::F16;
        let r = serve(&q).unwrap();
        assert!(!r.fits);
        assert!(r.problems[0].contains("recommendedMaxWorkingSetSize"));
    }

    #[test]
    fn engines_parse() {
        for e in Engine::ALL {
            assert_eq!(Engine::parse(e.id()).unwrap(), e);
        }
        assert!(Engine::parse("tgi").is_err());
    }
}

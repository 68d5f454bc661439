//! What llama.cpp allocates to serve a model: the model buffer, the KV
//! cache, the compute buffer and the output buffer, and where each goes when
//! only some layers are offloaded to a GPU.
//!
//! Sources, llama.cpp v0.5.0 (the build node-llama-cpp 3.22.1 ships):
//! - context sizes: `llama_context::llama_context` in `src/llama-context.cpp`
//!   (`n_ctx` padded to 256; without a unified cache each of the `n_seq_max`
//!   sequences gets `n_ctx_seq = pad256(n_ctx / n_seq_max)` cells;
//!   `n_batch = min(n_ctx, n_batch)`, `n_ubatch = min(n_batch, n_ubatch)`);
//! - the KV cache: `llama_kv_cache::llama_kv_cache` in `src/llama-kv-cache.cpp`
//!   (per attention layer a K tensor of `n_embd_k_gqa × cells` and a V tensor
//!   of `n_embd_v_gqa × cells` in the cache types; MLA keeps the latent and
//!   RoPE key in K and no V), `llama_kv_cache_iswa` in
//!   `src/llama-kv-cache-iswa.cpp` (sliding-window layers get their own cache
//!   of `pad256(min(n_ctx_seq, n_swa + n_ubatch))` cells per sequence unless
//!   `swa_full`; llama.cpp does this for Gemma 2/3 and gpt-oss, and ignores
//!   Mistral v0.1's and Phi-3's windows);
//! - the output buffer: `llama_context::output_reserve` (`n_vocab × n_seq_max`
//!   f32 logits);
//! - the model buffer: every tensor of the GGUF ([`super::gguf_layout`]) at
//!   `ggml_nbytes`, padded to the buffer's alignment;
//! - defaults: `common/common.h` (`n_batch` 2048, `n_ubatch` 512,
//!   `swa_full` false, `kv_unified` false) as `llama-server` and `llama-cli`
//!   use them.
//!
//! The compute buffer is the peak of ggml's graph allocator over the
//! worst-case graph (`n_ubatch` tokens against the whole cache). llmem
//! rebuilds that graph for every architecture it lays out
//! ([`super::llama_graph`]) and runs ggml's allocator
//! ([`super::ggml_alloc`]) over it, so the figure is the CPU backend's, to
//! the byte; for a model whose graph it cannot rebuild it models the two
//! phases that bound it — the attention scores (or, with flash attention,
//! the mask) and the logits — and labels the figure an estimate. A GPU backend runs the
//! same graph in its own buffer (its alignment and fused operations differ),
//! so there the figure is an estimate too. The test suite compares every
//! figure with real llama.cpp.

use super::gguf_layout::{layout, FileType, GgufLayout};
use crate::arch::{Attention, AttentionSpan, ModelArch};
use crate::error::{EstimateError, Result};
use crate::families::Family;
use crate::gguf::GgmlType;
use serde::Serialize;

/// A llama.cpp run's settings (the command-line flags of `llama-server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LlamaCppParams {
    /// `--ctx-size`; 0 means the model's trained context.
    pub n_ctx: u64,
    /// `--batch-size`.
    pub n_batch: u64,
    /// `--ubatch-size`.
    pub n_ubatch: u64,
    /// `--parallel`: sequences (slots).
    pub n_parallel: u64,
    /// `--flash-attn on|off`.
    pub flash_attn: bool,
    /// `--cache-type-k`, `--cache-type-v`.
    pub type_k: GgmlType,
    pub type_v: GgmlType,
    /// `--n-gpu-layers`: how many layers (and, past the last layer, the
    /// output layer) live on the GPU; 0 for a CPU-only run.
    pub n_gpu_layers: u64,
    /// `--swa-full`.
    pub swa_full: bool,
}

impl Default for LlamaCppParams {
    fn default() -> Self {
        LlamaCppParams {
            n_ctx: 4096,
            n_batch: 2048,
            n_ubatch: 512,
            n_parallel: 1,
            flash_attn: false,
            type_k: GgmlType::F16,
            type_v: GgmlType::F16,
            n_gpu_layers: 0,
            swa_full: false,
        }
    }
}

/// Cache types llama.cpp accepts for `--cache-type-k/v`
/// (`kv_cache_types` in `common/arg.cpp`).
pub const CACHE_TYPES: [GgmlType; 9] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::Bf16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Iq4Nl,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
];

/// Where a byte lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Split {
    pub host: u64,
    pub device: u64,
}

impl Split {
    pub fn total(&self) -> u64 {
        self.host + self.device
    }
}

/// llama.cpp's buffers for one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlamaCppReport {
    /// The context llama.cpp settles on: `n_ctx` after padding.
    pub n_ctx: u64,
    /// Cells per sequence for full-attention layers.
    pub n_ctx_seq: u64,
    /// Cells per sequence of the sliding-window cache (0 if none).
    pub n_swa_cells: u64,
    pub n_ubatch: u64,
    /// The model buffer (weights as the GGUF stores them).
    pub model: Split,
    /// The KV cache.
    pub kv: Split,
    /// The compute buffer: ggml's allocator run over the rebuilt graph
    /// when `compute_exact`, otherwise an estimate (see the module docs).
    pub compute: Split,
    /// The compute buffer is what llama.cpp's CPU backend reserves, to the
    /// byte ([`super::llama_graph`] rebuilds this architecture's graph).
    pub compute_exact: bool,
    /// The output buffer (logits), always on the host.
    pub output_bytes: u64,
    /// Layers offloaded to the GPU.
    pub offloaded_layers: u64,
}

impl LlamaCppReport {
    pub fn total(&self) -> u64 {
        self.model.total() + self.kv.total() + self.compute.total() + self.output_bytes
    }

    /// One backend's compute buffer and whether it is exact: the same graph
    /// wherever the layers are (the host and the device each reserve it).
    pub fn compute_buffer(&self) -> (u64, bool) {
        (self.compute.host.max(self.compute.device), self.compute_exact)
    }
}

/// Alignment of tensors in a CPU buffer (`TENSOR_ALIGNMENT` in
/// `ggml/src/ggml-backend-impl.h` and the CPU buffer type's
/// `get_alignment`).
pub const BUFFER_ALIGNMENT: u64 = 32;

fn pad(x: u64, to: u64) -> u64 {
    x.div_ceil(to) * to
}

/// Bytes of `n` elements in a ggml type (`ggml_row_size`).
pub fn row_size(t: GgmlType, n: u64) -> u64 {
    n / t.block_elems() * t.type_size()
}

/// Whether llama.cpp treats this model's sliding windows as windows
/// (`load_arch_hparams`: Gemma 2/3 and gpt-oss; Mistral's and Phi-3's are ignored).
fn uses_swa(arch: &ModelArch) -> bool {
    matches!(arch.family, Family::Gemma2 | Family::Gemma3 | Family::Gemma3Text | Family::GptOss)
        && arch.layers.iter().any(|l| matches!(l.attention, Some(AttentionSpan::Sliding(_))))
}

/// K and V widths per token and layer, as the cache stores them.
fn kv_widths(arch: &ModelArch) -> (u64, u64) {
    match &arch.attention {
        Some(Attention::Standard(a)) => (a.num_kv_heads * a.head_dim, a.num_kv_heads * a.head_dim),
        Some(Attention::Latent(m)) => (m.kv_lora_rank + m.qk_rope_head_dim, 0),
        None => (0, 0),
    }
}

/// Sizes llama.cpp's buffers for `arch` stored as `ftype`.
pub fn llama_cpp(arch: &ModelArch, ftype: FileType, p: &LlamaCppParams) -> Result<LlamaCppReport> {
    let l = layout(arch, ftype)?;
    llama_cpp_with_layout(arch, &l, p)
}

/// As [`llama_cpp`] for a given GGUF layout.
pub fn llama_cpp_with_layout(arch: &ModelArch, l: &GgufLayout, p: &LlamaCppParams) -> Result<LlamaCppReport> {
    llama_cpp_placed(arch, l, p, None)
}

/// As [`llama_cpp_with_layout`], reusing the compute buffer of an earlier
/// report for the same run (`(bytes, exact)`; see [`LlamaCppReport::compute_buffer`]).
pub fn llama_cpp_placed(
    arch: &ModelArch,
    l: &GgufLayout,
    p: &LlamaCppParams,
    known_compute: Option<(u64, bool)>,
) -> Result<LlamaCppReport> {
    llama_cpp_with_tensors(arch, l.tensors.iter().map(|t| (t.name.as_str(), t.layer, t.bytes())), p, known_compute)
}

/// The repeating layer a GGUF tensor belongs to, from its name
/// (`blk.{i}.…`, llama.cpp's `LLM_TENSOR_NAMES`); `None` for the tensors
/// outside the layers (`token_embd`, `output_norm`, `output`, …).
pub fn gguf_block_layer(name: &str) -> Option<u64> {
    name.strip_prefix("blk.")?.split('.').next()?.parse().ok()
}

/// As [`llama_cpp`] for a real GGUF file's tensors, as its header lists
/// them ([`crate::safetensors::summarize_gguf`]): each placed by the layer
/// its name gives, at the bytes it stores — the model buffer of that very
/// file.
pub fn llama_cpp_for_file(
    arch: &ModelArch,
    tensors: &[crate::safetensors::StoredTensor],
    p: &LlamaCppParams,
) -> Result<LlamaCppReport> {
    llama_cpp_with_tensors(arch, tensors.iter().map(|t| (t.name.as_str(), gguf_block_layer(&t.name), t.bytes)), p, None)
}

/// llama.cpp's buffers for tensors given as (name, layer, bytes): only the
/// name (for the output layer), the layer and the size decide where a
/// tensor goes and what it takes.
/// `known_compute` is the compute buffer of the same run with the layers
/// placed otherwise (where they live does not change the graph), so a sweep
/// over `--n-gpu-layers` builds the graph once.
fn llama_cpp_with_tensors<'t>(
    arch: &ModelArch,
    tensors: impl Iterator<Item = (&'t str, Option<u64>, u64)>,
    p: &LlamaCppParams,
    known_compute: Option<(u64, bool)>,
) -> Result<LlamaCppReport> {
    if p.n_parallel == 0 || p.n_ubatch == 0 || p.n_batch == 0 {
        return Err(EstimateError::OutOfRange {
            what: "llama.cpp settings".into(),
            reason: "--parallel, --batch-size and --ubatch-size must be at least 1".into(),
        });
    }
    if p.n_parallel > 256 {
        return Err(EstimateError::OutOfRange { what: "--parallel".into(), reason: "at most 256 sequences".into() });
    }
    for (flag, t) in [("--cache-type-k", p.type_k), ("--cache-type-v", p.type_v)] {
        if !CACHE_TYPES.contains(&t) {
            return Err(EstimateError::OutOfRange {
                what: flag.into(),
                reason: format!(
                    "{} is not a cache type; use one of {}",
                    t.name(),
                    CACHE_TYPES.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    if p.type_v.is_quantized() && !p.flash_attn {
        return Err(EstimateError::OutOfRange {
            what: "--cache-type-v".into(),
            reason: format!(
                "a quantized V cache ({}) needs flash attention: add --flash-attn on, or use f16",
                p.type_v.name()
            ),
        });
    }
    let requested = if p.n_ctx == 0 { arch.max_position_embeddings } else { p.n_ctx };
    if requested > 1 << 24 {
        return Err(EstimateError::OutOfRange {
            what: "--ctx-size".into(),
            reason: format!("{requested} tokens; llmem models llama.cpp up to 16,777,216"),
        });
    }
    let n_ctx_padded = pad(requested.max(1), 256);
    let n_ctx_seq = pad(n_ctx_padded / p.n_parallel, 256).max(256);
    let n_ctx = n_ctx_seq * p.n_parallel;
    let n_batch = n_ctx.min(p.n_batch);
    let n_ubatch = n_batch.min(p.n_ubatch);

    // Which layers live on the device: llama.cpp offloads the last
    // `n_gpu_layers` repeating layers, and the output layer once
    // n_gpu_layers exceeds the layer count (`llama_model::load_tensors`,
    // `i_gpu_start = max(n_layer + 1 - n_gpu_layers, 0)`); the token
    // embeddings always stay on the host.
    let n_layer = arch.num_layers;
    let gpu_start = (n_layer + 1).saturating_sub(p.n_gpu_layers);
    let on_gpu = |layer: Option<u64>| match layer {
        Some(i) => i >= gpu_start,
        None => false,
    };
    let output_on_gpu = p.n_gpu_layers > n_layer;
    let mut model = Split::default();
    for (name, layer, bytes) in tensors {
        let b = pad(bytes, BUFFER_ALIGNMENT);
        let device = match name {
            "output.weight" | "output_norm.weight" => output_on_gpu,
            // Tied embeddings: the output reuses token_embd, which stays on the host.
            _ => on_gpu(layer),
        };
        if device {
            model.device += b;
        } else {
            model.host += b;
        }
    }

    let (k_width, v_width) = kv_widths(arch);
    let swa = uses_swa(arch) && !p.swa_full;
    let window = arch.smallest_window().unwrap_or(0);
    let n_swa_cells = if swa { pad((n_ctx_seq).min(window + n_ubatch), 256) } else { 0 };
    let mut kv = Split::default();
    for (i, layer) in arch.layers.iter().enumerate() {
        let Some(span) = layer.attention else { continue };
        let sliding = matches!(span, AttentionSpan::Sliding(_)) && uses_swa(arch);
        let cells = if sliding && swa { n_swa_cells } else { n_ctx_seq } * p.n_parallel;
        let bytes = row_size(p.type_k, k_width) * cells + row_size(p.type_v, v_width) * cells;
        if on_gpu(Some(i as u64)) {
            kv.device += bytes;
        } else {
            kv.host += bytes;
        }
    }

    let (compute_bytes, compute_exact) = known_compute.unwrap_or_else(|| compute_buffer(arch, p, n_ctx_seq, n_ubatch));
    let offloaded_layers = p.n_gpu_layers.min(n_layer);
    let compute = if p.n_gpu_layers > 0 {
        // The GPU backend holds the graph's device part; the host keeps a
        // buffer for the layers and inputs it still runs.
        Split { host: if offloaded_layers < n_layer { compute_bytes } else { 0 }, device: compute_bytes }
    } else {
        Split { host: compute_bytes, device: 0 }
    };
    Ok(LlamaCppReport {
        n_ctx,
        n_ctx_seq,
        n_swa_cells,
        n_ubatch,
        model,
        kv,
        compute,
        compute_exact,
        output_bytes: arch.vocab_size * p.n_parallel * 4,
        offloaded_layers,
    })
}

/// The compute buffer and whether it is exact: ggml's allocator over the
/// rebuilt graph ([`compute_graph`]), or [`compute_estimate`] for a model
/// whose graph llmem does not rebuild.
fn compute_buffer(arch: &ModelArch, p: &LlamaCppParams, n_ctx_seq: u64, n_ubatch: u64) -> (u64, bool) {
    match compute_graph(arch, p, n_ctx_seq, n_ubatch) {
        Some(g) => (super::ggml_alloc::reserve_size(&g, super::ggml_alloc::CPU_ALIGNMENT), true),
        None => (compute_estimate(arch, p, n_ctx_seq, n_ubatch), false),
    }
}

/// The worst-case graph llama.cpp reserves its compute buffer for
/// (`llama_context::sched_reserve`: `n_ubatch` tokens, rounded up to a
/// multiple of the sequences, one stream per sequence, every cell of the
/// cache), when llmem rebuilds the architecture's graph.
pub fn compute_graph(
    arch: &ModelArch,
    p: &LlamaCppParams,
    n_ctx_seq: u64,
    n_ubatch: u64,
) -> Option<super::ggml_alloc::Graph> {
    let n_kv_swa = if uses_swa(arch) && !p.swa_full {
        pad(n_ctx_seq.min(arch.smallest_window().unwrap_or(0) + n_ubatch), 256)
    } else {
        n_ctx_seq
    };
    let n_stream = p.n_parallel.max(1);
    let shape = super::llama_graph::GraphShape {
        n_tokens: n_ubatch.div_ceil(n_stream) * n_stream,
        n_stream,
        n_kv: n_ctx_seq,
        n_kv_swa,
        flash_attn: p.flash_attn,
        type_k: p.type_k,
        type_v: p.type_v,
    };
    super::llama_graph::build(arch, &shape)
}

/// The compute buffer, estimated as the largest of the phases that bound
/// it for `n_ubatch` tokens (each fitted to llama.cpp's CPU backend; see the
/// module docs), per token:
/// - the logits: `n_vocab` f32 and two hidden states;
/// - the attention: without flash attention the scores (`n_head × n_kv`
///   f32) and an f32 mask row, with it the f16 mask row and the kernel's
///   f32 inputs and output; about 22 (12 with flash attention) bytes per
///   hidden unit of other live tensors;
/// - the feed-forward block: the gate, up and activation outputs (f32) of
///   the dense MLP, or of the `top-k` experts each token is routed to, the
///   experts' outputs before they are summed, and about 12 bytes per hidden unit.
pub fn compute_estimate(arch: &ModelArch, p: &LlamaCppParams, n_kv: u64, n_ubatch: u64) -> u64 {
    let e = arch.hidden_size;
    let out = 4 * arch.vocab_size + 8 * e + 4;
    let heads = arch.num_heads();
    let attn = if heads == 0 {
        0
    } else if p.flash_attn {
        2 * n_kv + 12 * e + 3 * 4 * heads * arch.head_dim()
    } else {
        n_kv * (4 * heads + 4) + 22 * e + 20
    };
    let mut ffn = 0;
    if arch.layers.iter().any(|l| l.ffn == crate::arch::Ffn::Dense) {
        ffn = ffn.max(3 * 4 * arch.mlp.intermediate_size + 12 * e + 28);
    }
    if let Some(moe) = &arch.moe {
        let k = moe.experts_per_token;
        let routed = 3 * 4 * k * moe.expert_intermediate_size + 4 * k * e;
        let shared = 3 * 4 * moe.shared_intermediate_size;
        ffn = ffn.max(routed + shared + 12 * e + 28);
    }
    n_ubatch * out.max(attn).max(ffn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    /// A GGUF written with llmem's layout, read back through the header
    /// reader the CLI and the page use, places and sizes every tensor as
    /// the layout does: the same buffers, with every layer on the GPU, with
    /// some and with none.
    #[test]
    fn a_files_tensors_are_its_layout() {
        use super::super::gguf_layout::{layout, metadata, FileType};
        for (id, ftype) in [
            ("llama-3.1-8b", FileType::Q4KM),
            ("qwen3-8b", FileType::F16),
            ("gemma-3-27b", FileType::Q8_0),
            ("deepseek-v3", FileType::Q4KM),
            ("qwen3-30b-a3b", FileType::Q4KM),
        ] {
            let arch = preset(id).unwrap().arch().unwrap();
            let l = layout(&arch, ftype).unwrap();
            let (header, _) =
                crate::gguf_file::write_header(&metadata(&arch, &l, ftype).unwrap(), &l.new_tensors()).unwrap();
            let read = crate::gguf_file::read_header(&header).unwrap();
            let tensors = crate::safetensors::summarize_gguf(&read).unwrap().tensors;
            for n_gpu_layers in [0, arch.num_layers / 2, u64::MAX] {
                let p = LlamaCppParams { n_ctx: 8192, n_gpu_layers, ..LlamaCppParams::default() };
                assert_eq!(
                    llama_cpp_for_file(&arch, &tensors, &p).unwrap(),
                    llama_cpp(&arch, ftype, &p).unwrap(),
                    "{id}"
                );
            }
        }
        assert_eq!(gguf_block_layer("blk.17.attn_q.weight"), Some(17));
        assert_eq!(gguf_block_layer("token_embd.weight"), None);
        assert_eq!(gguf_block_layer("blk.x.attn_q.weight"), None);
    }

    /// Llama 3.1 8B, F16, 8,192 tokens, as llama.cpp reports it: model
    /// 16,061,055,232 bytes, KV 1,073,741,824 (32 layers × 8,192 cells × 2 ×
    /// 1,024 × 2 bytes), output 513,024 (128,256 logits × 4 bytes).
    #[test]
    fn llama_8b_f16() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let r = llama_cpp(&m, FileType::F16, &LlamaCppParams { n_ctx: 8192, ..Default::default() }).unwrap();
        assert_eq!(r.model.host, 16_061_055_232);
        assert_eq!(r.kv.host, 1_073_741_824);
        assert_eq!(r.output_bytes, 513_024);
    }

    /// 8,000 tokens over 4 sequences: 8,192 padded, 2,048 cells each.
    #[test]
    fn padding_per_sequence() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let r =
            llama_cpp(&m, FileType::F16, &LlamaCppParams { n_ctx: 8000, n_parallel: 4, ..Default::default() }).unwrap();
        assert_eq!((r.n_ctx, r.n_ctx_seq), (8192, 2048));
        assert_eq!(r.output_bytes, 4 * 128_256 * 4);
    }

    /// Gemma 2 9B: 21 sliding layers of pad256(4,096 + 512) = 4,608 cells.
    #[test]
    fn gemma2_swa_cache() {
        let m = preset("gemma-2-9b").unwrap().arch().unwrap();
        let r = llama_cpp(&m, FileType::F16, &LlamaCppParams { n_ctx: 8192, ..Default::default() }).unwrap();
        assert_eq!(r.n_swa_cells, 4608);
        // 8 KV heads × 256 × 2 bytes = 4,096 bytes per token for K and for V.
        assert_eq!(r.kv.host, 21 * (8192 + 4608) * 2 * 4096);
    }

    #[test]
    fn quantized_v_needs_flash_attention() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let p = LlamaCppParams { type_v: GgmlType::Q8_0, ..Default::default() };
        assert!(llama_cpp(&m, FileType::F16, &p).unwrap_err().to_string().contains("flash"));
        assert!(llama_cpp(&m, FileType::F16, &LlamaCppParams { flash_attn: true, ..p }).is_ok());
    }
}

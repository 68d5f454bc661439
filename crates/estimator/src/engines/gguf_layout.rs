//! A model as llama.cpp's converter and quantizer lay it out in a GGUF file:
//! every tensor's name, shape and type, and the metadata llama.cpp reads.
//!
//! Sources, llama.cpp v0.5.0 (bundled with node-llama-cpp 3.22.1):
//! - names and shapes: `src/models/<arch>.cpp`, `load_arch_tensors` (e.g.
//!   `llama.cpp`, `qwen3.cpp`, `gemma3.cpp`, `openai-moe.cpp`, `deepseek2.cpp`)
//!   and `create_tensor_qkv` in `src/llama-model.cpp`; `ne[0]` is the input
//!   width, experts are stacked in a third dimension;
//! - what the converter adds and which types it writes:
//!   `conversion/base.py` `prepare_tensors` (1-D tensors, `*_norm.weight`,
//!   MoE routers and non-`.weight` tensors in F32; the rest in the output
//!   type, F16 when a row does not fit Q8_0 blocks), `conversion/llama.py`
//!   (`rope_freqs` for Llama 3 RoPE scaling), `conversion/phi.py` (long and
//!   short RoPE factors), `conversion/gpt_oss.py` (experts kept in MXFP4);
//! - the quantizer's choices for Q4_K_M: [`crate::gguf::Q4KMPlan`],
//!   `llama_tensor_get_type_impl` in `src/llama-quant.cpp`.

use crate::arch::{Attention, Ffn, ModelArch, QkNorm, TensorKind};
use crate::error::{EstimateError, Result};
use crate::families::Family;
use crate::gguf::{GgmlType, Q4KMPlan};
use crate::gguf_file::{ArrayValue, NewTensor, Value};
use serde::Serialize;

/// The GGUF file types llmem lays out (`llama_ftype`, as `--outtype` of the
/// converter or the type given to `llama-quantize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    F32,
    F16,
    Bf16,
    Q8_0,
    Q4KM,
}

impl FileType {
    pub const ALL: [FileType; 5] = [FileType::F32, FileType::F16, FileType::Bf16, FileType::Q8_0, FileType::Q4KM];

    /// The weights format llmem prices this file type as.
    pub fn weight_format(self) -> crate::precision::WeightFormat {
        use crate::precision::{Dtype, WeightFormat};
        match self {
            FileType::F32 => WeightFormat::Float(Dtype::Fp32),
            FileType::F16 => WeightFormat::Float(Dtype::Fp16),
            FileType::Bf16 => WeightFormat::Float(Dtype::Bf16),
            FileType::Q8_0 => WeightFormat::GgufQ8_0,
            FileType::Q4KM => WeightFormat::GgufQ4KM,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            FileType::F32 => "f32",
            FileType::F16 => "f16",
            FileType::Bf16 => "bf16",
            FileType::Q8_0 => "q8_0",
            FileType::Q4KM => "q4_k_m",
        }
    }

    /// `general.file_type` (`enum llama_ftype`).
    pub fn llama_ftype(self) -> u32 {
        match self {
            FileType::F32 => 0,
            FileType::F16 => 1,
            FileType::Q8_0 => 7,
            FileType::Q4KM => 15,
            FileType::Bf16 => 32,
        }
    }

    /// Parses a file type's id; `fp32` and `fp16`, as llmem's weights
    /// formats spell them, are the same files as `f32` and `f16`.
    pub fn parse(s: &str) -> Result<FileType> {
        let s = if s.eq_ignore_ascii_case("fp32") {
            "f32"
        } else if s.eq_ignore_ascii_case("fp16") {
            "f16"
        } else {
            s
        };
        FileType::ALL.into_iter().find(|f| f.id().eq_ignore_ascii_case(s)).ok_or_else(|| EstimateError::UnknownName {
            kind: "GGUF file type",
            name: s.chars().take(32).collect(),
            known: FileType::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(", "),
        })
    }

    /// The type the converter writes a quantizable matrix in.
    fn matrix_type(self) -> GgmlType {
        match self {
            FileType::F32 => GgmlType::F32,
            FileType::F16 | FileType::Q4KM => GgmlType::F16,
            FileType::Bf16 => GgmlType::Bf16,
            FileType::Q8_0 => GgmlType::Q8_0,
        }
    }
}

/// One tensor of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GgufTensor {
    pub name: String,
    /// `ne`, input width first.
    pub ne: Vec<u64>,
    pub ggml_type: GgmlType,
    /// What the tensor is (for the quantizer's rules and for breakdowns).
    pub kind: TensorKind,
    pub layer: Option<u64>,
}

impl GgufTensor {
    /// `ggml_nbytes`.
    pub fn bytes(&self) -> u64 {
        let ne0 = self.ne.first().copied().unwrap_or(0);
        let rows: u64 = self.ne.iter().skip(1).product();
        rows.saturating_mul(ne0 / self.ggml_type.block_elems()).saturating_mul(self.ggml_type.type_size())
    }

    pub fn elements(&self) -> u64 {
        self.ne.iter().product()
    }
}

/// A GGUF file's tensors (its metadata is [`metadata`], which only a file
/// writer needs: sizing never reads it, and keeping it apart keeps the
/// metadata keys out of the browser bundles).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GgufLayout {
    /// `general.architecture`.
    pub arch: &'static str,
    pub tensors: Vec<GgufTensor>,
}

impl GgufLayout {
    /// The tensors in the writer's form.
    pub fn new_tensors(&self) -> Vec<NewTensor> {
        self.tensors
            .iter()
            .map(|t| NewTensor { name: t.name.clone(), dims: t.ne.clone(), ggml_type: t.ggml_type })
            .collect()
    }

    /// Bytes of the tensor data.
    pub fn data_bytes(&self) -> u64 {
        self.tensors.iter().map(GgufTensor::bytes).sum()
    }
}

/// llama.cpp's architecture name for a family, if llmem lays it out.
pub fn llama_cpp_arch(family: Family) -> Option<&'static str> {
    Some(match family {
        Family::Llama | Family::Mistral | Family::Mixtral => "llama",
        Family::Qwen2 => "qwen2",
        Family::Qwen3 => "qwen3",
        Family::Qwen3Moe => "qwen3moe",
        Family::Phi3 => "phi3",
        Family::Gemma2 => "gemma2",
        Family::Gemma3Text | Family::Gemma3 => "gemma3",
        Family::GptOss => "gpt-oss",
        Family::DeepseekV2 | Family::DeepseekV3 => "deepseek2",
        _ => return None,
    })
}

/// Families the llama.cpp layout covers, for messages.
pub const LLAMA_CPP_FAMILIES: &str =
    "llama, mistral, mixtral, qwen2, qwen3, qwen3_moe, phi3, gemma2, gemma3, gpt_oss, deepseek_v2, deepseek_v3";

struct Builder<'a> {
    arch: &'a ModelArch,
    ftype: FileType,
    tensors: Vec<GgufTensor>,
}

impl Builder<'_> {
    /// Adds a tensor with the type the converter gives it (before quantization).
    fn add(&mut self, name: String, ne: Vec<u64>, kind: TensorKind, layer: Option<u64>) {
        let is_weight = name.ends_with(".weight");
        let ggml_type = if ne.len() <= 1
            || name.ends_with("_norm.weight")
            || !is_weight
            || matches!(kind, TensorKind::Router | TensorKind::SharedExpertRouter | TensorKind::PositionEmbedding)
        {
            GgmlType::F32
        } else if self.arch.family == Family::GptOss && kind.is_expert() {
            // conversion/gpt_oss.py repacks the checkpoint's MXFP4 experts as they are.
            GgmlType::Mxfp4
        } else {
            let t = self.ftype.matrix_type();
            // gguf-py's quantizer refuses rows that are not whole blocks; the
            // converter falls back to F16 for them.
            if ne[0] % t.block_elems() == 0 {
                t
            } else {
                GgmlType::F16
            }
        };
        self.tensors.push(GgufTensor { name, ne, ggml_type, kind, layer });
    }
    fn blk(&mut self, i: u64, name: &str, ne: Vec<u64>, kind: TensorKind) {
        self.add(format!("blk.{i}.{name}"), ne, kind, Some(i));
    }
}

/// The GGUF layout of `arch` in `ftype`, as llama.cpp's converter (and,
/// for Q4_K_M, its quantizer) writes it.
pub fn layout(arch: &ModelArch, ftype: FileType) -> Result<GgufLayout> {
    use TensorKind as K;
    let name = llama_cpp_arch(arch.family).ok_or_else(|| EstimateError::OutOfRange {
        what: "llama.cpp layout".into(),
        reason: format!(
            "this model's family is not laid out for llama.cpp yet; supported model types: {LLAMA_CPP_FAMILIES}"
        ),
    })?;
    let h = arch.hidden_size;
    let mut b = Builder { arch, ftype, tensors: Vec::new() };
    b.add("token_embd.weight".into(), vec![h, arch.vocab_size], K::TokenEmbedding, None);
    // Extra tensors the converter generates.
    if let Some(rs) = &arch.rope_scaling {
        let half = arch.rotary_dims / 2;
        match (name, rs.kind.as_str()) {
            ("llama", "llama3") => b.add("rope_freqs.weight".into(), vec![half], K::Norm, None),
            ("phi3", "longrope" | "su") => {
                b.add("rope_factors_long.weight".into(), vec![half], K::Norm, None);
                b.add("rope_factors_short.weight".into(), vec![half], K::Norm, None);
            }
            _ => {}
        }
    }
    let gemma = matches!(name, "gemma2" | "gemma3");
    for (i, layer) in arch.layers.iter().enumerate() {
        let i = i as u64;
        b.blk(i, "attn_norm.weight", vec![h], K::Norm);
        if layer.attention.is_some() {
            match &arch.attention {
                Some(Attention::Standard(a)) => {
                    let q = a.num_heads * a.head_dim;
                    let kv = a.num_kv_heads * a.head_dim;
                    if a.fused_qkv {
                        b.blk(i, "attn_qkv.weight", vec![h, q + 2 * kv], K::AttnQkv);
                    } else {
                        b.blk(i, "attn_q.weight", vec![h, q], K::AttnQ);
                        b.blk(i, "attn_k.weight", vec![h, kv], K::AttnK);
                        b.blk(i, "attn_v.weight", vec![h, kv], K::AttnV);
                        if a.qkv_bias {
                            b.blk(i, "attn_q.bias", vec![q], K::Bias);
                            b.blk(i, "attn_k.bias", vec![kv], K::Bias);
                            b.blk(i, "attn_v.bias", vec![kv], K::Bias);
                        }
                    }
                    b.blk(i, "attn_output.weight", vec![q, h], K::AttnOut);
                    if a.out_bias {
                        b.blk(i, "attn_output.bias", vec![h], K::Bias);
                    }
                    if a.qk_norm == QkNorm::SharedAcrossHeads {
                        b.blk(i, "attn_q_norm.weight", vec![a.head_dim], K::Norm);
                        b.blk(i, "attn_k_norm.weight", vec![a.head_dim], K::Norm);
                    }
                    if a.sinks {
                        b.blk(i, "attn_sinks.weight", vec![a.num_heads], K::AttnSinks);
                    }
                }
                Some(Attention::Latent(m)) => {
                    let qk_head = m.qk_nope_head_dim + m.qk_rope_head_dim;
                    match m.q_lora_rank {
                        Some(r) => {
                            b.blk(i, "attn_q_a_norm.weight", vec![r], K::Norm);
                            b.blk(i, "attn_q_a.weight", vec![h, r], K::AttnQA);
                            b.blk(i, "attn_q_b.weight", vec![r, m.num_heads * qk_head], K::AttnQB);
                        }
                        None => b.blk(i, "attn_q.weight", vec![h, m.num_heads * qk_head], K::AttnQ),
                    }
                    b.blk(i, "attn_kv_a_norm.weight", vec![m.kv_lora_rank], K::Norm);
                    b.blk(i, "attn_kv_a_mqa.weight", vec![h, m.kv_lora_rank + m.qk_rope_head_dim], K::AttnKvA);
                    // The converter splits kv_b_proj into per-head K and V up-projections.
                    b.blk(i, "attn_k_b.weight", vec![m.qk_nope_head_dim, m.kv_lora_rank, m.num_heads], K::AttnKvB);
                    b.blk(i, "attn_v_b.weight", vec![m.kv_lora_rank, m.v_head_dim, m.num_heads], K::AttnKvB);
                    b.blk(i, "attn_output.weight", vec![m.num_heads * m.v_head_dim, h], K::AttnOut);
                }
                None => {}
            }
        }
        // The second norm: llama.cpp calls Gemma's post-attention norm
        // `attn_post_norm` and its pre-feed-forward norm `ffn_norm`; gpt-oss's
        // `post_attention_layernorm` is `attn_post_norm`; elsewhere it is `ffn_norm`.
        match name {
            "gpt-oss" => b.blk(i, "post_attention_norm.weight", vec![h], K::Norm),
            _ if gemma => {
                b.blk(i, "post_attention_norm.weight", vec![h], K::Norm);
                b.blk(i, "ffn_norm.weight", vec![h], K::Norm);
            }
            _ => b.blk(i, "ffn_norm.weight", vec![h], K::Norm),
        }
        match (layer.ffn, &arch.moe) {
            (Ffn::Dense, _) => {
                let ff = arch.mlp.intermediate_size;
                if arch.mlp.fused_gate_up {
                    b.blk(i, "ffn_up.weight", vec![h, 2 * ff], K::MlpGateUp);
                } else {
                    b.blk(i, "ffn_gate.weight", vec![h, ff], K::MlpGate);
                    b.blk(i, "ffn_up.weight", vec![h, ff], K::MlpUp);
                }
                b.blk(i, "ffn_down.weight", vec![ff, h], K::MlpDown);
            }
            (Ffn::Moe, Some(moe)) => {
                let (e, ff) = (moe.num_experts, moe.expert_intermediate_size);
                b.blk(i, "ffn_gate_inp.weight", vec![h, e], K::Router);
                if moe.router_bias == crate::arch::RouterBias::Parameter {
                    b.blk(i, "ffn_gate_inp.bias", vec![e], K::Bias);
                }
                if moe.router_bias == crate::arch::RouterBias::Buffer {
                    b.blk(i, "exp_probs_b.bias", vec![e], K::RouterBias);
                }
                b.blk(i, "ffn_gate_exps.weight", vec![h, ff, e], K::ExpertGate);
                b.blk(i, "ffn_down_exps.weight", vec![ff, h, e], K::ExpertDown);
                b.blk(i, "ffn_up_exps.weight", vec![h, ff, e], K::ExpertUp);
                if moe.expert_bias {
                    b.blk(i, "ffn_gate_exps.bias", vec![ff, e], K::Bias);
                    b.blk(i, "ffn_down_exps.bias", vec![h, e], K::Bias);
                    b.blk(i, "ffn_up_exps.bias", vec![ff, e], K::Bias);
                }
                if moe.shared_intermediate_size > 0 {
                    let s = moe.shared_intermediate_size;
                    b.blk(i, "ffn_gate_shexp.weight", vec![h, s], K::SharedExpertGate);
                    b.blk(i, "ffn_down_shexp.weight", vec![s, h], K::SharedExpertDown);
                    b.blk(i, "ffn_up_shexp.weight", vec![h, s], K::SharedExpertUp);
                }
            }
            _ => {}
        }
        if gemma {
            b.blk(i, "post_ffw_norm.weight", vec![h], K::Norm);
        }
    }
    b.add("output_norm.weight".into(), vec![h], K::Norm, None);
    if !arch.tie_word_embeddings {
        b.add("output.weight".into(), vec![h, arch.vocab_size], K::LmHead, None);
    }
    let mut tensors = b.tensors;
    if ftype == FileType::Q4KM {
        quantize_q4_k_m(arch, &mut tensors);
    }
    Ok(GgufLayout { arch: name, tensors })
}

/// llama-quantize's Q4_K_M choices, applied to the F16 file's matrices
/// (F32 tensors are not requantized; `tensor_allows_quantization`).
fn quantize_q4_k_m(arch: &ModelArch, tensors: &mut [GgufTensor]) {
    let plan = Q4KMPlan::new(arch);
    for t in tensors.iter_mut() {
        if t.ggml_type == GgmlType::F32 || t.ggml_type == GgmlType::Mxfp4 {
            continue;
        }
        let probe = crate::arch::Tensor {
            kind: t.kind,
            layer: t.layer,
            rows: t.ne.get(1).copied().unwrap_or(1),
            cols: t.ne[0],
            copies: t.ne.get(2).copied().unwrap_or(1),
            active_copies: 1,
        };
        t.ggml_type = plan.type_for(&probe).fit_row(t.ne[0]);
    }
}

fn u32v(v: u64) -> Value {
    Value::U32(u32::try_from(v).unwrap_or(u32::MAX))
}

/// The metadata llama.cpp reads for `arch` (`load_hparams` in
/// `src/llama-model.cpp` and each architecture's `load_arch_hparams`), for
/// the layout `l` of `arch` in `ftype`.
pub fn metadata(arch: &ModelArch, l: &GgufLayout, ftype: FileType) -> Result<Vec<(String, Value)>> {
    let name = l.arch;
    let k = |key: &str| format!("{name}.{key}");
    let mut m: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::Str(name.into())),
        ("general.file_type".into(), Value::U32(ftype.llama_ftype())),
        (k("context_length"), u32v(arch.max_position_embeddings)),
        (k("embedding_length"), u32v(arch.hidden_size)),
        (k("block_count"), u32v(arch.num_layers)),
        (k("vocab_size"), u32v(arch.vocab_size)),
        (k("attention.layer_norm_rms_epsilon"), Value::F32(1e-6)),
        ("tokenizer.ggml.model".into(), Value::Str("none".into())),
    ];
    if arch.mlp.intermediate_size > 0 {
        m.push((k("feed_forward_length"), u32v(arch.mlp.intermediate_size)));
    }
    match &arch.attention {
        Some(Attention::Standard(a)) => {
            m.push((k("attention.head_count"), u32v(a.num_heads)));
            m.push((k("attention.head_count_kv"), u32v(a.num_kv_heads)));
            m.push((k("attention.key_length"), u32v(a.head_dim)));
            m.push((k("attention.value_length"), u32v(a.head_dim)));
            m.push((k("rope.dimension_count"), u32v(arch.rotary_dims)));
        }
        Some(Attention::Latent(l)) => {
            // convert_hf_to_gguf (DeepseekV2Model): K holds the latent and the
            // RoPE key, V the latent; the per-head widths go in the *_mla keys.
            m.push((k("attention.head_count"), u32v(l.num_heads)));
            m.push((k("attention.head_count_kv"), Value::U32(1)));
            m.push((k("attention.key_length"), u32v(l.kv_lora_rank + l.qk_rope_head_dim)));
            m.push((k("attention.value_length"), u32v(l.kv_lora_rank)));
            m.push((k("attention.key_length_mla"), u32v(l.qk_nope_head_dim + l.qk_rope_head_dim)));
            m.push((k("attention.value_length_mla"), u32v(l.v_head_dim)));
            m.push((k("attention.kv_lora_rank"), u32v(l.kv_lora_rank)));
            if let Some(r) = l.q_lora_rank {
                m.push((k("attention.q_lora_rank"), u32v(r)));
            }
            m.push((k("rope.dimension_count"), u32v(l.qk_rope_head_dim)));
        }
        None => {}
    }
    if let Some(moe) = &arch.moe {
        m.push((k("expert_count"), u32v(moe.num_experts)));
        m.push((k("expert_used_count"), u32v(moe.experts_per_token)));
        m.push((k("expert_feed_forward_length"), u32v(moe.expert_intermediate_size)));
        if name == "deepseek2" {
            let shared = moe.shared_intermediate_size.checked_div(moe.expert_intermediate_size).unwrap_or(0);
            m.push((k("expert_shared_count"), u32v(shared)));
            let dense = arch.layers.iter().take_while(|l| l.ffn == Ffn::Dense).count() as u64;
            m.push((k("leading_dense_block_count"), u32v(dense)));
            // The router, as `conversion/base.py` and `conversion/deepseek.py`
            // write what the config states (gating 1 = softmax, 2 = sigmoid).
            let r = &moe.routing;
            if r.groups > 0 {
                m.push((k("expert_group_count"), Value::U32(r.groups.into())));
            }
            if r.groups_used > 0 {
                m.push((k("expert_group_used_count"), Value::U32(r.groups_used.into())));
            }
            m.push((k("expert_gating_func"), Value::U32(if r.sigmoid { 2 } else { 1 })));
            if let Some(scale) = r.scale() {
                m.push((k("expert_weights_scale"), Value::F32(scale)));
            }
            if r.normalized {
                m.push((k("expert_weights_norm"), Value::Bool(true)));
            }
        }
    }
    // Sliding windows: llama.cpp applies them for Gemma 2/3 and gpt-oss; the
    // per-layer pattern is written as an array so it matches the config exactly.
    if let Some(w) = arch
        .layers
        .iter()
        .find_map(|l| match l.attention {
            Some(crate::arch::AttentionSpan::Sliding(w)) => Some(w),
            _ => None,
        })
        .filter(|_| matches!(name, "gemma2" | "gemma3" | "gpt-oss"))
    {
        m.push((k("attention.sliding_window"), u32v(w)));
        let pattern: Vec<Value> = arch
            .layers
            .iter()
            .map(|l| Value::Bool(matches!(l.attention, Some(crate::arch::AttentionSpan::Sliding(_)))))
            .collect();
        m.push((
            k("attention.sliding_window_pattern"),
            Value::Array(ArrayValue { elem_type: 7, len: pattern.len() as u64, items: pattern }),
        ));
    }
    if name == "phi3" {
        // Phi-3's window is written but llama.cpp disables it (load_arch_hparams).
        let w = arch.smallest_window().unwrap_or(0);
        m.push((k("attention.sliding_window"), u32v(w)));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    /// Every parameter of the model is in the file once (plus the tensors the
    /// converter adds, like Llama 3's 64 RoPE factors).
    #[test]
    fn layouts_hold_every_parameter() {
        for (id, extra) in [
            ("llama-3.1-8b", 64u64),
            ("qwen2.5-7b", 0),
            ("qwen3-8b", 0),
            ("qwen3-30b-a3b", 0),
            ("phi-3-mini-4k", 0),
            ("gemma-2-9b", 0),
            ("gemma-3-27b", 0),
            ("gpt-oss-20b", 0),
            ("mixtral-8x7b", 0),
            ("deepseek-v3", 0),
        ] {
            let m = preset(id).unwrap().arch().unwrap();
            let l = layout(&m, FileType::F16).unwrap();
            let n: u64 = l.tensors.iter().filter(|t| t.kind != TensorKind::RouterBias).map(|t| t.elements()).sum();
            assert_eq!(n, m.param_counts().unwrap().total + extra, "{id}");
        }
    }

    /// Llama 3.1 8B in F16: 225 matrices in F16, 65 norms and the RoPE
    /// factors in F32 (292 tensors: the LM head is untied).
    #[test]
    fn llama_f16_types() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let l = layout(&m, FileType::F16).unwrap();
        assert_eq!(l.tensors.len(), 292);
        assert_eq!(l.tensors.iter().filter(|t| t.ggml_type == GgmlType::F32).count(), 66);
        assert_eq!(l.data_bytes(), (8_030_261_248 - 65 * 4096) * 2 + (65 * 4096 + 64) * 4);
    }

    #[test]
    fn unsupported_family_is_named() {
        let m = preset("mamba-2.8b").unwrap().arch().unwrap();
        assert!(layout(&m, FileType::F16).unwrap_err().to_string().contains("not laid out"));
    }
}

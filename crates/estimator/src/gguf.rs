//! llama.cpp's GGUF block formats and the per-tensor type choice of its
//! quantizer.
//!
//! Block sizes are the `block_*` structs of ggml (`ggml/src/ggml-common.h`,
//! each pinned by a `static_assert`): a tensor of `rows` rows of length
//! `ne[0]` takes `rows × ne[0] / block_elems × block_bytes` bytes. Which type
//! each tensor gets under Q4_K_M follows `llama_tensor_get_type_impl` and
//! `tensor_type_fallback` in llama.cpp's `src/llama-quant.cpp`; 1-D tensors,
//! norms, MoE routers (`ffn_gate_inp`) and learned position embeddings are
//! written as F32 by `convert_hf_to_gguf.py` (`prepare_tensors`) and never
//! quantized (`tensor_allows_quantization`).

use crate::arch::{Attention, ModelArch, Tensor, TensorKind};
use crate::error::{ceil_div, Checked, Result};
use serde::Serialize;

/// A ggml tensor type: every type a GGUF file can hold (`enum ggml_type` in
/// `ggml/include/ggml.h`, ggml 0.25.1 as bundled with llama.cpp v0.5.0 in
/// node-llama-cpp 3.22.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
    Iq2Xxs,
    Iq2Xs,
    Iq3Xxs,
    Iq1S,
    Iq4Nl,
    Iq3S,
    Iq2S,
    Iq4Xs,
    I8,
    I16,
    I32,
    I64,
    F64,
    Iq1M,
    Bf16,
    Tq1_0,
    Tq2_0,
    Mxfp4,
    Nvfp4,
    Q1_0,
    Q2_0,
}

impl GgmlType {
    /// The type id in GGUF files.
    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q5_0 => 6,
            GgmlType::Q5_1 => 7,
            GgmlType::Q8_0 => 8,
            GgmlType::Q8_1 => 9,
            GgmlType::Q2K => 10,
            GgmlType::Q3K => 11,
            GgmlType::Q4K => 12,
            GgmlType::Q5K => 13,
            GgmlType::Q6K => 14,
            GgmlType::Q8K => 15,
            GgmlType::Iq2Xxs => 16,
            GgmlType::Iq2Xs => 17,
            GgmlType::Iq3Xxs => 18,
            GgmlType::Iq1S => 19,
            GgmlType::Iq4Nl => 20,
            GgmlType::Iq3S => 21,
            GgmlType::Iq2S => 22,
            GgmlType::Iq4Xs => 23,
            GgmlType::I8 => 24,
            GgmlType::I16 => 25,
            GgmlType::I32 => 26,
            GgmlType::I64 => 27,
            GgmlType::F64 => 28,
            GgmlType::Iq1M => 29,
            GgmlType::Bf16 => 30,
            GgmlType::Tq1_0 => 34,
            GgmlType::Tq2_0 => 35,
            GgmlType::Mxfp4 => 39,
            GgmlType::Nvfp4 => 40,
            GgmlType::Q1_0 => 41,
            GgmlType::Q2_0 => 42,
        }
    }

    /// The type with this id, if it is a current one.
    pub fn from_id(id: u32) -> Option<GgmlType> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            6 => GgmlType::Q5_0,
            7 => GgmlType::Q5_1,
            8 => GgmlType::Q8_0,
            9 => GgmlType::Q8_1,
            10 => GgmlType::Q2K,
            11 => GgmlType::Q3K,
            12 => GgmlType::Q4K,
            13 => GgmlType::Q5K,
            14 => GgmlType::Q6K,
            15 => GgmlType::Q8K,
            16 => GgmlType::Iq2Xxs,
            17 => GgmlType::Iq2Xs,
            18 => GgmlType::Iq3Xxs,
            19 => GgmlType::Iq1S,
            20 => GgmlType::Iq4Nl,
            21 => GgmlType::Iq3S,
            22 => GgmlType::Iq2S,
            23 => GgmlType::Iq4Xs,
            24 => GgmlType::I8,
            25 => GgmlType::I16,
            26 => GgmlType::I32,
            27 => GgmlType::I64,
            28 => GgmlType::F64,
            29 => GgmlType::Iq1M,
            30 => GgmlType::Bf16,
            34 => GgmlType::Tq1_0,
            35 => GgmlType::Tq2_0,
            39 => GgmlType::Mxfp4,
            40 => GgmlType::Nvfp4,
            41 => GgmlType::Q1_0,
            42 => GgmlType::Q2_0,
            _ => return None,
        })
    }

    /// Bytes per block (`ggml_type_size`; each value was printed by ggml
    /// itself, the block structs in `ggml/src/ggml-common.h`).
    pub fn type_size(self) -> u64 {
        match self {
            GgmlType::F32 => 4,
            GgmlType::F16 => 2,
            GgmlType::Q4_0 => 18,
            GgmlType::Q4_1 => 20,
            GgmlType::Q5_0 => 22,
            GgmlType::Q5_1 => 24,
            GgmlType::Q8_0 => 34,
            GgmlType::Q8_1 => 36,
            GgmlType::Q2K => 84,
            GgmlType::Q3K => 110,
            GgmlType::Q4K => 144,
            GgmlType::Q5K => 176,
            GgmlType::Q6K => 210,
            GgmlType::Q8K => 292,
            GgmlType::Iq2Xxs => 66,
            GgmlType::Iq2Xs => 74,
            GgmlType::Iq3Xxs => 98,
            GgmlType::Iq1S => 50,
            GgmlType::Iq4Nl => 18,
            GgmlType::Iq3S => 110,
            GgmlType::Iq2S => 82,
            GgmlType::Iq4Xs => 136,
            GgmlType::I8 => 1,
            GgmlType::I16 => 2,
            GgmlType::I32 => 4,
            GgmlType::I64 => 8,
            GgmlType::F64 => 8,
            GgmlType::Iq1M => 56,
            GgmlType::Bf16 => 2,
            GgmlType::Tq1_0 => 54,
            GgmlType::Tq2_0 => 66,
            GgmlType::Mxfp4 => 17,
            GgmlType::Nvfp4 => 36,
            GgmlType::Q1_0 => 18,
            GgmlType::Q2_0 => 18,
        }
    }

    /// Elements per block (`ggml_blck_size`).
    pub fn block_elems(self) -> u64 {
        match self {
            GgmlType::F32 => 1,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 32,
            GgmlType::Q4_1 => 32,
            GgmlType::Q5_0 => 32,
            GgmlType::Q5_1 => 32,
            GgmlType::Q8_0 => 32,
            GgmlType::Q8_1 => 32,
            GgmlType::Q2K => 256,
            GgmlType::Q3K => 256,
            GgmlType::Q4K => 256,
            GgmlType::Q5K => 256,
            GgmlType::Q6K => 256,
            GgmlType::Q8K => 256,
            GgmlType::Iq2Xxs => 256,
            GgmlType::Iq2Xs => 256,
            GgmlType::Iq3Xxs => 256,
            GgmlType::Iq1S => 256,
            GgmlType::Iq4Nl => 32,
            GgmlType::Iq3S => 256,
            GgmlType::Iq2S => 256,
            GgmlType::Iq4Xs => 256,
            GgmlType::I8 => 1,
            GgmlType::I16 => 1,
            GgmlType::I32 => 1,
            GgmlType::I64 => 1,
            GgmlType::F64 => 1,
            GgmlType::Iq1M => 256,
            GgmlType::Bf16 => 1,
            GgmlType::Tq1_0 => 256,
            GgmlType::Tq2_0 => 256,
            GgmlType::Mxfp4 => 32,
            GgmlType::Nvfp4 => 64,
            GgmlType::Q1_0 => 128,
            GgmlType::Q2_0 => 64,
        }
    }

    /// Bytes per block, and of those the scale/min fields (broken out for
    /// the types llama.cpp's quantizer picks for the formats we offer; 0 for the others).
    ///
    /// Q8_0: d (f16) + 32 × int8 = 34. Q5_0: d + qh[4] + qs[16] = 22.
    /// Q5_1: d + m + qh[4] + qs[16] = 24. Q4_K: d + dmin + scales[12] +
    /// qs[128] = 144. Q5_K: d + dmin + scales[12] + qh[32] + qs[128] = 176.
    /// Q6_K: ql[128] + qh[64] + scales[16] + d = 210.
    pub fn block_bytes(self) -> (u64, u64) {
        let scales = match self {
            GgmlType::Q8_0 | GgmlType::Q5_0 | GgmlType::Q4_0 => 2,
            GgmlType::Q5_1 | GgmlType::Q4_1 => 4,
            GgmlType::Q4K | GgmlType::Q5K => 16,
            GgmlType::Q6K => 18,
            GgmlType::Mxfp4 => 1,
            _ => 0,
        };
        (self.type_size(), scales)
    }

    /// ggml's name for the type (`ggml_type_name`).
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "f32",
            GgmlType::F16 => "f16",
            GgmlType::Q4_0 => "q4_0",
            GgmlType::Q4_1 => "q4_1",
            GgmlType::Q5_0 => "q5_0",
            GgmlType::Q5_1 => "q5_1",
            GgmlType::Q8_0 => "q8_0",
            GgmlType::Q8_1 => "q8_1",
            GgmlType::Q2K => "q2_K",
            GgmlType::Q3K => "q3_K",
            GgmlType::Q4K => "q4_K",
            GgmlType::Q5K => "q5_K",
            GgmlType::Q6K => "q6_K",
            GgmlType::Q8K => "q8_K",
            GgmlType::Iq2Xxs => "iq2_xxs",
            GgmlType::Iq2Xs => "iq2_xs",
            GgmlType::Iq3Xxs => "iq3_xxs",
            GgmlType::Iq1S => "iq1_s",
            GgmlType::Iq4Nl => "iq4_nl",
            GgmlType::Iq3S => "iq3_s",
            GgmlType::Iq2S => "iq2_s",
            GgmlType::Iq4Xs => "iq4_xs",
            GgmlType::I8 => "i8",
            GgmlType::I16 => "i16",
            GgmlType::I32 => "i32",
            GgmlType::I64 => "i64",
            GgmlType::F64 => "f64",
            GgmlType::Iq1M => "iq1_m",
            GgmlType::Bf16 => "bf16",
            GgmlType::Tq1_0 => "tq1_0",
            GgmlType::Tq2_0 => "tq2_0",
            GgmlType::Mxfp4 => "mxfp4",
            GgmlType::Nvfp4 => "nvfp4",
            GgmlType::Q1_0 => "q1_0",
            GgmlType::Q2_0 => "q2_0",
        }
    }

    /// The type named `s` (ggml's names, case-insensitive: `q8_0`, `Q4_K`, `f16`).
    pub fn parse(s: &str) -> Option<GgmlType> {
        (0..64).filter_map(GgmlType::from_id).find(|t| t.name().eq_ignore_ascii_case(s))
    }

    /// Whether this is a quantized (block) type.
    pub fn is_quantized(self) -> bool {
        self.block_elems() > 1
    }

    /// `tensor_type_fallback`: the type used when `ne[0]` is not a multiple
    /// of the block size (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0; F16 if even 32
    /// does not divide).
    pub fn fit_row(self, ne0: u64) -> GgmlType {
        if ne0 % self.block_elems() == 0 {
            return self;
        }
        let fallback = match self {
            GgmlType::Q4K => GgmlType::Q5_0,
            GgmlType::Q5K => GgmlType::Q5_1,
            GgmlType::Q6K => GgmlType::Q8_0,
            other => other,
        };
        if ne0 % fallback.block_elems() == 0 {
            fallback
        } else {
            GgmlType::F16
        }
    }
}

/// Bytes of a `rows × ne0` tensor in `ty`, and of those the scale fields.
pub fn tensor_bytes(ty: GgmlType, rows: u64, ne0: u64) -> Result<(u64, u64)> {
    let ty = ty.fit_row(ne0);
    let blocks = rows.mul_or(ceil_div(ne0, ty.block_elems()), "GGUF blocks")?;
    let (bytes, scales) = ty.block_bytes();
    Ok((blocks.mul_or(bytes, "GGUF bytes")?, blocks.mul_or(scales, "GGUF bytes")?))
}

/// `use_more_bits` from `llama_tensor_get_type_impl`, integer arithmetic as in C++.
pub fn use_more_bits(i_layer: u64, n_layers: u64) -> bool {
    let eighth = n_layers / 8;
    // `i_layer < eighth ||` short-circuits before the C++ subtraction could
    // go negative; checked_sub keeps that explicit in unsigned arithmetic.
    i_layer < eighth || i_layer >= 7 * n_layers / 8 || i_layer.checked_sub(eighth).is_some_and(|d| d % 3 == 2)
}

/// Everything the Q4_K_M rules need to know about a model.
#[derive(Debug, Clone)]
pub struct Q4KMPlan {
    n_layers: u64,
    n_experts: u64,
    tied_embeddings: bool,
    /// llama.cpp names an 80-layer llama/qwen2 model `LLM_TYPE_70B`, which
    /// bumps `attn_v` from Q4_K to Q5_K.
    is_70b: bool,
    /// MLA geometry: llama.cpp's converter splits `kv_b_proj` into
    /// `attn_k_b` (ne0 = qk_nope_head_dim) and `attn_v_b` (ne0 = kv_lora_rank).
    mla: Option<(u64, u64, u64, u64)>,
}

impl Q4KMPlan {
    pub fn new(arch: &ModelArch) -> Self {
        let mla = match &arch.attention {
            Some(Attention::Latent(m)) => Some((m.num_heads, m.qk_nope_head_dim, m.v_head_dim, m.kv_lora_rank)),
            _ => None,
        };
        Self {
            n_layers: arch.num_layers,
            n_experts: arch.moe.as_ref().map_or(0, |m| m.num_experts),
            tied_embeddings: arch.tie_word_embeddings,
            is_70b: arch.num_layers == 80
                && matches!(arch.family, crate::arch::Family::Llama | crate::arch::Family::Qwen2),
            mla,
        }
    }

    /// The type a tensor gets under Q4_K_M, before the row-length fallback.
    pub fn type_for(&self, t: &Tensor) -> GgmlType {
        use TensorKind as K;
        let layer = t.layer.unwrap_or(0);
        match t.kind {
            K::Norm | K::Bias | K::RouterBias | K::Router | K::PositionEmbedding => GgmlType::F32,
            K::LmHead => GgmlType::Q6K,
            K::TokenEmbedding if self.tied_embeddings => GgmlType::Q6K,
            K::AttnV | K::AttnQkv => {
                let mut ty = if use_more_bits(layer, self.n_layers) { GgmlType::Q6K } else { GgmlType::Q4K };
                if self.is_70b && ty == GgmlType::Q4K {
                    ty = GgmlType::Q5K;
                }
                if self.n_experts == 8 {
                    ty = GgmlType::Q8_0;
                }
                ty
            }
            K::AttnK if self.n_experts == 8 => GgmlType::Q8_0,
            K::AttnOut if self.n_experts == 8 => GgmlType::Q5K,
            K::MlpDown | K::ExpertDown | K::SharedExpertDown => {
                if use_more_bits(layer, self.n_layers) {
                    GgmlType::Q6K
                } else {
                    GgmlType::Q4K
                }
            }
            _ => GgmlType::Q4K,
        }
    }

    /// Bytes of one copy of `t` under Q4_K_M, and of those scale fields.
    pub fn tensor_bytes(&self, t: &Tensor) -> Result<(u64, u64)> {
        let ty = self.type_for(t);
        if let (TensorKind::AttnKvB, Some((heads, nope, v, rank))) = (t.kind, self.mla) {
            // attn_k_b: ne = [qk_nope, kv_lora_rank, heads]; attn_v_b: ne = [kv_lora_rank, v_head, heads].
            let (k_bytes, k_scales) = tensor_bytes(ty, rank.mul_or(heads, "attn_k_b")?, nope)?;
            let (v_bytes, v_scales) = tensor_bytes(ty, v.mul_or(heads, "attn_v_b")?, rank)?;
            return Ok((k_bytes + v_bytes, k_scales + v_scales));
        }
        tensor_bytes(ty, t.rows, t.cols)
    }
}

/// The type a tensor gets under Q8_0: every ≥2-D weight Q8_0 except the
/// router and position embeddings, which stay F32.
pub fn q8_0_type_for(t: &Tensor) -> GgmlType {
    match t.kind {
        TensorKind::Norm
        | TensorKind::Bias
        | TensorKind::RouterBias
        | TensorKind::Router
        | TensorKind::PositionEmbedding => GgmlType::F32,
        _ => GgmlType::Q8_0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::{weights_footprint, WeightFormat};
    use crate::presets::preset;

    #[test]
    fn block_sizes_match_ggml_static_asserts() {
        assert_eq!(GgmlType::Q8_0.block_bytes().0 * 8 * 32 / 32, 272); // 8.5 bits × 32
        assert_eq!(GgmlType::Q4K.block_bytes().0, 2 + 2 + 12 + 128);
        assert_eq!(GgmlType::Q6K.block_bytes().0, 128 + 64 + 16 + 2);
        assert_eq!(GgmlType::Q5K.block_bytes().0, 2 + 2 + 12 + 32 + 128);
    }

    /// For 32 layers: {0,1,2,3,6,9,12,15,18,21,24,27,28,29,30,31}.
    #[test]
    fn use_more_bits_32_layers() {
        let more: Vec<u64> = (0..32).filter(|&i| use_more_bits(i, 32)).collect();
        assert_eq!(more, vec![0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    }

    #[test]
    fn fallbacks() {
        assert_eq!(GgmlType::Q4K.fit_row(4096), GgmlType::Q4K);
        assert_eq!(GgmlType::Q4K.fit_row(29568), GgmlType::Q5_0);
        assert_eq!(GgmlType::Q6K.fit_row(128), GgmlType::Q8_0);
        assert_eq!(GgmlType::Q4K.fit_row(100), GgmlType::F16);
    }

    /// Llama-3-8B under Q4_K_M, tensor by tensor: 4,912,898,048 bytes
    /// (token_embd Q4_K 295,501,824; output Q6_K 430,940,160; norms F32
    /// 1,064,960; attn_q/attn_output/attn_k/ffn_gate/ffn_up Q4_K; attn_v and
    /// ffn_down Q6_K in 16 of 32 layers) — 4.58 GiB, the size llama.cpp
    /// reports for "llama 8B Q4_K - Medium".
    #[test]
    fn llama3_8b_q4_k_m() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let fp = weights_footprint(&m, WeightFormat::GgufQ4KM).unwrap();
        assert_eq!(fp.total_bytes, 4_912_898_048);
        assert!((fp.bits_per_param - 4.894).abs() < 0.001, "{}", fp.bits_per_param);
    }

    /// Q8_0: every matrix at 8.5 bits, norms F32.
    #[test]
    fn llama3_8b_q8_0() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let fp = weights_footprint(&m, WeightFormat::GgufQ8_0).unwrap();
        let matrices: u64 = 8_030_261_248 - 65 * 4096;
        assert_eq!(fp.total_bytes, matrices / 32 * 34 + 65 * 4096 * 4);
    }

    /// Mixtral's eight experts bump attn_v and attn_k to Q8_0 and
    /// attn_output to Q5_K.
    #[test]
    fn mixtral_expert_bumps() {
        let m = preset("mixtral-8x7b").unwrap().arch().unwrap();
        let plan = Q4KMPlan::new(&m);
        let tensors = m.tensors().unwrap();
        let find = |k| tensors.iter().find(|t| t.kind == k && t.layer == Some(5)).unwrap();
        assert_eq!(plan.type_for(find(TensorKind::AttnV)), GgmlType::Q8_0);
        assert_eq!(plan.type_for(find(TensorKind::AttnK)), GgmlType::Q8_0);
        assert_eq!(plan.type_for(find(TensorKind::AttnOut)), GgmlType::Q5K);
        assert_eq!(plan.type_for(find(TensorKind::Router)), GgmlType::F32);
    }

    /// Llama 70B: attn_v in the Q4_K layers is bumped to Q5_K.
    #[test]
    fn seventy_b_attn_v() {
        let m = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let plan = Q4KMPlan::new(&m);
        let tensors = m.tensors().unwrap();
        let v = |layer| tensors.iter().find(|t| t.kind == TensorKind::AttnV && t.layer == Some(layer)).unwrap();
        assert_eq!(plan.type_for(v(0)), GgmlType::Q6K);
        assert_eq!(plan.type_for(v(11)), GgmlType::Q5K);
    }

    /// DeepSeek-V3 attn_k_b rows are 128 long: Q4_K falls back to Q5_0.
    #[test]
    fn deepseek_kv_b_split() {
        let m = preset("deepseek-v3").unwrap().arch().unwrap();
        let plan = Q4KMPlan::new(&m);
        let t = m.tensors().unwrap().into_iter().find(|t| t.kind == TensorKind::AttnKvB).unwrap();
        let (bytes, _) = plan.tensor_bytes(&t).unwrap();
        let k_b = 512 * 128 * (128 / 32) * 22; // Q5_0
        let v_b = 128 * 128 * (512 / 256) * 144; // Q4_K
        assert_eq!(bytes, k_b + v_b);
    }

    /// Tied embeddings (GPT-2, Gemma 2) take the output tensor's Q6_K.
    #[test]
    fn tied_embeddings_get_output_type() {
        let m = preset("gemma-2-9b").unwrap().arch().unwrap();
        let plan = Q4KMPlan::new(&m);
        let t = m.tensors().unwrap()[0];
        assert_eq!(t.kind, TensorKind::TokenEmbedding);
        assert_eq!(plan.type_for(&t), GgmlType::Q6K);
    }
}

//! What one quantized block stores, field by field, and the bits per weight
//! that fall out of the layout.
//!
//! GGUF blocks are the structs of llama.cpp's `ggml/src/ggml-common.h`
//! (`block_q8_0`, `block_q4_0`, `block_q2_K`, `block_q4_K`, `block_q5_K`,
//! `block_q6_K`, `block_mxfp4`); their sizes are checked against
//! [`crate::gguf::GgmlType::type_size`]. MXFP4 is the OCP Microscaling
//! format (OCP "Microscaling Formats (MX) v1.0", §5: 32 FP4 E2M1 values
//! and one shared E8M0 scale). NF4 is bitsandbytes' 4-bit NormalFloat with
//! double quantization (Dettmers et al. 2023, "QLoRA", arXiv 2305.14314,
//! §3: 64-weight blocks, their absmax quantized to 8 bits in groups of
//! 256 with one fp32 constant per group), shown as one group of 256 blocks.
//! AWQ/GPTQ int4 is one row's group of 128 weights: packed 4-bit values, an
//! fp16 scale and a 4-bit zero point (AutoAWQ's `qweight`, `scales`,
//! `qzeros`, see [`crate::precision`]).

use crate::formula::{add, count, div, var, Formula, Unit};
use serde::Serialize;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// The quantized weights themselves.
    Quants,
    /// Extra high bits of the quantized weights.
    HighBits,
    /// Scales (and minimums) that turn codes back into weights.
    Scales,
}

/// One field of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The name in the source struct.
    pub name: &'static str,
    /// Its type there, e.g. `ggml_half`, `uint8_t[128]`.
    pub ty: &'static str,
    pub bits: u64,
    pub role: FieldRole,
    pub what: &'static str,
}

/// One quantized block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockLayout {
    pub id: &'static str,
    pub name: &'static str,
    /// Weights the block encodes.
    pub weights: u64,
    pub fields: &'static [Field],
}

impl BlockLayout {
    pub fn bits(&self) -> u64 {
        self.fields.iter().map(|f| f.bits).sum()
    }

    /// Bytes of the block, rounded up.
    pub fn bytes(&self) -> u64 {
        self.bits().div_ceil(8)
    }

    /// Bits per weight: the block's bits over its weights.
    pub fn bits_per_weight(&self) -> f64 {
        self.bits() as f64 / self.weights.max(1) as f64
    }

    /// The formula behind [`BlockLayout::bits_per_weight`]: every field's
    /// bits over the weights the block encodes (the field widths of
    /// ggml-common.h's block structs, or the NF4 paper's, cited per block).
    pub fn formula(&self) -> Formula {
        let fields = self.fields.iter().map(|f| var(f.name, f.what, f.bits as f64, Unit::Bits)).collect();
        Formula::new(
            "Bits per weight",
            div(add(fields), count("w", "weights in the block", self.weights)),
            Unit::Bits,
            "ggml/src/ggml-common.h (block structs); Dettmers et al. 2023, QLoRA (arXiv 2305.14314) §3",
        )
    }

    /// The share of the block spent on scales and minimums.
    pub fn overhead_bits(&self) -> u64 {
        self.fields.iter().filter(|f| f.role == FieldRole::Scales).map(|f| f.bits).sum()
    }
}

const fn f(name: &'static str, ty: &'static str, bits: u64, role: FieldRole, what: &'static str) -> Field {
    Field { name, ty, bits, role, what }
}

use FieldRole::{HighBits, Quants, Scales};

/// The layouts, from most to fewest bits per weight.
pub const BLOCKS: &[BlockLayout] = &[
    BlockLayout {
        id: "q8_0",
        name: "GGUF Q8_0",
        weights: 32,
        fields: &[
            f("d", "ggml_half", 16, Scales, "one fp16 scale for the 32 weights"),
            f("qs", "int8_t[32]", 256, Quants, "32 signed 8-bit codes"),
        ],
    },
    BlockLayout {
        id: "q6_k",
        name: "GGUF Q6_K",
        weights: 256,
        fields: &[
            f("ql", "uint8_t[128]", 1024, Quants, "the low 4 bits of 256 codes"),
            f("qh", "uint8_t[64]", 512, HighBits, "the high 2 bits of 256 codes"),
            f("scales", "int8_t[16]", 128, Scales, "an 8-bit scale for each of 16 sub-blocks of 16"),
            f("d", "ggml_half", 16, Scales, "the super-block's fp16 scale of scales"),
        ],
    },
    BlockLayout {
        id: "q5_k",
        name: "GGUF Q5_K",
        weights: 256,
        fields: &[
            f("d", "ggml_half", 16, Scales, "fp16 scale of the sub-block scales"),
            f("dmin", "ggml_half", 16, Scales, "fp16 scale of the sub-block minimums"),
            f("scales", "uint8_t[12]", 96, Scales, "a 6-bit scale and a 6-bit minimum for each of 8 sub-blocks of 32"),
            f("qh", "uint8_t[32]", 256, HighBits, "the fifth bit of 256 codes"),
            f("qs", "uint8_t[128]", 1024, Quants, "the low 4 bits of 256 codes"),
        ],
    },
    BlockLayout {
        id: "q4_k",
        name: "GGUF Q4_K",
        weights: 256,
        fields: &[
            f("d", "ggml_half", 16, Scales, "fp16 scale of the sub-block scales"),
            f("dmin", "ggml_half", 16, Scales, "fp16 scale of the sub-block minimums"),
            f("scales", "uint8_t[12]", 96, Scales, "a 6-bit scale and a 6-bit minimum for each of 8 sub-blocks of 32"),
            f("qs", "uint8_t[128]", 1024, Quants, "256 codes of 4 bits"),
        ],
    },
    BlockLayout {
        id: "q4_0",
        name: "GGUF Q4_0",
        weights: 32,
        fields: &[
            f("d", "ggml_half", 16, Scales, "one fp16 scale for the 32 weights"),
            f("qs", "uint8_t[16]", 128, Quants, "32 codes of 4 bits"),
        ],
    },
    BlockLayout {
        id: "mxfp4",
        name: "MXFP4 (gpt-oss experts)",
        weights: 32,
        fields: &[
            f("e", "uint8_t (E8M0)", 8, Scales, "a shared power-of-two scale"),
            f("qs", "uint8_t[16]", 128, Quants, "32 FP4 (E2M1) values"),
        ],
    },
    BlockLayout {
        id: "awq-int4",
        name: "AWQ / GPTQ int4, group 128",
        weights: 128,
        fields: &[
            f("qweight", "int32[16] (packed)", 512, Quants, "128 codes of 4 bits"),
            f("scales", "float16", 16, Scales, "the group's fp16 scale"),
            f("qzeros", "4 bits of an int32", 4, Scales, "the group's 4-bit zero point"),
        ],
    },
    BlockLayout {
        id: "nf4",
        name: "NF4 with double quantization (QLoRA)",
        weights: 64 * 256,
        fields: &[
            f("codes", "uint8[8192]", 64 * 256 * 4, Quants, "16,384 NormalFloat codes of 4 bits"),
            f("absmax", "uint8[256]", 256 * 8, Scales, "each 64-weight block's absmax, quantized to 8 bits"),
            f("absmax2", "float32", 32, Scales, "one fp32 scale for those 256 absmax values"),
        ],
    },
    BlockLayout {
        id: "q2_k",
        name: "GGUF Q2_K",
        weights: 256,
        fields: &[
            f(
                "scales",
                "uint8_t[16]",
                128,
                Scales,
                "a 4-bit scale and a 4-bit minimum for each of 16 sub-blocks of 16",
            ),
            f("qs", "uint8_t[64]", 512, Quants, "256 codes of 2 bits"),
            f("d", "ggml_half", 16, Scales, "fp16 scale of the sub-block scales"),
            f("dmin", "ggml_half", 16, Scales, "fp16 scale of the sub-block minimums"),
        ],
    },
];

/// The layout with this id.
pub fn block(id: &str) -> Option<&'static BlockLayout> {
    BLOCKS.iter().find(|b| b.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgmlType;

    /// Every GGUF block is the size llama.cpp's type table gives.
    #[test]
    fn gguf_blocks_match_ggml() {
        for (id, t) in [
            ("q8_0", GgmlType::Q8_0),
            ("q6_k", GgmlType::Q6K),
            ("q5_k", GgmlType::Q5K),
            ("q4_k", GgmlType::Q4K),
            ("q4_0", GgmlType::Q4_0),
            ("q2_k", GgmlType::Q2K),
            ("mxfp4", GgmlType::Mxfp4),
        ] {
            let b = block(id).unwrap();
            assert_eq!(b.bits() % 8, 0, "{id}");
            assert_eq!(b.bytes(), t.type_size(), "{id}");
            assert_eq!(b.weights, t.block_elems(), "{id}");
        }
    }

    /// The bits per weight practitioners quote.
    #[test]
    fn bits_per_weight() {
        let bpw = |id| block(id).unwrap().bits_per_weight();
        assert_eq!(bpw("q8_0"), 8.5);
        assert_eq!(bpw("q4_k"), 4.5);
        assert_eq!(bpw("q6_k"), 6.5625);
        assert_eq!(bpw("q2_k"), 2.625);
        assert_eq!(bpw("mxfp4"), 4.25);
        assert_eq!(bpw("awq-int4"), 4.15625);
        // 4 + 8/64 + 32/16,384.
        assert_eq!(bpw("nf4"), 4.0 + 0.125 + 32.0 / 16_384.0);
        assert!(BLOCKS.windows(2).all(|w| w[0].bits_per_weight() >= w[1].bits_per_weight()));
    }

    /// NF4's layout is what the estimator charges a tensor (its per-tensor
    /// code books aside): a 4096 × 4096 matrix in bytes.
    #[test]
    fn nf4_matches_the_tensor_pricer() {
        let n = 4096u64 * 4096;
        let b = block("nf4").unwrap();
        let from_layout = n / b.weights * b.bytes();
        let per_tensor_constants = 16 * 4 + 256 * 4 + 4;
        let t = crate::arch::Tensor::new(crate::arch::TensorKind::AttnQ, Some(0), 4096, 4096);
        let arch = crate::presets::preset("llama-3.1-8b").unwrap().arch().unwrap();
        let pricer = crate::precision::TensorPricer::new(&arch, crate::precision::WeightFormat::Nf4);
        assert_eq!(pricer.price(&t).unwrap().bytes, from_layout + per_tensor_constants);
    }
}

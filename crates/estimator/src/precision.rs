//! Numeric precisions and weight storage formats.
//!
//! [`Dtype`] is a plain element width, used for activations, the KV cache and
//! unquantized weights. [`WeightFormat`] is how a checkpoint stores its
//! weights, including every scale, zero point and index a real quantized
//! format carries; [`weights_footprint`] walks the tensor inventory and
//! prices each tensor in its format, so what stays unquantized (embeddings,
//! norms, biases, often the LM head) is counted at its own width.

use crate::arch::{ModelArch, Tensor, TensorKind};
use crate::error::{ceil_div, Checked, EstimateError, Result};
use crate::formula::{add, count, div, mul, num, var, Expr, Formula, Unit};
use crate::gguf;
use crate::quant::CheckpointQuant;
use serde::{Deserialize, Serialize};

/// An element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// IEEE 754 binary32.
    Fp32,
    /// IEEE 754 binary16.
    Fp16,
    /// bfloat16: 8 exponent bits like fp32, 7 mantissa bits.
    Bf16,
    /// 8-bit float (E4M3 or E5M2; Micikevicius et al. 2022, arXiv 2209.05433).
    Fp8,
    /// 8-bit integer.
    Int8,
    /// 4-bit integer (two per byte).
    Int4,
}

impl Dtype {
    pub const ALL: [Dtype; 6] = [Dtype::Fp32, Dtype::Fp16, Dtype::Bf16, Dtype::Fp8, Dtype::Int8, Dtype::Int4];

    /// Bits per element.
    pub fn bits(self) -> u64 {
        match self {
            Dtype::Fp32 => 32,
            Dtype::Fp16 | Dtype::Bf16 => 16,
            Dtype::Fp8 | Dtype::Int8 => 8,
            Dtype::Int4 => 4,
        }
    }

    /// Bytes per element as a float (0.5 for int4).
    pub fn bytes_f64(self) -> f64 {
        self.bits() as f64 / 8.0
    }

    /// The name used in URLs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Dtype::Fp32 => "fp32",
            Dtype::Fp16 => "fp16",
            Dtype::Bf16 => "bf16",
            Dtype::Fp8 => "fp8",
            Dtype::Int8 => "int8",
            Dtype::Int4 => "int4",
        }
    }

    /// The name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Dtype::Fp32 => "FP32",
            Dtype::Fp16 => "FP16",
            Dtype::Bf16 => "BF16",
            Dtype::Fp8 => "FP8",
            Dtype::Int8 => "INT8",
            Dtype::Int4 => "INT4",
        }
    }

    /// Parses `fp32`, `float16`, `bf16`, … (case-insensitive).
    pub fn parse(s: &str) -> Result<Dtype> {
        let lower = s.to_ascii_lowercase();
        let d = match lower.as_str() {
            "fp32" | "float32" | "f32" => Dtype::Fp32,
            "fp16" | "float16" | "f16" | "half" => Dtype::Fp16,
            "bf16" | "bfloat16" => Dtype::Bf16,
            "fp8" | "float8" | "e4m3" | "e5m2" => Dtype::Fp8,
            "int8" | "i8" => Dtype::Int8,
            "int4" | "i4" => Dtype::Int4,
            _ => {
                return Err(EstimateError::UnknownName {
                    kind: "dtype",
                    name: s.chars().take(32).collect(),
                    known: Dtype::ALL.iter().map(|d| d.id()).collect::<Vec<_>>().join(", "),
                })
            }
        };
        Ok(d)
    }
}

/// How a checkpoint stores its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightFormat {
    /// Every tensor in one float width (fp32, fp16, bf16).
    Float(Dtype),
    /// FP8 (E4M3) linear weights in decoder blocks with one fp32 scale per
    /// output channel, as vLLM's and HF's `fbgemm_fp8` per-channel scheme
    /// stores them; everything else in bf16.
    Fp8,
    /// Symmetric int8 linear weights with one fp32 scale per output row: the
    /// bitsandbytes LLM.int8() layout (`Int8Params.SCB`, Dettmers et al.
    /// 2022, arXiv 2208.07339, §3); everything else in fp16.
    Int8,
    /// Idealised 4-bit integers with one fp16 scale per group of 128 inputs
    /// (symmetric, no zero point); everything else in fp16. The real
    /// formats below add zero points and indices.
    Int4,
    /// GPTQ 4-bit, group size 128 (Frantar et al. 2022, arXiv 2210.17323), in
    /// the AutoGPTQ/optimum checkpoint layout: `qweight` (int32, 8 weights
    /// each), `qzeros` (int32 per group × out/8), `scales` (fp16 per group ×
    /// out) and `g_idx` (int32 per input feature).
    GptqInt4,
    /// AWQ 4-bit, group size 128 (Lin et al. 2023, arXiv 2306.00978), AutoAWQ
    /// GEMM layout: `qweight`, `qzeros` (int32 per group × out/8), `scales`
    /// (fp16 per group × out); no `g_idx`.
    AwqInt4,
    /// llama.cpp GGUF Q8_0: blocks of 32 int8 + one fp16 scale = 34 bytes.
    GgufQ8_0,
    /// llama.cpp GGUF Q4_K_M: Q4_K for most tensors, Q6_K for the output and
    /// for some `attn_v` / `ffn_down` layers, per llama.cpp's quantizer.
    GgufQ4KM,
    /// bitsandbytes NF4 with double quantization (Dettmers et al. 2023,
    /// "QLoRA", arXiv 2305.14314, §3): 4-bit codes, an 8-bit absmax per
    /// block of 64, an fp32 absmax per 256 blocks.
    Nf4,
    /// As the checkpoint stores its weights: in the format its
    /// `quantization_config` describes ([`crate::quant`]) with the rest in
    /// `torch_dtype`, or everything in `torch_dtype` when it has none.
    Checkpoint,
}

impl WeightFormat {
    /// Every format, in the order the weights widget shows them.
    pub const ALL: [WeightFormat; 11] = [
        WeightFormat::Float(Dtype::Fp32),
        WeightFormat::Float(Dtype::Bf16),
        WeightFormat::Float(Dtype::Fp16),
        WeightFormat::Fp8,
        WeightFormat::Int8,
        WeightFormat::GgufQ8_0,
        WeightFormat::GgufQ4KM,
        WeightFormat::GptqInt4,
        WeightFormat::AwqInt4,
        WeightFormat::Nf4,
        WeightFormat::Int4,
    ];

    /// The name used in URLs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            WeightFormat::Float(d) => d.id(),
            WeightFormat::Fp8 => "fp8",
            WeightFormat::Int8 => "int8",
            WeightFormat::Int4 => "int4",
            WeightFormat::GptqInt4 => "gptq-int4",
            WeightFormat::AwqInt4 => "awq-int4",
            WeightFormat::GgufQ8_0 => "q8_0",
            WeightFormat::GgufQ4KM => "q4_k_m",
            WeightFormat::Nf4 => "nf4",
            WeightFormat::Checkpoint => "checkpoint",
        }
    }

    /// The name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            WeightFormat::Float(d) => d.label(),
            WeightFormat::Fp8 => "FP8",
            WeightFormat::Int8 => "INT8",
            WeightFormat::Int4 => "INT4",
            WeightFormat::GptqInt4 => "GPTQ 4-bit",
            WeightFormat::AwqInt4 => "AWQ 4-bit",
            WeightFormat::GgufQ8_0 => "GGUF Q8_0",
            WeightFormat::GgufQ4KM => "GGUF Q4_K_M",
            WeightFormat::Nf4 => "NF4 (QLoRA)",
            WeightFormat::Checkpoint => "As stored",
        }
    }

    /// One line on what is stored.
    pub fn description(self) -> &'static str {
        match self {
            WeightFormat::Float(Dtype::Fp32) => "32-bit floats for every tensor",
            WeightFormat::Float(_) => "16-bit floats for every tensor",
            WeightFormat::Fp8 => "8-bit floats with an fp32 scale per output channel; embeddings, LM head and norms stay 16-bit",
            WeightFormat::Int8 => "8-bit integers with an fp32 scale per row (LLM.int8()); embeddings, LM head and norms stay 16-bit",
            WeightFormat::Int4 => "4-bit integers with an fp16 scale per 128 weights; embeddings, LM head and norms stay 16-bit",
            WeightFormat::GptqInt4 => "4-bit weights, fp16 scale and 4-bit zero point per 128, int32 group index per input; embeddings, LM head and norms stay 16-bit",
            WeightFormat::AwqInt4 => "4-bit weights, fp16 scale and 4-bit zero point per 128; embeddings, LM head and norms stay 16-bit",
            WeightFormat::GgufQ8_0 => "blocks of 32 int8 weights with an fp16 scale (8.5 bits); norms stay fp32",
            WeightFormat::GgufQ4KM => "Q4_K super-blocks (4.5 bits), Q6_K (6.56 bits) for the output and some attn_v/ffn_down layers; norms stay fp32",
            WeightFormat::Nf4 => "4-bit NormalFloat with double-quantized block scales (≈4.13 bits); embeddings, LM head and norms stay 16-bit",
            WeightFormat::Checkpoint => "as the checkpoint stores them: its quantization_config, or its torch_dtype",
        }
    }

    /// Parses an id (case-insensitive); plain dtypes name their float or
    /// simple integer format.
    pub fn parse(s: &str) -> Result<WeightFormat> {
        let lower = s.to_ascii_lowercase();
        if let Some(f) = WeightFormat::ALL.iter().find(|f| f.id() == lower) {
            return Ok(*f);
        }
        let alias = match lower.as_str() {
            "float32" | "f32" => Some(WeightFormat::Float(Dtype::Fp32)),
            "float16" | "f16" => Some(WeightFormat::Float(Dtype::Fp16)),
            "bfloat16" => Some(WeightFormat::Float(Dtype::Bf16)),
            "gptq" => Some(WeightFormat::GptqInt4),
            "awq" => Some(WeightFormat::AwqInt4),
            "q4km" | "q4_k" => Some(WeightFormat::GgufQ4KM),
            "q8" | "q80" => Some(WeightFormat::GgufQ8_0),
            "bnb-nf4" | "qlora" => Some(WeightFormat::Nf4),
            "checkpoint" | "stored" | "native" => Some(WeightFormat::Checkpoint),
            _ => None,
        };
        alias.ok_or_else(|| EstimateError::UnknownName {
            kind: "weights format",
            name: s.chars().take(32).collect(),
            known: WeightFormat::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(", "),
        })
    }

    /// The format a plain dtype name means for weights.
    pub fn from_dtype(d: Dtype) -> WeightFormat {
        match d {
            Dtype::Fp32 | Dtype::Fp16 | Dtype::Bf16 => WeightFormat::Float(d),
            Dtype::Fp8 => WeightFormat::Fp8,
            Dtype::Int8 => WeightFormat::Int8,
            Dtype::Int4 => WeightFormat::Int4,
        }
    }

    /// The width of what the format leaves unquantized.
    fn kept_dtype(self) -> Dtype {
        match self {
            WeightFormat::Float(d) => d,
            WeightFormat::Fp8 | WeightFormat::Checkpoint => Dtype::Bf16,
            _ => Dtype::Fp16,
        }
    }

    /// Whether the format quantizes this tensor.
    ///
    /// GPTQ, AWQ, FP8 and int8/int4 replace the `nn.Linear` layers of the
    /// decoder blocks; `lm_head`, embeddings, norms, biases and MoE routers
    /// stay in 16-bit (AutoGPTQ quantizes `inside_layer_modules`; HF
    /// `get_keys_to_not_convert` keeps the output layer; routers are left out
    /// so routing stays exact). bitsandbytes NF4 converts every `nn.Linear`
    /// except the LM head, so MoE routers are quantized. GGUF decides per
    /// tensor name: see [`gguf`].
    fn quantizes(self, t: &Tensor) -> bool {
        if matches!(t.kind, TensorKind::Vision | TensorKind::Projector) {
            // Vision towers stay in 16-bit in every format (llama.cpp keeps
            // them in a separate mmproj file, F16 by default).
            return false;
        }
        match self {
            WeightFormat::Float(_) | WeightFormat::Checkpoint => false,
            WeightFormat::Nf4 => t.kind.is_block_linear() || t.kind == TensorKind::Router,
            WeightFormat::GgufQ8_0 => gguf::q8_0_type_for(t).is_quantized(),
            // Every ≥2-D weight except routers and position embeddings; the
            // row-length fallback can only pick another block type or F16.
            WeightFormat::GgufQ4KM => !matches!(
                t.kind,
                TensorKind::Norm
                    | TensorKind::Bias
                    | TensorKind::RouterBias
                    | TensorKind::Router
                    | TensorKind::SharedExpertRouter
                    | TensorKind::PositionEmbedding
                    | TensorKind::AttnSinks
                    | TensorKind::SsmConv
                    | TensorKind::SsmParams
            ),
            _ => t.kind.is_block_linear(),
        }
    }
}

/// The bytes of a model's weights in a format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightsFootprint {
    pub format: WeightFormat,
    /// Every parameter.
    pub params: u64,
    /// Total bytes of everything the checkpoint stores.
    pub total_bytes: u64,
    /// Parameters stored in the quantized format.
    pub quantized_params: u64,
    /// Bytes of quantized codes, scales, zero points and indices.
    pub quantized_bytes: u64,
    /// Of which scales, zero points and indices.
    pub scale_bytes: u64,
    /// Parameters kept unquantized.
    pub kept_params: u64,
    /// Their bytes.
    pub kept_bytes: u64,
    /// The width they are kept in.
    pub kept_dtype: Dtype,
    /// Bytes the weights a token actually uses occupy (MoE: top-k experts).
    pub active_bytes: u64,
    /// Average bits per parameter, everything included.
    pub bits_per_param: f64,
}

/// Bytes of the weights stored entirely in a float dtype — the same figure
/// as `weights_footprint(arch, WeightFormat::Float(dtype)).total_bytes`,
/// without the quantized formats' code (widgets that only need this stay smaller).
pub fn float_weights_bytes(arch: &ModelArch, dtype: Dtype) -> Result<u64> {
    let mut total = 0u64;
    for t in arch.all_tensors()? {
        let width = if t.is_buffer() { Dtype::Fp32 } else { dtype };
        let b = crate::kv_cache::bytes_of(t.elements()?, width)?.mul_or(t.copies, "weights bytes")?;
        total = total.add_or(b, "weights bytes")?;
    }
    Ok(total)
}

/// How each tensor is priced: a selectable format, or a checkpoint's own.
enum Pricing {
    Format(WeightFormat),
    Stored(CheckpointQuant),
}

/// Prices single tensors of one model in one format (what
/// [`weights_footprint`] sums, and what sharding uses per GPU).
pub struct TensorPricer {
    pricing: Pricing,
    kept: Dtype,
    gguf_plan: Option<gguf::Q4KMPlan>,
    gguf: bool,
}

/// One tensor's price: the bytes of one copy, of which scales, and whether
/// it is stored quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorPrice {
    pub bytes: u64,
    pub scale_bytes: u64,
    pub quantized: bool,
}

impl TensorPricer {
    /// The pricer for `arch` in `format` (`Checkpoint` resolved against the
    /// config's `quantization_config` and `torch_dtype`).
    pub fn new(arch: &ModelArch, format: WeightFormat) -> TensorPricer {
        let (pricing, kept) = match (format, arch.quantization) {
            (WeightFormat::Checkpoint, Some(q)) => (Pricing::Stored(q), stored_kept_dtype(arch.torch_dtype)),
            (WeightFormat::Checkpoint, None) => {
                let f = WeightFormat::from_dtype(arch.torch_dtype);
                (Pricing::Format(f), f.kept_dtype())
            }
            (f, _) => (Pricing::Format(f), f.kept_dtype()),
        };
        let gguf_plan = match pricing {
            Pricing::Format(WeightFormat::GgufQ4KM) => Some(gguf::Q4KMPlan::new(arch)),
            _ => None,
        };
        let gguf = matches!(pricing, Pricing::Format(WeightFormat::GgufQ8_0 | WeightFormat::GgufQ4KM));
        TensorPricer { pricing, kept, gguf_plan, gguf }
    }

    /// The width unquantized tensors are kept in.
    pub fn kept_dtype(&self) -> Dtype {
        self.kept
    }

    /// The price of one copy of `t`.
    pub fn price(&self, t: &Tensor) -> Result<TensorPrice> {
        let quantized = !t.is_buffer()
            && match &self.pricing {
                Pricing::Format(f) => f.quantizes(t),
                Pricing::Stored(q) => q.quantizes(t),
            };
        let (bytes, scale_bytes) = if t.is_buffer() {
            // Stored as fp32 whatever the weights format.
            (t.elements()?.mul_or(4, "buffer bytes")?, 0)
        } else if quantized {
            match &self.pricing {
                Pricing::Format(f) => tensor_bytes(*f, t, self.gguf_plan.as_ref())?,
                Pricing::Stored(q) => q.tensor_bytes(t)?,
            }
        } else if self.gguf && !matches!(t.kind, TensorKind::Vision | TensorKind::Projector) {
            // convert_hf_to_gguf.py writes norms, biases, routers and
            // position embeddings as F32.
            (t.elements()?.mul_or(4, "tensor bytes")?, 0)
        } else if self.gguf {
            (t.elements()?.mul_or(2, "tensor bytes")?, 0)
        } else {
            (crate::kv_cache::bytes_of(t.elements()?, self.kept)?, 0)
        };
        Ok(TensorPrice { bytes, scale_bytes, quantized })
    }
}

/// Prices every tensor of `arch` — the language model and any vision
/// encoder — in `format`.
pub fn weights_footprint(arch: &ModelArch, format: WeightFormat) -> Result<WeightsFootprint> {
    let pricer = TensorPricer::new(arch, format);
    let tensors = arch.all_tensors()?;
    let mut fp = WeightsFootprint {
        format,
        params: 0,
        total_bytes: 0,
        quantized_params: 0,
        quantized_bytes: 0,
        scale_bytes: 0,
        kept_params: 0,
        kept_bytes: 0,
        kept_dtype: pricer.kept_dtype(),
        active_bytes: 0,
        bits_per_param: 0.0,
    };
    for t in &tensors {
        let params = if t.is_buffer() { 0 } else { t.params()? };
        fp.params = fp.params.add_or(params, "parameter count")?;
        let price = pricer.price(t)?;
        let bytes = price.bytes.mul_or(t.copies, "weights bytes")?;
        let active = price.bytes.mul_or(t.active_copies, "weights bytes")?;
        let scale_total = price.scale_bytes.mul_or(t.copies, "scale bytes")?;
        if price.quantized {
            fp.quantized_params = fp.quantized_params.add_or(params, "parameter count")?;
            fp.quantized_bytes = fp.quantized_bytes.add_or(bytes, "weights bytes")?;
            fp.scale_bytes = fp.scale_bytes.add_or(scale_total, "scale bytes")?;
        } else {
            fp.kept_params = fp.kept_params.add_or(params, "parameter count")?;
            fp.kept_bytes = fp.kept_bytes.add_or(bytes, "weights bytes")?;
        }
        fp.total_bytes = fp.total_bytes.add_or(bytes, "weights bytes")?;
        fp.active_bytes = fp.active_bytes.add_or(active, "weights bytes")?;
    }
    fp.bits_per_param = if fp.params == 0 { 0.0 } else { fp.total_bytes as f64 * 8.0 / fp.params as f64 };
    Ok(fp)
}

/// The formula behind [`WeightsFootprint::total_bytes`]: the quantized
/// parameters at their format's average bits (codes, scales, zero points and
/// indices together, as [`weights_footprint`] prices each tensor), plus the
/// parameters kept unquantized at their width. For a float format that is
/// P × bytes per parameter.
pub fn footprint_formula(fp: &WeightsFootprint) -> Formula {
    let kept = if fp.kept_params == 0 {
        None
    } else {
        let b = fp.kept_bytes as f64 / fp.kept_params as f64;
        Some(if fp.quantized_params == 0 {
            mul(vec![count("P", "parameters", fp.kept_params), var("β", "bytes per parameter", b, Unit::Number)])
        } else {
            mul(vec![
                count("P_k", "parameters kept unquantized (embeddings, norms, often the head)", fp.kept_params),
                var("β_k", "their bytes per parameter", b, Unit::Number),
            ])
        })
    };
    let quantized = (fp.quantized_params > 0).then(|| {
        div(
            mul(vec![
                count("P_q", "quantized parameters", fp.quantized_params),
                var(
                    "q",
                    "the format's bits per weight, scales included",
                    fp.quantized_bytes as f64 * 8.0 / fp.quantized_params as f64,
                    Unit::Number,
                ),
            ]),
            num(8.0),
        )
    });
    let mut terms: Vec<Expr> = quantized.into_iter().chain(kept).collect();
    let expr = if terms.len() == 1 { terms.remove(0) } else { add(terms) };
    Formula::new(
        "Weights",
        expr,
        Unit::Bytes,
        "Every tensor priced in its format: llama.cpp ggml-common.h (GGUF blocks), bitsandbytes (NF4, Dettmers et al. 2023 §3), the checkpoint's quantization_config",
    )
}

/// The width a pre-quantized checkpoint keeps its unquantized tensors in:
/// its `torch_dtype` when that is a 16- or 32-bit float (an FP8 `torch_dtype`
/// names the quantized weights), else bf16.
fn stored_kept_dtype(torch_dtype: Dtype) -> Dtype {
    match torch_dtype {
        Dtype::Fp32 | Dtype::Fp16 | Dtype::Bf16 => torch_dtype,
        _ => Dtype::Bf16,
    }
}

/// Bytes of one copy of a quantized tensor, and how many of them are scales,
/// zero points or indices.
fn tensor_bytes(format: WeightFormat, t: &Tensor, gguf_plan: Option<&gguf::Q4KMPlan>) -> Result<(u64, u64)> {
    let (rows, cols) = (t.rows, t.cols);
    let n = t.elements()?;
    let groups_128 = ceil_div(cols, 128);
    let result = match format {
        WeightFormat::Float(d) => (crate::kv_cache::bytes_of(n, d)?, 0),
        // One E4M3 byte per weight + one fp32 scale per output channel.
        WeightFormat::Fp8 => {
            let scales = rows.mul_or(4, "scales")?;
            (n.add_or(scales, "tensor bytes")?, scales)
        }
        // One int8 per weight + one fp32 absmax (SCB) per output row + the
        // one-byte `weight_format` flag Linear8bitLt saves.
        WeightFormat::Int8 => {
            let scales = rows.mul_or(4, "scales")?.add_or(1, "scales")?;
            (n.add_or(scales, "tensor bytes")?, scales)
        }
        // 4 bits per weight + one fp16 scale per 128 inputs per row.
        WeightFormat::Int4 => {
            let scales = rows.mul_or(groups_128, "scales")?.mul_or(2, "scales")?;
            (ceil_div(n, 2).add_or(scales, "tensor bytes")?, scales)
        }
        // qweight: cols/8 × rows int32 = n/2 bytes; qzeros: groups × rows/8
        // int32 = groups × rows / 2 bytes; scales: groups × rows fp16;
        // g_idx: cols int32.
        WeightFormat::GptqInt4 => {
            let qweight = ceil_div(cols, 8).mul_or(rows, "qweight")?.mul_or(4, "qweight")?;
            let qzeros = groups_128.mul_or(ceil_div(rows, 8), "qzeros")?.mul_or(4, "qzeros")?;
            let scales = groups_128.mul_or(rows, "scales")?.mul_or(2, "scales")?;
            let g_idx = cols.mul_or(4, "g_idx")?;
            let aux = qzeros + scales + g_idx;
            (qweight.add_or(aux, "tensor bytes")?, aux)
        }
        // As GPTQ, without g_idx; AutoAWQ packs along the output dimension.
        WeightFormat::AwqInt4 => {
            let qweight = ceil_div(rows, 8).mul_or(cols, "qweight")?.mul_or(4, "qweight")?;
            let qzeros = groups_128.mul_or(ceil_div(rows, 8), "qzeros")?.mul_or(4, "qzeros")?;
            let scales = groups_128.mul_or(rows, "scales")?.mul_or(2, "scales")?;
            let aux = qzeros + scales;
            (qweight.add_or(aux, "tensor bytes")?, aux)
        }
        // NF4 codes (n/2 bytes), one uint8 quantized absmax per 64 weights,
        // one fp32 absmax per 256 of those, plus per-tensor constants: the
        // 16-entry NF4 code book and the 256-entry second-level code book
        // (fp32) and the fp32 offset (bitsandbytes `QuantState` with `state2`).
        WeightFormat::Nf4 => {
            let blocks = ceil_div(n, 64);
            let blocks2 = ceil_div(blocks, 256);
            let aux = blocks + blocks2 * 4 + 16 * 4 + 256 * 4 + 4;
            (ceil_div(n, 2).add_or(aux, "tensor bytes")?, aux)
        }
        WeightFormat::GgufQ8_0 => gguf::tensor_bytes(gguf::q8_0_type_for(t), rows, cols)?,
        WeightFormat::GgufQ4KM => match gguf_plan {
            Some(plan) => plan.tensor_bytes(t)?,
            None => gguf::tensor_bytes(gguf::GgmlType::Q4K, rows, cols)?,
        },
        // Resolved by `weights_footprint` before any tensor is priced.
        WeightFormat::Checkpoint => (crate::kv_cache::bytes_of(n, Dtype::Bf16)?, 0),
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    fn llama8b() -> ModelArch {
        preset("llama-3.1-8b").unwrap().arch().unwrap()
    }

    #[test]
    fn float_formats_are_params_times_width() {
        let m = llama8b();
        let bf16 = weights_footprint(&m, WeightFormat::Float(Dtype::Bf16)).unwrap();
        assert_eq!(bf16.total_bytes, 8_030_261_248 * 2);
        assert_eq!(bf16.scale_bytes, 0);
        let fp32 = weights_footprint(&m, WeightFormat::Float(Dtype::Fp32)).unwrap();
        assert_eq!(fp32.total_bytes, 8_030_261_248 * 4);
        assert!((bf16.bits_per_param - 16.0).abs() < 1e-12);
    }

    /// Llama-3.1-8B int8: linear weights in blocks = 8,030,261,248 − 2 ×
    /// 525,336,576 (embedding, LM head) − 65 × 4096 (norms) = 6,979,321,856,
    /// one byte each, + fp32 per row: per layer rows = 4096 + 1024 + 1024 +
    /// 4096 + 14336 × 2 + 4096 = 43,008 → 32 × 43,008 × 4 = 5,505,024 bytes,
    /// plus one flag byte for each of the 224 linear layers; kept:
    /// (1,050,673,152 + 266,240) × 2 bytes. Total 9,086,705,888.
    #[test]
    fn int8_counts_scales_and_keeps_embeddings() {
        let fp = weights_footprint(&llama8b(), WeightFormat::Int8).unwrap();
        assert_eq!(fp.quantized_params, 6_979_321_856);
        assert_eq!(fp.scale_bytes, 5_505_024 + 224);
        assert_eq!(fp.kept_params, 1_050_939_392);
        assert_eq!(fp.kept_bytes, 2_101_878_784);
        assert_eq!(fp.total_bytes, 9_086_705_888);
    }

    /// GPTQ for a 4096 × 4096 q_proj: qweight 512 × 4096 × 4 = 8,388,608;
    /// qzeros 32 × 512 × 4 = 65,536; scales 32 × 4096 × 2 = 262,144;
    /// g_idx 4096 × 4 = 16,384 → 8,732,672 bytes = 4.164 bits/weight.
    #[test]
    fn gptq_tensor_layout() {
        let t = Tensor { kind: TensorKind::AttnQ, layer: Some(0), rows: 4096, cols: 4096, copies: 1, active_copies: 1 };
        let (bytes, aux) = tensor_bytes(WeightFormat::GptqInt4, &t, None).unwrap();
        assert_eq!(bytes, 8_732_672);
        assert_eq!(aux, 65_536 + 262_144 + 16_384);
        let (awq, _) = tensor_bytes(WeightFormat::AwqInt4, &t, None).unwrap();
        assert_eq!(awq, 8_388_608 + 65_536 + 262_144);
    }

    /// QLoRA §3: double quantization costs 8/64 + 32/(64·256) = 0.127 bits
    /// per parameter on top of the 4-bit codes.
    #[test]
    fn nf4_overhead_matches_qlora_paper() {
        let t =
            Tensor { kind: TensorKind::MlpUp, layer: Some(0), rows: 14336, cols: 4096, copies: 1, active_copies: 1 };
        let (bytes, _) = tensor_bytes(WeightFormat::Nf4, &t, None).unwrap();
        let bits = bytes as f64 * 8.0 / (14336.0 * 4096.0);
        assert!((bits - 4.127).abs() < 0.001, "{bits}");
    }

    /// Whole-model totals for Llama-3.1-8B, computed tensor by tensor from the
    /// AutoGPTQ, AutoAWQ and bitsandbytes layouts (LM head, embeddings and
    /// norms kept in 16-bit).
    #[test]
    fn four_bit_formats_llama3_8b() {
        let m = llama8b();
        let total = |f| weights_footprint(&m, f).unwrap().total_bytes;
        assert_eq!(total(WeightFormat::GptqInt4), 5_732_835_328);
        assert_eq!(total(WeightFormat::AwqInt4), 5_727_854_592);
        // Codes, block scales and the per-tensor code books and offset
        // (16 + 256 + 1 fp32 = 1,092 bytes × 224 tensors).
        assert_eq!(total(WeightFormat::Nf4), 5_702_540_160);
    }

    #[test]
    fn float_shortcut_agrees() {
        for p in crate::presets::PRESETS {
            let a = p.arch().unwrap();
            for d in [Dtype::Fp32, Dtype::Bf16] {
                assert_eq!(
                    float_weights_bytes(&a, d).unwrap(),
                    weights_footprint(&a, WeightFormat::Float(d)).unwrap().total_bytes,
                    "{}",
                    p.id
                );
            }
        }
    }

    #[test]
    fn moe_active_bytes_are_smaller() {
        let m = preset("mixtral-8x7b").unwrap().arch().unwrap();
        let fp = weights_footprint(&m, WeightFormat::Float(Dtype::Bf16)).unwrap();
        assert_eq!(fp.active_bytes, 12_879_925_248 * 2);
        assert_eq!(fp.total_bytes, 46_702_792_704 * 2);
    }

    #[test]
    fn parse_names() {
        assert_eq!(Dtype::parse("BF16").unwrap(), Dtype::Bf16);
        assert_eq!(WeightFormat::parse("q4_k_m").unwrap(), WeightFormat::GgufQ4KM);
        assert_eq!(WeightFormat::parse("int4").unwrap(), WeightFormat::Int4);
        assert!(WeightFormat::parse("q3").unwrap_err().to_string().contains("q4_k_m"));
        for f in WeightFormat::ALL {
            assert_eq!(WeightFormat::parse(f.id()).unwrap(), f);
        }
    }

    #[test]
    fn every_format_orders_sensibly() {
        let m = llama8b();
        let b = |f| weights_footprint(&m, f).unwrap().total_bytes;
        assert!(b(WeightFormat::Float(Dtype::Fp32)) > b(WeightFormat::Float(Dtype::Bf16)));
        assert!(b(WeightFormat::Float(Dtype::Bf16)) > b(WeightFormat::GgufQ8_0));
        assert!(b(WeightFormat::GgufQ8_0) > b(WeightFormat::GgufQ4KM));
        assert!(b(WeightFormat::GptqInt4) > b(WeightFormat::AwqInt4));
    }
}

//! Pre-quantized checkpoints: a `config.json`'s `quantization_config`, and
//! the bytes each tensor takes in that checkpoint.
//!
//! The layouts are those the checkpoints store on disk and the loaders read:
//!
//! - **GPTQ** (Frantar et al. 2022, arXiv 2210.17323; AutoGPTQ / optimum
//!   layout, `QuantLinear`): `qweight` int32 packing `32 / bits` weights along
//!   the input dimension, `qzeros` int32 packing zero points of each group
//!   along the output dimension, `scales` fp16 per group and output, `g_idx`
//!   int32 per input feature. `group_size = -1` is one group per row.
//! - **AWQ** (Lin et al. 2023, arXiv 2306.00978; AutoAWQ GEMM layout):
//!   `qweight` packing 8 weights per int32 along the output dimension,
//!   `qzeros` and `scales` per group; no `g_idx`.
//! - **FP8** (`quant_method: "fp8"`, transformers `FineGrainedFP8Config`
//!   and DeepSeek-V3's checkpoints): one E4M3 byte per weight and, with
//!   `weight_block_size: [m, n]`, one fp32 `weight_scale_inv` per m × n
//!   block; without blocks, one fp32 scale per tensor.
//! - **MXFP4** (OCP Microscaling Formats v1.0 §5; gpt-oss checkpoints,
//!   transformers `Mxfp4Config`): blocks of 32 FP4 (E2M1) values, 16 bytes,
//!   with one E8M0 scale byte: 17 bytes per 32 weights, 4.25 bits. Only the
//!   MoE experts are stored so; attention, router, embeddings and LM head
//!   stay in bf16 (`modules_to_not_convert`).
//! - **compressed-tensors** (vLLM's llm-compressor format): `pack-quantized`
//!   int weights packed into int32 with a scale per group (or channel) in
//!   the model dtype and, when asymmetric, packed zero points;
//!   `float-quantized` FP8 with a scale per channel or tensor.
//! - **bitsandbytes**: 4-bit NF4/FP4 (QLoRA, Dettmers et al. 2023,
//!   arXiv 2305.14314 §3), with or without double quantization, or 8-bit
//!   LLM.int8() (arXiv 2208.07339 §3).
//!
//! What a format leaves unquantized — embeddings, LM head, norms, biases,
//! MoE routers (custom parameters in transformers 5, not `nn.Linear`), and
//! any module named in `modules_to_not_convert` / `ignore` — is kept in the
//! checkpoint's `torch_dtype`.

use crate::arch::{Tensor, TensorKind};
use crate::error::{ceil_div, product, Checked, EstimateError, Result};
use crate::fields::{describe, integer, Fields};
use serde::Serialize;
use serde_json::{Map, Value};

/// How a checkpoint's linear weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum QuantScheme {
    /// GPTQ with `bits` and `group_size` (0 = one group per row).
    Gptq { bits: u8, group_size: u64 },
    /// AWQ (4-bit) with `group_size`.
    Awq { bits: u8, group_size: u64 },
    /// FP8 E4M3 with a scale per `block` (rows × cols), or per tensor when `None`.
    Fp8 { block: Option<(u64, u64)> },
    /// MXFP4: 32 E2M1 values + an E8M0 scale per block.
    Mxfp4,
    /// compressed-tensors packed integers with a scale per `group_size`
    /// inputs (0 = per channel), zero points when not `symmetric`.
    PackedInt { bits: u8, group_size: u64, symmetric: bool },
    /// compressed-tensors FP8 with a scale per output channel (or per tensor).
    FloatFp8 { per_channel: bool },
    /// bitsandbytes 4-bit (NF4 or FP4), with double quantization or not.
    Bnb4 { double_quant: bool },
    /// bitsandbytes LLM.int8().
    Bnb8,
}

/// Which kinds of layers a checkpoint leaves in 16-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Exclusions {
    pub attention: bool,
    pub mlp: bool,
    pub experts: bool,
    pub shared_experts: bool,
    pub recurrent: bool,
}

/// A checkpoint's `quantization_config`, as far as memory is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CheckpointQuant {
    pub scheme: QuantScheme,
    pub excluded: Exclusions,
}

impl CheckpointQuant {
    /// A short label, e.g. `GPTQ 4-bit g128`, `FP8 (128×128 blocks)`.
    pub fn label(&self) -> String {
        match self.scheme {
            QuantScheme::Gptq { bits, group_size: 0 } => format!("GPTQ {bits}-bit per channel"),
            QuantScheme::Gptq { bits, group_size } => format!("GPTQ {bits}-bit g{group_size}"),
            QuantScheme::Awq { bits, group_size } => format!("AWQ {bits}-bit g{group_size}"),
            QuantScheme::Fp8 { block: Some((m, n)) } => format!("FP8 ({m}×{n} blocks)"),
            QuantScheme::Fp8 { block: None } => "FP8 (per tensor)".into(),
            QuantScheme::Mxfp4 => "MXFP4 experts".into(),
            QuantScheme::PackedInt { bits, group_size: 0, .. } => format!("INT{bits} per channel (compressed-tensors)"),
            QuantScheme::PackedInt { bits, group_size, .. } => format!("INT{bits} g{group_size} (compressed-tensors)"),
            QuantScheme::FloatFp8 { .. } => "FP8 (compressed-tensors)".into(),
            QuantScheme::Bnb4 { double_quant: true } => "bitsandbytes 4-bit, double quantized".into(),
            QuantScheme::Bnb4 { double_quant: false } => "bitsandbytes 4-bit".into(),
            QuantScheme::Bnb8 => "bitsandbytes 8-bit".into(),
        }
    }

    /// Whether this checkpoint stores `t` quantized.
    pub fn quantizes(&self, t: &Tensor) -> bool {
        use TensorKind as K;
        let k = t.kind;
        if !k.is_block_linear() {
            return false;
        }
        if self.scheme == QuantScheme::Mxfp4 {
            return k.is_expert() && !self.excluded.experts;
        }
        let e = &self.excluded;
        match k {
            K::AttnQ
            | K::AttnK
            | K::AttnV
            | K::AttnQkv
            | K::AttnOut
            | K::AttnQA
            | K::AttnQB
            | K::AttnKvA
            | K::AttnKvB => !e.attention,
            K::MlpGate | K::MlpUp | K::MlpGateUp | K::MlpDown => !e.mlp,
            K::ExpertGate | K::ExpertUp | K::ExpertDown => !e.experts,
            K::SharedExpertGate | K::SharedExpertUp | K::SharedExpertDown => !e.shared_experts,
            K::SsmIn | K::SsmOut => !e.recurrent,
            _ => false,
        }
    }

    /// Bytes of one copy of a quantized tensor, and of those the scales,
    /// zero points and indices (layouts in the module docs).
    pub fn tensor_bytes(&self, t: &Tensor) -> Result<(u64, u64)> {
        let (rows, cols) = (t.rows, t.cols);
        let n = t.elements()?;
        let words = |bits: u64, len: u64| ceil_div(len.saturating_mul(bits), 32).saturating_mul(4);
        let groups = |g: u64| if g == 0 { 1 } else { ceil_div(cols, g) };
        let r = match self.scheme {
            QuantScheme::Gptq { bits, group_size } => {
                let b = u64::from(bits);
                let qweight = words(b, cols).mul_or(rows, "qweight")?;
                let g = groups(group_size);
                let qzeros = g.mul_or(words(b, rows), "qzeros")?;
                let scales = product(&[g, rows, 2], "scales")?;
                let g_idx = cols.mul_or(4, "g_idx")?;
                let aux = qzeros + scales + g_idx;
                (qweight.add_or(aux, "tensor bytes")?, aux)
            }
            QuantScheme::Awq { bits, group_size } => {
                let b = u64::from(bits);
                let qweight = words(b, rows).mul_or(cols, "qweight")?;
                let g = groups(group_size);
                let qzeros = g.mul_or(words(b, rows), "qzeros")?;
                let scales = product(&[g, rows, 2], "scales")?;
                let aux = qzeros + scales;
                (qweight.add_or(aux, "tensor bytes")?, aux)
            }
            QuantScheme::Fp8 { block: Some((bm, bn)) } => {
                let scales = product(&[ceil_div(rows, bm), ceil_div(cols, bn), 4], "scales")?;
                (n.add_or(scales, "tensor bytes")?, scales)
            }
            QuantScheme::Fp8 { block: None } => (n.add_or(4, "tensor bytes")?, 4),
            QuantScheme::Mxfp4 => {
                let blocks = rows.mul_or(ceil_div(cols, 32), "MXFP4 blocks")?;
                (blocks.mul_or(17, "MXFP4 bytes")?, blocks)
            }
            QuantScheme::PackedInt { bits, group_size, symmetric } => {
                let b = u64::from(bits);
                let packed = words(b, cols).mul_or(rows, "weight_packed")?;
                let g = groups(group_size);
                let scales = product(&[rows, g, 2], "weight_scale")?;
                let zeros = if symmetric { 0 } else { words(b, rows).mul_or(g, "weight_zero_point")? };
                // weight_shape: two int64.
                let aux = scales + zeros + 16;
                (packed.add_or(aux, "tensor bytes")?, aux)
            }
            QuantScheme::FloatFp8 { per_channel } => {
                let scales = if per_channel { rows.mul_or(4, "weight_scale")? } else { 4 };
                (n.add_or(scales, "tensor bytes")?, scales)
            }
            QuantScheme::Bnb4 { double_quant } => {
                let blocks = ceil_div(n, 64);
                let aux = if double_quant {
                    // uint8 absmax per 64, fp32 absmax per 256 of those, the
                    // NF4 and second-level code books and an fp32 offset.
                    blocks + ceil_div(blocks, 256) * 4 + 16 * 4 + 256 * 4 + 4
                } else {
                    // fp32 absmax per 64 and the 16-entry code book.
                    blocks * 4 + 16 * 4
                };
                (ceil_div(n, 2).add_or(aux, "tensor bytes")?, aux)
            }
            QuantScheme::Bnb8 => {
                let scales = rows.mul_or(4, "scales")?.add_or(1, "scales")?;
                (n.add_or(scales, "tensor bytes")?, scales)
            }
        };
        Ok(r)
    }
}

/// Reads `quantization_config`, if the config has one.
pub(crate) fn parse_quantization(c: &Fields) -> Result<Option<CheckpointQuant>> {
    match c.raw("quantization_config") {
        None => Ok(None),
        Some(Value::Object(q)) => parse_object(q).map(Some),
        Some(other) => Err(EstimateError::InvalidField {
            field: "quantization_config".into(),
            reason: format!("expected an object, got {}", describe(other)),
        }),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> EstimateError {
    EstimateError::InvalidField { field: format!("quantization_config.{field}"), reason: reason.into() }
}

fn get_int(q: &Map<String, Value>, field: &str) -> Result<Option<u64>> {
    match q.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => integer(&format!("quantization_config.{field}"), v).map(Some),
    }
}

/// `group_size`: a positive integer, or -1 for one group per row (→ 0).
fn group_size(q: &Map<String, Value>, field: &str, default: u64) -> Result<u64> {
    match q.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) if n.as_i64() == Some(-1) => Ok(0),
        Some(v) => {
            let g = integer(&format!("quantization_config.{field}"), v)?;
            if g == 0 || g > 1 << 20 {
                Err(invalid(field, format!("{g} is not a usable group size")))
            } else {
                Ok(g)
            }
        }
    }
}

fn bits(q: &Map<String, Value>, field: &str, default: u64) -> Result<u8> {
    let b = get_int(q, field)?.unwrap_or(default);
    match b {
        2 | 3 | 4 | 8 => Ok(b as u8),
        other => Err(invalid(field, format!("{other} bits is not supported; expected 2, 3, 4 or 8"))),
    }
}

fn get_bool(q: &Map<String, Value>, field: &str) -> Option<bool> {
    q.get(field).and_then(Value::as_bool)
}

fn parse_object(q: &Map<String, Value>) -> Result<CheckpointQuant> {
    let method = match q.get("quant_method") {
        Some(Value::String(s)) => s.to_ascii_lowercase(),
        // bitsandbytes configs written before quant_method existed.
        None if get_bool(q, "load_in_4bit") == Some(true) => "bitsandbytes".into(),
        None if get_bool(q, "load_in_8bit") == Some(true) => "bitsandbytes".into(),
        None => return Err(invalid("quant_method", "is missing")),
        Some(other) => return Err(invalid("quant_method", format!("expected a string, got {}", describe(other)))),
    };
    let excluded = exclusions(q)?;
    let scheme = match method.as_str() {
        "gptq" => QuantScheme::Gptq { bits: bits(q, "bits", 4)?, group_size: group_size(q, "group_size", 128)? },
        "awq" => QuantScheme::Awq { bits: bits(q, "bits", 4)?, group_size: group_size(q, "group_size", 128)? },
        "fp8" | "fbgemm_fp8" => {
            let block = match q.get("weight_block_size") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) if a.len() == 2 => {
                    let m = integer("quantization_config.weight_block_size", &a[0])?;
                    let n = integer("quantization_config.weight_block_size", &a[1])?;
                    if m == 0 || n == 0 {
                        return Err(invalid("weight_block_size", "block sides must be at least 1"));
                    }
                    Some((m, n))
                }
                Some(other) => {
                    return Err(invalid("weight_block_size", format!("expected [rows, cols], got {}", describe(other))))
                }
            };
            QuantScheme::Fp8 { block }
        }
        "mxfp4" => QuantScheme::Mxfp4,
        "bitsandbytes" => {
            if get_bool(q, "load_in_4bit") == Some(true) || get_bool(q, "_load_in_4bit") == Some(true) {
                QuantScheme::Bnb4 { double_quant: get_bool(q, "bnb_4bit_use_double_quant").unwrap_or(false) }
            } else {
                QuantScheme::Bnb8
            }
        }
        "compressed-tensors" | "compressed_tensors" => compressed_tensors(q)?,
        other => {
            return Err(invalid(
                "quant_method",
                format!(
                    "\"{}\" is not supported; supported: gptq, awq, fp8, mxfp4, compressed-tensors, bitsandbytes",
                    crate::fields::truncate(other, 32)
                ),
            ))
        }
    };
    Ok(CheckpointQuant { scheme, excluded })
}

/// The first weight scheme of a compressed-tensors config.
fn compressed_tensors(q: &Map<String, Value>) -> Result<QuantScheme> {
    let groups = match q.get("config_groups") {
        Some(Value::Object(g)) => g,
        _ => return Err(invalid("config_groups", "is missing")),
    };
    let w = groups
        .values()
        .find_map(|g| g.get("weights").and_then(Value::as_object))
        .ok_or_else(|| invalid("config_groups", "no group quantizes weights"))?;
    let num_bits = bits(w, "num_bits", 8)?;
    let kind = w.get("type").and_then(Value::as_str).unwrap_or("int");
    let strategy = w.get("strategy").and_then(Value::as_str).unwrap_or("tensor");
    if kind == "float" {
        if num_bits != 8 {
            return Err(invalid("config_groups", format!("float weights of {num_bits} bits are not supported")));
        }
        return Ok(QuantScheme::FloatFp8 { per_channel: strategy == "channel" });
    }
    let group = match strategy {
        "group" => group_size(w, "group_size", 128)?,
        _ => 0,
    };
    Ok(QuantScheme::PackedInt {
        bits: num_bits,
        group_size: group,
        symmetric: get_bool(w, "symmetric").unwrap_or(true),
    })
}

/// Kinds of layers that `modules_to_not_convert` (transformers),
/// `ignore` (compressed-tensors) or `llm_int8_skip_modules` (bitsandbytes)
/// keep in 16-bit. Names of embeddings, the LM head, norms and routers
/// change nothing: those are never quantized.
fn exclusions(q: &Map<String, Value>) -> Result<Exclusions> {
    let mut e = Exclusions::default();
    for field in ["modules_to_not_convert", "ignore", "llm_int8_skip_modules"] {
        let list = match q.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(other) => return Err(invalid(field, format!("expected a list, got {}", describe(other)))),
        };
        for name in list.iter().filter_map(Value::as_str) {
            let last = name.rsplit('.').next().unwrap_or(name);
            if name.contains("self_attn") || name.contains(".attn") || last == "attention" {
                e.attention = true;
            } else if name.contains("shared_expert") {
                e.shared_experts = true;
            } else if last == "experts" {
                e.experts = true;
            } else if last == "mlp" || last == "feed_forward" {
                e.mlp = true;
                e.experts = true;
                e.shared_experts = true;
            } else if name.contains("mamba") || name.contains("linear_attn") || last == "mixer" {
                e.recurrent = true;
            }
        }
    }
    Ok(e)
}

/// `quantization_config` reduced to what [`parse_quantization`] reads, with
/// per-layer module lists folded into patterns (`model.layers.*.mlp.gate`),
/// so a shared URL stays short.
pub fn minimal_quantization(q: &Value) -> Value {
    let Some(obj) = q.as_object() else { return q.clone() };
    let keep = [
        "quant_method",
        "bits",
        "group_size",
        "weight_block_size",
        "load_in_4bit",
        "load_in_8bit",
        "_load_in_4bit",
        "bnb_4bit_use_double_quant",
        "config_groups",
    ];
    let mut out = Map::new();
    for k in keep {
        if let Some(v) = obj.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for k in ["modules_to_not_convert", "ignore", "llm_int8_skip_modules"] {
        if let Some(Value::Array(a)) = obj.get(k) {
            let mut patterns: Vec<String> = Vec::new();
            for s in a.iter().filter_map(Value::as_str) {
                let p: String = s
                    .split('.')
                    .map(|part| if part.chars().all(|c| c.is_ascii_digit()) { "*" } else { part })
                    .collect::<Vec<_>>()
                    .join(".");
                if !patterns.contains(&p) {
                    patterns.push(p);
                }
            }
            out.insert(k.to_string(), Value::from(patterns));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(q: Value) -> Result<CheckpointQuant> {
        parse_object(q.as_object().unwrap())
    }

    fn t(kind: TensorKind, rows: u64, cols: u64) -> Tensor {
        Tensor { kind, layer: Some(0), rows, cols, copies: 1, active_copies: 1 }
    }

    /// GPTQ 4-bit g128 of a 4096 × 4096 matrix: qweight 512 × 4096 × 4 =
    /// 8,388,608; qzeros 32 × 512 × 4 = 65,536; scales 32 × 4096 × 2 =
    /// 262,144; g_idx 16,384.
    #[test]
    fn gptq_layout() {
        let q = parse(json!({"quant_method":"gptq","bits":4,"group_size":128})).unwrap();
        assert_eq!(q.tensor_bytes(&t(TensorKind::AttnQ, 4096, 4096)).unwrap(), (8_732_672, 344_064));
        let per_channel = parse(json!({"quant_method":"gptq","bits":8,"group_size":-1})).unwrap();
        let (b, _) = per_channel.tensor_bytes(&t(TensorKind::AttnQ, 4096, 4096)).unwrap();
        assert_eq!(b, 4096 * 4096 + 1024 * 4 + 4096 * 2 + 4096 * 4);
    }

    /// FP8 with 128 × 128 blocks: a byte per weight + one fp32 per block.
    #[test]
    fn fp8_blocks() {
        let q = parse(json!({"quant_method":"fp8","weight_block_size":[128,128]})).unwrap();
        let (b, s) = q.tensor_bytes(&t(TensorKind::MlpUp, 12288, 4096)).unwrap();
        assert_eq!(s, 96 * 32 * 4);
        assert_eq!(b, 12288 * 4096 + s);
        // DeepSeek's kv_a_proj_with_mqa is 576 rows: 5 blocks tall, rounded up.
        let (_, s) = q.tensor_bytes(&t(TensorKind::AttnKvA, 576, 7168)).unwrap();
        assert_eq!(s, 5 * 56 * 4);
    }

    /// MXFP4: 17 bytes per 32 weights; only experts.
    #[test]
    fn mxfp4_experts_only() {
        let q = parse(json!({"quant_method":"mxfp4","modules_to_not_convert":["model.layers.*.self_attn","lm_head"]}))
            .unwrap();
        assert!(q.excluded.attention);
        let e = t(TensorKind::ExpertUp, 2880, 2880);
        assert!(q.quantizes(&e));
        assert!(!q.quantizes(&t(TensorKind::AttnQ, 4096, 2880)));
        assert_eq!(q.tensor_bytes(&e).unwrap().0, 2880 * 90 * 17);
    }

    #[test]
    fn bitsandbytes_and_compressed() {
        let q =
            parse(json!({"quant_method":"bitsandbytes","load_in_4bit":true,"bnb_4bit_use_double_quant":true})).unwrap();
        assert_eq!(q.scheme, QuantScheme::Bnb4 { double_quant: true });
        let q = parse(json!({"quant_method":"compressed-tensors","config_groups":{"group_0":{"weights":
            {"num_bits":4,"type":"int","strategy":"group","group_size":128,"symmetric":true}}},"ignore":["lm_head"]}))
        .unwrap();
        assert_eq!(q.scheme, QuantScheme::PackedInt { bits: 4, group_size: 128, symmetric: true });
        let q = parse(json!({"quant_method":"compressed-tensors","config_groups":{"g":{"weights":
            {"num_bits":8,"type":"float","strategy":"channel"}}}}))
        .unwrap();
        assert_eq!(q.scheme, QuantScheme::FloatFp8 { per_channel: true });
    }

    #[test]
    fn bad_configs_are_named() {
        assert!(parse(json!({"quant_method":"hqq"})).unwrap_err().to_string().contains("hqq"));
        assert!(parse(json!({"quant_method":"gptq","bits":5})).unwrap_err().to_string().contains("5 bits"));
        assert!(parse(json!({"quant_method":"fp8","weight_block_size":[0,128]})).is_err());
        assert!(parse(json!({})).is_err());
    }

    #[test]
    fn minimal_folds_layer_lists() {
        let q = json!({"quant_method":"fp8","weight_block_size":[128,128],"activation_scheme":"dynamic",
            "modules_to_not_convert":["lm_head","model.layers.0.mlp.gate","model.layers.1.mlp.gate"]});
        let m = minimal_quantization(&q);
        assert_eq!(m["modules_to_not_convert"], json!(["lm_head", "model.layers.*.mlp.gate"]));
        assert!(m.get("activation_scheme").is_none());
        assert_eq!(parse(m).unwrap(), parse(q).unwrap());
    }
}

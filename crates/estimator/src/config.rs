//! Parsing a Hugging Face `config.json` into a [`ModelArch`].
//!
//! Field names and defaults follow each family's configuration class in
//! Hugging Face transformers (`configuration_<family>.py`). Every error names
//! the field at fault; nothing here panics, whatever the input.

use crate::arch::{
    Attention, Family, LatentAttention, Mlp, ModelArch, Moe, NormKind, SlidingLayers, SlidingWindow, StandardAttention,
    MAX_LAYERS,
};
use crate::error::{EstimateError, Result};
use crate::precision::Dtype;
use serde_json::{Map, Value};

/// `model_type` values we parse.
pub const SUPPORTED_MODEL_TYPES: [&str; 8] =
    ["llama", "mistral", "mixtral", "qwen2", "gemma2", "phi3", "deepseek_v3", "gpt2"];

/// Largest config text we accept. Real configs are a few kilobytes; this
/// bounds the work a hostile paste can cause.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Upper bounds on dimensions. Far above any real model, low enough that no
/// product of two of them overflows 64 bits.
const MAX_WIDTH: u64 = 1 << 24;
const MAX_VOCAB: u64 = 1 << 27;
const MAX_HEADS: u64 = 1 << 16;
const MAX_EXPERTS: u64 = 1 << 16;
const MAX_POSITIONS: u64 = 1 << 40;

/// Every config field the parser reads; anything else in a config.json is
/// ignored, so [`minimal_config`] keeps only these.
pub const USED_FIELDS: &[&str] = &[
    "model_type",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "vocab_size",
    "intermediate_size",
    "tie_word_embeddings",
    "attention_bias",
    "mlp_bias",
    "sliding_window",
    "use_sliding_window",
    "max_window_layers",
    "layer_types",
    "max_position_embeddings",
    "torch_dtype",
    "dtype",
    "num_local_experts",
    "num_experts_per_tok",
    "n_routed_experts",
    "n_shared_experts",
    "moe_intermediate_size",
    "first_k_dense_replace",
    "q_lora_rank",
    "kv_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
    "n_embd",
    "n_layer",
    "n_head",
    "n_positions",
    "n_inner",
];

/// The config reduced to the fields the estimator reads, as compact JSON
/// (for carrying a pasted config in a shareable URL).
pub fn minimal_config(text: &str) -> Result<String> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(EstimateError::MalformedConfig { reason: "config is larger than 1 MiB".into() });
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| EstimateError::MalformedConfig { reason: e.to_string() })?;
    let obj = value
        .as_object()
        .ok_or_else(|| EstimateError::MalformedConfig { reason: "the top level must be a JSON object".to_string() })?;
    let kept: Map<String, Value> =
        obj.iter().filter(|(k, _)| USED_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    serde_json::to_string(&Value::Object(kept)).map_err(|e| EstimateError::MalformedConfig { reason: e.to_string() })
}

/// Parses `config.json` text.
pub fn parse_config(text: &str) -> Result<ModelArch> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(EstimateError::MalformedConfig {
            reason: format!(
                "{} bytes is larger than the {} KiB limit for a config.json",
                text.len(),
                MAX_CONFIG_BYTES / 1024
            ),
        });
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| EstimateError::MalformedConfig { reason: e.to_string() })?;
    parse_config_value(&value)
}

/// Parses an already-decoded JSON value.
pub fn parse_config_value(value: &Value) -> Result<ModelArch> {
    let obj = value
        .as_object()
        .ok_or_else(|| EstimateError::MalformedConfig { reason: "the top level must be a JSON object".to_string() })?;
    let c = Fields(obj);
    let model_type = c.string("model_type")?;
    let family = match model_type.as_str() {
        "llama" => Family::Llama,
        "mistral" => Family::Mistral,
        "mixtral" => Family::Mixtral,
        "qwen2" => Family::Qwen2,
        "gemma2" => Family::Gemma2,
        "phi3" => Family::Phi3,
        "deepseek_v3" => Family::DeepseekV3,
        "gpt2" => Family::Gpt2,
        other => return Err(EstimateError::UnsupportedModelType { model_type: truncate(other, 64) }),
    };
    let arch = match family {
        Family::Gpt2 => parse_gpt2(&c)?,
        _ => parse_decoder(&c, family)?,
    };
    validate(&arch)?;
    Ok(arch)
}

/// Llama-style decoders: llama, mistral, mixtral, qwen2, gemma2, phi3, deepseek_v3.
fn parse_decoder(c: &Fields, family: Family) -> Result<ModelArch> {
    let hidden = c.dim("hidden_size", MAX_WIDTH)?;
    let layers = c.dim("num_hidden_layers", MAX_LAYERS)?;
    let heads = c.dim("num_attention_heads", MAX_HEADS)?;
    let vocab = c.dim("vocab_size", MAX_VOCAB)?;
    let intermediate = c.dim("intermediate_size", MAX_WIDTH)?;
    // Every family's config class defaults num_key_value_heads to num_attention_heads.
    let kv_heads = c.opt_dim("num_key_value_heads", MAX_HEADS)?.unwrap_or(heads);
    let attention_bias = c.opt_bool("attention_bias")?.unwrap_or(false);

    let attention = if family == Family::DeepseekV3 {
        Attention::Latent(LatentAttention {
            num_heads: heads,
            q_lora_rank: c.opt_dim("q_lora_rank", MAX_WIDTH)?,
            kv_lora_rank: c.dim("kv_lora_rank", MAX_WIDTH)?,
            qk_nope_head_dim: c.dim("qk_nope_head_dim", MAX_WIDTH)?,
            qk_rope_head_dim: c.dim("qk_rope_head_dim", MAX_WIDTH)?,
            v_head_dim: c.dim("v_head_dim", MAX_WIDTH)?,
            bias: attention_bias,
        })
    } else {
        if kv_heads > heads || heads % kv_heads != 0 {
            return Err(EstimateError::InvalidField {
                field: "num_key_value_heads".into(),
                reason: format!("must divide num_attention_heads ({heads}), got {kv_heads}"),
            });
        }
        let head_dim = match c.opt_dim("head_dim", MAX_WIDTH)? {
            Some(d) => d,
            None => {
                if hidden % heads != 0 {
                    return Err(EstimateError::InvalidField {
                        field: "hidden_size".into(),
                        reason: format!(
                            "{hidden} is not divisible by num_attention_heads ({heads}) and no head_dim is given"
                        ),
                    });
                }
                hidden / heads
            }
        };
        Attention::Standard(StandardAttention {
            num_heads: heads,
            num_kv_heads: kv_heads,
            head_dim,
            // Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False.
            qkv_bias: family == Family::Qwen2 || attention_bias,
            out_bias: attention_bias && family != Family::Qwen2,
            fused_qkv: family == Family::Phi3,
        })
    };

    let mlp = Mlp {
        intermediate_size: intermediate,
        gated: true,
        bias: c.opt_bool("mlp_bias")?.unwrap_or(false),
        fused_gate_up: family == Family::Phi3,
    };

    let moe = match family {
        Family::Mixtral => {
            let experts = c.dim("num_local_experts", MAX_EXPERTS)?;
            let k = c.dim("num_experts_per_tok", MAX_EXPERTS)?;
            Some(Moe {
                num_experts: experts,
                experts_per_token: k,
                expert_intermediate_size: intermediate,
                shared_intermediate_size: 0,
                first_dense_layers: 0,
                router_bias: false,
            })
        }
        Family::DeepseekV3 => {
            let experts = c.dim("n_routed_experts", MAX_EXPERTS)?;
            let k = c.dim("num_experts_per_tok", MAX_EXPERTS)?;
            let expert_inter = c.dim("moe_intermediate_size", MAX_WIDTH)?;
            let shared = c.opt_count("n_shared_experts", MAX_EXPERTS)?.unwrap_or(0);
            Some(Moe {
                num_experts: experts,
                experts_per_token: k,
                expert_intermediate_size: expert_inter,
                shared_intermediate_size: expert_inter * shared,
                first_dense_layers: c.opt_count("first_k_dense_replace", MAX_LAYERS)?.unwrap_or(0),
                router_bias: true,
            })
        }
        _ => None,
    };
    if let Some(m) = &moe {
        if m.experts_per_token > m.num_experts {
            return Err(EstimateError::InvalidField {
                field: "num_experts_per_tok".into(),
                reason: format!("{} is more than the {} experts there are", m.experts_per_token, m.num_experts),
            });
        }
    }

    let sliding_window = parse_sliding(c, family, layers)?;
    let tie_default = matches!(family, Family::Gemma2);
    Ok(ModelArch {
        family,
        vocab_size: vocab,
        hidden_size: hidden,
        num_layers: layers,
        attention,
        mlp,
        moe,
        norm: NormKind::Rms,
        norms_per_layer: if family == Family::Gemma2 { 4 } else { 2 },
        tie_word_embeddings: c.opt_bool("tie_word_embeddings")?.unwrap_or(tie_default),
        learned_positions: 0,
        max_position_embeddings: c.opt_dim("max_position_embeddings", MAX_POSITIONS)?.unwrap_or(4096),
        sliding_window,
        torch_dtype: c.dtype()?,
    })
}

/// Sliding-window layers, family by family.
///
/// - mistral, mixtral, phi3: `sliding_window` applies to every layer when set
///   (MistralAttention, Phi3Attention pass `config.sliding_window`).
/// - gemma2: even layers slide (Gemma2Attention `sliding_window if not
///   bool(layer_idx % 2)`), or `layer_types` when given.
/// - qwen2: only if `use_sliding_window`, and only layers ≥ `max_window_layers`
///   (Qwen2Config builds `layer_types` that way).
/// - A `layer_types` list, when present, wins for every family.
fn parse_sliding(c: &Fields, family: Family, layers: u64) -> Result<Option<SlidingWindow>> {
    let window = match c.opt_dim("sliding_window", MAX_POSITIONS)? {
        Some(w) => w,
        None => return Ok(None),
    };
    if let Some(list) = c.opt_layer_types(layers)? {
        return Ok(if list.iter().any(|s| *s) {
            Some(SlidingWindow { window, layers: SlidingLayers::Listed(list) })
        } else {
            None
        });
    }
    let layers_rule = match family {
        Family::Mistral | Family::Mixtral | Family::Phi3 => SlidingLayers::All,
        Family::Gemma2 => SlidingLayers::Even,
        Family::Qwen2 => {
            if !c.opt_bool("use_sliding_window")?.unwrap_or(false) {
                return Ok(None);
            }
            SlidingLayers::From(c.opt_count("max_window_layers", MAX_LAYERS)?.unwrap_or(layers))
        }
        Family::Llama | Family::DeepseekV3 | Family::Gpt2 => return Ok(None),
    };
    Ok(Some(SlidingWindow { window, layers: layers_rule }))
}

/// GPT-2: `n_embd`, `n_layer`, `n_head`, `n_positions`, `n_inner`
/// (`None` → 4 × n_embd, GPT2MLP), tied LM head, LayerNorm with bias.
fn parse_gpt2(c: &Fields) -> Result<ModelArch> {
    let hidden = c.dim("n_embd", MAX_WIDTH)?;
    let layers = c.dim("n_layer", MAX_LAYERS)?;
    let heads = c.dim("n_head", MAX_HEADS)?;
    let vocab = c.dim("vocab_size", MAX_VOCAB)?;
    let positions = c.dim("n_positions", MAX_WIDTH)?;
    let inner = c.opt_dim("n_inner", MAX_WIDTH)?.unwrap_or(4 * hidden);
    if hidden % heads != 0 {
        return Err(EstimateError::InvalidField {
            field: "n_embd".into(),
            reason: format!("{hidden} is not divisible by n_head ({heads})"),
        });
    }
    Ok(ModelArch {
        family: Family::Gpt2,
        vocab_size: vocab,
        hidden_size: hidden,
        num_layers: layers,
        attention: Attention::Standard(StandardAttention {
            num_heads: heads,
            num_kv_heads: heads,
            head_dim: hidden / heads,
            qkv_bias: true,
            out_bias: true,
            fused_qkv: true,
        }),
        mlp: Mlp { intermediate_size: inner, gated: false, bias: true, fused_gate_up: false },
        moe: None,
        norm: NormKind::Layer,
        norms_per_layer: 2,
        tie_word_embeddings: c.opt_bool("tie_word_embeddings")?.unwrap_or(true),
        learned_positions: positions,
        max_position_embeddings: positions,
        sliding_window: None,
        torch_dtype: c.dtype()?,
    })
}

/// Cross-field checks that the per-field parsers cannot make.
fn validate(arch: &ModelArch) -> Result<()> {
    if let Attention::Standard(a) = &arch.attention {
        if a.num_heads * a.head_dim > MAX_WIDTH * 4 {
            return Err(EstimateError::InvalidField {
                field: "head_dim".into(),
                reason: "num_attention_heads × head_dim is implausibly large".into(),
            });
        }
    }
    if let Some(sw) = &arch.sliding_window {
        if let SlidingLayers::Listed(v) = &sw.layers {
            if v.len() as u64 != arch.num_layers {
                return Err(EstimateError::InvalidField {
                    field: "layer_types".into(),
                    reason: format!("has {} entries but num_hidden_layers is {}", v.len(), arch.num_layers),
                });
            }
        }
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Typed access to the fields of a config object.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn string(&self, field: &str) -> Result<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(EstimateError::MissingField { field: field.into() }),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("expected a string, got {}", describe(other)),
            }),
        }
    }

    /// A non-negative integer; `None` when absent or null.
    fn opt_count(&self, field: &str, max: u64) -> Result<Option<u64>> {
        let v = match self.0.get(field) {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => v,
        };
        let n = match v {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    u
                } else if let Some(f) =
                    n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= 9.0e15)
                {
                    f as u64
                } else {
                    return Err(EstimateError::InvalidField {
                        field: field.into(),
                        reason: format!("expected a non-negative integer, got {n}"),
                    });
                }
            }
            other => {
                return Err(EstimateError::InvalidField {
                    field: field.into(),
                    reason: format!("expected a non-negative integer, got {}", describe(other)),
                })
            }
        };
        if n > max {
            return Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("{n} is larger than the supported maximum of {max}"),
            });
        }
        Ok(Some(n))
    }

    /// A positive integer; `None` when absent or null.
    fn opt_dim(&self, field: &str, max: u64) -> Result<Option<u64>> {
        match self.opt_count(field, max)? {
            Some(0) => {
                Err(EstimateError::InvalidField { field: field.into(), reason: "must be at least 1, got 0".into() })
            }
            other => Ok(other),
        }
    }

    /// A required positive integer.
    fn dim(&self, field: &str, max: u64) -> Result<u64> {
        self.opt_dim(field, max)?.ok_or_else(|| EstimateError::MissingField { field: field.into() })
    }

    fn opt_bool(&self, field: &str) -> Result<Option<bool>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("expected true or false, got {}", describe(other)),
            }),
        }
    }

    /// `layer_types`: a list of "sliding_attention" / "full_attention".
    fn opt_layer_types(&self, layers: u64) -> Result<Option<Vec<bool>>> {
        let list = match self.0.get("layer_types") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(a)) => a,
            Some(other) => {
                return Err(EstimateError::InvalidField {
                    field: "layer_types".into(),
                    reason: format!("expected a list of strings, got {}", describe(other)),
                })
            }
        };
        if list.len() as u64 != layers {
            return Err(EstimateError::InvalidField {
                field: "layer_types".into(),
                reason: format!("has {} entries but num_hidden_layers is {layers}", list.len()),
            });
        }
        list.iter()
            .enumerate()
            .map(|(i, v)| match v.as_str() {
                Some("sliding_attention") => Ok(true),
                Some("full_attention") => Ok(false),
                _ => Err(EstimateError::InvalidField {
                    field: format!("layer_types[{i}]"),
                    reason: format!("expected \"sliding_attention\" or \"full_attention\", got {}", describe(v)),
                }),
            })
            .collect::<Result<Vec<bool>>>()
            .map(Some)
    }

    fn dtype(&self) -> Result<Dtype> {
        self.dtype_or(Dtype::Bf16)
    }

    /// `torch_dtype` (or `dtype`, its newer name); `default` when absent.
    fn dtype_or(&self, default: Dtype) -> Result<Dtype> {
        for field in ["torch_dtype", "dtype"] {
            match self.0.get(field) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => {
                    return match s.as_str() {
                        "float32" => Ok(Dtype::Fp32),
                        "float16" => Ok(Dtype::Fp16),
                        "bfloat16" => Ok(Dtype::Bf16),
                        "float8_e4m3fn" | "float8_e5m2" => Ok(Dtype::Fp8),
                        other => Err(EstimateError::InvalidField {
                            field: field.into(),
                            reason: format!(
                                "unknown dtype \"{}\"; expected float32, float16 or bfloat16",
                                truncate(other, 32)
                            ),
                        }),
                    }
                }
                Some(other) => {
                    return Err(EstimateError::InvalidField {
                        field: field.into(),
                        reason: format!("expected a string, got {}", describe(other)),
                    })
                }
            }
        }
        Ok(default)
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{}\"", truncate(s, 32)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_keeps_what_we_read() {
        let full = crate::presets::preset("llama-3.1-8b").unwrap().config_json();
        let min = minimal_config(full).unwrap();
        assert!(!min.contains("rope_scaling") && !min.contains("architectures"));
        assert_eq!(parse_config(&min).unwrap(), parse_config(full).unwrap());
        assert!(minimal_config("[]").is_err());
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_config(r#"{"model_type":"llama","hidden_size":4096}"#).unwrap_err();
        assert_eq!(err, EstimateError::MissingField { field: "num_hidden_layers".into() });
        assert_eq!(err.to_string(), "config is missing the field `num_hidden_layers`");
    }

    #[test]
    fn unknown_model_type_lists_supported() {
        let err = parse_config(r#"{"model_type":"bert"}"#).unwrap_err();
        assert!(err.to_string().contains("`bert` is not supported"));
        assert!(err.to_string().contains("deepseek_v3"));
    }

    #[test]
    fn wrong_types_are_named() {
        let base = r#"{"model_type":"llama","hidden_size":"4096","num_hidden_layers":32,
            "num_attention_heads":32,"vocab_size":32000,"intermediate_size":11008}"#;
        let err = parse_config(base).unwrap_err();
        assert!(matches!(err, EstimateError::InvalidField { ref field, .. } if field == "hidden_size"));
        let err = parse_config(&base.replace("\"4096\"", "-1")).unwrap_err();
        assert!(err.to_string().contains("non-negative integer"));
        let err = parse_config(&base.replace("\"4096\"", "4096.5")).unwrap_err();
        assert!(err.to_string().contains("hidden_size"));
    }

    #[test]
    fn malformed_and_oversized_text() {
        assert!(matches!(parse_config("{"), Err(EstimateError::MalformedConfig { .. })));
        assert!(matches!(parse_config("[1,2]"), Err(EstimateError::MalformedConfig { .. })));
        let huge = " ".repeat(MAX_CONFIG_BYTES + 1);
        assert!(parse_config(&huge).unwrap_err().to_string().contains("limit"));
        let deep = "[".repeat(10_000);
        assert!(matches!(parse_config(&deep), Err(EstimateError::MalformedConfig { .. })));
    }

    #[test]
    fn absurd_dimensions_are_rejected_not_overflowed() {
        let cfg = r#"{"model_type":"llama","hidden_size":4096,"num_hidden_layers":1000000000000,
            "num_attention_heads":32,"vocab_size":32000,"intermediate_size":11008}"#;
        let err = parse_config(cfg).unwrap_err();
        assert!(err.to_string().contains("num_hidden_layers"), "{err}");
        let cfg = cfg.replace("1000000000000", "32").replace("\"num_attention_heads\":32", "\"num_attention_heads\":0");
        assert!(parse_config(&cfg).unwrap_err().to_string().contains("num_attention_heads"));
    }

    #[test]
    fn head_dim_must_divide_or_be_given() {
        let cfg = r#"{"model_type":"llama","hidden_size":4000,"num_hidden_layers":2,
            "num_attention_heads":48,"vocab_size":32000,"intermediate_size":11008}"#;
        let err = parse_config(cfg).unwrap_err();
        assert!(err.to_string().contains("not divisible"), "{err}");
        let ok = cfg.replace("\"vocab_size\"", "\"head_dim\":128,\"vocab_size\"");
        assert!(parse_config(&ok).is_ok());
    }

    #[test]
    fn kv_heads_must_divide_heads() {
        let cfg = r#"{"model_type":"mistral","hidden_size":4096,"num_hidden_layers":2,
            "num_attention_heads":32,"num_key_value_heads":7,"vocab_size":32000,"intermediate_size":11008}"#;
        assert!(parse_config(cfg).unwrap_err().to_string().contains("num_key_value_heads"));
    }

    #[test]
    fn layer_types_wins_and_is_checked() {
        let cfg = r#"{"model_type":"gemma2","hidden_size":64,"num_hidden_layers":3,
            "num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"vocab_size":100,
            "intermediate_size":128,"sliding_window":8,
            "layer_types":["full_attention","sliding_attention","sliding_attention"]}"#;
        let arch = parse_config(cfg).unwrap();
        let sw = arch.sliding_window.unwrap();
        assert!(!sw.is_sliding(0) && sw.is_sliding(1) && sw.is_sliding(2));
        assert_eq!(sw.sliding_layer_count(3), 2);
        let bad = cfg.replace("\"full_attention\",", "");
        assert!(parse_config(&bad).unwrap_err().to_string().contains("layer_types"));
    }
}

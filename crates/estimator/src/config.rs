//! Parsing a Hugging Face `config.json` into a [`ModelArch`].
//!
//! The `model_type` picks the family's entry in the registry
//! ([`crate::families::FAMILIES`]), which says how the config's fields map
//! onto the architecture and which defaults apply to fields the config
//! leaves out — those of the family's transformers config class. Every
//! error names the field at fault; nothing here panics, whatever the input.

use crate::arch::ModelArch;
use crate::error::{EstimateError, Result};
use crate::families::{family_spec, supported_model_types, FAMILIES};
use crate::fields::truncate;
use serde_json::{Map, Value};

/// `model_type` values we parse, in registry order.
pub fn supported_model_types_list() -> Vec<&'static str> {
    supported_model_types().collect()
}

/// Largest config text we accept. Real configs are a few kilobytes; this
/// bounds the work a hostile paste can cause.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Fields read outside the families' default tables.
const EXTRA_FIELDS: &[&str] = &[
    "model_type",
    "torch_dtype",
    "dtype",
    "text_config",
    "vision_config",
    "quantization_config",
    "hybrid_override_pattern",
    "sliding_window_pattern",
    "full_attention_interval",
    "vision_feature_layer",
    "layers_block_type",
    "mamba_n_groups",
    "mamba_d_conv",
    "mamba_conv_bias",
    "n_positions",
    "n_embd",
    "n_layer",
    "n_head",
    "n_inner",
    "time_step_rank",
    "rope_scaling",
    "rope_parameters",
    "partial_rotary_factor",
];

/// Every top-level field the parser reads in some family (what a browser
/// converts from `JSON.parse`'s result, and a shared URL keeps).
pub fn used_fields() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = EXTRA_FIELDS.to_vec();
    for f in FAMILIES.iter().flat_map(|s| s.defaults.iter().map(|(f, _)| *f)) {
        if !v.contains(&f) {
            v.push(f);
        }
    }
    for f in crate::vision::VISION_DEFAULTS.iter().flat_map(|(_, d)| d.iter().map(|(f, _)| *f)) {
        if !v.contains(&f) {
            v.push(f);
        }
    }
    v
}

/// Whether the parser reads `field` in any family.
fn is_used(field: &str) -> bool {
    EXTRA_FIELDS.contains(&field)
        || FAMILIES.iter().any(|s| s.defaults.iter().any(|(f, _)| *f == field))
        || crate::vision::VISION_DEFAULTS.iter().any(|(_, d)| d.iter().any(|(f, _)| *f == field))
}

fn minimal_object(obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| is_used(k))
        .map(|(k, v)| {
            let v = match (k.as_str(), v) {
                ("text_config" | "vision_config", Value::Object(m)) => Value::Object(minimal_object(m)),
                ("quantization_config", q) => crate::quant::minimal_quantization(q),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// A decoded config reduced to the fields the estimator reads (nested
/// `text_config` and `vision_config` likewise, `quantization_config` folded
/// by [`crate::quant::minimal_quantization`]); non-objects are returned as is.
pub fn minimal_value(value: &Value) -> Value {
    match value.as_object() {
        Some(obj) => Value::Object(minimal_object(obj)),
        None => value.clone(),
    }
}

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
    serde_json::to_string(&Value::Object(minimal_object(obj)))
        .map_err(|e| EstimateError::MalformedConfig { reason: e.to_string() })
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
    let model_type = match obj.get("model_type") {
        None | Some(Value::Null) => return Err(EstimateError::MissingField { field: "model_type".into() }),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(EstimateError::InvalidField {
                field: "model_type".into(),
                reason: format!("expected a string, got {}", crate::fields::describe(other)),
            })
        }
    };
    let spec = family_spec(model_type).ok_or_else(|| EstimateError::UnsupportedModelType {
        model_type: truncate(model_type, 64),
        supported: supported_model_types_list().join(", "),
    })?;
    crate::families::build(spec, obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_keeps_what_we_read() {
        let full = crate::presets::preset("llama-3.1-8b").unwrap().config_json();
        let min = minimal_config(full).unwrap();
        assert!(min.contains("rope_scaling") && !min.contains("architectures"));
        assert_eq!(parse_config(&min).unwrap(), parse_config(full).unwrap());
        assert!(minimal_config("[]").is_err());
    }

    /// A field with no default in the family's config class is an error
    /// that names it (DeepseekV2Config's `num_experts_per_tok` is None).
    #[test]
    fn missing_field_is_named() {
        let err = parse_config(r#"{"model_type":"deepseek_v2"}"#).unwrap_err();
        assert_eq!(err, EstimateError::MissingField { field: "num_experts_per_tok".into() });
        assert_eq!(err.to_string(), "config is missing the field `num_experts_per_tok`");
        assert_eq!(
            parse_config(r#"{"hidden_size":4096}"#).unwrap_err(),
            EstimateError::MissingField { field: "model_type".into() }
        );
    }

    /// Omitted fields take the config class's defaults, and are reported.
    #[test]
    fn omitted_fields_take_transformers_defaults() {
        let arch = parse_config(r#"{"model_type":"llama","hidden_size":2048}"#).unwrap();
        // LlamaConfig: 32 layers, 32 heads, vocab 32000, MLP 11008.
        assert_eq!((arch.num_layers, arch.num_heads(), arch.vocab_size), (32, 32, 32000));
        assert!(arch.defaulted.contains(&"num_hidden_layers"));
        assert!(!arch.defaulted.contains(&"hidden_size"));
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
        let spans: Vec<_> = arch.layers.iter().map(|l| l.attention.unwrap()).collect();
        use crate::arch::AttentionSpan::{Full, Sliding};
        assert_eq!(spans, vec![Full, Sliding(8), Sliding(8)]);
        assert_eq!(arch.bounded_layer_count(), 2);
        let bad = cfg.replace("\"full_attention\",", "");
        assert!(parse_config(&bad).unwrap_err().to_string().contains("layer_types"));
        let unknown = cfg.replace("full_attention", "banana_attention");
        assert!(parse_config(&unknown).unwrap_err().to_string().contains("banana"));
    }
}

//! Typed, bounded access to the fields of a `config.json` object, with the
//! defaults of the family's transformers config class.
//!
//! A field present in the config (even `null`) is read from it; an absent
//! field takes the default of the config class, as `PreTrainedConfig` does,
//! and is recorded in [`Fields::defaulted`] so the reader can be told.
//! Nothing here panics, whatever the input.

use crate::error::{EstimateError, Result};
use crate::precision::Dtype;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// A default value from a transformers config class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Int(u64),
    Bool(bool),
    Str(&'static str),
    /// `None` in Python: the field is optional and off, or derived in
    /// `__post_init__` (e.g. `head_dim = hidden_size // num_attention_heads`).
    Null,
}

impl Default {
    /// The default as JSON (for the docs table and the comparison with transformers).
    pub fn to_value(self) -> Value {
        match self {
            Default::Int(n) => Value::from(n),
            Default::Bool(b) => Value::Bool(b),
            Default::Str(s) => Value::from(s),
            Default::Null => Value::Null,
        }
    }
}

/// A family's defaults: `(field, default)` pairs, as read from its config class.
pub type Defaults = &'static [(&'static str, Default)];

/// The fields of one config object.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    defaults: Defaults,
    /// Other names a field may go by (`("hidden_size", "n_embd")` for GPT-2).
    aliases: &'static [(&'static str, &'static str)],
    defaulted: RefCell<Vec<&'static str>>,
}

/// Upper bounds on dimensions. Far above any real model, low enough that no
/// product of two of them overflows 64 bits.
pub(crate) const MAX_WIDTH: u64 = 1 << 24;
pub(crate) const MAX_VOCAB: u64 = 1 << 27;
pub(crate) const MAX_HEADS: u64 = 1 << 16;
pub(crate) const MAX_EXPERTS: u64 = 1 << 16;
pub(crate) const MAX_POSITIONS: u64 = 1 << 40;

/// A raw lookup result.
enum Found<'v> {
    Value(&'v Value),
    Default(Default),
    Absent,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(
        obj: &'a Map<String, Value>,
        defaults: Defaults,
        aliases: &'static [(&'static str, &'static str)],
    ) -> Self {
        Fields { obj, defaults, aliases, defaulted: RefCell::new(Vec::new()) }
    }

    /// Fields that took their default, in the order they were read.
    pub(crate) fn defaulted(&self) -> Vec<&'static str> {
        self.defaulted.borrow().clone()
    }

    /// Whether the config itself carries `field` (or an alias), even as null.
    pub(crate) fn has(&self, field: &str) -> bool {
        self.key_of(field).is_some()
    }

    fn key_of(&self, field: &str) -> Option<&'a Value> {
        if let Some(v) = self.obj.get(field) {
            return Some(v);
        }
        self.aliases.iter().find(|(f, _)| *f == field).and_then(|(_, alias)| self.obj.get(*alias))
    }

    fn find(&self, field: &'static str) -> Found<'a> {
        if let Some(v) = self.key_of(field) {
            return Found::Value(v);
        }
        match self.defaults.iter().find(|(f, _)| *f == field) {
            Some((_, d)) => {
                // A null default means "derived or off", not a value worth reporting.
                let mut list = self.defaulted.borrow_mut();
                if *d != Default::Null && !list.contains(&field) {
                    list.push(field);
                }
                Found::Default(*d)
            }
            None => Found::Absent,
        }
    }

    /// The raw JSON value, if the config has the field.
    pub(crate) fn raw(&self, field: &str) -> Option<&'a Value> {
        self.key_of(field).filter(|v| !v.is_null())
    }

    /// A non-negative integer; `None` when null (in the config or as the default) or absent without a default.
    pub(crate) fn opt_count(&self, field: &'static str, max: u64) -> Result<Option<u64>> {
        let n = match self.find(field) {
            Found::Value(Value::Null) | Found::Default(Default::Null) | Found::Absent => return Ok(None),
            Found::Default(Default::Int(n)) => n,
            Found::Default(other) => {
                return Err(EstimateError::InvalidField {
                    field: field.into(),
                    reason: format!("has no integer default ({other:?})"),
                })
            }
            Found::Value(v) => integer(field, v)?,
        };
        if n > max {
            return Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("{n} is larger than the supported maximum of {max}"),
            });
        }
        Ok(Some(n))
    }

    /// A positive integer; `None` when null or absent without a default.
    pub(crate) fn opt_dim(&self, field: &'static str, max: u64) -> Result<Option<u64>> {
        match self.opt_count(field, max)? {
            Some(0) => {
                Err(EstimateError::InvalidField { field: field.into(), reason: "must be at least 1, got 0".into() })
            }
            other => Ok(other),
        }
    }

    /// A required positive integer (present, or with a non-null default).
    pub(crate) fn dim(&self, field: &'static str, max: u64) -> Result<u64> {
        self.opt_dim(field, max)?.ok_or_else(|| EstimateError::MissingField { field: field.into() })
    }

    /// A required non-negative integer.
    pub(crate) fn count(&self, field: &'static str, max: u64) -> Result<u64> {
        self.opt_count(field, max)?.ok_or_else(|| EstimateError::MissingField { field: field.into() })
    }

    pub(crate) fn opt_bool(&self, field: &'static str) -> Result<Option<bool>> {
        match self.find(field) {
            Found::Value(Value::Null) | Found::Default(Default::Null) | Found::Absent => Ok(None),
            Found::Value(Value::Bool(b)) => Ok(Some(*b)),
            Found::Default(Default::Bool(b)) => Ok(Some(b)),
            Found::Default(other) => Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("has no boolean default ({other:?})"),
            }),
            Found::Value(other) => Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("expected true or false, got {}", describe(other)),
            }),
        }
    }

    /// A boolean, `false` when null or absent without a default.
    pub(crate) fn flag(&self, field: &'static str) -> Result<bool> {
        Ok(self.opt_bool(field)?.unwrap_or(false))
    }

    /// A list of strings, e.g. `layer_types`; `None` when null or absent.
    pub(crate) fn opt_strings(&self, field: &'static str, max_len: u64) -> Result<Option<Vec<String>>> {
        let list = match self.find(field) {
            Found::Value(Value::Array(a)) => a,
            Found::Value(Value::Null) | Found::Default(_) | Found::Absent => return Ok(None),
            Found::Value(other) => {
                return Err(EstimateError::InvalidField {
                    field: field.into(),
                    reason: format!("expected a list of strings, got {}", describe(other)),
                })
            }
        };
        if list.len() as u64 > max_len {
            return Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("has {} entries; at most {max_len} are supported", list.len()),
            });
        }
        list.iter()
            .enumerate()
            .map(|(i, v)| match v.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(EstimateError::InvalidField {
                    field: format!("{field}[{i}]"),
                    reason: format!("expected a string, got {}", describe(v)),
                }),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// A list of non-negative integers (`mlp_only_layers`, `moe_layers`,
    /// `no_rope_layers`); `None` when null or absent.
    pub(crate) fn opt_counts(&self, field: &'static str, max_len: u64) -> Result<Option<Vec<u64>>> {
        let list = match self.find(field) {
            Found::Value(Value::Array(a)) => a,
            Found::Value(Value::Null) | Found::Default(_) | Found::Absent => return Ok(None),
            Found::Value(other) => {
                return Err(EstimateError::InvalidField {
                    field: field.into(),
                    reason: format!("expected a list of integers, got {}", describe(other)),
                })
            }
        };
        if list.len() as u64 > max_len {
            return Err(EstimateError::InvalidField {
                field: field.into(),
                reason: format!("has {} entries; at most {max_len} are supported", list.len()),
            });
        }
        list.iter().map(|v| integer(field, v)).collect::<Result<Vec<_>>>().map(Some)
    }

    /// `torch_dtype` (or `dtype`, its newer name); `default` when absent.
    pub(crate) fn dtype_or(&self, default: Dtype) -> Result<Dtype> {
        for field in ["torch_dtype", "dtype"] {
            match self.obj.get(field) {
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

/// A JSON number that is a non-negative integer (integral floats allowed).
pub(crate) fn integer(field: &str, v: &Value) -> Result<u64> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if let Some(f) =
                n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= 9.0e15)
            {
                Ok(f as u64)
            } else {
                Err(EstimateError::InvalidField {
                    field: field.into(),
                    reason: format!("expected a non-negative integer, got {n}"),
                })
            }
        }
        other => Err(EstimateError::InvalidField {
            field: field.into(),
            reason: format!("expected a non-negative integer, got {}", describe(other)),
        }),
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{}\"", truncate(s, 32)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

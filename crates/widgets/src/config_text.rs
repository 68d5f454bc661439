//! Reading a reader's `config.json` text.
//!
//! In the browser the text is parsed by the browser's own `JSON.parse`, and
//! only the fields the estimator reads (`config::used_fields`) are converted into
//! the `serde_json::Value` that [`parse_config_value`] takes. Why: serde_json's
//! parser (with the float parsing it needs) is about 5 KiB of gzipped wasm,
//! and `JSON.parse` is already in every browser. The conversion has a depth
//! and a length limit, so a hostile document (100,000 nested arrays in a
//! field, a million-entry list) gets a message instead of exhausting the
//! stack or the memory.
//!
//! Natively (unit tests, no browser) the same two functions are the
//! estimator's serde_json-based ones.

use llmem_estimator::{error::Result, ModelArch};

#[cfg(target_arch = "wasm32")]
mod browser {
    use js_sys::{Array, Object, Reflect, JSON};
    use llmem_estimator::{
        config::{minimal_value, parse_config_value, used_fields, MAX_CONFIG_BYTES},
        error::{EstimateError, Result},
        ModelArch,
    };
    use serde_json::{Map, Value};
    use wasm_bindgen::{JsCast, JsValue};

    /// Deepest nesting converted inside one field (`layer_types` needs 1).
    const MAX_DEPTH: u32 = 8;
    /// Longest list or object converted inside one field.
    const MAX_ITEMS: u32 = 65_536;

    /// The fields the estimator reads, converted from `JSON.parse`'s result.
    fn used(text: &str) -> Result<Value> {
        let object = parse_object(text)?;
        let mut fields = Map::new();
        for field in used_fields() {
            let v = Reflect::get(&object, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
            if !v.is_undefined() {
                fields.insert(field.to_string(), to_value(field, &v, 0)?);
            }
        }
        Ok(Value::Object(fields))
    }

    pub fn parse(text: &str) -> Result<ModelArch> {
        parse_config_value(&used(text)?)
    }

    pub fn minimal(text: &str) -> Option<String> {
        let kept = minimal_value(&used(text).ok()?);
        JSON::stringify(&to_js(&kept)).ok()?.as_string()
    }

    /// A serde_json value as a JavaScript value (for `JSON.stringify`).
    fn to_js(v: &Value) -> JsValue {
        match v {
            Value::Null => JsValue::NULL,
            Value::Bool(b) => JsValue::from_bool(*b),
            Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => JsValue::from_str(s),
            Value::Array(a) => a.iter().map(to_js).collect::<Array>().into(),
            Value::Object(m) => {
                let o = Object::new();
                for (k, item) in m {
                    let _ = Reflect::set(&o, &JsValue::from_str(k), &to_js(item));
                }
                o.into()
            }
        }
    }

    /// `JSON.parse`, requiring an object at the top level.
    fn parse_object(text: &str) -> Result<JsValue> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(EstimateError::MalformedConfig {
                reason: format!("it is larger than the {} KiB limit for a config.json", MAX_CONFIG_BYTES / 1024),
            });
        }
        let parsed = JSON::parse(text).map_err(|e| EstimateError::MalformedConfig {
            reason: e.dyn_ref::<js_sys::Error>().map_or_else(|| "it could not be read".into(), |e| e.message().into()),
        })?;
        if !parsed.is_object() || Array::is_array(&parsed) {
            return Err(EstimateError::MalformedConfig { reason: "the top level must be a JSON object".into() });
        }
        Ok(parsed)
    }

    fn too_deep(field: &str, reason: &str) -> EstimateError {
        EstimateError::InvalidField { field: field.to_string(), reason: reason.to_string() }
    }

    /// A JSON value from `JSON.parse` as serde_json would have parsed it:
    /// whole numbers as integers, the rest as floats.
    fn to_value(field: &str, v: &JsValue, depth: u32) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(too_deep(field, "is nested too deeply"));
        }
        if v.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = v.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
            return Ok(if n.fract() == 0.0 && n.abs() <= EXACT {
                if n >= 0.0 {
                    Value::from(n as u64)
                } else {
                    Value::from(n as i64)
                }
            } else {
                Value::from(n)
            });
        }
        if let Some(s) = v.as_string() {
            return Ok(Value::String(s));
        }
        if Array::is_array(v) {
            let list: &Array = v.unchecked_ref();
            if list.length() > MAX_ITEMS {
                return Err(too_deep(field, "has too many entries"));
            }
            return list
                .iter()
                .map(|item| to_value(field, &item, depth + 1))
                .collect::<Result<Vec<_>>>()
                .map(Value::Array);
        }
        let keys = Object::keys(v.unchecked_ref::<Object>());
        if keys.length() > MAX_ITEMS {
            return Err(too_deep(field, "has too many entries"));
        }
        let mut map = Map::new();
        for key in keys.iter() {
            let value = Reflect::get(v, &key).unwrap_or(JsValue::NULL);
            map.insert(key.as_string().unwrap_or_default(), to_value(field, &value, depth + 1)?);
        }
        Ok(Value::Object(map))
    }
}

/// Parses config text into a model architecture.
pub fn parse_config_text(text: &str) -> Result<ModelArch> {
    #[cfg(target_arch = "wasm32")]
    return browser::parse(text);
    #[cfg(not(target_arch = "wasm32"))]
    return llmem_estimator::config::parse_config(text);
}

/// The config reduced to the fields the estimator reads, as compact JSON
/// (what a shareable URL carries).
pub fn minimal_config_text(text: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return browser::minimal(text);
    #[cfg(not(target_arch = "wasm32"))]
    return llmem_estimator::config::minimal_config(text).ok();
}

//! Reading a checkpoint's header without its body: what `.safetensors`
//! files and `.gguf` files store, tensor by tensor, priced at the type each
//! tensor is stored in.
//!
//! safetensors (Hugging Face, "safetensors" format documentation,
//! `docs/source/index.mdx` of huggingface/safetensors): an 8-byte
//! little-endian header length `N`, then `N` bytes of UTF-8 JSON mapping each
//! tensor's name to `{"dtype", "shape", "data_offsets": [begin, end]}`
//! (offsets relative to the byte after the header) and an optional
//! `"__metadata__"` map of strings; the reference implementation refuses
//! headers over 100 MB (`MAX_HEADER_SIZE` in `safetensors/src/tensor.rs`),
//! and so does this reader. Every tensor's bytes must equal its element
//! count times its dtype's width, and its span must lie inside the file.
//!
//! A sharded checkpoint's `model.safetensors.index.json` carries only
//! `metadata.total_size` (the bytes of every tensor) and the `weight_map`
//! from tensor to shard; [`read_index`] reports those.
//!
//! GGUF headers are read by [`crate::gguf_file`]; [`summarize_gguf`] prices
//! each tensor at its ggml type, block layout included.

use crate::gguf_file::Header as GgufHeader;
pub use crate::gguf_file::ReadError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The largest header accepted, as the reference implementation's limit.
pub const MAX_HEADER: u64 = 100_000_000;

/// Bytes per element of a safetensors dtype (`Dtype` in
/// `safetensors/src/tensor.rs`); sub-byte types count bits.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F64" | "I64" | "U64" | "C64" => 64,
        "F32" | "I32" | "U32" => 32,
        "F16" | "BF16" | "I16" | "U16" => 16,
        "F8_E4M3" | "F8_E5M2" | "F8_E8M0" | "I8" | "U8" | "BOOL" => 8,
        "F6_E2M3" | "F6_E3M2" => 6,
        "F4" => 4,
        _ => return None,
    })
}

/// One tensor of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredTensor {
    pub name: String,
    /// The stored type: a safetensors dtype (`BF16`) or a ggml type (`Q4_K`).
    pub dtype: String,
    pub shape: Vec<u64>,
    pub elements: u64,
    pub bytes: u64,
}

/// Tensors of one stored type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeTotal {
    pub dtype: String,
    pub tensors: u64,
    pub elements: u64,
    pub bytes: u64,
}

/// What a checkpoint file stores, read from its header alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointSummary {
    /// `safetensors`, `gguf` or `safetensors index`.
    pub format: &'static str,
    /// GGUF's `general.architecture` (safetensors headers do not say).
    pub architecture: Option<String>,
    pub tensors: Vec<StoredTensor>,
    /// By stored type, largest first.
    pub by_type: Vec<TypeTotal>,
    /// Elements of every tensor (the parameter count, buffers included).
    pub elements: u64,
    /// Bytes of every tensor as stored.
    pub bytes: u64,
    /// Bytes of the header (and, for GGUF, the padding before the data).
    pub header_bytes: u64,
    /// Average bits per element over every tensor.
    pub bits_per_element: f64,
}

fn invalid(why: impl Into<String>) -> ReadError {
    ReadError::Invalid(why.into())
}

fn summarize(
    format: &'static str,
    architecture: Option<String>,
    tensors: Vec<StoredTensor>,
    header_bytes: u64,
) -> Result<CheckpointSummary, ReadError> {
    let mut by: BTreeMap<&str, TypeTotal> = BTreeMap::new();
    let (mut elements, mut bytes) = (0u64, 0u64);
    for t in &tensors {
        elements = elements.checked_add(t.elements).ok_or_else(|| invalid("the element count overflows"))?;
        bytes = bytes.checked_add(t.bytes).ok_or_else(|| invalid("the byte count overflows"))?;
        let e = by.entry(&t.dtype).or_insert_with(|| TypeTotal {
            dtype: t.dtype.clone(),
            tensors: 0,
            elements: 0,
            bytes: 0,
        });
        e.tensors += 1;
        e.elements = e.elements.saturating_add(t.elements);
        e.bytes = e.bytes.saturating_add(t.bytes);
    }
    let mut by_type: Vec<TypeTotal> = by.into_values().collect();
    by_type.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.dtype.cmp(&b.dtype)));
    let bits_per_element = if elements == 0 { 0.0 } else { bytes as f64 * 8.0 / elements as f64 };
    Ok(CheckpointSummary { format, architecture, tensors, by_type, elements, bytes, header_bytes, bits_per_element })
}

/// Reads a safetensors header from the first bytes of the file (`bytes`
/// may be the whole file or only its start; `file_len`, when known, bounds
/// the tensors' spans). Asks for more with [`ReadError::NeedMore`].
pub fn read_safetensors(bytes: &[u8], file_len: Option<u64>) -> Result<CheckpointSummary, ReadError> {
    let len_bytes: [u8; 8] = bytes.get(..8).ok_or(ReadError::NeedMore(8))?.try_into().map_err(|_| invalid("short"))?;
    let n = u64::from_le_bytes(len_bytes);
    if n > MAX_HEADER {
        return Err(invalid(format!("a header of {n} bytes (the format allows {MAX_HEADER})")));
    }
    if n < 2 {
        return Err(invalid("the header is empty"));
    }
    let end = 8 + n;
    if let Some(f) = file_len {
        if end > f {
            return Err(invalid(format!("the header says {n} bytes but the file has {f}")));
        }
    }
    let text = bytes.get(8..end as usize).ok_or(ReadError::NeedMore(end))?;
    if text.first() != Some(&b'{') {
        return Err(invalid("the header is not a JSON object (is this a safetensors file?)"));
    }
    let json: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| invalid(format!("the header is not valid JSON: {e}")))?;
    let map = json.as_object().ok_or_else(|| invalid("the header is not a JSON object"))?;
    let data_len = file_len.map(|f| f - end);
    let mut tensors = Vec::with_capacity(map.len().min(1 << 20));
    for (name, v) in map {
        if name == "__metadata__" {
            continue;
        }
        let field = |key: &str| v.get(key).ok_or_else(|| invalid(format!("tensor `{name}` has no `{key}`")));
        let dtype =
            field("dtype")?.as_str().ok_or_else(|| invalid(format!("tensor `{name}`: dtype is not a string")))?;
        let bits = dtype_bits(dtype).ok_or_else(|| invalid(format!("tensor `{name}`: unknown dtype `{dtype}`")))?;
        let shape: Vec<u64> = field("shape")?
            .as_array()
            .ok_or_else(|| invalid(format!("tensor `{name}`: shape is not a list")))?
            .iter()
            .map(|d| d.as_u64().ok_or_else(|| invalid(format!("tensor `{name}`: a dimension is not a whole number"))))
            .collect::<Result<_, _>>()?;
        let offsets = field("data_offsets")?
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
            .ok_or_else(|| invalid(format!("tensor `{name}`: data_offsets is not two whole numbers")))?;
        let elements = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| invalid(format!("tensor `{name}`: its size overflows")))?;
        let tensor_bits =
            elements.checked_mul(bits).ok_or_else(|| invalid(format!("tensor `{name}`: its size overflows")))?;
        let size = tensor_bits.div_ceil(8);
        if offsets.1 < offsets.0 || offsets.1 - offsets.0 != size {
            return Err(invalid(format!(
                "tensor `{name}`: {dtype} {shape:?} needs {size} bytes but its offsets span {}",
                offsets.1.saturating_sub(offsets.0)
            )));
        }
        if let Some(d) = data_len {
            if offsets.1 > d {
                return Err(invalid(format!("tensor `{name}` ends past the end of the file")));
            }
        }
        tensors.push(StoredTensor { name: name.clone(), dtype: dtype.to_string(), shape, elements, bytes: size });
    }
    summarize("safetensors", None, tensors, end)
}

/// Prices every tensor of a GGUF header at its ggml type.
pub fn summarize_gguf(h: &GgufHeader) -> Result<CheckpointSummary, ReadError> {
    let tensors = h
        .tensors
        .iter()
        .map(|t| {
            let ty = t
                .ggml_type()
                .ok_or_else(|| invalid(format!("tensor `{}`: unknown ggml type {}", t.name, t.type_id)))?;
            let elements = t.elements().ok_or_else(|| invalid(format!("tensor `{}`: its size overflows", t.name)))?;
            let bytes = t.bytes().ok_or_else(|| {
                invalid(format!("tensor `{}`: {} elements do not fill {} blocks", t.name, elements, ty.name()))
            })?;
            Ok(StoredTensor {
                name: t.name.clone(),
                dtype: ty.name().to_string(),
                shape: t.dims.clone(),
                elements,
                bytes,
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    summarize("gguf", h.architecture().map(str::to_string), tensors, h.data_offset)
}

/// What a checkpoint file's header gives the estimator: every tensor priced
/// at its stored type, and, for a GGUF, the model's configuration read from
/// its metadata ([`crate::gguf_config`]; the message says why not, for an
/// architecture it does not map). A safetensors header names no model.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointHead {
    pub summary: CheckpointSummary,
    pub config: Option<Result<serde_json::Value, String>>,
}

/// Reads the header at the start of a `.gguf` (by its magic) or a
/// `.safetensors` file of `file_len` bytes; asks for more with
/// [`ReadError::NeedMore`], and names the format in its other errors.
pub fn read_checkpoint(bytes: &[u8], file_len: u64) -> Result<CheckpointHead, ReadError> {
    let naming = |format: &str, e: ReadError| match e {
        ReadError::Invalid(why) => ReadError::Invalid(format!("not a valid {format} file: {why}")),
        more => more,
    };
    if bytes.len() < 4 && file_len >= 4 {
        return Err(ReadError::NeedMore(4));
    }
    if bytes.starts_with(b"GGUF") {
        let h = crate::gguf_file::read_header(bytes).map_err(|e| naming("GGUF", e))?;
        // llama.cpp's `gguf-split` writes a model over several files, each
        // with its own tensors (`split.count`, `LLM_KV_SPLIT_COUNT`).
        if let Some(n) = h.get("split.count").and_then(crate::gguf_file::Value::as_u64).filter(|n| *n > 1) {
            return Err(ReadError::Invalid(format!(
                "it is one of {n} files that hold a split GGUF between them, so its tensors are only part of the \
                 model; merge them (llama-gguf-split --merge) or choose a single-file GGUF"
            )));
        }
        let summary = summarize_gguf(&h).map_err(|e| naming("GGUF", e))?;
        return Ok(CheckpointHead { summary, config: Some(crate::gguf_config::config_from_gguf(&h)) });
    }
    let summary = read_safetensors(bytes, Some(file_len)).map_err(|e| naming("safetensors", e))?;
    Ok(CheckpointHead { summary, config: None })
}

/// The most of a file read for its header: GGUF headers carry the whole
/// tokenizer (a few to tens of MB); safetensors allows 100 MB.
pub const MAX_HEADER_READ: u64 = 256 << 20;

/// The first read of a header: most fit in 1 MiB.
pub const FIRST_READ: u64 = 1 << 20;

/// What a reader does next after parsing the first bytes of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum NextRead<T> {
    Done(T),
    /// Read this many bytes from the start and parse again.
    More(u64),
    /// Give up, and why (for the reader).
    Fail(String),
}

/// The next step of reading a header that grows while it asks for more:
/// `parsed` came from the first `have` bytes of a `file_len`-byte file.
/// Shared by `llmem inspect` and the calculator's file reader, so a file
/// gets the same answer in both.
pub fn next_read<T>(parsed: Result<T, ReadError>, have: u64, file_len: u64) -> NextRead<T> {
    match parsed {
        Ok(v) => NextRead::Done(v),
        Err(ReadError::NeedMore(n)) if n > file_len => {
            NextRead::Fail(format!("the header needs {n} bytes but the file has {file_len}: is it truncated?"))
        }
        Err(ReadError::NeedMore(n)) if n > MAX_HEADER_READ => {
            NextRead::Fail(format!("a header of more than {} MiB is not read", MAX_HEADER_READ >> 20))
        }
        // At least twice what was read: a GGUF tokenizer's strings are read
        // one at a time, and asking for just the next one would mean
        // hundreds of thousands of reads of a real file's header.
        Err(ReadError::NeedMore(n)) if n > have => {
            NextRead::More(n.max(have.saturating_mul(2)).min(file_len).min(MAX_HEADER_READ))
        }
        Err(ReadError::NeedMore(_)) => NextRead::Fail("the header does not end".into()),
        Err(ReadError::Invalid(why)) => NextRead::Fail(why),
    }
}

/// What a sharded checkpoint's index says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexSummary {
    /// `metadata.total_size`: bytes of every tensor in every shard.
    pub total_size: u64,
    pub tensors: u64,
    /// The shard files, in order.
    pub shards: Vec<String>,
}

/// Reads a `model.safetensors.index.json`.
pub fn read_index(text: &str) -> Result<IndexSummary, ReadError> {
    if text.len() as u64 > MAX_HEADER {
        return Err(invalid("an index of more than 100 MB"));
    }
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let total_size = json
        .pointer("/metadata/total_size")
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)))
        .ok_or_else(|| invalid("no metadata.total_size (is this a model.safetensors.index.json?)"))?;
    let map = json.get("weight_map").and_then(|m| m.as_object()).ok_or_else(|| invalid("no weight_map"))?;
    let mut shards: Vec<String> = map.values().filter_map(|v| v.as_str().map(str::to_string)).collect();
    shards.sort();
    shards.dedup();
    Ok(IndexSummary { total_size, tensors: map.len() as u64, shards })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf_file::{write_header, ArrayValue, NewTensor, Value};

    /// A GGUF header with a real tokenizer's 151,936 strings (about 2 MB
    /// past the first read) is read in a handful of growing reads, not
    /// one per string; a split GGUF is refused with what to do.
    #[test]
    fn a_tokenizer_is_read_in_few_rounds_and_a_split_is_refused() {
        let tokens: Vec<Value> = (0..151_936).map(|i| Value::Str(format!("token-{i:08}"))).collect();
        let meta = vec![
            ("general.architecture".to_string(), Value::Str("llama".into())),
            (
                "tokenizer.ggml.tokens".to_string(),
                Value::Array(ArrayValue { elem_type: 8, len: tokens.len() as u64, items: tokens }),
            ),
        ];
        let t =
            NewTensor { name: "token_embd.weight".into(), dims: vec![8, 16], ggml_type: crate::gguf::GgmlType::F16 };
        let (header, len) = write_header(&meta, std::slice::from_ref(&t)).unwrap();
        assert!(header.len() > 2 << 20, "{}", header.len());
        let mut file = header.clone();
        file.resize(len as usize, 0);
        let (mut want, mut rounds) = (FIRST_READ, 0);
        let head = loop {
            rounds += 1;
            let bytes = &file[..(want as usize).min(file.len())];
            match next_read(read_checkpoint(bytes, len), bytes.len() as u64, len) {
                NextRead::Done(h) => break h,
                NextRead::More(n) => want = n,
                NextRead::Fail(why) => panic!("{why}"),
            }
        };
        assert!(rounds <= 4, "{rounds} reads");
        assert_eq!(head.summary.bytes, 8 * 16 * 2);
        let split = vec![meta[0].clone(), ("split.count".to_string(), Value::U16(3))];
        let (header, _) = write_header(&split, &[t]).unwrap();
        let Err(ReadError::Invalid(why)) = read_checkpoint(&header, header.len() as u64) else { panic!("accepted") };
        assert!(why.starts_with("it is one of 3 files that hold a split GGUF"), "{why}");
    }

    /// Many short arrays keep their elements only up to a total, so a
    /// hostile header cannot ask for gigabytes of values.
    #[test]
    fn kept_array_elements_have_a_budget() {
        let flags = || Value::Array(ArrayValue { elem_type: 7, len: 4096, items: vec![Value::Bool(true); 4096] });
        let meta: Vec<(String, Value)> = (0..16).map(|i| (format!("k{i}"), flags())).collect();
        let (header, _) = write_header(&meta, &[]).unwrap();
        let h = crate::gguf_file::read_header(&header).unwrap();
        let kept: usize = h
            .metadata
            .iter()
            .map(|(_, v)| match v {
                Value::Array(a) => a.items.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(kept as u64, crate::gguf_file::KEPT_TOTAL);
        assert!(h.metadata.iter().all(|(_, v)| matches!(v, Value::Array(a) if a.len == 4096)));
    }

    fn file(header: &str, data: usize) -> Vec<u8> {
        let mut b = (header.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(header.as_bytes());
        b.resize(b.len() + data, 0);
        b
    }

    #[test]
    fn prices_each_tensor_at_its_dtype() {
        let h = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[4,8],"data_offsets":[0,64]},"b":{"dtype":"F32","shape":[8],"data_offsets":[64,96]},"c":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[96,100]}}"#;
        let b = file(h, 100);
        let s = read_safetensors(&b, Some(b.len() as u64)).unwrap();
        assert_eq!((s.elements, s.bytes, s.tensors.len()), (32 + 8 + 4, 100, 3));
        assert_eq!(s.by_type[0].dtype, "BF16");
        assert_eq!(s.header_bytes, 8 + h.len() as u64);
        // Only the header is needed: the start of the file says how much to read.
        assert_eq!(read_safetensors(&b[..20], None), Err(ReadError::NeedMore(8 + h.len() as u64)));
    }

    #[test]
    fn refuses_what_does_not_add_up() {
        let bad =
            |h: &str, data: usize| read_safetensors(&file(h, data), Some((8 + h.len() + data) as u64)).unwrap_err();
        let e = bad(r#"{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,7]}}"#, 8);
        assert!(e.to_string().contains("needs 8 bytes"), "{e}");
        let e = bad(r#"{"a":{"dtype":"Q9","shape":[4],"data_offsets":[0,8]}}"#, 8);
        assert!(e.to_string().contains("unknown dtype"), "{e}");
        let e = bad(r#"{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}"#, 4);
        assert!(e.to_string().contains("past the end"), "{e}");
        let e = bad(r#"{"a":{"dtype":"BF16","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}"#, 8);
        assert!(e.to_string().contains("overflows"), "{e}");
        // A huge declared header length is refused before anything is read or allocated.
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(read_safetensors(&huge, None).unwrap_err().to_string().contains("the format allows"));
        assert!(read_safetensors(b"GGUF\x03\0\0\0", None).is_err());
    }

    #[test]
    fn reads_an_index() {
        let i = read_index(r#"{"metadata":{"total_size":16060522496},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}"#).unwrap();
        assert_eq!((i.total_size, i.tensors, i.shards.len()), (16_060_522_496, 3, 2));
        assert!(read_index("{}").is_err());
    }
}

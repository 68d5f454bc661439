//! The GGUF container: reading a file's header and writing one.
//!
//! Layout (llama.cpp `ggml/src/gguf.cpp`, `docs` in the ggml repository's
//! `gguf.md`, version 3): the magic `GGUF`, a u32 version, a u64 tensor
//! count and a u64 metadata count; then the metadata key–value pairs (a key
//! is a u64 length and UTF-8 bytes; a value is a u32 type tag and its
//! payload, arrays being an element type, a u64 count and the elements);
//! then one record per tensor (name, u32 number of dimensions, u64 per
//! dimension, u32 ggml type, u64 offset into the data section); then
//! padding to `general.alignment` (32 by default) and the tensor data, each
//! tensor starting at an aligned offset.
//!
//! The reader never trusts a count or a length: every one is checked
//! against the bytes it was given and against fixed limits before anything
//! is allocated, so a hostile or truncated header costs an error, not a
//! panic or a giant allocation. Given the first bytes of a file it either
//! reads the whole header or says how many bytes it needs.

use crate::gguf::GgmlType;
use serde::Serialize;
use std::fmt;

/// `GGUF` as a little-endian u32.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// Default data alignment (`GGUF_DEFAULT_ALIGNMENT`).
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// Limits far above real files, low enough that nothing hostile costs much.
const MAX_TENSORS: u64 = 1 << 20;
const MAX_KV: u64 = 1 << 16;
const MAX_STRING: u64 = 1 << 24;
const MAX_ARRAY: u64 = 1 << 24;
const MAX_DIMS: u32 = 4;

/// A metadata value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    /// An array; long arrays of numbers or strings (a tokenizer's vocabulary)
    /// keep only their length, which is all an estimate needs.
    Array(ArrayValue),
    U64(u64),
    I64(i64),
    F64(f64),
}

/// An array value: its element type, its length, and the elements when short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayValue {
    pub elem_type: u32,
    pub len: u64,
    /// The elements, for arrays of at most [`KEPT_ARRAY`] scalars.
    pub items: Vec<Value>,
}

/// Arrays up to this length keep their elements (per-layer hyperparameters).
pub const KEPT_ARRAY: u64 = 4096;

/// Array elements kept over the whole header: a hostile file of many
/// short arrays (65,536 keys of 4,096 booleans each) would otherwise ask
/// for gigabytes of `Value`s; past this, arrays keep only their length.
pub const KEPT_TOTAL: u64 = 16_384;

impl Value {
    /// The value as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(u64::from(v)),
            Value::U16(v) => Some(u64::from(v)),
            Value::U32(v) => Some(u64::from(v)),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The GGUF type tag.
    pub fn type_tag(&self) -> u32 {
        match self {
            Value::U8(_) => 0,
            Value::I8(_) => 1,
            Value::U16(_) => 2,
            Value::I16(_) => 3,
            Value::U32(_) => 4,
            Value::I32(_) => 5,
            Value::F32(_) => 6,
            Value::Bool(_) => 7,
            Value::Str(_) => 8,
            Value::Array(_) => 9,
            Value::U64(_) => 10,
            Value::I64(_) => 11,
            Value::F64(_) => 12,
        }
    }
}

/// One tensor record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TensorInfo {
    pub name: String,
    /// `ne`: the fastest-varying dimension first.
    pub dims: Vec<u64>,
    /// The raw ggml type id.
    pub type_id: u32,
    /// Offset from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Elements in the tensor.
    pub fn elements(&self) -> Option<u64> {
        self.dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d))
    }

    /// The ggml type, if it is one we know.
    pub fn ggml_type(&self) -> Option<GgmlType> {
        GgmlType::from_id(self.type_id)
    }

    /// Bytes of the tensor's data (`ggml_nbytes`), if its type is known.
    pub fn bytes(&self) -> Option<u64> {
        let t = self.ggml_type()?;
        let ne0 = *self.dims.first()?;
        let rows = self.dims.iter().skip(1).try_fold(1u64, |a, &d| a.checked_mul(d))?;
        if ne0 % t.block_elems() != 0 {
            return None;
        }
        (ne0 / t.block_elems()).checked_mul(t.type_size())?.checked_mul(rows)
    }
}

/// A GGUF header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub version: u32,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Where the data section starts (the header's length, padded).
    pub data_offset: u64,
}

impl Header {
    /// A metadata value by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> Option<&str> {
        self.get("general.architecture").and_then(Value::as_str)
    }

    /// The file's length as its tensor table implies: the end of the last tensor.
    pub fn implied_file_len(&self) -> Option<u64> {
        self.tensors
            .iter()
            .map(|t| t.offset.checked_add(t.bytes()?))
            .try_fold(self.data_offset, |end, e| Some(end.max(self.data_offset.checked_add(e?)?)))
    }
}

/// Why a checkpoint header (GGUF here, safetensors in
/// [`crate::safetensors`]) could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes end before the header does: read at least this many and try again.
    NeedMore(u64),
    /// Not a file of the format, or a corrupt one, and why.
    Invalid(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NeedMore(n) => write!(f, "the header is longer than the bytes read; read at least {n} bytes"),
            ReadError::Invalid(why) => f.write_str(why),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Array elements kept so far ([`KEPT_TOTAL`]).
    kept: u64,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], ReadError> {
        let end = (self.pos as u64).checked_add(n).ok_or_else(|| ReadError::Invalid("a length overflows".into()))?;
        if end > self.bytes.len() as u64 {
            return Err(ReadError::NeedMore(end));
        }
        let s = &self.bytes[self.pos..end as usize];
        self.pos = end as usize;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, ReadError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ReadError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn string(&mut self) -> Result<String, ReadError> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(ReadError::Invalid(format!("a string of {len} bytes")));
        }
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| ReadError::Invalid("a string is not UTF-8".into()))
    }
    /// Skips `n` values of fixed size `size` (long numeric arrays).
    fn skip(&mut self, n: u64, size: u64) -> Result<(), ReadError> {
        let bytes = n.checked_mul(size).ok_or_else(|| ReadError::Invalid("an array overflows".into()))?;
        self.take(bytes).map(|_| ())
    }
    fn value(&mut self, tag: u32, depth: u32) -> Result<Value, ReadError> {
        Ok(match tag {
            0 => Value::U8(self.array::<1>()?[0]),
            1 => Value::I8(self.array::<1>()?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::I16(i16::from_le_bytes(self.array()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.array()?)),
            6 => Value::F32(f32::from_le_bytes(self.array()?)),
            7 => Value::Bool(self.array::<1>()?[0] != 0),
            8 => Value::Str(self.string()?),
            9 => {
                if depth > 0 {
                    return Err(ReadError::Invalid("nested arrays".into()));
                }
                let elem_type = self.u32()?;
                let len = self.u64()?;
                if len > MAX_ARRAY {
                    return Err(ReadError::Invalid(format!("an array of {len} elements")));
                }
                let fixed = match elem_type {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                let mut items = Vec::new();
                if len <= KEPT_ARRAY && self.kept + len <= KEPT_TOTAL {
                    self.kept += len;
                    for _ in 0..len {
                        items.push(self.value(elem_type, depth + 1)?);
                    }
                } else if let Some(size) = fixed {
                    self.skip(len, size)?;
                } else if elem_type == 8 {
                    for _ in 0..len {
                        let n = self.u64()?;
                        if n > MAX_STRING {
                            return Err(ReadError::Invalid(format!("a string of {n} bytes")));
                        }
                        self.take(n)?;
                    }
                } else {
                    return Err(ReadError::Invalid(format!("an array of unknown type {elem_type}")));
                }
                Value::Array(ArrayValue { elem_type, len, items })
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.array()?)),
            12 => Value::F64(f64::from_le_bytes(self.array()?)),
            other => return Err(ReadError::Invalid(format!("unknown value type {other}"))),
        })
    }
}

/// Reads the header from the first bytes of a GGUF file.
pub fn read_header(bytes: &[u8]) -> Result<Header, ReadError> {
    let mut r = Reader { bytes, pos: 0, kept: 0 };
    if r.array::<4>()? != MAGIC {
        return Err(ReadError::Invalid("it does not start with GGUF".into()));
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(ReadError::Invalid(format!("version {version}; versions 2 and 3 are known")));
    }
    let n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    if n_tensors > MAX_TENSORS {
        return Err(ReadError::Invalid(format!("{n_tensors} tensors")));
    }
    if n_kv > MAX_KV {
        return Err(ReadError::Invalid(format!("{n_kv} metadata entries")));
    }
    let mut metadata = Vec::new();
    for _ in 0..n_kv {
        let key = r.string()?;
        let tag = r.u32()?;
        let value = r.value(tag, 0)?;
        metadata.push((key, value));
    }
    let alignment = match metadata.iter().find(|(k, _)| k == "general.alignment").map(|(_, v)| v.as_u64()) {
        None => DEFAULT_ALIGNMENT,
        Some(Some(a)) if a > 0 && a.is_power_of_two() && a <= 1 << 20 => a,
        Some(_) => return Err(ReadError::Invalid("general.alignment is not a power of two".into())),
    };
    let mut tensors = Vec::new();
    for _ in 0..n_tensors {
        let name = r.string()?;
        let n_dims = r.u32()?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(ReadError::Invalid(format!("tensor {name} has {n_dims} dimensions")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64()?);
        }
        let type_id = r.u32()?;
        let offset = r.u64()?;
        let t = TensorInfo { name, dims, type_id, offset };
        if t.elements().is_none() {
            return Err(ReadError::Invalid(format!("tensor {} is too large", t.name)));
        }
        tensors.push(t);
    }
    let data_offset = (r.pos as u64).div_ceil(alignment) * alignment;
    Ok(Header { version, metadata, tensors, alignment, data_offset })
}

/// Writes values in GGUF encoding.
struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn string(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::U8(x) => self.out.push(*x),
            Value::I8(x) => self.out.push(*x as u8),
            Value::U16(x) => self.out.extend_from_slice(&x.to_le_bytes()),
            Value::I16(x) => self.out.extend_from_slice(&x.to_le_bytes()),
            Value::U32(x) => self.u32(*x),
            Value::I32(x) => self.out.extend_from_slice(&x.to_le_bytes()),
            Value::F32(x) => self.out.extend_from_slice(&x.to_le_bytes()),
            Value::Bool(x) => self.out.push(u8::from(*x)),
            Value::Str(s) => self.string(s),
            Value::Array(a) => {
                self.u32(a.elem_type);
                self.u64(a.items.len() as u64);
                for item in &a.items {
                    self.value(item);
                }
            }
            Value::U64(x) => self.u64(*x),
            Value::I64(x) => self.out.extend_from_slice(&x.to_le_bytes()),
            Value::F64(x) => self.out.extend_from_slice(&x.to_le_bytes()),
        }
    }
}

/// A tensor to write: name, `ne` and type; offsets are assigned in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
}

/// The header bytes of a GGUF file holding `tensors` (each at the next
/// aligned offset, as `gguf_add_tensor` places them) and the total file
/// length. Writing the header and extending the file to that length (a hole,
/// on a sparse file system) gives a file llama.cpp can size without weights.
pub fn write_header(metadata: &[(String, Value)], tensors: &[NewTensor]) -> Result<(Vec<u8>, u64), String> {
    let mut w = Writer { out: Vec::new() };
    w.out.extend_from_slice(&MAGIC);
    w.u32(3);
    w.u64(tensors.len() as u64);
    w.u64(metadata.len() as u64);
    for (k, v) in metadata {
        w.string(k);
        w.u32(v.type_tag());
        w.value(v);
    }
    let mut offset = 0u64;
    for t in tensors {
        w.string(&t.name);
        w.u32(t.dims.len() as u32);
        for d in &t.dims {
            w.u64(*d);
        }
        w.u32(t.ggml_type.id());
        w.u64(offset);
        let info = TensorInfo { name: t.name.clone(), dims: t.dims.clone(), type_id: t.ggml_type.id(), offset };
        let bytes = info.bytes().ok_or_else(|| format!("{}: rows do not fit {} blocks", t.name, t.ggml_type.name()))?;
        offset = (offset + bytes).div_ceil(DEFAULT_ALIGNMENT) * DEFAULT_ALIGNMENT;
    }
    let header_len = (w.out.len() as u64).div_ceil(DEFAULT_ALIGNMENT) * DEFAULT_ALIGNMENT;
    w.out.resize(header_len as usize, 0);
    Ok((w.out, header_len + offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, u64) {
        let meta = vec![
            ("general.architecture".to_string(), Value::Str("llama".into())),
            ("llama.block_count".to_string(), Value::U32(2)),
            (
                "llama.attention.head_count_kv".to_string(),
                Value::Array(ArrayValue { elem_type: 4, len: 2, items: vec![Value::U32(8), Value::U32(2)] }),
            ),
        ];
        let tensors = vec![
            NewTensor { name: "token_embd.weight".into(), dims: vec![64, 100], ggml_type: GgmlType::Q8_0 },
            NewTensor { name: "output_norm.weight".into(), dims: vec![64], ggml_type: GgmlType::F32 },
        ];
        write_header(&meta, &tensors).unwrap()
    }

    /// What the writer writes, the reader reads back; offsets are aligned.
    #[test]
    fn round_trip() {
        let (bytes, len) = sample();
        let h = read_header(&bytes).unwrap();
        assert_eq!(h.architecture(), Some("llama"));
        assert_eq!(h.tensors.len(), 2);
        // 100 rows × 2 blocks × 34 bytes = 6,800, padded to 6,816.
        assert_eq!(h.tensors[0].bytes(), Some(6800));
        assert_eq!(h.tensors[1].offset, 6816);
        assert_eq!(h.data_offset as usize, bytes.len());
        assert_eq!(len, h.data_offset + 6816 + 256);
        assert_eq!(h.implied_file_len(), Some(len));
        match h.get("llama.attention.head_count_kv") {
            Some(Value::Array(a)) => assert_eq!(a.items, vec![Value::U32(8), Value::U32(2)]),
            other => panic!("{other:?}"),
        }
    }

    /// A truncated header asks for more; garbage is rejected, never a panic.
    #[test]
    fn truncated_and_hostile() {
        let (bytes, _) = sample();
        let full = read_header(&bytes).unwrap();
        for cut in 0..bytes.len() {
            match read_header(&bytes[..cut]) {
                Err(ReadError::NeedMore(n)) => assert!(n > cut as u64),
                // Cut inside the padding after the tensor table: all was read.
                Ok(h) => assert_eq!(h, full, "cut at {cut}"),
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        assert!(matches!(read_header(b"GGML...."), Err(ReadError::Invalid(_))));
        // A tensor count of 2^63 and a string length of 2^62 are refused up front.
        let mut huge = b"GGUF".to_vec();
        huge.extend_from_slice(&3u32.to_le_bytes());
        huge.extend_from_slice(&(1u64 << 63).to_le_bytes());
        huge.extend_from_slice(&0u64.to_le_bytes());
        assert!(matches!(read_header(&huge), Err(ReadError::Invalid(_))));
        let mut long = b"GGUF".to_vec();
        long.extend_from_slice(&3u32.to_le_bytes());
        long.extend_from_slice(&0u64.to_le_bytes());
        long.extend_from_slice(&1u64.to_le_bytes());
        long.extend_from_slice(&(1u64 << 62).to_le_bytes());
        assert!(matches!(read_header(&long), Err(ReadError::Invalid(_))));
    }
}

//! `llmem inspect`: what a checkpoint file stores, read from its header
//! alone (a `.gguf`, a `.safetensors`, or a `model.safetensors.index.json`),
//! every tensor priced at the type it is stored in. The multi-gigabyte body
//! is never read: the reader asks for more bytes only while the header runs
//! past what it was given, up to the formats' own limits.

use llmem_estimator::{
    gguf_file,
    safetensors::{read_index, read_safetensors, summarize_gguf, CheckpointSummary, ReadError},
    units::{format_bytes, group_thousands, trimmed, UnitSystem},
};
use serde_json::json;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The most of a file read for its header: GGUF headers carry the whole
/// tokenizer (a few to tens of MB); safetensors allows 100 MB.
const MAX_READ: u64 = 256 << 20;

/// The first `n` bytes of `file` (or all of it, if shorter).
fn head(file: &mut std::fs::File, n: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    file.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads just enough of the file for `parse`, growing the read while the
/// header asks for more.
fn read_growing<T>(path: &Path, len: u64, mut parse: impl FnMut(&[u8]) -> Result<T, ReadError>) -> Result<T, String> {
    let shown = path.display();
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut want = len.min(1 << 20);
    loop {
        let bytes = head(&mut file, want).map_err(|e| format!("cannot read {shown}: {e}"))?;
        match parse(&bytes) {
            Ok(v) => return Ok(v),
            Err(ReadError::NeedMore(n)) if n > len => {
                return Err(format!("{shown}: the header needs {n} bytes but the file has {len}: is it truncated?"))
            }
            Err(ReadError::NeedMore(n)) if n > MAX_READ => {
                return Err(format!("{shown}: a header of more than {} MiB is not read", MAX_READ >> 20))
            }
            Err(ReadError::NeedMore(n)) if n > want => want = n,
            Err(ReadError::NeedMore(_)) => return Err(format!("{shown}: the header does not end")),
            Err(ReadError::Invalid(why)) => return Err(format!("{shown}: {why}")),
        }
    }
}

/// `e`, saying which format the file failed to be.
fn naming(format: &str) -> impl Fn(ReadError) -> ReadError + '_ {
    move |e| match e {
        ReadError::Invalid(why) => ReadError::Invalid(format!("not a valid {format} file: {why}")),
        more => more,
    }
}

/// `llmem inspect FILE [--json] [--tensors]`.
pub fn run(path: &str, json: bool, tensors: bool) -> Result<String, String> {
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{path} is not a file"));
    }
    let len = meta.len();
    if path.ends_with(".json") {
        if len > llmem_estimator::safetensors::MAX_HEADER {
            return Err(format!("{path} is {len} bytes; an index is far smaller"));
        }
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {path}: {e}"))?;
        let i = read_index(&text).map_err(|e| format!("{path}: {e}"))?;
        return Ok(if json {
            json!({ "format": "safetensors index", "total_size": i.total_size, "tensors": i.tensors, "shards": i.shards })
                .to_string()
        } else {
            format!(
                "{path}: a sharded safetensors checkpoint's index\n  tensors       {}\n  shards        {}\n  tensor bytes  {} ({})\n  (the index has no dtypes or shapes: inspect a shard for those)",
                group_thousands(i.tensors),
                i.shards.len(),
                format_bytes(i.total_size, UnitSystem::Decimal),
                format_bytes(i.total_size, UnitSystem::Binary),
            )
        });
    }
    let mut file = std::fs::File::open(p).map_err(|e| format!("cannot read {path}: {e}"))?;
    let magic = head(&mut file, 4).map_err(|e| format!("cannot read {path}: {e}"))?;
    let s: CheckpointSummary = if magic == b"GGUF" {
        read_growing(p, len, |b| summarize_gguf(&gguf_file::read_header(b)?).map_err(naming("GGUF")))?
    } else {
        read_growing(p, len, |b| read_safetensors(b, Some(len)).map_err(naming("safetensors")))?
    };
    if json {
        let mut v = serde_json::to_value(&s).map_err(|e| e.to_string())?;
        if !tensors {
            if let Some(o) = v.as_object_mut() {
                o.remove("tensors");
            }
        }
        v["file_bytes"] = json!(len);
        return Ok(v.to_string());
    }
    let mut out = format!(
        "{path}: {}{}, {} tensors\n  parameters     {}\n  tensor bytes   {} ({}), {} bits per parameter\n  header         {}\n  by stored type:",
        s.format,
        s.architecture.as_deref().map(|a| format!(" ({a})")).unwrap_or_default(),
        group_thousands(s.tensors.len() as u64),
        group_thousands(s.elements),
        format_bytes(s.bytes, UnitSystem::Decimal),
        format_bytes(s.bytes, UnitSystem::Binary),
        trimmed(s.bits_per_element, 2),
        format_bytes(s.header_bytes, UnitSystem::Decimal),
    );
    for t in &s.by_type {
        out += &format!(
            "\n    {:<9} {:>6} tensors  {:>17} params  {:>10}",
            t.dtype,
            group_thousands(t.tensors),
            group_thousands(t.elements),
            format_bytes(t.bytes, UnitSystem::Decimal)
        );
    }
    if tensors {
        for t in &s.tensors {
            out +=
                &format!("\n  {}  {} {:?}  {}", t.name, t.dtype, t.shape, format_bytes(t.bytes, UnitSystem::Decimal));
        }
    }
    Ok(out)
}

//! `llmem inspect`: what a checkpoint file stores, read from its header
//! alone (a `.gguf`, a `.safetensors`, or a `model.safetensors.index.json`),
//! every tensor priced at the type it is stored in. The multi-gigabyte body
//! is never read: the reader asks for more bytes only while the header runs
//! past what it was given, up to the formats' own limits.

use llmem_estimator::{
    safetensors::{
        next_read, read_checkpoint, read_index, CheckpointHead, CheckpointSummary, NextRead, ReadError, FIRST_READ,
    },
    units::{format_bytes, group_thousands, trimmed, UnitSystem},
};
use serde_json::json;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The first `n` bytes of `file` (or all of it, if shorter).
fn head(file: &mut std::fs::File, n: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    file.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads just enough of the file for `parse`, growing the read while the
/// header asks for more ([`next_read`], as the calculator's reader does).
fn read_growing<T>(path: &Path, len: u64, mut parse: impl FnMut(&[u8]) -> Result<T, ReadError>) -> Result<T, String> {
    let shown = path.display();
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut want = len.min(FIRST_READ);
    loop {
        let bytes = head(&mut file, want).map_err(|e| format!("cannot read {shown}: {e}"))?;
        match next_read(parse(&bytes), bytes.len() as u64, len) {
            NextRead::Done(v) => return Ok(v),
            NextRead::More(n) => want = n,
            NextRead::Fail(why) => return Err(format!("{shown}: {why}")),
        }
    }
}

/// The header of a `.gguf` or `.safetensors` file.
fn read_head(path: &Path) -> Result<(CheckpointHead, u64), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let len = meta.len();
    Ok((read_growing(path, len, |b| read_checkpoint(b, len))?, len))
}

/// The weights a checkpoint file stores, for `llmem fit`: the bytes of
/// every tensor (a `.gguf`, a `.safetensors`, or a sharded checkpoint's
/// `model.safetensors.index.json`, whose `total_size` covers every shard),
/// and for a GGUF the model its metadata describes.
pub fn weights_file(path: &str) -> Result<(u64, Option<llmem_estimator::ModelArch>), String> {
    if path.ends_with(".json") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        return Ok((read_index(&text).map_err(|e| format!("{path}: {e}"))?.total_size, None));
    }
    let (head, _) = read_head(Path::new(path))?;
    let arch = match head.config {
        None => None,
        Some(config) => {
            let config = config.map_err(|why| format!("{path}: {why}"))?;
            Some(llmem_estimator::config::parse_config_value(&config).map_err(|e| format!("{path}: {e}"))?)
        }
    };
    Ok((head.summary.bytes, arch))
}

/// A `.gguf` file as a model: the configuration its metadata describes and
/// its tensors as its header lists them, for `llmem serve` (llama.cpp then
/// sizes that very file).
pub fn gguf_model(
    path: &str,
) -> Result<(llmem_estimator::ModelArch, Vec<llmem_estimator::safetensors::StoredTensor>), String> {
    let (head, _) = read_head(Path::new(path))?;
    if head.summary.format != "gguf" {
        return Err(format!("{path}: not a GGUF file"));
    }
    let config =
        head.config.ok_or_else(|| format!("{path}: not a GGUF file"))?.map_err(|why| format!("{path}: {why}"))?;
    let arch = llmem_estimator::config::parse_config_value(&config).map_err(|e| format!("{path}: {e}"))?;
    Ok((arch, head.summary.tensors))
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
    let head = read_head(p)?.0;
    let s: CheckpointSummary = head.summary;
    // A GGUF's model, as its metadata describes it (a config.json's fields).
    let model = head.config.map(|c| {
        c.and_then(|c| {
            let arch = llmem_estimator::config::parse_config_value(&c).map_err(|e| e.to_string())?;
            Ok((c, arch))
        })
    });
    if json {
        let mut v = serde_json::to_value(&s).map_err(|e| e.to_string())?;
        match &model {
            Some(Ok((config, _))) => v["config"] = config.clone(),
            Some(Err(why)) => v["config_error"] = json!(why),
            None => {}
        }
        if !tensors {
            if let Some(o) = v.as_object_mut() {
                o.remove("tensors");
            }
        }
        v["file_bytes"] = json!(len);
        return Ok(v.to_string());
    }
    let mut out = format!(
        "{path}: {}{}, {} tensors\n  parameters     {}\n  tensor bytes   {} ({}), {} bits per parameter\n  header         {}",
        s.format,
        s.architecture.as_deref().map(|a| format!(" ({a})")).unwrap_or_default(),
        group_thousands(s.tensors.len() as u64),
        group_thousands(s.elements),
        format_bytes(s.bytes, UnitSystem::Decimal),
        format_bytes(s.bytes, UnitSystem::Binary),
        trimmed(s.bits_per_element, 2),
        format_bytes(s.header_bytes, UnitSystem::Decimal),
    );
    match &model {
        Some(Ok((_, arch))) => {
            out += &format!(
                "\n  model          {}, {} layers, {} (from its metadata)",
                arch.family.model_type(),
                arch.num_layers,
                arch.attention_label()
            )
        }
        Some(Err(why)) => out += &format!("\n  model          not read: {why}"),
        None => {}
    }
    out += "\n  by stored type:";
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

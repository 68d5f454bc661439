//! Arbitrary bytes as the start of a checkpoint file (GGUF, safetensors, a
//! safetensors index): every reader returns Ok or Err quickly, never
//! panics, and never allocates for sizes the bytes do not hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmem_estimator::{gguf_file, safetensors};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = gguf_file::read_header(data) {
        if let Ok(s) = safetensors::summarize_gguf(&h) {
            assert!(s.bits_per_element.is_finite());
        }
        let _ = h.implied_file_len();
    }
    for len in [None, Some(data.len() as u64), Some(u64::MAX)] {
        if let Ok(s) = safetensors::read_safetensors(data, len) {
            assert!(s.bytes >= s.by_type.iter().map(|t| t.bytes).max().unwrap_or(0));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = safetensors::read_index(text);
    }
});

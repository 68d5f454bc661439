//! Partial offload in llama.cpp: with `--n-gpu-layers N` the last `N`
//! layers live in GPU memory and the rest stay in host RAM, where the CPU
//! backend runs them. Where each byte lives is [`super::llama_cpp`]'s split
//! (checked against real llama.cpp); how long a decode step takes at batch 1
//! follows from it, because every token reads each layer's weights and KV
//! cache once, from wherever they are:
//!
//! `t = (GPU weights + GPU KV) / GPU bandwidth + (host weights + host KV) / host bandwidth`
//!
//! the memory roof of the roofline model (Williams, Waterman & Patterson
//! 2009, "Roofline", CACM 52(4)) applied to each side, as in
//! [`crate::hardware::stream_race`]. A token reads one row of the embedding
//! table, not all of it (`ggml_get_rows`), so the table counts only when
//! the model ties its output to it. This is a ceiling: the CPU side of
//! llama.cpp reaches well under its peak bandwidth, and the activations that
//! cross PCIe between the two sides (a few kilobytes a token) are ignored.

use super::gguf_layout::{layout, FileType};
use super::llama_cpp::{llama_cpp_placed, LlamaCppParams, LlamaCppReport};
use crate::arch::ModelArch;
use crate::error::Result;
use crate::formula::{add, div, num, var, Formula, Unit};
use crate::hardware::{stream_seconds, Device};
use serde::Serialize;

/// One `--n-gpu-layers` setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffloadStep {
    pub n_gpu_layers: u64,
    pub report: LlamaCppReport,
    /// Bytes a token reads from GPU memory and from host RAM.
    pub gpu_read: u64,
    pub host_read: u64,
    pub gpu_seconds: f64,
    pub host_seconds: f64,
    /// Whether the GPU side (weights, KV, compute buffer) fits the GPU.
    pub fits: bool,
}

impl OffloadStep {
    pub fn seconds(&self) -> f64 {
        self.gpu_seconds + self.host_seconds
    }

    pub fn tokens_per_second(&self) -> f64 {
        let s = self.seconds();
        if s > 0.0 {
            1.0 / s
        } else {
            0.0
        }
    }

    /// The formula behind [`OffloadStep::tokens_per_second`] with the GPU's
    /// and the host's bandwidths (module docs: each side's memory roof).
    pub fn formula(&self, gpu: &Device, host: &Device) -> Formula {
        let side = |bytes: u64, bw: f64, b: [&'static str; 4]| {
            div(var(b[0], b[1], bytes as f64, Unit::Bytes), var(b[2], b[3], bw, Unit::Rate))
        };
        Formula::new(
            "Decode ceiling",
            div(
                num(1.0),
                add(vec![
                    side(self.gpu_read, gpu.bandwidth, ["G", "bytes a token reads from GPU memory (weights and KV of the offloaded layers)", "B_gpu", "GPU memory bandwidth"]),
                    side(self.host_read, host.bandwidth, ["H", "bytes a token reads from host RAM (the other layers)", "B_host", "host RAM bandwidth"]),
                ]),
            ),
            Unit::TokensPerSecond(1),
            format!(
                "llama.cpp's --n-gpu-layers split (llama_model::load_tensors, src/llama-model.cpp; checked against llama.cpp); Williams et al. 2009, Roofline; devices: {}; {}",
                gpu.source(), host.source()
            ),
        )
    }

    /// GPU memory the run takes.
    pub fn gpu_bytes(&self) -> u64 {
        self.report.model.device + self.report.kv.device + self.report.compute.device
    }

    /// Host RAM the run takes (model, KV, compute and output buffers).
    pub fn host_bytes(&self) -> u64 {
        self.report.model.host + self.report.kv.host + self.report.compute.host + self.report.output_bytes
    }
}

/// Every `--n-gpu-layers` from 0 to one past the last layer (which also
/// offloads the output layer), for `arch` stored as `ftype` with `context`
/// tokens of f16 cache and flash attention.
pub fn offload_sweep(
    arch: &ModelArch,
    ftype: FileType,
    context: u64,
    gpu: &Device,
    host: &Device,
) -> Result<Vec<OffloadStep>> {
    let l = layout(arch, ftype)?;
    // The embedding table's share that a token does not read.
    let embed = l.tensors.iter().find(|t| t.name == "token_embd.weight").map_or(0, |t| t.bytes());
    let unread = if arch.tie_word_embeddings { 0 } else { embed.saturating_sub(embed / arch.vocab_size.max(1)) };
    // The graph, and so the compute buffer, is the same for every split.
    let mut known = None;
    (0..=arch.num_layers + 1)
        .map(|n| {
            let p = LlamaCppParams { n_ctx: context, flash_attn: true, n_gpu_layers: n, ..LlamaCppParams::default() };
            let report = llama_cpp_placed(arch, &l, &p, known)?;
            known = Some(report.compute_buffer());
            let gpu_read = report.model.device + report.kv.device;
            let host_read = (report.model.host + report.kv.host).saturating_sub(unread);
            let fits = report.model.device + report.kv.device + report.compute.device <= gpu.gpu_budget_bytes();
            Ok(OffloadStep {
                n_gpu_layers: n,
                gpu_read,
                host_read,
                gpu_seconds: stream_seconds(gpu_read, gpu.bandwidth),
                host_seconds: stream_seconds(host_read, host.bandwidth),
                fits,
                report,
            })
        })
        .collect()
}

/// The most layers that fit (the best setting), if even one does.
pub fn most_that_fit(sweep: &[OffloadStep]) -> Option<&OffloadStep> {
    sweep.iter().rev().find(|s| s.fits && s.n_gpu_layers > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::{device, HOST_CPU};
    use crate::presets::preset;

    /// Llama 3.1 70B in Q4_K_M on an RTX 4090 and a dual-channel DDR5
    /// desktop: it cannot all fit in 24 GB, so part runs from host RAM, and
    /// the host side dominates the time per token.
    #[test]
    fn seventy_b_on_a_4090() {
        let arch = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let gpu = device("rtx-4090").unwrap();
        let s = offload_sweep(&arch, FileType::Q4KM, 8192, gpu, &HOST_CPU).unwrap();
        assert_eq!(s.len(), 82);
        // Everything on the host: no GPU bytes; every layer's weights and
        // cache and the output layer read from RAM at 89.6 GB/s.
        assert_eq!(s[0].gpu_read, 0);
        assert_eq!(s[0].report.model.device, 0);
        let all = s.last().unwrap();
        assert!(!all.fits);
        // All on the GPU, the host still serves one embedding row (8,192
        // weights in Q4_K: 4,608 bytes) and RoPE's 64 frequency factors.
        assert_eq!(all.host_read, 4608 + 256);
        let best = most_that_fit(&s).unwrap();
        assert!(best.n_gpu_layers > 30 && best.n_gpu_layers < 50, "{}", best.n_gpu_layers);
        assert!(best.host_seconds > best.gpu_seconds);
        // Each layer moved to the GPU makes a token faster.
        assert!(s.windows(2).all(|w| w[1].seconds() <= w[0].seconds()));
        // The GPU side of the best setting fits the 4090's budget and one more layer does not.
        assert!(best.gpu_bytes() <= gpu.gpu_budget_bytes());
        assert!(!s[best.n_gpu_layers as usize + 1].fits);
    }

    /// Llama 3.1 8B in Q4_K_M fits whole: the fastest setting is all layers
    /// and the output on the GPU, and nothing is read from the host but one
    /// embedding row and the RoPE frequency factors (64 f32).
    #[test]
    fn eight_b_fits_whole() {
        let arch = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let gpu = device("rtx-4090").unwrap();
        let s = offload_sweep(&arch, FileType::Q4KM, 8192, gpu, &HOST_CPU).unwrap();
        let best = most_that_fit(&s).unwrap();
        assert_eq!(best.n_gpu_layers, 33);
        let embed_row = layout(&arch, FileType::Q4KM).unwrap().tensors[0].bytes() / 128_256;
        assert_eq!(best.host_read, embed_row + 256);
    }
}

//! Real devices and the memory hierarchy, each figure with its source.
//!
//! Capacities are the bytes the driver reports (`nvidia-smi`, `rocm-smi`),
//! not the rounded marketing figure: an "80 GB" H100 reports 81,559 MiB =
//! 85,520,809,984 bytes. Bandwidths and throughputs are the vendor's
//! datasheet figures; throughputs are dense (the datasheets' 2:4-sparse
//! figures halved).

use crate::formula::{add, div, var, Formula, Unit};
use serde::Serialize;

/// How the device reaches host memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostLink {
    /// PCIe 4.0 x16: 16 GT/s × 16 lanes × 128/130 encoding = 31.5 GB/s per direction
    /// (PCI-SIG PCIe 4.0 base specification).
    PcieGen4,
    /// PCIe 5.0 x16: 32 GT/s × 16 × 128/130 = 63.0 GB/s per direction (PCI-SIG
    /// PCIe 5.0 release: "up to 128 GB/s via x16", both directions).
    PcieGen5,
    /// CPU and GPU share one pool (Apple silicon unified memory).
    Unified,
    /// No accelerator: the "device" is the host CPU and its RAM.
    Host,
}

impl HostLink {
    /// Bytes per second one way.
    pub fn bandwidth(self) -> Option<f64> {
        match self {
            HostLink::PcieGen4 => Some(16e9 * 16.0 * 128.0 / 130.0 / 8.0),
            HostLink::PcieGen5 => Some(32e9 * 16.0 * 128.0 / 130.0 / 8.0),
            HostLink::Unified | HostLink::Host => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HostLink::PcieGen4 => "PCIe 4.0 x16",
            HostLink::PcieGen5 => "PCIe 5.0 x16",
            HostLink::Unified => "unified memory",
            HostLink::Host => "host memory",
        }
    }
}

/// An accelerator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Device {
    pub id: &'static str,
    pub name: &'static str,
    /// Memory as marketed, for display ("80 GB").
    pub marketed: &'static str,
    /// Total device memory in bytes, as the driver reports it.
    pub capacity_bytes: u64,
    /// Memory type (HBM3, GDDR6X, LPDDR5…).
    pub memory_kind: &'static str,
    /// Peak memory bandwidth, bytes/s.
    pub bandwidth: f64,
    /// Peak dense BF16 tensor throughput, FLOP/s; `None` where the vendor publishes none.
    pub bf16_flops: Option<f64>,
    /// Aggregate on-chip shared memory / SRAM, bytes.
    pub sram_bytes: Option<u64>,
    /// Aggregate on-chip SRAM bandwidth, bytes/s, where a published figure exists.
    pub sram_bandwidth: Option<f64>,
    pub host_link: HostLink,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const KIB: u64 = 1 << 10;

/// The devices we model.
pub const DEVICES: &[Device] = &[
    Device {
        id: "rtx-4090",
        name: "NVIDIA GeForce RTX 4090",
        marketed: "24 GB",
        capacity_bytes: 24_564 * MIB,
        memory_kind: "GDDR6X",
        bandwidth: 1008e9,
        // BF16 exists only with FP32 accumulate on GeForce: half the FP16/FP16-accumulate rate.
        bf16_flops: Some(165.2e12),
        sram_bytes: Some(128 * 100 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "a100-40gb",
        name: "NVIDIA A100 40GB SXM",
        marketed: "40 GB",
        capacity_bytes: 40_960 * MIB,
        memory_kind: "HBM2",
        bandwidth: 1555e9,
        bf16_flops: Some(312e12),
        sram_bytes: Some(108 * 192 * KIB),
        sram_bandwidth: Some(19e12),
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "a100-80gb",
        name: "NVIDIA A100 80GB SXM",
        marketed: "80 GB",
        capacity_bytes: 81_920 * MIB,
        memory_kind: "HBM2e",
        bandwidth: 2039e9,
        bf16_flops: Some(312e12),
        sram_bytes: Some(108 * 192 * KIB),
        sram_bandwidth: Some(19e12),
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "h100-sxm",
        name: "NVIDIA H100 SXM 80GB",
        marketed: "80 GB",
        capacity_bytes: 81_559 * MIB,
        memory_kind: "HBM3",
        bandwidth: 3.35e12,
        bf16_flops: Some(989.5e12),
        sram_bytes: Some(132 * 228 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "h200",
        name: "NVIDIA H200 SXM 141GB",
        marketed: "141 GB",
        capacity_bytes: 143_771 * MIB,
        memory_kind: "HBM3e",
        bandwidth: 4.8e12,
        bf16_flops: Some(989.5e12),
        sram_bytes: Some(132 * 228 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "b200",
        name: "NVIDIA B200",
        marketed: "180 GB",
        capacity_bytes: 183_359 * MIB,
        memory_kind: "HBM3e",
        bandwidth: 8e12,
        bf16_flops: Some(2250e12),
        sram_bytes: Some(148 * 228 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "mi300x",
        name: "AMD Instinct MI300X",
        marketed: "192 GB",
        capacity_bytes: 206_141_652_992,
        memory_kind: "HBM3",
        bandwidth: 5.3e12,
        bf16_flops: Some(1307.4e12),
        sram_bytes: Some(304 * 64 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "mi325x",
        name: "AMD Instinct MI325X",
        marketed: "256 GB",
        capacity_bytes: 256 * GIB - 16 * MIB,
        memory_kind: "HBM3E",
        bandwidth: 6e12,
        bf16_flops: Some(1307.4e12),
        sram_bytes: Some(304 * 64 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "l40s",
        name: "NVIDIA L40S",
        marketed: "48 GB",
        capacity_bytes: 46_068 * MIB,
        memory_kind: "GDDR6",
        bandwidth: 864e9,
        bf16_flops: Some(362.05e12),
        sram_bytes: Some(142 * 100 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "rtx-5090",
        name: "NVIDIA GeForce RTX 5090",
        marketed: "32 GB",
        capacity_bytes: 32_607 * MIB,
        memory_kind: "GDDR7",
        bandwidth: 1792e9,
        bf16_flops: Some(209.5e12),
        sram_bytes: Some(170 * 128 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen5,
    },
    Device {
        id: "a10g",
        name: "NVIDIA A10G (AWS)",
        marketed: "24 GB",
        capacity_bytes: 23_028 * MIB,
        memory_kind: "GDDR6",
        bandwidth: 600e9,
        bf16_flops: Some(125e12),
        sram_bytes: Some(80 * 128 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "t4",
        name: "NVIDIA T4",
        marketed: "16 GB",
        capacity_bytes: 15_360 * MIB,
        memory_kind: "GDDR6",
        bandwidth: 320e9,
        bf16_flops: None,
        sram_bytes: Some(40 * 64 * KIB),
        sram_bandwidth: None,
        host_link: HostLink::PcieGen4,
    },
    Device {
        id: "mac-16gb",
        name: "Apple M4 (16 GB)",
        marketed: "16 GB",
        capacity_bytes: 16 * GIB,
        memory_kind: "LPDDR5X unified",
        bandwidth: 120e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
    Device {
        id: "mac-36gb",
        name: "Apple M3 Pro (36 GB)",
        marketed: "36 GB",
        capacity_bytes: 36 * GIB,
        memory_kind: "LPDDR5 unified",
        bandwidth: 150e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
    Device {
        id: "mac-64gb",
        name: "Apple M4 Pro (64 GB)",
        marketed: "64 GB",
        capacity_bytes: 64 * GIB,
        memory_kind: "LPDDR5X unified",
        bandwidth: 273e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
    Device {
        id: "m2-ultra",
        name: "Apple M2 Ultra (192 GB)",
        marketed: "192 GB",
        capacity_bytes: 192 * GIB,
        memory_kind: "LPDDR5 unified",
        bandwidth: 800e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
    Device {
        id: "m3-max",
        name: "Apple M3 Max (128 GB)",
        marketed: "128 GB",
        capacity_bytes: 128 * GIB,
        memory_kind: "LPDDR5 unified",
        bandwidth: 400e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
    Device {
        id: "m4-max",
        name: "Apple M4 Max (128 GB)",
        marketed: "128 GB",
        capacity_bytes: 128 * GIB,
        memory_kind: "LPDDR5X unified",
        bandwidth: 546e9,
        bf16_flops: None,
        sram_bytes: None,
        sram_bandwidth: None,
        host_link: HostLink::Unified,
    },
];

/// Where each device's figures come from ([`Device::source`]), by device id.
///
/// Apart from [`DEVICES`] so that a wasm bundle carries the citations (some
/// 1.5 KiB of gzip) only when a figure in it calls [`Device::source`]: the
/// devices themselves are reached by nearly every figure, and the linker
/// keeps a table only if code reaches it.
pub const DEVICE_SOURCES: &[(&str, &str)] = &[
    (
        "rtx-4090",
        "NVIDIA Ada GPU Architecture whitepaper v2.1, Appendix A Table 2 (1008 GB/s; \
                 BF16 with FP32 accumulate 165.2 TFLOPS dense; 128 SMs); Ada tuning guide \
                 §1.4.1.1 (100 KB shared memory per SM); nvidia-smi reports 24564 MiB \
                 (vllm-project/vllm #7768)",
    ),
    (
        "a100-40gb",
        "NVIDIA A100 datasheet (1,555 GB/s; BF16 312 TFLOPS dense); FlashAttention \
                 (Dao et al. 2022, arXiv 2205.14135) §2.1: 192 KB SRAM per each of 108 SMs, \
                 ~19 TB/s estimated; nvidia-smi reports 40960 MiB (modal-labs/modal-client #2797)",
    ),
    (
        "a100-80gb",
        "NVIDIA A100 datasheet (2,039 GB/s; BF16 312 TFLOPS dense); FlashAttention \
                 §2.1 (SRAM); nvidia-smi reports 81920 MiB (modal-labs/modal-client #2797)",
    ),
    (
        "h100-sxm",
        "NVIDIA H100 datasheet (3.35 TB/s; BF16 1,979 TFLOPS with sparsity → 989.5 \
                 dense); Hopper tuning guide §1.4.1.1 (228 KB shared memory per SM, 132 SMs); \
                 nvidia-smi reports 81559 MiB (NVIDIA/nccl #1264)",
    ),
    (
        "h200",
        "NVIDIA H200 product page (141 GB HBM3e, 4.8 TB/s, BF16 1,979 TFLOPS with \
                 sparsity); nvidia-smi reports 143771 MiB (sgl-project/sglang #3196)",
    ),
    (
        "b200",
        "NVIDIA HGX B200 specifications (180 GB, 8 TB/s, BF16 4.5 PFLOPS with sparsity \
                 → 2.25 dense); nvidia-smi reports 183359 MiB = 192.3 GB decimal, which is why \
                 it is also quoted as 192 GB (NVIDIA/TensorRT-LLM #10278)",
    ),
    (
        "mi300x",
        "AMD Instinct MI300X data sheet (192 GB HBM3, 5.3 TB/s, 1307.4 TFLOPS BF16 \
                 dense, footnote MI300-18); ROCm GPU specifications (304 CUs × 64 KiB LDS); \
                 rocm-smi reports 206,141,652,992 B (ROCm issue #4750)",
    ),
    (
        "mi325x",
        "AMD Instinct MI325X data sheet (256 GB HBM3E, 6 TB/s, 1307.4 TFLOPS BF16 dense); the same 304-CU die as the MI300X; capacity less the 16 MiB rocm-smi withholds on the MI300X",
    ),
    (
        "l40s",
        "NVIDIA L40S datasheet (48 GB GDDR6 with ECC, 864 GB/s, BF16 733 TFLOPS with sparsity → 362 dense, 142 SMs); nvidia-smi reports 46068 MiB with ECC on",
    ),
    (
        "rtx-5090",
        "NVIDIA RTX Blackwell GPU architecture whitepaper (32 GB GDDR7, 1,792 GB/s, 170 SMs; FP16/BF16 tensor with FP32 accumulate 209.5 TFLOPS dense); nvidia-smi reports 32607 MiB",
    ),
    (
        "a10g",
        "NVIDIA A10 datasheet (24 GB GDDR6, 600 GB/s, BF16 125 TFLOPS dense; the A10G in AWS G5 instances is its cloud variant); nvidia-smi on a g5 instance reports 23028 MiB",
    ),
    (
        "t4",
        "NVIDIA T4 datasheet (16 GB GDDR6, 320 GB/s, FP16 65 TFLOPS; no BF16: Turing predates it, so bf16 weights need fp16 or fp32 on this card); nvidia-smi reports 15360 MiB",
    ),
    (
        "mac-16gb",
        "Apple Newsroom, 'Apple introduces M4 chip' (7 May 2024): 120GB/s; MacBook Air and Mac mini (2024) ship with 16 GB",
    ),
    (
        "mac-36gb",
        "Apple Newsroom, 'Apple unveils M3, M3 Pro, and M3 Max' (30 Oct 2023): M3 Pro up to 36GB, 150GB/s",
    ),
    (
        "mac-64gb",
        "Apple Newsroom, 'Apple introduces M4 Pro and M4 Max' (30 Oct 2024): M4 Pro up to 64GB, 273GB/s",
    ),
    (
        "m2-ultra",
        "Apple Newsroom, 'Apple introduces M2 Ultra' (5 June 2023): up to 192GB, \
                 800GB/s. Apple publishes no GPU FP16/BF16 throughput; macOS limits how much \
                 unified memory the GPU may wire (iogpu.wired_limit_mb)",
    ),
    (
        "m3-max",
        "Apple Newsroom, 'Apple unveils M3, M3 Pro, and M3 Max' (30 Oct 2023): up to \
                 128GB; MacBook Pro tech specs: 400GB/s (16-core CPU, 40-core GPU)",
    ),
    (
        "m4-max",
        "Apple Newsroom, 'Apple introduces M4 Pro and M4 Max' (30 Oct 2024): up to \
                 128GB with up to 546GB/s",
    ),
    ("cpu", "JEDEC JESD79-5 DDR5-5600, two 64-bit channels: 89.6 GB/s"),
    ("rtx-3080", "NVIDIA GeForce RTX 3080 specifications: 10 GB GDDR6X, 760 GB/s"),
];

impl Device {
    /// Where the device's figures come from ([`DEVICE_SOURCES`]).
    pub fn source(&self) -> &'static str {
        DEVICE_SOURCES.iter().find(|(id, _)| *id == self.id).map_or("", |(_, s)| s)
    }
}

impl Device {
    /// Whether CPU and GPU share this device's memory (Apple silicon).
    pub fn is_unified(&self) -> bool {
        self.host_link == HostLink::Unified
    }

    /// The host CPU and its RAM, no accelerator ([`HOST_CPU`]).
    pub fn is_cpu(&self) -> bool {
        self.host_link == HostLink::Host
    }

    /// How much of the device's memory the GPU may use.
    ///
    /// Discrete GPUs: all of it. Apple silicon: Metal's
    /// `recommendedMaxWorkingSetSize`, which llama.cpp's Metal backend reads
    /// and prints at start-up and which macOS derives from the RAM size: two
    /// thirds of it up to 36 GB (a 16 GB Mac reports 10,922.67 MiB), three
    /// quarters above (a 64 GB Mac reports 49,152 MiB). The limit can be
    /// raised with `sudo sysctl iogpu.wired_limit_mb=…`, at the cost of
    /// memory for everything else.
    pub fn gpu_budget_bytes(&self) -> u64 {
        if !self.is_unified() {
            return self.capacity_bytes;
        }
        if self.capacity_bytes <= 36 * GIB {
            self.capacity_bytes / 3 * 2
        } else {
            self.capacity_bytes / 4 * 3
        }
    }
}

/// Running on the CPU alone (llama.cpp's CPU backend): a desktop with
/// 64 GiB of DDR5-5600 in two channels, 2 × 8 bytes × 5.6 GT/s = 89.6 GB/s
/// peak (JEDEC JESD79-5 DDR5 speed bins; two 64-bit channels, as desktop
/// platforms such as AM5 and LGA1700 have). Not in [`DEVICES`], whose
/// figures are about accelerators; `device("cpu")` finds it.
pub const HOST_CPU: Device = Device {
    id: "cpu",
    name: "CPU (64 GB DDR5 host RAM)",
    marketed: "64 GB",
    capacity_bytes: 64 * GIB,
    memory_kind: "DDR5",
    bandwidth: 2.0 * 8.0 * 5.6e9,
    bf16_flops: None,
    sram_bytes: None,
    sram_bandwidth: None,
    host_link: HostLink::Host,
};

/// The device with this id (case-insensitive): one of [`DEVICES`], or
/// `cpu` for [`HOST_CPU`].
pub fn device(id: &str) -> crate::Result<&'static Device> {
    if id.eq_ignore_ascii_case(HOST_CPU.id) {
        return Ok(&HOST_CPU);
    }
    DEVICES.iter().find(|d| d.id.eq_ignore_ascii_case(id)).ok_or_else(|| crate::EstimateError::UnknownName {
        kind: "device",
        name: id.chars().take(64).collect(),
        known: DEVICES.iter().map(|d| d.id).chain([HOST_CPU.id]).collect::<Vec<_>>().join(", "),
    })
}

/// The default device of the widgets.
pub const DEFAULT_DEVICE: &str = "h100-sxm";

/// A level of the memory hierarchy as seen from one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tier {
    pub id: &'static str,
    pub name: &'static str,
    /// Capacity in bytes.
    pub capacity_bytes: u64,
    /// Bandwidth the device sees reading from this tier, bytes/s.
    pub bandwidth: f64,
    /// What this tier holds when running an LLM.
    pub role: &'static str,
    pub source: String,
}

/// Host DRAM of a typical 8-GPU server: 2 TB (32 × 64 GB DDR5) in NVIDIA's
/// MLPerf Inference v4.1 H200 system (mlcommons/inference_results_v4.1,
/// closed/NVIDIA/systems/H200-SXM-141GBx8_TRT_MaxQ.json).
pub const SERVER_HOST_DRAM: u64 = 2 * 1024 * GIB;

/// Peak DRAM bandwidth of one socket with 8 DDR5-4800 channels:
/// 8 × 8 bytes × 4.8 GT/s = 307.2 GB/s (4th-gen Xeon Scalable: eight DDR5 channels).
pub const SOCKET_DRAM_BANDWIDTH: f64 = 8.0 * 8.0 * 4.8e9;

/// A PCIe 4.0 NVMe SSD's sequential read: 7,450 MB/s (Samsung 990 PRO specifications).
pub const NVME_GEN4_READ: f64 = 7.45e9;
/// A 4 TB NVMe drive.
pub const NVME_CAPACITY: u64 = 4_000_000_000_000;

/// The hierarchy from on-chip SRAM down to NVMe, as `device` sees it.
///
/// Reading host DRAM from a discrete GPU is limited by its PCIe link, not by
/// the DRAM itself, so that tier's bandwidth is the link's. On unified memory
/// the GPU's memory *is* host DRAM, so that tier is left out.
pub fn hierarchy(device: &Device) -> Vec<Tier> {
    let mut tiers = Vec::new();
    if let (Some(bytes), Some(bw)) = (device.sram_bytes, device.sram_bandwidth) {
        tiers.push(Tier {
            id: "sram",
            name: "On-chip SRAM",
            capacity_bytes: bytes,
            bandwidth: bw,
            role: "Shared memory and L1 inside each streaming multiprocessor. Kernels stage tiles of \
                   weights, activations and attention scores here; FlashAttention keeps its whole \
                   working set here so the n×n score matrix never reaches HBM.",
            source: device.source().to_string(),
        });
    } else if let Some(bytes) = device.sram_bytes {
        // Vendors publish no SRAM bandwidth for this part: show the A100
        // estimate, the only published figure, and say so in the role text.
        tiers.push(Tier {
            id: "sram",
            name: "On-chip SRAM",
            capacity_bytes: bytes,
            bandwidth: 19e12,
            role: "Shared memory and L1 inside each streaming multiprocessor. Kernels stage tiles of \
                   weights, activations and attention scores here; FlashAttention keeps its whole \
                   working set here so the n×n score matrix never reaches HBM. Vendors do not \
                   publish its bandwidth; the figure shown is the A100 estimate from the \
                   FlashAttention paper, a lower bound for newer parts.",
            source: format!(
                "capacity: {}; bandwidth: FlashAttention (arXiv 2205.14135) §2.1 A100 estimate",
                device.source()
            ),
        });
    }
    tiers.push(Tier {
        id: "hbm",
        name: match device.host_link {
            HostLink::Unified => "Unified memory",
            HostLink::Host => "Host RAM",
            _ => "Device memory (HBM/VRAM)",
        },
        capacity_bytes: device.capacity_bytes,
        bandwidth: device.bandwidth,
        role: "Holds the weights, the KV cache and activations while the model runs. Every decoded \
               token streams all active weights through here once, so its bandwidth sets the \
               ceiling on tokens per second.",
        source: device.source().to_string(),
    });
    if let Some(link) = device.host_link.bandwidth() {
        tiers.push(Tier {
            id: "dram",
            name: "Host DRAM (over PCIe)",
            capacity_bytes: SERVER_HOST_DRAM,
            bandwidth: link.min(SOCKET_DRAM_BANDWIDTH),
            role: "CPU memory, an order of magnitude larger than the GPU's. Offloading (ZeRO-Offload, \
                   CPU-offloaded layers, swapped-out KV blocks) parks data here, and every byte \
                   comes back over the PCIe link, which is what limits it.",
            source: format!(
                "{}: PCI-SIG specification; capacity: 2 TB host memory of NVIDIA's MLPerf v4.1 \
                 8×H200 system; DRAM: 8 × DDR5-4800 channels = 307.2 GB/s per socket",
                device.host_link.label()
            ),
        });
    }
    tiers.push(Tier {
        id: "nvme",
        name: "NVMe SSD",
        capacity_bytes: NVME_CAPACITY,
        bandwidth: NVME_GEN4_READ,
        role: "Where checkpoints live, and the last resort for offloading (ZeRO-Infinity, \
               llama.cpp memory-mapping a model larger than RAM). Vast and cheap, but reading a \
               whole model from it takes seconds to minutes.",
        source: "Samsung 990 PRO specifications: sequential read up to 7,450 MB/s (PCIe 4.0 x4)".to_string(),
    });
    tiers
}

/// The formula behind [`stream_seconds`] for the weights and a tier: a
/// pass over the weights is bound by the tier's bandwidth (the roofline's
/// memory side; Williams et al. 2009, "Roofline", CACM 52(4)), at the
/// tier's figure from `source`.
pub fn stream_formula(bytes: u64, bandwidth: f64, source: &str) -> Formula {
    Formula::new(
        "Time to read once",
        div(
            var("W", "the model's weights", bytes as f64, Unit::Bytes),
            var(
                "B",
                "the tier's bandwidth",
                if bandwidth.is_finite() && bandwidth > 0.0 { bandwidth } else { 0.0 },
                Unit::Rate,
            ),
        ),
        Unit::Seconds,
        format!("Williams et al. 2009, Roofline (CACM 52(4)); bandwidth: {source}"),
    )
}

/// The formula behind a lane of [`stream_race`] for a model's weights and
/// KV cache on `device`: one read of both at its bandwidth, the time a
/// memory-bound decode step takes at least (the roofline's memory side).
pub fn race_formula(weights: u64, kv: u64, device: &Device) -> Formula {
    Formula::new(
        "Time to read once",
        div(
            add(vec![
                var("W", "the model's weights", weights as f64, Unit::Bytes),
                var("KV", "its KV cache", kv as f64, Unit::Bytes),
            ]),
            var("B", "the device's memory bandwidth", device.bandwidth, Unit::Rate),
        ),
        Unit::Seconds,
        format!("Williams et al. 2009, Roofline (CACM 52(4)); bandwidth: {}", device.source()),
    )
}

/// Seconds to stream `bytes` once at `bandwidth` bytes/s (0 for a zero or
/// invalid bandwidth, never NaN).
pub fn stream_seconds(bytes: u64, bandwidth: f64) -> f64 {
    if bandwidth.is_finite() && bandwidth > 0.0 {
        bytes as f64 / bandwidth
    } else {
        0.0
    }
}

/// One device's lane in the bandwidth race.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lane {
    pub device: &'static Device,
    /// Seconds to read the bytes once from the device's memory.
    pub seconds: f64,
    /// Whether the bytes fit in the memory the device's GPU may use
    /// ([`Device::gpu_budget_bytes`]).
    pub fits: bool,
}

impl Lane {
    /// Steps per second if each step reads the bytes once and does nothing
    /// else: a ceiling, never reached (0 for a zero time).
    pub fn steps_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            1.0 / self.seconds
        } else {
            0.0
        }
    }
}

/// Every device of [`DEVICES`], and the host CPU, reading `bytes` once,
/// fastest first. A memory-bound decode step reads every weight and the
/// sequence's KV cache once, so no step can be faster than
/// `bytes / bandwidth` (the roofline model's memory roof: Williams,
/// Waterman & Patterson 2009, "Roofline", CACM 52(4), §2; for LLM decode,
/// Pope et al. 2022, "Efficiently Scaling Transformer Inference",
/// arXiv 2211.05102, §2.1). Peak bandwidths are the datasheets' (each
/// device's `source`); kernels reach 70–90% of them.
pub fn stream_race(bytes: u64) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = DEVICES
        .iter()
        .chain(std::iter::once(&HOST_CPU))
        .map(|d| Lane { device: d, seconds: stream_seconds(bytes, d.bandwidth), fits: bytes <= d.gpu_budget_bytes() })
        .collect();
    lanes.sort_by(|a, b| b.device.bandwidth.total_cmp(&a.device.bandwidth));
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The B200's 8 TB/s reads 16.06 GB (Llama 3.1 8B in bf16) in about
    /// 2 ms; the host CPU's 89.6 GB/s takes 179 ms; a 16 GB Mac (10.9 GB for
    /// the GPU) cannot hold it.
    #[test]
    fn race_order_and_fit() {
        let lanes = stream_race(16_060_522_496);
        assert_eq!(lanes.len(), DEVICES.len() + 1);
        assert!(lanes.windows(2).all(|w| w[0].device.bandwidth >= w[1].device.bandwidth));
        let cpu = lanes.iter().find(|l| l.device.id == "cpu").unwrap();
        assert!((cpu.seconds - 16_060_522_496.0 / 89.6e9).abs() < 1e-12);
        assert!(!lanes.iter().find(|l| l.device.id == "mac-16gb").unwrap().fits);
        assert!(lanes.iter().find(|l| l.device.id == "h100-sxm").unwrap().fits);
        assert_eq!(stream_race(0)[0].steps_per_second(), 0.0);
    }

    /// Every device is cited, and every citation belongs to a device.
    #[test]
    fn every_device_has_its_source() {
        let all: Vec<&Device> = DEVICES.iter().chain([&HOST_CPU, &crate::speed::RTX_3080]).collect();
        for d in &all {
            assert!(d.source().len() > 20, "{} has no source", d.id);
        }
        for (id, _) in DEVICE_SOURCES {
            assert!(all.iter().any(|d| d.id == *id), "a source for no device: {id}");
        }
        assert!(device("h100-sxm").unwrap().source().starts_with("NVIDIA H100 datasheet"));
    }

    #[test]
    fn the_cpu_is_found_but_not_listed_with_accelerators() {
        let cpu = device("CPU").unwrap();
        assert!(cpu.is_cpu() && !cpu.is_unified());
        assert_eq!(cpu.gpu_budget_bytes(), 64 * GIB);
        assert_eq!(cpu.bandwidth, 89.6e9);
        assert!(DEVICES.iter().all(|d| !d.is_cpu()));
        assert!(device("tpu").unwrap_err().to_string().contains("cpu"));
    }

    #[test]
    fn capacities_are_driver_bytes() {
        assert_eq!(device("h100-sxm").unwrap().capacity_bytes, 85_520_809_984);
        assert_eq!(device("a100-80gb").unwrap().capacity_bytes, 85_899_345_920);
        assert_eq!(device("b200").unwrap().capacity_bytes, 192_265_846_784);
        assert!(device("tpu").is_err());
    }

    #[test]
    fn pcie_per_direction() {
        let g4 = HostLink::PcieGen4.bandwidth().unwrap();
        let g5 = HostLink::PcieGen5.bandwidth().unwrap();
        assert!((g4 - 31.5e9).abs() < 0.1e9, "{g4}");
        assert!((g5 - 63.0e9).abs() < 0.1e9, "{g5}");
    }

    /// Llama-3.1-8B in bf16 (16,060,522,496 bytes) read once from an H100's
    /// HBM at 3.35 TB/s takes 4.79 ms — the floor on each decode step.
    #[test]
    fn weights_stream_time() {
        let h100 = device("h100-sxm").unwrap();
        let t = stream_seconds(16_060_522_496, h100.bandwidth);
        assert!((t - 0.004794).abs() < 1e-5, "{t}");
        let tiers = hierarchy(h100);
        assert_eq!(tiers.iter().map(|t| t.id).collect::<Vec<_>>(), ["sram", "hbm", "dram", "nvme"]);
        // Bandwidth strictly falls down the hierarchy.
        assert!(tiers.windows(2).all(|w| w[0].bandwidth > w[1].bandwidth));
        // Capacity grows (SRAM < HBM < DRAM < NVMe).
        assert!(tiers.windows(2).all(|w| w[0].capacity_bytes < w[1].capacity_bytes));
    }

    #[test]
    fn unified_memory_has_no_pcie_tier() {
        let m = device("m2-ultra").unwrap();
        let ids: Vec<_> = hierarchy(m).iter().map(|t| t.id).collect();
        assert_eq!(ids, ["hbm", "nvme"]);
        assert_eq!(stream_seconds(1, 0.0), 0.0);
    }
}

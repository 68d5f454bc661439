//! # llmem-estimator
//!
//! An exact memory model of large language models, with no web dependencies:
//! the same crate drives the llmem site's widgets (compiled to wasm), the
//! build-time figures in its articles and the `llmem` command-line tool.
//!
//! Where the model is exact — parameter counts, weights in every format, KV
//! cache, ZeRO partitioning — tests pin it to published figures. Where it
//! approximates (activation memory of modern layers, runtime overhead,
//! throughput ceilings), the doc comment says so and cites the source of the
//! approximation.
//!
//! Every function validates its input and returns [`EstimateError`] rather
//! than panicking; integer arithmetic is checked, and no float result is NaN
//! or infinite.

pub mod activations;
pub mod arch;
pub mod attention;
pub mod batching;
pub mod block_layout;
pub mod catalogue;
pub mod config;
pub mod context_window;
pub mod engines;

/// The estimator's version, shown beside every calculator result so an
/// answer can be traced to the code that computed it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub mod error;
pub mod families;
pub mod fields;
pub mod finetune;
pub mod fit;
pub mod formula;
pub mod gguf;
pub mod gguf_config;
pub mod gguf_file;
pub mod hardware;
pub mod kv_cache;
pub mod layer_map;
pub mod paging;
pub mod precision;
pub mod presets;
#[rustfmt::skip]
mod presets_compiled;
#[cfg(test)]
mod presets_codegen;
pub mod quant;
pub mod quant_quality;
pub mod safetensors;
pub mod speculative;
pub mod speed;
pub mod ssm;
pub mod throughput;
pub mod timeline;
pub mod training;
pub mod training_layout;
pub mod units;
pub mod vector_store;
pub mod vision;

pub use arch::{Attention, AttentionSpan, Ffn, KvLayout, Layer, ModelArch, ParamCounts, Tensor, TensorKind};
pub use config::{parse_config, supported_model_types_list};
pub use error::{EstimateError, Result};
pub use families::{Family, FamilySpec, FAMILIES};
pub use kv_cache::{kv_cache, AttentionVariant, KvCache};
pub use precision::{weights_footprint, Dtype, WeightFormat, WeightsFootprint};
pub use presets::{preset, Preset, PRESETS};
pub use training::{Optimizer, Recompute, ZeroStage};

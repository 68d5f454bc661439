//! Inference engines: what each one allocates when it serves a model.
//!
//! - [`gguf_layout`]: a model as llama.cpp's converter and quantizer write it.
//! - [`llama_cpp`]: llama.cpp's model, KV, compute and output buffers.

pub mod ggml_alloc;
pub mod gguf_layout;
pub mod llama_cpp;
pub mod llama_graph;
pub mod offload;
pub mod parallel;
pub mod serve;

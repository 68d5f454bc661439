//! A built-in catalogue of popular open models, by Hugging Face id: base,
//! instruct and the common quantized repositories, so a model can be found
//! by name offline and instantly — gated ones included, whose `config.json`
//! the Hub does not give anonymously.
//!
//! Stored compactly: each entry names an architecture (a preset's
//! `config.json`, or one of `catalogue/*.json` and the real models'
//! configs in `tests/configs/`, compiled to static data by `build.rs`, so
//! no JSON parser is needed to read them) and the way its repository
//! stores the weights, written as the `quantization_config` that repository
//! carries. Many repositories share one architecture: an instruct model,
//! its base and its AWQ/GPTQ/FP8/bitsandbytes repackagings differ only in
//! that (and in chat-template files no estimate reads).
//!
//! Each entry states the parameter count its model card or model page
//! states (`card_billions`, as written there); a test checks the
//! architecture against it, which catches a wrong width or layer count.

use crate::presets::{catalogue_fields, preset_fields, Lit};
use serde_json::{json, Map, Value};

/// How a repository stores its weights, as its `quantization_config` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// As the architecture's config (16-bit, or the original's own scheme).
    AsReleased,
    /// AutoAWQ GEMM, 4-bit, group 128 (Qwen's `-AWQ`, hugging-quants' `-AWQ-INT4`).
    Awq,
    /// AutoGPTQ 4-bit, group 128 (`-GPTQ-Int4`).
    GptqInt4,
    /// AutoGPTQ 8-bit, group 128 (`-GPTQ-Int8`).
    GptqInt8,
    /// Fine-grained FP8 (E4M3) with 128 × 128 weight blocks (Qwen's `-FP8`).
    Fp8Blocks,
    /// bitsandbytes NF4 with double quantization (unsloth's `-bnb-4bit`).
    Nf4,
    /// compressed-tensors FP8 weights, one scale per channel (RedHatAI's `-FP8-dynamic`).
    Fp8Channels,
    /// compressed-tensors INT4 weights in groups of 128 (RedHatAI's `-quantized.w4a16`).
    Int4W4A16,
}

impl Stored {
    /// The repository's `quantization_config` (transformers'
    /// `AwqConfig`, `GPTQConfig`, `FineGrainedFP8Config`,
    /// `BitsAndBytesConfig`, compressed-tensors' `QuantizationConfig`).
    pub fn quantization_config(self) -> Option<Value> {
        Some(match self {
            Stored::AsReleased => return None,
            Stored::Awq => {
                json!({"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": true, "version": "gemm"})
            }
            Stored::GptqInt4 => {
                json!({"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": false, "sym": true})
            }
            Stored::GptqInt8 => {
                json!({"quant_method": "gptq", "bits": 8, "group_size": 128, "desc_act": false, "sym": true})
            }
            Stored::Fp8Blocks => json!({
                "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]
            }),
            Stored::Nf4 => json!({
                "quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "nf4",
                "bnb_4bit_use_double_quant": true, "bnb_4bit_compute_dtype": "bfloat16"
            }),
            Stored::Fp8Channels => json!({
                "quant_method": "compressed-tensors", "ignore": ["lm_head"],
                "config_groups": {"group_0": {"targets": ["Linear"],
                    "weights": {"num_bits": 8, "type": "float", "strategy": "channel", "symmetric": true}}}
            }),
            Stored::Int4W4A16 => json!({
                "quant_method": "compressed-tensors", "ignore": ["lm_head"],
                "config_groups": {"group_0": {"targets": ["Linear"],
                    "weights": {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 128, "symmetric": true}}}
            }),
        })
    }
}

/// One repository of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// The Hugging Face repository id (`Qwen/Qwen2.5-7B-Instruct-AWQ`).
    pub id: &'static str,
    /// Its architecture: a preset id or a catalogue architecture.
    pub arch: &'static str,
    pub stored: Stored,
    /// The parameter count its model card or page states, in billions, as
    /// written there (`"8.03"`, `"70.6"`, `"0.49"`).
    pub card_billions: &'static str,
    /// The context the repository's config declares, where it differs from
    /// the architecture's (Qwen3's 2507 updates: 262,144 tokens).
    pub context: Option<u64>,
}

const fn e(id: &'static str, arch: &'static str, card_billions: &'static str, stored: Stored) -> CatalogueEntry {
    CatalogueEntry { id, arch, stored, card_billions, context: None }
}

const fn long(id: &'static str, arch: &'static str, card_billions: &'static str, context: u64) -> CatalogueEntry {
    CatalogueEntry { id, arch, stored: Stored::AsReleased, card_billions, context: Some(context) }
}

use Stored::{AsReleased as R, Awq, Fp8Blocks, Fp8Channels, GptqInt4, GptqInt8, Int4W4A16, Nf4};

/// The catalogue, by family.
pub const CATALOGUE: &[CatalogueEntry] = &[
    // Meta Llama (gated on the Hub).
    e("meta-llama/Llama-3.1-8B", "llama-3.1-8b", "8.03", R),
    e("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b", "8.03", R),
    e("meta-llama/Llama-3.1-70B", "llama-3.1-70b", "70.6", R),
    e("meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b", "70.6", R),
    e("meta-llama/Llama-3.1-405B", "llama-3.1-405b", "406", R),
    e("meta-llama/Llama-3.1-405B-Instruct", "llama-3.1-405b", "406", R),
    e("meta-llama/Llama-3.3-70B-Instruct", "llama-3.1-70b", "70.6", R),
    e("meta-llama/Llama-3.2-1B", "llama-3.2-1b", "1.24", R),
    e("meta-llama/Llama-3.2-1B-Instruct", "llama-3.2-1b", "1.24", R),
    e("meta-llama/Llama-3.2-3B", "llama-3.2-3b", "3.21", R),
    e("meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b", "3.21", R),
    e("meta-llama/Meta-Llama-3-8B", "llama-3-8b", "8.03", R),
    e("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3-8b", "8.03", R),
    e("meta-llama/Meta-Llama-3-70B", "llama-3-70b", "70.6", R),
    e("meta-llama/Meta-Llama-3-70B-Instruct", "llama-3-70b", "70.6", R),
    e("meta-llama/Llama-2-7b-hf", "llama-2-7b", "6.74", R),
    e("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b", "6.74", R),
    e("meta-llama/Llama-2-13b-hf", "llama-2-13b", "13.0", R),
    e("meta-llama/Llama-2-13b-chat-hf", "llama-2-13b", "13.0", R),
    e("meta-llama/Llama-2-70b-hf", "llama-2-70b", "69.0", R),
    e("meta-llama/Llama-2-70b-chat-hf", "llama-2-70b", "69.0", R),
    e("meta-llama/Llama-4-Scout-17B-16E", "llama-4-scout", "109", R),
    e("meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout", "109", R),
    e("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "llama-4-maverick", "402", R),
    // Llama, quantized by others.
    e("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "llama-3.1-8b", "8.03", Awq),
    e("hugging-quants/Meta-Llama-3.1-8B-Instruct-GPTQ-INT4", "llama-3.1-8b", "8.03", GptqInt4),
    e("hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", "llama-3.1-70b", "70.6", Awq),
    e("hugging-quants/Meta-Llama-3.1-405B-Instruct-AWQ-INT4", "llama-3.1-405b", "406", Awq),
    e("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic", "llama-3.1-8b", "8.03", Fp8Channels),
    e("RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16", "llama-3.1-8b", "8.03", Int4W4A16),
    e("RedHatAI/Meta-Llama-3.1-70B-Instruct-FP8-dynamic", "llama-3.1-70b", "70.6", Fp8Channels),
    e("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "llama-3.1-8b", "8.03", Nf4),
    e("unsloth/Llama-3.2-3B-Instruct-bnb-4bit", "llama-3.2-3b", "3.21", Nf4),
    e("unsloth/Llama-3.3-70B-Instruct-bnb-4bit", "llama-3.1-70b", "70.6", Nf4),
    // Qwen2.5.
    e("Qwen/Qwen2.5-0.5B", "qwen2.5-0.5b", "0.49", R),
    e("Qwen/Qwen2.5-0.5B-Instruct", "qwen2.5-0.5b", "0.49", R),
    e("Qwen/Qwen2.5-0.5B-Instruct-AWQ", "qwen2.5-0.5b", "0.49", Awq),
    e("Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4", "qwen2.5-0.5b", "0.49", GptqInt4),
    e("Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int8", "qwen2.5-0.5b", "0.49", GptqInt8),
    e("Qwen/Qwen2.5-1.5B", "qwen2.5-1.5b", "1.54", R),
    e("Qwen/Qwen2.5-1.5B-Instruct", "qwen2.5-1.5b", "1.54", R),
    e("Qwen/Qwen2.5-1.5B-Instruct-AWQ", "qwen2.5-1.5b", "1.54", Awq),
    e("Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int4", "qwen2.5-1.5b", "1.54", GptqInt4),
    e("Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int8", "qwen2.5-1.5b", "1.54", GptqInt8),
    e("Qwen/Qwen2.5-3B", "qwen2.5-3b", "3.09", R),
    e("Qwen/Qwen2.5-3B-Instruct", "qwen2.5-3b", "3.09", R),
    e("Qwen/Qwen2.5-3B-Instruct-AWQ", "qwen2.5-3b", "3.09", Awq),
    e("Qwen/Qwen2.5-3B-Instruct-GPTQ-Int4", "qwen2.5-3b", "3.09", GptqInt4),
    e("Qwen/Qwen2.5-3B-Instruct-GPTQ-Int8", "qwen2.5-3b", "3.09", GptqInt8),
    e("Qwen/Qwen2.5-7B", "qwen2.5-7b", "7.61", R),
    e("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b", "7.61", R),
    e("Qwen/Qwen2.5-7B-Instruct-AWQ", "qwen2.5-7b", "7.61", Awq),
    e("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "qwen2.5-7b", "7.61", GptqInt4),
    e("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8", "qwen2.5-7b", "7.61", GptqInt8),
    e("Qwen/Qwen2.5-14B", "qwen2.5-14b", "14.7", R),
    e("Qwen/Qwen2.5-14B-Instruct", "qwen2.5-14b", "14.7", R),
    e("Qwen/Qwen2.5-14B-Instruct-AWQ", "qwen2.5-14b", "14.7", Awq),
    e("Qwen/Qwen2.5-14B-Instruct-GPTQ-Int4", "qwen2.5-14b", "14.7", GptqInt4),
    e("Qwen/Qwen2.5-14B-Instruct-GPTQ-Int8", "qwen2.5-14b", "14.7", GptqInt8),
    e("Qwen/Qwen2.5-32B", "qwen2.5-32b", "32.8", R),
    e("Qwen/Qwen2.5-32B-Instruct", "qwen2.5-32b", "32.8", R),
    e("Qwen/Qwen2.5-32B-Instruct-AWQ", "qwen2.5-32b", "32.8", Awq),
    e("Qwen/Qwen2.5-32B-Instruct-GPTQ-Int4", "qwen2.5-32b", "32.8", GptqInt4),
    e("Qwen/Qwen2.5-32B-Instruct-GPTQ-Int8", "qwen2.5-32b", "32.8", GptqInt8),
    e("Qwen/Qwen2.5-72B", "qwen2.5-72b", "72.7", R),
    e("Qwen/Qwen2.5-72B-Instruct", "qwen2.5-72b", "72.7", R),
    e("Qwen/Qwen2.5-72B-Instruct-AWQ", "qwen2.5-72b", "72.7", Awq),
    e("Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4", "qwen2.5-72b", "72.7", GptqInt4),
    e("Qwen/Qwen2.5-72B-Instruct-GPTQ-Int8", "qwen2.5-72b", "72.7", GptqInt8),
    e("Qwen/Qwen2.5-Coder-1.5B-Instruct", "qwen2.5-1.5b", "1.54", R),
    e("Qwen/Qwen2.5-Coder-7B-Instruct", "qwen2.5-7b", "7.61", R),
    e("Qwen/Qwen2.5-Coder-14B-Instruct", "qwen2.5-14b", "14.7", R),
    e("Qwen/Qwen2.5-Coder-32B-Instruct", "qwen2.5-32b", "32.8", R),
    e("Qwen/QwQ-32B", "qwen2.5-32b", "32.8", R),
    e("unsloth/Qwen2.5-7B-Instruct-bnb-4bit", "qwen2.5-7b", "7.61", Nf4),
    // Qwen3.
    e("Qwen/Qwen3-0.6B", "qwen3-0.6b", "0.6", R),
    e("Qwen/Qwen3-0.6B-Base", "qwen3-0.6b", "0.6", R),
    e("Qwen/Qwen3-0.6B-FP8", "qwen3-0.6b", "0.6", Fp8Blocks),
    e("Qwen/Qwen3-1.7B", "qwen3-1.7b", "1.7", R),
    e("Qwen/Qwen3-1.7B-Base", "qwen3-1.7b", "1.7", R),
    e("Qwen/Qwen3-1.7B-FP8", "qwen3-1.7b", "1.7", Fp8Blocks),
    e("Qwen/Qwen3-4B", "qwen3-4b", "4.0", R),
    e("Qwen/Qwen3-4B-Base", "qwen3-4b", "4.0", R),
    e("Qwen/Qwen3-4B-FP8", "qwen3-4b", "4.0", Fp8Blocks),
    e("Qwen/Qwen3-4B-AWQ", "qwen3-4b", "4.0", Awq),
    long("Qwen/Qwen3-4B-Instruct-2507", "qwen3-4b", "4.0", 262_144),
    long("Qwen/Qwen3-4B-Thinking-2507", "qwen3-4b", "4.0", 262_144),
    e("Qwen/Qwen3-8B", "qwen3-8b", "8.2", R),
    e("Qwen/Qwen3-8B-Base", "qwen3-8b", "8.2", R),
    e("Qwen/Qwen3-8B-FP8", "qwen3-8b", "8.2", Fp8Blocks),
    e("Qwen/Qwen3-8B-AWQ", "qwen3-8b", "8.2", Awq),
    e("Qwen/Qwen3-14B", "qwen3-14b", "14.8", R),
    e("Qwen/Qwen3-14B-Base", "qwen3-14b", "14.8", R),
    e("Qwen/Qwen3-14B-FP8", "qwen3-14b", "14.8", Fp8Blocks),
    e("Qwen/Qwen3-14B-AWQ", "qwen3-14b", "14.8", Awq),
    e("Qwen/Qwen3-32B", "qwen3-32b", "32.8", R),
    e("Qwen/Qwen3-32B-FP8", "qwen3-32b", "32.8", Fp8Blocks),
    e("Qwen/Qwen3-32B-AWQ", "qwen3-32b", "32.8", Awq),
    e("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b", "30.5", R),
    e("Qwen/Qwen3-30B-A3B-Base", "qwen3-30b-a3b", "30.5", R),
    e("Qwen/Qwen3-30B-A3B-FP8", "qwen3-30b-a3b", "30.5", Fp8Blocks),
    long("Qwen/Qwen3-30B-A3B-Instruct-2507", "qwen3-30b-a3b", "30.5", 262_144),
    long("Qwen/Qwen3-30B-A3B-Thinking-2507", "qwen3-30b-a3b", "30.5", 262_144),
    long("Qwen/Qwen3-Coder-30B-A3B-Instruct", "qwen3-30b-a3b", "30.5", 262_144),
    e("Qwen/Qwen3-235B-A22B", "qwen3-235b-a22b", "235", R),
    e("Qwen/Qwen3-235B-A22B-FP8", "qwen3-235b-a22b", "235", Fp8Blocks),
    long("Qwen/Qwen3-235B-A22B-Instruct-2507", "qwen3-235b-a22b", "235", 262_144),
    e("Qwen/Qwen3-Next-80B-A3B-Instruct", "qwen3-next-80b-a3b", "80", R),
    e("Qwen/Qwen3-Next-80B-A3B-Thinking", "qwen3-next-80b-a3b", "80", R),
    e("Qwen/Qwen1.5-MoE-A2.7B", "qwen1.5-moe-a2.7b", "14.3", R),
    e("Qwen/Qwen2-57B-A14B", "qwen2-57b-a14b", "57.4", R),
    // DeepSeek.
    e("deepseek-ai/DeepSeek-V3", "deepseek-v3", "671", R),
    e("deepseek-ai/DeepSeek-V3-0324", "deepseek-v3", "671", R),
    e("deepseek-ai/DeepSeek-R1", "deepseek-r1", "671", R),
    e("deepseek-ai/DeepSeek-R1-0528", "deepseek-r1", "671", R),
    e("deepseek-ai/DeepSeek-V2", "deepseek-v2", "236", R),
    e("deepseek-ai/DeepSeek-V2-Lite", "deepseek-v2-lite", "15.7", R),
    e("deepseek-ai/DeepSeek-V2-Lite-Chat", "deepseek-v2-lite", "15.7", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "deepseek-r1-distill-qwen-1.5b", "1.78", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "qwen2.5-7b", "7.62", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", "qwen2.5-14b", "14.8", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "qwen2.5-32b", "32.8", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "llama-3.1-8b", "8.03", R),
    e("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "llama-3.1-70b", "70.6", R),
    // Mistral.
    e("mistralai/Mistral-7B-v0.1", "mistral-7b-v0.1", "7.24", R),
    e("mistralai/Mistral-7B-Instruct-v0.1", "mistral-7b-v0.1", "7.24", R),
    e("mistralai/Mistral-7B-Instruct-v0.2", "mistral-7b-v0.2", "7.24", R),
    e("mistralai/Mistral-7B-v0.3", "mistral-7b-v0.3", "7.25", R),
    e("mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-v0.3", "7.25", R),
    e("unsloth/mistral-7b-instruct-v0.3-bnb-4bit", "mistral-7b-v0.3", "7.25", Nf4),
    e("mistralai/Mistral-Nemo-Base-2407", "mistral-nemo-12b", "12.2", R),
    e("mistralai/Mistral-Nemo-Instruct-2407", "mistral-nemo-12b", "12.2", R),
    e("mistralai/Mistral-Small-24B-Base-2501", "mistral-small-24b", "23.6", R),
    e("mistralai/Mistral-Small-24B-Instruct-2501", "mistral-small-24b", "23.6", R),
    e("mistralai/Mistral-Large-Instruct-2407", "mistral-large-2407", "123", R),
    e("mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b", "46.7", R),
    e("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b", "46.7", R),
    e("mistralai/Mixtral-8x22B-Instruct-v0.1", "mixtral-8x22b", "141", R),
    e("mistralai/Mamba-Codestral-7B-v0.1", "mamba-codestral-7b", "7.29", R),
    // Google Gemma (gated on the Hub).
    e("google/gemma-2-2b", "gemma-2-2b", "2.61", R),
    e("google/gemma-2-2b-it", "gemma-2-2b", "2.61", R),
    e("google/gemma-2-9b", "gemma-2-9b", "9.24", R),
    e("google/gemma-2-9b-it", "gemma-2-9b", "9.24", R),
    e("google/gemma-2-27b", "gemma-2-27b", "27.2", R),
    e("google/gemma-2-27b-it", "gemma-2-27b", "27.2", R),
    e("unsloth/gemma-2-9b-it-bnb-4bit", "gemma-2-9b", "9.24", Nf4),
    e("google/gemma-3-1b-pt", "gemma-3-1b", "1.0", R),
    e("google/gemma-3-1b-it", "gemma-3-1b", "1.0", R),
    e("google/gemma-3-4b-pt", "gemma-3-4b", "4.3", R),
    e("google/gemma-3-4b-it", "gemma-3-4b", "4.3", R),
    e("google/gemma-3-12b-pt", "gemma-3-12b", "12.2", R),
    e("google/gemma-3-12b-it", "gemma-3-12b", "12.2", R),
    e("google/gemma-3-27b-pt", "gemma-3-27b", "27.4", R),
    e("google/gemma-3-27b-it", "gemma-3-27b", "27.4", R),
    // Microsoft Phi.
    e("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini-4k", "3.82", R),
    e("microsoft/Phi-3-mini-128k-instruct", "phi-3-mini-128k", "3.82", R),
    e("microsoft/Phi-3.5-mini-instruct", "phi-3-mini-128k", "3.82", R),
    e("microsoft/Phi-3-medium-4k-instruct", "phi-3-medium-4k", "14.0", R),
    e("microsoft/Phi-3-medium-128k-instruct", "phi-3-medium-128k", "14.0", R),
    e("microsoft/phi-4", "phi-4", "14.7", R),
    e("microsoft/Phi-4-mini-instruct", "phi-4-mini", "3.84", R),
    // OpenAI.
    e("openai/gpt-oss-20b", "gpt-oss-20b", "21", R),
    e("openai/gpt-oss-120b", "gpt-oss-120b", "117", R),
    // Others.
    e("HuggingFaceTB/SmolLM2-135M", "smollm2-135m", "0.135", R),
    e("HuggingFaceTB/SmolLM2-135M-Instruct", "smollm2-135m", "0.135", R),
    e("HuggingFaceTB/SmolLM2-360M", "smollm2-360m", "0.362", R),
    e("HuggingFaceTB/SmolLM2-360M-Instruct", "smollm2-360m", "0.362", R),
    e("HuggingFaceTB/SmolLM2-1.7B", "smollm2-1.7b", "1.71", R),
    e("HuggingFaceTB/SmolLM2-1.7B-Instruct", "smollm2-1.7b", "1.71", R),
    e("allenai/OLMo-2-1124-7B", "olmo-2-7b", "7.3", R),
    e("allenai/OLMo-2-1124-7B-Instruct", "olmo-2-7b", "7.3", R),
    e("ibm-granite/granite-3.2-8b-instruct", "granite-3.2-8b", "8.17", R),
    e("ibm-granite/granite-4.0-h-tiny", "granite-4.0-h-tiny", "7", R),
    e("CohereForAI/c4ai-command-r-v01", "command-r", "35", R),
    e("CohereForAI/c4ai-command-r7b-12-2024", "command-r7b", "8.03", R),
    e("nvidia/Nemotron-H-8B-Base-8K", "nemotron-h-8b", "8.1", R),
    e("openai-community/gpt2", "gpt2", "0.124", R),
    e("state-spaces/mamba-130m-hf", "mamba-130m", "0.129", R),
    e("state-spaces/mamba-2.8b-hf", "mamba-2.8b", "2.77", R),
];

impl CatalogueEntry {
    /// The repository's `config.json`, with the fields the estimator reads.
    pub fn config(&self) -> Value {
        let fields = preset_fields(self.arch).or_else(|| catalogue_fields(self.arch));
        let mut map: Map<String, Value> =
            fields.unwrap_or_default().iter().map(|(k, v)| ((*k).to_string(), Lit::to_value(*v))).collect();
        if let Some(n) = self.context {
            map.insert("max_position_embeddings".into(), Value::from(n));
        }
        if let Some(q) = self.stored.quantization_config() {
            map.insert("quantization_config".into(), q);
        }
        Value::Object(map)
    }
}

/// The entry whose id is `id`, ignoring ASCII case (as the Hub resolves ids).
pub fn find(id: &str) -> Option<&'static CatalogueEntry> {
    CATALOGUE.iter().find(|e| e.id.eq_ignore_ascii_case(id.trim()))
}

/// Entries whose id holds every one of `words` (lower-case ASCII), in catalogue order.
pub fn search(words: &[String]) -> Vec<&'static CatalogueEntry> {
    CATALOGUE
        .iter()
        .filter(|e| {
            let id = e.id.to_ascii_lowercase();
            words.iter().all(|w| id.as_bytes().windows(w.len().max(1)).any(|x| x == w.as_bytes()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config_value;
    use crate::precision::{weights_footprint, Dtype, WeightFormat};

    #[test]
    fn at_least_150_distinct_repositories() {
        assert!(CATALOGUE.len() >= 150, "{}", CATALOGUE.len());
        let mut ids: Vec<String> = CATALOGUE.iter().map(|e| e.id.to_ascii_lowercase()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "an id is listed twice");
    }

    /// Every entry reads, and its architecture's parameter count (the
    /// language model plus any vision tower and projector, as a model page
    /// counts them) agrees with its card to the figure's last digit, give
    /// or take one unit (cards round, and some truncate: Qwen2.5 7B's
    /// 7,615,616,512 is "7.61B").
    #[test]
    fn every_entry_matches_its_card() {
        for e in CATALOGUE {
            let arch = parse_config_value(&e.config()).unwrap_or_else(|err| panic!("{}: {err}", e.id));
            let c = arch.param_counts().unwrap();
            let total = (c.total + c.vision + c.projector) as f64 / 1e9;
            let card: f64 = e.card_billions.parse().unwrap();
            let decimals = e.card_billions.split('.').nth(1).map_or(0, str::len) as i32;
            let unit = 10f64.powi(-decimals);
            assert!((total - card).abs() <= unit, "{}: {total:.4}B against the card's {}B", e.id, e.card_billions);
        }
    }

    /// A quantized repository's weights are priced in its scheme, smaller
    /// than the same model in 16-bit (a released model keeps its own:
    /// DeepSeek-V3's FP8 blocks, gpt-oss's MXFP4 experts).
    #[test]
    fn quantized_repositories_are_priced_as_stored() {
        for e in CATALOGUE {
            let arch = parse_config_value(&e.config()).unwrap();
            if e.stored != Stored::AsReleased {
                assert!(arch.quantization.is_some(), "{}", e.id);
                let stored = weights_footprint(&arch, WeightFormat::Checkpoint).unwrap().total_bytes;
                let bf16 = weights_footprint(&arch, WeightFormat::Float(Dtype::Bf16)).unwrap().total_bytes;
                assert!(stored < bf16 * 2 / 3, "{}: {stored} of {bf16}", e.id);
            }
        }
    }

    #[test]
    fn found_by_id_or_words() {
        assert_eq!(find("qwen/qwen2.5-7b-instruct-awq").map(|e| e.stored), Some(Awq));
        assert!(find("Qwen/Qwen2.5-7B-Instruct-AWQX").is_none());
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let found = search(&words("qwen3 8b fp8"));
        assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), ["Qwen/Qwen3-8B-FP8"]);
        assert!(search(&words("llama 70b")).len() >= 8);
        // The 2507 updates declare 262,144 tokens.
        let a = parse_config_value(&find("Qwen/Qwen3-4B-Instruct-2507").unwrap().config()).unwrap();
        assert_eq!(a.max_position_embeddings, 262_144);
    }
}

//! Built-in models: each one's real `config.json` (the fields that matter,
//! verbatim from its Hugging Face repository), read by the same code as a
//! user's paste.
//!
//! `build.rs` compiles `presets/*.json` into static data ([`Lit`]), so the
//! browser reads a preset without a JSON parser; the text stays available
//! through [`Preset::config_json`].

use crate::arch::ModelArch;
use crate::config::parse_config_value;
use crate::error::{EstimateError, Result};
use serde_json::{Map, Value};

include!(concat!(env!("OUT_DIR"), "/preset_data.rs"));

/// A JSON value compiled into the binary (see `build.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    UInt(u64),
    /// A negative integer; no preset has one today.
    #[allow(dead_code)]
    Int(i64),
    Float(f64),
    Str(&'static str),
    List(&'static [Lit]),
    Object(&'static [(&'static str, Lit)]),
}

impl Lit {
    /// The same value as serde_json would have parsed it.
    pub(crate) fn to_value(self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Bool(b) => Value::Bool(b),
            Lit::UInt(u) => Value::from(u),
            Lit::Int(i) => Value::from(i),
            Lit::Float(f) => Value::from(f),
            Lit::Str(s) => Value::from(s),
            Lit::List(items) => Value::Array(items.iter().map(|v| v.to_value()).collect()),
            Lit::Object(fields) => Value::Object(object(fields)),
        }
    }
}

fn object(fields: &[(&'static str, Lit)]) -> Map<String, Value> {
    fields.iter().map(|(k, v)| ((*k).to_string(), v.to_value())).collect()
}

/// A built-in config as the JSON object serde_json would have parsed from
/// its text (an empty object for an id without a file, which every reader
/// reports as missing fields).
pub(crate) fn preset_value(id: &str) -> Value {
    Value::Object(preset_fields(id).map(object).unwrap_or_default())
}

/// A built-in model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Stable identifier used in URLs, embeds and the CLI.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Hugging Face repository the config comes from (native builds only:
    /// no figure shows it, and every browser bundle would carry the strings).
    #[cfg(not(target_arch = "wasm32"))]
    pub repo: &'static str,
    /// Parameter count that Hugging Face transformers instantiates for this
    /// config (`model.num_parameters()`), which our inventory must equal.
    pub expected_params: u64,
    /// Where the expected count is published.
    #[cfg(not(target_arch = "wasm32"))]
    pub params_source: &'static str,
    /// Listed in the model pickers of the widgets (the smaller Mamba sizes
    /// serve the state-space figure and the text only).
    pub in_pickers: bool,
    /// The model has recurrent layers (state-space or hybrid); tested to
    /// agree with its config, and kept here so that listing such models does
    /// not need the config parser.
    pub recurrent: bool,
}

impl Preset {
    /// The preset's architecture: exactly what parsing its config gives (a
    /// test keeps the compiled form equal to it; see `presets_codegen.rs`),
    /// without linking the config parser into every browser bundle.
    pub fn arch(&self) -> Result<ModelArch> {
        crate::presets_compiled::compiled(self.id).ok_or_else(|| EstimateError::UnknownName {
            kind: "compiled model preset",
            name: self.id.to_string(),
            known: "regenerate presets_compiled.rs (LLMEM_BLESS=1 cargo test -p llmem-estimator compiled_presets)"
                .into(),
        })
    }

    /// The preset's architecture parsed from its config.json, as a pasted config would be.
    pub fn parse(&self) -> Result<ModelArch> {
        parse_config_value(&preset_value(self.id))
    }

    /// The config.json text, verbatim.
    pub fn config_json(&self) -> &'static str {
        preset_json(self.id).unwrap_or("{}")
    }
}

macro_rules! preset {
    ($id:literal, $name:literal, $repo:literal, $params:expr, $source:expr) => {
        preset!(@ $id, $name, $repo, $params, $source, true, false)
    };
    ($id:literal, $name:literal, $repo:literal, $params:expr, $source:expr, recurrent) => {
        preset!(@ $id, $name, $repo, $params, $source, true, true)
    };
    ($id:literal, $name:literal, $repo:literal, $params:expr, $source:expr, recurrent_hidden) => {
        preset!(@ $id, $name, $repo, $params, $source, false, true)
    };
    (@ $id:literal, $name:literal, $repo:literal, $params:expr, $source:expr, $pick:expr, $rec:expr) => {
        Preset {
            id: $id,
            name: $name,
            #[cfg(not(target_arch = "wasm32"))]
            repo: $repo,
            expected_params: $params,
            #[cfg(not(target_arch = "wasm32"))]
            params_source: $source,
            in_pickers: $pick,
            recurrent: $rec,
        }
    };
}

/// The transformers figure for a config, as `tests/fixtures/transformers_params.json` records it.
#[cfg_attr(target_arch = "wasm32", allow(unused_macros))]
macro_rules! tf {
    () => {
        "transformers 5.24 on the meta device (tests/fixtures/transformers_params.json)"
    };
}

/// Every built-in model, grouped by family, smaller members first.
///
/// `expected_params` is the language model's parameter count as Hugging Face
/// transformers instantiates it (the vision encoder of a multimodal
/// checkpoint is counted apart, in [`crate::arch::ParamCounts::vision`]).
pub const PRESETS: &[Preset] = &[
    preset!(
        "gpt2",
        "GPT-2 (124M)",
        "openai-community/gpt2",
        124_439_808,
        "HF model card, safetensors metadata: 124,439,808 params (lm_head tied to wte)"
    ),
    preset!(
        "llama-3.2-1b",
        "Llama 3.2 1B",
        "meta-llama/Llama-3.2-1B",
        1_235_814_400,
        "HF model card, safetensors metadata: 1.24B params (tied embeddings)"
    ),
    preset!(
        "phi-3-mini-4k",
        "Phi-3 mini 4K",
        "microsoft/Phi-3-mini-4k-instruct",
        3_821_079_552,
        "HF model card, safetensors metadata: 3.82B params"
    ),
    preset!(
        "llama-2-7b",
        "Llama 2 7B (7B-class)",
        "meta-llama/Llama-2-7b-hf",
        6_738_415_616,
        "HF model card, safetensors metadata: 6.74B params"
    ),
    preset!(
        "mistral-7b-v0.1",
        "Mistral 7B v0.1",
        "mistralai/Mistral-7B-v0.1",
        7_241_732_096,
        "HF model card, safetensors metadata: 7.24B params"
    ),
    preset!("qwen2.5-7b", "Qwen2.5 7B", "Qwen/Qwen2.5-7B", 7_615_616_512, "Qwen2.5 model card: 7.61B parameters"),
    preset!(
        "llama-3.1-8b",
        "Llama 3.1 8B",
        "meta-llama/Llama-3.1-8B",
        8_030_261_248,
        "HF model card, safetensors metadata: 8.03B params; 8,030,261,248 by model.num_parameters()"
    ),
    preset!(
        "gemma-2-9b",
        "Gemma 2 9B",
        "google/gemma-2-9b",
        9_241_705_984,
        "HF model card, safetensors metadata: 9.24B params"
    ),
    preset!(
        "gemma-2-27b",
        "Gemma 2 27B",
        "google/gemma-2-27b",
        27_227_128_320,
        "HF model card, safetensors metadata: 27.2B params"
    ),
    preset!(
        "mixtral-8x7b",
        "Mixtral 8x7B",
        "mistralai/Mixtral-8x7B-v0.1",
        46_702_792_704,
        "HF model card, safetensors metadata: 46.7B params; Mixtral paper: 47B total, 13B active"
    ),
    preset!(
        "llama-3.1-70b",
        "Llama 3.1 70B",
        "meta-llama/Llama-3.1-70B",
        70_553_706_496,
        "HF model card, safetensors metadata: 70.6B params"
    ),
    preset!("qwen2.5-72b", "Qwen2.5 72B", "Qwen/Qwen2.5-72B", 72_706_203_648, "Qwen2.5 model card: 72.7B parameters"),
    preset!(
        "llama-3.1-405b",
        "Llama 3.1 405B",
        "meta-llama/Llama-3.1-405B",
        405_853_388_800,
        "HF model card, safetensors metadata: 406B params"
    ),
    preset!(
        "deepseek-v3",
        "DeepSeek-V3",
        "deepseek-ai/DeepSeek-V3",
        671_026_404_352,
        "DeepSeek-V3 technical report (arXiv 2412.19437) §1: 671B total, 37B activated. \
         transformers registers the router's e_score_correction_bias as a buffer (DeepSeek's \
         remote code makes it a parameter: 671,026,419,200) and does not instantiate the \
         multi-token-prediction layer that brings the HF checkpoint to 685B"
    ),
    preset!(
        "qwen3-0.6b",
        "Qwen3 0.6B",
        "Qwen/Qwen3-0.6B",
        596_049_920,
        "Qwen3-0.6B model card: 0.6B (0.44B non-embedding); 596,049,920 by transformers"
    ),
    preset!(
        "qwen3-8b",
        "Qwen3 8B",
        "Qwen/Qwen3-8B",
        8_190_735_360,
        "Qwen3-8B model card: 8.2B (6.95B non-embedding); 8,190,735,360 by transformers"
    ),
    preset!(
        "qwen3-32b",
        "Qwen3 32B",
        "Qwen/Qwen3-32B",
        32_762_123_264,
        "Qwen3-32B model card: 32.8B; 32,762,123,264 by transformers"
    ),
    preset!(
        "qwen3-30b-a3b",
        "Qwen3 30B-A3B (MoE)",
        "Qwen/Qwen3-30B-A3B",
        30_532_122_624,
        "Qwen3-30B-A3B model card: 30.5B total, 3.3B activated; 30,532,122,624 by transformers"
    ),
    preset!(
        "qwen3-235b-a22b",
        "Qwen3 235B-A22B (MoE)",
        "Qwen/Qwen3-235B-A22B",
        235_093_634_560,
        "Qwen3-235B-A22B model card: 235B total, 22B activated; 235,093,634,560 by transformers"
    ),
    preset!(
        "qwen3-next-80b-a3b",
        "Qwen3-Next 80B-A3B (hybrid)",
        "Qwen/Qwen3-Next-80B-A3B-Thinking",
        79_674_391_296,
        "Qwen3-Next-80B-A3B model card: 80B total, 3B activated; 79,674,391,296 by transformers",
        recurrent
    ),
    preset!(
        "gemma-3-1b",
        "Gemma 3 1B",
        "google/gemma-3-1b-it",
        999_885_952,
        "Gemma 3 model card: 1B; 999,885,952 by transformers"
    ),
    preset!(
        "gemma-3-27b",
        "Gemma 3 27B",
        "google/gemma-3-27b-it",
        27_009_346_304,
        "Gemma 3 model card: 27B; transformers: 27,009,346,304 language model + 416,866,032 SigLIP \
         encoder + 6,194,304 projector = 27,432,406,640"
    ),
    preset!(
        "gpt-oss-20b",
        "gpt-oss 20b",
        "openai/gpt-oss-20b",
        20_914_757_184,
        "gpt-oss model card: 21B total, 3.6B active; 20,914,757,184 by transformers"
    ),
    preset!(
        "gpt-oss-120b",
        "gpt-oss 120b",
        "openai/gpt-oss-120b",
        116_829_156_672,
        "gpt-oss model card: 117B total, 5.1B active; 116,829,156,672 by transformers"
    ),
    preset!(
        "llama-4-scout",
        "Llama 4 Scout (17B-16E)",
        "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        107_769_861_120,
        "Llama 4 model card: 109B total, 17B active; transformers: 107,769,861,120 language model + \
         850,960,896 vision + 20,971,520 projector = 108,641,793,536 (the HF safetensors total). \
         Config: text_config as published; vision_config reconstructed from the card, checked by that total"
    ),
    preset!(
        "deepseek-r1",
        "DeepSeek-R1",
        "deepseek-ai/DeepSeek-R1",
        671_026_404_352,
        "DeepSeek-R1 shares DeepSeek-V3's architecture: 671B total, 37B activated; FP8 checkpoint"
    ),
    preset!(
        "nemotron-h-8b",
        "Nemotron-H 8B (hybrid)",
        "nvidia/Nemotron-H-8B-Base-8K",
        8_100_852_736,
        "Nemotron-H paper (arXiv 2504.03624): 8B, 52 blocks (24 Mamba-2, 4 attention, 24 MLP); \
         8,100,852,736 by transformers; config reconstructed from NVIDIA's published block pattern",
        recurrent
    ),
    preset!("mamba-130m", "Mamba 130M", "state-spaces/mamba-130m-hf", 129_135_360, tf!(), recurrent_hidden),
    preset!("mamba-370m", "Mamba 370M", "state-spaces/mamba-370m-hf", 371_516_416, tf!(), recurrent_hidden),
    preset!("mamba-790m", "Mamba 790M", "state-spaces/mamba-790m-hf", 793_204_224, tf!(), recurrent_hidden),
    preset!("mamba-1.4b", "Mamba 1.4B", "state-spaces/mamba-1.4b-hf", 1_372_178_432, tf!(), recurrent_hidden),
    preset!("mamba-2.8b", "Mamba 2.8B (state-space)", "state-spaces/mamba-2.8b-hf", 2_768_345_600, tf!(), recurrent),
];

/// Presets with recurrent layers (state-space and hybrid models), for the
/// constant-state figure.
pub fn recurrent_presets() -> impl Iterator<Item = &'static Preset> {
    PRESETS.iter().filter(|p| p.recurrent)
}

/// The preset with this id, if it has recurrent layers.
pub fn recurrent_preset(id: &str) -> Result<&'static Preset> {
    let p = preset(id)?;
    match p.recurrent {
        true => Ok(p),
        false => Err(EstimateError::UnknownName {
            kind: "state-space or hybrid preset",
            name: id.chars().take(64).collect(),
            known: recurrent_presets().map(|p| p.id).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The preset with this id (case-insensitive).
pub fn preset(id: &str) -> Result<&'static Preset> {
    PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(id)).ok_or_else(|| EstimateError::UnknownName {
        kind: "model preset",
        name: id.chars().take(64).collect(),
        known: PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", "),
    })
}

/// The default model of the KV, weights and fit widgets.
pub const DEFAULT_PRESET: &str = "llama-3.1-8b";

/// Smallest and largest sizes [`dense_of_size`] builds, in parameters.
pub const DENSE_SIZE_RANGE: std::ops::RangeInclusive<u64> = 100_000_000..=1_000_000_000_000;

/// A dense Llama-2-shaped model of about `target` parameters, for a reader
/// who has a size but no config.
///
/// The shape follows the Llama 2 family (Touvron et al. 2023, "Llama 2:
/// Open Foundation and Fine-Tuned Chat Models", arXiv:2307.09288, and the
/// `config.json` of Llama-2-7b-hf and Llama-2-13b-hf): head_dim 128 (one head
/// per 128 of hidden size), multi-head attention, a SwiGLU MLP whose width is
/// 8/3 of the hidden size rounded up to a multiple of 256, a 32,000-token
/// vocabulary, untied embeddings, and one layer per 128 of hidden size
/// (7B: 4096 wide, 32 deep; 13B: 5120 wide, 40 deep). Widths are tried in
/// steps of 128 and the one whose exact parameter count is nearest to
/// `target` wins. Every figure computed from the result is exact for that
/// shape; a real model of the same size differs in shape (GQA, a larger
/// vocabulary), which is what the presets are for. 7B gives Llama 2 7B.
pub fn dense_of_size(target: u64) -> Result<ModelArch> {
    if !DENSE_SIZE_RANGE.contains(&target) {
        return Err(EstimateError::OutOfRange {
            what: "model size".into(),
            reason: format!(
                "{target} parameters; a custom size must be between {} and {}",
                DENSE_SIZE_RANGE.start(),
                DENSE_SIZE_RANGE.end()
            ),
        });
    }
    let mut best: Option<(u64, ModelArch)> = None;
    // 512 to 65,536 wide spans 0.1B to 1T with room on both sides.
    for k in 4..=512u64 {
        let arch = llama_shape(128 * k)?;
        let total = arch.param_counts()?.total;
        let miss = total.abs_diff(target);
        if best.as_ref().is_none_or(|(m, _)| miss < *m) {
            best = Some((miss, arch));
        }
        if total > target {
            // Counts grow with width, so nothing wider comes closer.
            break;
        }
    }
    best.map(|(_, a)| a)
        .ok_or_else(|| EstimateError::OutOfRange { what: "model size".into(), reason: "no shape fits".into() })
}

/// The Llama-2-style model of the given width (see [`dense_of_size`]):
/// the architecture parsing such a `llama` config gives (a test checks it),
/// built directly so the custom-size figures need no config parser.
fn llama_shape(hidden: u64) -> Result<ModelArch> {
    use crate::arch::{Attention, AttentionSpan, Ffn, Layer, Mlp, NormKind, QkNorm, StandardAttention};
    let intermediate = (8 * hidden).div_ceil(3).div_ceil(256) * 256;
    let heads = hidden / 128;
    Ok(ModelArch {
        family: crate::families::Family::Llama,
        vocab_size: 32000,
        hidden_size: hidden,
        num_layers: heads,
        attention: Some(Attention::Standard(StandardAttention {
            num_heads: heads,
            num_kv_heads: heads,
            head_dim: 128,
            qkv_bias: false,
            out_bias: false,
            fused_qkv: false,
            qk_norm: QkNorm::None,
            sinks: false,
            output_gate: false,
        })),
        mlp: Mlp { intermediate_size: intermediate, gated: true, bias: false, fused_gate_up: false },
        moe: None,
        recurrent: None,
        layers: vec![Layer::attention(AttentionSpan::Full, Ffn::Dense); heads as usize],
        norm: NormKind::Rms,
        norms_per_layer: 2,
        tie_word_embeddings: false,
        learned_positions: 0,
        max_position_embeddings: 4096,
        rope_scaling: None,
        rotary_dims: 128,
        torch_dtype: crate::precision::Dtype::Bf16,
        vision: None,
        quantization: None,
        defaulted: vec!["attention_bias", "mlp_bias"],
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The count Hugging Face transformers instantiates, to the parameter.
    #[test]
    fn every_preset_matches_its_published_count() {
        for p in PRESETS {
            let arch = p.arch().unwrap_or_else(|e| panic!("{}: {e}", p.id));
            let counts = arch.param_counts().unwrap();
            assert_eq!(counts.total, p.expected_params, "{}", p.id);
        }
    }

    /// Mixtral: 2 of 8 experts per token → 12,879,925,248 active
    /// (non-expert 1,605,636,096 + 32 layers × 2 × 176,160,768), the
    /// "13B active" of Jiang et al. 2024 (arXiv 2401.04088) §2.1.
    #[test]
    fn mixtral_active_params() {
        let c = preset("mixtral-8x7b").unwrap().arch().unwrap().param_counts().unwrap();
        assert_eq!(c.active, 12_879_925_248);
    }

    /// DeepSeek-V3: 8 of 256 routed experts plus the shared one → 37.55B
    /// active, the "37B activated" of the technical report. Hand check:
    /// total − 58 MoE layers × 248 idle experts × 44,040,192.
    #[test]
    fn deepseek_v3_active_params() {
        let c = preset("deepseek-v3").unwrap().arch().unwrap().param_counts().unwrap();
        assert_eq!(c.active, 671_026_404_352 - 58 * 248 * 44_040_192);
        assert_eq!(c.active, 37_552_282_624);
    }

    #[test]
    fn recurrent_flags_agree_with_the_configs() {
        for p in PRESETS {
            assert_eq!(p.recurrent, p.arch().unwrap().recurrent.is_some(), "{}", p.id);
        }
    }

    #[test]
    fn dense_models_are_fully_active() {
        let c = preset("llama-3.1-8b").unwrap().arch().unwrap().param_counts().unwrap();
        assert_eq!(c.total, c.active);
        assert_eq!(c.embedding, 128_256 * 4096);
    }

    /// The compiled architectures are what parsing the configs gives.
    #[test]
    fn compiled_presets_are_current() {
        let parsed: Vec<(&str, ModelArch)> =
            PRESETS.iter().map(|p| (p.id, p.parse().unwrap_or_else(|e| panic!("{}: {e}", p.id)))).collect();
        let source = crate::presets_codegen::render(&parsed);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/presets_compiled.rs");
        if std::env::var_os("LLMEM_BLESS").is_some() {
            std::fs::write(&path, &source).unwrap();
            return;
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), source, "stale: LLMEM_BLESS=1 cargo test compiled_presets");
        for (id, arch) in &parsed {
            assert_eq!(&preset(id).unwrap().arch().unwrap(), arch, "{id}");
        }
    }

    /// A custom size is the architecture its Llama config parses to.
    #[test]
    fn custom_shape_equals_its_config() {
        for hidden in [512u64, 4096, 8192] {
            let heads = hidden / 128;
            let parsed = parse_config_value(&serde_json::json!({
                "model_type": "llama",
                "hidden_size": hidden,
                "intermediate_size": (8 * hidden).div_ceil(3).div_ceil(256) * 256,
                "num_attention_heads": heads,
                "num_key_value_heads": heads,
                "num_hidden_layers": heads,
                "vocab_size": 32000,
                "max_position_embeddings": 4096,
                "tie_word_embeddings": false,
                "torch_dtype": "bfloat16",
            }))
            .unwrap();
            assert_eq!(llama_shape(hidden).unwrap(), parsed);
        }
    }

    /// The compiled data reads exactly as the JSON text does.
    #[test]
    fn compiled_presets_equal_their_text() {
        for p in PRESETS {
            let parsed: Value = serde_json::from_str(p.config_json()).unwrap();
            assert_eq!(preset_value(p.id), parsed, "{}", p.id);
            assert_eq!(p.arch().unwrap(), crate::config::parse_config(p.config_json()).unwrap(), "{}", p.id);
        }
        assert_eq!(preset_value("no-such-model"), Value::Object(Map::new()));
    }

    #[test]
    fn unknown_preset_lists_known() {
        let e = preset("llama-9").unwrap_err().to_string();
        assert!(e.contains("llama-3.1-8b"), "{e}");
        assert!(preset("LLAMA-3.1-8B").is_ok());
    }

    /// 7B and 13B come out as Llama 2 7B and 13B exactly (Llama-2-13b-hf:
    /// 5120 wide, 40 layers, MLP 13824; 13,015,864,320 parameters per its
    /// safetensors metadata).
    #[test]
    fn custom_sizes_reproduce_llama_2() {
        let seven = dense_of_size(7_000_000_000).unwrap();
        assert_eq!(seven.param_counts().unwrap().total, 6_738_415_616);
        assert_eq!((seven.hidden_size, seven.num_layers, seven.mlp.intermediate_size), (4096, 32, 11008));
        let thirteen = dense_of_size(13_000_000_000).unwrap();
        assert_eq!((thirteen.hidden_size, thirteen.num_layers), (5120, 40));
        assert_eq!(thirteen.param_counts().unwrap().total, 13_015_864_320);
    }

    #[test]
    fn custom_sizes_are_near_and_grow() {
        let mut last = 0;
        for b in [1u64, 2, 3, 5, 10, 20, 34, 70, 120, 180] {
            let n = dense_of_size(b * 1_000_000_000).unwrap().param_counts().unwrap().total;
            assert!(n >= last, "{b}B");
            // Within 8% (widths step by 128, and a step is coarse at 1B).
            assert!(n.abs_diff(b * 1_000_000_000) * 100 <= 8 * b * 1_000_000_000, "{b}B gave {n}");
            last = n;
        }
        assert!(dense_of_size(0).is_err());
        assert!(dense_of_size(u64::MAX).is_err());
    }
}

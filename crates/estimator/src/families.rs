//! The model-family registry: one declarative entry per `model_type`.
//!
//! Each [`FamilySpec`] says how a Hugging Face `config.json` of that
//! `model_type` maps onto [`ModelArch`]: the defaults of the family's
//! transformers config class for every field a config may omit (read from
//! transformers 5.24, `models/<family>/configuration_<family>.py`; a test
//! compares them with a dump of the classes, `tests/fixtures/transformers_defaults.json`),
//! the norms per layer, which projections carry biases, q/k norms, fused
//! projections, which layers are local, chunked, recurrent or full
//! ([`LayerRule`]), the MoE layout ([`MoeRule`]) and the recurrent mixer
//! ([`RecurrentRule`]). Adding a family is one entry in [`FAMILIES`] plus
//! its tests; the rules are shared, and each rule's semantics lives in one
//! function below ([`layer_spans`], [`moe_geometry`], [`ffn_kinds`],
//! [`recurrent_geometry`]).

use crate::arch::{
    Attention, AttentionSpan, Ffn, LatentAttention, Layer, Mlp, ModelArch, Moe, NormKind, QkNorm, RouterBias, Routing,
    StandardAttention, MAX_LAYERS,
};
use crate::error::{EstimateError, Result};
use crate::fields::{Default as D, Defaults, Fields, MAX_EXPERTS, MAX_HEADS, MAX_POSITIONS, MAX_VOCAB, MAX_WIDTH};
use crate::precision::Dtype;
use crate::ssm::Recurrent;
use crate::vision::VisionRule;
use serde::Serialize;
use serde_json::{Map, Value};

/// A supported model family, by `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Llama,
    Mistral,
    Mixtral,
    Qwen2,
    Qwen2Moe,
    Qwen3,
    Qwen3Moe,
    Qwen3Next,
    Gemma2,
    Gemma3Text,
    Gemma3,
    Phi3,
    DeepseekV2,
    DeepseekV3,
    Gpt2,
    GptOss,
    Llama4Text,
    Llama4,
    Olmo2,
    Cohere,
    Cohere2,
    Granite,
    Mistral3,
    Mamba,
    Mamba2,
    NemotronH,
    GraniteMoeHybrid,
}

impl Family {
    /// The family's registry entry.
    pub fn spec(self) -> &'static FamilySpec {
        // Every variant has exactly one entry (tested); the first entry is
        // never reached for a valid variant.
        FAMILIES.iter().find(|s| s.family == self).unwrap_or(&FAMILIES[0])
    }

    /// The `model_type` string of this family in `config.json`.
    pub fn model_type(self) -> &'static str {
        self.spec().model_type
    }
}

/// Which projections carry a bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasRule {
    Never,
    Always,
    /// As the named boolean field says.
    Field(&'static str),
}

/// How a family's q/k norms are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QkNormRule {
    Fixed(QkNorm),
    /// Per-head norms when the named boolean field is true (Cohere `use_qk_norm`).
    PerHeadIf(&'static str),
}

/// How the head width is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadDim {
    /// `head_dim`, or `hidden_size // num_attention_heads` when null or absent.
    Field,
    /// Always `hidden_size // num_attention_heads` (Cohere 2's `__post_init__`).
    Derived,
}

/// The attention of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionRule {
    /// Q/K/V/O projections with `num_key_value_heads` KV heads.
    Standard {
        qkv_bias: BiasRule,
        out_bias: BiasRule,
        fused_qkv: bool,
        qk_norm: QkNormRule,
        head_dim: HeadDim,
        /// gpt-oss attention sinks.
        sinks: bool,
        /// Qwen3-Next's gated query projection.
        output_gate: bool,
    },
    /// DeepSeek's multi-head latent attention.
    Latent,
    /// No attention at all (Mamba, Mamba-2).
    None,
}

impl AttentionRule {
    /// The plain Llama attention: no biases, no norms.
    pub const PLAIN: AttentionRule = AttentionRule::Standard {
        qkv_bias: BiasRule::Never,
        out_bias: BiasRule::Never,
        fused_qkv: false,
        qk_norm: QkNormRule::Fixed(QkNorm::None),
        head_dim: HeadDim::Field,
        sinks: false,
        output_gate: false,
    };
    /// Llama's `attention_bias` on all four projections.
    pub const BIASED_BY_FIELD: AttentionRule = AttentionRule::Standard {
        qkv_bias: BiasRule::Field("attention_bias"),
        out_bias: BiasRule::Field("attention_bias"),
        fused_qkv: false,
        qk_norm: QkNormRule::Fixed(QkNorm::None),
        head_dim: HeadDim::Field,
        sinks: false,
        output_gate: false,
    };
}

/// Which layers attend within a window, a chunk, fully, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerRule {
    /// Full attention everywhere.
    AllFull,
    /// Every layer slides when `sliding_window` is set (Mistral, Mixtral,
    /// Phi-3: the attention passes `config.sliding_window` to every layer and
    /// `layer_types` is ignored).
    SlideAll,
    /// Qwen2 / Qwen3: sliding only with `use_sliding_window`, for layers
    /// ≥ `max_window_layers` (Qwen2Config builds `layer_types` so).
    QwenFromMaxWindow,
    /// Qwen3-MoE: with `use_sliding_window`, every layer slides.
    SlideAllIfUsed,
    /// Qwen2-MoE: with `use_sliding_window`, even layers below
    /// `max_window_layers` slide.
    Qwen2MoeEven,
    /// Layer i slides unless (i + 1) is a multiple of the period, read from
    /// `key` when given (Gemma 2: 2; Gemma 3: `sliding_window_pattern`, 6;
    /// Cohere 2: `sliding_window_pattern`, 4; gpt-oss: 2). `full_nope`: the
    /// full layers use no RoPE (Cohere 2).
    Period { default: u64, key: Option<&'static str>, full_nope: bool },
    /// Llama 4: layers with RoPE use chunked attention of
    /// `attention_chunk_size`, every `no_rope_layer_interval`-th layer is a
    /// global NoPE layer (`no_rope_layers` when listed).
    Llama4Chunked,
    /// Every layer is recurrent (Mamba, Mamba-2).
    AllRecurrent,
    /// Qwen3-Next: linear-attention (Gated DeltaNet) layers with a full
    /// attention layer every `full_attention_interval` (4).
    QwenNextInterval,
    /// Granite 4 hybrids: `layer_types` of `mamba` / `attention`; all Mamba by default.
    GraniteHybrid,
    /// Nemotron-H: one mixer per block from `hybrid_override_pattern`
    /// (`M` Mamba-2, `*` attention, `-` MLP, `E` MoE) or `layers_block_type`.
    NemotronPattern,
}

/// How experts are laid out, and which layers use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoeRule {
    None,
    /// Mixtral: `num_local_experts`, top `num_experts_per_tok`, experts of
    /// `intermediate_size`, every layer.
    Mixtral,
    /// Qwen MoE: `num_experts`, `moe_intermediate_size`, every
    /// `decoder_sparse_step`-th layer except `mlp_only_layers`; `shared`: a
    /// shared expert of `shared_expert_intermediate_size` with its sigmoid gate.
    Qwen {
        shared: bool,
    },
    /// DeepSeek: `n_routed_experts`, `n_shared_experts × moe_intermediate_size`
    /// shared, dense below `first_k_dense_replace`; `correction_bias`: V3's
    /// `e_score_correction_bias` buffer.
    DeepSeek {
        correction_bias: bool,
    },
    /// gpt-oss: `num_local_experts` of `intermediate_size`, router and expert
    /// biases, every layer.
    GptOss,
    /// Llama 4: routed experts of `intermediate_size` plus a shared expert of
    /// the same width in `moe_layers` (every `interleave_moe_layer_step`-th);
    /// other layers dense of `intermediate_size_mlp`.
    Llama4,
    /// Granite 4: a fused shared MLP of `shared_intermediate_size` in every
    /// layer, plus `num_local_experts` experts of `intermediate_size` when > 0.
    Granite,
    /// Nemotron-H: `E` blocks hold `n_routed_experts` plain (up, down)
    /// experts of `moe_intermediate_size` and a shared expert of
    /// `moe_shared_expert_intermediate_size`; fp32 router with a correction bias.
    Nemotron,
}

/// The recurrent mixer of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurrentRule {
    None,
    /// `mamba`: `expand × hidden_size` channels, `state_size`, `conv_kernel`,
    /// `time_step_rank` ("auto" = ⌈hidden / 16⌉), `use_bias`, `use_conv_bias`.
    Mamba,
    /// `mamba2`: `num_heads × head_dim`… with `n_groups`, `state_size`, `conv_kernel`.
    Mamba2,
    /// Nemotron-H's Mamba-2 (`mamba_num_heads`, `mamba_head_dim`, `ssm_state_size`).
    NemotronMamba2,
    /// Granite 4's Mamba-2 (`mamba_n_heads`, `mamba_d_head` "auto", `mamba_d_state`, …).
    GraniteMamba2,
    /// Qwen3-Next's Gated DeltaNet (`linear_num_key_heads`, …).
    GatedDeltaNet,
}

/// How the tokens' positions are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positions {
    /// Rotary embeddings: no parameters.
    Rotary,
    /// A learned table of `n_positions` rows (GPT-2 `wpe`).
    Learned,
}

/// A decoder's declarative description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    pub attention: AttentionRule,
    pub norm: NormKind,
    pub norms_per_layer: u64,
    /// Dense MLP: gated (gate, up, down) or plain (up, down).
    pub mlp_gated: bool,
    pub mlp_fused_gate_up: bool,
    pub mlp_bias: BiasRule,
    /// The dense MLP width is `4 × hidden_size` when `intermediate_size` is
    /// null (GPT2MLP's `n_inner`).
    pub mlp_width_4x_if_null: bool,
    pub layers: LayerRule,
    pub moe: MoeRule,
    pub recurrent: RecurrentRule,
    pub positions: Positions,
    pub notes: &'static [&'static str],
}

impl Decoder {
    /// Llama's shape: RMSNorm twice per layer, gated MLP with `mlp_bias`,
    /// attention biased by `attention_bias`, full attention, RoPE.
    pub const LLAMA: Decoder = Decoder {
        attention: AttentionRule::BIASED_BY_FIELD,
        norm: NormKind::Rms,
        norms_per_layer: 2,
        mlp_gated: true,
        mlp_fused_gate_up: false,
        mlp_bias: BiasRule::Field("mlp_bias"),
        mlp_width_4x_if_null: false,
        layers: LayerRule::AllFull,
        moe: MoeRule::None,
        recurrent: RecurrentRule::None,
        positions: Positions::Rotary,
        notes: &[],
    };
}

/// What a family's config looks like at the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A language model.
    Decoder(Decoder),
    /// A multimodal wrapper: the language model in `text_config` (parsed as
    /// `text`), a vision encoder in `vision_config` and a projector.
    Multimodal { text: Family, vision: VisionRule },
}

/// One model family: how its `config.json` becomes a [`ModelArch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilySpec {
    pub family: Family,
    pub model_type: &'static str,
    /// The transformers class whose parameters we count.
    pub hf_class: &'static str,
    /// The transformers config class the defaults come from.
    pub config_class: &'static str,
    pub defaults: Defaults,
    /// Other names a field goes by in this family's configs (`attribute_map`).
    pub aliases: &'static [(&'static str, &'static str)],
    pub shape: Shape,
}

/// The transformers version the defaults and inventories were read from.
pub const TRANSFORMERS_VERSION: &str = "5.24.0";

const LLAMA_DEFAULTS: Defaults = &[
    ("vocab_size", D::Int(32000)),
    ("hidden_size", D::Int(4096)),
    ("intermediate_size", D::Int(11008)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("num_key_value_heads", D::Null),
    ("head_dim", D::Null),
    ("max_position_embeddings", D::Int(2048)),
    ("tie_word_embeddings", D::Bool(false)),
    ("attention_bias", D::Bool(false)),
    ("mlp_bias", D::Bool(false)),
];

/// Every supported family. Defaults are those of transformers 5.24's config classes.
pub static FAMILIES: &[FamilySpec] = &[
    FamilySpec {
        family: Family::Llama,
        model_type: "llama",
        hf_class: "LlamaForCausalLM",
        config_class: "LlamaConfig",
        defaults: LLAMA_DEFAULTS,
        aliases: &[],
        shape: Shape::Decoder(Decoder::LLAMA),
    },
    FamilySpec {
        family: Family::Mistral,
        model_type: "mistral",
        hf_class: "MistralForCausalLM",
        config_class: "MistralConfig",
        defaults: &[
            ("vocab_size", D::Int(32000)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(14336)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(8)),
            ("head_dim", D::Null),
            ("max_position_embeddings", D::Int(131072)),
            ("tie_word_embeddings", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::PLAIN,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::SlideAll,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Mixtral,
        model_type: "mixtral",
        hf_class: "MixtralForCausalLM",
        config_class: "MixtralConfig",
        defaults: &[
            ("vocab_size", D::Int(32000)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(14336)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(8)),
            ("head_dim", D::Null),
            ("max_position_embeddings", D::Int(131072)),
            ("tie_word_embeddings", D::Bool(false)),
            ("sliding_window", D::Null),
            ("num_experts_per_tok", D::Int(2)),
            ("num_local_experts", D::Int(8)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::PLAIN,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::SlideAll,
            moe: MoeRule::Mixtral,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Qwen2,
        model_type: "qwen2",
        hf_class: "Qwen2ForCausalLM",
        config_class: "Qwen2Config",
        defaults: &[
            ("vocab_size", D::Int(151936)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(22016)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(32)),
            ("max_position_embeddings", D::Int(32768)),
            ("tie_word_embeddings", D::Bool(false)),
            ("use_sliding_window", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("max_window_layers", D::Int(28)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            // Qwen2Attention: q/k/v_proj bias=True, o_proj bias=False.
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Always,
                out_bias: BiasRule::Never,
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            mlp_bias: BiasRule::Never,
            layers: LayerRule::QwenFromMaxWindow,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Qwen2Moe,
        model_type: "qwen2_moe",
        hf_class: "Qwen2MoeForCausalLM",
        config_class: "Qwen2MoeConfig",
        defaults: &[
            ("vocab_size", D::Int(151936)),
            ("hidden_size", D::Int(2048)),
            ("intermediate_size", D::Int(5632)),
            ("num_hidden_layers", D::Int(24)),
            ("num_attention_heads", D::Int(16)),
            ("num_key_value_heads", D::Int(16)),
            ("max_position_embeddings", D::Int(32768)),
            ("tie_word_embeddings", D::Bool(false)),
            ("use_sliding_window", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("max_window_layers", D::Int(28)),
            ("decoder_sparse_step", D::Int(1)),
            ("moe_intermediate_size", D::Int(1408)),
            ("shared_expert_intermediate_size", D::Int(5632)),
            ("num_experts_per_tok", D::Int(4)),
            ("num_experts", D::Int(60)),
            ("mlp_only_layers", D::Null),
            ("qkv_bias", D::Bool(true)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("qkv_bias"),
                out_bias: BiasRule::Never,
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            mlp_bias: BiasRule::Never,
            layers: LayerRule::Qwen2MoeEven,
            moe: MoeRule::Qwen { shared: true },
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Qwen3,
        model_type: "qwen3",
        hf_class: "Qwen3ForCausalLM",
        config_class: "Qwen3Config",
        defaults: &[
            ("vocab_size", D::Int(151936)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(22016)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(32)),
            ("head_dim", D::Int(128)),
            ("max_position_embeddings", D::Int(32768)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("use_sliding_window", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("max_window_layers", D::Int(28)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: QWEN3_ATTENTION,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::QwenFromMaxWindow,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Qwen3Moe,
        model_type: "qwen3_moe",
        hf_class: "Qwen3MoeForCausalLM",
        config_class: "Qwen3MoeConfig",
        defaults: &[
            ("vocab_size", D::Int(151936)),
            ("hidden_size", D::Int(2048)),
            ("intermediate_size", D::Int(6144)),
            ("num_hidden_layers", D::Int(24)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(4)),
            ("max_position_embeddings", D::Int(32768)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("use_sliding_window", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("decoder_sparse_step", D::Int(1)),
            ("moe_intermediate_size", D::Int(768)),
            ("num_experts_per_tok", D::Int(8)),
            ("num_experts", D::Int(128)),
            ("mlp_only_layers", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: QWEN3_ATTENTION,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::SlideAllIfUsed,
            moe: MoeRule::Qwen { shared: false },
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Qwen3Next,
        model_type: "qwen3_next",
        hf_class: "Qwen3NextForCausalLM",
        config_class: "Qwen3NextConfig",
        defaults: &[
            ("vocab_size", D::Int(151936)),
            ("hidden_size", D::Int(2048)),
            ("intermediate_size", D::Int(5632)),
            ("num_hidden_layers", D::Int(48)),
            ("num_attention_heads", D::Int(16)),
            ("num_key_value_heads", D::Int(2)),
            ("max_position_embeddings", D::Int(32768)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("head_dim", D::Int(256)),
            ("linear_conv_kernel_dim", D::Int(4)),
            ("linear_key_head_dim", D::Int(128)),
            ("linear_value_head_dim", D::Int(128)),
            ("linear_num_key_heads", D::Int(16)),
            ("linear_num_value_heads", D::Int(32)),
            ("decoder_sparse_step", D::Int(1)),
            ("moe_intermediate_size", D::Int(512)),
            ("shared_expert_intermediate_size", D::Int(512)),
            ("num_experts_per_tok", D::Int(10)),
            ("num_experts", D::Int(512)),
            ("mlp_only_layers", D::Null),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::SharedAcrossHeads),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: true,
            },
            mlp_bias: BiasRule::Never,
            layers: LayerRule::QwenNextInterval,
            moe: MoeRule::Qwen { shared: true },
            recurrent: RecurrentRule::GatedDeltaNet,
            notes: &["partial RoPE (a quarter of each head's channels) on the full-attention layers"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Gemma2,
        model_type: "gemma2",
        hf_class: "Gemma2ForCausalLM",
        config_class: "Gemma2Config",
        defaults: &[
            ("vocab_size", D::Int(256000)),
            ("hidden_size", D::Int(2304)),
            ("intermediate_size", D::Int(9216)),
            ("num_hidden_layers", D::Int(26)),
            ("num_attention_heads", D::Int(8)),
            ("num_key_value_heads", D::Int(4)),
            ("head_dim", D::Int(256)),
            ("max_position_embeddings", D::Int(8192)),
            ("tie_word_embeddings", D::Bool(true)),
            ("attention_bias", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            mlp_bias: BiasRule::Never,
            norms_per_layer: 4,
            layers: LayerRule::Period { default: 2, key: None, full_nope: false },
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Gemma3Text,
        model_type: "gemma3_text",
        hf_class: "Gemma3ForCausalLM",
        config_class: "Gemma3TextConfig",
        defaults: &[
            ("vocab_size", D::Int(262208)),
            ("hidden_size", D::Int(2304)),
            ("intermediate_size", D::Int(9216)),
            ("num_hidden_layers", D::Int(26)),
            ("num_attention_heads", D::Int(8)),
            ("num_key_value_heads", D::Int(4)),
            ("head_dim", D::Int(256)),
            ("max_position_embeddings", D::Int(131072)),
            ("tie_word_embeddings", D::Bool(true)),
            ("attention_bias", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::SharedAcrossHeads),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            mlp_bias: BiasRule::Never,
            norms_per_layer: 4,
            layers: LayerRule::Period { default: 6, key: Some("sliding_window_pattern"), full_nope: false },
            notes: &["two RoPE bases (local layers 10,000, global layers 1,000,000): they change what the \
                      model attends to, not what it stores"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Gemma3,
        model_type: "gemma3",
        hf_class: "Gemma3ForConditionalGeneration",
        config_class: "Gemma3Config",
        defaults: &[("tie_word_embeddings", D::Bool(true))],
        aliases: &[],
        shape: Shape::Multimodal { text: Family::Gemma3Text, vision: VisionRule::Gemma3Siglip },
    },
    FamilySpec {
        family: Family::Phi3,
        model_type: "phi3",
        hf_class: "Phi3ForCausalLM",
        config_class: "Phi3Config",
        defaults: &[
            ("vocab_size", D::Int(32064)),
            ("hidden_size", D::Int(3072)),
            ("intermediate_size", D::Int(8192)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(4096)),
            ("tie_word_embeddings", D::Bool(false)),
            ("sliding_window", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Never,
                out_bias: BiasRule::Never,
                fused_qkv: true,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            mlp_fused_gate_up: true,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::SlideAll,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::DeepseekV2,
        model_type: "deepseek_v2",
        hf_class: "DeepseekV2ForCausalLM",
        config_class: "DeepseekV2Config",
        defaults: &[
            ("vocab_size", D::Int(102400)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(11008)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("max_position_embeddings", D::Int(2048)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("mlp_bias", D::Bool(false)),
            ("first_k_dense_replace", D::Int(0)),
            ("kv_lora_rank", D::Int(512)),
            ("q_lora_rank", D::Int(1536)),
            ("n_routed_experts", D::Int(64)),
            ("n_shared_experts", D::Int(2)),
            ("qk_nope_head_dim", D::Int(128)),
            ("qk_rope_head_dim", D::Int(64)),
            ("v_head_dim", D::Int(128)),
            ("num_experts_per_tok", D::Null),
            ("moe_intermediate_size", D::Int(1407)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Latent,
            moe: MoeRule::DeepSeek { correction_bias: false },
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::DeepseekV3,
        model_type: "deepseek_v3",
        hf_class: "DeepseekV3ForCausalLM",
        config_class: "DeepseekV3Config",
        defaults: &[
            ("vocab_size", D::Int(129280)),
            ("hidden_size", D::Int(7168)),
            ("intermediate_size", D::Int(18432)),
            ("moe_intermediate_size", D::Int(2048)),
            ("num_hidden_layers", D::Int(61)),
            ("num_attention_heads", D::Int(128)),
            ("n_shared_experts", D::Int(1)),
            ("n_routed_experts", D::Int(256)),
            ("kv_lora_rank", D::Int(512)),
            ("q_lora_rank", D::Int(1536)),
            ("qk_rope_head_dim", D::Int(64)),
            ("v_head_dim", D::Int(128)),
            ("qk_nope_head_dim", D::Int(128)),
            ("num_experts_per_tok", D::Int(8)),
            ("first_k_dense_replace", D::Int(3)),
            ("max_position_embeddings", D::Int(4096)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Latent,
            mlp_bias: BiasRule::Never,
            moe: MoeRule::DeepSeek { correction_bias: true },
            notes: &["the checkpoint's multi-token-prediction layer is not loaded by transformers"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Gpt2,
        model_type: "gpt2",
        hf_class: "GPT2LMHeadModel",
        config_class: "GPT2Config",
        defaults: &[
            ("vocab_size", D::Int(50257)),
            ("n_positions", D::Int(1024)),
            ("n_embd", D::Int(768)),
            ("n_layer", D::Int(12)),
            ("n_head", D::Int(12)),
            ("n_inner", D::Null),
            ("tie_word_embeddings", D::Bool(true)),
        ],
        // GPT2Config.attribute_map.
        aliases: &[
            ("hidden_size", "n_embd"),
            ("num_hidden_layers", "n_layer"),
            ("num_attention_heads", "n_head"),
            ("max_position_embeddings", "n_positions"),
            ("intermediate_size", "n_inner"),
        ],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Always,
                out_bias: BiasRule::Always,
                fused_qkv: true,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Derived,
                sinks: false,
                output_gate: false,
            },
            norm: NormKind::Layer,
            mlp_gated: false,
            mlp_bias: BiasRule::Always,
            mlp_width_4x_if_null: true,
            positions: Positions::Learned,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::GptOss,
        model_type: "gpt_oss",
        hf_class: "GptOssForCausalLM",
        config_class: "GptOssConfig",
        defaults: &[
            ("num_hidden_layers", D::Int(36)),
            ("num_local_experts", D::Int(128)),
            ("vocab_size", D::Int(201088)),
            ("hidden_size", D::Int(2880)),
            ("intermediate_size", D::Int(2880)),
            ("head_dim", D::Int(64)),
            ("num_attention_heads", D::Int(64)),
            ("num_key_value_heads", D::Int(8)),
            ("sliding_window", D::Int(128)),
            ("tie_word_embeddings", D::Bool(false)),
            ("max_position_embeddings", D::Int(131072)),
            ("num_experts_per_tok", D::Int(4)),
            ("layer_types", D::Null),
            ("attention_bias", D::Bool(true)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Field,
                sinks: true,
                output_gate: false,
            },
            mlp_bias: BiasRule::Never,
            layers: LayerRule::Period { default: 2, key: None, full_nope: false },
            moe: MoeRule::GptOss,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Llama4Text,
        model_type: "llama4_text",
        hf_class: "Llama4ForCausalLM",
        config_class: "Llama4TextConfig",
        defaults: &[
            ("vocab_size", D::Int(202048)),
            ("hidden_size", D::Int(5120)),
            ("intermediate_size", D::Int(8192)),
            ("intermediate_size_mlp", D::Int(16384)),
            ("num_hidden_layers", D::Int(48)),
            ("num_attention_heads", D::Int(40)),
            ("num_key_value_heads", D::Int(8)),
            ("head_dim", D::Int(128)),
            ("max_position_embeddings", D::Int(131072)),
            ("tie_word_embeddings", D::Bool(false)),
            ("num_experts_per_tok", D::Int(1)),
            ("num_local_experts", D::Int(16)),
            ("moe_layers", D::Null),
            ("interleave_moe_layer_step", D::Int(1)),
            ("no_rope_layers", D::Null),
            ("no_rope_layer_interval", D::Int(4)),
            ("attention_chunk_size", D::Int(8192)),
            ("layer_types", D::Null),
            ("attention_bias", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            mlp_bias: BiasRule::Never,
            layers: LayerRule::Llama4Chunked,
            moe: MoeRule::Llama4,
            notes: &["queries and keys of the RoPE layers pass an L2 norm without weights (use_qk_norm)"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Llama4,
        model_type: "llama4",
        hf_class: "Llama4ForConditionalGeneration",
        config_class: "Llama4Config",
        defaults: &[("tie_word_embeddings", D::Bool(false))],
        aliases: &[],
        shape: Shape::Multimodal { text: Family::Llama4Text, vision: VisionRule::Llama4 },
    },
    FamilySpec {
        family: Family::Olmo2,
        model_type: "olmo2",
        hf_class: "Olmo2ForCausalLM",
        config_class: "Olmo2Config",
        defaults: &[
            ("vocab_size", D::Int(50304)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(11008)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(2048)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::PerHead),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            mlp_bias: BiasRule::Never,
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Cohere,
        model_type: "cohere",
        hf_class: "CohereForCausalLM",
        config_class: "CohereConfig",
        defaults: &[
            ("vocab_size", D::Int(256000)),
            ("hidden_size", D::Int(8192)),
            ("intermediate_size", D::Int(22528)),
            ("num_hidden_layers", D::Int(40)),
            ("num_attention_heads", D::Int(64)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(8192)),
            ("tie_word_embeddings", D::Bool(true)),
            ("attention_bias", D::Bool(false)),
            ("use_qk_norm", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::PerHeadIf("use_qk_norm"),
                head_dim: HeadDim::Field,
                sinks: false,
                output_gate: false,
            },
            norm: NormKind::LayerNoBias,
            norms_per_layer: 1,
            mlp_bias: BiasRule::Never,
            notes: &["attention and MLP run in parallel from one LayerNorm per layer"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Cohere2,
        model_type: "cohere2",
        hf_class: "Cohere2ForCausalLM",
        config_class: "Cohere2Config",
        defaults: &[
            ("vocab_size", D::Int(256000)),
            ("hidden_size", D::Int(8192)),
            ("intermediate_size", D::Int(22528)),
            ("num_hidden_layers", D::Int(40)),
            ("num_attention_heads", D::Int(64)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(8192)),
            ("tie_word_embeddings", D::Bool(true)),
            ("attention_bias", D::Bool(false)),
            ("sliding_window", D::Int(4096)),
            ("layer_types", D::Null),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::Standard {
                qkv_bias: BiasRule::Field("attention_bias"),
                out_bias: BiasRule::Field("attention_bias"),
                fused_qkv: false,
                qk_norm: QkNormRule::Fixed(QkNorm::None),
                head_dim: HeadDim::Derived,
                sinks: false,
                output_gate: false,
            },
            norm: NormKind::LayerNoBias,
            norms_per_layer: 1,
            mlp_bias: BiasRule::Never,
            layers: LayerRule::Period { default: 4, key: Some("sliding_window_pattern"), full_nope: true },
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Granite,
        model_type: "granite",
        hf_class: "GraniteForCausalLM",
        config_class: "GraniteConfig",
        defaults: &[
            ("vocab_size", D::Int(32000)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(11008)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(2048)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("mlp_bias", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder {
            notes: &["embedding, residual, attention and logit multipliers scale activations, not memory"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::Mistral3,
        model_type: "mistral3",
        hf_class: "Mistral3ForConditionalGeneration",
        config_class: "Mistral3Config",
        defaults: &[
            ("tie_word_embeddings", D::Bool(true)),
            ("multimodal_projector_bias", D::Bool(false)),
            ("spatial_merge_size", D::Int(2)),
        ],
        aliases: &[],
        shape: Shape::Multimodal { text: Family::Mistral, vision: VisionRule::Mistral3Pixtral },
    },
    FamilySpec {
        family: Family::Mamba,
        model_type: "mamba",
        hf_class: "MambaForCausalLM",
        config_class: "MambaConfig",
        defaults: &[
            ("vocab_size", D::Int(50280)),
            ("hidden_size", D::Int(768)),
            ("state_size", D::Int(16)),
            ("num_hidden_layers", D::Int(32)),
            ("expand", D::Int(2)),
            ("conv_kernel", D::Int(4)),
            ("use_bias", D::Bool(false)),
            ("use_conv_bias", D::Bool(true)),
            ("time_step_rank", D::Str("auto")),
            ("tie_word_embeddings", D::Bool(true)),
        ],
        aliases: &[],
        shape: Shape::Decoder(STATE_SPACE),
    },
    FamilySpec {
        family: Family::Mamba2,
        model_type: "mamba2",
        hf_class: "Mamba2ForCausalLM",
        config_class: "Mamba2Config",
        defaults: &[
            ("num_heads", D::Int(128)),
            ("head_dim", D::Int(64)),
            ("vocab_size", D::Int(32768)),
            ("hidden_size", D::Int(4096)),
            ("state_size", D::Int(128)),
            ("num_hidden_layers", D::Int(64)),
            ("expand", D::Int(2)),
            ("conv_kernel", D::Int(4)),
            ("n_groups", D::Int(8)),
            ("use_bias", D::Bool(false)),
            ("use_conv_bias", D::Bool(true)),
            ("tie_word_embeddings", D::Bool(false)),
        ],
        aliases: &[],
        shape: Shape::Decoder(Decoder { recurrent: RecurrentRule::Mamba2, ..STATE_SPACE }),
    },
    FamilySpec {
        family: Family::NemotronH,
        model_type: "nemotron_h",
        hf_class: "NemotronHForCausalLM",
        config_class: "NemotronHConfig",
        defaults: &[
            ("vocab_size", D::Int(131072)),
            ("hidden_size", D::Int(4096)),
            ("layers_block_type", D::Null),
            ("tie_word_embeddings", D::Bool(false)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Int(8)),
            ("head_dim", D::Int(128)),
            ("max_position_embeddings", D::Int(4096)),
            ("intermediate_size", D::Int(21504)),
            ("mlp_bias", D::Bool(false)),
            ("ssm_state_size", D::Int(128)),
            ("mamba_num_heads", D::Int(128)),
            ("mamba_head_dim", D::Int(64)),
            ("n_groups", D::Int(8)),
            ("conv_kernel", D::Int(4)),
            ("use_conv_bias", D::Bool(true)),
            ("n_routed_experts", D::Int(8)),
            ("moe_intermediate_size", D::Int(7688)),
            ("moe_shared_expert_intermediate_size", D::Int(7688)),
            ("num_experts_per_tok", D::Int(2)),
            ("use_bias", D::Bool(false)),
        ],
        // NemotronHConfig.__post_init__ reads these legacy names.
        aliases: &[
            ("layer_types", "layers_block_type"),
            ("n_groups", "mamba_n_groups"),
            ("conv_kernel", "mamba_d_conv"),
            ("use_conv_bias", "mamba_conv_bias"),
        ],
        shape: Shape::Decoder(Decoder {
            attention: AttentionRule::PLAIN,
            norms_per_layer: 1,
            mlp_gated: false,
            mlp_bias: BiasRule::Field("mlp_bias"),
            layers: LayerRule::NemotronPattern,
            moe: MoeRule::Nemotron,
            recurrent: RecurrentRule::NemotronMamba2,
            positions: Positions::Rotary,
            notes: &["attention layers use no positional encoding; each block holds one mixer"],
            ..Decoder::LLAMA
        }),
    },
    FamilySpec {
        family: Family::GraniteMoeHybrid,
        model_type: "granitemoehybrid",
        hf_class: "GraniteMoeHybridForCausalLM",
        config_class: "GraniteMoeHybridConfig",
        defaults: &[
            ("vocab_size", D::Int(32000)),
            ("hidden_size", D::Int(4096)),
            ("intermediate_size", D::Int(11008)),
            ("num_hidden_layers", D::Int(32)),
            ("num_attention_heads", D::Int(32)),
            ("num_key_value_heads", D::Null),
            ("max_position_embeddings", D::Int(2048)),
            ("tie_word_embeddings", D::Bool(false)),
            ("attention_bias", D::Bool(false)),
            ("num_local_experts", D::Int(8)),
            ("num_experts_per_tok", D::Int(2)),
            ("shared_intermediate_size", D::Int(1024)),
            ("layer_types", D::Null),
            ("mamba_n_heads", D::Int(128)),
            ("mamba_n_groups", D::Int(1)),
            ("mamba_d_state", D::Int(256)),
            ("mamba_d_head", D::Str("auto")),
            ("mamba_d_conv", D::Int(4)),
            ("mamba_expand", D::Int(2)),
            ("mamba_conv_bias", D::Bool(true)),
            ("mamba_proj_bias", D::Bool(false)),
        ],
        aliases: &[("layer_types", "layers_block_type")],
        shape: Shape::Decoder(Decoder {
            layers: LayerRule::GraniteHybrid,
            moe: MoeRule::Granite,
            recurrent: RecurrentRule::GraniteMamba2,
            mlp_bias: BiasRule::Never,
            notes: &["embedding, residual, attention and logit multipliers scale activations, not memory"],
            ..Decoder::LLAMA
        }),
    },
];

/// Qwen3's attention: biases by `attention_bias`, q/k RMSNorm of `head_dim`.
const QWEN3_ATTENTION: AttentionRule = AttentionRule::Standard {
    qkv_bias: BiasRule::Field("attention_bias"),
    out_bias: BiasRule::Field("attention_bias"),
    fused_qkv: false,
    qk_norm: QkNormRule::Fixed(QkNorm::SharedAcrossHeads),
    head_dim: HeadDim::Field,
    sinks: false,
    output_gate: false,
};

/// A pure state-space model: one RMSNorm and a Mamba mixer per block.
const STATE_SPACE: Decoder = Decoder {
    attention: AttentionRule::None,
    norm: NormKind::Rms,
    norms_per_layer: 1,
    mlp_gated: false,
    mlp_fused_gate_up: false,
    mlp_bias: BiasRule::Never,
    mlp_width_4x_if_null: false,
    layers: LayerRule::AllRecurrent,
    moe: MoeRule::None,
    recurrent: RecurrentRule::Mamba,
    positions: Positions::Rotary,
    notes: &[],
};

/// The registry entry for a `model_type`.
pub fn family_spec(model_type: &str) -> Option<&'static FamilySpec> {
    FAMILIES.iter().find(|s| s.model_type == model_type)
}

/// Every supported `model_type`, in registry order.
pub fn supported_model_types() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().map(|s| s.model_type)
}

/// Builds the architecture from a config object whose `model_type` names `spec`.
pub(crate) fn build(spec: &'static FamilySpec, obj: &Map<String, Value>) -> Result<ModelArch> {
    match spec.shape {
        Shape::Decoder(d) => {
            let c = Fields::new(obj, spec.defaults, spec.aliases);
            let mut arch = build_decoder(spec.family, &d, &c, None)?;
            arch.defaulted = c.defaulted();
            Ok(arch)
        }
        Shape::Multimodal { text, vision } => {
            let top = Fields::new(obj, spec.defaults, spec.aliases);
            let text_obj = match obj.get("text_config") {
                Some(Value::Object(m)) => m.clone(),
                None | Some(Value::Null) => Map::new(),
                Some(other) => {
                    return Err(EstimateError::InvalidField {
                        field: "text_config".into(),
                        reason: format!("expected an object, got {}", crate::fields::describe(other)),
                    })
                }
            };
            let text_spec = text.spec();
            let Shape::Decoder(d) = text_spec.shape else {
                return Err(EstimateError::InvalidField {
                    field: "text_config".into(),
                    reason: "not a decoder".into(),
                });
            };
            let tc = Fields::new(&text_obj, text_spec.defaults, text_spec.aliases);
            // The wrapper's own tie_word_embeddings decides the LM head of
            // the ForConditionalGeneration class.
            let tie = top.opt_bool("tie_word_embeddings")?.unwrap_or(false);
            let dtype = top.dtype_or(tc.dtype_or(Dtype::Bf16)?)?;
            let mut arch = build_decoder(spec.family, &d, &tc, Some((tie, dtype)))?;
            arch.vision = Some(crate::vision::parse(vision, obj, &top, arch.hidden_size)?);
            let mut defaulted: Vec<&'static str> = top.defaulted();
            defaulted.extend(tc.defaulted().into_iter().filter(|f| *f != "tie_word_embeddings"));
            arch.defaulted = defaulted;
            Ok(arch)
        }
    }
}

/// Reads a bias rule.
fn bias(c: &Fields, rule: BiasRule) -> Result<bool> {
    match rule {
        BiasRule::Never => Ok(false),
        BiasRule::Always => Ok(true),
        BiasRule::Field(f) => c.flag(f),
    }
}

fn build_decoder(family: Family, d: &Decoder, c: &Fields, wrapper: Option<(bool, Dtype)>) -> Result<ModelArch> {
    let hidden = c.dim("hidden_size", MAX_WIDTH)?;
    let vocab = c.dim("vocab_size", MAX_VOCAB)?;
    let spans = layer_spans(d.layers, c)?;
    let num_layers = spans.len() as u64;
    if num_layers == 0 || num_layers > MAX_LAYERS {
        return Err(EstimateError::InvalidField {
            field: "num_hidden_layers".into(),
            reason: format!("must be 1 to {MAX_LAYERS}, got {num_layers}"),
        });
    }

    let attention = match d.attention {
        AttentionRule::None => None,
        AttentionRule::Latent => {
            let heads = c.dim("num_attention_heads", MAX_HEADS)?;
            Some(Attention::Latent(LatentAttention {
                num_heads: heads,
                q_lora_rank: c.opt_dim("q_lora_rank", MAX_WIDTH)?,
                kv_lora_rank: c.dim("kv_lora_rank", MAX_WIDTH)?,
                qk_nope_head_dim: c.dim("qk_nope_head_dim", MAX_WIDTH)?,
                qk_rope_head_dim: c.dim("qk_rope_head_dim", MAX_WIDTH)?,
                v_head_dim: c.dim("v_head_dim", MAX_WIDTH)?,
                bias: c.flag("attention_bias")?,
            }))
        }
        AttentionRule::Standard { qkv_bias, out_bias, fused_qkv, qk_norm, head_dim, sinks, output_gate } => {
            // Attention only matters if some layer attends; pure-MLP/Mamba
            // configs of hybrid families still carry the fields.
            let heads = c.dim("num_attention_heads", MAX_HEADS)?;
            // Every family's config class defaults num_key_value_heads to num_attention_heads.
            let kv_heads = c.opt_dim("num_key_value_heads", MAX_HEADS)?.unwrap_or(heads);
            if kv_heads > heads || heads % kv_heads != 0 {
                return Err(EstimateError::InvalidField {
                    field: "num_key_value_heads".into(),
                    reason: format!("must divide num_attention_heads ({heads}), got {kv_heads}"),
                });
            }
            let derived = || {
                if hidden % heads != 0 {
                    Err(EstimateError::InvalidField {
                        field: "hidden_size".into(),
                        reason: format!(
                            "{hidden} is not divisible by num_attention_heads ({heads}) and no head_dim is given"
                        ),
                    })
                } else {
                    Ok(hidden / heads)
                }
            };
            let head_dim = match head_dim {
                HeadDim::Derived => derived()?,
                HeadDim::Field => match c.opt_dim("head_dim", MAX_WIDTH)? {
                    Some(hd) => hd,
                    None => derived()?,
                },
            };
            if heads.saturating_mul(head_dim) > MAX_WIDTH * 4 {
                return Err(EstimateError::InvalidField {
                    field: "head_dim".into(),
                    reason: "num_attention_heads × head_dim is implausibly large".into(),
                });
            }
            let qk_norm = match qk_norm {
                QkNormRule::Fixed(n) => n,
                QkNormRule::PerHeadIf(f) => {
                    if c.flag(f)? {
                        QkNorm::PerHead
                    } else {
                        QkNorm::None
                    }
                }
            };
            Some(Attention::Standard(StandardAttention {
                num_heads: heads,
                num_kv_heads: kv_heads,
                head_dim,
                qkv_bias: bias(c, qkv_bias)?,
                out_bias: bias(c, out_bias)?,
                fused_qkv,
                qk_norm,
                sinks,
                output_gate,
            }))
        }
    };
    if attention.is_none() && spans.iter().any(|s| s.attention.is_some()) {
        return Err(EstimateError::InvalidField {
            field: "layer_types".into(),
            reason: "names attention layers in a model without attention".into(),
        });
    }

    let ffns = ffn_kinds(d.moe, d.layers, c, num_layers, &spans)?;
    // Experts only exist where a layer uses them (a Nemotron-H pattern without
    // `E` blocks, a Qwen MoE with num_experts = 0).
    let moe = if ffns.contains(&Ffn::Moe) { moe_geometry(d.moe, c, hidden)? } else { None };
    let dense_width = match d.moe {
        MoeRule::Llama4 => c.dim("intermediate_size_mlp", MAX_WIDTH)?,
        MoeRule::Granite => c.dim("shared_intermediate_size", MAX_WIDTH)?,
        _ if d.recurrent != RecurrentRule::None && d.layers != LayerRule::NemotronPattern && d.moe == MoeRule::None => {
            0
        }
        _ if d.mlp_width_4x_if_null => match c.opt_dim("intermediate_size", MAX_WIDTH)? {
            Some(w) => w,
            None => hidden.saturating_mul(4),
        },
        _ => c.dim("intermediate_size", MAX_WIDTH)?,
    };
    let mlp = Mlp {
        intermediate_size: dense_width,
        gated: d.mlp_gated,
        bias: bias(c, d.mlp_bias)?,
        fused_gate_up: d.mlp_fused_gate_up || d.moe == MoeRule::Granite,
    };
    let recurrent = recurrent_geometry(d.recurrent, c, hidden)?;
    let layers: Vec<Layer> = spans
        .iter()
        .zip(ffns)
        .map(|(s, ffn)| Layer { attention: s.attention, rope: s.rope, recurrent: s.recurrent, ffn })
        .collect();
    let (tie, dtype) = match wrapper {
        Some(w) => w,
        None => (c.flag("tie_word_embeddings")?, c.dtype_or(Dtype::Bf16)?),
    };
    let learned_positions = match d.positions {
        Positions::Learned => c.dim("max_position_embeddings", MAX_WIDTH)?,
        Positions::Rotary => 0,
    };
    let max_position_embeddings = match d.attention {
        // A state-space model has no trained context limit of its own.
        AttentionRule::None => c.opt_dim("max_position_embeddings", MAX_POSITIONS)?.unwrap_or(MAX_POSITIONS),
        _ => c.opt_dim("max_position_embeddings", MAX_POSITIONS)?.unwrap_or(4096),
    };
    let quantization = crate::quant::parse_quantization(c)?;
    let rope_scaling = rope_scaling(c)?;
    let head_dim = match &attention {
        Some(Attention::Standard(a)) => a.head_dim,
        Some(Attention::Latent(m)) => m.qk_rope_head_dim,
        None => 0,
    };
    let rotary_dims = match c.raw("partial_rotary_factor") {
        Some(Value::Number(n)) => {
            let f = n.as_f64().filter(|f| (0.0..=1.0).contains(f)).ok_or_else(|| EstimateError::InvalidField {
                field: "partial_rotary_factor".into(),
                reason: "expected a number between 0 and 1".into(),
            })?;
            (head_dim as f64 * f) as u64
        }
        _ => head_dim,
    };
    Ok(ModelArch {
        family,
        vocab_size: vocab,
        hidden_size: hidden,
        num_layers,
        attention,
        mlp,
        moe,
        recurrent,
        layers,
        norm: d.norm,
        norms_per_layer: d.norms_per_layer,
        tie_word_embeddings: tie,
        learned_positions,
        max_position_embeddings,
        rope_scaling,
        rotary_dims,
        torch_dtype: dtype,
        vision: None,
        quantization,
        defaulted: Vec::new(),
        notes: d.notes.to_vec(),
    })
}

/// `rope_scaling` (or transformers 5's `rope_parameters`): the method and
/// its factor; `None` when absent, null, or the default rotary embedding.
fn rope_scaling(c: &Fields) -> Result<Option<crate::arch::RopeScaling>> {
    let obj = match c.raw("rope_scaling").or_else(|| c.raw("rope_parameters")) {
        Some(Value::Object(o)) => o,
        Some(_) | None => return Ok(None),
    };
    let kind = obj
        .get("rope_type")
        .or_else(|| obj.get("type"))
        .and_then(Value::as_str)
        .map(|s| crate::fields::truncate(s, 32))
        .unwrap_or_default();
    if kind.is_empty() || kind == "default" {
        return Ok(None);
    }
    let factor_milli = obj.get("factor").and_then(Value::as_f64).filter(|f| f.is_finite() && *f > 0.0 && *f < 1e9);
    let original_context = obj.get("original_max_position_embeddings").and_then(Value::as_u64);
    Ok(Some(crate::arch::RopeScaling {
        kind,
        factor_milli: factor_milli.map(|f| (f * 1000.0).round() as u64),
        original_context,
    }))
}

/// What a layer mixes with, before its FFN is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    attention: Option<AttentionSpan>,
    rope: bool,
    recurrent: bool,
    /// Nemotron-H only: the block is an MLP or MoE block.
    ffn_block: Option<Ffn>,
}

impl Span {
    const fn attend(span: AttentionSpan) -> Self {
        Span { attention: Some(span), rope: true, recurrent: false, ffn_block: None }
    }
    const RECURRENT: Span = Span { attention: None, rope: false, recurrent: true, ffn_block: None };
}

/// The number of layers, where the family counts them in `num_hidden_layers`.
fn num_layers(c: &Fields) -> Result<u64> {
    c.dim("num_hidden_layers", MAX_LAYERS)
}

/// A sliding window read from `sliding_window` (None when null or absent).
fn window(c: &Fields) -> Result<Option<u64>> {
    c.opt_dim("sliding_window", MAX_POSITIONS)
}

/// The layers' attention kinds under a rule (see [`LayerRule`]); an explicit
/// `layer_types` list wins where the family's modeling code reads it.
fn layer_spans(rule: LayerRule, c: &Fields) -> Result<Vec<Span>> {
    use AttentionSpan::{Chunked, Full, Sliding};
    let reads_layer_types =
        !matches!(rule, LayerRule::SlideAll | LayerRule::SlideAllIfUsed | LayerRule::AllFull | LayerRule::AllRecurrent);
    if reads_layer_types {
        if let Some(list) = c.opt_strings("layer_types", MAX_LAYERS)? {
            if rule != LayerRule::NemotronPattern && c.has("num_hidden_layers") {
                let n = num_layers(c)?;
                if list.len() as u64 != n {
                    return Err(EstimateError::InvalidField {
                        field: "layer_types".into(),
                        reason: format!("has {} entries but num_hidden_layers is {n}", list.len()),
                    });
                }
            }
            return from_layer_types(rule, c, &list);
        }
    }
    let n = if rule == LayerRule::NemotronPattern { 0 } else { num_layers(c)? };
    let all = |s: Span| (0..n).map(|_| s).collect::<Vec<_>>();
    Ok(match rule {
        LayerRule::AllFull => all(Span::attend(Full)),
        LayerRule::AllRecurrent => all(Span::RECURRENT),
        LayerRule::SlideAll => match window(c)? {
            Some(w) => all(Span::attend(Sliding(w))),
            None => all(Span::attend(Full)),
        },
        LayerRule::SlideAllIfUsed => match window(c)? {
            Some(w) if c.flag("use_sliding_window")? => all(Span::attend(Sliding(w))),
            _ => all(Span::attend(Full)),
        },
        LayerRule::QwenFromMaxWindow => {
            let w = window(c)?.filter(|_| c.flag("use_sliding_window").unwrap_or(false));
            let from = c.opt_count("max_window_layers", MAX_LAYERS)?.unwrap_or(n);
            (0..n)
                .map(|i| match w {
                    Some(w) if i >= from => Span::attend(Sliding(w)),
                    _ => Span::attend(Full),
                })
                .collect()
        }
        LayerRule::Qwen2MoeEven => {
            let used = c.flag("use_sliding_window")?;
            let w = window(c)?;
            let below = c.opt_count("max_window_layers", MAX_LAYERS)?.unwrap_or(n);
            (0..n)
                .map(|i| match w {
                    Some(w) if used && i % 2 == 0 && i < below => Span::attend(Sliding(w)),
                    _ => Span::attend(Full),
                })
                .collect()
        }
        LayerRule::Period { default, key, full_nope } => {
            let period = match key {
                Some(k) => c.opt_dim(k, MAX_LAYERS)?.unwrap_or(default),
                None => default,
            };
            let w = window(c)?;
            (0..n)
                .map(|i| match w {
                    Some(w) if (i + 1) % period != 0 => Span::attend(Sliding(w)),
                    _ => Span { rope: !full_nope, ..Span::attend(Full) },
                })
                .collect()
        }
        LayerRule::Llama4Chunked => {
            let chunk = c.opt_dim("attention_chunk_size", MAX_POSITIONS)?;
            let interval = c.dim("no_rope_layer_interval", MAX_LAYERS)?;
            // Llama4TextConfig: no_rope_layers[i] = 1 means the layer uses RoPE
            // (an empty list counts as unset).
            let listed = c.opt_counts("no_rope_layers", MAX_LAYERS)?.filter(|l| !l.is_empty());
            if let Some(l) = &listed {
                if l.len() as u64 != n {
                    return Err(EstimateError::InvalidField {
                        field: "no_rope_layers".into(),
                        reason: format!("has {} entries but num_hidden_layers is {n}", l.len()),
                    });
                }
            }
            (0..n)
                .map(|i| {
                    let rope = match &listed {
                        Some(l) => l.get(i as usize).is_some_and(|v| *v != 0),
                        None => (i + 1) % interval != 0,
                    };
                    match chunk {
                        Some(ch) if rope => Span::attend(Chunked(ch)),
                        _ => Span { rope, ..Span::attend(Full) },
                    }
                })
                .collect()
        }
        LayerRule::QwenNextInterval => {
            let interval = c.opt_dim("full_attention_interval", MAX_LAYERS)?.unwrap_or(4);
            (0..n).map(|i| if (i + 1) % interval != 0 { Span::RECURRENT } else { Span::attend(Full) }).collect()
        }
        LayerRule::GraniteHybrid => all(Span::RECURRENT),
        LayerRule::NemotronPattern => {
            let pattern = match c.raw("hybrid_override_pattern") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(EstimateError::InvalidField {
                        field: "hybrid_override_pattern".into(),
                        reason: format!("expected a string, got {}", crate::fields::describe(other)),
                    })
                }
                // NemotronHConfig's default block list.
                None => "M*E-".to_string(),
            };
            if pattern.chars().count() as u64 > MAX_LAYERS {
                return Err(EstimateError::InvalidField {
                    field: "hybrid_override_pattern".into(),
                    reason: format!("is longer than {MAX_LAYERS} layers"),
                });
            }
            pattern
                .chars()
                .enumerate()
                .map(|(i, ch)| nemotron_block(&ch.to_string(), i, "hybrid_override_pattern"))
                .collect::<Result<Vec<_>>>()?
        }
    })
}

/// A Nemotron-H block from its pattern character or type name.
fn nemotron_block(kind: &str, i: usize, field: &str) -> Result<Span> {
    let none = Span { attention: None, rope: false, recurrent: false, ffn_block: None };
    Ok(match kind {
        "M" | "mamba" | "linear_attention" => Span::RECURRENT,
        "*" | "attention" | "full_attention" => Span { rope: false, ..Span::attend(AttentionSpan::Full) },
        "-" | "mlp" => Span { ffn_block: Some(Ffn::Dense), ..none },
        "E" | "moe" => Span { ffn_block: Some(Ffn::Moe), ..none },
        other => {
            return Err(EstimateError::InvalidField {
                field: format!("{field}[{i}]"),
                reason: format!(
                    "unknown block type \"{}\"; expected M, *, - or E (mamba, attention, mlp, moe)",
                    crate::fields::truncate(other, 32)
                ),
            })
        }
    })
}

/// Layer kinds from an explicit `layer_types` list.
fn from_layer_types(rule: LayerRule, c: &Fields, list: &[String]) -> Result<Vec<Span>> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            if rule == LayerRule::NemotronPattern {
                return nemotron_block(t, i, "layer_types");
            }
            let full_rope = !matches!(rule, LayerRule::Period { full_nope: true, .. });
            Ok(match t.as_str() {
                "full_attention" | "attention" => Span { rope: full_rope, ..Span::attend(AttentionSpan::Full) },
                "sliding_attention" => {
                    let w = window(c)?.ok_or_else(|| EstimateError::InvalidField {
                        field: "sliding_window".into(),
                        reason: format!("layer_types[{i}] is sliding_attention but no sliding_window is set"),
                    })?;
                    Span::attend(AttentionSpan::Sliding(w))
                }
                "chunked_attention" => {
                    let ch = c.opt_dim("attention_chunk_size", MAX_POSITIONS)?.ok_or_else(|| {
                        EstimateError::InvalidField {
                            field: "attention_chunk_size".into(),
                            reason: format!("layer_types[{i}] is chunked_attention but no chunk size is set"),
                        }
                    })?;
                    Span::attend(AttentionSpan::Chunked(ch))
                }
                "linear_attention" | "mamba"
                    if matches!(rule, LayerRule::QwenNextInterval | LayerRule::GraniteHybrid) =>
                {
                    Span::RECURRENT
                }
                other => {
                    return Err(EstimateError::InvalidField {
                        field: format!("layer_types[{i}]"),
                        reason: format!(
                            "\"{}\" is not a layer type of this family",
                            crate::fields::truncate(other, 32)
                        ),
                    })
                }
            })
        })
        .collect()
}

/// The family's MoE geometry, if it has experts.
fn moe_geometry(rule: MoeRule, c: &Fields, hidden: u64) -> Result<Option<Moe>> {
    let _ = hidden;
    let base = |experts: u64, k: u64, width: u64| Moe {
        num_experts: experts,
        experts_per_token: k,
        expert_intermediate_size: width,
        gated: true,
        expert_bias: false,
        shared_intermediate_size: 0,
        shared_fused_gate_up: false,
        shared_bias: false,
        shared_expert_gate: false,
        router_bias: RouterBias::None,
        routing: Routing::PLAIN,
    };
    let topk = || c.dim("num_experts_per_tok", MAX_EXPERTS);
    let moe = match rule {
        MoeRule::None => return Ok(None),
        MoeRule::Mixtral => {
            base(c.dim("num_local_experts", MAX_EXPERTS)?, topk()?, c.dim("intermediate_size", MAX_WIDTH)?)
        }
        MoeRule::Qwen { shared } => {
            let experts = c.count("num_experts", MAX_EXPERTS)?;
            if experts == 0 {
                return Ok(None);
            }
            let mut m = base(experts, topk()?, c.dim("moe_intermediate_size", MAX_WIDTH)?);
            if shared {
                m.shared_intermediate_size = c.count("shared_expert_intermediate_size", MAX_WIDTH)?;
                m.shared_expert_gate = true;
            }
            m
        }
        MoeRule::DeepSeek { correction_bias } => {
            let width = c.dim("moe_intermediate_size", MAX_WIDTH)?;
            let mut m = base(c.dim("n_routed_experts", MAX_EXPERTS)?, topk()?, width);
            let shared = c.opt_count("n_shared_experts", MAX_EXPERTS)?.unwrap_or(0);
            m.shared_intermediate_size = width.saturating_mul(shared);
            // DeepseekV2MLP takes `mlp_bias`; DeepseekV3MLP has none.
            m.shared_bias = !correction_bias && c.flag("mlp_bias")?;
            if correction_bias {
                m.router_bias = RouterBias::Buffer;
            }
            // Read as the converter reads them: only what the config says.
            let raw_count = |f: &str| c.raw(f).and_then(Value::as_u64).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
            m.routing = Routing {
                sigmoid: c.raw("scoring_func").and_then(Value::as_str) == Some("sigmoid"),
                normalized: c.raw("norm_topk_prob").and_then(Value::as_bool).unwrap_or(false),
                groups: raw_count("n_group"),
                groups_used: raw_count("topk_group"),
                scale_bits: c.raw("routed_scaling_factor").and_then(Value::as_f64).map_or(0, |f| (f as f32).to_bits()),
            };
            m
        }
        MoeRule::GptOss => {
            let mut m = base(c.dim("num_local_experts", MAX_EXPERTS)?, topk()?, c.dim("intermediate_size", MAX_WIDTH)?);
            m.expert_bias = true;
            m.router_bias = RouterBias::Parameter;
            m
        }
        MoeRule::Llama4 => {
            let width = c.dim("intermediate_size", MAX_WIDTH)?;
            let mut m = base(c.dim("num_local_experts", MAX_EXPERTS)?, topk()?, width);
            m.shared_intermediate_size = width;
            m
        }
        MoeRule::Granite => {
            let experts = c.count("num_local_experts", MAX_EXPERTS)?;
            if experts == 0 {
                return Ok(None);
            }
            let mut m = base(experts, topk()?, c.dim("intermediate_size", MAX_WIDTH)?);
            m.shared_intermediate_size = c.dim("shared_intermediate_size", MAX_WIDTH)?;
            m.shared_fused_gate_up = true;
            m
        }
        MoeRule::Nemotron => {
            let mut m =
                base(c.dim("n_routed_experts", MAX_EXPERTS)?, topk()?, c.dim("moe_intermediate_size", MAX_WIDTH)?);
            m.gated = false;
            m.shared_intermediate_size = c.count("moe_shared_expert_intermediate_size", MAX_WIDTH)?;
            m.router_bias = RouterBias::Buffer;
            m
        }
    };
    if moe.experts_per_token > moe.num_experts {
        return Err(EstimateError::InvalidField {
            field: "num_experts_per_tok".into(),
            reason: format!("{} is more than the {} experts there are", moe.experts_per_token, moe.num_experts),
        });
    }
    Ok(Some(moe))
}

/// The feed-forward block of each layer.
fn ffn_kinds(rule: MoeRule, layers: LayerRule, c: &Fields, n: u64, spans: &[Span]) -> Result<Vec<Ffn>> {
    let all = |f: Ffn| (0..n).map(|_| f).collect::<Vec<_>>();
    if layers == LayerRule::NemotronPattern {
        return Ok(spans.iter().map(|s| s.ffn_block.unwrap_or(Ffn::None)).collect());
    }
    if layers == LayerRule::AllRecurrent {
        return Ok(all(Ffn::None));
    }
    Ok(match rule {
        MoeRule::None => all(Ffn::Dense),
        MoeRule::Mixtral | MoeRule::GptOss => all(Ffn::Moe),
        MoeRule::Qwen { .. } => {
            let experts = c.count("num_experts", MAX_EXPERTS)?;
            let step = c.dim("decoder_sparse_step", MAX_LAYERS)?;
            let dense_only = c.opt_counts("mlp_only_layers", MAX_LAYERS)?.unwrap_or_default();
            (0..n)
                .map(
                    |i| {
                        if !dense_only.contains(&i) && experts > 0 && (i + 1) % step == 0 {
                            Ffn::Moe
                        } else {
                            Ffn::Dense
                        }
                    },
                )
                .collect()
        }
        MoeRule::DeepSeek { .. } => {
            let first_dense = c.count("first_k_dense_replace", MAX_LAYERS)?;
            (0..n).map(|i| if i >= first_dense { Ffn::Moe } else { Ffn::Dense }).collect()
        }
        MoeRule::Llama4 => {
            let moe_layers = match c.opt_counts("moe_layers", MAX_LAYERS)? {
                Some(l) => l,
                None => {
                    let step = c.dim("interleave_moe_layer_step", MAX_LAYERS)?;
                    (step - 1..n).step_by(step as usize).collect()
                }
            };
            (0..n).map(|i| if moe_layers.contains(&i) { Ffn::Moe } else { Ffn::Dense }).collect()
        }
        MoeRule::Granite => {
            if c.count("num_local_experts", MAX_EXPERTS)? > 0 {
                all(Ffn::Moe)
            } else {
                all(Ffn::Dense)
            }
        }
        MoeRule::Nemotron => all(Ffn::None),
    })
}

/// The recurrent mixer's geometry (see [`RecurrentRule`]).
fn recurrent_geometry(rule: RecurrentRule, c: &Fields, hidden: u64) -> Result<Option<Recurrent>> {
    let expand = |field: &'static str| -> Result<u64> { c.dim(field, 64) };
    Ok(Some(match rule {
        RecurrentRule::None => return Ok(None),
        RecurrentRule::Mamba => {
            let d_inner = hidden.saturating_mul(expand("expand")?);
            let dt_rank = match c.raw("time_step_rank") {
                Some(Value::String(s)) if s == "auto" => hidden.div_ceil(16),
                Some(Value::String(_)) => {
                    return Err(EstimateError::InvalidField {
                        field: "time_step_rank".into(),
                        reason: "expected \"auto\" or a positive integer".into(),
                    })
                }
                Some(_) => c.dim("time_step_rank", MAX_WIDTH)?,
                None => hidden.div_ceil(16),
            };
            Recurrent::Mamba {
                d_inner,
                d_state: c.dim("state_size", MAX_WIDTH)?,
                d_conv: c.dim("conv_kernel", 1024)?,
                dt_rank,
                bias: c.flag("use_bias")?,
                conv_bias: c.flag("use_conv_bias")?,
            }
        }
        RecurrentRule::Mamba2 => {
            // Mamba2Mixer: intermediate_size = expand × hidden_size; heads and
            // head_dim come from the config and must multiply to it.
            let d_inner = hidden.saturating_mul(expand("expand")?);
            let num_heads = c.dim("num_heads", MAX_HEADS)?;
            let head_dim = c.dim("head_dim", MAX_WIDTH)?;
            let n_groups = c.dim("n_groups", MAX_HEADS)?;
            Recurrent::Mamba2 {
                d_inner,
                num_heads,
                head_dim,
                n_groups,
                d_state: c.dim("state_size", MAX_WIDTH)?,
                d_conv: c.dim("conv_kernel", 1024)?,
                bias: c.flag("use_bias")?,
                conv_bias: c.flag("use_conv_bias")?,
            }
        }
        RecurrentRule::NemotronMamba2 => {
            let num_heads = c.dim("mamba_num_heads", MAX_HEADS)?;
            let head_dim = c.dim("mamba_head_dim", MAX_WIDTH)?;
            Recurrent::Mamba2 {
                d_inner: num_heads.saturating_mul(head_dim),
                num_heads,
                head_dim,
                n_groups: c.dim("n_groups", MAX_HEADS)?,
                d_state: c.dim("ssm_state_size", MAX_WIDTH)?,
                d_conv: c.dim("conv_kernel", 1024)?,
                bias: c.flag("use_bias")?,
                conv_bias: c.flag("use_conv_bias")?,
            }
        }
        RecurrentRule::GraniteMamba2 => {
            let d_inner = hidden.saturating_mul(expand("mamba_expand")?);
            let num_heads = c.dim("mamba_n_heads", MAX_HEADS)?;
            let head_dim = match c.raw("mamba_d_head") {
                Some(Value::String(s)) if s == "auto" => d_inner / num_heads,
                None => d_inner / num_heads,
                Some(_) => c.dim("mamba_d_head", MAX_WIDTH)?,
            };
            Recurrent::Mamba2 {
                d_inner,
                num_heads,
                head_dim,
                n_groups: c.dim("mamba_n_groups", MAX_HEADS)?,
                d_state: c.dim("mamba_d_state", MAX_WIDTH)?,
                d_conv: c.dim("mamba_d_conv", 1024)?,
                bias: c.flag("mamba_proj_bias")?,
                conv_bias: c.flag("mamba_conv_bias")?,
            }
        }
        RecurrentRule::GatedDeltaNet => Recurrent::GatedDeltaNet {
            num_k_heads: c.dim("linear_num_key_heads", MAX_HEADS)?,
            num_v_heads: c.dim("linear_num_value_heads", MAX_HEADS)?,
            head_k_dim: c.dim("linear_key_head_dim", MAX_WIDTH)?,
            head_v_dim: c.dim("linear_value_head_dim", MAX_WIDTH)?,
            conv_kernel: c.dim("linear_conv_kernel_dim", 1024)?,
        },
    }))
}

/// The registry as a Markdown table of every family's defaults (the table in
/// MODELS.md, kept equal to this by a test).
pub fn defaults_table_markdown() -> String {
    let mut out = format!(
        "| `model_type` | transformers class | defaults for omitted fields (transformers {TRANSFORMERS_VERSION}) |\n|---|---|---|\n"
    );
    for s in FAMILIES {
        let defaults: Vec<String> = s
            .defaults
            .iter()
            .map(|(f, d)| match d {
                D::Int(n) => format!("`{f}` {n}"),
                D::Bool(b) => format!("`{f}` {b}"),
                D::Str(v) => format!("`{f}` \"{v}\""),
                D::Null => format!("`{f}` derived/none"),
            })
            .collect();
        out.push_str(&format!("| `{}` | {} | {} |\n", s.model_type, s.config_class, defaults.join(", ")));
    }
    for (class, defaults) in crate::vision::VISION_DEFAULTS {
        let list: Vec<String> = defaults
            .iter()
            .map(|(f, d)| match d {
                D::Int(n) => format!("`{f}` {n}"),
                D::Bool(b) => format!("`{f}` {b}"),
                D::Str(v) => format!("`{f}` \"{v}\""),
                D::Null => format!("`{f}` derived/none"),
            })
            .collect();
        out.push_str(&format!("| `vision_config` | {class} | {} |\n", list.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_one_entry() {
        for (i, a) in FAMILIES.iter().enumerate() {
            assert_eq!(a.family.spec().model_type, a.model_type);
            for b in &FAMILIES[i + 1..] {
                assert_ne!(a.family, b.family);
                assert_ne!(a.model_type, b.model_type);
            }
        }
    }
}

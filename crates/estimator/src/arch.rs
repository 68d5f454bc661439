//! A model architecture, normalised across families, and its exact tensor
//! inventory.
//!
//! [`ModelArch`] is what the rest of the crate reasons about; it is built by
//! [`crate::config::parse_config`] from a Hugging Face `config.json`, through
//! the family registry in [`crate::families`]. A model is a list of
//! [`Layer`]s, each with an optional attention mixer (full, sliding-window or
//! chunked), an optional recurrent mixer (Mamba, Mamba-2, Gated DeltaNet) and
//! a feed-forward block (dense, mixture of experts, or none), over shared
//! geometry: one attention shape, one dense MLP, one MoE layout and one
//! recurrent shape per model. [`ModelArch::tensors`] lists every parameter
//! tensor that the reference implementation (Hugging Face transformers,
//! `modeling_<family>.py`) instantiates, with its shape — so the parameter
//! count, the bytes under any quantization format and the list of what stays
//! unquantized all come from one inventory and cannot disagree.

use crate::error::{product, Checked, Result};
use crate::precision::Dtype;
use crate::quant::CheckpointQuant;
use crate::ssm::Recurrent;
use crate::vision::VisionTower;
use serde::Serialize;

pub use crate::families::Family;

/// Attention as the weights and the KV cache see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// Multi-head (kv_heads = heads), grouped-query (1 < kv_heads < heads) or
    /// multi-query (kv_heads = 1) attention.
    Standard(StandardAttention),
    /// Multi-head latent attention (DeepSeek-V2 §2.1, arXiv 2405.04434).
    Latent(LatentAttention),
}

/// Normalisation of queries and keys inside attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QkNorm {
    /// None, or one without weights (Llama 4's L2 norm).
    None,
    /// One RMSNorm weight of `head_dim` for q and one for k, shared by all
    /// heads (Qwen3 `q_norm`/`k_norm`, Gemma 3, Qwen3-Next).
    SharedAcrossHeads,
    /// A weight per head and channel: `heads × head_dim` for q and
    /// `kv_heads × head_dim` for k (OLMo 2's RMSNorm over the projection,
    /// Cohere's per-head LayerNorm without bias).
    PerHead,
}

/// Q, K, V and output projections with `num_kv_heads` key/value heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardAttention {
    pub num_heads: u64,
    pub num_kv_heads: u64,
    pub head_dim: u64,
    /// q, k and v projections carry a bias (Qwen2, GPT-2, `attention_bias`).
    pub qkv_bias: bool,
    /// The output projection carries a bias (GPT-2, `attention_bias` in Llama).
    pub out_bias: bool,
    /// q, k and v are one fused matrix (Phi-3 `qkv_proj`, GPT-2 `c_attn`).
    pub fused_qkv: bool,
    pub qk_norm: QkNorm,
    /// One learned sink logit per head (gpt-oss `sinks`): parameters, no cache.
    pub sinks: bool,
    /// The query projection also produces a per-channel output gate, doubling
    /// its width (Qwen3-Next `q_proj` of `2 × heads × head_dim`).
    pub output_gate: bool,
}

/// DeepSeek's multi-head latent attention projections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LatentAttention {
    pub num_heads: u64,
    /// Rank of the query compression; `None` means a plain q projection (DeepSeek-V2-Lite).
    pub q_lora_rank: Option<u64>,
    /// d_c in the paper: the width of the compressed KV latent that is cached.
    pub kv_lora_rank: u64,
    pub qk_nope_head_dim: u64,
    /// d_h^R in the paper: the decoupled RoPE key, shared by all heads and cached.
    pub qk_rope_head_dim: u64,
    pub v_head_dim: u64,
    pub bias: bool,
}

/// A feed-forward block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mlp {
    pub intermediate_size: u64,
    /// Gated (SwiGLU/GeGLU: gate, up, down) or plain (up, down).
    pub gated: bool,
    pub bias: bool,
    /// gate and up fused into one `gate_up_proj` (Phi-3, Granite 4 `input_linear`).
    pub fused_gate_up: bool,
}

/// Where an MoE router's bias lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterBias {
    None,
    /// A parameter (gpt-oss `router.bias`).
    Parameter,
    /// A registered buffer loaded from the checkpoint in fp32, not a
    /// parameter (DeepSeek-V3 and Nemotron-H `e_score_correction_bias`).
    Buffer,
}

/// A sparse mixture-of-experts feed-forward block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moe {
    pub num_experts: u64,
    pub experts_per_token: u64,
    pub expert_intermediate_size: u64,
    /// Experts are gated (gate, up, down) or plain (up, down: Nemotron-H).
    pub gated: bool,
    /// Every expert's projections carry biases (gpt-oss).
    pub expert_bias: bool,
    /// Always-on shared experts, fused into one MLP of this width
    /// (DeepSeek `shared_experts`, Qwen2-MoE `shared_expert`, Llama 4
    /// `shared_expert`); 0 if none.
    pub shared_intermediate_size: u64,
    /// The shared expert is fused gate+up (Granite 4 `shared_mlp.input_linear`).
    pub shared_fused_gate_up: bool,
    /// The shared expert's projections carry biases (DeepSeek-V2 `mlp_bias`).
    pub shared_bias: bool,
    /// A sigmoid gate on the shared expert's output, `Linear(hidden, 1)`
    /// (Qwen2-MoE, Qwen3-Next `shared_expert_gate`).
    pub shared_expert_gate: bool,
    pub router_bias: RouterBias,
    /// How the router scores and picks experts, where the config says
    /// (DeepSeek); no parameter depends on it, only llama.cpp's graph.
    pub routing: Routing,
}

/// A router's choices as a DeepSeek `config.json` states them, field by
/// field as llama.cpp's converter reads them (`conversion/base.py` and
/// `conversion/deepseek.py`: a field the config leaves out is not
/// written, and llama.cpp takes its own default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// `scoring_func`: sigmoid scores (DeepSeek-V3) rather than softmax.
    pub sigmoid: bool,
    /// `norm_topk_prob`: the chosen experts' weights renormalised.
    pub normalized: bool,
    /// `n_group` and `topk_group`: experts are picked within the best
    /// `groups_used` of `groups` groups (0 when not stated or beyond 255).
    pub groups: u8,
    pub groups_used: u8,
    /// `routed_scaling_factor` as the bits of an `f32` (so the struct stays
    /// comparable and eight bytes long); 0 when the config has none, which
    /// llama.cpp treats as it treats 0.0: no scaling.
    pub scale_bits: u32,
}

impl Routing {
    /// A softmax router with nothing stated.
    pub const PLAIN: Routing = Routing { sigmoid: false, normalized: false, groups: 0, groups_used: 0, scale_bits: 0 };

    /// `routed_scaling_factor`, if stated.
    pub fn scale(&self) -> Option<f32> {
        (self.scale_bits != 0).then(|| f32::from_bits(self.scale_bits))
    }
}

/// How a normalisation layer is parameterised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    /// RMSNorm: one weight vector.
    Rms,
    /// LayerNorm: a weight and a bias vector.
    Layer,
    /// LayerNorm without bias (Cohere): one weight vector.
    LayerNoBias,
}

impl NormKind {
    /// Vectors of `hidden` elements one norm holds.
    pub fn vectors(self) -> u64 {
        match self {
            NormKind::Rms | NormKind::LayerNoBias => 1,
            NormKind::Layer => 2,
        }
    }
}

/// What an attention layer can see, which decides what it caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "tokens")]
pub enum AttentionSpan {
    /// Every earlier token: the cache grows with the context.
    Full,
    /// The last `W` tokens (Mistral 7B's rolling buffer, arXiv 2310.06825 §2;
    /// Gemma 2/3 local layers; gpt-oss's 128-token bands).
    Sliding(u64),
    /// The tokens of the current chunk of `C` (Llama 4's chunked attention,
    /// `attention_chunk_size`): at most `C` tokens are ever needed.
    Chunked(u64),
}

impl AttentionSpan {
    /// Tokens of cache this layer needs at `context` tokens.
    pub fn cached_tokens(self, context: u64) -> u64 {
        match self {
            AttentionSpan::Full => context,
            AttentionSpan::Sliding(w) | AttentionSpan::Chunked(w) => context.min(w),
        }
    }

    /// The window or chunk, if the span is bounded.
    pub fn bound(self) -> Option<u64> {
        match self {
            AttentionSpan::Full => None,
            AttentionSpan::Sliding(w) | AttentionSpan::Chunked(w) => Some(w),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttentionSpan::Full => "full",
            AttentionSpan::Sliding(_) => "sliding",
            AttentionSpan::Chunked(_) => "chunked",
        }
    }
}

/// The feed-forward block of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ffn {
    /// No feed-forward block (Mamba layers, Nemotron-H mixer-only blocks).
    None,
    /// The model's dense [`Mlp`].
    Dense,
    /// The model's [`Moe`].
    Moe,
}

/// One decoder layer (a "block" in state-space models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Layer {
    /// The attention this layer runs, if any.
    pub attention: Option<AttentionSpan>,
    /// Whether the attention applies rotary position embeddings (Llama 4's
    /// global layers and Cohere 2's do not). Memory is the same either way.
    pub rope: bool,
    /// Whether the layer runs the model's recurrent mixer.
    pub recurrent: bool,
    pub ffn: Ffn,
}

impl Layer {
    /// A layer with full causal attention with RoPE and the given FFN.
    pub const fn attention(span: AttentionSpan, ffn: Ffn) -> Self {
        Layer { attention: Some(span), rope: true, recurrent: false, ffn }
    }

    /// A recurrent (state-space or linear-attention) layer.
    pub const fn recurrent(ffn: Ffn) -> Self {
        Layer { attention: None, rope: false, recurrent: true, ffn }
    }

    /// A short name of what the layer mixes with: `full`, `sliding`,
    /// `chunked`, `recurrent` or `mlp`.
    pub fn kind_label(&self) -> &'static str {
        match (self.attention, self.recurrent) {
            (Some(span), _) => span.label(),
            (None, true) => "recurrent",
            (None, false) => "mlp",
        }
    }
}

/// A decoder-only language model, normalised across the supported families.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelArch {
    pub family: Family,
    pub vocab_size: u64,
    pub hidden_size: u64,
    pub num_layers: u64,
    /// The shape of every attention layer; `None` for a pure state-space model.
    pub attention: Option<Attention>,
    /// The dense feed-forward block (layers with [`Ffn::Dense`]).
    pub mlp: Mlp,
    /// The mixture of experts (layers with [`Ffn::Moe`]).
    pub moe: Option<Moe>,
    /// The recurrent mixer (layers with `recurrent`).
    pub recurrent: Option<Recurrent>,
    /// Every layer, in order; `layers.len() == num_layers`.
    pub layers: Vec<Layer>,
    pub norm: NormKind,
    /// Norms inside each layer (2 for most; 4 for Gemma 2/3; 1 for Cohere,
    /// Mamba and Nemotron-H blocks).
    pub norms_per_layer: u64,
    pub tie_word_embeddings: bool,
    /// Rows of a learned absolute position embedding (GPT-2 `wpe`); 0 if none.
    pub learned_positions: u64,
    /// The longest context the config declares.
    pub max_position_embeddings: u64,
    /// How the config stretches RoPE beyond its training length, if it does
    /// (`rope_scaling` / `rope_parameters`).
    pub rope_scaling: Option<RopeScaling>,
    /// Channels of each head that RoPE rotates (`partial_rotary_factor` ×
    /// head_dim; all of them by default).
    pub rotary_dims: u64,
    /// The dtype the checkpoint is stored in (`torch_dtype`), bf16 if absent.
    pub torch_dtype: Dtype,
    /// The vision encoder and projector of a multimodal checkpoint.
    pub vision: Option<VisionTower>,
    /// How a pre-quantized checkpoint stores its weights (`quantization_config`).
    pub quantization: Option<CheckpointQuant>,
    /// Fields the config left out, which took the default of transformers'
    /// config class for the family (see [`crate::families`]).
    pub defaulted: Vec<&'static str>,
    /// Facts about the model that do not change memory but a reader may ask
    /// about (e.g. two RoPE bases).
    pub notes: Vec<&'static str>,
}

/// A config's RoPE scaling: the method and, where given, its factor and the
/// context the model was originally trained for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RopeScaling {
    /// `llama3`, `yarn`, `linear`, `dynamic`, `longrope`, … as the config names it.
    pub kind: String,
    /// The factor × 1000 (so the struct stays `Eq`), if given.
    pub factor_milli: Option<u64>,
    /// `original_max_position_embeddings`, if given.
    pub original_context: Option<u64>,
}

/// What a tensor is, in the vocabulary both HF transformers and llama.cpp use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TensorKind {
    TokenEmbedding,
    PositionEmbedding,
    LmHead,
    AttnQ,
    AttnK,
    AttnV,
    /// Fused q, k, v (Phi-3 `qkv_proj`, GPT-2 `c_attn`).
    AttnQkv,
    AttnOut,
    /// MLA query down-projection `q_a_proj`.
    AttnQA,
    /// MLA query up-projection `q_b_proj`.
    AttnQB,
    /// MLA `kv_a_proj_with_mqa`: hidden → latent + RoPE key.
    AttnKvA,
    /// MLA `kv_b_proj`: latent → per-head keys and values.
    AttnKvB,
    /// gpt-oss per-head attention sinks.
    AttnSinks,
    MlpGate,
    MlpUp,
    /// Fused gate and up (Phi-3 `gate_up_proj`).
    MlpGateUp,
    MlpDown,
    ExpertGate,
    ExpertUp,
    ExpertDown,
    SharedExpertGate,
    SharedExpertUp,
    SharedExpertDown,
    /// `shared_expert_gate`: `Linear(hidden, 1)` scaling the shared expert.
    SharedExpertRouter,
    /// The MoE router (`gate`), a linear layer hidden → experts.
    Router,
    /// `e_score_correction_bias`: a registered *buffer* in transformers
    /// (`DeepseekV3TopkRouter`), stored in the checkpoint as fp32 but not a
    /// parameter (DeepSeek's own remote code makes it one).
    RouterBias,
    /// A recurrent mixer's input projection (Mamba `in_proj`, Gated DeltaNet
    /// `in_proj_qkvz` and `in_proj_ba`).
    SsmIn,
    /// Mamba-1 `x_proj` (→ Δ rank, B, C) and `dt_proj` (rank → channels).
    SsmXProj,
    SsmDtProj,
    /// The depthwise causal convolution (`conv1d.weight`, channels × kernel).
    SsmConv,
    /// A_log, D and dt_bias: the state-space parameters, kept in full precision.
    SsmParams,
    /// A recurrent mixer's output projection.
    SsmOut,
    Norm,
    Bias,
    /// A parameter of the vision encoder.
    Vision,
    /// A parameter of the multimodal projector.
    Projector,
}

impl TensorKind {
    /// A 2-D weight of a linear layer inside a decoder block: what the common
    /// post-training quantizers (GPTQ, AWQ, bitsandbytes, FP8) replace.
    pub fn is_block_linear(self) -> bool {
        matches!(
            self,
            Self::AttnQ
                | Self::AttnK
                | Self::AttnV
                | Self::AttnQkv
                | Self::AttnOut
                | Self::AttnQA
                | Self::AttnQB
                | Self::AttnKvA
                | Self::AttnKvB
                | Self::MlpGate
                | Self::MlpUp
                | Self::MlpGateUp
                | Self::MlpDown
                | Self::ExpertGate
                | Self::ExpertUp
                | Self::ExpertDown
                | Self::SharedExpertGate
                | Self::SharedExpertUp
                | Self::SharedExpertDown
                | Self::SsmIn
                | Self::SsmOut
        )
    }

    /// A routed expert's weight.
    pub fn is_expert(self) -> bool {
        matches!(self, Self::ExpertGate | Self::ExpertUp | Self::ExpertDown)
    }

    /// A one-dimensional tensor (norm weights, biases).
    pub fn is_vector(self) -> bool {
        matches!(self, Self::Norm | Self::Bias | Self::RouterBias | Self::AttnSinks)
    }

    /// A short label for breakdown tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::TokenEmbedding => "token embedding",
            Self::PositionEmbedding => "position embedding",
            Self::LmHead => "LM head",
            Self::AttnQ | Self::AttnK | Self::AttnV | Self::AttnQkv | Self::AttnOut | Self::AttnSinks => "attention",
            Self::AttnQA | Self::AttnQB | Self::AttnKvA | Self::AttnKvB => "attention (MLA)",
            Self::MlpGate | Self::MlpUp | Self::MlpGateUp | Self::MlpDown => "MLP",
            Self::ExpertGate | Self::ExpertUp | Self::ExpertDown => "routed experts",
            Self::SharedExpertGate | Self::SharedExpertUp | Self::SharedExpertDown | Self::SharedExpertRouter => {
                "shared experts"
            }
            Self::Router | Self::RouterBias => "router",
            Self::SsmIn | Self::SsmXProj | Self::SsmDtProj | Self::SsmConv | Self::SsmParams | Self::SsmOut => {
                "state-space mixer"
            }
            Self::Norm => "norms",
            Self::Bias => "biases",
            Self::Vision => "vision encoder",
            Self::Projector => "multimodal projector",
        }
    }
}

/// One parameter tensor (or `copies` identical ones, e.g. the experts of a layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tensor {
    pub kind: TensorKind,
    /// Decoder layer index, `None` for embeddings, final norm and LM head.
    pub layer: Option<u64>,
    /// Output features (1 for a vector).
    pub rows: u64,
    /// Input features (the length, for a vector). llama.cpp calls this `ne[0]`,
    /// the row length that block quantization works along.
    pub cols: u64,
    /// Identical tensors of this shape (experts of a layer); 1 otherwise.
    pub copies: u64,
    /// How many of the copies one token uses (top-k experts); = `copies` for dense tensors.
    pub active_copies: u64,
}

impl Tensor {
    pub(crate) fn new(kind: TensorKind, layer: Option<u64>, rows: u64, cols: u64) -> Self {
        Self { kind, layer, rows, cols, copies: 1, active_copies: 1 }
    }
    pub(crate) fn vector(kind: TensorKind, layer: Option<u64>, len: u64) -> Self {
        Self::new(kind, layer, 1, len)
    }
    pub(crate) fn experts(mut self, copies: u64, active: u64) -> Self {
        self.copies = copies;
        self.active_copies = active;
        self
    }

    /// Elements in one copy.
    pub fn elements(&self) -> Result<u64> {
        self.rows.mul_or(self.cols, "tensor size")
    }

    /// A buffer: loaded with the weights, but not a parameter.
    pub fn is_buffer(&self) -> bool {
        self.kind == TensorKind::RouterBias
    }

    /// Elements in all copies.
    pub fn params(&self) -> Result<u64> {
        product(&[self.rows, self.cols, self.copies], "parameter count")
    }

    /// Elements used per token.
    pub fn active_params(&self) -> Result<u64> {
        product(&[self.rows, self.cols, self.active_copies], "active parameter count")
    }
}

/// Largest layer count we build a per-layer inventory for. Real models have
/// at most a few hundred; beyond this an input is an error, not a workload.
pub const MAX_LAYERS: u64 = 10_000;

impl ModelArch {
    /// Query heads of the attention layers (0 for a pure state-space model).
    pub fn num_heads(&self) -> u64 {
        match &self.attention {
            Some(Attention::Standard(a)) => a.num_heads,
            Some(Attention::Latent(m)) => m.num_heads,
            None => 0,
        }
    }

    /// The standard attention shape, if the model has one.
    pub fn standard_attention(&self) -> Option<&StandardAttention> {
        match &self.attention {
            Some(Attention::Standard(a)) => Some(a),
            _ => None,
        }
    }

    /// Width of one attention head's query/key (the `d_head` in n² · d costs).
    pub fn head_dim(&self) -> u64 {
        match &self.attention {
            Some(Attention::Standard(a)) => a.head_dim,
            Some(Attention::Latent(m)) => m.qk_nope_head_dim + m.qk_rope_head_dim,
            None => 0,
        }
    }

    /// Layers that run attention.
    pub fn attention_layer_count(&self) -> u64 {
        self.layers.iter().filter(|l| l.attention.is_some()).count() as u64
    }

    /// Layers that run the recurrent mixer.
    pub fn recurrent_layer_count(&self) -> u64 {
        self.layers.iter().filter(|l| l.recurrent).count() as u64
    }

    /// Layers whose attention is bounded (sliding or chunked).
    pub fn bounded_layer_count(&self) -> u64 {
        self.layers.iter().filter(|l| l.attention.and_then(AttentionSpan::bound).is_some()).count() as u64
    }

    /// The smallest sliding window or chunk among the layers, if any layer is bounded.
    pub fn smallest_window(&self) -> Option<u64> {
        self.layers.iter().filter_map(|l| l.attention.and_then(AttentionSpan::bound)).min()
    }

    /// Whether layer `i` uses the MoE block.
    pub fn layer_is_moe(&self, i: u64) -> bool {
        usize::try_from(i).ok().and_then(|i| self.layers.get(i)).is_some_and(|l| l.ffn == Ffn::Moe)
    }

    /// Every parameter tensor of the language model that the reference
    /// implementation instantiates (the vision encoder is in
    /// [`ModelArch::vision_tensors`]).
    ///
    /// Sources (Hugging Face transformers 5.24, `src/transformers/models/`):
    /// `llama/modeling_llama.py` (LlamaAttention, LlamaMLP, LlamaDecoderLayer,
    /// LlamaModel, LlamaForCausalLM) and the families that copy it;
    /// `mixtral/modeling_mixtral.py` (router without bias, experts);
    /// `qwen2/` (q/k/v `bias=True`, o_proj `bias=False`); `qwen3/`,
    /// `gemma3/` (`q_norm`, `k_norm` of `head_dim`); `olmo2/` (q/k norms over
    /// the whole projection, no input norm); `cohere/` (one LayerNorm
    /// without bias per layer, parallel attention and MLP, per-head q/k
    /// LayerNorm); `gemma2/`, `gemma3/` (four norms per layer);
    /// `phi3/` (`qkv_proj`, `gate_up_proj`); `deepseek_v2/`, `deepseek_v3/`
    /// (MLA projections, `shared_experts` of `moe_intermediate_size ×
    /// n_shared_experts`, DeepseekV3TopkRouter's `e_score_correction_bias`
    /// buffer); `qwen2_moe/`, `qwen3_next/` (`shared_expert` and
    /// `shared_expert_gate`); `gpt_oss/` (router with bias, experts with
    /// biases, `sinks`); `llama4/` (Llama4TextMoe: routed experts, router,
    /// shared expert; dense layers of `intermediate_size_mlp`); `gpt2/`
    /// (Conv1D `c_attn`, `c_proj`, `c_fc` with biases, LayerNorm, `wpe`);
    /// `mamba/`, `mamba2/`, `nemotron_h/`, `granitemoehybrid/`,
    /// `qwen3_next/` for the recurrent mixers (see [`Recurrent::tensors`]).
    /// A tied LM head shares the embedding matrix and is not listed again
    /// (`model.num_parameters()` counts it once).
    pub fn tensors(&self) -> Result<Vec<Tensor>> {
        use TensorKind as K;
        let h = self.hidden_size;
        let mut t = Vec::new();
        t.push(Tensor::new(K::TokenEmbedding, None, self.vocab_size, h));
        if self.learned_positions > 0 {
            t.push(Tensor::new(K::PositionEmbedding, None, self.learned_positions, h));
        }
        let norm_vectors = self.norm.vectors();
        for (i, layer) in self.layers.iter().enumerate() {
            let i = i as u64;
            for _ in 0..self.norms_per_layer * norm_vectors {
                t.push(Tensor::vector(K::Norm, Some(i), h));
            }
            if layer.attention.is_some() {
                self.push_attention(&mut t, i)?;
            }
            if layer.recurrent {
                if let Some(r) = &self.recurrent {
                    r.push_tensors(&mut t, i, h)?;
                }
            }
            match (layer.ffn, &self.moe) {
                (Ffn::Dense, _) => Self::push_mlp(&mut t, i, h, &self.mlp)?,
                (Ffn::Moe, Some(moe)) => Self::push_moe(&mut t, i, h, moe)?,
                (Ffn::Moe, None) | (Ffn::None, _) => {}
            }
        }
        for _ in 0..norm_vectors {
            t.push(Tensor::vector(K::Norm, None, h));
        }
        if !self.tie_word_embeddings {
            t.push(Tensor::new(K::LmHead, None, self.vocab_size, h));
        }
        Ok(t)
    }

    /// The vision encoder's and projector's tensors (empty for a text model).
    pub fn vision_tensors(&self) -> Result<Vec<Tensor>> {
        match &self.vision {
            Some(v) => v.tensors(self.hidden_size),
            None => Ok(Vec::new()),
        }
    }

    /// Everything a server loads: the language model and any vision tower.
    pub fn all_tensors(&self) -> Result<Vec<Tensor>> {
        let mut t = self.tensors()?;
        t.extend(self.vision_tensors()?);
        Ok(t)
    }

    fn push_attention(&self, t: &mut Vec<Tensor>, i: u64) -> Result<()> {
        use TensorKind as K;
        let h = self.hidden_size;
        let l = Some(i);
        match &self.attention {
            None => {}
            Some(Attention::Standard(a)) => {
                let q = a.num_heads.mul_or(a.head_dim, "query width")?;
                let q_proj = if a.output_gate { q.mul_or(2, "gated query width")? } else { q };
                let kv = a.num_kv_heads.mul_or(a.head_dim, "key/value width")?;
                if a.fused_qkv {
                    let out = q_proj.add_or(kv.mul_or(2, "qkv width")?, "qkv width")?;
                    t.push(Tensor::new(K::AttnQkv, l, out, h));
                    if a.qkv_bias {
                        t.push(Tensor::vector(K::Bias, l, out));
                    }
                } else {
                    t.push(Tensor::new(K::AttnQ, l, q_proj, h));
                    t.push(Tensor::new(K::AttnK, l, kv, h));
                    t.push(Tensor::new(K::AttnV, l, kv, h));
                    if a.qkv_bias {
                        t.push(Tensor::vector(K::Bias, l, q_proj));
                        t.push(Tensor::vector(K::Bias, l, kv));
                        t.push(Tensor::vector(K::Bias, l, kv));
                    }
                }
                t.push(Tensor::new(K::AttnOut, l, h, q));
                if a.out_bias {
                    t.push(Tensor::vector(K::Bias, l, h));
                }
                match a.qk_norm {
                    QkNorm::None => {}
                    QkNorm::SharedAcrossHeads => {
                        t.push(Tensor::vector(K::Norm, l, a.head_dim));
                        t.push(Tensor::vector(K::Norm, l, a.head_dim));
                    }
                    QkNorm::PerHead => {
                        t.push(Tensor::vector(K::Norm, l, q));
                        t.push(Tensor::vector(K::Norm, l, kv));
                    }
                }
                if a.sinks {
                    t.push(Tensor::vector(K::AttnSinks, l, a.num_heads));
                }
            }
            Some(Attention::Latent(m)) => {
                let qk_head = m.qk_nope_head_dim.add_or(m.qk_rope_head_dim, "query head width")?;
                let q_out = m.num_heads.mul_or(qk_head, "query width")?;
                match m.q_lora_rank {
                    Some(r) => {
                        t.push(Tensor::new(K::AttnQA, l, r, h));
                        if m.bias {
                            t.push(Tensor::vector(K::Bias, l, r));
                        }
                        t.push(Tensor::vector(K::Norm, l, r));
                        t.push(Tensor::new(K::AttnQB, l, q_out, r));
                    }
                    None => t.push(Tensor::new(K::AttnQ, l, q_out, h)),
                }
                let kv_a = m.kv_lora_rank.add_or(m.qk_rope_head_dim, "latent width")?;
                t.push(Tensor::new(K::AttnKvA, l, kv_a, h));
                if m.bias {
                    t.push(Tensor::vector(K::Bias, l, kv_a));
                }
                t.push(Tensor::vector(K::Norm, l, m.kv_lora_rank));
                let kv_b = m.num_heads.mul_or(m.qk_nope_head_dim.add_or(m.v_head_dim, "kv head")?, "kv_b width")?;
                t.push(Tensor::new(K::AttnKvB, l, kv_b, m.kv_lora_rank));
                let o_in = m.num_heads.mul_or(m.v_head_dim, "value width")?;
                t.push(Tensor::new(K::AttnOut, l, h, o_in));
                if m.bias {
                    t.push(Tensor::vector(K::Bias, l, h));
                }
            }
        }
        Ok(())
    }

    fn push_mlp(t: &mut Vec<Tensor>, i: u64, h: u64, mlp: &Mlp) -> Result<()> {
        use TensorKind as K;
        let l = Some(i);
        let inter = mlp.intermediate_size;
        if mlp.gated {
            if mlp.fused_gate_up {
                t.push(Tensor::new(K::MlpGateUp, l, inter.mul_or(2, "gate_up width")?, h));
            } else {
                t.push(Tensor::new(K::MlpGate, l, inter, h));
                t.push(Tensor::new(K::MlpUp, l, inter, h));
            }
            if mlp.bias && mlp.fused_gate_up {
                t.push(Tensor::vector(K::Bias, l, inter.mul_or(2, "gate_up width")?));
            } else if mlp.bias {
                t.push(Tensor::vector(K::Bias, l, inter));
                t.push(Tensor::vector(K::Bias, l, inter));
            }
        } else {
            t.push(Tensor::new(K::MlpUp, l, inter, h));
            if mlp.bias {
                t.push(Tensor::vector(K::Bias, l, inter));
            }
        }
        t.push(Tensor::new(K::MlpDown, l, h, inter));
        if mlp.bias {
            t.push(Tensor::vector(K::Bias, l, h));
        }
        Ok(())
    }

    fn push_moe(t: &mut Vec<Tensor>, i: u64, h: u64, moe: &Moe) -> Result<()> {
        use TensorKind as K;
        let l = Some(i);
        let (e, k, inter) = (moe.num_experts, moe.experts_per_token, moe.expert_intermediate_size);
        t.push(Tensor::new(K::Router, l, e, h));
        match moe.router_bias {
            RouterBias::None => {}
            RouterBias::Parameter => t.push(Tensor::vector(K::Bias, l, e)),
            RouterBias::Buffer => t.push(Tensor::vector(K::RouterBias, l, e)),
        }
        if moe.gated {
            t.push(Tensor::new(K::ExpertGate, l, inter, h).experts(e, k));
        }
        t.push(Tensor::new(K::ExpertUp, l, inter, h).experts(e, k));
        if moe.expert_bias {
            let up_bias = if moe.gated { inter.mul_or(2, "expert bias")? } else { inter };
            t.push(Tensor::vector(K::Bias, l, up_bias).experts(e, k));
        }
        t.push(Tensor::new(K::ExpertDown, l, h, inter).experts(e, k));
        if moe.expert_bias {
            t.push(Tensor::vector(K::Bias, l, h).experts(e, k));
        }
        if moe.shared_intermediate_size > 0 {
            let s = moe.shared_intermediate_size;
            if moe.gated && moe.shared_fused_gate_up {
                t.push(Tensor::new(K::SharedExpertGate, l, s.mul_or(2, "shared gate_up")?, h));
            } else {
                if moe.gated {
                    t.push(Tensor::new(K::SharedExpertGate, l, s, h));
                }
                t.push(Tensor::new(K::SharedExpertUp, l, s, h));
            }
            if moe.shared_bias {
                let gate_up = if moe.gated { 2 } else { 1 };
                for _ in 0..gate_up {
                    t.push(Tensor::vector(K::Bias, l, s));
                }
            }
            t.push(Tensor::new(K::SharedExpertDown, l, h, s));
            if moe.shared_bias {
                t.push(Tensor::vector(K::Bias, l, h));
            }
        }
        // Qwen2MoeSparseMoeBlock builds the gate even for an empty shared expert.
        if moe.shared_expert_gate {
            t.push(Tensor::new(K::SharedExpertRouter, l, 1, h));
        }
        Ok(())
    }

    /// Total and active-per-token parameter counts.
    pub fn param_counts(&self) -> Result<ParamCounts> {
        let mut total = 0u64;
        let mut active = 0u64;
        let mut embedding = 0u64;
        for t in self.tensors()?.iter().filter(|t| !t.is_buffer()) {
            total = total.add_or(t.params()?, "parameter count")?;
            active = active.add_or(t.active_params()?, "active parameter count")?;
            if matches!(t.kind, TensorKind::TokenEmbedding | TensorKind::PositionEmbedding) {
                embedding = embedding.add_or(t.params()?, "embedding parameters")?;
            }
        }
        let mut vision = 0u64;
        let mut projector = 0u64;
        for t in self.vision_tensors()? {
            let n = t.params()?;
            if t.kind == TensorKind::Projector {
                projector = projector.add_or(n, "projector parameters")?;
            } else {
                vision = vision.add_or(n, "vision parameters")?;
            }
        }
        Ok(ParamCounts { total, active, embedding, vision, projector })
    }

    /// Key/value layout of this model's attention layers (`kv_heads = 0` for
    /// a model without attention).
    pub fn kv_layout(&self) -> KvLayout {
        match &self.attention {
            Some(Attention::Standard(a)) => {
                KvLayout::Heads { kv_heads: a.num_kv_heads, k_head_dim: a.head_dim, v_head_dim: a.head_dim }
            }
            Some(Attention::Latent(m)) => KvLayout::Latent { latent_dim: m.kv_lora_rank, rope_dim: m.qk_rope_head_dim },
            None => KvLayout::Heads { kv_heads: 0, k_head_dim: 0, v_head_dim: 0 },
        }
    }

    /// Short description of the attention, e.g. `GQA (32 query heads, 8 KV heads)`.
    pub fn attention_label(&self) -> String {
        let base = match &self.attention {
            Some(Attention::Standard(a)) => {
                let kind = if a.num_kv_heads == a.num_heads {
                    "MHA"
                } else if a.num_kv_heads == 1 {
                    "MQA"
                } else {
                    "GQA"
                };
                format!("{kind} ({} query heads, {} KV heads)", a.num_heads, a.num_kv_heads)
            }
            Some(Attention::Latent(m)) => {
                format!("MLA ({} heads, latent {} + RoPE key {})", m.num_heads, m.kv_lora_rank, m.qk_rope_head_dim)
            }
            None => "none (state-space model)".to_string(),
        };
        let mix = self.layer_mix();
        if mix.is_empty() {
            base
        } else {
            format!("{base}; {mix}")
        }
    }

    /// How the layers divide among kinds, when they are not all full
    /// attention, e.g. `40 sliding (1,024) + 8 full` or `27 recurrent + 4 full`.
    pub fn layer_mix(&self) -> String {
        let mut parts: Vec<(String, u64)> = Vec::new();
        for l in &self.layers {
            let name = match (l.attention, l.recurrent) {
                (Some(AttentionSpan::Full), true) | (Some(AttentionSpan::Full), false) => "full".to_string(),
                (Some(AttentionSpan::Sliding(w)), _) => format!("sliding ({})", crate::units::group_thousands(w)),
                (Some(AttentionSpan::Chunked(c)), _) => format!("chunked ({})", crate::units::group_thousands(c)),
                (None, true) => "recurrent".to_string(),
                (None, false) => "MLP-only".to_string(),
            };
            match parts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => parts.push((name, 1)),
            }
        }
        if parts.len() == 1 && parts[0].0 == "full" {
            return String::new();
        }
        parts.iter().map(|(n, c)| format!("{c} {n}")).collect::<Vec<_>>().join(" + ")
    }
}

/// Parameter counts of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamCounts {
    /// Every parameter of the language model, each shared tensor once.
    pub total: u64,
    /// Parameters one token passes through (top-k of the routed experts).
    pub active: u64,
    /// Token and position embedding parameters (looked up, not multiplied).
    pub embedding: u64,
    /// The vision encoder of a multimodal checkpoint (0 for text models).
    pub vision: u64,
    /// The multimodal projector (0 for text models).
    pub projector: u64,
}

/// What the KV cache stores per token and layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KvLayout {
    /// A key and a value vector per KV head (MHA, GQA, MQA).
    Heads { kv_heads: u64, k_head_dim: u64, v_head_dim: u64 },
    /// MLA: the compressed latent c^KV (width d_c) and the decoupled RoPE key
    /// (width d_h^R), shared by all heads (DeepSeek-V2 §2.1.2–2.1.3).
    Latent { latent_dim: u64, rope_dim: u64 },
}

impl KvLayout {
    /// Cached elements per token per layer: `kv_heads × (d_k + d_v)` for
    /// standard attention, `d_c + d_h^R` for MLA (DeepSeek-V2 Table 1).
    pub fn elements_per_token_per_layer(&self) -> Result<u64> {
        match *self {
            KvLayout::Heads { kv_heads, k_head_dim, v_head_dim } => {
                kv_heads.mul_or(k_head_dim.add_or(v_head_dim, "KV head width")?, "KV elements per token")
            }
            KvLayout::Latent { latent_dim, rope_dim } => latent_dim.add_or(rope_dim, "MLA elements per token"),
        }
    }
}

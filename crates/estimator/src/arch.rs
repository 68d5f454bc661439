//! A model architecture, normalised across families, and its exact tensor
//! inventory.
//!
//! [`ModelArch`] is what the rest of the crate reasons about; it is built by
//! [`crate::config::parse_config`] from a Hugging Face `config.json`. Its
//! [`ModelArch::tensors`] lists every parameter tensor that the reference
//! implementation (Hugging Face transformers, `modeling_<family>.py`)
//! instantiates, with its shape — so the parameter count, the bytes under any
//! quantization format and the list of what stays unquantized all come from
//! one inventory and cannot disagree.

use crate::error::{product, Checked, Result};
use crate::precision::Dtype;
use serde::Serialize;

/// The model families whose `config.json` we parse, by `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// `llama` — LlamaForCausalLM.
    Llama,
    /// `mistral` — MistralForCausalLM (sliding window in v0.1).
    Mistral,
    /// `mixtral` — MixtralForCausalLM (sparse mixture of experts).
    Mixtral,
    /// `qwen2` — Qwen2ForCausalLM (q/k/v projections carry a bias).
    Qwen2,
    /// `gemma2` — Gemma2ForCausalLM (4 norms per layer, alternating local/global attention).
    Gemma2,
    /// `phi3` — Phi3ForCausalLM (fused qkv and gate_up projections).
    Phi3,
    /// `deepseek_v3` — DeepseekV3ForCausalLM (multi-head latent attention, shared + routed experts).
    DeepseekV3,
    /// `gpt2` — GPT2LMHeadModel (learned positions, LayerNorm, biases everywhere).
    Gpt2,
}

impl Family {
    /// The `model_type` string of this family in `config.json`.
    pub fn model_type(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Mistral => "mistral",
            Self::Mixtral => "mixtral",
            Self::Qwen2 => "qwen2",
            Self::Gemma2 => "gemma2",
            Self::Phi3 => "phi3",
            Self::DeepseekV3 => "deepseek_v3",
            Self::Gpt2 => "gpt2",
        }
    }
}

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
    /// gate and up fused into one `gate_up_proj` (Phi-3).
    pub fused_gate_up: bool,
}

/// A sparse mixture-of-experts feed-forward block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moe {
    pub num_experts: u64,
    pub experts_per_token: u64,
    pub expert_intermediate_size: u64,
    /// Always-on shared experts, fused into one MLP of width
    /// `shared_intermediate_size` (DeepSeek-V3 `shared_experts`); 0 if none.
    pub shared_intermediate_size: u64,
    /// Layers `0..first_dense_layers` use the dense [`Mlp`] instead.
    pub first_dense_layers: u64,
    /// The router carries a per-expert score-correction bias buffer (DeepSeek-V3).
    pub router_bias: bool,
}

/// How a normalisation layer is parameterised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    /// RMSNorm: one weight vector.
    Rms,
    /// LayerNorm: a weight and a bias vector.
    Layer,
}

/// Which layers attend within a sliding window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlidingLayers {
    /// Every layer (Mistral v0.1, Phi-3 mini).
    All,
    /// Layers 0, 2, 4, … (Gemma 2: `is_sliding = not bool(layer_idx % 2)`).
    Even,
    /// Layers with index ≥ this (Qwen2 `max_window_layers`).
    From(u64),
    /// An explicit list (`layer_types` in newer configs), `true` = sliding.
    Listed(Vec<bool>),
}

/// A sliding attention window: sliding layers keep at most `window` tokens of
/// KV cache (the rolling buffer cache of Mistral 7B, arXiv 2310.06825 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlidingWindow {
    pub window: u64,
    pub layers: SlidingLayers,
}

impl SlidingWindow {
    /// Whether layer `i` (0-based) of `num_layers` is a sliding-window layer.
    pub fn is_sliding(&self, i: u64) -> bool {
        match &self.layers {
            SlidingLayers::All => true,
            SlidingLayers::Even => i % 2 == 0,
            SlidingLayers::From(k) => i >= *k,
            SlidingLayers::Listed(v) => usize::try_from(i).ok().and_then(|i| v.get(i)).copied().unwrap_or(false),
        }
    }

    /// How many of `num_layers` layers slide.
    pub fn sliding_layer_count(&self, num_layers: u64) -> u64 {
        match &self.layers {
            SlidingLayers::All => num_layers,
            SlidingLayers::Even => num_layers.div_ceil(2),
            SlidingLayers::From(k) => num_layers.saturating_sub(*k),
            SlidingLayers::Listed(v) => {
                v.iter().take(usize::try_from(num_layers).unwrap_or(usize::MAX)).filter(|s| **s).count() as u64
            }
        }
    }
}

/// A decoder-only transformer, normalised across the supported families.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelArch {
    pub family: Family,
    pub vocab_size: u64,
    pub hidden_size: u64,
    pub num_layers: u64,
    pub attention: Attention,
    /// The dense feed-forward block (all layers of a dense model; the first
    /// `first_dense_layers` of a DeepSeek-style MoE).
    pub mlp: Mlp,
    pub moe: Option<Moe>,
    pub norm: NormKind,
    /// Norms inside each decoder layer (2 for most; 4 for Gemma 2).
    pub norms_per_layer: u64,
    pub tie_word_embeddings: bool,
    /// Rows of a learned absolute position embedding (GPT-2 `wpe`); 0 if none.
    pub learned_positions: u64,
    /// The longest context the config declares.
    pub max_position_embeddings: u64,
    pub sliding_window: Option<SlidingWindow>,
    /// The dtype the checkpoint is stored in (`torch_dtype`), bf16 if absent.
    pub torch_dtype: Dtype,
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
    /// The MoE router (`gate`), a linear layer hidden → experts.
    Router,
    /// DeepSeek-V3's `e_score_correction_bias`: a registered *buffer* in
    /// transformers (`DeepseekV3TopkRouter`), stored in the checkpoint as
    /// fp32 but not a parameter (DeepSeek's own remote code makes it one).
    RouterBias,
    Norm,
    Bias,
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
        )
    }

    /// A one-dimensional tensor (norm weights, biases).
    pub fn is_vector(self) -> bool {
        matches!(self, Self::Norm | Self::Bias | Self::RouterBias)
    }

    /// A short label for breakdown tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::TokenEmbedding => "token embedding",
            Self::PositionEmbedding => "position embedding",
            Self::LmHead => "LM head",
            Self::AttnQ | Self::AttnK | Self::AttnV | Self::AttnQkv | Self::AttnOut => "attention",
            Self::AttnQA | Self::AttnQB | Self::AttnKvA | Self::AttnKvB => "attention (MLA)",
            Self::MlpGate | Self::MlpUp | Self::MlpGateUp | Self::MlpDown => "MLP",
            Self::ExpertGate | Self::ExpertUp | Self::ExpertDown => "routed experts",
            Self::SharedExpertGate | Self::SharedExpertUp | Self::SharedExpertDown => "shared experts",
            Self::Router | Self::RouterBias => "router",
            Self::Norm => "norms",
            Self::Bias => "biases",
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
    fn new(kind: TensorKind, layer: Option<u64>, rows: u64, cols: u64) -> Self {
        Self { kind, layer, rows, cols, copies: 1, active_copies: 1 }
    }
    fn vector(kind: TensorKind, layer: Option<u64>, len: u64) -> Self {
        Self::new(kind, layer, 1, len)
    }
    fn experts(mut self, copies: u64, active: u64) -> Self {
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
    /// Number of key/value heads as seen by the cache (1 for MLA's shared latent).
    pub fn num_heads(&self) -> u64 {
        match &self.attention {
            Attention::Standard(a) => a.num_heads,
            Attention::Latent(m) => m.num_heads,
        }
    }

    /// Whether layer `i` uses the MoE block.
    pub fn layer_is_moe(&self, i: u64) -> bool {
        self.moe.as_ref().is_some_and(|m| i >= m.first_dense_layers)
    }

    /// Every parameter tensor the reference implementation instantiates.
    ///
    /// Sources (Hugging Face transformers, `src/transformers/models/`):
    /// `llama/modeling_llama.py` (LlamaAttention, LlamaMLP, LlamaDecoderLayer,
    /// LlamaModel, LlamaForCausalLM), `mistral/`, `mixtral/modeling_mixtral.py`
    /// (MixtralSparseMoeBlock: `gate` without bias, experts w1/w2/w3),
    /// `qwen2/modeling_qwen2.py` (q/k/v `bias=True`, o_proj `bias=False`),
    /// `gemma2/modeling_gemma2.py` (input, post-attention, pre- and
    /// post-feedforward RMSNorms), `phi3/modeling_phi3.py` (`qkv_proj`,
    /// `gate_up_proj`), `deepseek_v3/modeling_deepseek_v3.py` (DeepseekV3Attention,
    /// DeepseekV3MoE with `shared_experts` of width `moe_intermediate_size ×
    /// n_shared_experts`, DeepseekV3TopkRouter with `e_score_correction_bias`),
    /// `gpt2/modeling_gpt2.py` (Conv1D `c_attn`, `c_proj`, `c_fc` with biases,
    /// LayerNorm `ln_1`, `ln_2`, `ln_f`, `wpe`). A tied LM head shares the
    /// embedding matrix and is not listed again (`model.num_parameters()`
    /// counts it once).
    pub fn tensors(&self) -> Result<Vec<Tensor>> {
        use TensorKind as K;
        let h = self.hidden_size;
        let mut t = Vec::new();
        t.push(Tensor::new(K::TokenEmbedding, None, self.vocab_size, h));
        if self.learned_positions > 0 {
            t.push(Tensor::new(K::PositionEmbedding, None, self.learned_positions, h));
        }
        let norm_vectors: u64 = match self.norm {
            NormKind::Rms => 1,
            NormKind::Layer => 2,
        };
        for i in 0..self.num_layers {
            let l = Some(i);
            for _ in 0..self.norms_per_layer * norm_vectors {
                t.push(Tensor::vector(K::Norm, l, h));
            }
            self.push_attention(&mut t, i)?;
            match (&self.moe, self.layer_is_moe(i)) {
                (Some(moe), true) => Self::push_moe(&mut t, i, h, moe),
                _ => Self::push_mlp(&mut t, i, h, &self.mlp)?,
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

    fn push_attention(&self, t: &mut Vec<Tensor>, i: u64) -> Result<()> {
        use TensorKind as K;
        let h = self.hidden_size;
        let l = Some(i);
        match &self.attention {
            Attention::Standard(a) => {
                let q = a.num_heads.mul_or(a.head_dim, "query width")?;
                let kv = a.num_kv_heads.mul_or(a.head_dim, "key/value width")?;
                if a.fused_qkv {
                    let out = q.add_or(kv.mul_or(2, "qkv width")?, "qkv width")?;
                    t.push(Tensor::new(K::AttnQkv, l, out, h));
                    if a.qkv_bias {
                        t.push(Tensor::vector(K::Bias, l, out));
                    }
                } else {
                    t.push(Tensor::new(K::AttnQ, l, q, h));
                    t.push(Tensor::new(K::AttnK, l, kv, h));
                    t.push(Tensor::new(K::AttnV, l, kv, h));
                    if a.qkv_bias {
                        t.push(Tensor::vector(K::Bias, l, q));
                        t.push(Tensor::vector(K::Bias, l, kv));
                        t.push(Tensor::vector(K::Bias, l, kv));
                    }
                }
                t.push(Tensor::new(K::AttnOut, l, h, q));
                if a.out_bias {
                    t.push(Tensor::vector(K::Bias, l, h));
                }
            }
            Attention::Latent(m) => {
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

    fn push_moe(t: &mut Vec<Tensor>, i: u64, h: u64, moe: &Moe) {
        use TensorKind as K;
        let l = Some(i);
        let (e, k, inter) = (moe.num_experts, moe.experts_per_token, moe.expert_intermediate_size);
        t.push(Tensor::new(K::Router, l, e, h));
        if moe.router_bias {
            t.push(Tensor::vector(K::RouterBias, l, e));
        }
        t.push(Tensor::new(K::ExpertGate, l, inter, h).experts(e, k));
        t.push(Tensor::new(K::ExpertUp, l, inter, h).experts(e, k));
        t.push(Tensor::new(K::ExpertDown, l, h, inter).experts(e, k));
        if moe.shared_intermediate_size > 0 {
            let s = moe.shared_intermediate_size;
            t.push(Tensor::new(K::SharedExpertGate, l, s, h));
            t.push(Tensor::new(K::SharedExpertUp, l, s, h));
            t.push(Tensor::new(K::SharedExpertDown, l, h, s));
        }
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
        Ok(ParamCounts { total, active, embedding })
    }

    /// Key/value layout of this model's cache.
    pub fn kv_layout(&self) -> KvLayout {
        match &self.attention {
            Attention::Standard(a) => {
                KvLayout::Heads { kv_heads: a.num_kv_heads, k_head_dim: a.head_dim, v_head_dim: a.head_dim }
            }
            Attention::Latent(m) => KvLayout::Latent { latent_dim: m.kv_lora_rank, rope_dim: m.qk_rope_head_dim },
        }
    }

    /// Short description of the attention, e.g. `GQA (32 query heads, 8 KV heads)`.
    pub fn attention_label(&self) -> String {
        match &self.attention {
            Attention::Standard(a) => {
                let kind = if a.num_kv_heads == a.num_heads {
                    "MHA"
                } else if a.num_kv_heads == 1 {
                    "MQA"
                } else {
                    "GQA"
                };
                format!("{kind} ({} query heads, {} KV heads)", a.num_heads, a.num_kv_heads)
            }
            Attention::Latent(m) => {
                format!("MLA ({} heads, latent {} + RoPE key {})", m.num_heads, m.kv_lora_rank, m.qk_rope_head_dim)
            }
        }
    }
}

/// Parameter counts of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamCounts {
    /// Every parameter, each shared tensor once.
    pub total: u64,
    /// Parameters one token passes through (top-k of the routed experts).
    pub active: u64,
    /// Token and position embedding parameters (looked up, not multiplied).
    pub embedding: u64,
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

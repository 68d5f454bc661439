//! Vision encoders and projectors of multimodal checkpoints.
//!
//! The language model is what [`crate::arch::ModelArch::tensors`] counts; a
//! multimodal checkpoint also loads a vision encoder and a projector into
//! the text model's width, which a server keeps in memory beside it. Their
//! inventories follow transformers 5.24:
//!
//! - Gemma 3 (`models/gemma3/modeling_gemma3.py`): a SigLIP vision model
//!   (`models/siglip/modeling_siglip.py`, `SiglipVisionModel` without its
//!   pooling head, `vision_use_head=False`) and `Gemma3MultiModalProjector`
//!   (`mm_input_projection_weight` vision × text, `mm_soft_emb_norm`).
//! - Mistral 3 (`models/mistral3/modeling_mistral3.py`): a Pixtral vision
//!   model (`models/pixtral/modeling_pixtral.py`: bias-free patch conv,
//!   RMSNorms, gated MLP) and `Mistral3MultiModalProjector` (norm, patch
//!   merger, two linear layers).
//! - Llama 4 (`models/llama4/modeling_llama4.py`): `Llama4VisionModel`
//!   (unfold-convolution patch embedding, class and position embeddings,
//!   LayerNorms, biased attention and MLP, pixel-shuffle adapter MLP) and
//!   `Llama4MultiModalProjector` (`linear_1` vision output → text width).

use crate::arch::{Tensor, TensorKind};
use crate::error::{product, Checked, EstimateError, Result};
use crate::fields::{Default as D, Defaults, Fields, MAX_HEADS, MAX_WIDTH};
use serde::Serialize;
use serde_json::{Map, Value};

/// Which vision stack a multimodal family carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisionRule {
    Gemma3Siglip,
    Mistral3Pixtral,
    Llama4,
}

/// The vision encoder of a multimodal checkpoint and its projector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisionTower {
    /// `SigLIP`, `Pixtral` or `Llama 4 vision`.
    pub name: &'static str,
    pub hidden_size: u64,
    pub intermediate_size: u64,
    pub num_layers: u64,
    pub patch_size: u64,
    pub num_channels: u64,
    pub image_size: u64,
    pub projector: Projector,
    /// Llama 4's pixel-shuffle adapter: (projector_input_dim, projector_output_dim).
    pub adapter: Option<(u64, u64)>,
}

/// The projector from vision features into the text model's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Projector {
    /// Gemma 3: one matrix and an RMSNorm of the vision width.
    Gemma3,
    /// Mistral 3: RMSNorm, a patch merger of `merge² × vision` → vision, then
    /// `linear_1` and `linear_2` (biased when `bias`).
    Mistral3 { merge: u64, feature_layers: u64, bias: bool },
    /// Llama 4: `linear_1` from the vision output width, no bias.
    Llama4 { vision_output_dim: u64 },
}

const SIGLIP_DEFAULTS: Defaults = &[
    ("hidden_size", D::Int(768)),
    ("intermediate_size", D::Int(3072)),
    ("num_hidden_layers", D::Int(12)),
    ("num_attention_heads", D::Int(12)),
    ("num_channels", D::Int(3)),
    ("image_size", D::Int(224)),
    ("patch_size", D::Int(16)),
    ("vision_use_head", D::Bool(true)),
];

const PIXTRAL_DEFAULTS: Defaults = &[
    ("hidden_size", D::Int(1024)),
    ("intermediate_size", D::Int(4096)),
    ("num_hidden_layers", D::Int(24)),
    ("num_attention_heads", D::Int(16)),
    ("num_channels", D::Int(3)),
    ("image_size", D::Int(1024)),
    ("patch_size", D::Int(16)),
];

const LLAMA4_VISION_DEFAULTS: Defaults = &[
    ("hidden_size", D::Int(768)),
    ("num_hidden_layers", D::Int(34)),
    ("num_attention_heads", D::Int(16)),
    ("num_channels", D::Int(3)),
    ("intermediate_size", D::Int(5632)),
    ("vision_output_dim", D::Int(7680)),
    ("image_size", D::Int(448)),
    ("patch_size", D::Int(14)),
    ("projector_input_dim", D::Int(4096)),
    ("projector_output_dim", D::Int(4096)),
];

/// The defaults of each vision config class (transformers 5.24), for the docs.
pub const VISION_DEFAULTS: &[(&str, Defaults)] = &[
    ("SiglipVisionConfig", SIGLIP_DEFAULTS),
    ("PixtralVisionConfig", PIXTRAL_DEFAULTS),
    ("Llama4VisionConfig", LLAMA4_VISION_DEFAULTS),
];

/// Reads `vision_config` and the wrapper's projector fields.
pub(crate) fn parse(
    rule: VisionRule,
    top_obj: &Map<String, Value>,
    top: &Fields,
    text_hidden: u64,
) -> Result<VisionTower> {
    let _ = text_hidden;
    let empty = Map::new();
    let obj = match top_obj.get("vision_config") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => &empty,
        Some(other) => {
            return Err(EstimateError::InvalidField {
                field: "vision_config".into(),
                reason: format!("expected an object, got {}", crate::fields::describe(other)),
            })
        }
    };
    let defaults = match rule {
        VisionRule::Gemma3Siglip => SIGLIP_DEFAULTS,
        VisionRule::Mistral3Pixtral => PIXTRAL_DEFAULTS,
        VisionRule::Llama4 => LLAMA4_VISION_DEFAULTS,
    };
    let v = Fields::new(obj, defaults, &[]);
    let hidden = v.dim("hidden_size", MAX_WIDTH)?;
    let heads = v.dim("num_attention_heads", MAX_HEADS)?;
    if hidden % heads != 0 {
        return Err(EstimateError::InvalidField {
            field: "vision_config.hidden_size".into(),
            reason: format!("{hidden} is not divisible by num_attention_heads ({heads})"),
        });
    }
    let mut tower = VisionTower {
        name: "",
        hidden_size: hidden,
        intermediate_size: v.dim("intermediate_size", MAX_WIDTH)?,
        num_layers: v.dim("num_hidden_layers", 1024)?,
        patch_size: v.dim("patch_size", 1024)?,
        num_channels: v.dim("num_channels", 64)?,
        image_size: v.dim("image_size", 1 << 16)?,
        projector: Projector::Gemma3,
        adapter: None,
    };
    match rule {
        VisionRule::Gemma3Siglip => {
            if v.flag("vision_use_head")? && v.has("vision_use_head") {
                return Err(EstimateError::InvalidField {
                    field: "vision_config.vision_use_head".into(),
                    reason: "Gemma 3's SigLIP encoder has no pooling head; expected false".into(),
                });
            }
            tower.name = "SigLIP";
        }
        VisionRule::Mistral3Pixtral => {
            tower.name = "Pixtral";
            let feature_layers = match top.raw("vision_feature_layer") {
                Some(Value::Array(a)) => a.len() as u64,
                _ => 1,
            };
            tower.projector = Projector::Mistral3 {
                merge: top.dim("spatial_merge_size", 64)?,
                feature_layers: feature_layers.max(1),
                bias: top.flag("multimodal_projector_bias")?,
            };
        }
        VisionRule::Llama4 => {
            tower.name = "Llama 4 vision";
            tower.projector = Projector::Llama4 { vision_output_dim: v.dim("vision_output_dim", MAX_WIDTH)? };
            tower.adapter = Some((v.dim("projector_input_dim", MAX_WIDTH)?, v.dim("projector_output_dim", MAX_WIDTH)?));
        }
    }
    Ok(tower)
}

impl VisionTower {
    /// The encoder's and projector's tensors, for a text model `text_hidden` wide.
    pub fn tensors(&self, text_hidden: u64) -> Result<Vec<Tensor>> {
        use TensorKind::{Projector as P, Vision as V};
        let h = self.hidden_size;
        let i = self.intermediate_size;
        let patch_in = product(&[self.num_channels, self.patch_size, self.patch_size], "patch size")?;
        let patches = (self.image_size / self.patch_size).mul_or(self.image_size / self.patch_size, "patches")?;
        let mut t = Vec::new();
        let mat = |t: &mut Vec<Tensor>, kind, rows, cols| t.push(Tensor::new(kind, None, rows, cols));
        let vec = |t: &mut Vec<Tensor>, kind, len| t.push(Tensor::vector(kind, None, len));
        match self.projector {
            Projector::Gemma3 => {
                // SiglipVisionEmbeddings: conv with bias, learned positions.
                mat(&mut t, V, h, patch_in);
                vec(&mut t, V, h);
                mat(&mut t, V, patches, h);
                for _ in 0..self.num_layers {
                    for _ in 0..4 {
                        vec(&mut t, V, h); // layer_norm1/2 weight and bias
                    }
                    for _ in 0..4 {
                        mat(&mut t, V, h, h); // q, k, v, out_proj
                        vec(&mut t, V, h);
                    }
                    mat(&mut t, V, i, h);
                    vec(&mut t, V, i);
                    mat(&mut t, V, h, i);
                    vec(&mut t, V, h);
                }
                vec(&mut t, V, h); // post_layernorm
                vec(&mut t, V, h);
                mat(&mut t, P, text_hidden, h);
                vec(&mut t, P, h);
            }
            Projector::Mistral3 { merge, feature_layers, bias } => {
                mat(&mut t, V, h, patch_in); // patch_conv, no bias
                vec(&mut t, V, h); // ln_pre
                for _ in 0..self.num_layers {
                    vec(&mut t, V, h);
                    vec(&mut t, V, h);
                    for _ in 0..4 {
                        mat(&mut t, V, h, h);
                    }
                    mat(&mut t, V, i, h);
                    mat(&mut t, V, i, h);
                    mat(&mut t, V, h, i);
                }
                vec(&mut t, P, h); // norm
                mat(&mut t, P, h, product(&[h, merge, merge], "patch merger")?);
                mat(&mut t, P, text_hidden, h.mul_or(feature_layers, "linear_1")?);
                if bias {
                    vec(&mut t, P, text_hidden);
                }
                mat(&mut t, P, text_hidden, text_hidden);
                if bias {
                    vec(&mut t, P, text_hidden);
                }
            }
            Projector::Llama4 { vision_output_dim } => {
                mat(&mut t, V, h, patch_in); // Llama4UnfoldConvolution.linear
                vec(&mut t, V, h); // class_embedding
                mat(&mut t, V, patches + 1, h); // positional_embedding_vlm
                for _ in 0..4 {
                    vec(&mut t, V, h); // layernorm_pre, layernorm_post
                }
                for _ in 0..self.num_layers {
                    for _ in 0..4 {
                        vec(&mut t, V, h);
                    }
                    for _ in 0..4 {
                        mat(&mut t, V, h, h);
                        vec(&mut t, V, h);
                    }
                    mat(&mut t, V, i, h);
                    vec(&mut t, V, i);
                    mat(&mut t, V, h, i);
                    vec(&mut t, V, h);
                }
                if let Some((proj_in, proj_out)) = self.adapter {
                    mat(&mut t, V, proj_in, i); // vision_adapter.mlp.fc1
                    mat(&mut t, V, proj_out, proj_out); // vision_adapter.mlp.fc2
                }
                mat(&mut t, P, text_hidden, vision_output_dim);
            }
        }
        Ok(t)
    }
}

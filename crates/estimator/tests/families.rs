//! The current generation of model families, figure by figure: KV cache for
//! every layer kind below and above its window or chunk, the recurrent state
//! of state-space and hybrid models, the defaults transformers gives omitted
//! fields, and pre-quantized checkpoints priced as stored. Every expected
//! figure is worked by hand in the comment above it.

use llmem_estimator::arch::{AttentionSpan, Ffn};
use llmem_estimator::kv_cache::kv_cache;
use llmem_estimator::precision::{weights_footprint, Dtype, WeightFormat};
use llmem_estimator::presets::preset;
use llmem_estimator::ssm::recurrent_state;
use llmem_estimator::{parse_config, ModelArch};
use std::path::Path;

fn model(id: &str) -> ModelArch {
    preset(id).unwrap().arch().unwrap()
}

fn config(name: &str) -> ModelArch {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs").join(format!("{name}.json"));
    parse_config(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kv(m: &ModelArch, context: u64) -> u64 {
    kv_cache(m, Dtype::Bf16, context, 1).unwrap().total_bytes
}

/// Gemma 3 27B: 62 layers, every sixth global (i = 5, 11, …, 59: 10 full),
/// 52 local with a 1,024-token window; 16 KV heads × 128 × 2 × 2 bytes =
/// 8,192 bytes per layer and token.
#[test]
fn gemma3_five_local_to_one_global() {
    let m = model("gemma-3-27b");
    let full: Vec<usize> =
        m.layers.iter().enumerate().filter(|(_, l)| l.attention == Some(AttentionSpan::Full)).map(|(i, _)| i).collect();
    assert_eq!(full, vec![5, 11, 17, 23, 29, 35, 41, 47, 53, 59]);
    assert_eq!(m.bounded_layer_count(), 52);
    // Below the window every layer holds every token.
    assert_eq!(kv(&m, 512), 62 * 512 * 8192);
    // Above it: 10 × 32,768 + 52 × 1,024 token-layers.
    assert_eq!(kv(&m, 32_768), (10 * 32_768 + 52 * 1024) * 8192);
    assert_eq!(kv(&m, 32_768), 3_120_562_176);
    // The multimodal config carries the SigLIP encoder beside the text model.
    assert!(m.vision.is_some());
}

/// gpt-oss-20b: 24 layers alternating a 128-token band and full attention;
/// 8 KV heads × 64 × 2 × 2 = 2,048 bytes per layer and token. Sinks are 64
/// parameters per layer and no cache.
#[test]
fn gpt_oss_alternating_window() {
    let m = model("gpt-oss-20b");
    assert_eq!(m.layers[0].attention, Some(AttentionSpan::Sliding(128)));
    assert_eq!(m.layers[1].attention, Some(AttentionSpan::Full));
    assert_eq!(kv(&m, 100), 24 * 100 * 2048);
    assert_eq!(kv(&m, 4096), (12 * 4096 + 12 * 128) * 2048);
    assert!(m.standard_attention().unwrap().sinks);
    assert_eq!(m.moe.as_ref().map(|e| (e.num_experts, e.experts_per_token)), Some((32, 4)));
}

/// Llama 4 Scout: 36 chunked layers (8,192-token chunks) and 12 global NoPE
/// layers (every fourth); 8 KV heads × 128 × 2 × 2 = 4,096 bytes per layer
/// and token.
#[test]
fn llama4_chunked_attention() {
    let m = model("llama-4-scout");
    assert_eq!(m.layers[3].attention, Some(AttentionSpan::Full));
    assert!(!m.layers[3].rope);
    assert_eq!(m.layers[0].attention, Some(AttentionSpan::Chunked(8192)));
    assert_eq!(kv(&m, 4096), 48 * 4096 * 4096);
    assert_eq!(kv(&m, 65_536), (12 * 65_536 + 36 * 8192) * 4096);
    // Every layer is MoE (interleave step 1): 16 experts, top-1, plus a shared expert.
    assert!(m.layers.iter().all(|l| l.ffn == Ffn::Moe));
    // 17B active: the card's name.
    let c = m.param_counts().unwrap();
    assert_eq!(c.active, 17_172_894_720);
}

/// Qwen3-Next-80B-A3B: 36 Gated DeltaNet layers and 12 full-attention
/// layers (every fourth). Attention: 2 KV heads × 256 × 2 × 2 = 2,048 bytes
/// per layer and token. Each DeltaNet layer keeps a conv state of
/// (2 × 16 × 128 + 32 × 128) channels × 3 columns = 24,576 elements and a
/// 32 × 128 × 128 = 524,288-element state: 548,864 × 36 × 2 bytes =
/// 39,518,208 bytes per sequence, at any length.
#[test]
fn qwen3_next_hybrid_state() {
    let m = model("qwen3-next-80b-a3b");
    assert_eq!((m.attention_layer_count(), m.recurrent_layer_count()), (12, 36));
    let s = recurrent_state(&m, Dtype::Bf16).unwrap();
    assert_eq!(s.total_bytes, 39_518_208);
    let c = kv_cache(&m, Dtype::Bf16, 32_768, 2).unwrap();
    assert_eq!(c.bytes_per_token, 12 * 2048);
    assert_eq!(c.state_bytes_per_sequence, 39_518_208);
    assert_eq!(c.total_bytes, 2 * (12 * 32_768 * 2048 + 39_518_208));
    // The state is there from the first token.
    assert_eq!(kv(&m, 1), 12 * 2048 + 39_518_208);
}

/// Nemotron-H 8B: 52 blocks, 24 Mamba-2, 4 attention, 24 MLP. Attention:
/// 8 KV heads × 128 × 2 × 2 = 4,096 bytes per layer and token. Mamba-2:
/// conv (8,192 + 2 × 8 × 128) × 3 = 30,720 and state 128 × 64 × 128 =
/// 1,048,576 elements per layer → 1,079,296 × 24 × 2 = 51,806,208 bytes.
#[test]
fn nemotron_h_blocks() {
    let m = model("nemotron-h-8b");
    assert_eq!((m.attention_layer_count(), m.recurrent_layer_count()), (4, 24));
    assert_eq!(m.layers.iter().filter(|l| l.ffn == Ffn::Dense).count(), 24);
    assert_eq!(recurrent_state(&m, Dtype::Bf16).unwrap().total_bytes, 51_806_208);
    assert_eq!(kv(&m, 8192), 4 * 8192 * 4096 + 51_806_208);
    assert!(m.moe.is_none());
}

/// Mamba-Codestral (Mamba-2): 64 layers of d_inner 8,192, 128 heads of 64,
/// 8 groups, state 128 → (30,720 + 1,048,576) × 64 × 2 = 138,149,888 bytes;
/// no attention, so no per-token cache at all.
#[test]
fn mamba2_state_is_all_there_is() {
    let m = config("mamba-codestral-7b");
    let c = kv_cache(&m, Dtype::Bf16, 1 << 20, 1).unwrap();
    assert_eq!(c.bytes_per_token, 0);
    assert_eq!(c.total_bytes, 138_149_888);
    assert_eq!(kv(&m, 1), c.total_bytes);
}

/// Omitted keys take the defaults of transformers' config classes.
#[test]
fn missing_keys_take_transformers_defaults() {
    // MistralConfig: sliding_window = 4096 when absent; an explicit null means none.
    let base = r#""hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,
        "vocab_size":100,"intermediate_size":96"#;
    let m = parse_config(&format!(r#"{{"model_type":"mistral",{base}}}"#)).unwrap();
    assert!(m.layers.iter().all(|l| l.attention == Some(AttentionSpan::Sliding(4096))));
    let m = parse_config(&format!(r#"{{"model_type":"mistral","sliding_window":null,{base}}}"#)).unwrap();
    assert!(m.layers.iter().all(|l| l.attention == Some(AttentionSpan::Full)));
    // Gemma2Config: head_dim 256, sliding_window 4096 on even layers.
    let m = parse_config(&format!(r#"{{"model_type":"gemma2",{base}}}"#)).unwrap();
    assert_eq!(m.head_dim(), 256);
    assert_eq!(m.layers[0].attention, Some(AttentionSpan::Sliding(4096)));
    assert_eq!(m.layers[1].attention, Some(AttentionSpan::Full));
    assert!(m.defaulted.contains(&"head_dim") && m.defaulted.contains(&"sliding_window"));
    // DeepseekV3Config: q_lora_rank 1536 (null: a plain q_proj).
    let ds = r#""model_type":"deepseek_v3","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,
        "vocab_size":100,"intermediate_size":96,"moe_intermediate_size":16,"n_routed_experts":4,
        "num_experts_per_tok":2,"first_k_dense_replace":1,"kv_lora_rank":16,"qk_nope_head_dim":8,
        "qk_rope_head_dim":4,"v_head_dim":8"#;
    let m = parse_config(&format!("{{{ds}}}")).unwrap();
    match m.attention {
        Some(llmem_estimator::Attention::Latent(ref l)) => assert_eq!(l.q_lora_rank, Some(1536)),
        _ => panic!("MLA expected"),
    }
    let m = parse_config(&format!(r#"{{{ds},"q_lora_rank":null}}"#)).unwrap();
    match m.attention {
        Some(llmem_estimator::Attention::Latent(ref l)) => assert_eq!(l.q_lora_rank, None),
        _ => panic!("MLA expected"),
    }
    // MixtralConfig: 8 experts, top 2.
    let m = parse_config(&format!(r#"{{"model_type":"mixtral",{base}}}"#)).unwrap();
    let e = m.moe.unwrap();
    assert_eq!((e.num_experts, e.experts_per_token), (8, 2));
    // Qwen3Config: head_dim 128 whatever hidden_size / heads is.
    let m = parse_config(&format!(r#"{{"model_type":"qwen3",{base}}}"#)).unwrap();
    assert_eq!(m.head_dim(), 128);
    // Gemma 3's multimodal config leaves the text model's heads to Gemma3TextConfig: 8 heads, 4 KV heads, 256 wide.
    let m = config("gemma-3-4b");
    assert_eq!((m.num_heads(), m.head_dim()), (8, 256));
    assert_eq!(m.kv_layout(), llmem_estimator::KvLayout::Heads { kv_heads: 4, k_head_dim: 256, v_head_dim: 256 });
}

/// gpt-oss-120b as published: the experts in MXFP4 (17 bytes per 32
/// weights), everything else in bf16. Experts: 36 layers × 128 × (5,760 ×
/// 90 + 2,880 × 90) blocks × 17 bytes = 60,914,073,600; the other
/// 2,167,371,072 parameters × 2 bytes = 4,334,742,144: 65,248,815,744 bytes,
/// the ≈65 GB checkpoint, not the 234 GB bf16 would take.
#[test]
fn gpt_oss_120b_as_stored() {
    let m = model("gpt-oss-120b");
    let w = weights_footprint(&m, WeightFormat::Checkpoint).unwrap();
    assert_eq!(w.quantized_bytes, 60_914_073_600);
    assert_eq!(w.kept_params, 2_167_371_072);
    assert_eq!(w.kept_bytes, 4_334_742_144);
    assert_eq!(w.total_bytes, 65_248_815_744);
    let bf16 = weights_footprint(&m, WeightFormat::Float(Dtype::Bf16)).unwrap();
    assert_eq!(bf16.total_bytes, 116_829_156_672 * 2);
}

/// Qwen3-32B-FP8: every linear layer of the blocks in E4M3 with an fp32
/// scale per 128 × 128 block; embeddings, LM head and norms in bf16.
/// Per layer: q 8,192 × 5,120 (64 × 40 blocks), k and v 1,024 × 5,120
/// (8 × 40), o 5,120 × 8,192 (40 × 64), gate and up 25,600 × 5,120
/// (200 × 40), down 5,120 × 25,600 (40 × 200).
#[test]
fn fp8_block_checkpoint() {
    let m = config("quant-qwen3-32b-fp8");
    let w = weights_footprint(&m, WeightFormat::Checkpoint).unwrap();
    let per_layer_weights: u64 = 8192 * 5120 + 2 * 1024 * 5120 + 5120 * 8192 + 2 * 25_600 * 5120 + 5120 * 25_600;
    let per_layer_blocks: u64 = 64 * 40 + 2 * 8 * 40 + 40 * 64 + 2 * 200 * 40 + 40 * 200;
    assert_eq!(w.quantized_params, 64 * per_layer_weights);
    assert_eq!(w.scale_bytes, 64 * per_layer_blocks * 4);
    assert_eq!(w.kept_bytes, (32_762_123_264 - 64 * per_layer_weights) * 2);
    assert_eq!(w.total_bytes, w.kept_bytes + 64 * (per_layer_weights + per_layer_blocks * 4));
}

/// AWQ and bitsandbytes checkpoints keep their formats' layouts (the
/// per-tensor arithmetic is tested in `quant.rs`); what they leave alone is
/// kept at the checkpoint's dtype.
#[test]
fn awq_and_bitsandbytes_checkpoints() {
    let awq = config("quant-c4ai-command-r-v01-awq");
    let w = weights_footprint(&awq, WeightFormat::Checkpoint).unwrap();
    assert!(w.bits_per_param > 4.0 && w.bits_per_param < 6.0, "{}", w.bits_per_param);
    // Command R ties its 256,000 × 8,192 embedding to the LM head: kept in fp16.
    assert_eq!(w.kept_params, 256_000 * 8192 + 41 * 8192);
    let nf4 = config("quant-granite-3.1-2b-instruct-bnb-nf4");
    let w = weights_footprint(&nf4, WeightFormat::Checkpoint).unwrap();
    assert!(w.bits_per_param > 4.0 && w.bits_per_param < 7.0, "{}", w.bits_per_param);
    // Without a quantization_config, "as stored" is the torch_dtype.
    let m = model("llama-3.1-8b");
    assert_eq!(weights_footprint(&m, WeightFormat::Checkpoint).unwrap().total_bytes, 8_030_261_248 * 2);
}

/// Every layer-type list a family's config can carry parses, and a
/// hybrid's recurrent layers never appear in a family without a mixer.
#[test]
fn hybrids_reject_what_they_cannot_be() {
    let bad = r#"{"model_type":"qwen3","layer_types":["linear_attention","full_attention"],"num_hidden_layers":2}"#;
    assert!(parse_config(bad).unwrap_err().to_string().contains("linear_attention"));
    let bad = r#"{"model_type":"nemotron_h","hybrid_override_pattern":"M*X"}"#;
    assert!(parse_config(bad).unwrap_err().to_string().contains("\"X\""));
    let bad =
        r#"{"model_type":"gpt_oss","sliding_window":null,"layer_types":["sliding_attention"],"num_hidden_layers":1}"#;
    assert!(parse_config(bad).unwrap_err().to_string().contains("sliding_window"));
}

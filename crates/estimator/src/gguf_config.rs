//! A model's Hugging Face configuration read back from a GGUF file's
//! metadata, so a `.gguf` on the reader's disk can be sized by the same
//! estimator as a `config.json`: the file's own tensor bytes for the
//! weights, its hyperparameters for the KV cache and activations.
//!
//! The keys are the ones llama.cpp's converter writes and its loader reads
//! (`gguf-py/gguf/constants.py` `Keys.LLM` / `Keys.Attention`, and
//! `llama_model::load_hparams` in `src/llama-model.cpp`, in the llama.cpp
//! source bundled with node-llama-cpp 3.22.1, which the ground truth runs):
//! `{arch}.block_count`, `{arch}.embedding_length`,
//! `{arch}.feed_forward_length`, `{arch}.attention.head_count`,
//! `{arch}.attention.head_count_kv`, `{arch}.attention.key_length`,
//! `{arch}.context_length`, `{arch}.expert_count`, … Each is mapped to the
//! `config.json` field transformers reads for the same quantity (the inverse
//! of `convert_hf_to_gguf.py`'s `set_gguf_parameters`). What a GGUF does not
//! say is read from its tensor table: the vocabulary from `token_embd.weight`,
//! tied embeddings from the absence of `output.weight`, DeepSeek-V3's
//! router bias from `exp_probs_b.bias`. The architectures mapped are the
//! ones [`crate::engines::gguf_layout`] lays out; a test writes each of
//! their files and reads the model back.

use crate::gguf_file::{Header, Value};
use serde_json::{json, Map, Value as Json};

/// llama.cpp architectures this reader maps, for messages.
pub const GGUF_ARCHITECTURES: &str =
    "llama (and Mistral, Mixtral), qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3, gpt-oss, deepseek2";

/// The `config.json` (the fields the estimator reads) of the model a GGUF
/// header describes, or why it cannot be read.
pub fn config_from_gguf(h: &Header) -> Result<Json, String> {
    let arch = h.architecture().ok_or("the file does not name its architecture (general.architecture)")?;
    let u = |key: &str| h.get(&format!("{arch}.{key}")).and_then(Value::as_u64);
    let need = |key: &str| u(key).ok_or_else(|| format!("its metadata has no {arch}.{key}"));
    let tensor = |name: &str| h.tensors.iter().find(|t| t.name == name);
    let has = |suffix: &str| h.tensors.iter().any(|t| t.name.ends_with(suffix));
    let vocab = tensor("token_embd.weight")
        .and_then(|t| t.dims.get(1).copied())
        .or_else(|| u("vocab_size"))
        .ok_or("it has no token_embd.weight to read the vocabulary from")?;
    let experts = u("expert_count").unwrap_or(0);
    let model_type = match arch {
        "llama" if experts > 0 => "mixtral",
        "llama" => "llama",
        "qwen2" => "qwen2",
        "qwen3" => "qwen3",
        "qwen3moe" => "qwen3_moe",
        "phi3" => "phi3",
        "gemma2" => "gemma2",
        "gemma3" => "gemma3_text",
        "gpt-oss" => "gpt_oss",
        // V3 (and R1, Kimi K2) route with a score-correction bias; V2 does not.
        "deepseek2" if has("exp_probs_b.bias") => "deepseek_v3",
        "deepseek2" => "deepseek_v2",
        other => {
            return Err(format!(
                "its architecture “{}” is not one llmem reads from a GGUF yet (it reads {GGUF_ARCHITECTURES})",
                other.chars().take(40).collect::<String>()
            ))
        }
    };
    let heads = need("attention.head_count")?;
    let mut c = Map::new();
    let mut set = |k: &str, v: Json| {
        c.insert(k.to_string(), v);
    };
    set("model_type", json!(model_type));
    set("hidden_size", json!(need("embedding_length")?));
    set("num_hidden_layers", json!(need("block_count")?));
    set("num_attention_heads", json!(heads));
    set("vocab_size", json!(vocab));
    set("tie_word_embeddings", json!(tensor("output.weight").is_none()));
    if let Some(n) = u("context_length") {
        set("max_position_embeddings", json!(n));
    }
    if let Some(ff) = u("feed_forward_length") {
        set("intermediate_size", json!(ff));
    }
    let expert_ff = u("expert_feed_forward_length");
    if arch == "deepseek2" {
        // MLA: K holds the latent and the RoPE key; the per-head widths are
        // in the *_mla keys (convert_hf_to_gguf.py, DeepseekV2Model).
        let rope = need("rope.dimension_count")?;
        // Files converted before llama.cpp wrote the `*_mla` keys (early
        // 2025) carry the per-head widths in key_length and value_length.
        let qk = u("attention.key_length_mla").map_or_else(|| need("attention.key_length"), Ok)?;
        set("num_key_value_heads", json!(heads));
        set("kv_lora_rank", json!(need("attention.kv_lora_rank")?));
        set("q_lora_rank", u("attention.q_lora_rank").map_or(Json::Null, |r| json!(r)));
        set("qk_rope_head_dim", json!(rope));
        set("qk_nope_head_dim", json!(qk.checked_sub(rope).ok_or("its MLA key is narrower than its RoPE part")?));
        set("v_head_dim", json!(u("attention.value_length_mla").map_or_else(|| need("attention.value_length"), Ok)?));
        set("n_routed_experts", json!(experts));
        set("num_experts_per_tok", json!(need("expert_used_count")?));
        set("moe_intermediate_size", json!(expert_ff.ok_or("its metadata has no expert_feed_forward_length")?));
        set("n_shared_experts", json!(u("expert_shared_count").unwrap_or(0)));
        set("first_k_dense_replace", json!(u("leading_dense_block_count").unwrap_or(0)));
        return Ok(Json::Object(c));
    }
    set("num_key_value_heads", json!(u("attention.head_count_kv").unwrap_or(heads)));
    if let Some(d) = u("attention.key_length") {
        set("head_dim", json!(d));
    }
    if experts > 0 {
        let used = need("expert_used_count")?;
        match model_type {
            "qwen3_moe" => {
                set("num_experts", json!(experts));
                set("moe_intermediate_size", json!(expert_ff.ok_or("its metadata has no expert_feed_forward_length")?));
            }
            _ => {
                // Mixtral and gpt-oss name the expert width `intermediate_size`.
                set("num_local_experts", json!(experts));
                if let Some(ff) = expert_ff {
                    set("intermediate_size", json!(ff));
                }
            }
        }
        set("num_experts_per_tok", json!(used));
    }
    // Sliding windows as llama.cpp applies them: Gemma 2/3 and gpt-oss; it
    // writes Phi-3's window but ignores it (`load_hparams`), so no window.
    if let Some(w) = u("attention.sliding_window").filter(|_| matches!(arch, "gemma2" | "gemma3" | "gpt-oss")) {
        set("sliding_window", json!(w));
        // A per-layer pattern, when written, says which layers slide.
        if let Some(Value::Array(a)) = h.get(&format!("{arch}.attention.sliding_window_pattern")) {
            if a.items.len() as u64 == a.len && a.len > 0 {
                let kinds: Vec<Json> = a
                    .items
                    .iter()
                    .map(|v| json!(if *v == Value::Bool(true) { "sliding_attention" } else { "full_attention" }))
                    .collect();
                set("layer_types", Json::Array(kinds));
            }
        }
    }
    Ok(Json::Object(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::gguf_layout::{layout, metadata, FileType};
    use crate::gguf_file::{read_header, write_header};
    use crate::presets::preset;

    fn header(metadata: Vec<(String, Value)>, tensors: &[crate::gguf_file::NewTensor]) -> Header {
        let (bytes, _) = write_header(&metadata, tensors).unwrap();
        read_header(&bytes).unwrap()
    }

    /// Every architecture llmem lays out for llama.cpp reads back as the same
    /// model: the GGUF written for a preset yields a config whose parameter
    /// count and KV cache equal the preset's.
    #[test]
    fn presets_read_back_from_their_gguf() {
        for id in [
            "llama-3.1-8b",
            "llama-3.2-1b",
            "llama-2-7b",
            "qwen2.5-7b",
            "qwen3-8b",
            "qwen3-30b-a3b",
            "gemma-2-9b",
            "gemma-3-27b",
            "gpt-oss-20b",
            "mixtral-8x7b",
            "deepseek-v3",
        ] {
            let Ok(p) = preset(id) else { panic!("{id}") };
            let m = p.arch().unwrap();
            for ft in [FileType::F16, FileType::Q4KM] {
                let l = layout(&m, ft).unwrap();
                let h = header(metadata(&m, &l, ft).unwrap(), &l.new_tensors());
                let config = config_from_gguf(&h).unwrap_or_else(|e| panic!("{id}: {e}"));
                let back = crate::config::parse_config_value(&config).unwrap_or_else(|e| panic!("{id}: {e}: {config}"));
                let (b, o) = (back.param_counts().unwrap(), m.param_counts().unwrap());
                assert_eq!((b.total, b.active, b.embedding), (o.total, o.active, o.embedding), "{id}: {config}");
                for ctx in [4096, 131_072] {
                    assert_eq!(
                        crate::kv_cache(&back, crate::Dtype::Bf16, ctx, 2).unwrap().total_bytes,
                        crate::kv_cache(&m, crate::Dtype::Bf16, ctx, 2).unwrap().total_bytes,
                        "{id} at {ctx}"
                    );
                }
            }
        }
    }

    /// Mistral 7B v0.1 and Phi-3 declare windows that llama.cpp ignores
    /// (Mistral's converter writes none; Phi-3's is written and disabled):
    /// read from their GGUFs, the models cache every token, as llama.cpp does.
    #[test]
    fn ignored_windows_read_back_as_full_caches() {
        // KV bytes per token at bf16: 2 × layers × KV heads × head dim × 2.
        for (id, per_token) in [("mistral-7b-v0.1", 131_072u64), ("phi-3-mini-4k", 2 * 32 * 32 * 96 * 2)] {
            let m = preset(id).unwrap().arch().unwrap();
            let l = layout(&m, FileType::F16).unwrap();
            let h = header(metadata(&m, &l, FileType::F16).unwrap(), &l.new_tensors());
            let back = crate::config::parse_config_value(&config_from_gguf(&h).unwrap()).unwrap();
            assert_eq!(back.param_counts().unwrap(), m.param_counts().unwrap(), "{id}");
            let ctx = 8192.min(m.max_position_embeddings);
            assert_eq!(
                crate::kv_cache(&back, crate::Dtype::Bf16, ctx, 1).unwrap().total_bytes,
                per_token * ctx,
                "{id}"
            );
            assert!(crate::kv_cache(&m, crate::Dtype::Bf16, ctx, 1).unwrap().total_bytes < per_token * ctx, "{id}");
        }
    }

    /// DeepSeek GGUFs converted before the `*_mla` keys existed carry the
    /// per-head widths in key_length and value_length; they read the same.
    #[test]
    fn older_deepseek_files_read_back() {
        let m = preset("deepseek-v3").unwrap().arch().unwrap();
        let l = layout(&m, FileType::F16).unwrap();
        let mut meta = metadata(&m, &l, FileType::F16).unwrap();
        meta.retain(|(k, _)| !k.ends_with("_mla") && !k.ends_with("key_length") && !k.ends_with("value_length"));
        meta.push(("deepseek2.attention.key_length".into(), Value::U32(192)));
        meta.push(("deepseek2.attention.value_length".into(), Value::U32(128)));
        let back =
            crate::config::parse_config_value(&config_from_gguf(&header(meta, &l.new_tensors())).unwrap()).unwrap();
        assert_eq!(back.param_counts().unwrap().total, m.param_counts().unwrap().total);
    }

    #[test]
    fn unreadable_headers_say_why() {
        let t = |name: &str, dims: Vec<u64>| crate::gguf_file::NewTensor {
            name: name.into(),
            dims,
            ggml_type: crate::gguf::GgmlType::F16,
        };
        let arch = |a: &str| ("general.architecture".to_string(), Value::Str(a.into()));
        assert!(config_from_gguf(&header(vec![], &[])).unwrap_err().contains("general.architecture"));
        let e = config_from_gguf(&header(vec![arch("rwkv7")], &[t("token_embd.weight", vec![8, 16])])).unwrap_err();
        assert!(e.contains("“rwkv7” is not one llmem reads"), "{e}");
        let e = config_from_gguf(&header(vec![arch("llama")], &[])).unwrap_err();
        assert!(e.contains("token_embd.weight"), "{e}");
        let e = config_from_gguf(&header(vec![arch("llama")], &[t("token_embd.weight", vec![8, 16])])).unwrap_err();
        assert!(e.contains("llama.attention.head_count"), "{e}");
    }
}

"""Small configs that exercise every branch of the family registry.

Real checkpoints use a few settings of each family; these configs switch on
the rest (biases, q/k norms, sparse steps, dense-only layers, explicit layer
lists, no q-LoRA, expert-free hybrids, …) at toy sizes, so the parameter
counts transformers gives for them pin down every rule. Written into
crates/estimator/tests/configs/synthetic-*.json; `cargo xtask reference
params` counts them with the rest.

usage: synthetic_configs.py OUT_DIR
"""

import json
import os
import sys

BASE = {"hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 96, "vocab_size": 128, "max_position_embeddings": 256}

CONFIGS = {
    "llama-biases": {"model_type": "llama", **BASE, "attention_bias": True, "mlp_bias": True, "head_dim": 24},
    "llama-defaults": {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 128},
    "mistral-window-default": {"model_type": "mistral", **BASE},
    "mixtral-defaults": {"model_type": "mixtral", **BASE},
    "qwen2-sliding": {"model_type": "qwen2", **BASE, "use_sliding_window": True, "sliding_window": 32,
                      "max_window_layers": 2, "tie_word_embeddings": True},
    "qwen2-moe-sparse": {"model_type": "qwen2_moe", **BASE, "num_experts": 6, "num_experts_per_tok": 2,
                         "moe_intermediate_size": 40, "shared_expert_intermediate_size": 72,
                         "decoder_sparse_step": 2, "mlp_only_layers": [3], "qkv_bias": False,
                         "use_sliding_window": True, "sliding_window": 16, "max_window_layers": 3},
    "qwen2-moe-no-shared": {"model_type": "qwen2_moe", **BASE, "num_experts": 4, "num_experts_per_tok": 1,
                            "moe_intermediate_size": 40, "shared_expert_intermediate_size": 0},
    "qwen3-bias": {"model_type": "qwen3", **BASE, "attention_bias": True, "head_dim": 16,
                   "tie_word_embeddings": True},
    "qwen3-moe-dense-layers": {"model_type": "qwen3_moe", **BASE, "num_experts": 8, "num_experts_per_tok": 2,
                               "moe_intermediate_size": 32, "mlp_only_layers": [0, 2], "head_dim": 16},
    "qwen3-next-listed": {"model_type": "qwen3_next", **BASE, "head_dim": 16, "num_experts": 4,
                          "num_experts_per_tok": 2, "moe_intermediate_size": 24,
                          "shared_expert_intermediate_size": 24, "linear_num_key_heads": 2,
                          "linear_num_value_heads": 4, "linear_key_head_dim": 8, "linear_value_head_dim": 12,
                          "layer_types": ["linear_attention", "full_attention", "linear_attention",
                                          "full_attention"], "decoder_sparse_step": 2},
    "gemma2-defaults": {"model_type": "gemma2", "hidden_size": 64, "num_hidden_layers": 3, "vocab_size": 128,
                        "intermediate_size": 96, "num_attention_heads": 4, "num_key_value_heads": 2},
    "gemma3-text-listed": {"model_type": "gemma3_text", **BASE, "head_dim": 16, "sliding_window": 8,
                           "layer_types": ["sliding_attention", "full_attention", "sliding_attention",
                                           "full_attention"], "attention_bias": True},
    "gemma3-untied-vision": {"model_type": "gemma3", "tie_word_embeddings": False,
                             "text_config": {"hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 96,
                                             "num_attention_heads": 4, "num_key_value_heads": 1,
                                             "head_dim": 16, "vocab_size": 300},
                             "vision_config": {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                                               "num_attention_heads": 2, "image_size": 64, "patch_size": 8,
                                               "vision_use_head": False},
                             "mm_tokens_per_image": 16},
    "phi3-window": {"model_type": "phi3", **BASE, "sliding_window": 64, "vocab_size": 32064, "pad_token_id": 32000},
    "deepseek-v2-q-lora": {"model_type": "deepseek_v2", **BASE, "q_lora_rank": 24, "kv_lora_rank": 16,
                           "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
                           "n_routed_experts": 6, "n_shared_experts": 1, "num_experts_per_tok": 2,
                           "moe_intermediate_size": 20, "first_k_dense_replace": 2, "attention_bias": True,
                           "mlp_bias": True},
    "deepseek-v3-no-q-lora": {"model_type": "deepseek_v3", **BASE, "q_lora_rank": None, "kv_lora_rank": 16,
                              "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
                              "n_routed_experts": 8, "n_shared_experts": 2, "num_experts_per_tok": 2,
                              "moe_intermediate_size": 20, "first_k_dense_replace": 1, "n_group": 2,
                              "topk_group": 1},
    "gpt2-inner": {"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 128,
                   "vocab_size": 100, "n_inner": 80, "tie_word_embeddings": False},
    "gpt-oss-no-bias": {"model_type": "gpt_oss", **BASE, "head_dim": 16, "num_local_experts": 4,
                        "num_experts_per_tok": 2, "attention_bias": False, "sliding_window": 8},
    "llama4-text-moe-layers": {"model_type": "llama4_text", **BASE, "head_dim": 16, "num_local_experts": 4,
                               "num_experts_per_tok": 1, "intermediate_size_mlp": 128, "moe_layers": [1, 2],
                               "no_rope_layers": [1, 0, 1, 1], "attention_chunk_size": 32},
    "llama4-text-interleave": {"model_type": "llama4_text", **BASE, "head_dim": 16, "num_local_experts": 4,
                               "intermediate_size_mlp": 128, "interleave_moe_layer_step": 2,
                               "attention_chunk_size": None},
    "olmo2-bias": {"model_type": "olmo2", **BASE, "attention_bias": True, "tie_word_embeddings": True},
    "cohere-qk-norm": {"model_type": "cohere", **BASE, "use_qk_norm": True, "attention_bias": True},
    "cohere2-pattern": {"model_type": "cohere2", **BASE, "sliding_window": 16, "sliding_window_pattern": 2},
    "granite-bias": {"model_type": "granite", **BASE, "attention_bias": True, "mlp_bias": True},
    "mistral3-bias": {"model_type": "mistral3", "multimodal_projector_bias": True, "spatial_merge_size": 2,
                      "vision_feature_layer": [-1, -2], "tie_word_embeddings": False,
                      "text_config": {"model_type": "mistral", **BASE, "head_dim": 16, "sliding_window": None},
                      "vision_config": {"model_type": "pixtral", "hidden_size": 32, "intermediate_size": 48,
                                        "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 64,
                                        "patch_size": 8, "head_dim": 16}},
    "llama4-vision": {"model_type": "llama4",
                      "text_config": {"model_type": "llama4_text", **BASE, "head_dim": 16,
                                      "num_local_experts": 2, "intermediate_size_mlp": 128},
                      "vision_config": {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                                        "num_attention_heads": 2, "image_size": 56, "patch_size": 14,
                                        "vision_output_dim": 40, "projector_input_dim": 24,
                                        "projector_output_dim": 24, "pixel_shuffle_ratio": 0.5}},
    "mamba-bias": {"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 128,
                   "state_size": 8, "use_bias": True, "use_conv_bias": False, "time_step_rank": 6,
                   "tie_word_embeddings": False},
    "mamba2-small": {"model_type": "mamba2", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 128,
                     "num_heads": 8, "head_dim": 16, "n_groups": 2, "state_size": 8, "use_bias": True,
                     "tie_word_embeddings": True},
    "nemotron-h-moe": {"model_type": "nemotron_h", "hidden_size": 64, "vocab_size": 128,
                       "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                       "intermediate_size": 96, "mamba_num_heads": 8, "mamba_head_dim": 8, "n_groups": 2,
                       "ssm_state_size": 8, "n_routed_experts": 4, "num_experts_per_tok": 2,
                       "moe_intermediate_size": 24, "moe_shared_expert_intermediate_size": 32,
                       "layers_block_type": ["mamba", "moe", "attention", "mlp", "mamba", "moe"],
                       "num_hidden_layers": 6, "use_bias": True},
    "granite-hybrid-dense": {"model_type": "granitemoehybrid", **BASE, "num_local_experts": 0,
                             "shared_intermediate_size": 80, "mamba_n_heads": 8, "mamba_d_state": 8,
                             "mamba_n_groups": 2, "mamba_proj_bias": True,
                             "layer_types": ["mamba", "attention", "mamba", "mamba"]},
}


def main():
    out = sys.argv[1]
    for name, cfg in CONFIGS.items():
        with open(os.path.join(out, f"synthetic-{name}.json"), "w") as f:
            json.dump(cfg, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()

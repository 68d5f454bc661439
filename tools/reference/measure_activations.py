"""What autograd keeps for the backward pass of a Hugging Face model.

For small configs of each family (few layers, small widths, the real
ratios), runs one training forward pass in bf16 on the CPU under
`torch.autograd.graph.saved_tensors_hooks` and adds up the storages of
every tensor saved for backward: each storage once however many tensors
view it, parameters (and views of them) excluded. With gradient
checkpointing the hooks do not see what a checkpoint keeps, so the inputs
of every checkpointed decoder layer (captured by a forward pre-hook) are
added, again once per storage.

One decoder layer's share is the difference between the same config with
two layers and with one; the rest (embeddings, final norm, logits, loss)
is what one layer leaves over. Both are recorded per setting: attention
implementation (sdpa, eager), gradient checkpointing (off, on), sequence
length and micro-batch.

The estimator's tests (`crates/estimator/tests/activations.rs`) assert
that its per-layer formula reproduces every figure written here.

Run through `cargo xtask reference activations`; never part of
`cargo xtask test`.

usage: measure_activations.py OUT.json
"""

import json
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

# Small configs with each family's structure and ratios. Vocabulary and
# widths are small so that a CPU measures every case in seconds.
BASE = {"vocab_size": 512, "max_position_embeddings": 4096, "torch_dtype": "bfloat16"}
FAMILIES = {
    "llama": dict(
        model_type="llama", hidden_size=128, intermediate_size=448, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-5, tie_word_embeddings=False,
    ),
    "qwen2": dict(
        model_type="qwen2", hidden_size=128, intermediate_size=352, num_attention_heads=4,
        num_key_value_heads=2, rms_norm_eps=1e-6, tie_word_embeddings=False,
    ),
    "qwen3": dict(
        model_type="qwen3", hidden_size=128, intermediate_size=384, num_attention_heads=4,
        num_key_value_heads=2, head_dim=48, rms_norm_eps=1e-6, tie_word_embeddings=True,
    ),
    "gemma2": dict(
        model_type="gemma2", hidden_size=128, intermediate_size=512, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, sliding_window=4096, query_pre_attn_scalar=32,
        final_logit_softcapping=30.0, attn_logit_softcapping=50.0,
    ),
    "mixtral": dict(
        model_type="mixtral", hidden_size=128, intermediate_size=224, num_attention_heads=4,
        num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, tie_word_embeddings=False,
    ),
    "gpt2": dict(
        model_type="gpt2", n_embd=128, n_head=4, n_positions=4096, resid_pdrop=0.1, embd_pdrop=0.1,
        attn_pdrop=0.1,
    ),
}
SHAPES = [(32, 1), (64, 2)]
ATTENTION = ["sdpa", "eager"]
# transformers has no SDPA path for Gemma 2 (its attention logits are
# soft-capped); it runs eager, or flash-attention-2 on a GPU.
ONLY_EAGER = {"gemma2"}


def build(family, layers, attention):
    fields = dict(BASE, **FAMILIES[family])
    model_type = fields.pop("model_type")
    if model_type == "gpt2":
        fields["n_layer"] = layers
    else:
        fields["num_hidden_layers"] = layers
    config = AutoConfig.for_model(model_type, **fields)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, attn_implementation=attention, dtype=torch.bfloat16)
    return model


def decoder_layers(model):
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.ModuleList) and name.endswith(("layers", ".h")):
            return list(module)
    raise RuntimeError("no decoder layers found")


def saved_bytes(model, seq, batch, checkpointing):
    """Bytes of every storage autograd keeps after one forward pass."""
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages = {}

    def keep(t):
        if not isinstance(t, torch.Tensor):
            return
        s = t.untyped_storage()
        if s.data_ptr() in params or s.nbytes() == 0:
            return
        storages[s.data_ptr()] = s.nbytes()

    def pack(t):
        keep(t)
        return t

    handles = []
    if checkpointing:
        def pre_hook(module, args, kwargs):
            for a in list(args) + list(kwargs.values()):
                if isinstance(a, (tuple, list)):
                    for x in a:
                        keep(x)
                else:
                    keep(a)
        handles = [l.register_forward_pre_hook(pre_hook, with_kwargs=True) for l in decoder_layers(model)]
    torch.manual_seed(1)
    ids = torch.randint(0, BASE["vocab_size"], (batch, seq))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(input_ids=ids, labels=ids)
    for h in handles:
        h.remove()
    # The loss must reach back to the parameters, or nothing was measured.
    out.loss.backward()
    return sum(storages.values())


def main():
    out_path = sys.argv[1]
    results = []
    for family in FAMILIES:
        for attention in ATTENTION:
            if attention != "eager" and family in ONLY_EAGER:
                continue
            for checkpointing in (False, True):
                for seq, batch in SHAPES:
                    one = saved_bytes(build(family, 1, attention), seq, batch, checkpointing)
                    two = saved_bytes(build(family, 2, attention), seq, batch, checkpointing)
                    row = dict(
                        family=family, attention=attention, checkpointing=checkpointing,
                        seq=seq, batch=batch, layer_bytes=two - one, rest_bytes=2 * one - two,
                    )
                    print(json.dumps(row))
                    results.append(row)
    doc = {
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "device": "cpu",
        "dtype": "bfloat16",
        "configs": {f: dict(BASE, **c) for f, c in FAMILIES.items()},
        "cases": results,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

"""Parameter counts as Hugging Face transformers instantiates them.

For every config.json given, builds the model on PyTorch's meta device
(no memory, no weights) and counts parameters tensor by tensor, split into
the language model, the vision encoder and the multimodal projector. The
estimator's tests compare its inventory with the figures this writes.

Run through `cargo xtask reference params` (which creates a virtualenv with
torch and transformers from PyPI); never part of `cargo xtask test`.

usage: count_params.py OUT.json CONFIG.json...
"""

import json
import os
import sys

import torch
import transformers
from transformers import AutoConfig

# Top-level multimodal configs: their ForConditionalGeneration class holds
# the language model, the vision tower and the projector.
MULTIMODAL = {
    "gemma3": "Gemma3ForConditionalGeneration",
    "llama4": "Llama4ForConditionalGeneration",
    "mistral3": "Mistral3ForConditionalGeneration",
}

VISION_PREFIXES = ("vision_tower", "vision_model")
PROJECTOR_PREFIXES = ("multi_modal_projector",)


def part_of(name):
    """Which part of the model a parameter belongs to, by its module path."""
    parts = name.split(".")
    # Strip wrappers such as `model.` so the first meaningful part decides.
    for p in parts:
        if p in ("model",):
            continue
        if p.startswith(VISION_PREFIXES):
            return "vision"
        if p.startswith(PROJECTOR_PREFIXES):
            return "projector"
        return "language_model"
    return "language_model"


def count(path):
    with open(path) as f:
        raw = json.load(f)
    # Count the unquantized model: quantizers would replace modules.
    raw.pop("quantization_config", None)
    if isinstance(raw.get("text_config"), dict):
        raw["text_config"].pop("quantization_config", None)
    config = AutoConfig.for_model(**raw)
    with torch.device("meta"):
        if raw["model_type"] in MULTIMODAL:
            cls = getattr(transformers, MULTIMODAL[raw["model_type"]])
            model = cls(config)
        else:
            model = transformers.AutoModelForCausalLM.from_config(config)
    totals = {"language_model": 0, "vision": 0, "projector": 0}
    seen = set()
    for name, p in model.named_parameters():  # shared tensors are listed once
        if id(p) in seen:
            continue
        seen.add(id(p))
        totals[part_of(name)] += p.numel()
    buffers = {}
    for name, b in model.named_buffers():
        # Persistent buffers are loaded from the checkpoint (e.g. DeepSeek-V3's
        # e_score_correction_bias); non-persistent ones (RoPE tables) are not.
        if name.split(".")[-1] in ("e_score_correction_bias",):
            buffers[name.split(".")[-1]] = buffers.get(name.split(".")[-1], 0) + b.numel()
    return {
        "model_type": raw["model_type"],
        "class": type(model).__name__,
        "params_language_model": totals["language_model"],
        "params_vision": totals["vision"],
        "params_projector": totals["projector"],
        "params_all": sum(totals.values()),
        "num_parameters": model.num_parameters(),
        "buffers": buffers,
    }


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    result = {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "models": {},
    }
    for path in sorted(paths):
        # "presets/llama-3.1-8b", "configs/qwen3-8b": the folder keeps keys unique.
        key = os.path.basename(os.path.dirname(os.path.abspath(path))) + "/" + os.path.splitext(os.path.basename(path))[0]
        try:
            result["models"][key] = count(path)
            print(f"{key}: {result['models'][key]['params_all']:,}", file=sys.stderr)
        except Exception as e:  # report and go on: one bad config must not hide the rest
            print(f"{key}: FAILED {type(e).__name__}: {e}", file=sys.stderr)
            result["models"][key] = {"error": f"{type(e).__name__}: {e}"}
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

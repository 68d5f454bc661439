"""The defaults of transformers' config classes, for the families llmem parses.

Writes, for each model_type (and the vision config classes), every field
default of its config class as transformers defines it. The estimator's tests
compare its family registry (crates/estimator/src/families.rs) against this
file, so a default we got wrong, or one a new transformers release changes,
shows up as a failing test. Run through `cargo xtask reference defaults`.

usage: dump_defaults.py OUT.json
"""

import dataclasses
import json
import sys

import transformers
from transformers import CONFIG_MAPPING
from transformers.models.llama4.configuration_llama4 import Llama4VisionConfig
from transformers.models.pixtral.configuration_pixtral import PixtralVisionConfig
from transformers.models.siglip.configuration_siglip import SiglipVisionConfig

MODEL_TYPES = [
    "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_next",
    "gemma2", "gemma3_text", "gemma3", "phi3", "deepseek_v2", "deepseek_v3", "gpt2", "gpt_oss",
    "llama4_text", "llama4", "olmo2", "cohere", "cohere2", "granite", "mistral3", "mamba",
    "mamba2", "nemotron_h", "granitemoehybrid",
]


def plain(v):
    return v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else repr(v)


def defaults(cls):
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = plain(f.default)
    return out


def main():
    result = {"transformers_version": transformers.__version__, "classes": {}}
    for t in MODEL_TYPES:
        cls = CONFIG_MAPPING[t]
        result["classes"][t] = {"class": cls.__name__, "defaults": defaults(cls)}
    for cls in (SiglipVisionConfig, PixtralVisionConfig, Llama4VisionConfig):
        result["classes"][cls.__name__] = {"class": cls.__name__, "defaults": defaults(cls)}
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=1, sort_keys=True, default=repr)
        f.write("\n")


if __name__ == "__main__":
    main()

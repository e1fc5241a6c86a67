"""Model backends for miners: text generation, the default SmolLM2 model, sentence embeddings.

Importing this package is cheap; torch and transformers load with the submodule that needs them.

Example:
    >>> from bt_llm.models import SamplingParams
    >>> SamplingParams(temperature=0).greedy
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from bt_llm.models.sampling import SamplingParams as SamplingParams
from bt_llm.models.sampling import to_chat as to_chat

_LAZY: dict[str, str] = {
    "Completion": "bt_llm.models.text_generation:Completion",
    "TextGenerator": "bt_llm.models.text_generation:TextGenerator",
    "Embedder": "bt_llm.models.embedding:Embedder",
    "default_embedder": "bt_llm.models.embedding:default_embedder",
    "smollm2_path": "bt_llm.models.smollm2:smollm2_path",
    "load_smollm2": "bt_llm.models.smollm2:load_smollm2",
    "create_tiny_model": "bt_llm.models.tiny:create_tiny_model",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'bt_llm.models' has no attribute {name!r}")
    module_name, attribute = target.split(":")
    return getattr(importlib.import_module(module_name), attribute)


__all__ = sorted(["SamplingParams", "to_chat", *_LAZY])

"""Model backends for miners: text generation, the default SmolLM2 model, sentence embeddings.

Importing this package is cheap; torch and transformers load with the submodule that needs them.

Example:
    >>> from bt_llm.models import SamplingParams
    >>> SamplingParams(temperature=0).greedy
    True
"""

from __future__ import annotations

from bt_llm.aliases import lazy
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


__getattr__ = lazy(__name__, _LAZY)


__all__ = sorted(["SamplingParams", "to_chat", *_LAZY])

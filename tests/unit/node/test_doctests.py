"""The examples in the node modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["registry", "extrinsic", "rpc", "runtime"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"bt_llm.localnet.node.{module}"))
    assert result.attempted > 0
    assert result.failed == 0

"""The docstring examples of the localnet modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["codec", "schema", "storage", "state", "engine", "genesis"],
)
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"bt_llm.localnet.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0

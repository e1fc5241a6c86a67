"""The examples in the wallet modules' docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["bt_llm.balance", "bt_llm.wallet", "bt_llm.wallet.keypair", "bt_llm.wallet.keyfile",
           "bt_llm.wallet.legacy", "bt_llm.wallet.passwords", "bt_llm.wallet.wallet"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

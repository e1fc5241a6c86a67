"""The embedded localnet: a deterministic chain engine reproducing the subtensor pallet (spec 127).

Importing this package is cheap; the names below load on first use.

- :class:`Engine` (``bt_llm.localnet.engine``): blocks, extrinsics, state, the SQLite archive.
- :class:`GenesisConfig` / :class:`SubnetConfig` (``bt_llm.localnet.genesis``): the first state.
- :class:`Call` (``bt_llm.localnet.schema``): a runtime call; the schema also describes every pallet.

See ``CONTRACT.md`` beside this file for the node-facing contract.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Engine": "bt_llm.localnet.engine",
    "InvalidTransaction": "bt_llm.localnet.engine",
    "GenesisConfig": "bt_llm.localnet.genesis",
    "SubnetConfig": "bt_llm.localnet.genesis",
    "Call": "bt_llm.localnet.schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bt_llm.localnet' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = sorted(_LAZY)

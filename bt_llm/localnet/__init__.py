"""The embedded localnet: a deterministic chain engine reproducing the subtensor pallet (spec 127).

Importing this package is cheap; the names below load on first use.

- :class:`Engine` (``bt_llm.localnet.engine``): blocks, extrinsics, state, the SQLite archive.
- :class:`GenesisConfig` / :class:`SubnetConfig` (``bt_llm.localnet.genesis``): the first state.
- :class:`Call` (``bt_llm.localnet.schema``): a runtime call; the schema also describes every pallet.

See ``CONTRACT.md`` beside this file for the node-facing contract.
"""

from __future__ import annotations

from bt_llm.aliases import lazy

_LAZY = {
    "Engine": "bt_llm.localnet.engine:Engine",
    "InvalidTransaction": "bt_llm.localnet.engine:InvalidTransaction",
    "GenesisConfig": "bt_llm.localnet.genesis:GenesisConfig",
    "SubnetConfig": "bt_llm.localnet.genesis:SubnetConfig",
    "Call": "bt_llm.localnet.schema:Call",
}


__getattr__ = lazy(__name__, _LAZY)


__all__ = sorted(_LAZY)

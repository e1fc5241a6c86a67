"""Keys and wallets: sr25519 keypairs, keyfiles, passwords, and the ``Wallet`` of the bittensor SDK.

``bt.wallet(...)`` builds a :class:`~bt_llm.wallet.wallet.Wallet`: ``bt.wallet`` is that class whatever was
imported first (this subpackage shares its name; see ``bt_llm/__init__.py``).

Example:
    >>> import bt_llm.wallet.keypair
    >>> import bt_llm as bt
    >>> bt.wallet is bt.Wallet
    True
    >>> str(bt.wallet(path="~/.bittensor/wallets/"))
    'Wallet (default, default, ~/.bittensor/wallets/)'
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # ``from bt_llm.wallet import Wallet, Keypair, Keyfile`` without importing everything up front.
    targets = {"Wallet": "wallet", "Keypair": "keypair", "Keyfile": "keyfile"}
    if name in targets:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{targets[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Keyfile", "Keypair", "Wallet"]

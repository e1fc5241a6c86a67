"""Keys and wallets: sr25519 keypairs, keyfiles, passwords, and the ``Wallet`` of the bittensor SDK.

``bt.wallet(...)`` builds a :class:`~bt_llm.wallet.wallet.Wallet`. ``bt.wallet`` is this subpackage, which
stands in for that class, whatever was imported first (:mod:`bt_llm.aliases`).

Example:
    >>> import bt_llm.wallet.keypair
    >>> import bt_llm as bt
    >>> bt.wallet is bt_llm.wallet, isinstance(bt.wallet(path="/tmp/w"), bt.wallet)
    (True, True)
    >>> str(bt.wallet(path="~/.bittensor/wallets/"))
    'Wallet (default, default, ~/.bittensor/wallets/)'
"""

from __future__ import annotations

from typing import Any

from bt_llm.aliases import stand_in

stand_in(__name__, "bt_llm.wallet.wallet:Wallet")


def __getattr__(name: str) -> Any:
    # ``from bt_llm.wallet import Wallet, Keypair, Keyfile`` without importing everything up front.
    targets = {"Wallet": "wallet", "Keypair": "keypair", "Keyfile": "keyfile"}
    if name in targets:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{targets[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Keyfile", "Keypair", "Wallet"]

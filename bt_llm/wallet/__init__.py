"""Keys and wallets: sr25519 keypairs, keyfiles, passwords, and the ``Wallet`` of the bittensor SDK.

``bt.wallet(...)`` builds a :class:`~bt_llm.wallet.wallet.Wallet`. This subpackage shares the name
``wallet`` with that public alias, and Python binds ``bt_llm.wallet`` to this module as soon as any of
its submodules is imported; so the module itself is callable (``bt_llm.wallet(name=...)`` returns a
``Wallet`` either way) and ``bt.wallet`` works whatever was imported first.

Example:
    >>> import tempfile
    >>> import bt_llm.wallet.keypair  # binds bt_llm.wallet to this module...
    >>> import bt_llm as bt
    >>> str(bt.wallet(path="~/.bittensor/wallets/"))  # ...which still builds a Wallet
    'Wallet (default, default, ~/.bittensor/wallets/)'
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from bt_llm.wallet.wallet import Wallet

        return Wallet(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


def __getattr__(name: str) -> Any:
    # ``from bt_llm.wallet import Wallet, Keypair, Keyfile`` without importing everything up front.
    targets = {"Wallet": "wallet", "Keypair": "keypair", "Keyfile": "keyfile"}
    if name in targets:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{targets[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Keyfile", "Keypair", "Wallet"]

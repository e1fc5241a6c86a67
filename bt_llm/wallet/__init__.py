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

from bt_llm.aliases import lazy, stand_in

stand_in(__name__, "bt_llm.wallet.wallet:Wallet")


# ``from bt_llm.wallet import Wallet, Keypair, Keyfile`` without importing everything up front.
__getattr__ = lazy(__name__, {"Wallet": "bt_llm.wallet.wallet:Wallet", "Keypair": "bt_llm.wallet.keypair:Keypair",
                              "Keyfile": "bt_llm.wallet.keyfile:Keyfile"})


__all__ = ["Keyfile", "Keypair", "Wallet"]

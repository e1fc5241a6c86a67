"""What the parts hand each other: the shapes of a keypair, a wallet, an axon's address, a metagraph and
a chain client, as :class:`typing.Protocol` classes.

The seams take these instead of ``Any``: a user may pass this package's objects, the bittensor SDK's
(``bittensor_wallet.Wallet``, ``bittensor.Keypair``) or a stand-in of their own; whatever has the
attributes below works. Only :class:`Keypair` is checked at run time (a dendrite and an axon sign with
a keypair or a wallet's hotkey); the others document and type the seams (an ``isinstance`` against
:class:`Wallet` would read its properties, hence its key files, on Python 3.11).

Example:
    >>> from bt_llm.wallet.keypair import Keypair as Pair
    >>> pair = Pair.create_from_uri("//Alice")
    >>> signer_of(pair) is pair, coldkey_ss58(pair) == pair.ss58_address
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from bt_llm.errors import ConfigError

__all__ = ["AxonAddress", "ChainClient", "Keypair", "Metagraph", "Wallet", "coldkey_ss58", "signer_of"]


@runtime_checkable
class Keypair(Protocol):
    """Signs for one SS58 address (``bt_llm.wallet.keypair.Keypair``, ``bittensor.Keypair``)."""

    @property
    def ss58_address(self) -> str: ...

    def sign(self, data: bytes | str) -> bytes: ...


class Wallet(Protocol):
    """A hotkey that signs and a coldkey (``bt_llm.wallet.Wallet``, ``bittensor_wallet.Wallet``)."""

    @property
    def hotkey(self) -> Keypair: ...

    @property
    def coldkey(self) -> Keypair: ...

    @property
    def coldkeypub(self) -> Keypair: ...


class AxonAddress(Protocol):
    """Where a neuron serves (``bt_llm.protocol.axon_info.AxonInfo``)."""

    ip: str
    port: int
    hotkey: str
    coldkey: str

    @property
    def is_serving(self) -> bool: ...


class Metagraph(Protocol):
    """A subnet's neurons, by uid (``bt_llm.chain.metagraph.Metagraph``)."""

    netuid: int
    hotkeys: list[str]
    axons: list[AxonAddress]

    @property
    def n(self) -> int: ...


class ChainClient(Protocol):
    """The reads and calls the neurons, the bridge and the CLI make (``bt_llm.chain.Subtensor``; its
    reads live in ``chain/subtensor.py``, its extrinsics in ``chain/operations.py``)."""

    network: str

    def get_current_block(self) -> int: ...

    def is_hotkey_registered(self, hotkey_ss58: str, netuid: int | None = None) -> bool: ...

    def metagraph(self, netuid: int, lite: bool = True, block: int | None = None) -> Metagraph: ...

    def set_weights(self, wallet: Wallet, netuid: int, uids: Sequence[int], weights: Sequence[float], *,
                    wait_for_inclusion: bool = False, wait_for_finalization: bool = False) -> object: ...

    def get_delegates(self, block: int | None = None) -> list[Any]: ...

    def close(self) -> None: ...


def signer_of(wallet: Wallet | Keypair) -> Keypair:
    """The keypair that signs for ``wallet``: its hotkey, or the keypair itself.

    Raises:
        ConfigError: neither a wallet with a hotkey nor a keypair.
    """
    hotkey = getattr(wallet, "hotkey", None)  # a locked or missing hotkey file raises here, by name
    if isinstance(hotkey, Keypair):
        return hotkey
    if isinstance(wallet, Keypair):
        return wallet
    raise ConfigError("expected a wallet (with a hotkey) or a Keypair, got " + type(wallet).__name__)


def coldkey_ss58(wallet: Wallet | Keypair) -> str | None:
    """``wallet``'s coldkey address from its public file (no password asked); a keypair's own address;
    None when the wallet has no readable public coldkey (a miner's machine may hold only the hotkey)."""
    pub = getattr(wallet, "coldkeypub", None)
    address = getattr(pub, "ss58_address", None)
    if address:
        return str(address)
    if getattr(wallet, "hotkey", None) is None and isinstance(wallet, Keypair):
        return wallet.ss58_address
    return None

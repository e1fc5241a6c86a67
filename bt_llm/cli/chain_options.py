"""Shared pieces of the chain commands of btcli: the subtensor options, the client they build,
confirmations under ``--no_prompt``, and the rich console.

``subtensor_options`` (``--subtensor.network``, ``--subtensor.chain_endpoint``) is the one in
``bt_llm.cli.options``, re-exported here so every chain command takes the same flags.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bt_llm.cli.options import subtensor_options
from bt_llm.errors import ConfigError

if TYPE_CHECKING:
    from bt_llm.chain.subtensor import Subtensor

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "BLOCK", "NETUID", "check_own_hotkey", "check_proposal_hash", "check_ss58", "confirm", "console", "make_subtensor", "netuid_option",
    "subtensor_options", "tao",
]


def make_subtensor(network: str | None, chain_endpoint: str | None) -> Any:
    """The ``Subtensor`` the flags name (environment and then ``finney`` when they name none).

    Tests replace this function to hand commands a fake client.
    """
    from bt_llm.chain.subtensor import Subtensor

    return Subtensor(network, chain_endpoint=chain_endpoint)


def console() -> Any:
    """A rich console for stdout; wide tables when output is not a terminal."""
    from rich.console import Console

    width = None if shutil.get_terminal_size((0, 0)).columns else 320
    return Console(highlight=False, width=width)


def confirm(text: str, *, no_prompt: bool, default: bool = True) -> None:
    """Ask ``text``; ``--no_prompt`` answers yes. A "no" aborts the command.

    Raises:
        click.Abort: the person answered no.
    """
    if no_prompt:
        return
    if not click.confirm(text, default=default):
        raise click.Abort("declined")


NETUID = click.IntRange(0, 65535)  # a u16 on chain
BLOCK = click.IntRange(min=0)


def netuid_option(required: bool = True, default: int | None = None, help: str = "The subnet's netuid.") -> Callable[[F], F]:
    """``--netuid N`` (0 to 65535). Required when ``required`` and no ``default``.

    (click 8.3+ treats an explicit ``default=None`` as a default, so it is only passed when set.)
    """
    if default is None:
        return click.option("--netuid", "netuid", type=NETUID, required=required, help=help)
    return click.option("--netuid", "netuid", type=NETUID, default=default, show_default=True, help=help)


def check_ss58(address: str, flag: str) -> str:
    """``address`` when it is a valid SS58 address, before anything is asked of the chain.

    Raises:
        ConfigError: naming ``flag`` and the bad value.
    """
    from bt_llm.wallet.keypair import is_valid_ss58

    if not is_valid_ss58(address):
        raise ConfigError(f"{flag}: not a valid ss58 address: {address!r}")
    return address


def check_own_hotkey(subtensor: Subtensor, hotkey: str, coldkey: str) -> None:
    """Refuse before signing unless ``hotkey`` is registered and owned by ``coldkey`` (what the chain checks).

    Raises:
        ConfigError: the hotkey is registered nowhere, or belongs to another coldkey.
    """
    owner = subtensor.get_hotkey_owner(hotkey)
    if owner is None:
        raise ConfigError(f"hotkey {hotkey} is not registered on any subnet: register it first "
                          f"(btcli register or btcli recycle_register)")
    if owner != coldkey:
        raise ConfigError(f"hotkey {hotkey} belongs to another coldkey ({owner})")


def check_proposal_hash(proposal: str) -> str:
    """A proposal hash as ``0x`` and 64 hex digits.

    Raises:
        ConfigError: anything else.
    """
    digits = proposal.removeprefix("0x")
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ConfigError(f"--proposal: not a proposal hash (0x and 64 hex digits): {proposal!r}")
    return "0x" + digits.lower()


def tao(rao: int | float) -> str:
    """``τ1.000000000`` from rao."""
    from bt_llm.balance import Balance

    return str(Balance.from_rao(int(rao)))

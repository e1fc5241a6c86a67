"""Shared pieces of the chain commands of btcli: the subtensor options, the client they build,
confirmations under ``--no_prompt``, and the rich console.

``subtensor_options`` (``--subtensor.network``, ``--subtensor.chain_endpoint``) is the one in
``bt_llm.cli.options``, re-exported here so every chain command takes the same flags.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bt_llm.cli.options import subtensor_options

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["confirm", "console", "make_subtensor", "netuid_option", "subtensor_options", "tao"]


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
        raise click.Abort()


def netuid_option(required: bool = True, default: int | None = None, help: str = "The subnet's netuid.") -> Callable[[F], F]:
    """``--netuid N``."""
    return click.option("--netuid", "netuid", type=int, required=required and default is None, default=default,
                        help=help)


def tao(rao: int | float) -> str:
    """``τ1.000000000`` from rao."""
    from bt_llm.balance import Balance

    return str(Balance.from_rao(int(rao)))

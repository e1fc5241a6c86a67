"""Reusable click options for every btcli command, spelled as bittensor 5.x spelled them.

Usage in a command module::

    from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options

    @click.command(name="overview")
    @wallet_options
    @no_prompt_option
    def overview_command(wallet_name, wallet_hotkey, wallet_path, no_prompt):
        wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt)

Each decorator adds keyword arguments: ``wallet_options`` adds ``wallet_name``, ``wallet_hotkey`` and
``wallet_path`` (None when not given); ``no_prompt_option`` adds ``no_prompt``; ``subtensor_options``
adds ``subtensor_network`` and ``subtensor_chain_endpoint``. Prompts read ``Enter wallet name
(default):`` like the seed, and are skipped under ``--no_prompt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bt_llm.errors import KeyFileError, PasswordError

if TYPE_CHECKING:
    from bt_llm.wallet.keyfile import Keyfile
    from bt_llm.wallet.wallet import Wallet

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "ask_new_password",
    "confirm_overwrite",
    "no_prompt_option",
    "prompt_value",
    "subtensor_options",
    "wallet_from_options",
    "wallet_name_options",
    "wallet_options",
]


def wallet_name_options(func: F) -> F:
    """``--wallet.name`` and ``--wallet.path`` (for commands that need no hotkey)."""
    func = click.option(
        "--wallet.path", "wallet_path", default=None, metavar="PATH",
        help="Folder holding the wallets (default: $BT_WALLET_PATH or ~/.bittensor/wallets/).",
    )(func)
    func = click.option("--wallet.name", "wallet_name", default=None, metavar="NAME",
                        help="Wallet name (default: default).")(func)
    return func


def wallet_options(func: F) -> F:
    """``--wallet.name``, ``--wallet.hotkey`` and ``--wallet.path``."""
    func = click.option("--wallet.hotkey", "wallet_hotkey", default=None, metavar="HOTKEY",
                        help="Hotkey name (default: default).")(func)
    return wallet_name_options(func)


def no_prompt_option(func: F) -> F:
    """``--no_prompt`` (also ``--no-prompt``): never ask; fail where an answer is missing."""
    return click.option("--no_prompt", "--no-prompt", "no_prompt", is_flag=True, default=False,
                        help="Do not prompt; use defaults, and fail where an answer is needed.")(func)


def subtensor_options(func: F) -> F:
    """``--subtensor.network`` and ``--subtensor.chain_endpoint``."""
    func = click.option("--subtensor.chain_endpoint", "subtensor_chain_endpoint", default=None, metavar="URL",
                        help="Node websocket URL, wins over --subtensor.network. (default: "
                             "$BT_SUBTENSOR_CHAIN_ENDPOINT, else the network's)")(func)
    func = click.option("--subtensor.network", "subtensor_network", default=None, metavar="NETWORK",
                        help="finney, test, local, archive, or a ws:// URL. (default: $BT_SUBTENSOR_NETWORK, "
                             "else local)")(func)
    return func


def prompt_value(text: str, default: str, *, given: str | None, no_prompt: bool) -> str:
    """``given`` when set; else ``default`` under ``--no_prompt``; else ask ``<text> (<default>):``."""
    if given:
        return given
    if no_prompt:
        return default
    return str(click.prompt(f"{text} ({default})", default=default, show_default=False)).strip() or default


def wallet_from_options(
    wallet_name: str | None, wallet_hotkey: str | None = None, wallet_path: str | None = None, *,
    no_prompt: bool = False, ask_name: bool = True, ask_hotkey: bool = False,
) -> Wallet:
    """Build the ``Wallet`` the flags describe, asking for the names the seed's btcli asks for."""
    from bt_llm.wallet.wallet import DEFAULT_HOTKEY, DEFAULT_NAME, Wallet

    name = wallet_name
    if ask_name:
        name = prompt_value("Enter wallet name", DEFAULT_NAME, given=wallet_name, no_prompt=no_prompt)
    hotkey = wallet_hotkey
    if ask_hotkey:
        hotkey = prompt_value("Enter hotkey name", DEFAULT_HOTKEY, given=wallet_hotkey, no_prompt=no_prompt)
    return Wallet(name=name, hotkey=hotkey, path=wallet_path)


def confirm_overwrite(files: list[Keyfile], *, overwrite: bool, no_prompt: bool, flag: str) -> bool:
    """Whether to replace whichever of ``files`` exist: yes with ``flag``, ask otherwise, refuse under --no_prompt.

    Raises:
        KeyFileError: a file exists and ``--no_prompt`` forbids asking (nothing is touched).
        click.Abort: the person answered no.
    """
    existing = [f for f in files if f.path.exists()]
    if overwrite or not existing:
        return True
    if no_prompt:
        raise KeyFileError(f"{existing[0].path} already exists: pass {flag} to replace it")
    for keyfile in existing:
        if not click.confirm(f"File {keyfile.path} already exists. Overwrite?", default=False):
            raise click.Abort("declined")
    return True


def ask_new_password(what: str, *, env_wallet: str | None, no_prompt: bool) -> str:
    """The password to encrypt a new key: ``BT_COLD_PW_<NAME>`` when set, else asked twice.

    Raises:
        PasswordError: ``--no_prompt`` and no environment variable.
    """
    from bt_llm.wallet.passwords import env_var_name, password_from_env

    if env_wallet and (value := password_from_env(env_wallet)) is not None:
        return value
    if no_prompt:
        hint = f"set {env_var_name(env_wallet)}, or pass --no_password" if env_wallet else "pass --no_password"
        raise PasswordError(f"A password is needed to encrypt {what}: {hint}")
    while True:
        password = click.prompt(
            f"Specify password for key encryption ({what})", hide_input=True,
            confirmation_prompt="Retype your password",
        )
        if password:
            return str(password)
        click.echo("The password cannot be empty.", err=True)

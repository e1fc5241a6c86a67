"""btcli wallet commands: new_coldkey, new_hotkey, regen_*, list, inspect, sign, verify.

Flags as bittensor 5.x spelled them (``--wallet.name``, ``--no_prompt``, ``--overwrite_coldkey``,
``--use_password/--no_password``, ``--n_words``, ``--mnemonic w1 w2 ...``, ``--seed``,
``--ss58_address``, ``--public_key``). ``new_coldkey`` and ``new_hotkey`` print the new mnemonic
only to a terminal unless ``--print_mnemonic`` is given. Errors are ``BtLlmError``s:
``bt_llm.cli.main.main`` prints them as one red line with exit code 1.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bt_llm.cli.options import (
    ask_new_password,
    confirm_overwrite,
    no_prompt_option,
    subtensor_options,
    wallet_from_options,
    wallet_name_options,
    wallet_options,
)
from bt_llm.cli.shared import Column, Listing, emit, listing_mode
from bt_llm.errors import BtLlmError, ConfigError, KeyFileError, PasswordError, RpcError

if TYPE_CHECKING:
    from bt_llm.wallet.keyfile import Keyfile
    from bt_llm.wallet.wallet import Wallet

N_WORDS = click.Choice(["12", "15", "18", "21", "24"])


def _console() -> Any:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # pipes and tests: never truncate an address
        console.width = 160
    return console


def print_mnemonic_option(func: Any) -> Any:
    """``--print_mnemonic`` (also ``--print-mnemonic``): print a new mnemonic even to a pipe or a log."""
    return click.option("--print_mnemonic", "--print-mnemonic", "print_mnemonic", is_flag=True, default=False,
                        help="Print the new mnemonic even when stdout is not a terminal (pipes, logs).")(func)


def _password_for(wallet: Wallet, *, use_password: bool, no_prompt: bool, coldkey: bool) -> str | None:
    if not use_password:
        return None
    what = f"the coldkey of wallet '{wallet.name}'" if coldkey else f"hotkey '{wallet.hotkey_str}'"
    return ask_new_password(what, env_wallet=wallet.name if coldkey else None, no_prompt=no_prompt)


def _mnemonic_words(mnemonic: str | None, extra: tuple[str, ...]) -> str | None:
    if extra and not mnemonic:
        raise ConfigError(f"Unexpected arguments {' '.join(extra)!r}: pass the words after --mnemonic")
    if not mnemonic:
        return None
    return " ".join([mnemonic, *extra])


def _secret_from_prompt(key_type: str, mnemonic: str | None, seed: str | None, no_prompt: bool
                        ) -> tuple[str | None, str | None]:
    if mnemonic or seed:
        return mnemonic, seed
    if no_prompt:
        raise ConfigError(f"Pass --mnemonic or --seed to regenerate the {key_type}")
    answer = str(click.prompt(f"Enter mnemonic or seed for the {key_type}")).strip()
    hexpart = answer.removeprefix("0x")
    if len(hexpart) == 64 and all(c in "0123456789abcdefABCDEF" for c in hexpart):
        return None, answer
    return answer, None


# ---------------------------------------------------------------------------------------------------
# create and regenerate


@click.command(name="new_coldkey")
@wallet_name_options
@click.option("--n_words", "n_words", type=N_WORDS, default="12", show_default=True, help="Mnemonic length.")
@click.option("--use_password/--no_password", "use_password", default=True, show_default=True,
              help="Encrypt the coldkey (password from BT_COLD_PW_<NAME> or the prompt).")
@click.option("--overwrite_coldkey", "overwrite", is_flag=True, help="Replace an existing coldkey.")
@print_mnemonic_option
@no_prompt_option
def new_coldkey_command(wallet_name: str | None, wallet_path: str | None, n_words: str, use_password: bool,
                        overwrite: bool, print_mnemonic: bool, no_prompt: bool) -> None:
    """Creates a new coldkey for containing balance under the specified path."""
    wallet = wallet_from_options(wallet_name, None, wallet_path, no_prompt=no_prompt)
    overwrite = confirm_overwrite([wallet.coldkey_file, wallet.coldkeypub_file], overwrite=overwrite,
                                  no_prompt=no_prompt, flag="--overwrite_coldkey")
    password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt,
                             coldkey=True)
    wallet.create_new_coldkey(n_words=int(n_words), use_password=use_password, overwrite=overwrite,
                              password=password, print_mnemonic=print_mnemonic or None)


# new_coldkey's options, for the hotkey: alike by design (bittensor's flags for the pair; defaults differ)
@click.command(name="new_hotkey")
@wallet_options
@click.option("--n_words", "n_words", type=N_WORDS, default="12", show_default=True, help="Mnemonic length.")
@click.option("--use_password/--no_password", "use_password", default=False, show_default=True,
              help="Encrypt the hotkey.")
@click.option("--overwrite_hotkey", "overwrite", is_flag=True, help="Replace an existing hotkey.")
@print_mnemonic_option
@no_prompt_option
def new_hotkey_command(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
                       n_words: str, use_password: bool, overwrite: bool, print_mnemonic: bool,
                       no_prompt: bool) -> None:
    """Creates a new hotkey for running a miner under the specified path."""
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    overwrite = confirm_overwrite([wallet.hotkey_file], overwrite=overwrite, no_prompt=no_prompt,
                                  flag="--overwrite_hotkey")
    password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt,
                             coldkey=False)
    wallet.create_new_hotkey(n_words=int(n_words), use_password=use_password, overwrite=overwrite,
                             password=password, print_mnemonic=print_mnemonic or None)


def _secret_options(func: Any) -> Any:
    func = click.argument("extra_words", nargs=-1, metavar="[WORDS]...")(func)
    func = click.option("--uri", "uri", default=None, metavar="URI",
                        help="A dev secret URI such as //Alice (localnet accounts). (default: asked: mnemonic)")(func)
    func = click.option("--seed", "seed", default=None, metavar="HEX", help="32-byte seed in hex. (default: asked: mnemonic)")(func)
    func = click.option("--mnemonic", "mnemonic", default=None, metavar="WORD...",
                        help="The mnemonic, as space-separated words after the flag. (default: asked)")(func)
    return func


@click.command(name="regen_coldkey")
@wallet_name_options
@_secret_options
@click.option("--use_password/--no_password", "use_password", default=True, show_default=True,
              help="Encrypt the coldkey.")
@click.option("--overwrite_coldkey", "overwrite", is_flag=True, help="Replace an existing coldkey.")
@no_prompt_option
def regen_coldkey_command(wallet_name: str | None, wallet_path: str | None, mnemonic: str | None,
                          seed: str | None, uri: str | None, extra_words: tuple[str, ...], use_password: bool,
                          overwrite: bool, no_prompt: bool) -> None:
    """Regenerates a coldkey from a passed value."""
    from bt_llm.wallet.keypair import check_mnemonic
    from bt_llm.wallet.wallet import keypair_from_secret

    if uri:
        wallet = wallet_from_options(wallet_name, None, wallet_path, no_prompt=no_prompt)
        overwrite = confirm_overwrite([wallet.coldkey_file, wallet.coldkeypub_file], overwrite=overwrite,
                                      no_prompt=no_prompt, flag="--overwrite_coldkey")
        password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt, coldkey=True)
        wallet.create_coldkey_from_uri(uri, use_password=use_password, overwrite=overwrite, password=password,
                                       suppress=True)
        click.echo(f"Regenerated the coldkey of {wallet} from {uri}: {wallet.coldkeypub.ss58_address}")
        return

    phrase = _mnemonic_words(mnemonic, extra_words)
    if phrase:
        phrase = check_mnemonic(phrase)  # a bad word fails before any prompt
    wallet = wallet_from_options(wallet_name, None, wallet_path, no_prompt=no_prompt)
    phrase, seed = _secret_from_prompt("coldkey", phrase, seed, no_prompt)
    overwrite = confirm_overwrite([wallet.coldkey_file, wallet.coldkeypub_file], overwrite=overwrite,
                                  no_prompt=no_prompt, flag="--overwrite_coldkey")
    keypair_check = keypair_from_secret(phrase, seed)  # validate before asking for a password
    password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt,
                             coldkey=True)
    wallet.regenerate_coldkey(mnemonic=phrase, seed=seed, use_password=use_password, overwrite=overwrite,
                              password=password, suppress=True)
    click.echo(f"Regenerated the coldkey of {wallet}: {keypair_check.ss58_address}")


@click.command(name="regen_coldkeypub")
@wallet_name_options
@click.option("--ss58_address", "--ss58", "--addr", "ss58_address", default=None, metavar="SS58",
              help="The coldkey's SS58 address. (default: asked)")
@click.option("--public_key", "--pubkey", "public_key", default=None, metavar="HEX",
              help="The coldkey's public key in hex. (default: --ss58_address)")
@click.option("--overwrite_coldkeypub", "--overwrite_coldkey", "overwrite", is_flag=True,
              help="Replace an existing coldkeypub.txt.")
@no_prompt_option
def regen_coldkeypub_command(wallet_name: str | None, wallet_path: str | None, ss58_address: str | None,
                             public_key: str | None, overwrite: bool, no_prompt: bool) -> None:
    """Regenerates a public coldkey from the public part of the coldkey."""
    wallet = wallet_from_options(wallet_name, None, wallet_path, no_prompt=no_prompt)
    if not ss58_address and not public_key:
        if no_prompt:
            raise ConfigError("Pass --ss58_address or --public_key")
        answer = str(click.prompt("Enter the ss58_address or the public key in hex")).strip()
        if answer.startswith("0x") or len(answer) == 64:
            public_key = answer
        else:
            ss58_address = answer
    overwrite = confirm_overwrite([wallet.coldkeypub_file], overwrite=overwrite, no_prompt=no_prompt,
                                  flag="--overwrite_coldkeypub")
    wallet.regenerate_coldkeypub(ss58_address=ss58_address, public_key=public_key, overwrite=overwrite,
                                 suppress=True)
    click.echo(f"Regenerated the coldkeypub of {wallet}: {wallet.coldkeypub.ss58_address}")


@click.command(name="regen_hotkey")
@wallet_options
@_secret_options
@click.option("--use_password/--no_password", "use_password", default=False, show_default=True,
              help="Encrypt the hotkey.")
@click.option("--overwrite_hotkey", "overwrite", is_flag=True, help="Replace an existing hotkey.")
@no_prompt_option
def regen_hotkey_command(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
                         mnemonic: str | None, seed: str | None, uri: str | None, extra_words: tuple[str, ...],
                         use_password: bool, overwrite: bool, no_prompt: bool) -> None:
    """Regenerates a hotkey from a passed mnemonic."""
    from bt_llm.wallet.keypair import check_mnemonic
    from bt_llm.wallet.wallet import keypair_from_secret

    if uri:
        wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
        overwrite = confirm_overwrite([wallet.hotkey_file], overwrite=overwrite, no_prompt=no_prompt,
                                      flag="--overwrite_hotkey")
        password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt, coldkey=False)
        wallet.create_hotkey_from_uri(uri, use_password=use_password, overwrite=overwrite, password=password,
                                      suppress=True)
        click.echo(f"Regenerated hotkey '{wallet.hotkey_str}' of {wallet} from {uri}: {wallet.hotkey.ss58_address}")
        return

    phrase = _mnemonic_words(mnemonic, extra_words)
    if phrase:
        phrase = check_mnemonic(phrase)
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    phrase, seed = _secret_from_prompt("hotkey", phrase, seed, no_prompt)
    overwrite = confirm_overwrite([wallet.hotkey_file], overwrite=overwrite, no_prompt=no_prompt,
                                  flag="--overwrite_hotkey")
    keypair = keypair_from_secret(phrase, seed)
    password = _password_for(wallet, use_password=use_password, no_prompt=no_prompt,
                             coldkey=False)
    wallet.regenerate_hotkey(mnemonic=phrase, seed=seed, use_password=use_password, overwrite=overwrite,
                             password=password, suppress=True)
    click.echo(f"Regenerated hotkey '{wallet.hotkey_str}' of {wallet}: {keypair.ss58_address}")


# ---------------------------------------------------------------------------------------------------
# list and inspect


def _address(keyfile: Keyfile) -> str:
    """The SS58 address in a public or plain keyfile, without ever asking for a password."""
    from bt_llm.wallet.keyfile import keyfile_data_is_encrypted

    try:
        if not keyfile.exists_on_device():
            return "?"
        if keyfile_data_is_encrypted(keyfile.data):
            return "? (encrypted)"
        return str(keyfile.keypair.ss58_address)
    except BtLlmError:
        return "? (unreadable)"


def _coldkey_address(wallet: Wallet) -> str:
    if wallet.coldkeypub_file.exists_on_device() or not wallet.coldkey_file.exists_on_device():
        return _address(wallet.coldkeypub_file)
    return _address(wallet.coldkey_file)  # no coldkeypub.txt: a plain coldkey still shows its address


def _hotkey_address(wallet: Wallet) -> str:
    if wallet.hotkeypub_file.exists_on_device():
        return _address(wallet.hotkeypub_file)
    return _address(wallet.hotkey_file)


def _wallet_names(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    try:
        return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        raise KeyFileError(f"Cannot list {root}: {exc.strerror or exc}") from exc


def _root(wallet_path: str | None) -> tuple[str, Path]:
    from bt_llm.wallet.wallet import default_wallet_path

    shown = wallet_path or default_wallet_path()
    return shown, Path(os.path.expanduser(shown))


@click.command(name="list")
@click.option("--wallet.path", "wallet_path", default=None, metavar="PATH", help="Folder holding the wallets. (default: $BT_WALLET_PATH or ~/.bittensor/wallets/)")
def list_command(wallet_path: str | None) -> None:
    """List wallets."""
    from rich.tree import Tree

    from bt_llm.wallet.wallet import Wallet

    shown, root = _root(wallet_path)
    names = _wallet_names(root)
    if listing_mode()[1]:  # --json: one row per key
        rows: list[list[Any]] = []
        for name in names:
            wallet = Wallet(name=name, path=shown)
            rows.append([name, _coldkey_address(wallet), None, None])
            rows += [[name, None, hk, _hotkey_address(Wallet(name=name, hotkey=hk, path=shown))]
                     for hk in wallet.hotkey_names()]
        emit(Listing(f"Wallets ({shown})", [Column("WALLET"), Column("COLDKEY"), Column("HOTKEY NAME"),
                                             Column("HOTKEY")], rows))
        return
    if not names:
        click.echo(f"No wallets found in {shown}")
        return
    tree = Tree(f"Wallets ({shown})")
    for name in names:
        wallet = Wallet(name=name, path=shown)
        branch = tree.add(f"[bold]{name}[/bold] ({_coldkey_address(wallet)})")
        for hotkey in wallet.hotkey_names():
            hot = Wallet(name=name, hotkey=hotkey, path=shown)
            branch.add(f"{hotkey} ({_hotkey_address(hot)})")
    _console().print(tree)


@dataclass(frozen=True)
class ChainView:
    """What the chain says about a wallet: the coldkey's free balance and its stake per hotkey."""

    balance: Any
    stakes: dict[str, Any]


def fetch_chain_view(coldkey_ss58: str, hotkey_ss58s: list[str], *, network: str | None,
                     chain_endpoint: str | None) -> ChainView | None:
    """HOOK (chain client, issue 8): balance and stake for ``inspect``; None when there is no chain to ask.

    Reads the network every command reads (``--subtensor.network``, else the environment, else
    ``local``). Returns None when the chain client module ``bt_llm.chain.subtensor`` does not exist.

    Raises:
        RpcError: the chain cannot be reached (``inspect`` then shows the keys and says so).
    """
    if importlib.util.find_spec("bt_llm.chain.subtensor") is None:
        return None
    from bt_llm.chain.subtensor import Subtensor

    subtensor = Subtensor(network, chain_endpoint=chain_endpoint)
    try:
        balance = subtensor.get_balance(coldkey_ss58)
        stakes = {hk: subtensor.get_stake_for_coldkey_and_hotkey(hk, coldkey_ss58) for hk in hotkey_ss58s}
    finally:
        subtensor.close()
    return ChainView(balance=balance, stakes=stakes)


@click.command(name="inspect")
@wallet_name_options
@click.option("--all", "all_wallets", is_flag=True, help="Inspect every wallet under --wallet.path.")
@subtensor_options
@no_prompt_option
def inspect_command(wallet_name: str | None, wallet_path: str | None, all_wallets: bool,
                    subtensor_network: str | None, subtensor_chain_endpoint: str | None, no_prompt: bool) -> None:
    """Inspect a wallet cold, hot pair"""
    from bt_llm.wallet.wallet import Wallet

    shown, root = _root(wallet_path)
    if all_wallets:
        names = _wallet_names(root)
    else:
        names = [wallet_from_options(wallet_name, None, wallet_path, no_prompt=no_prompt).name]
    rows: list[list[Any]] = []
    with_chain = False
    unreachable: str | None = None
    for name in names:
        wallet = Wallet(name=name, path=shown)
        if not wallet.wallet_dir.is_dir():
            raise ConfigError(f"No wallet '{name}' in {shown}")
        cold = _coldkey_address(wallet)
        hot_rows = [(hk, _hotkey_address(Wallet(name=name, hotkey=hk, path=shown))) for hk in wallet.hotkey_names()]
        view = None
        if not cold.startswith("?") and unreachable is None:
            try:
                view = fetch_chain_view(cold, [a for _, a in hot_rows if not a.startswith("?")],
                                        network=subtensor_network, chain_endpoint=subtensor_chain_endpoint)
            except RpcError as exc:
                if subtensor_network or subtensor_chain_endpoint:
                    raise  # a network named on purpose: one error line, as every command
                unreachable = str(exc)  # the default one: the keys are still worth showing
        with_chain = with_chain or view is not None
        rows.append([name, cold, view.balance if view else None, None, None, None])
        for hotkey, address in hot_rows:
            rows.append([None, None, None, hotkey, address, view.stakes.get(address) if view else None])
    def text(value: Any) -> str:
        return "-" if value is None else str(value)

    columns = [Column("Coldkey", text, json_name="wallet"), Column("Address", text, key=True, json_name="coldkey"),
               Column("Balance", text), Column("Hotkey", text, json_name="hotkey_name"),
               Column("Hotkey address", text, key=True, json_name="hotkey"), Column("Stake", text)]
    keep = [i for i, c in enumerate(columns) if with_chain or c.header not in ("Balance", "Stake")]
    notes = []
    if unreachable is not None:
        notes.append(f"Balance and stake: the chain is not reachable ({unreachable}); --subtensor.network "
                     "names another (default: $BT_SUBTENSOR_NETWORK, else local).")
    elif not with_chain:
        notes.append("Balance and stake: no chain client is installed.")
    emit(Listing(f"Wallets in {shown}", [columns[i] for i in keep], [[r[i] for i in keep] for r in rows]),
         notes=notes, extra={"chain_error": unreachable} if unreachable else None)


# ---------------------------------------------------------------------------------------------------
# sign and verify


@click.command(name="sign")
@wallet_options
@click.option("--message", "message", required=True, help="The text to sign.")
@click.option("--use_hotkey", "use_hotkey", is_flag=True, help="Sign with the hotkey instead of the coldkey.")
@no_prompt_option
def sign_command(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None, message: str,
                 use_hotkey: bool, no_prompt: bool) -> None:
    """Sign a message with the coldkey (decrypted) or the hotkey; prints the signature in hex."""
    from bt_llm.wallet.keyfile import keyfile_data_is_encrypted
    from bt_llm.wallet.passwords import env_var_name, password_from_env

    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt,
                                 ask_hotkey=use_hotkey)
    keyfile = wallet.hotkey_file if use_hotkey else wallet.coldkey_file
    password = None
    if keyfile_data_is_encrypted(keyfile.data):
        password = None if use_hotkey else password_from_env(wallet.name)
        if password is None:
            if no_prompt:
                hint = "" if use_hotkey else f": set {env_var_name(wallet.name)}"
                raise PasswordError(f"A password is needed to unlock {keyfile.name}{hint}")
            password = str(click.prompt(f"Enter password to unlock {keyfile.name}", hide_input=True))
    keypair = keyfile.get_keypair(password)
    click.echo(f"Signer: {keypair.ss58_address}")
    click.echo(f"Signature: 0x{keypair.sign(message.encode()).hex()}")


@click.command(name="verify")
@click.option("--message", "message", required=True, help="The signed text.")
@click.option("--signature", "signature", required=True, help="The signature in hex.")
@click.option("--ss58_address", "--address", "ss58_address", required=True, help="The signer's SS58 address.")
def verify_command(message: str, signature: str, ss58_address: str) -> None:
    """Verify a message's signature against an SS58 address (exit 1 when it does not verify)."""
    from bt_llm.errors import SignatureError
    from bt_llm.wallet.keypair import Keypair, public_key_from_ss58

    keypair = Keypair(public_key=public_key_from_ss58(ss58_address))
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError as exc:
        raise SignatureError(f"The signature is not hex: {signature!r}") from exc
    if not keypair.verify(message.encode(), raw):
        raise SignatureError(f"The signature does not verify for {ss58_address}")
    click.echo(f"Valid signature by {ss58_address}")

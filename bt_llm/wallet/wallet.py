"""``Wallet``: a coldkey (encrypted) and its hotkeys on disk, with the bittensor SDK's API.

Layout under ``path`` (default ``$BT_WALLET_PATH`` or ``~/.bittensor/wallets/``)::

    <name>/coldkey                   encrypted keyfile
    <name>/coldkeypub.txt            public keyfile
    <name>/hotkeys/<hotkey>          keyfile (plain unless asked)
    <name>/hotkeys/<hotkey>pub.txt   public keyfile

A new key's mnemonic is printed only when stdout is a terminal (so it never lands in a log or a
pipe) unless ``print_mnemonic=True``; otherwise one line says where the key is and how to print it.

Example:
    >>> import tempfile
    >>> import bt_llm as bt
    >>> w = bt.wallet(name="demo", hotkey="h1", path=tempfile.mkdtemp())
    >>> _ = w.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    >>> _ = w.create_hotkey_from_uri("//Bob", suppress=True)
    >>> w.coldkeypub.ss58_address
    '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'
    >>> w.hotkey.verify(b"hi", w.hotkey.sign(b"hi"))
    True
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from bt_llm import settings
from bt_llm.errors import KeyFileError, WalletError
from bt_llm.wallet.keyfile import Keyfile
from bt_llm.wallet.keypair import Keypair, check_mnemonic, public_key_from_ss58

DEFAULT_NAME = "default"
DEFAULT_HOTKEY = "default"
DEFAULT_PATH = "~/.bittensor/wallets/"

__all__ = ["DEFAULT_HOTKEY", "DEFAULT_NAME", "DEFAULT_PATH", "Wallet", "default_wallet_path",
           "display_mnemonic_msg", "keypair_from_secret"]


def default_wallet_path() -> str:
    """``$BT_WALLET_PATH`` when set, else ``~/.bittensor/wallets/``."""
    return settings.get(settings.WALLET_PATH) or DEFAULT_PATH


def display_mnemonic_msg(mnemonic: str, key_type: str) -> None:
    """Print the seed's banner: store the mnemonic safely, and how to regenerate the key from it."""
    import click  # light, and only needed when a key is created without suppress

    click.echo()
    click.secho(
        "IMPORTANT: Store this mnemonic in a secure (preferably offline place), as anyone who has "
        "possession of this mnemonic can use it to regenerate the key and access your tokens.",
        fg="red",
    )
    click.echo(f"The mnemonic to the new {key_type} is:\n")
    click.secho(mnemonic, bold=True)
    click.echo(
        "\nYou can use the mnemonic to recreate the key in case it gets lost. The command to use to "
        "regenerate the key using this mnemonic is:"
    )
    click.echo(f"btcli regen_{key_type} --mnemonic {mnemonic}\n")


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _show_new_mnemonic(mnemonic: str, key_type: str, keyfile: Keyfile, *, suppress: bool,
                       print_mnemonic: bool | None) -> None:
    # True prints (even with suppress), False never does, None: to a terminal unless suppressed.
    if print_mnemonic is None:
        if suppress:
            return
        print_mnemonic = _stdout_is_terminal()
    if print_mnemonic:
        display_mnemonic_msg(mnemonic, key_type)
    elif not suppress:
        print(f"The mnemonic of the new {key_type} is not printed (stdout is not a terminal); the key and its "
              f"mnemonic are in {keyfile.path}. Pass --print_mnemonic (btcli) or print_mnemonic=True to print it.")


def keypair_from_secret(mnemonic: str | list[str] | None, seed: str | bytes | None) -> Keypair:
    """The keypair of a mnemonic or of a 32-byte seed (exactly one of them).

    Raises:
        MnemonicError: a bad mnemonic. WalletError: a bad seed, both, or neither.
    """
    if mnemonic and seed:
        raise WalletError("Give either a mnemonic or a seed, not both")
    if mnemonic:
        return Keypair.create_from_mnemonic(check_mnemonic(mnemonic))
    if seed:
        return Keypair.create_from_seed(seed)
    raise WalletError("Give a mnemonic or a seed to regenerate the key from")


def _check_name(kind: str, value: str) -> str:
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\x00" in value:
        raise WalletError(f"Invalid {kind} {value!r}: use a plain name without '/'")
    return value


class Wallet:
    """A bittensor wallet: ``bt.wallet(name="default", hotkey="default", path="~/.bittensor/wallets/")``.

    Keys load lazily: ``hotkey`` and ``coldkeypub`` read their files; ``coldkey`` decrypts (password
    from ``BT_COLD_PW_<NAME>`` or the terminal, asked once per process).
    """

    def __init__(
        self, name: str | None = None, hotkey: str | None = None, path: str | None = None, config: Any = None
    ) -> None:
        # ``config``: a bittensor-style config whose ``wallet`` section has name/hotkey/path; explicit
        # arguments win over it.
        section = getattr(config, "wallet", None)
        name = name or getattr(section, "name", None)
        hotkey = hotkey or getattr(section, "hotkey", None)
        path = path or getattr(section, "path", None)
        self.name = _check_name("wallet name", name or DEFAULT_NAME)
        self.hotkey_str = _check_name("hotkey name", hotkey or DEFAULT_HOTKEY)
        self.path = path or default_wallet_path()
        self._hotkey: Keypair | None = None
        self._coldkey: Keypair | None = None
        self._coldkeypub: Keypair | None = None

    def __str__(self) -> str:
        return f"Wallet ({self.name}, {self.hotkey_str}, {self.path})"

    __repr__ = __str__

    # -- files ----------------------------------------------------------------------------------

    @property
    def wallet_dir(self) -> Path:
        """The folder of this wallet, ``<path>/<name>``, with ``~`` expanded."""
        return Path(os.path.expanduser(self.path)) / self.name

    @property
    def coldkey_file(self) -> Keyfile:
        return Keyfile(self.wallet_dir / "coldkey", f"the coldkey of wallet '{self.name}'", env_wallet=self.name,
                       wallet_dir=self.wallet_dir)

    @property
    def coldkeypub_file(self) -> Keyfile:
        return Keyfile(self.wallet_dir / "coldkeypub.txt", f"the coldkeypub of wallet '{self.name}'")

    @property
    def hotkey_file(self) -> Keyfile:
        return Keyfile(
            self.wallet_dir / "hotkeys" / self.hotkey_str, f"hotkey '{self.hotkey_str}' of wallet '{self.name}'",
            wallet_dir=self.wallet_dir,
        )

    @property
    def hotkeypub_file(self) -> Keyfile:
        return Keyfile(
            self.wallet_dir / "hotkeys" / f"{self.hotkey_str}pub.txt",
            f"the public file of hotkey '{self.hotkey_str}' of wallet '{self.name}'",
        )

    # -- keys -----------------------------------------------------------------------------------

    @property
    def hotkey(self) -> Keypair:
        """The hotkey (loaded once)."""
        if self._hotkey is None:
            self._hotkey = self.hotkey_file.keypair
        return self._hotkey

    @property
    def coldkey(self) -> Keypair:
        """The coldkey, decrypted (password asked once per process)."""
        if self._coldkey is None:
            self._coldkey = self.coldkey_file.keypair
        return self._coldkey

    @property
    def coldkeypub(self) -> Keypair:
        """The coldkey's public half from ``coldkeypub.txt`` (no password needed)."""
        if self._coldkeypub is None:
            self._coldkeypub = self.coldkeypub_file.keypair
        return self._coldkeypub

    @property
    def hotkeypub(self) -> Keypair:
        """The hotkey's public half: ``<hotkey>pub.txt`` when present, else the hotkey file."""
        if self.hotkeypub_file.exists_on_device():
            return self.hotkeypub_file.keypair
        return Keypair(ss58_address=self.hotkey.ss58_address)

    def get_coldkey(self, password: str | None = None) -> Keypair:
        """Decrypt the coldkey with ``password`` (or env / prompt)."""
        self._coldkey = self.coldkey_file.get_keypair(password)
        return self._coldkey

    def get_hotkey(self, password: str | None = None) -> Keypair:
        """Load the hotkey, decrypting with ``password`` when it is encrypted."""
        self._hotkey = self.hotkey_file.get_keypair(password)
        return self._hotkey

    def get_coldkeypub(self) -> Keypair:
        """Load the coldkey's public half."""
        self._coldkeypub = self.coldkeypub_file.keypair
        return self._coldkeypub

    def set_coldkey(
        self, keypair: Keypair, encrypt: bool = True, overwrite: bool = False, password: str | None = None
    ) -> None:
        """Write the coldkey file."""
        self.coldkey_file.set_keypair(keypair, encrypt=encrypt, overwrite=overwrite, password=password)
        self._coldkey = keypair

    def set_coldkeypub(self, keypair: Keypair, overwrite: bool = False) -> None:
        """Write ``coldkeypub.txt`` (public half only, never encrypted)."""
        public = Keypair(ss58_address=keypair.ss58_address)
        self.coldkeypub_file.set_keypair(public, encrypt=False, overwrite=overwrite)
        self._coldkeypub = public

    def set_hotkey(
        self, keypair: Keypair, encrypt: bool = False, overwrite: bool = False, password: str | None = None
    ) -> None:
        """Write the hotkey file and its public file."""
        self.hotkey_file.set_keypair(keypair, encrypt=encrypt, overwrite=overwrite, password=password)
        self.hotkeypub_file.set_keypair(Keypair(ss58_address=keypair.ss58_address), encrypt=False, overwrite=True)
        self._hotkey = keypair

    # -- creation -------------------------------------------------------------------------------

    def _write_coldkey(
        self, keypair: Keypair, *, use_password: bool, overwrite: bool, password: str | None
    ) -> None:
        # Check both files before writing either: a refusal leaves nothing touched.
        self.coldkey_file.check_overwrite(overwrite)
        self.coldkeypub_file.check_overwrite(overwrite)
        self.set_coldkey(keypair, encrypt=use_password, overwrite=True, password=password)
        self.set_coldkeypub(keypair, overwrite=True)

    def _write_hotkey(
        self, keypair: Keypair, *, use_password: bool, overwrite: bool, password: str | None
    ) -> None:
        self.hotkey_file.check_overwrite(overwrite)
        self.set_hotkey(keypair, encrypt=use_password, overwrite=True, password=password)

    def create_new_coldkey(
        self, n_words: int = 12, use_password: bool = True, overwrite: bool = False, suppress: bool = False,
        *, password: str | None = None, print_mnemonic: bool | None = None,
    ) -> Wallet:
        """Generate a coldkey from a fresh mnemonic, write it (encrypted) and its coldkeypub.

        ``print_mnemonic``: True prints the mnemonic (even with ``suppress``), False never does, None
        (default) prints it only when stdout is a terminal and ``suppress`` is False.
        """
        mnemonic = Keypair.generate_mnemonic(n_words)
        keypair = Keypair.create_from_mnemonic(mnemonic)
        self._write_coldkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        _show_new_mnemonic(mnemonic, "coldkey", self.coldkey_file, suppress=suppress, print_mnemonic=print_mnemonic)
        return self

    new_coldkey = create_new_coldkey

    def create_new_hotkey(
        self, n_words: int = 12, use_password: bool = False, overwrite: bool = False, suppress: bool = False,
        *, password: str | None = None, print_mnemonic: bool | None = None,
    ) -> Wallet:
        """Generate a hotkey from a fresh mnemonic and write it (plain unless ``use_password``).

        ``print_mnemonic``: as for :meth:`create_new_coldkey`.
        """
        mnemonic = Keypair.generate_mnemonic(n_words)
        keypair = Keypair.create_from_mnemonic(mnemonic)
        self._write_hotkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        _show_new_mnemonic(mnemonic, "hotkey", self.hotkey_file, suppress=suppress, print_mnemonic=print_mnemonic)
        return self

    new_hotkey = create_new_hotkey

    def regenerate_coldkey(
        self, mnemonic: str | list[str] | None = None, seed: str | bytes | None = None, use_password: bool = True,
        overwrite: bool = False, suppress: bool = False, *, password: str | None = None,
    ) -> Wallet:
        """Rewrite the coldkey (and coldkeypub) from its mnemonic or 32-byte seed."""
        keypair = keypair_from_secret(mnemonic, seed)
        self._write_coldkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        if not suppress:
            print(f"Regenerated the coldkey of {self}: {keypair.ss58_address}")
        return self

    def regenerate_coldkeypub(
        self, ss58_address: str | None = None, public_key: str | bytes | None = None,
        overwrite: bool = False, suppress: bool = False,
    ) -> Wallet:
        """Rewrite ``coldkeypub.txt`` from an SS58 address or a 32-byte public key (hex or bytes)."""
        if bool(ss58_address) == bool(public_key):
            raise WalletError("Give exactly one of ss58_address or public_key")
        if ss58_address:
            public_key_from_ss58(ss58_address)  # validates, with a clear error
            keypair = Keypair(ss58_address=ss58_address)
        else:
            raw = public_key
            if isinstance(raw, str):
                try:
                    raw = bytes.fromhex(raw.removeprefix("0x"))
                except ValueError as exc:
                    raise WalletError(f"Invalid public key {public_key!r}: not hex") from exc
            if not isinstance(raw, (bytes, bytearray)) or len(raw) != 32:
                raise WalletError(f"Invalid public key {public_key!r}: expected 32 bytes")
            keypair = Keypair(public_key=bytes(raw))
        self.set_coldkeypub(keypair, overwrite=overwrite)
        if not suppress:
            print(f"Regenerated the coldkeypub of {self}: {keypair.ss58_address}")
        return self

    def regenerate_hotkey(
        self, mnemonic: str | list[str] | None = None, seed: str | bytes | None = None, use_password: bool = False,
        overwrite: bool = False, suppress: bool = False, *, password: str | None = None,
    ) -> Wallet:
        """Rewrite the hotkey from its mnemonic or 32-byte seed."""
        keypair = keypair_from_secret(mnemonic, seed)
        self._write_hotkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        if not suppress:
            print(f"Regenerated hotkey '{self.hotkey_str}' of {self}: {keypair.ss58_address}")
        return self

    def create_coldkey_from_uri(
        self, uri: str, use_password: bool = True, overwrite: bool = False, suppress: bool = False,
        *, password: str | None = None,
    ) -> Wallet:
        """Write a coldkey derived from a secret URI such as ``//Alice`` (dev chains)."""
        keypair = Keypair.create_from_uri(uri)
        self._write_coldkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        if not suppress:
            print(f"Created the coldkey of {self} from {uri}: {keypair.ss58_address}")
        return self

    def create_hotkey_from_uri(
        self, uri: str, use_password: bool = False, overwrite: bool = False, suppress: bool = False,
        *, password: str | None = None,
    ) -> Wallet:
        """Write a hotkey derived from a secret URI such as ``//Bob``."""
        keypair = Keypair.create_from_uri(uri)
        self._write_hotkey(keypair, use_password=use_password, overwrite=overwrite, password=password)
        if not suppress:
            print(f"Created hotkey '{self.hotkey_str}' of {self} from {uri}: {keypair.ss58_address}")
        return self

    def create_if_non_existent(
        self, coldkey_use_password: bool = True, hotkey_use_password: bool = False, *,
        print_mnemonic: bool | None = None,
    ) -> Wallet:
        """Create the coldkey and the hotkey where their files are missing."""
        return self.create(coldkey_use_password, hotkey_use_password, print_mnemonic=print_mnemonic)

    def create(
        self, coldkey_use_password: bool = True, hotkey_use_password: bool = False, *,
        print_mnemonic: bool | None = None,
    ) -> Wallet:
        """Create the coldkey and the hotkey where their files are missing; keep existing ones.

        New mnemonics are printed as ``print_mnemonic`` says (see :meth:`create_new_coldkey`).
        """
        if not self.coldkey_file.exists_on_device() and not self.coldkeypub_file.exists_on_device():
            self.create_new_coldkey(n_words=12, use_password=coldkey_use_password, print_mnemonic=print_mnemonic)
        if not self.hotkey_file.exists_on_device():
            self.create_new_hotkey(n_words=12, use_password=hotkey_use_password, print_mnemonic=print_mnemonic)
        return self

    def hotkey_names(self) -> list[str]:
        """The names of this wallet's hotkeys on disk, sorted (public ``*pub.txt`` files excluded)."""
        folder = self.wallet_dir / "hotkeys"
        if not folder.is_dir():
            return []
        try:
            names = {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
        except OSError as exc:
            raise KeyFileError(f"Cannot list {folder}: {exc.strerror or exc}") from exc
        return sorted(n for n in names if not (n.endswith("pub.txt") and n[: -len("pub.txt")] in names))


"""Keyfiles: the JSON format of bittensor keys, ``$NACL`` encryption, and atomic 0600 writes.

A keyfile holds one keypair as JSON (``accountId``, ``publicKey``, ``privateKey``, ``secretPhrase``,
``secretSeed``, ``ss58Address``), optionally encrypted. We write ``$NACL`` (argon2i with bittensor's
fixed salt + NaCl SecretBox) and read ``$NACL``, ``$ANSIBLE_VAULT`` and legacy Fernet. Files are
replaced atomically (a temp file in the same folder, fsync, rename): a crash leaves the old file.

Like ssh, reading a private key whose file other users can access, or whose folder they can write,
logs one warning per path and process (``WARNING: UNPROTECTED PRIVATE KEY FILE! ...`` with the
``chmod`` that fixes it) on this module's logger; modes are never changed here.

Example:
    >>> import tempfile, pathlib
    >>> from bt_llm.wallet.keyfile import Keyfile
    >>> from bt_llm.wallet.keypair import Keypair
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "hotkeys" / "default"
    >>> kf = Keyfile(path)
    >>> kf.set_keypair(Keypair.create_from_uri("//Alice"), encrypt=False)
    >>> kf.keypair.ss58_address
    '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'
    >>> oct(path.stat().st_mode & 0o777)
    '0o600'
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shlex
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nacl import pwhash, secret
from nacl.exceptions import CryptoError

from bt_llm.errors import KeyFileError, PasswordError, WalletError
from bt_llm.wallet import legacy, passwords
from bt_llm.wallet.keypair import Keypair

NACL_PREFIX = b"$NACL"
NACL_SALT = b"\x13q\x83\xdf\xf1Z\t\xbc\x9c\x90\xb5Q\x879\xe9\xb1"
FILE_MODE = 0o600
DIR_MODE = 0o700

log = logging.getLogger(__name__)

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "NACL_PREFIX",
    "NACL_SALT",
    "KdfLimits",
    "Keyfile",
    "check_private_key_permissions",
    "decrypt_keyfile_data",
    "deserialize_keypair_from_keyfile_data",
    "encrypt_keyfile_data",
    "keyfile_data_encryption_method",
    "keyfile_data_is_encrypted",
    "serialized_keypair_to_keyfile_data",
    "write_atomic",
]


@dataclass(frozen=True)
class KdfLimits:
    """argon2i cost parameters; bittensor tools all use ``SENSITIVE`` (8 passes, 512 MiB)."""

    opslimit: int = pwhash.argon2i.OPSLIMIT_SENSITIVE
    memlimit: int = pwhash.argon2i.MEMLIMIT_SENSITIVE


# Module-level so tests can swap in cheap limits for round trips; files written with other limits
# cannot be read by bittensor tools.
KDF = KdfLimits()


# ----------------------------------------------------------------------------------------------
# serialization


def serialized_keypair_to_keyfile_data(keypair: Keypair) -> bytes:
    """The JSON keyfile bytes of ``keypair`` (secrets are null when the keypair lacks them)."""
    seed = keypair.seed_hex
    if isinstance(seed, (bytes, bytearray)):
        seed = seed.hex()
    public = "0x" + keypair.public_key.hex() if keypair.public_key else None
    document = {
        "accountId": public,
        "publicKey": public,
        "privateKey": "0x" + keypair.private_key.hex() if keypair.private_key else None,
        "secretPhrase": keypair.mnemonic or None,
        "secretSeed": "0x" + seed.removeprefix("0x") if seed else None,
        "ss58Address": keypair.ss58_address or None,
    }
    return json.dumps(document).encode()


def deserialize_keypair_from_keyfile_data(data: bytes, *, source: str = "keyfile") -> Keypair:
    """Load a keypair from plain keyfile bytes: JSON, or ``0x`` + hex of a raw public key.

    Loading order: ``secretPhrase``, ``secretSeed``, ``privateKey``, ``ss58Address``, ``publicKey``.

    Raises:
        KeyFileError: the bytes are encrypted, not a keyfile, or describe an inconsistent key
            (``source`` names the file in the message).
    """
    if keyfile_data_is_encrypted(data):
        raise KeyFileError(f"{source} is encrypted: decrypt it first")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{source} is corrupt: not text ({exc.reason})") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    try:
        if document is None and text.startswith("0x"):
            return Keypair(public_key=text)
        if not isinstance(document, dict):
            raise KeyFileError(f"{source} is corrupt: neither keyfile JSON nor a hex public key")
        keypair = _keypair_from_document(document, source)
    except WalletError as exc:
        if isinstance(exc, KeyFileError):
            raise
        raise KeyFileError(f"{source} is corrupt: {exc}") from exc
    expected = document.get("ss58Address")
    if expected and keypair.ss58_address != expected:
        raise KeyFileError(f"{source} is corrupt: its secret does not match its address {expected}")
    return keypair


def _keypair_from_document(document: dict[str, object], source: str) -> Keypair:
    def field(name: str) -> str | None:
        value = document.get(name)
        if value is not None and not isinstance(value, str):
            raise KeyFileError(f"{source} is corrupt: {name} is not a string")
        return value or None

    if phrase := field("secretPhrase"):
        return Keypair.create_from_mnemonic(phrase)
    if seed := field("secretSeed"):
        return Keypair.create_from_seed(seed)
    if private := field("privateKey"):
        return Keypair.create_from_private_key(private, public_key=field("publicKey"))
    if address := field("ss58Address"):
        return Keypair(ss58_address=address)
    if public := field("publicKey"):
        return Keypair(public_key=public)
    raise KeyFileError(f"{source} is corrupt: it holds no key")


# ----------------------------------------------------------------------------------------------
# encryption


def keyfile_data_is_encrypted_nacl(data: bytes) -> bool:
    """Whether ``data`` is ``$NACL``-encrypted."""
    return data[: len(NACL_PREFIX)] == NACL_PREFIX


def keyfile_data_encryption_method(data: bytes) -> str | None:
    """``"NaCl"``, ``"Ansible Vault"``, ``"legacy"``, or None for plain data."""
    if keyfile_data_is_encrypted_nacl(data):
        return "NaCl"
    if legacy.is_ansible_vault(data):
        return "Ansible Vault"
    if legacy.is_legacy_fernet(data):
        return "legacy"
    return None


def keyfile_data_is_encrypted(data: bytes) -> bool:
    """Whether ``data`` is encrypted in any format we recognise."""
    return keyfile_data_encryption_method(data) is not None


def _nacl_key(password: str) -> bytes:
    return pwhash.argon2i.kdf(
        secret.SecretBox.KEY_SIZE, password.encode(), NACL_SALT, opslimit=KDF.opslimit, memlimit=KDF.memlimit
    )


def encrypt_keyfile_data(data: bytes, password: str) -> bytes:
    """``$NACL`` + nonce + SecretBox ciphertext of ``data`` under ``password``."""
    return NACL_PREFIX + bytes(secret.SecretBox(_nacl_key(password)).encrypt(data))


def decrypt_keyfile_data(data: bytes, password: str, *, what: str = "keyfile") -> bytes:
    """Decrypt keyfile bytes in any supported format.

    Raises:
        PasswordError: the password is wrong (the message names ``what``).
        KeyFileError: the data is not encrypted, or too damaged to attempt.
    """
    method = keyfile_data_encryption_method(data)
    if method == "NaCl":
        box = data[len(NACL_PREFIX):]
        if len(box) < secret.SecretBox.NONCE_SIZE + secret.SecretBox.MACBYTES:
            raise KeyFileError(f"{what} is corrupt: truncated $NACL data ({len(data)} bytes)")
        try:
            return secret.SecretBox(_nacl_key(password)).decrypt(box)
        except CryptoError as exc:
            raise PasswordError(f"Wrong password for {what} (or the file is damaged)") from exc
    if method == "Ansible Vault":
        return legacy.decrypt_ansible_vault(data, password, what=what)
    if method == "legacy":
        return legacy.decrypt_legacy_fernet(data, password, what=what)
    raise KeyFileError(f"{what} is not encrypted")


# ----------------------------------------------------------------------------------------------
# files


def write_atomic(path: str | Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data`` atomically: temp file in the same folder, fsync, rename.

    Raises:
        KeyFileError: the folder is not writable (the message names the path).
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KeyFileError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise KeyFileError(f"Cannot write {path}: {exc.strerror or exc}") from exc
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


_warned_paths: set[str] = set()  # paths already warned about in this process


def check_private_key_permissions(path: str | Path, folders: Iterable[str | Path] = ()) -> list[str]:
    """Warn, like ssh, when the private key file ``path`` or a folder holding it is open to other users.

    The file must not be accessible by group or others (no bit of ``0o077``); its folder and each of
    ``folders`` must not be writable by them (``0o022``), sticky folders such as ``/tmp`` excepted.
    Each warning is one line on this module's logger, at most once per path per process; modes are
    never changed. Paths that cannot be inspected are skipped (reading them reports the error).

    Returns:
        The warnings this call logged.
    """
    if os.name == "nt":  # POSIX modes mean nothing there
        return []
    path = Path(path)
    checks = [(path, 0o077, "file")]
    checks += [(Path(folder), 0o022, "folder") for folder in dict.fromkeys([path.parent, *map(Path, folders)])]
    messages = []
    for target, forbidden, kind in checks:
        key = os.path.realpath(target)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            continue
        if key in _warned_paths or not mode & forbidden or (kind == "folder" and mode & stat.S_ISVTX):
            continue
        _warned_paths.add(key)
        quoted = shlex.quote(str(target))
        if kind == "file":
            message = (f"WARNING: UNPROTECTED PRIVATE KEY FILE! Permissions {mode:04o} for '{target}' are too "
                       f"open: a private key must not be accessible by group or others. Fix: chmod 600 {quoted}")
        else:
            message = (f"WARNING: UNPROTECTED WALLET FOLDER! Permissions {mode:04o} for '{target}' are too open: "
                       f"group or others can replace the keys in it. Fix: chmod 700 {quoted}")
        log.warning(message)
        messages.append(message)
    return messages


class Keyfile:
    """One keyfile on disk.

    Args:
        path: the file (``~`` is expanded).
        name: what the key is, for prompts and errors (e.g. "the coldkey of wallet 'default'").
        env_wallet: the wallet whose ``BT_COLD_PW_<NAME>`` holds this file's password (coldkeys).
        wallet_dir: the wallet folder holding the file: its mode is checked too when a private key is
            read (the file's own folder always is).
    """

    def __init__(self, path: str | Path, name: str | None = None, *, env_wallet: str | None = None,
                 wallet_dir: str | Path | None = None) -> None:
        self.path = Path(os.path.expanduser(str(path)))
        self.name = name or f"keyfile {self.path}"
        self.env_wallet = env_wallet
        self.wallet_dir = Path(os.path.expanduser(str(wallet_dir))) if wallet_dir is not None else None

    def __str__(self) -> str:
        state = "encrypted" if self.exists_on_device() and self._safe_is_encrypted() else "decrypted"
        return f"keyfile ({state}, {self.path})"

    __repr__ = __str__

    @property
    def what(self) -> str:
        """The key's description plus its path, as errors print it."""
        return f"{self.name} ({self.path})"

    def exists_on_device(self) -> bool:
        """Whether the file exists."""
        return self.path.is_file()

    def is_readable(self) -> bool:
        """Whether the file exists and can be read."""
        return self.exists_on_device() and os.access(self.path, os.R_OK)

    def is_writable(self) -> bool:
        """Whether the file exists and can be written."""
        return self.exists_on_device() and os.access(self.path, os.W_OK)

    @property
    def data(self) -> bytes:
        """The raw bytes of the file.

        Raises:
            KeyFileError: missing or unreadable (names the file).
        """
        try:
            return self.path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyFileError(f"{self.what} does not exist") from exc
        except OSError as exc:
            raise KeyFileError(f"Cannot read {self.what}: {exc.strerror or exc}") from exc

    def is_encrypted(self) -> bool:
        """Whether the file's content is encrypted."""
        return keyfile_data_is_encrypted(self.data)

    def _safe_is_encrypted(self) -> bool:
        try:
            return self.is_encrypted()
        except KeyFileError:
            return False

    @property
    def keypair(self) -> Keypair:
        """The keypair, decrypting if needed (password from env or prompt)."""
        return self.get_keypair()

    def get_keypair(self, password: str | None = None) -> Keypair:
        """Load the keypair; an encrypted file is decrypted once per process and then remembered.

        A private key (encrypted, or plain with its secret) whose file or folder other users can reach
        is logged as a warning (see :func:`check_private_key_permissions`).

        Raises:
            KeyFileError: missing, unreadable or corrupt file.
            PasswordError: wrong password, or none available.
        """
        data = self.data
        if not data.strip():
            raise KeyFileError(f"{self.what} is corrupt: the file is empty")
        if not keyfile_data_is_encrypted(data):
            keypair = deserialize_keypair_from_keyfile_data(data, source=str(self.path))
            if keypair.private_key:
                self.check_permissions()
            return keypair
        self.check_permissions()  # before any password prompt, as ssh does
        if password is None and (known := passwords.recall_unlocked(str(self.path), data)) is not None:
            return known
        if password is None:
            password = passwords.ask_password_to_decrypt(self.what, env_wallet=self.env_wallet)
        plain = decrypt_keyfile_data(data, password, what=self.what)
        keypair = deserialize_keypair_from_keyfile_data(plain, source=str(self.path))
        passwords.remember_unlocked(str(self.path), data, keypair)
        return keypair

    def check_permissions(self) -> list[str]:
        """Warn (once per path) when this private key's file or folders are open to other users."""
        return check_private_key_permissions(self.path, [self.wallet_dir] if self.wallet_dir else [])

    def make_dirs(self) -> None:
        """Create the file's folder and any missing parent, each mode 0700; existing folders keep theirs.

        Raises:
            KeyFileError: the folder cannot be created (names it).
        """
        folder = self.path.parent
        missing = list(itertools.takewhile(lambda p: not p.exists(), (folder, *folder.parents)))
        try:
            for new in reversed(missing):  # mkdir -p would make the parents 0755 (or 0775)
                new.mkdir(mode=DIR_MODE, exist_ok=True)
        except OSError as exc:
            raise KeyFileError(f"Cannot create {self.path.parent}: {exc.strerror or exc}") from exc
        if not self.path.parent.is_dir():
            raise KeyFileError(f"Cannot create {self.path.parent}: not a directory")

    def set_keypair(
        self, keypair: Keypair, encrypt: bool = True, overwrite: bool = False, password: str | None = None
    ) -> None:
        """Write ``keypair`` (encrypted with ``$NACL`` when ``encrypt``), atomically, mode 0600.

        Raises:
            KeyFileError: the file exists and ``overwrite`` is False (and no one confirmed on a
                terminal), or the folder is not writable.
            PasswordError: ``encrypt`` without a password, env variable or terminal.
        """
        self.check_overwrite(overwrite)
        data = serialized_keypair_to_keyfile_data(keypair)
        if encrypt:
            if password is None:
                password = passwords.ask_password_to_encrypt(self.name, env_wallet=self.env_wallet)
            data = encrypt_keyfile_data(data, password)
        self.make_dirs()
        write_atomic(self.path, data)

    def check_overwrite(self, overwrite: bool) -> None:
        """Raise unless the file is absent, ``overwrite`` is set, or a person confirms on a terminal."""
        if overwrite or not self.path.exists():
            return
        if passwords.can_prompt():
            answer = input(f"File {self.path} already exists. Overwrite? (y/N) ").strip().lower()
            if answer in ("y", "yes"):
                return
        raise KeyFileError(f"{self.what} already exists: pass overwrite=True to replace it")

    def encrypt(self, password: str | None = None) -> None:
        """Encrypt the file in place with ``$NACL`` (no-op when already encrypted)."""
        if self.is_encrypted():
            return
        keypair = self.get_keypair()
        self.set_keypair(keypair, encrypt=True, overwrite=True, password=password)

    def decrypt(self, password: str | None = None) -> None:
        """Rewrite the file unencrypted (no-op when already plain)."""
        if not self.is_encrypted():
            return
        keypair = self.get_keypair(password)
        self.set_keypair(keypair, encrypt=False, overwrite=True)

    def check_and_update_encryption(self, password: str | None = None) -> bool:
        """Re-encrypt an ``$ANSIBLE_VAULT`` or legacy file as ``$NACL``; True when the file is ``$NACL`` now.

        The old file stays untouched unless decryption succeeds (a wrong password changes nothing).
        """
        data = self.data
        method = keyfile_data_encryption_method(data)
        if method is None:
            return False
        if method == "NaCl":
            return True
        if password is None:
            password = passwords.ask_password_to_decrypt(self.what, env_wallet=self.env_wallet)
        keypair = deserialize_keypair_from_keyfile_data(
            decrypt_keyfile_data(data, password, what=self.what), source=str(self.path)
        )
        self.set_keypair(keypair, encrypt=True, overwrite=True, password=password)
        return True

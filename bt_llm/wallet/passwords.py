"""Where keyfile passwords come from, and the per-process memory of unlocked keys.

A coldkey's password comes from, in order: an explicit ``password=`` argument, the environment
variable ``BT_COLD_PW_<NAME>`` (the wallet name upper-cased), or a prompt on the terminal (asked twice
when encrypting). Without a terminal and without the variable, :class:`~bt_llm.errors.PasswordError`
says which variable to set: a library call never blocks on a prompt nobody can answer.

A key decrypted once stays unlocked for the rest of the process (keyed by file path and content), so
a long-running miner or validator asks once and never pays argon2i's second or two again.

Example:
    >>> import os
    >>> from bt_llm.wallet.passwords import env_var_name, password_from_env
    >>> env_var_name("my-wallet")
    'BT_COLD_PW_MY_WALLET'
    >>> os.environ["BT_COLD_PW_DOCTEST"] = "s3cret"
    >>> password_from_env("doctest")
    's3cret'
    >>> del os.environ["BT_COLD_PW_DOCTEST"]
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import sys
from typing import TYPE_CHECKING

from bt_llm import settings
from bt_llm.errors import PasswordError

if TYPE_CHECKING:
    from bt_llm.wallet.keypair import Keypair

ENV_PREFIX = settings.COLDKEY_PASSWORD_PREFIX
MAX_ATTEMPTS = 3

_unlocked: dict[tuple[str, str], Keypair] = {}


def env_var_name(wallet_name: str) -> str:
    """The environment variable holding the coldkey password of ``wallet_name``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9_]", "_", wallet_name.upper())


def password_from_env(wallet_name: str) -> str | None:
    """The coldkey password of ``wallet_name`` from the environment, or None.

    ``BT_COLD_PW_<NAME>`` with the name upper-cased as is is tried first, then the same with every
    character other than letters, digits and ``_`` replaced by ``_`` (shells cannot set the former for
    a name such as ``my-wallet``).
    """
    for var in (ENV_PREFIX + wallet_name.upper(), env_var_name(wallet_name)):
        value = settings.get_exact(var)  # an empty password is a password
        if value is not None:
            return value
    return None


def can_prompt() -> bool:
    """Whether a person can answer a prompt (stdin is a terminal)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _no_prompt_error(what: str, env_wallet: str | None) -> PasswordError:
    hint = f"set {env_var_name(env_wallet)}" if env_wallet else "pass password="
    return PasswordError(f"A password is needed for {what} but there is no terminal to ask: {hint}")


def ask_password_to_encrypt(what: str, *, env_wallet: str | None = None) -> str:
    """A new password for ``what`` (e.g. "the coldkey of wallet 'default'"): env, else asked twice.

    Args:
        what: names the key in prompts and errors.
        env_wallet: the wallet whose ``BT_COLD_PW_<NAME>`` may hold the password (coldkeys only).

    Raises:
        PasswordError: no terminal and no environment variable, or the two entries never matched.
    """
    if env_wallet and (value := password_from_env(env_wallet)) is not None:
        return value
    if not can_prompt():
        raise _no_prompt_error(what, env_wallet)
    for _ in range(MAX_ATTEMPTS):
        first = getpass.getpass(f"Specify password for {what}: ")
        if not first:
            print("The password cannot be empty.", file=sys.stderr)
            continue
        if getpass.getpass("Retype your password: ") == first:
            return first
        print("Passwords did not match.", file=sys.stderr)
    raise PasswordError(f"No password set for {what}: the entries did not match")


def ask_password_to_decrypt(what: str, *, env_wallet: str | None = None) -> str:
    """The password of ``what``: from ``BT_COLD_PW_<env_wallet>`` when set, else asked on the terminal."""
    if env_wallet and (value := password_from_env(env_wallet)) is not None:
        return value
    if not can_prompt():
        raise _no_prompt_error(what, env_wallet)
    return getpass.getpass(f"Enter password to unlock {what}: ")


def _cache_key(path: str, data: bytes) -> tuple[str, str]:
    return (os.path.realpath(path), hashlib.sha256(data).hexdigest())


def remember_unlocked(path: str, data: bytes, keypair: Keypair) -> None:
    """Keep ``keypair`` (decrypted from ``data`` read at ``path``) for the rest of the process."""
    _unlocked[_cache_key(path, data)] = keypair


def recall_unlocked(path: str, data: bytes) -> Keypair | None:
    """The keypair unlocked earlier from exactly this file content, if any."""
    return _unlocked.get(_cache_key(path, data))


def forget_unlocked() -> None:
    """Drop every unlocked key from memory (tests, or a process that wants to lock again)."""
    _unlocked.clear()

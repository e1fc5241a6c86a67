"""Read-only decryption of the keyfile formats older bittensor releases wrote.

* ``$ANSIBLE_VAULT`` (bittensor 5.x ``legacy_encrypt_keyfile_data`` via the ``ansible-vault`` package):
  Ansible Vault 1.1/1.2 ``AES256``: PBKDF2-HMAC-SHA256 (10,000 iterations, the file's 32-byte salt)
  gives 80 bytes = AES-256 key, HMAC-SHA256 key, CTR counter; the HMAC covers the ciphertext.
* Legacy Fernet (starts with ``gAAAAA``): PBKDF2-HMAC-SHA256 with 10,000,000 iterations and bittensor's
  fixed salt gives the 32-byte Fernet key (16 bytes HMAC key, 16 bytes AES-128-CBC key).

Both are fixed, documented formats; the primitives come from ``hashlib``/``hmac`` and pycryptodome
(the ``ansible`` package is hundreds of megabytes and ``cryptography`` is not a dependency). Writing
these formats is deliberately not supported: we always write ``$NACL``.

Example:
    >>> from bt_llm.wallet.legacy import is_ansible_vault, is_legacy_fernet
    >>> is_ansible_vault(b"$ANSIBLE_VAULT;1.1;AES256\\n..."), is_legacy_fernet(b"gAAAAABk...")
    (True, True)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad

from bt_llm.errors import KeyFileError, PasswordError

ANSIBLE_PREFIX = b"$ANSIBLE_VAULT"
LEGACY_PREFIX = b"gAAAAA"
LEGACY_SALT = b"Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins"
LEGACY_ITERATIONS = 10_000_000
ANSIBLE_ITERATIONS = 10_000

__all__ = ["decrypt_ansible_vault", "decrypt_legacy_fernet", "is_ansible_vault", "is_legacy_fernet"]


def is_ansible_vault(data: bytes) -> bool:
    """Whether ``data`` is an Ansible Vault document."""
    return data[: len(ANSIBLE_PREFIX)] == ANSIBLE_PREFIX


def is_legacy_fernet(data: bytes) -> bool:
    """Whether ``data`` is a Fernet token (bittensor's oldest keyfile encryption)."""
    return data[: len(LEGACY_PREFIX)] == LEGACY_PREFIX


def decrypt_ansible_vault(data: bytes, password: str, *, what: str) -> bytes:
    """Decrypt an Ansible Vault ``AES256`` document.

    Raises:
        KeyFileError: the document is malformed (``what`` names the file).
        PasswordError: the HMAC does not match: a wrong password (or altered ciphertext).
    """
    try:
        header, _, body = data.strip().partition(b"\n")
        fields = header.decode("ascii").split(";")
        if len(fields) < 3 or fields[1] not in ("1.1", "1.2") or fields[2].strip() != "AES256":
            raise KeyFileError(f"{what}: unsupported Ansible Vault header {header[:60]!r}")
        inner = binascii.unhexlify(b"".join(body.split()))
        salt_hex, mac_hex, cipher_hex = inner.split(b"\n", 2)
        salt, mac, ciphertext = (binascii.unhexlify(x.strip()) for x in (salt_hex, mac_hex, cipher_hex))
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise KeyFileError(f"{what} is corrupt: not a readable Ansible Vault document ({exc})") from exc
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ANSIBLE_ITERATIONS, dklen=80)
    aes_key, mac_key, counter = derived[:32], derived[32:64], derived[64:]
    if not hmac.compare_digest(hmac.new(mac_key, ciphertext, hashlib.sha256).digest(), mac):
        raise PasswordError(f"Wrong password for {what}")
    cipher = AES.new(aes_key, AES.MODE_CTR, nonce=b"", initial_value=counter)
    try:
        return unpad(cipher.decrypt(ciphertext), AES.block_size)
    except ValueError as exc:
        raise KeyFileError(f"{what} is corrupt: bad padding in the Ansible Vault payload") from exc


def decrypt_legacy_fernet(data: bytes, password: str, *, what: str) -> bytes:
    """Decrypt a legacy Fernet keyfile (10 million PBKDF2 rounds: a few seconds).

    Raises:
        KeyFileError: the token is malformed.
        PasswordError: the HMAC does not match.
    """
    try:
        token = base64.urlsafe_b64decode(data.strip())
    except (ValueError, binascii.Error) as exc:
        raise KeyFileError(f"{what} is corrupt: not a Fernet token ({exc})") from exc
    # version (1) | timestamp (8) | IV (16) | ciphertext (n * 16) | HMAC-SHA256 (32)
    if len(token) < 1 + 8 + 16 + 16 + 32 or token[0] != 0x80 or (len(token) - 57) % 16:
        raise KeyFileError(f"{what} is corrupt: truncated or malformed Fernet token")
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), LEGACY_SALT, LEGACY_ITERATIONS, dklen=32)
    signing_key, encryption_key = key[:16], key[16:]
    signed, mac = token[:-32], token[-32:]
    if not hmac.compare_digest(hmac.new(signing_key, signed, hashlib.sha256).digest(), mac):
        raise PasswordError(f"Wrong password for {what}")
    iv, ciphertext = token[9:25], token[25:-32]
    try:
        return unpad(AES.new(encryption_key, AES.MODE_CBC, iv=iv).decrypt(ciphertext), AES.block_size)
    except ValueError as exc:
        raise KeyFileError(f"{what} is corrupt: bad padding in the Fernet payload") from exc

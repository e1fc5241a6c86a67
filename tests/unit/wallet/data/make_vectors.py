"""Regenerate the keyfile vectors in this folder with the reference SDK (bittensor 6.12.4).

Run with the reference venv, never ours: ``.interop-venv-bt6/bin/python tests/unit/wallet/data/make_vectors.py``.
Writes ``nacl_coldkey``, ``ansible_coldkey``, ``fernet_coldkey`` (the spec's mnemonic, encrypted with
``PASSWORD``) and ``plain_hotkey`` (unencrypted), each exactly as bittensor 6 writes them.
"""

import base64
import pathlib

from bittensor import Keypair
from bittensor.keyfile import (
    encrypt_keyfile_data,
    legacy_encrypt_keyfile_data,
    serialized_keypair_to_keyfile_data,
)
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review"
PASSWORD = "vector-password-1"
HERE = pathlib.Path(__file__).parent

data = serialized_keypair_to_keyfile_data(Keypair.create_from_mnemonic(MNEMONIC))
(HERE / "plain_hotkey").write_bytes(data)
(HERE / "nacl_coldkey").write_bytes(encrypt_keyfile_data(data, PASSWORD))
(HERE / "ansible_coldkey").write_bytes(legacy_encrypt_keyfile_data(data, PASSWORD))
kdf = PBKDF2HMAC(
    algorithm=hashes.SHA256(),
    salt=b"Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins",
    length=32,
    iterations=10_000_000,
)
key = base64.urlsafe_b64encode(kdf.derive(PASSWORD.encode()))
(HERE / "fernet_coldkey").write_bytes(Fernet(key).encrypt(data))
print("vectors written to", HERE)

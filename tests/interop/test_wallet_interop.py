"""Our keyfiles and bittensor-wallet 4.1.1's, both ways: same addresses, mnemonics, signatures.

bittensor-wallet runs in ``.interop-venv`` through a subprocess (``make interop`` builds it); the
tests skip with a reason where it is absent. Real argon2i limits on both sides, so these are slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bt_llm.wallet import passwords
from bt_llm.wallet.keypair import Keypair
from bt_llm.wallet.wallet import Wallet
from tests.interop.reference import BT9_PYTHON, requires_bt9, run_reference

pytestmark = [pytest.mark.interop, pytest.mark.slow, requires_bt9]

SPEC_MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review"
SPEC_ADDRESS = "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX"
PASSWORD = "interop-pw-1"
MESSAGE = "interop message"


@pytest.fixture(autouse=True)
def _fresh_memory() -> None:
    passwords.forget_unlocked()


def test_bittensor_wallet_loads_our_keys(tmp_path: Path) -> None:
    ours = Wallet(name="ours", hotkey="hot", path=str(tmp_path))
    ours.regenerate_coldkey(mnemonic=SPEC_MNEMONIC, use_password=True, password=PASSWORD, suppress=True)
    ours.create_new_hotkey(suppress=True)
    plain_cold = Wallet(name="plain", hotkey="hot", path=str(tmp_path))
    plain_cold.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    hotkey = ours.hotkey
    our_signature = hotkey.sign(MESSAGE).hex()
    cold_signature = ours.coldkey.sign(MESSAGE).hex()  # kept in memory since it was written

    code = f"""
import json
from bittensor_wallet import Keypair, Wallet
from bittensor_wallet.keyfile import decrypt_keyfile_data, deserialize_keypair_from_keyfile_data
w = Wallet(name="ours", hotkey="hot", path={str(tmp_path)!r})
cold_plain = decrypt_keyfile_data(w.coldkey_file.data, password={PASSWORD!r})  # one argon2i run
cold = deserialize_keypair_from_keyfile_data(cold_plain)
hot = w.get_hotkey()
plain = Wallet(name="plain", hotkey="hot", path={str(tmp_path)!r}).get_coldkey()
print(json.dumps({{
    "encrypted": w.coldkey_file.is_encrypted(),
    "cold": cold.ss58_address,
    "cold_mnemonic": json.loads(cold_plain)["secretPhrase"],
    "coldpub": w.get_coldkeypub().ss58_address,
    "hot": hot.ss58_address, "hot_mnemonic": json.loads(w.hotkey_file.data)["secretPhrase"],
    "hotpub": w.get_hotkeypub().ss58_address,
    "plain": plain.ss58_address,
    "mnemonic_address": Keypair.create_from_mnemonic({SPEC_MNEMONIC!r}).ss58_address,
    "verifies_hot": hot.verify({MESSAGE!r}, bytes.fromhex({our_signature!r})),
    "verifies_cold": cold.verify({MESSAGE!r}, bytes.fromhex({cold_signature!r})),
    "their_signature": hot.sign({MESSAGE!r}).hex(),
}}))
"""
    result = run_reference(BT9_PYTHON, code)
    assert isinstance(result, dict)
    assert result["encrypted"] is True
    assert result["cold"] == result["coldpub"] == SPEC_ADDRESS
    assert result["cold_mnemonic"] == SPEC_MNEMONIC
    assert result["mnemonic_address"] == SPEC_ADDRESS
    assert result["hot"] == result["hotpub"] == hotkey.ss58_address
    assert result["hot_mnemonic"] == hotkey.mnemonic
    assert result["plain"] == Keypair.create_from_uri("//Alice").ss58_address
    assert result["verifies_hot"] and result["verifies_cold"]
    assert hotkey.verify(MESSAGE, bytes.fromhex(result["their_signature"]))


def test_we_load_bittensor_wallet_keys(tmp_path: Path) -> None:
    code = f"""
import json
from bittensor_wallet import Wallet
w = Wallet(name="theirs", hotkey="hot", path={str(tmp_path)!r})
w.regenerate_coldkey(mnemonic={SPEC_MNEMONIC!r}, use_password=True, coldkey_password={PASSWORD!r},
                     overwrite=True, suppress=True)
w.create_new_hotkey(n_words=12, use_password=False, overwrite=True, suppress=True)
hot = w.get_hotkey()
print(json.dumps({{"hot": hot.ss58_address, "hot_mnemonic": json.loads(w.hotkey_file.data)["secretPhrase"],
                   "signature": hot.sign({MESSAGE!r}).hex()}}))
"""
    result = run_reference(BT9_PYTHON, code)
    assert isinstance(result, dict)
    folder = tmp_path / "theirs"
    assert (folder / "coldkey").read_bytes().startswith(b"$NACL")
    theirs = Wallet(name="theirs", hotkey="hot", path=str(tmp_path))
    cold = theirs.get_coldkey(PASSWORD)
    assert cold.ss58_address == theirs.coldkeypub.ss58_address == SPEC_ADDRESS
    assert cold.mnemonic == SPEC_MNEMONIC
    assert theirs.hotkey.ss58_address == result["hot"] == theirs.hotkeypub.ss58_address
    assert theirs.hotkey.mnemonic == result["hot_mnemonic"]
    assert theirs.hotkey.verify(MESSAGE, bytes.fromhex(result["signature"]))
    # their public files parse as JSON documents with the address
    assert json.loads((folder / "coldkeypub.txt").read_text())["ss58Address"] == SPEC_ADDRESS

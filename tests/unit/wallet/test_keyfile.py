"""Keyfiles: JSON, encryption formats, corrupt files, atomic 0600 writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bt_llm.errors import KeyFileError, PasswordError
from bt_llm.wallet import keyfile as keyfile_module
from bt_llm.wallet.keyfile import (
    Keyfile,
    decrypt_keyfile_data,
    deserialize_keypair_from_keyfile_data,
    encrypt_keyfile_data,
    keyfile_data_encryption_method,
    serialized_keypair_to_keyfile_data,
    write_atomic,
)
from bt_llm.wallet.keypair import Keypair
from tests.unit.wallet.conftest import DATA, SPEC_ADDRESS, SPEC_MNEMONIC, VECTOR_PASSWORD


@pytest.fixture
def spec_keypair() -> Keypair:
    return Keypair.create_from_mnemonic(SPEC_MNEMONIC)


def test_json_fields(spec_keypair: Keypair) -> None:
    document = json.loads(serialized_keypair_to_keyfile_data(spec_keypair))
    public = "0x" + spec_keypair.public_key.hex()
    assert document["accountId"] == document["publicKey"] == public
    assert document["privateKey"] == "0x" + spec_keypair.private_key.hex()
    assert len(bytes.fromhex(document["privateKey"][2:])) == 64
    assert document["secretPhrase"] == SPEC_MNEMONIC
    assert document["secretSeed"].startswith("0x") and len(document["secretSeed"]) == 66
    assert document["ss58Address"] == SPEC_ADDRESS


def test_same_json_as_bittensor(spec_keypair: Keypair) -> None:
    # data/plain_hotkey was written by bittensor 6.12.4: we parse to the same document.
    ours = json.loads(serialized_keypair_to_keyfile_data(spec_keypair))
    assert ours == json.loads((DATA / "plain_hotkey").read_bytes())


def test_public_keypair_serializes_nulls() -> None:
    document = json.loads(serialized_keypair_to_keyfile_data(Keypair(ss58_address=SPEC_ADDRESS)))
    assert document["privateKey"] is None and document["secretPhrase"] is None and document["secretSeed"] is None
    assert document["ss58Address"] == SPEC_ADDRESS


def test_loading_order_and_compact_json(spec_keypair: Keypair) -> None:
    full = json.loads(serialized_keypair_to_keyfile_data(spec_keypair))
    # bittensor-wallet: compact JSON, any key order, absent keys omitted.
    only_seed = json.dumps({"ss58Address": SPEC_ADDRESS, "secretSeed": full["secretSeed"]}, separators=(",", ":"))
    loaded = deserialize_keypair_from_keyfile_data(only_seed.encode())
    assert loaded.ss58_address == SPEC_ADDRESS and loaded.private_key == spec_keypair.private_key
    only_private = json.dumps({"privateKey": full["privateKey"], "publicKey": full["publicKey"]})
    assert deserialize_keypair_from_keyfile_data(only_private.encode()).private_key == spec_keypair.private_key
    only_address = deserialize_keypair_from_keyfile_data(json.dumps({"ss58Address": SPEC_ADDRESS}).encode())
    assert only_address.ss58_address == SPEC_ADDRESS and not only_address.private_key
    raw_public = deserialize_keypair_from_keyfile_data(("0x" + spec_keypair.public_key.hex()).encode())
    assert raw_public.ss58_address == SPEC_ADDRESS
    # secretPhrase wins over a (here wrong) privateKey
    mixed = dict(full, privateKey="0x" + "11" * 64, ss58Address=None)
    assert deserialize_keypair_from_keyfile_data(json.dumps(mixed).encode()).ss58_address == SPEC_ADDRESS


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b'{"accountId": "0xe4359ad3e2716c539a1d663ebd0a51bd', "corrupt"),  # truncated JSON
        (b"\xff\xfe\x00garbage", "corrupt"),
        (b"[1, 2, 3]", "corrupt"),
        (b"{}", "holds no key"),
        (b'{"secretPhrase": "old leopard"}', "corrupt"),
        (b"$NACL\x00\x01", "truncated"),
    ],
)
def test_corrupt_keyfile_names_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "hotkeys" / "broken"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match=reason) as info:
        Keyfile(path).get_keypair(password="x")
    assert str(path) in str(info.value)


def test_secret_address_mismatch_is_corrupt(tmp_path: Path, spec_keypair: Keypair) -> None:
    document = json.loads(serialized_keypair_to_keyfile_data(spec_keypair))
    document["ss58Address"] = Keypair.create_from_uri("//Alice").ss58_address
    path = tmp_path / "k"
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="does not match"):
        _ = Keyfile(path).keypair


def test_missing_keyfile(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        _ = Keyfile(tmp_path / "nope").keypair


def test_plain_round_trip_mode_0600(tmp_path: Path, spec_keypair: Keypair) -> None:
    kf = Keyfile(tmp_path / "a" / "b" / "hot")
    kf.set_keypair(spec_keypair, encrypt=False)
    assert kf.path.stat().st_mode & 0o777 == 0o600
    assert not kf.is_encrypted()
    assert kf.keypair.ss58_address == SPEC_ADDRESS
    assert kf.keypair.mnemonic == SPEC_MNEMONIC


def test_encrypted_round_trip_and_wrong_password(tmp_path: Path, spec_keypair: Keypair) -> None:
    kf = Keyfile(tmp_path / "coldkey", "the coldkey of wallet 'w'")
    kf.set_keypair(spec_keypair, encrypt=True, password="right")
    data = kf.path.read_bytes()
    assert data.startswith(b"$NACL") and keyfile_data_encryption_method(data) == "NaCl"
    assert kf.path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(PasswordError, match="Wrong password for the coldkey of wallet 'w'"):
        kf.get_keypair("wrong")
    assert kf.path.read_bytes() == data
    assert kf.get_keypair("right").ss58_address == SPEC_ADDRESS


def test_encrypt_and_decrypt_in_place(tmp_path: Path, spec_keypair: Keypair) -> None:
    kf = Keyfile(tmp_path / "hot")
    kf.set_keypair(spec_keypair, encrypt=False)
    kf.encrypt("pw")
    assert kf.is_encrypted()
    kf.decrypt("pw")
    assert not kf.is_encrypted() and kf.keypair.ss58_address == SPEC_ADDRESS


def test_encrypted_without_password_or_terminal(tmp_path: Path, spec_keypair: Keypair) -> None:
    kf = Keyfile(tmp_path / "coldkey", "the coldkey of wallet 'nobody'", env_wallet="nobody")
    with pytest.raises(PasswordError, match="BT_COLD_PW_NOBODY"):
        kf.set_keypair(spec_keypair, encrypt=True)
    assert not kf.path.exists()


@pytest.mark.slow
def test_nacl_vector_from_bittensor(real_kdf: None) -> None:
    # $NACL written by bittensor 6.12.4 with the real argon2i limits and the fixed salt.
    data = (DATA / "nacl_coldkey").read_bytes()
    plain = decrypt_keyfile_data(data, VECTOR_PASSWORD)
    assert deserialize_keypair_from_keyfile_data(plain).ss58_address == SPEC_ADDRESS


def test_ansible_vault_vector_read_only(tmp_path: Path) -> None:
    data = (DATA / "ansible_coldkey").read_bytes()
    assert keyfile_data_encryption_method(data) == "Ansible Vault"
    with pytest.raises(PasswordError):
        decrypt_keyfile_data(data, "wrong", what="x")
    assert deserialize_keypair_from_keyfile_data(decrypt_keyfile_data(data, VECTOR_PASSWORD)).ss58_address == (
        SPEC_ADDRESS
    )


def test_ansible_vault_corrupt(tmp_path: Path) -> None:
    data = (DATA / "ansible_coldkey").read_bytes()
    with pytest.raises(KeyFileError, match="Ansible Vault"):
        decrypt_keyfile_data(data[:100], VECTOR_PASSWORD, what="x")


@pytest.mark.slow
def test_legacy_fernet_vector_read_only() -> None:
    data = (DATA / "fernet_coldkey").read_bytes()
    assert keyfile_data_encryption_method(data) == "legacy"
    plain = decrypt_keyfile_data(data, VECTOR_PASSWORD)
    assert deserialize_keypair_from_keyfile_data(plain).ss58_address == SPEC_ADDRESS


def test_fernet_truncated_is_corrupt() -> None:
    with pytest.raises(KeyFileError, match="Fernet"):
        decrypt_keyfile_data(b"gAAAAABkAAAA", "pw", what="x")


def test_update_encryption_from_ansible(tmp_path: Path) -> None:
    path = tmp_path / "coldkey"
    path.write_bytes((DATA / "ansible_coldkey").read_bytes())
    kf = Keyfile(path, "the coldkey of wallet 'old'")
    before = path.read_bytes()
    with pytest.raises(PasswordError, match="wallet 'old'"):
        kf.check_and_update_encryption("wrong")
    assert path.read_bytes() == before
    assert kf.check_and_update_encryption(VECTOR_PASSWORD)
    assert path.read_bytes().startswith(b"$NACL")
    assert kf.get_keypair(VECTOR_PASSWORD).ss58_address == SPEC_ADDRESS


def test_encrypt_decrypt_functions() -> None:
    blob = encrypt_keyfile_data(b"secret", "pw")
    assert decrypt_keyfile_data(blob, "pw") == b"secret"
    with pytest.raises(KeyFileError, match="not encrypted"):
        decrypt_keyfile_data(b"{}", "pw")


def test_overwrite_refused_without_flag(tmp_path: Path, spec_keypair: Keypair) -> None:
    kf = Keyfile(tmp_path / "hot", "hotkey 'h'")
    kf.set_keypair(spec_keypair, encrypt=False)
    before = kf.path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        kf.set_keypair(Keypair.create_from_uri("//Alice"), encrypt=False)
    assert kf.path.read_bytes() == before
    kf.set_keypair(Keypair.create_from_uri("//Alice"), encrypt=False, overwrite=True)
    assert kf.keypair.ss58_address != SPEC_ADDRESS


def test_atomic_write_crash_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "coldkey"
    write_atomic(path, b"old content")

    def crash(fd: int) -> None:  # the new bytes are written to the temp file, then the "power fails"
        raise KeyboardInterrupt

    monkeypatch.setattr(keyfile_module.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"new content that never lands")
    monkeypatch.undo()
    assert path.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coldkey"]  # no temp file left


def test_atomic_write_replace_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hot"
    write_atomic(path, b"old")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keyfile_module.os, "replace", fail)
    with pytest.raises(KeyFileError, match=f"Cannot write {path}"):
        write_atomic(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["hot"]


def test_unwritable_location_names_it(tmp_path: Path, spec_keypair: Keypair) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    kf = Keyfile(blocker / "wallet" / "coldkey")
    with pytest.raises(KeyFileError, match="Cannot create") as info:
        kf.set_keypair(spec_keypair, encrypt=False)
    assert str(blocker) in str(info.value)

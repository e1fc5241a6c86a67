"""The Wallet API of the seed README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bt_llm as bt
from bt_llm.errors import KeyFileError, MnemonicError, PasswordError, WalletError
from bt_llm.wallet import keyfile as keyfile_module
from bt_llm.wallet.keypair import Keypair
from bt_llm.wallet.wallet import Wallet
from tests.unit.wallet.conftest import SPEC_ADDRESS, SPEC_MNEMONIC


def test_str_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    wallet = bt.wallet()
    assert str(wallet) == "Wallet (default, default, ~/.bittensor/wallets/)"
    assert repr(wallet) == str(wallet)
    assert str(bt.wallet(name="default", hotkey="default", path="~/.bittensor/wallets/")) == str(wallet)
    assert wallet.wallet_dir == Path.home() / ".bittensor" / "wallets" / "default"
    monkeypatch.setenv("BT_WALLET_PATH", "/srv/wallets")
    assert str(bt.wallet(name="a", hotkey="b")) == "Wallet (a, b, /srv/wallets)"


def test_config_section() -> None:
    from types import SimpleNamespace

    config = SimpleNamespace(wallet=SimpleNamespace(name="cfg", hotkey="hk", path="/cfg/path"))
    assert str(bt.wallet(config=config)) == "Wallet (cfg, hk, /cfg/path)"
    assert str(bt.wallet(name="explicit", config=config)) == "Wallet (explicit, hk, /cfg/path)"


def test_constructing_touches_nothing(tmp_path: Path) -> None:
    bt.wallet(name="x", path=str(tmp_path / "w"))
    assert not (tmp_path / "w").exists()


def test_bt_wallet_callable_whatever_was_imported_first() -> None:
    code = (
        "import sys, bt_llm.wallet.keypair, bt_llm as bt; "
        "print(str(bt.wallet(name='n', hotkey='h', path='/p')), bt.wallet is sys.modules['bt_llm.wallet'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Wallet", "(n,", "h,", "/p)", "True"]


def test_import_is_light() -> None:
    code = (
        "import json, sys, bt_llm; bt_llm.wallet; bt_llm.Keypair; bt_llm.Balance; "
        "print(json.dumps([m for m in ('torch', 'transformers', 'fastapi', 'uvicorn', 'numba', 'starlette')"
        " if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", ["a/b", "..", ""])
def test_bad_names(name: str) -> None:
    if not name:
        assert bt.wallet(name=name).name == "default"
        return
    with pytest.raises(WalletError, match="Invalid wallet name"):
        bt.wallet(name=name)


def test_create_new_keys(wallet_path: Path, cold_password: str, capsys: pytest.CaptureFixture[str]) -> None:
    wallet = bt.wallet(name="alice", hotkey="miner")
    assert wallet.create_new_coldkey(print_mnemonic=True) is wallet  # captured stdout is no terminal
    out = capsys.readouterr().out
    assert "IMPORTANT: Store this mnemonic in a secure" in out
    assert "The mnemonic to the new coldkey is:" in out
    mnemonic = out.split("btcli regen_coldkey --mnemonic ")[1].split("\n")[0].strip()
    assert len(mnemonic.split()) == 12
    wallet.create_new_hotkey(n_words=24, suppress=True)
    assert capsys.readouterr().out == ""

    folder = wallet_path / "alice"
    assert (folder / "coldkey").read_bytes().startswith(b"$NACL")
    assert json.loads((folder / "coldkeypub.txt").read_text())["privateKey"] is None
    assert json.loads((folder / "hotkeys" / "miner").read_text())["secretPhrase"].count(" ") == 23
    assert json.loads((folder / "hotkeys" / "minerpub.txt").read_text())["ss58Address"] == wallet.hotkey.ss58_address
    for file in (folder / "coldkey", folder / "coldkeypub.txt", folder / "hotkeys" / "miner"):
        assert file.stat().st_mode & 0o777 == 0o600

    fresh = bt.wallet(name="alice", hotkey="miner")
    assert fresh.coldkey.ss58_address == fresh.coldkeypub.ss58_address
    assert fresh.coldkey.mnemonic == mnemonic
    assert fresh.hotkey.verify(b"data", fresh.hotkey.sign(b"data"))
    assert fresh.coldkey.verify(b"data", fresh.coldkey.sign(b"data"))


def test_coldkey_password_asked_once_per_process(
    wallet_path: Path, cold_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bt.wallet(name="alice").create_new_coldkey(suppress=True)
    calls = []
    real = keyfile_module.decrypt_keyfile_data
    monkeypatch.setattr(keyfile_module, "decrypt_keyfile_data", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = bt.wallet(name="alice").coldkey
    monkeypatch.delenv("BT_COLD_PW_ALICE")  # no password available any more: must come from memory
    second = bt.wallet(name="alice").coldkey
    assert first.ss58_address == second.ss58_address and calls == [1]


def test_coldkey_without_password_or_terminal(wallet_path: Path) -> None:
    wallet = bt.wallet(name="bob")
    with pytest.raises(PasswordError, match="BT_COLD_PW_BOB"):
        wallet.create_new_coldkey(suppress=True)
    assert not (wallet_path / "bob").exists()


def test_wrong_password_names_wallet_and_keeps_file(wallet_path: Path) -> None:
    wallet = bt.wallet(name="carol")
    wallet.create_new_coldkey(suppress=True, password="right")
    before = (wallet_path / "carol" / "coldkey").read_bytes()
    with pytest.raises(PasswordError, match="coldkey of wallet 'carol'"):
        bt.wallet(name="carol").get_coldkey("wrong")
    assert (wallet_path / "carol" / "coldkey").read_bytes() == before


def test_regenerate_from_mnemonic_and_seed(wallet_path: Path) -> None:
    wallet = bt.wallet(name="r")
    wallet.regenerate_coldkey(mnemonic=SPEC_MNEMONIC, use_password=False, suppress=True)
    assert wallet.coldkeypub.ss58_address == SPEC_ADDRESS
    seed = Keypair.create_from_mnemonic(SPEC_MNEMONIC).seed_hex
    seed_hex = seed.hex() if isinstance(seed, bytes) else seed
    wallet.regenerate_hotkey(seed="0x" + seed_hex, suppress=True)
    assert bt.wallet(name="r").hotkey.ss58_address == SPEC_ADDRESS
    wallet.regenerate_hotkey(mnemonic=SPEC_MNEMONIC.split(), overwrite=True, suppress=True)
    assert bt.wallet(name="r").hotkey.mnemonic == SPEC_MNEMONIC


def test_regenerate_rejects_bad_input(wallet_path: Path) -> None:
    wallet = bt.wallet(name="bad")
    with pytest.raises(MnemonicError):
        wallet.regenerate_coldkey(mnemonic="old leopard transfer rib spatial phone calm indicate online fire "
                                           "caution reviews", use_password=False)
    with pytest.raises(WalletError, match="mnemonic or a seed"):
        wallet.regenerate_hotkey()
    assert not (wallet_path / "bad").exists()


def test_regenerate_coldkeypub(wallet_path: Path) -> None:
    wallet = bt.wallet(name="pub")
    wallet.regenerate_coldkeypub(ss58_address=SPEC_ADDRESS, suppress=True)
    assert wallet.coldkeypub.ss58_address == SPEC_ADDRESS
    public = Keypair.create_from_mnemonic(SPEC_MNEMONIC).public_key.hex()
    wallet.regenerate_coldkeypub(public_key="0x" + public, overwrite=True, suppress=True)
    assert bt.wallet(name="pub").coldkeypub.ss58_address == SPEC_ADDRESS
    with pytest.raises(WalletError, match="Invalid SS58"):
        wallet.regenerate_coldkeypub(ss58_address="5Hxxx", overwrite=True)
    with pytest.raises(WalletError, match="32 bytes"):
        wallet.regenerate_coldkeypub(public_key="0x1234", overwrite=True)


def test_existing_coldkey_is_never_touched_without_overwrite(wallet_path: Path) -> None:
    wallet = bt.wallet(name="keep")
    wallet.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    files = [wallet_path / "keep" / "coldkey", wallet_path / "keep" / "coldkeypub.txt"]
    before = [(f.read_bytes(), f.stat().st_mtime_ns) for f in files]
    with pytest.raises(KeyFileError, match="already exists"):
        wallet.create_new_coldkey(use_password=False, suppress=True)
    with pytest.raises(KeyFileError, match="already exists"):
        wallet.regenerate_coldkey(mnemonic=SPEC_MNEMONIC, use_password=False, suppress=True)
    assert [(f.read_bytes(), f.stat().st_mtime_ns) for f in files] == before
    wallet.regenerate_coldkey(mnemonic=SPEC_MNEMONIC, use_password=False, overwrite=True, suppress=True)
    assert bt.wallet(name="keep").coldkeypub.ss58_address == SPEC_ADDRESS


def test_create_if_non_existent_keeps_existing(wallet_path: Path, cold_password: str) -> None:
    wallet = bt.wallet(name="alice")
    wallet.create_hotkey_from_uri("//Bob", suppress=True)
    wallet.create_if_non_existent()
    assert bt.wallet(name="alice").hotkey.ss58_address == Keypair.create_from_uri("//Bob").ss58_address
    assert (wallet_path / "alice" / "coldkey").exists()
    cold = bt.wallet(name="alice").coldkeypub.ss58_address
    wallet.create()
    assert bt.wallet(name="alice").coldkeypub.ss58_address == cold


def test_hotkey_names(wallet_path: Path) -> None:
    for name in ("b", "a"):
        Wallet(name="w", hotkey=name).create_hotkey_from_uri(f"//{name}", suppress=True)
    assert Wallet(name="w").hotkey_names() == ["a", "b"]
    assert Wallet(name="none").hotkey_names() == []


def test_bt_wallet_is_one_object_in_either_import_order() -> None:
    code = (
        "import sys, bt_llm as bt; first = bt.wallet; import bt_llm.wallet.keypair as keypair; "
        "w = bt.wallet(name='n', path='/p'); "
        "print(first is bt.wallet is sys.modules['bt_llm.wallet'], isinstance(w, bt.wallet), "
        "issubclass(bt.Wallet, bt.wallet), keypair.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "bt_llm.wallet.keypair"]

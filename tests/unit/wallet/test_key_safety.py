"""Key safety: ssh-style warnings for private keys other users can reach, and mnemonics kept out of logs."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest

import bt_llm as bt
from bt_llm.wallet.keyfile import Keyfile, check_private_key_permissions
from bt_llm.wallet.keypair import Keypair
from bt_llm.wallet.wallet import Wallet

LOGGER = "bt_llm.wallet.keyfile"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o7777


@pytest.fixture
def alice(wallet_path: Path, cold_password: str) -> Wallet:
    """Wallet ``alice``: an encrypted coldkey, hotkey ``miner`` (plain), every file 0600, folders 0700."""
    wallet = bt.wallet(name="alice", hotkey="miner")
    wallet.create_coldkey_from_uri("//Alice", suppress=True)
    wallet.create_hotkey_from_uri("//Bob", suppress=True)
    return wallet


# ------------------------------------------------------------------------------------------------
# permissions


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o777, 0o640], ids=oct)
@pytest.mark.parametrize("key", ["hotkey", "coldkey"])
def test_open_private_key_file_warns_once_and_keeps_its_mode(
    alice: Wallet, caplog: pytest.LogCaptureFixture, mode: int, key: str
) -> None:
    path = alice.hotkey_file.path if key == "hotkey" else alice.coldkey_file.path
    path.chmod(mode)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # fresh objects read the file again: one warning per file per process
            fresh = bt.wallet(name="alice", hotkey="miner")
            assert getattr(fresh, key).private_key
    assert warnings_of(caplog) == [
        f"WARNING: UNPROTECTED PRIVATE KEY FILE! Permissions {mode:04o} for '{path}' are too open: a private key "
        f"must not be accessible by group or others. Fix: chmod 600 {path}"
    ]
    assert mode_of(path) == mode  # never changed for the user


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722], ids=oct)
@pytest.mark.parametrize("folder", ["wallet", "hotkeys"])
def test_writable_wallet_folder_warns_and_keeps_its_mode(
    alice: Wallet, caplog: pytest.LogCaptureFixture, mode: int, folder: str
) -> None:
    path = alice.wallet_dir if folder == "wallet" else alice.wallet_dir / "hotkeys"
    path.chmod(mode)
    with caplog.at_level(logging.WARNING):
        assert alice.hotkey.private_key
        assert bt.wallet(name="alice", hotkey="miner").hotkey.private_key
    assert warnings_of(caplog) == [
        f"WARNING: UNPROTECTED WALLET FOLDER! Permissions {mode:04o} for '{path}' are too open: group or "
        f"others can replace the keys in it. Fix: chmod 700 {path}"
    ]
    assert mode_of(path) == mode


def test_protected_keys_and_public_files_never_warn(alice: Wallet, caplog: pytest.LogCaptureFixture) -> None:
    folder = alice.wallet_dir
    (folder / "coldkeypub.txt").chmod(0o644)  # public: bittensor tools write it 0644 too
    (folder / "hotkeys" / "minerpub.txt").chmod(0o666)
    folder.chmod(0o755)  # readable folders are fine, only writable ones are not
    with caplog.at_level(logging.WARNING):
        fresh = bt.wallet(name="alice", hotkey="miner")
        assert fresh.coldkey.private_key and fresh.hotkey.private_key
        assert fresh.coldkeypub.ss58_address and fresh.hotkeypub.ss58_address
        assert bt.wallet(name="alice", hotkey="miner").coldkeypub.ss58_address
    assert warnings_of(caplog) == []
    # a public key alone in an open file and folder: nothing to protect
    public = Keyfile(folder / "pub-only")
    public.set_keypair(Keypair(ss58_address=alice.coldkeypub.ss58_address), encrypt=False)
    public.path.chmod(0o666)
    folder.chmod(0o777)
    with caplog.at_level(logging.WARNING):
        assert not public.keypair.private_key
    assert warnings_of(caplog) == []


def test_sticky_shared_folder_is_not_blamed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: others cannot replace a file they do not own; "chmod 700 /tmp" is no fix
    kf = Keyfile(shared / "key")
    kf.set_keypair(Keypair.create_from_uri("//Alice"), encrypt=False)
    with caplog.at_level(logging.WARNING):
        assert kf.keypair.private_key
    assert warnings_of(caplog) == []


def test_check_function_names_path_and_fix_and_quotes_it(tmp_path: Path) -> None:
    folder = tmp_path / "my wallet"
    kf = Keyfile(folder / "cold key")
    kf.set_keypair(Keypair.create_from_uri("//Alice"), encrypt=False)
    kf.path.chmod(0o644)
    folder.chmod(0o775)
    messages = check_private_key_permissions(kf.path)
    assert len(messages) == 2
    assert f"'{kf.path}'" in messages[0] and f"chmod 600 '{kf.path}'" in messages[0] and "0644" in messages[0]
    assert f"'{folder}'" in messages[1] and f"chmod 700 '{folder}'" in messages[1] and "0775" in messages[1]
    assert check_private_key_permissions(kf.path) == []  # once per path
    assert (mode_of(kf.path), mode_of(folder)) == (0o644, 0o775)


def test_new_keys_and_folders_are_private_even_under_a_loose_umask(wallet_path: Path, cold_password: str) -> None:
    old = os.umask(0o002)  # user-private-group distributions: mkdir -p would make 0775 folders
    try:
        wallet = bt.wallet(name="alice", hotkey="miner")
        wallet.create_hotkey_from_uri("//Bob", suppress=True)  # hotkey first: creates <name>/ as a parent
        wallet.create_coldkey_from_uri("//Alice", suppress=True)
    finally:
        os.umask(old)
    folder = wallet_path / "alice"
    for path in (wallet_path, folder, folder / "hotkeys"):
        assert mode_of(path) == 0o700, path
    for path in (folder / "coldkey", folder / "coldkeypub.txt", folder / "hotkeys" / "miner",
                 folder / "hotkeys" / "minerpub.txt"):
        assert mode_of(path) == 0o600, path


# ------------------------------------------------------------------------------------------------
# mnemonics


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stored_mnemonic(path: Path) -> str:
    return json.loads(path.read_text())["secretPhrase"]


def test_mnemonic_not_printed_when_stdout_is_not_a_terminal(
    wallet_path: Path, cold_password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wallet = bt.wallet(name="alice", hotkey="miner")
    wallet.create_new_coldkey()
    wallet.create_new_hotkey()
    out = capsys.readouterr().out
    hot = wallet_path / "alice" / "hotkeys" / "miner"
    mnemonic = _stored_mnemonic(hot)
    assert mnemonic not in out and "IMPORTANT" not in out and wallet.coldkey.mnemonic not in out
    assert out.splitlines() == [
        "The mnemonic of the new coldkey is not printed (stdout is not a terminal); the key and its mnemonic are "
        f"in {wallet_path / 'alice' / 'coldkey'}. Pass --print_mnemonic (btcli) or print_mnemonic=True to print it.",
        "The mnemonic of the new hotkey is not printed (stdout is not a terminal); the key and its mnemonic are "
        f"in {hot}. Pass --print_mnemonic (btcli) or print_mnemonic=True to print it.",
    ]


def test_mnemonic_printed_when_asked_or_to_a_terminal(
    wallet_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = bt.wallet(name="alice", hotkey="h1")
    wallet.create_new_hotkey(print_mnemonic=True)
    out = capsys.readouterr().out
    assert "IMPORTANT: Store this mnemonic" in out
    assert f"btcli regen_hotkey --mnemonic {_stored_mnemonic(wallet.hotkey_file.path)}" in out

    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    bt.wallet(name="alice", hotkey="h2").create_new_hotkey()
    assert _stored_mnemonic(wallet_path / "alice" / "hotkeys" / "h2") in terminal.getvalue()
    bt.wallet(name="alice", hotkey="h3").create_new_hotkey(print_mnemonic=False)
    bt.wallet(name="alice", hotkey="h4").create_new_hotkey(suppress=True)
    shown = terminal.getvalue()
    assert _stored_mnemonic(wallet_path / "alice" / "hotkeys" / "h3") not in shown
    assert _stored_mnemonic(wallet_path / "alice" / "hotkeys" / "h4") not in shown
    assert "hotkeys/h3. Pass --print_mnemonic" in shown and "h4" not in shown


def test_suppress_stays_silent_and_create_follows_the_terminal_rule(
    wallet_path: Path, cold_password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bt.wallet(name="alice", hotkey="quiet").create_new_hotkey(suppress=True)
    assert capsys.readouterr().out == ""
    wallet = bt.wallet(name="alice", hotkey="miner").create()
    out = capsys.readouterr().out
    assert wallet.coldkey.mnemonic not in out and wallet.hotkey.mnemonic not in out
    assert out.count("is not printed (stdout is not a terminal)") == 2
    other = bt.wallet(name="bob", hotkey="miner")
    other.create_if_non_existent(coldkey_use_password=False, print_mnemonic=True)
    out = capsys.readouterr().out
    assert other.coldkey.mnemonic in out and other.hotkey.mnemonic in out

"""btcli wallet commands, run through ``bt_llm.cli.main.main`` (and once through the installed script)."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from nacl import pwhash

import bt_llm as bt
from bt_llm.cli import wallet_commands
from bt_llm.cli.main import COMMANDS, cli, main
from bt_llm.wallet import keyfile, passwords
from bt_llm.wallet.keypair import Keypair

SPEC_MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review"
SPEC_ADDRESS = "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in list(os.environ):
        if var.startswith(passwords.ENV_PREFIX) or var == "BT_WALLET_PATH":
            monkeypatch.delenv(var)
    monkeypatch.setattr(keyfile, "KDF", keyfile.KdfLimits(pwhash.argon2i.OPSLIMIT_MIN, pwhash.argon2i.MEMLIMIT_MIN))
    monkeypatch.setattr(keyfile, "_warned_paths", set())
    passwords.forget_unlocked()
    yield
    passwords.forget_unlocked()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "wallets"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_new_coldkey_and_hotkey(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BT_COLD_PW_ALICE", "pw")
    code, out, err = run(capsys, "new_coldkey", "--wallet.name", "alice", "--wallet.path", str(root), "--no_prompt",
                         "--n_words", "15", "--print_mnemonic")
    assert (code, err) == (0, "")
    assert "IMPORTANT: Store this mnemonic" in out and "The mnemonic to the new coldkey is:" in out
    mnemonic = out.split("btcli regen_coldkey --mnemonic ")[1].split("\n")[0].split()
    assert len(mnemonic) == 15
    assert (root / "alice" / "coldkey").read_bytes().startswith(b"$NACL")

    code, out, _ = run(capsys, "new_hotkey", "--wallet.name", "alice", "--wallet.hotkey", "m1",
                       "--wallet.path", str(root), "--no_prompt", "--print-mnemonic")
    assert code == 0 and "btcli regen_hotkey --mnemonic" in out
    wallet = bt.wallet(name="alice", hotkey="m1", path=str(root))
    assert wallet.coldkey.mnemonic == " ".join(mnemonic)
    assert not keyfile.keyfile_data_is_encrypted((root / "alice" / "hotkeys" / "m1").read_bytes())
    for file in root.rglob("*"):
        if file.is_file():
            assert file.stat().st_mode & 0o777 == 0o600


def test_existing_key_under_no_prompt_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "new_coldkey", "--wallet.path", str(root), "--no_prompt", "--no_password")[0] == 0
    assert run(capsys, "new_hotkey", "--wallet.path", str(root), "--no_prompt")[0] == 0
    before = snapshot(root)
    for args in (["new_coldkey", "--no_password"], ["new_hotkey"],
                 ["regen_coldkey", "--no_password", "--mnemonic", *SPEC_MNEMONIC.split()],
                 ["regen_hotkey", "--mnemonic", *SPEC_MNEMONIC.split()],
                 ["regen_coldkeypub", "--ss58_address", SPEC_ADDRESS]):
        code, out, err = run(capsys, *args, "--wallet.path", str(root), "--no_prompt")
        assert code == 1, args
        assert err.count("\n") == 1 and "already exists" in err and "--overwrite_" in err
        assert "Traceback" not in err + out
    assert snapshot(root) == before
    code, out, _ = run(capsys, "regen_coldkey", "--wallet.path", str(root), "--no_prompt", "--no_password",
                       "--overwrite_coldkey", "--mnemonic", *SPEC_MNEMONIC.split())
    assert code == 0 and SPEC_ADDRESS in out
    assert bt.wallet(path=str(root)).coldkeypub.ss58_address == SPEC_ADDRESS


def test_wrong_password(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    bt.wallet(name="dave", path=str(root)).create_new_coldkey(suppress=True, password="right")
    before = snapshot(root)
    monkeypatch.setenv("BT_COLD_PW_DAVE", "wrong")
    code, out, err = run(capsys, "sign", "--wallet.name", "dave", "--wallet.path", str(root), "--message", "hi",
                         "--no_prompt")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Wrong password" in err and "wallet 'dave'" in err
    assert snapshot(root) == before
    monkeypatch.setenv("BT_COLD_PW_DAVE", "right")
    passwords.forget_unlocked()
    code, out, _ = run(capsys, "sign", "--wallet.name", "dave", "--wallet.path", str(root), "--message", "hi",
                       "--no_prompt")
    assert code == 0
    signer = out.split("Signer: ")[1].split()[0]
    signature = out.split("Signature: ")[1].split()[0]
    assert run(capsys, "verify", "--message", "hi", "--signature", signature, "--ss58_address", signer)[0] == 0
    code, _, err = run(capsys, "verify", "--message", "hO", "--signature", signature, "--ss58_address", signer)
    assert code == 1 and "does not verify" in err


def test_missing_password_under_no_prompt(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "new_coldkey", "--wallet.name", "erin", "--wallet.path", str(root), "--no_prompt")
    assert code == 1 and "BT_COLD_PW_ERIN" in err and "--no_password" in err
    assert not root.exists()


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (SPEC_MNEMONIC.replace("rib", "ribz").split(), "word 4 ('ribz') is not in the BIP39"),
        (SPEC_MNEMONIC.replace("review", "fire").split(), "checksum"),
        (SPEC_MNEMONIC.split()[:5], "5 words"),
    ],
)
def test_bad_mnemonic(root: Path, capsys: pytest.CaptureFixture[str], words: list[str], message: str) -> None:
    for command in ("regen_coldkey", "regen_hotkey"):
        code, _, err = run(capsys, command, "--wallet.path", str(root), "--no_prompt", "--no_password",
                           "--mnemonic", *words)
        assert code == 1 and message in err and err.count("\n") == 1
    assert not root.exists()


def test_quoted_mnemonic_and_seed(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "regen_hotkey", "--wallet.path", str(root), "--no_prompt", "--mnemonic", SPEC_MNEMONIC)
    assert code == 0 and SPEC_ADDRESS in out
    seed = Keypair.create_from_mnemonic(SPEC_MNEMONIC).seed_hex
    seed_hex = seed.hex() if isinstance(seed, bytes) else seed
    code, out, _ = run(capsys, "regen_coldkey", "--wallet.path", str(root), "--no_prompt", "--no_password",
                       "--seed", "0x" + seed_hex.removeprefix("0x"))
    assert code == 0 and SPEC_ADDRESS in out
    code, _, err = run(capsys, "regen_hotkey", "--wallet.path", str(root), "--no_prompt", "--wallet.hotkey", "x")
    assert code == 1 and "--mnemonic or --seed" in err


def test_regen_coldkeypub(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = Keypair.create_from_mnemonic(SPEC_MNEMONIC).public_key.hex()
    code, out, _ = run(capsys, "regen_coldkeypub", "--wallet.path", str(root), "--no_prompt", "--public_key", public)
    assert code == 0 and SPEC_ADDRESS in out
    code, _, err = run(capsys, "regen_coldkeypub", "--wallet.name", "x", "--wallet.path", str(root), "--no_prompt",
                       "--ss58_address", "5Bogus")
    assert code == 1 and "Invalid SS58" in err


def test_corrupt_keyfile_names_the_file(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bt.wallet(name="c", hotkey="h", path=str(root)).create_hotkey_from_uri("//Bob", suppress=True)
    hot = root / "c" / "hotkeys" / "h"
    hot.write_bytes(hot.read_bytes()[:40])  # truncated
    code, _, err = run(capsys, "sign", "--wallet.name", "c", "--wallet.hotkey", "h", "--wallet.path", str(root),
                       "--use_hotkey", "--message", "m", "--no_prompt")
    assert code == 1 and str(hot) in err and "corrupt" in err and err.count("\n") == 1


def test_unwritable_wallet_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "new_hotkey", "--wallet.path", str(blocker / "wallets"), "--no_prompt")
    assert code == 1 and str(blocker) in err and err.count("\n") == 1 and "Traceback" not in out + err


def test_list_tree(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = bt.wallet(name="alice", hotkey="m1", path=str(root))
    w.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    w.create_hotkey_from_uri("//Bob", suppress=True)
    bt.wallet(name="bob", path=str(root)).regenerate_coldkeypub(ss58_address=SPEC_ADDRESS, suppress=True)
    code, out, _ = run(capsys, "list", "--wallet.path", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Wallets ({root})"
    alice = Keypair.create_from_uri("//Alice").ss58_address
    bob = Keypair.create_from_uri("//Bob").ss58_address
    assert any("alice" in line and alice in line for line in lines)
    assert any("m1" in line and bob in line for line in lines)
    assert any("bob" in line and SPEC_ADDRESS in line for line in lines)
    assert run(capsys, "list", "--wallet.path", str(root / "none"))[1].startswith("No wallets found")
    # without coldkeypub.txt: a plain coldkey shows its address, an encrypted one a marker, never a prompt
    (root / "alice" / "coldkeypub.txt").unlink()
    bt.wallet(name="enc", path=str(root)).create_new_coldkey(suppress=True, password="pw")
    (root / "enc" / "coldkeypub.txt").unlink()
    out = run(capsys, "list", "--wallet.path", str(root))[1]
    assert any("alice" in line and alice in line for line in out.splitlines())
    assert any("enc" in line and "? (encrypted)" in line for line in out.splitlines())


def test_inspect_keys_only(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BT_SUBTENSOR_CHAIN_ENDPOINT", "ws://127.0.0.1:1")  # the default network, not reachable
    w = bt.wallet(name="alice", hotkey="m1", path=str(root))
    w.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    w.create_hotkey_from_uri("//Bob", suppress=True)
    code, out, _ = run(capsys, "inspect", "--wallet.name", "alice", "--wallet.path", str(root), "--no_prompt")
    assert code == 0 and Keypair.create_from_uri("//Bob").ss58_address in out and "Balance and stake" in out
    code, _, err = run(capsys, "inspect", "--wallet.name", "ghost", "--wallet.path", str(root), "--no_prompt")
    assert code == 1 and "No wallet 'ghost'" in err


def test_inspect_hook_is_none_without_chain_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallet_commands.importlib.util, "find_spec", lambda name: None)
    assert wallet_commands.fetch_chain_view("a", [], network="local", chain_endpoint=None) is None


def test_inspect_reads_chain_through_the_hook(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bt_llm.balance import Balance

    class FakeSubtensor:
        def __init__(self, network: str | None, *, chain_endpoint: str | None = None) -> None:
            assert network == "local"

        def get_balance(self, address: str) -> Balance:
            return Balance.from_tao(12.5)

        def get_stake_for_coldkey_and_hotkey(self, hotkey: str, coldkey: str) -> Balance:
            return Balance.from_tao(3)

        def close(self) -> None:
            pass

    fake = types.ModuleType("bt_llm.chain.subtensor")
    fake.__spec__ = importlib.machinery.ModuleSpec("bt_llm.chain.subtensor", None)
    fake.Subtensor = FakeSubtensor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bt_llm.chain.subtensor", fake)
    w = bt.wallet(name="alice", hotkey="m1", path=str(root))
    w.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    w.create_hotkey_from_uri("//Bob", suppress=True)
    code, out, _ = run(capsys, "inspect", "--wallet.name", "alice", "--wallet.path", str(root), "--no_prompt",
                       "--subtensor.network", "local")
    assert code == 0 and "τ12.500000000" in out and "τ3.000000000" in out


def test_prompts_like_the_seed(root: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["new_hotkey", "--wallet.path", str(root)], input="w1\nh1\n")
    assert result.exit_code == 0, result.output
    assert "Enter wallet name (default): " in result.output
    assert "Enter hotkey name (default): " in result.output
    assert (root / "w1" / "hotkeys" / "h1").exists()
    # a coldkey password is asked twice; an existing key asks before it is replaced
    result = runner.invoke(cli, ["new_coldkey", "--wallet.name", "w1", "--wallet.path", str(root)],
                           input="pw\npw\n")
    assert result.exit_code == 0, result.output
    assert "Retype your password" in result.output
    assert bt.wallet(name="w1", path=str(root)).get_coldkey("pw").ss58_address
    before = (root / "w1" / "coldkey").read_bytes()
    result = runner.invoke(cli, ["new_coldkey", "--wallet.name", "w1", "--wallet.path", str(root)], input="n\n")
    assert result.exit_code != 0 and "already exists. Overwrite?" in result.output
    assert (root / "w1" / "coldkey").read_bytes() == before


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out
    code, out, _ = run(capsys, "regen_coldkey", "--help")
    for flag in ("--wallet.name", "--wallet.path", "--mnemonic", "--seed", "--use_password / --no_password",
                 "--overwrite_coldkey", "--no_prompt"):
        assert flag in out


def test_installed_btcli_script(root: Path) -> None:
    btcli = Path(sys.executable).parent / "btcli"
    if not btcli.exists():
        pytest.skip(f"{btcli} is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BT_COLD_PW_")}
    ok = subprocess.run([str(btcli), "regen_coldkeypub", "--wallet.path", str(root), "--no_prompt",
                         "--ss58_address", SPEC_ADDRESS], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and SPEC_ADDRESS in ok.stdout
    bad = subprocess.run([str(btcli), "regen_hotkey", "--wallet.path", str(root), "--no_prompt", "--mnemonic",
                          "not", "a", "mnemonic"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    assert json.loads((root / "default" / "coldkeypub.txt").read_text())["ss58Address"] == SPEC_ADDRESS


def test_regen_from_dev_uri(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    code, out, _ = run(capsys, "regen_coldkey", "--uri", "//Alice", "--wallet.name", "alice",
                       "--wallet.path", str(root), "--no_password", "--no_prompt")
    assert code == 0 and "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY" in out
    code, out, _ = run(capsys, "regen_hotkey", "--uri", "//Alice/miner", "--wallet.name", "alice",
                       "--wallet.hotkey", "miner", "--wallet.path", str(root), "--no_prompt")
    assert code == 0
    wallet = bt.wallet(name="alice", hotkey="miner", path=str(root))
    assert wallet.coldkey.ss58_address == Keypair.create_from_uri("//Alice").ss58_address
    assert wallet.hotkey.ss58_address == Keypair.create_from_uri("//Alice/miner").ss58_address
    code, _, err = run(capsys, "regen_hotkey", "--uri", "//Alice/other", "--wallet.name", "alice",
                       "--wallet.hotkey", "miner", "--wallet.path", str(root), "--no_prompt")
    assert code == 1 and "--overwrite_hotkey" in err
    reread = bt.wallet(name="alice", hotkey="miner", path=str(root))  # a fresh object reads the file again
    assert reread.hotkey.ss58_address == Keypair.create_from_uri("//Alice/miner").ss58_address


def _notice(key_type: str, path: Path) -> str:
    return (f"The mnemonic of the new {key_type} is not printed (stdout is not a terminal); the key and its "
            f"mnemonic are in {path}. Pass --print_mnemonic (btcli) or print_mnemonic=True to print it.")


def test_new_keys_print_the_mnemonic_only_to_a_terminal_or_with_the_flag(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = root / "alice" / "coldkey"
    code, out, err = run(capsys, "new_coldkey", "--wallet.name", "alice", "--wallet.path", str(root), "--no_prompt",
                         "--no_password")
    assert (code, err) == (0, "")
    assert out == _notice("coldkey", cold) + "\n"
    assert json.loads(cold.read_text())["secretPhrase"] not in out

    runner = CliRunner()  # its stdout is no terminal either
    base = ["new_hotkey", "--wallet.name", "alice", "--wallet.path", str(root), "--no_prompt"]
    result = runner.invoke(cli, [*base, "--wallet.hotkey", "h1"])
    hot = root / "alice" / "hotkeys" / "h1"
    assert result.exit_code == 0, result.output
    assert result.output == _notice("hotkey", hot) + "\n"
    assert json.loads(hot.read_text())["secretPhrase"] not in result.output
    for flag, name in (("--print_mnemonic", "h2"), ("--print-mnemonic", "h3")):
        result = runner.invoke(cli, [*base, "--wallet.hotkey", name, flag])
        phrase = json.loads((root / "alice" / "hotkeys" / name).read_text())["secretPhrase"]
        assert result.exit_code == 0 and f"btcli regen_hotkey --mnemonic {phrase}" in result.output
        assert "not printed" not in result.output
    for command in ("new_coldkey", "new_hotkey"):
        assert "--print_mnemonic" in run(capsys, command, "--help")[1]


def test_unprotected_key_is_one_warning_line_on_stderr(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bt.wallet(name="c", hotkey="h", path=str(root)).create_hotkey_from_uri("//Bob", suppress=True)
    hot = root / "c" / "hotkeys" / "h"
    hot.chmod(0o644)
    args = ["sign", "--wallet.name", "c", "--wallet.hotkey", "h", "--wallet.path", str(root), "--use_hotkey",
            "--message", "m", "--no_prompt"]
    code, out, err = run(capsys, *args)
    assert code == 0 and "Signature: 0x" in out
    assert err == (f"WARNING: UNPROTECTED PRIVATE KEY FILE! Permissions 0644 for '{hot}' are too open: a private "
                   f"key must not be accessible by group or others. Fix: chmod 600 {hot}\n")
    assert hot.stat().st_mode & 0o777 == 0o644
    assert run(capsys, *args)[2] == ""  # once per file and process


def test_installed_btcli_keeps_mnemonic_off_pipes_and_warns_on_open_keys(root: Path) -> None:
    btcli = Path(sys.executable).parent / "btcli"
    if not btcli.exists():
        pytest.skip(f"{btcli} is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BT_COLD_PW_")}
    made = subprocess.run([str(btcli), "new_hotkey", "--wallet.path", str(root), "--no_prompt"],
                          capture_output=True, text=True, env=env, timeout=60)
    hot = root / "default" / "hotkeys" / "default"
    assert made.returncode == 0 and made.stdout == _notice("hotkey", hot) + "\n" and made.stderr == ""
    folder = root / "default"
    folder.chmod(0o777)
    signed = subprocess.run([str(btcli), "sign", "--wallet.path", str(root), "--use_hotkey", "--message", "m",
                             "--no_prompt"], capture_output=True, text=True, env=env, timeout=60)
    assert signed.returncode == 0 and "Signature: 0x" in signed.stdout
    assert signed.stderr == (f"WARNING: UNPROTECTED WALLET FOLDER! Permissions 0777 for '{folder}' are too open: "
                             f"group or others can replace the keys in it. Fix: chmod 700 {folder}\n")
    assert folder.stat().st_mode & 0o777 == 0o777

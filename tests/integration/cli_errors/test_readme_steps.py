"""The README's scripted btcli steps run as written without a terminal (stdin closed), against a localnet
(issue 22); the same step without --no_prompt stops with one line that says to pass it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[3] / "README.md"
BTCLI = [sys.executable, "-c", "import sys; from bt_llm.cli.main import main; sys.exit(main())"]


def readme_steps() -> list[list[str]]:
    """The foreground ``btcli`` lines of the README's "network of your own" block (wallets to nominate)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"A network of your own.*?```bash\n(.*?)```", text, re.S)
    assert block, "the README's step-by-step block moved"
    steps = []
    for line in block.group(1).splitlines():
        command = line.split("#", 1)[0].strip()
        if not command.startswith("btcli ") or command.endswith("&") or command.startswith("btcli overview"):
            continue
        argv = shlex.split(command)[1:]
        if argv[0] == "register":  # proof of work: the same prompts, minutes of CPU; burn instead
            argv[0] = "recycle_register"
        steps.append(argv)
    return steps


def btcli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BTCLI, *argv], stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@pytest.mark.slow
def test_readme_steps_run_without_a_terminal(localnet_node, tmp_path: Path) -> None:
    env = {**os.environ, "BT_SUBTENSOR_CHAIN_ENDPOINT": localnet_node.url, "BT_WALLET_PATH": str(tmp_path)}
    env.pop("BT_SUBTENSOR_NETWORK", None)
    steps = readme_steps()
    assert [s[0] for s in steps] == ["regen_coldkey", "new_hotkey", "recycle_register", "new_hotkey",
                                     "recycle_register", "stake", "nominate"]
    for argv in steps:
        if argv[0] == "nominate":  # first without --no_prompt: one line naming it, nothing sent
            bare = btcli([a for a in argv if a != "--no_prompt"], env)
            lines = [line for line in bare.stderr.splitlines() if line.strip()]
            assert bare.returncode == 1 and len(lines) == 1 and "--no_prompt" in lines[0], bare.stderr
            assert "Traceback" not in bare.stderr
        result = btcli(argv, env)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        assert "Aborted" not in result.stderr
    listed = btcli(["list_delegates", "--json"], env)
    assert listed.returncode == 0 and '"hotkey"' in listed.stdout

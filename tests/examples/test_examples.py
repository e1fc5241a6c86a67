"""Every program in examples/ runs to completion, without a prompt, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))


def test_examples_exist() -> None:
    assert "demo.py" in [p.name for p in EXAMPLES]


# demo.py encrypts a coldkey with bittensor's real argon2i limits (512 MiB): seconds, so marked slow.
CASES = [pytest.param(p, id=p.name, marks=[pytest.mark.slow] if p.name == "demo.py" else []) for p in EXAMPLES]


@pytest.mark.parametrize("example", CASES)
def test_example_runs(example: Path, tmp_path: Path) -> None:
    # HOME and the wallet path point at a temp folder: an example must never touch ~/.bittensor.
    env = {**os.environ, "HOME": str(tmp_path), "BT_WALLET_PATH": str(tmp_path / "wallets")}
    proc = subprocess.run(
        [sys.executable, str(example)], cwd=example.parent.parent, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, f"{example.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / ".bittensor").exists()

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


# Examples that take a while (a coldkey under bittensor's real argon2i limits, a whole network) are slow.
SLOW = {"demo.py", "wallet_demo.py"}
# demo.py runs its template miner here: the SmolLM2 miner is tested in tests/integration/miners.
ARGS = {"demo.py": ["--miner", "template"]}
CASES = [pytest.param(p, id=p.name, marks=[pytest.mark.slow] if p.name in SLOW else []) for p in EXAMPLES]


@pytest.mark.parametrize("example", CASES)
def test_example_runs(example: Path, tmp_path: Path) -> None:
    # HOME and the wallet path point at a temp folder: an example must never touch ~/.bittensor.
    env = {**os.environ, "HOME": str(tmp_path), "BT_WALLET_PATH": str(tmp_path / "wallets")}
    proc = subprocess.run(
        [sys.executable, str(example), *ARGS.get(example.name, [])], cwd=example.parent.parent, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=400, check=False,
    )
    assert proc.returncode == 0, f"{example.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / ".bittensor").exists()

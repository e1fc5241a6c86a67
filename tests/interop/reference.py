"""Where the reference packages live, and skip markers for tests that need them.

``make interop`` (scripts/build_interop_venv.sh) builds two venvs beside ``.venv``; a test runs the
reference code there through a subprocess (its pins clash with ours, so it never shares a process).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BT9_PYTHON = ROOT / ".interop-venv" / "bin" / "python"  # bittensor 9.12.2 + bittensor-wallet 4.1.1
BT6_PYTHON = ROOT / ".interop-venv-bt6" / "bin" / "python"  # bittensor 6.12.4

requires_bt9 = pytest.mark.skipif(
    not BT9_PYTHON.exists(), reason=f"{BT9_PYTHON.parent.parent.name} is absent: run `make interop`"
)
requires_bt6 = pytest.mark.skipif(
    not BT6_PYTHON.exists(), reason=f"{BT6_PYTHON.parent.parent.name} is absent: run `make interop`"
)


def run_reference(python: Path, code: str, *, env: dict[str, str] | None = None, timeout: float = 120.0) -> object:
    """Run ``code`` under a reference venv's python; it must print one JSON document as its last line."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"reference code failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    last = proc.stdout.strip().splitlines()[-1]
    return json.loads(last)

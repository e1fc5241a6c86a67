"""Crash safety: a process building blocks is killed with SIGKILL; reopening gives the same chain."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

from bt_llm.localnet.engine import Engine
from tests.unit.localnet.conftest import make_genesis

ROOT = Path(__file__).resolve().parents[3]

# Deterministic work per block: a transfer and, every third block, a registration.
BUILDER = """
import hashlib, sys
from bt_llm.localnet.engine import Engine
from bt_llm.localnet.schema import Call
from tests.unit.localnet.conftest import ALICE, make_genesis

def digest(e):
    h = hashlib.sha256()
    for k in sorted(e.state.head):
        h.update(k); h.update(e.state.head[k])
    return h.hexdigest()

def build(e, n):
    e.apply(Call("Balances", "transfer", {"dest": bytes([n % 50 + 1]) * 32, "value": 1000 * n + 500}),
            signer=ALICE, nonce=e.account_nonce(ALICE), length=10, extrinsic=n.to_bytes(4, "little"))
    if n % 3 == 0:
        e.apply(Call("SubtensorModule", "burned_register", {"netuid": 1, "hotkey": bytes([100 + n % 100]) * 32}),
                signer=ALICE, nonce=e.account_nonce(ALICE))
    return e.seal_block()

if __name__ == "__main__":
    e = Engine.open(sys.argv[1], make_genesis())
    limit = int(sys.argv[2])
    while e.head.number < limit:
        h = build(e, e.pending_number)
        print(h.number, h.hash.hex(), digest(e), flush=True)
"""


def _digest(e: Engine) -> str:
    h = hashlib.sha256()
    for k in sorted(e.state.head):
        h.update(k)
        h.update(e.state.head[k])
    return h.hexdigest()


def test_kill_9_mid_run_then_reopen_resumes_the_same_chain(tmp_path: Path) -> None:
    script = tmp_path / "builder.py"
    script.write_text(BUILDER)
    state_dir = tmp_path / "chain"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(state_dir), "100000"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    printed: dict[int, tuple[str, str]] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        n, h, d = line.split()
        printed[int(n)] = (h, d)
        if len(printed) >= 25:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    last_printed = max(printed)

    e = Engine.open(state_dir)
    assert e.head.number >= last_printed
    for n, (h, _) in printed.items():
        assert e.block_hash(n).hex() == h
    if e.head.number in printed:
        assert _digest(e) == printed[e.head.number][1]

    # the same work replayed from genesis in a fresh chain gives identical hashes and state
    spec = importlib.util.spec_from_file_location("localnet_crash_builder", script)
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    fresh = Engine.open(None, make_genesis())
    assert fresh.genesis_hash == e.genesis_hash
    while fresh.head.number < e.head.number:
        builder.build(fresh, fresh.pending_number)
    assert fresh.head == e.head
    assert _digest(fresh) == _digest(e)

    # and the reopened chain keeps going exactly like the fresh one
    a, b = builder.build(e, e.pending_number), builder.build(fresh, fresh.pending_number)
    assert a == b
    e.close()

"""Chain engine timings: extrinsic throughput, sealing, and a full epoch block with storage I/O.

For each size n (uids on subnet 1; 128 validators set min(1024, n) weights each), it prints:
- ``register``: sudo-registering n neurons (extrinsics/s),
- ``epoch block``: opening a block whose step runs the epoch (storage reads, Yuma, storage writes),
- ``seal``: committing that block to SQLite (WAL, on disk),
- ``transfer``: balance transfers applied per second, and ``storage_at`` reads per second.

    .venv/bin/python benchmarks/engine.py [--sizes 256 1024 4096]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from bt_llm.localnet.engine import Engine
from bt_llm.localnet.genesis import DEV_ACCOUNTS, GenesisConfig, SubnetConfig
from bt_llm.localnet.schema import Call
from bt_llm.localnet.storage import storage_key
from bt_llm.localnet.yuma import blocks_until_next_epoch

ALICE = DEV_ACCOUNTS["Alice"]
ST = "SubtensorModule"


def _hot(i: int) -> bytes:
    return i.to_bytes(4, "little") * 8


def run(n: int, state_dir: str) -> dict[str, float]:
    tempo = 360
    cfg = GenesisConfig.localnet(
        subnets=(SubnetConfig(netuid=1, tempo=tempo, hyperparameters={"MaxAllowedUids": max(n, 1)}),)
    )
    e = Engine.open(state_dir, cfg)
    sudo_nonce = e.account_nonce(ALICE)
    out: dict[str, float] = {}

    t = time.perf_counter()
    for i in range(n):
        stake = 10**12 + i if i < 128 else 0
        call = Call(
            ST,
            "sudo_register",
            {"netuid": 1, "hotkey": _hot(i), "coldkey": ALICE, "stake": stake, "balance": 0},
        )
        r = e.apply(Call("Sudo", "sudo", {"call": call}), signer=ALICE, nonce=sudo_nonce)
        sudo_nonce += 1
        assert r.success
    out["register/s"] = n / (time.perf_counter() - t)
    e.seal_block()

    # permits and weights written directly (128 validators x min(1024, n) weights)
    rng = np.random.default_rng(0)
    st = e.state
    st.set(ST, "ValidatorPermit", 1, [i < 128 for i in range(n)])
    k = min(1024, n)
    for v in range(min(128, n)):
        dests = sorted(rng.choice(n, size=k, replace=False).tolist())
        st.set(
            ST,
            "Weights",
            1,
            v,
            [(int(d), int(w)) for d, w in zip(dests, rng.integers(1, 65535, size=k), strict=True)],
        )
    lu = st.get(ST, "LastUpdate", 1)
    st.set(ST, "LastUpdate", 1, [x + 1 for x in lu])
    e.seal_block()
    while blocks_until_next_epoch(1, tempo, e.pending_number + 1) != 0:
        e.seal_block()
    t = time.perf_counter()
    e.seal_block()  # opens the epoch block: adjust, drain, emission, epoch, storage writes
    out["epoch block s"] = time.perf_counter() - t
    assert st.get(ST, "LoadedEmission", 1) is not None
    t = time.perf_counter()
    e.seal_block()  # commits it (and opens the payout block)
    out["seal+payout s"] = time.perf_counter() - t

    bob = DEV_ACCOUNTS["Bob"]
    m = 2000
    nonce = e.account_nonce(ALICE)
    t = time.perf_counter()
    for i in range(m):
        e.apply(
            Call("Balances", "transfer", {"dest": bob, "value": 1000}),
            signer=ALICE,
            nonce=nonce + i,
            length=140,
        )
    out["transfer/s"] = m / (time.perf_counter() - t)
    t = time.perf_counter()
    e.seal_block()
    out["seal 2000 xt s"] = time.perf_counter() - t
    key = storage_key("System", "Account", bob)
    t = time.perf_counter()
    for _ in range(20000):
        e.storage_at(key)
    out["storage_at/s"] = 20000 / (time.perf_counter() - t)
    old = e.block_hash(1)
    t = time.perf_counter()
    for _ in range(2000):
        e.storage_at(key, old)
    out["archive storage_at/s"] = 2000 / (time.perf_counter() - t)
    e.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as d:
            rows.append((n, run(n, d)))
    cols = list(rows[0][1])
    print(f"{'uids':>6} " + " ".join(f"{c:>20}" for c in cols))
    for n, r in rows:
        print(f"{n:>6} " + " ".join(f"{r[c]:>20.3f}" for c in cols))


if __name__ == "__main__":
    main()

"""Yuma Consensus epoch time for 256, 1024 and 4096 uids (target: well under 1 s at 4096).

Each subnet has 128 validators (the highest stakes, holding permits) that each set
``min(1024, n)`` weights on random uids of a shared pool of ``min(n, 1.25 * 1024)`` uids (so that
validators agree enough for consensus, and so bonds, to be non-zero), plus bonds carried over
from a previous epoch, so the
timed epoch does the full work: permits, masks, row normalisation, the stake-weighted median per
column, clipping, bonds EMA, dividends and the u16/bonds storage conversion. The time is the
median of several runs of ``run_epoch`` on the same input (building the input is not timed).

    .venv/bin/python benchmarks/epoch.py [--sizes 256 1024 4096] [--repeat 5] [--weights 1024]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bt_llm.localnet.yuma import EpochInput, run_epoch


def build_input(n: int, validators: int, weights_per_validator: int, seed: int = 0) -> EpochInput:
    """A subnet of ``n`` uids whose ``validators`` highest stakes set weights; bonds from one epoch."""
    rng = np.random.default_rng(seed)
    v = min(validators, n)
    stake = np.zeros(n, dtype=np.uint64)
    stake[:v] = rng.integers(1_000 * 10**9, 100_000 * 10**9, size=v, dtype=np.uint64)
    stake[v:] = rng.integers(0, 10**9, size=n - v, dtype=np.uint64)
    k = min(weights_per_validator, n)
    pool = min(n, k + k // 4)
    weights: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i in range(v):
        cols = np.sort(rng.choice(pool, size=k, replace=False))
        vals = rng.integers(1, 65536, size=k)
        vals = (vals * 65535 // vals.max()).tolist()
        weights[i] = list(zip(cols.tolist(), vals, strict=True))
    permit = np.zeros(n, dtype=bool)
    permit[:v] = True
    base = dict(
        stake=stake,
        last_update=np.full(n, 10, dtype=np.uint64),
        block_at_registration=np.zeros(n, dtype=np.uint64),
        validator_permit=permit,
        weights=weights,
        activity_cutoff=5000,
        kappa=32767,
        bonds_moving_average=900_000,
        max_allowed_validators=128,
        rao_emission=99 * 10**9,
    )
    first = run_epoch(EpochInput(current_block=11, bonds=[[] for _ in range(n)], **base))
    return EpochInput(current_block=12, bonds=first.bonds, **base)


def time_epoch(inp: EpochInput, repeat: int) -> tuple[float, float, int]:
    """Median and best wall time of ``run_epoch(inp)`` over ``repeat`` runs, and the stored bond count."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run_epoch(inp)
        times.append(time.perf_counter() - t0)
    assert out is not None
    return statistics.median(times), min(times), sum(len(r) for r in out.bonds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--validators", type=int, default=128)
    parser.add_argument("--weights", type=int, default=1024, help="weights per validator (capped at n)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    run_epoch(build_input(64, 16, 32))  # warm numpy code paths
    print(f"{'uids':>6} {'validators':>10} {'weights':>9} {'bonds':>8} {'median s':>9} {'best s':>8}")
    for n in args.sizes:
        inp = build_input(n, args.validators, args.weights)
        nnz = sum(len(r) for r in inp.weights)
        median, best, bonds = time_epoch(inp, args.repeat)
        print(f"{n:>6} {min(args.validators, n):>10} {nnz:>9} {bonds:>8} {median:>9.3f} {best:>8.3f}")


if __name__ == "__main__":
    main()

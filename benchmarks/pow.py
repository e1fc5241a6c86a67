"""Registration proof-of-work hash rates: our Numba solvers against the bittensor SDK's CPU loop.

Measures hashes per second (one nonce = one SHA-256 compression + one Keccak-f[1600]) for:

- our CPU solver on 1 thread and on all cores (``registration.cpu_solver.CpuSearch``);
- the SDK's inner loop ``bittensor.utils.registration.pow._solve_for_nonce_block`` (bittensor 9.12.2,
  pure Python per nonce), when ``.interop-venv`` exists (``make interop``);
- our CUDA solver, when Numba sees a GPU.

Then prints one table with ratios to the SDK loop, and the expected time to solve difficulties
10M, 100M and 1T at the measured rates. "Per CPU-second" divides by the process's CPU time, which
stays meaningful when other work shares the cores (wall-clock rates then drop). Run: ``.venv/bin/python benchmarks/pow.py [--seconds S]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bt_llm.registration.cpu_solver import CpuSearch, cpu_count  # noqa: E402
from bt_llm.registration.progress import duration, millify, rate  # noqa: E402
from bt_llm.registration.seal import expected_hashes, target_limbs  # noqa: E402

SDK_PYTHON = ROOT / ".interop-venv" / "bin" / "python"
NEVER = np.array(target_limbs(2**64 - 1), dtype=np.uint64)  # a target no test run will meet
WORDS = np.arange(8, dtype=np.uint32) * 0x01010101


def _measure(search, round_size: int, seconds: float) -> tuple[float, float]:
    """Run rounds of ``search`` for about ``seconds``; returns (wall H/s, H/s per CPU-second)."""
    search(WORDS, NEVER, 0)  # compile / warm up
    done, start = 0, 0
    w0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - w0 < seconds:
        search(WORDS, NEVER, start)
        done += round_size
        start += round_size
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return done / wall, done / cpu if cpu > 0 else float("nan")


def measure_cpu(threads: int, seconds: float) -> tuple[float, float]:
    backend = CpuSearch(threads, update_interval=100_000)
    return _measure(backend.search, backend.round_size, seconds)


SDK_CODE = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
from bittensor.utils.registration.pow import _solve_for_nonce_block
n = int(sys.argv[1])
bh = bytes(range(32))
t0 = time.perf_counter(); c0 = time.process_time()
_solve_for_nonce_block(0, n, bh, 2**64 - 1, 2**256 - 1, 1)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps([n / wall, n / cpu]))
"""


def measure_sdk(nonces: int) -> tuple[float, float] | None:
    if not SDK_PYTHON.exists():
        return None
    proc = subprocess.run(
        [str(SDK_PYTHON), "-c", SDK_CODE, str(nonces)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        print(f"SDK measurement failed: {proc.stderr[-500:]}", file=sys.stderr)
        return None
    wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, cpu


def measure_cuda(seconds: float, tpb: int, update_interval: int) -> tuple[float, float] | None:
    from bt_llm.registration.cuda_solver import CudaSearch, cuda_available

    if not cuda_available():
        return None
    backend = CudaSearch(0, tpb=tpb, update_interval=update_interval)
    return _measure(backend.search, backend.round_size, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per CPU/GPU measurement")
    parser.add_argument("--sdk-nonces", type=int, default=100_000, help="nonces for the SDK loop")
    parser.add_argument("--cuda-tpb", type=int, default=256)
    parser.add_argument("--cuda-update-interval", type=int, default=65_536, help="blocks per CUDA round")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)

    cores = cpu_count()
    rows: list[tuple[str, float, float]] = []
    sdk = measure_sdk(args.sdk_nonces)
    if sdk is not None:
        rows.append(("SDK 9.12.2 _solve_for_nonce_block", *sdk))
    rows.append(("Numba CPU, 1 thread", *measure_cpu(1, args.seconds)))
    if cores > 1:
        rows.append((f"Numba CPU, {cores} threads", *measure_cpu(cores, args.seconds)))
    cuda = measure_cuda(args.seconds, args.cuda_tpb, args.cuda_update_interval)
    if cuda is not None:
        rows.append((f"Numba CUDA, tpb {args.cuda_tpb}", *cuda))

    console = Console(width=max(Console().width, 110))
    table = Table(title=f"Registration PoW hash rate ({cores} cores)")
    table.add_column("solver")
    table.add_column("hash rate (wall)", justify="right")
    table.add_column("per CPU-second", justify="right")
    table.add_column("x SDK (wall)", justify="right")
    table.add_column("x SDK (per CPU-s)", justify="right")
    for name, wall, cpu in rows:
        gpu = "CUDA" in name
        ratio = f"{wall / sdk[0]:.1f}x" if sdk is not None else "n/a"
        cpu_ratio = f"{cpu / sdk[1]:.1f}x" if sdk is not None and not gpu else "-"
        table.add_row(name, rate(wall), "-" if gpu else rate(cpu), ratio, cpu_ratio)
    console.print(table)

    times = Table(title="Expected time to solve (expected hashes = difficulty)")
    times.add_column("difficulty")
    for name, _, _ in rows:
        times.add_column(name.split(" _solve")[0], justify="right")
    for difficulty in (10_000_000, 100_000_000, 10**12):
        hashes = expected_hashes(difficulty)
        times.add_row(millify(difficulty), *(duration(hashes / wall) for _, wall, _ in rows))
    console.print(times)
    if args.json:
        print(json.dumps({name: {"wall_hps": wall, "cpu_hps": cpu} for name, wall, cpu in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

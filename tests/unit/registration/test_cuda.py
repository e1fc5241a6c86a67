"""The CUDA solver: bit-exact against the CPU kernels.

On a machine with a CUDA GPU the ``cuda`` tests run on it; elsewhere they skip with a reason. The
kernels' logic is also checked everywhere under Numba's CUDA simulator, in a subprocess (the
simulator is chosen when ``numba`` is first imported).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from bt_llm.errors import RegistrationError
from bt_llm.registration.cpu_kernel import hash_words, seal_bytes, search
from bt_llm.registration.seal import meets_difficulty, seal, target_limbs
from bt_llm.registration.solver import cuda_available, solve

HAS_GPU = cuda_available()
requires_gpu = pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU: numba.cuda.is_available() is False")
HOTKEY = bytes(range(1, 33))


def _cpu_first_offset(bh_hash: bytes, start: int, difficulty: int, count: int) -> int:
    target = np.array(target_limbs(difficulty), dtype=np.uint64)
    return int(search(hash_words(bh_hash), target, np.uint64(start), -(-count // 32), 1))


SIMULATOR_CHECK = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    warnings.simplefilter("ignore")  # numpy warns when the simulator's uint64 nonce wraps
    from bt_llm.registration.cpu_kernel import hash_words, seal_bytes, search
    from bt_llm.registration.cuda_solver import CudaSearch
    from bt_llm.registration.seal import target_limbs
    bh = bytes(range(32))
    w = hash_words(bh)
    cs = CudaSearch(0, tpb=8, update_interval=2)
    start = 2**64 - 6
    got = cs.seals(w, start, 12)
    exact = all(got[i].astype("<u8").tobytes() == seal_bytes(w, (start + i) % 2**64) for i in range(12))
    target = np.array(target_limbs(6), dtype=np.uint64)
    gpu = [cs.search(w, target, s) for s in (0, 16, 32)]
    cpu = [int(search(w, target, np.uint64(s), 1, 1)) for s in (0, 16, 32)]
    print(json.dumps({"exact": exact, "gpu": gpu, "cpu": cpu}))
    """
)


def test_cuda_kernels_match_cpu_under_the_simulator() -> None:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", SIMULATOR_CHECK],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["exact"] is True
    # 16 nonces a round (2 blocks x 8 threads), the CPU looks at 32 from the same start: either both
    # find the same lowest offset, or the GPU finds none and the CPU's lies beyond the round.
    for gpu, cpu in zip(result["gpu"], result["cpu"], strict=True):
        assert gpu == cpu or (gpu == -1 and (cpu == -1 or cpu >= 16))


@pytest.mark.skipif(HAS_GPU, reason="a CUDA GPU is present")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(RegistrationError, match="no CUDA GPU"):
        solve(lambda: (1, bytes(32), 1), HOTKEY, cuda=True)


@pytest.mark.cuda
@requires_gpu
def test_gpu_seals_are_bit_exact_with_the_cpu() -> None:
    from bt_llm.registration.cuda_solver import CudaSearch

    rng = random.Random(9)
    cs = CudaSearch(0, tpb=256, update_interval=16)
    for start in (0, 2**32 - 100, 2**64 - 1000, rng.randrange(2**64)):
        bh = rng.randbytes(32)
        got = cs.seals(hash_words(bh), start, 4096)
        for i in range(0, 4096, 7):
            assert got[i].astype("<u8").tobytes() == seal_bytes(hash_words(bh), (start + i) % 2**64)


@pytest.mark.cuda
@requires_gpu
@pytest.mark.parametrize("difficulty", [1_000, 100_000])
def test_gpu_search_finds_the_cpu_first_solution(difficulty: int) -> None:
    from bt_llm.registration.cuda_solver import CudaSearch

    bh = bytes(range(32, 64))
    cs = CudaSearch(0, tpb=128, update_interval=64)  # 8192 nonces a round
    target = np.array(target_limbs(difficulty), dtype=np.uint64)
    for start in (0, 123_456, 2**64 - 3000):
        gpu = cs.search(hash_words(bh), target, start)
        cpu = _cpu_first_offset(bh, start, difficulty, cs.round_size)
        assert gpu == (cpu if 0 <= cpu < cs.round_size else -1)


@pytest.mark.cuda
@requires_gpu
def test_gpu_solver_solves_refreshes_and_cancels() -> None:
    blocks = iter(range(10, 10_000))
    state = {"block": 10}

    def get_block() -> tuple[int, bytes, int]:
        state["block"] = next(blocks)
        difficulty = 2**64 - 1 if state["block"] < 13 else 1_000_000
        return state["block"], bytes([state["block"] % 256]) * 32, difficulty

    reports = []
    sol = solve(get_block, HOTKEY, cuda=True, tpb=256, update_interval=1_024, progress=reports.append)
    assert sol is not None and sol.block_number >= 13
    assert sol.seal == seal(bytes([sol.block_number % 256]) * 32, HOTKEY, sol.nonce)
    assert meets_difficulty(sol.seal, 1_000_000)
    assert any(r.stale_dropped for r in reports)
    cancel = threading.Event()
    cancel.set()
    assert solve(lambda: (1, bytes(32), 2**64 - 1), HOTKEY, cuda=True, cancel=cancel) is None


PTX_CHECK = textwrap.dedent(
    """
    import json, types as pytypes
    import numba.cuda.dispatcher as dispatcher
    from numba import cuda, types
    from numba.cuda.cudadrv.error import NvvmSupportError
    # Device functions are compiled for the current device's compute capability; without a GPU, say 8.0.
    dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(8, 0))
    from bt_llm.registration import cuda_kernels as ck
    u32, u64, i64 = (types.Array(t, 1, "C") for t in (types.uint32, types.uint64, types.int64))
    try:
        search, _ = cuda.compile_ptx(ck.search_kernel.py_func, (u32, u64, types.uint64, i64), cc=(8, 0))
        seals, _ = cuda.compile_ptx(ck.seal_kernel.py_func, (u32, types.uint64, types.Array(types.uint64, 2, "C")),
                                    cc=(8, 0))
    except NvvmSupportError as exc:
        print(json.dumps({"skip": f"libNVVM is not available: {str(exc).splitlines()[0]}"}))
    else:
        print(json.dumps({"search": search, "seals": seals}))
    """
)


@pytest.mark.slow
def test_cuda_kernels_compile_to_ptx() -> None:
    """Numba's CUDA typing and lowering (not run by the simulator) accept the kernels, with 32-bit SHA-256."""
    proc = subprocess.run(
        [sys.executable, "-c", PTX_CHECK], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(result["skip"])
    for ptx in (result["search"], result["seals"]):
        assert ".entry" in ptx
        assert "shf.l.wrap.b32" in ptx  # SHA-256 rotations as 32-bit funnel shifts
    assert "atom.global.min.s64" in result["search"]

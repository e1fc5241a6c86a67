"""The CUDA solver: one nonce per GPU thread, ``tpb`` threads per block, same loop as the CPU one.

A round launches ``update_interval`` blocks of ``tpb`` threads (``update_interval * tpb`` nonces,
as the SDK's cubit solver counts them); between rounds the driver refreshes the block.
``numba.cuda`` is imported only when a solver is built.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import numpy as np

from bt_llm.errors import ConfigError, RegistrationError
from bt_llm.registration.driver import drive
from bt_llm.registration.results import GetBlock, PowSolution, Progress


def cuda_available() -> bool:
    """Whether Numba sees a usable CUDA GPU (or runs its CUDA simulator)."""
    try:
        from numba import cuda
    except ImportError:  # pragma: no cover - numba always ships numba.cuda here
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # numba raises driver errors of several kinds on broken installs
        return False


class CudaSearch:
    """A search backend on GPU ``dev_id``: ``update_interval * tpb`` nonces per round."""

    def __init__(self, dev_id: int = 0, tpb: int = 256, update_interval: int = 50_000) -> None:
        if not cuda_available():
            raise RegistrationError("CUDA was asked for but no CUDA GPU is available to Numba")
        if not 1 <= tpb <= 1024:
            raise ConfigError(f"cuda.tpb must be between 1 and 1024, got {tpb}")
        if update_interval < 1:
            raise ConfigError(f"update_interval must be positive, got {update_interval}")
        from numba import cuda

        from bt_llm.registration import cuda_kernels

        try:
            cuda.select_device(dev_id)
        except Exception as exc:
            raise ConfigError(f"cannot select CUDA device {dev_id}: {exc}") from exc
        self._cuda = cuda
        self._kernels = cuda_kernels
        self.dev_id = dev_id
        self.tpb = tpb
        self.blocks = update_interval
        self.round_size = update_interval * tpb
        self._inputs: tuple[int, int, Any, Any] | None = None
        self._out = cuda.to_device(np.full(1, cuda_kernels.NOT_FOUND, dtype=np.int64))

    def _device_inputs(self, words: np.ndarray, target: np.ndarray) -> tuple[Any, Any]:
        if self._inputs is None or self._inputs[0] != id(words) or self._inputs[1] != id(target):
            self._inputs = (id(words), id(target), self._cuda.to_device(words), self._cuda.to_device(target))
        return self._inputs[2], self._inputs[3]

    def search(self, words: np.ndarray, target: np.ndarray, start: int) -> int:
        d_words, d_target = self._device_inputs(words, target)
        self._out.copy_to_device(np.full(1, self._kernels.NOT_FOUND, dtype=np.int64))
        self._kernels.search_kernel[self.blocks, self.tpb](d_words, d_target, np.uint64(start), self._out)
        found = int(self._out.copy_to_host()[0])
        return -1 if found == self._kernels.NOT_FOUND else found

    def seals(self, words: np.ndarray, start: int, count: int) -> np.ndarray:
        """The seal lanes (``count`` x 4 uint64) of nonces ``start .. start+count-1``, for checks."""
        out = self._cuda.device_array((count, 4), dtype=np.uint64)
        blocks = -(-count // self.tpb)
        self._kernels.seal_kernel[blocks, self.tpb](self._cuda.to_device(words), np.uint64(start), out)
        return out.copy_to_host()


def solve_cuda(
    get_block: GetBlock,
    hotkey_pubkey: bytes,
    *,
    dev_id: int = 0,
    tpb: int = 256,
    update_interval: int = 50_000,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
) -> PowSolution | None:
    """Solve the registration PoW on a CUDA GPU; the same contract as :func:`~registration.cpu_solver.solve_cpu`.

    Raises:
        RegistrationError: no CUDA GPU, or bad inputs from ``get_block``.
        ConfigError: a bad ``dev_id``, ``tpb`` or ``update_interval``.
    """
    backend = CudaSearch(dev_id, tpb, update_interval)
    return drive(backend, get_block, hotkey_pubkey, progress=progress, cancel=cancel, rng=rng)

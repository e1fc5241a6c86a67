"""The CPU solver: Numba threads over nonce batches, all cores by default.

Each round tries ``update_interval`` nonces per thread (rounded up to the kernel's ``LANES``), in
chunks the threads take one at a time; they stop as soon as one finds a seal. Between rounds the driver refreshes the block, so the
work is never older than one round.

Example:
    >>> from registration.cpu_solver import solve_cpu
    >>> sol = solve_cpu(lambda: (1, bytes(32), 1000), bytes(32), processes=1, update_interval=1024)
    >>> sol.difficulty, len(sol.seal)
    (1000, 32)
"""

from __future__ import annotations

import random
import threading

import numba
import numpy as np

from bt_llm.errors import ConfigError
from bt_llm.registration.cpu_kernel import LANES, search
from bt_llm.registration.driver import drive
from bt_llm.registration.results import GetBlock, PowSolution, Progress

CHUNKS_PER_THREAD = 4


def cpu_count() -> int:
    """The threads Numba may use (all cores unless ``NUMBA_NUM_THREADS`` says otherwise)."""
    return int(numba.config.NUMBA_NUM_THREADS)


class CpuSearch:
    """A search backend over ``threads`` Numba threads, ``batches * LANES`` nonces each per round."""

    def __init__(self, threads: int | None = None, update_interval: int = 50_000) -> None:
        threads = cpu_count() if threads is None else threads
        if not 1 <= threads <= cpu_count():
            raise ConfigError(f"processes must be between 1 and {cpu_count()}, got {threads}")
        if update_interval < 1:
            raise ConfigError(f"update_interval must be positive, got {update_interval}")
        self.threads = threads
        batches = -(-update_interval // LANES)
        # Several chunks per thread, handed out one at a time, so a busy core does not hold the round.
        self.chunks = threads * (CHUNKS_PER_THREAD if batches >= 16 * CHUNKS_PER_THREAD else 1)
        self.batches = -(-batches * threads // self.chunks)
        self.round_size = self.chunks * self.batches * LANES

    def search(self, words: np.ndarray, target: np.ndarray, start: int) -> int:
        previous = numba.get_num_threads()
        numba.set_num_threads(self.threads)
        try:
            with numba.parallel_chunksize(1):
                return int(search(words, target, np.uint64(start), self.batches, self.chunks))
        finally:
            numba.set_num_threads(previous)


def solve_cpu(
    get_block: GetBlock,
    hotkey_pubkey: bytes,
    *,
    processes: int | None = None,
    update_interval: int = 50_000,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
) -> PowSolution | None:
    """Solve the registration PoW on the CPU; ``None`` when ``cancel`` is set first.

    Args:
        get_block: returns ``(block_number, block_hash, difficulty)`` of the chain's current block;
            called once per round.
        hotkey_pubkey: the 32-byte public key of the hotkey to register.
        processes: worker threads (default: all cores).
        update_interval: nonces per thread between two calls of ``get_block``.
        progress: called with a :class:`~registration.results.PowProgress` after every round.
        cancel: set it to stop between two rounds.
        rng: where the random start nonce comes from (default: the system's).

    Raises:
        ConfigError: bad ``processes`` or ``update_interval``.
        RegistrationError: bad inputs from ``get_block`` or the hotkey.
    """
    backend = CpuSearch(processes, update_interval)
    return drive(backend, get_block, hotkey_pubkey, progress=progress, cancel=cancel, rng=rng)

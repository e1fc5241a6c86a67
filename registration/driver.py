"""The solving loop shared by the CPU and CUDA solvers.

A backend tries a fixed number of nonces per call (one *round*). While a round runs, a helper
thread asks ``get_block`` whether the chain advanced (one call in flight at a time, so a fast
``get_block`` is called once per round); after the round, the driver checks the cancel event, drops
the stale work if the answer names a new block (re-hashing it with the hotkey), and reports progress.
A slow node never stalls the hashing. Every solution a backend finds is
re-checked with the pure-Python seal before it is returned.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np

from bt_llm.errors import RegistrationError
from bt_llm.registration.results import GetBlock, PowProgress, PowSolution, Progress
from bt_llm.registration.seal import (
    MAX_DIFFICULTY,
    NONCE_LIMIT,
    block_hotkey_hash,
    meets_difficulty,
    seal_from_hash,
    target_limbs,
)

RATE_WINDOW_S = 5.0  # the hash-rate moving average looks this far back


class SearchBackend(Protocol):
    """Tries ``round_size`` nonces from ``start`` (wrapping at 2**64) per call."""

    round_size: int

    def search(self, words: np.ndarray, target: np.ndarray, start: int) -> int:
        """The offset from ``start`` of a nonce whose seal is at most ``target``, or -1."""
        ...


def _as_block(value: tuple[int, bytes | str, int]) -> tuple[int, bytes, int]:
    try:
        number, block_hash, difficulty = value
    except (TypeError, ValueError) as exc:
        raise RegistrationError(
            f"get_block must return (block_number, block_hash, difficulty), got {value!r}"
        ) from exc
    if isinstance(block_hash, str):
        block_hash = bytes.fromhex(block_hash.removeprefix("0x"))
    if len(block_hash) != 32:
        raise RegistrationError(f"block hash must be 32 bytes, got {len(block_hash)}")
    if not 0 <= int(difficulty) <= MAX_DIFFICULTY:
        raise RegistrationError(f"difficulty must be a u64, got {difficulty}")
    return int(number), bytes(block_hash), int(difficulty)


class _Work:
    """The current block's inputs, in the form the kernels take."""

    def __init__(self, block: tuple[int, bytes, int], hotkey_pubkey: bytes) -> None:
        self.block_number, self.block_hash, self.difficulty = block
        self.hash = block_hotkey_hash(self.block_hash, hotkey_pubkey)
        self.words = np.frombuffer(self.hash, dtype=">u4").astype(np.uint32)
        self.target = np.array(target_limbs(self.difficulty), dtype=np.uint64)

    def same_block(self, block: tuple[int, bytes, int]) -> bool:
        return block == (self.block_number, self.block_hash, self.difficulty)


class _Rate:
    """Hashes per second over a sliding window."""

    def __init__(self, start: float) -> None:
        self.samples: deque[tuple[float, int]] = deque([(start, 0)])

    def add(self, now: float, tried: int) -> float:
        self.samples.append((now, tried))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW_S:
            self.samples.popleft()
        t0, n0 = self.samples[0]
        return (tried - n0) / (now - t0) if now > t0 else 0.0


def drive(
    backend: SearchBackend,
    get_block: GetBlock,
    hotkey_pubkey: bytes,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
) -> PowSolution | None:
    """Run ``backend`` round after round until a seal meets the current difficulty.

    Returns the solution, or ``None`` when ``cancel`` was set. Ctrl-C raises ``KeyboardInterrupt``
    between two rounds.

    Raises:
        RegistrationError: bad inputs from ``get_block``, or a kernel seal that fails the re-check.
    """
    if len(hotkey_pubkey) != 32:
        raise RegistrationError(f"hotkey public key must be 32 bytes, got {len(hotkey_pubkey)}")
    work = _Work(_as_block(get_block()), hotkey_pubkey)
    nonce = (rng or random.SystemRandom()).randrange(NONCE_LIMIT + 1)
    started = time.monotonic()
    rate = _Rate(started)
    tried = rounds = 0
    # The chain is polled on a helper thread, one call in flight at a time, while the kernels (which
    # release the GIL) hash; a round never waits for the node, it takes the answer once it is there.
    poller = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pow-get-block")
    pending: Future[tuple[int, bytes, int]] | None = None
    try:
        while cancel is None or not cancel.is_set():
            if pending is None:
                pending = poller.submit(get_block)
            offset = backend.search(work.words, work.target, nonce)
            rounds += 1
            if offset >= 0:
                return _solution(work, (nonce + offset) & NONCE_LIMIT, tried + offset + 1, started, rate, rounds,
                                 progress)  # fmt: skip
            tried += backend.round_size
            nonce = (nonce + backend.round_size) & NONCE_LIMIT
            previous = None
            if pending.done():
                block = _as_block(pending.result())
                pending = None
                if not work.same_block(block):
                    previous = work.block_number
                    work = _Work(block, hotkey_pubkey)
            if progress is not None:
                now = time.monotonic()
                progress(_report(work, tried, now - started, rate.add(now, tried), rounds, previous=previous))
    finally:
        poller.shutdown(wait=False, cancel_futures=True)
    return None


def _solution(
    work: _Work, nonce: int, tried: int, started: float, rate: _Rate, rounds: int, progress: Progress | None
) -> PowSolution:
    seal = seal_from_hash(work.hash, nonce)
    if not meets_difficulty(seal, work.difficulty):
        raise RegistrationError(f"kernel seal for nonce {nonce} fails the difficulty re-check")
    if progress is not None:
        now = time.monotonic()
        progress(_report(work, tried, now - started, rate.add(now, tried), rounds, solved=True))
    return PowSolution(work.block_number, nonce, seal, work.difficulty)


def _report(
    work: _Work,
    tried: int,
    elapsed: float,
    hash_rate: float,
    rounds: int,
    *,
    previous: int | None = None,
    solved: bool = False,
) -> PowProgress:
    return PowProgress(
        difficulty=work.difficulty,
        block_number=work.block_number,
        nonces_tried=tried,
        elapsed_s=elapsed,
        hash_rate=hash_rate,
        rounds=rounds,
        stale_dropped=previous is not None,
        previous_block=previous,
        solved=solved,
    )

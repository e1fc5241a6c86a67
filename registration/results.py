"""What the solvers hand back: a solution, and progress reports while they work.

Example:
    >>> s = PowSolution(block_number=10, nonce=7, seal=bytes(32), difficulty=1)
    >>> s.is_stale(12), s.is_stale(13)
    (False, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The chain refuses work when ``current_block - block_number >= STALE_AFTER`` (or from the future).
STALE_AFTER = 3

GetBlock = Callable[[], "tuple[int, bytes, int]"]  # () -> (block_number, block_hash, difficulty)


@dataclass(frozen=True)
class PowSolution:
    """A nonce whose seal meets ``difficulty`` for the hash of ``block_number``."""

    block_number: int
    nonce: int
    seal: bytes
    difficulty: int

    def is_stale(self, current_block: int) -> bool:
        """Whether the chain at ``current_block`` would refuse this work as too old or from the future."""
        return current_block - self.block_number >= STALE_AFTER or current_block < self.block_number


@dataclass(frozen=True)
class PowProgress:
    """One progress report, sent after every round of nonces.

    ``stale_dropped`` is set on the report right after the chain advanced: the work for
    ``previous_block`` was dropped and the solver moved on to ``block_number``.
    """

    difficulty: int
    block_number: int
    nonces_tried: int
    elapsed_s: float
    hash_rate: float  # hashes per second, moving average over the last few seconds
    rounds: int
    stale_dropped: bool = False
    previous_block: int | None = None
    solved: bool = False


Progress = Callable[[PowProgress], None]

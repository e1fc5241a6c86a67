"""Pipeline step 4: a bounded priority queue in front of a fixed number of worker slots.

``acquire(priority, timeout)`` takes a slot at once when one is free, else waits in a heap (higher
priority first, then arrival order); a full queue refuses at once (:class:`QueueFull` → 503) and a
wait past the timeout gives up (:class:`asyncio.TimeoutError` → 408). Every granted slot is given
back with ``release()``, which hands it straight to the best waiter. One event loop only.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     gate = PriorityGate(workers=1, max_queue=1)
    ...     await gate.acquire(0.0, timeout=1)
    ...     waiter = asyncio.ensure_future(gate.acquire(5.0, timeout=1))
    ...     await asyncio.sleep(0)
    ...     gate.release()
    ...     await waiter
    ...     gate.release()
    ...     return gate.busy, gate.waiting
    >>> asyncio.run(demo())
    (0, 0)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

from bt_llm.errors import ProtocolError

__all__ = ["PriorityGate", "QueueFull"]


class QueueFull(ProtocolError):
    """Every worker is busy and the waiting queue is at its bound."""


class PriorityGate:
    """``workers`` slots, at most ``max_queue`` waiters, served highest priority first."""

    def __init__(self, workers: int, max_queue: int) -> None:
        if workers < 1 or max_queue < 0:
            raise ValueError("workers must be >= 1 and max_queue >= 0")
        self.workers = workers
        self.max_queue = max_queue
        self.busy = 0
        self.waiting = 0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, priority: float, timeout: float) -> None:
        """Take a slot, waiting in priority order for at most ``timeout`` seconds.

        Raises:
            QueueFull: no slot is free and ``max_queue`` requests already wait.
            asyncio.TimeoutError: no slot came free in time.
        """
        if self.busy < self.workers and self.waiting == 0:
            self.busy += 1
            return
        if self.waiting >= self.max_queue:
            raise QueueFull(f"queue full: {self.waiting} requests waiting")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (-float(priority), next(self._order), future))
        self.waiting += 1
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except BaseException:
            if future.done() and not future.cancelled():
                self.release()  # the slot arrived just as we gave up: pass it on
            else:
                future.cancel()
                self.waiting -= 1
            raise

    def release(self) -> None:
        """Give a slot back: the best live waiter gets it, else it becomes free."""
        while self._heap:
            _, _, future = heapq.heappop(self._heap)
            if not future.done():
                self.waiting -= 1
                future.set_result(None)
                return
        self.busy -= 1

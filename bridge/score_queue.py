"""Scoring off the answer's path, in batches: one thread hop for every answer waiting, not one each.

When a model names one miner there is nothing to choose, so the bridge answers first and scores later.
Handing each answer to a thread on its own (``asyncio.to_thread``) costs a thread wake-up and a
future per request; under load that is a large part of a request's CPU. :class:`ScoreQueue` collects
the answers scored later and runs whatever has piled up in one thread call (or, for a cheap scorer,
on the loop itself), then hands each scored item to ``then`` (the rewards sent back to the miners).

Example:
    >>> import asyncio
    >>> async def main():
    ...     queue = ScoreQueue(lambda job: job * 10, then=None)
    ...     for job in (1, 2, 3):
    ...         queue.submit(job)
    ...     await queue.join()
    ...     return queue.scored
    >>> asyncio.run(main())
    3
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("bridge.scoring")

_EXECUTOR: concurrent.futures.ThreadPoolExecutor | None = None


def _background_priority() -> None:
    """The scoring thread runs at a lower CPU priority (Linux: per thread, inherited by the threads a
    model starts), so answers in flight get the cores first."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _scoring_thread() -> concurrent.futures.ThreadPoolExecutor:
    """One background thread for model scorers, shared by every loop of the process."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="bridge-scoring",
                                                          initializer=_background_priority)
    return _EXECUTOR


J = TypeVar("J")
R = TypeVar("R")


class ScoreQueue(Generic[J, R]):
    """``submit(job)`` from the event loop; ``score(job)`` runs in a worker thread, ``then(job, result)`` after.

    Each event loop that submits gets its own worker task, which lives while jobs keep coming.
    """

    def __init__(self, score: Callable[[J], R], then: Callable[[J, R], Awaitable[None]] | None, *,
                 inline: bool = False, max_pending: int = 1024, on_drop: Callable[[], None] | None = None,
                 score_batch: Callable[[list[J]], list[R]] | None = None, window: float = 0.0) -> None:
        self._score = score
        self._score_batch = score_batch  # one call for everything that waited (batched embeddings)
        self.window = window
        self._then = then
        self.inline = inline  # score on the event loop itself (a cheap scorer): no thread at all
        self._pending: dict[asyncio.AbstractEventLoop, list[J]] = {}
        self._workers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._followers: set[asyncio.Task[None]] = set()
        self.scored = 0
        self.batches = 0
        self.max_pending = max_pending  # jobs waiting per loop; past it new ones are dropped (counted)
        self.dropped = 0
        self._on_drop = on_drop

    def submit(self, job: J) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending.setdefault(loop, [])
        if len(pending) >= self.max_pending:  # scoring fell behind: answers still go out, this one is not scored
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop()
            return
        pending.append(job)
        worker = self._workers.get(loop)
        if worker is None or worker.done():
            self._workers[loop] = loop.create_task(self._work(loop))

    async def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            if not self.inline and self.window > 0:
                await asyncio.sleep(self.window)  # let a batch gather: one model call serves them all
            batch = self._pending.pop(loop, [])
            if not batch:
                return
            if self.inline:
                done = self._score_all(batch)
            else:
                done = await loop.run_in_executor(_scoring_thread(), self._score_all, batch)
            self.batches += 1
            self.scored += len(done)
            if self._then is not None:
                for job, result in done:
                    follower = loop.create_task(self._then(job, result))
                    self._followers.add(follower)
                    follower.add_done_callback(self._followers.discard)

    def _score_all(self, batch: list[J]) -> list[tuple[J, R]]:
        if self._score_batch is not None and len(batch) > 1:
            try:
                return list(zip(batch, self._score_batch(batch), strict=True))
            except Exception:  # one bad job must not cost the others their scores: one by one below
                log.exception("scoring a batch failed; scoring its answers one by one")
        done = []
        for job in batch:
            try:
                done.append((job, self._score(job)))
            except Exception:  # a broken scorer must not take the bridge with it: the answer went out already
                log.exception("scoring an answer failed")
        return done

    async def join(self) -> None:
        """Wait until everything submitted on this loop is scored and followed up."""
        loop = asyncio.get_running_loop()
        while (worker := self._workers.get(loop)) is not None and not worker.done():
            await asyncio.shield(worker)
        followers = [t for t in self._followers if t.get_loop() is loop]
        if followers:
            await asyncio.gather(*followers, return_exceptions=True)

    async def cancel(self) -> None:
        """Drop what this loop has not scored yet and stop its follow-ups (shutdown)."""
        loop = asyncio.get_running_loop()
        self._pending.pop(loop, None)
        tasks = [t for t in (self._workers.pop(loop, None), *self._followers) if t is not None and t.get_loop() is loop]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

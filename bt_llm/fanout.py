"""Hedged fan-out across delegate endpoints, and the delegates a client remembers.

``bt.prompt`` asks the best delegate first. When it has not answered (or, streaming, produced its first
token) within a hedge delay learned from its past latency, the next ones are asked too, up to
``max_in_flight`` at once; a delegate that fails hands its seat to the next one at once. The first good answer wins
and the other requests are cancelled. The caller's ``timeout`` is one budget for the whole call.

:class:`DelegateMemory` keeps, per delegate hotkey, a moving average of its latency, its consecutive
failures (a failing delegate cools down: 15 s, doubling to 5 minutes) and whether its axon speaks the
delegate protocol at all (a 404 for the delegate synapse: skipped for an hour). It lives in the process
and in the bt-llm cache folder (``delegates.json``, entries expire after 10 minutes), so a script
run again does not wait on the delegate that hung last time. The order blends the measured quality
with stake: ``0.7 * quality + 0.3 * stake share``, cooling delegates last.

Example:
    >>> memory = DelegateMemory(path=None)
    >>> memory.record_success("5Fast", 0.2); memory.record_failure("5Hung")
    >>> memory.hedge_delay("5Fast") < memory.hedge_delay("unknown")
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

DEFAULT_HEDGE_DELAY = 1.0  # seconds, for a delegate never measured
MIN_HEDGE_DELAY, MAX_HEDGE_DELAY = 0.15, 3.0
MEMORY_TTL = 600.0
COOLDOWN, MAX_COOLDOWN = 15.0, 300.0
NOT_A_DELEGATE = 3600.0

T = TypeVar("T")


class Endpoint(Protocol):
    """What the fan-out needs of a delegate (``bt_llm.prompting.DelegateEndpoint``)."""

    @property
    def hotkey(self) -> str: ...

    @property
    def stake(self) -> float: ...


E = TypeVar("E", bound=Endpoint)


@dataclass
class DelegateRecord:
    """What is known of one delegate; times are ``time.time()`` so they survive the process."""

    latency: float | None = None
    failures: int = 0
    cooldown_until: float = 0.0
    not_delegate_until: float = 0.0
    updated: float = 0.0


def _default_path() -> Path:
    from bt_llm.settings import cache_dir

    return cache_dir() / "delegates.json"


class DelegateMemory:
    """Per-delegate latency, failures and refusals, shared by every call in the process and persisted
    (best effort) in ``path``; ``path=None`` keeps it in memory only."""

    def __init__(self, path: Path | str | None = "default", ttl: float = MEMORY_TTL) -> None:
        self.path = _default_path() if path == "default" else (Path(path) if path is not None else None)
        self.ttl = ttl
        self._records: dict[str, DelegateRecord] = {}
        self._loaded = False
        self._lock = threading.Lock()

    # -- persistence ------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None:
            return
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        now = time.time()
        for hotkey, fields in raw.items() if isinstance(raw, dict) else ():
            with contextlib.suppress(TypeError, ValueError):
                record = DelegateRecord(**fields)
                if now - record.updated < self.ttl:
                    self._records.setdefault(hotkey, record)

    def _save(self) -> None:
        if self.path is None:
            return
        now = time.time()
        data = {k: asdict(r) for k, r in self._records.items() if now - r.updated < self.ttl}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".delegates-")
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)
        except OSError:  # a read-only cache folder costs the memory across processes, nothing else
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    def _record(self, hotkey: str) -> DelegateRecord:
        self._load()
        return self._records.setdefault(hotkey, DelegateRecord())

    # -- what calls report ----------------------------------------------------------------------

    def record_success(self, hotkey: str, latency: float) -> None:
        """A good answer (or first token) after ``latency`` seconds."""
        with self._lock:
            r = self._record(hotkey)
            r.latency = latency if r.latency is None else 0.7 * r.latency + 0.3 * latency
            r.failures, r.cooldown_until, r.updated = 0, 0.0, time.time()
            self._save()

    def record_slow(self, hotkey: str, elapsed: float) -> None:
        """Lost a hedge after ``elapsed`` seconds without answering: at least that slow."""
        with self._lock:
            r = self._record(hotkey)
            r.latency = elapsed if r.latency is None else max(r.latency, 0.7 * r.latency + 0.3 * elapsed)
            r.updated = time.time()
            self._save()

    def record_failure(self, hotkey: str, *, not_delegate: bool = False) -> None:
        """An error, a refusal or no answer within the budget; ``not_delegate``: a 404 for the synapse."""
        with self._lock:
            r = self._record(hotkey)
            now = time.time()
            r.failures += 1
            r.cooldown_until = now + min(COOLDOWN * 2 ** (r.failures - 1), MAX_COOLDOWN)
            if not_delegate:
                r.not_delegate_until = now + NOT_A_DELEGATE
            r.updated = now
            self._save()

    # -- what calls ask ---------------------------------------------------------------------------

    def get(self, hotkey: str) -> DelegateRecord:
        with self._lock:
            return DelegateRecord(**asdict(self._record(hotkey)))

    def hedge_delay(self, hotkey: str) -> float:
        """How long to wait on ``hotkey`` before asking the next delegate too."""
        latency = self.get(hotkey).latency
        if latency is None:
            return DEFAULT_HEDGE_DELAY
        return min(max(1.5 * latency + 0.05, MIN_HEDGE_DELAY), MAX_HEDGE_DELAY)

    def order(self, endpoints: Sequence[E]) -> list[E]:
        """Best first: measured quality blended with stake; cooling ones last; non-delegates left out
        unless nothing else is left."""
        now = time.time()
        total = sum(max(e.stake, 0.0) for e in endpoints) or 1.0
        records = {e.hotkey: self.get(e.hotkey) for e in endpoints}

        def key(e: E) -> tuple[bool, float]:
            r = records[e.hotkey]
            latency = r.latency if r.latency is not None else DEFAULT_HEDGE_DELAY
            quality = 1.0 / (1.0 + latency) * 0.5 ** min(r.failures, 8)
            return r.cooldown_until > now, -(0.7 * quality + 0.3 * max(e.stake, 0.0) / total)

        speaking = [e for e in endpoints if records[e.hotkey].not_delegate_until <= now]
        return sorted(speaking or list(endpoints), key=key)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._loaded = True
            self._save()


@dataclass
class Outcome(Generic[T]):
    """What one delegate gave: ``value`` when good, else ``failure`` (a line naming it); ``not_delegate``
    when its axon does not serve the delegate synapse."""

    value: T | None = None
    failure: str = ""
    not_delegate: bool = False


async def hedged(endpoints: Sequence[E], attempt: Callable[[E, float], Awaitable[Outcome[T]]], *, timeout: float,
                 memory: DelegateMemory, max_in_flight: int = 3) -> tuple[E, T, list[str]]:
    """Ask ``endpoints`` (best first by ``memory``) with hedging; the first good outcome wins.

    ``attempt(endpoint, budget)`` makes one request within ``budget`` seconds. Losers are cancelled.
    Returns ``(endpoint, value, failures)``.

    Raises:
        TimeoutError: no good outcome within ``timeout``; ``args[0]`` lists the failures.
        LookupError: every delegate failed before the budget ran out; ``args[0]`` lists them.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    order = memory.order(endpoints)
    waiting = list(order)
    flying: dict[asyncio.Future[Outcome[T]], tuple[E, float]] = {}
    failures: list[str] = []
    next_hedge = math.inf

    def launch() -> None:
        nonlocal next_hedge
        endpoint = waiting.pop(0)
        started = loop.time()
        flying[asyncio.ensure_future(attempt(endpoint, max(deadline - started, 0.01)))] = (endpoint, started)
        next_hedge = started + memory.hedge_delay(endpoint.hotkey)

    launch()
    try:
        while flying or waiting:
            now = loop.time()
            if now >= deadline:
                break
            if not flying:  # nothing in flight (the start, or every one failed): the next one
                launch()
                continue
            if waiting and len(flying) < max_in_flight and now >= next_hedge:
                # The hedge delay passed without an answer: every free seat is taken at once (a
                # second silent delegate should not cost a second delay).
                while waiting and len(flying) < max_in_flight:
                    launch()
                continue
            hedge_at = next_hedge if waiting and len(flying) < max_in_flight else math.inf
            done, _ = await asyncio.wait(flying, timeout=min(deadline, hedge_at) - now,
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                endpoint, started = flying.pop(task)
                elapsed = loop.time() - started
                try:
                    outcome = task.result()
                except Exception as exc:  # a transport failure is that delegate's, not the call's
                    outcome = Outcome(failure=f"{type(exc).__name__}: {exc}")
                if outcome.value is not None:
                    memory.record_success(endpoint.hotkey, elapsed)
                    for other, (loser, began) in flying.items():
                        other.cancel()
                        memory.record_slow(loser.hotkey, loop.time() - began)
                    return endpoint, outcome.value, failures
                memory.record_failure(endpoint.hotkey, not_delegate=outcome.not_delegate)
                failures.append(f"{endpoint.hotkey}: {outcome.failure}")
                if waiting:  # a failure frees its seat at once
                    launch()
        if flying or loop.time() >= deadline:
            for endpoint, _ in flying.values():
                memory.record_failure(endpoint.hotkey)
                failures.append(f"{endpoint.hotkey}: no answer within {timeout:g} s")
            raise TimeoutError(failures)
        raise LookupError(failures)
    finally:
        for task in flying:
            task.cancel()
        if flying:
            await asyncio.gather(*flying, return_exceptions=True)

"""Which miners of a subnet the bridge can ask, ranked: a view of the metagraph refreshed in the background."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bt_llm.bridge.health import Check
from bt_llm.bridge.weights import ScoreBook
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.seams import Metagraph

log = logging.getLogger("bridge.directory")

COOLDOWN, MAX_COOLDOWN = 5.0, 120.0
UNTRIED_SCORE = 0.5  # a miner the bridge has not scored yet ranks as an average one, so it gets tried


@dataclass(frozen=True)
class Miner:
    uid: int
    hotkey: str
    axon: AxonInfo
    incentive: float


@dataclass(frozen=True)
class Snapshot:
    block: int
    n: int
    miners: tuple[Miner, ...]

    def by_uid(self, uid: int) -> Miner | None:
        return next((m for m in self.miners if m.uid == uid), None)


def snapshot_from_metagraph(metagraph: Metagraph, *, exclude_hotkeys: frozenset[str] = frozenset()) -> Snapshot:
    """The serving miners of a metagraph (anything with ``n, hotkeys, axons, I, block``)."""
    incentive = [float(x) for x in getattr(metagraph, "I", [])] or [0.0] * int(metagraph.n)
    miners = tuple(
        Miner(uid=uid, hotkey=hotkey, axon=axon, incentive=incentive[uid] if uid < len(incentive) else 0.0)
        for uid, (hotkey, axon) in enumerate(zip(metagraph.hotkeys, metagraph.axons, strict=False))
        if axon is not None and axon.is_serving and hotkey not in exclude_hotkeys
    )
    return Snapshot(block=int(metagraph.block), n=int(metagraph.n), miners=miners)


class MinerDirectory:
    """Holds the latest snapshot; ``refresh()`` re-reads the chain, ``start()`` does it periodically."""

    def __init__(self, load: Callable[[], Snapshot], scores: ScoreBook, *, refresh_seconds: float = 12.0,
                 on_refresh_failure: Callable[[], None] | None = None) -> None:
        self._load = load
        self._on_refresh_failure = on_refresh_failure
        self._scores = scores
        self._refresh_seconds = refresh_seconds
        self._snapshot = Snapshot(block=0, n=0, miners=())
        self._latency: dict[int, float] = {}  # per uid, moving average of good answers' latency
        self._failures: dict[int, int] = {}  # per uid, failures (timeouts, errors) in a row
        self._cooling: dict[int, float] = {}  # per uid, time.monotonic() until which it is asked last
        self._outstanding: dict[int, int] = {}  # per uid, requests in flight from this bridge
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refreshed_at: float | None = None  # time.monotonic() of the last refresh that worked
        self._refresh_error: str | None = None  # why the last refresh failed, None when it worked

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def refresh(self) -> Snapshot:
        try:
            new = self._load()
        except Exception as exc:
            self._refresh_error = f"{type(exc).__name__}: {exc}"
            if self._on_refresh_failure is not None:
                self._on_refresh_failure()
            raise
        self._refreshed_at, self._refresh_error = time.monotonic(), None
        old = self._snapshot
        replaced = {m.uid for m in old.miners if (n := new.by_uid(m.uid)) is None or n.hotkey != m.hotkey}
        if replaced:
            self._scores.forget(replaced)
            with self._lock:
                for table in (self._latency, self._failures, self._cooling):
                    for uid in replaced:
                        table.pop(uid, None)
        self._snapshot = new
        return new

    def checks(self) -> list[Check]:
        """``chain``: the last metagraph refresh worked, recently; ``miners``: one at least is not
        cooling down after failures (a miner never asked counts as serving)."""
        age = None if self._refreshed_at is None else time.monotonic() - self._refreshed_at
        stale_after = 3 * self._refresh_seconds
        if self._refresh_error is not None:
            chain = Check("chain", False, f"the last metagraph refresh failed: {self._refresh_error}")
        elif age is None:
            chain = Check("chain", False, "the metagraph was never read")
        elif age > stale_after:
            chain = Check("chain", False, f"the metagraph is {age:.0f} s old (refreshed every {self._refresh_seconds:g} s)")
        else:
            chain = Check("chain", True, f"metagraph at block {self._snapshot.block}, read {age:.0f} s ago")
        miners = self._snapshot.miners
        serving = self.serving()
        if not miners:
            state = Check("miners", False, "no miner serves an axon on this subnet")
        elif not serving:
            state = Check("miners", False, f"all {len(miners)} miners failed their last requests (cooling down)")
        else:
            state = Check("miners", True, f"{len(serving)} of {len(miners)} miners serving")
        return [chain, state]

    # ---- what the backends learn (shared by every backend of the bridge) --------------------------
    def record_latency(self, uid: int, seconds: float) -> None:
        """A good answer from ``uid`` took ``seconds``: its failures are forgiven."""
        with self._lock:
            known = self._latency.get(uid)
            self._latency[uid] = seconds if known is None else 0.8 * known + 0.2 * seconds
            self._failures.pop(uid, None)
            self._cooling.pop(uid, None)

    def record_failure(self, uid: int) -> None:
        """``uid`` timed out or failed: it cools down (asked last) for 5 s, doubling to 2 minutes."""
        with self._lock:
            failures = self._failures.get(uid, 0) + 1
            self._failures[uid] = failures
            self._cooling[uid] = time.monotonic() + min(COOLDOWN * 2 ** (failures - 1), MAX_COOLDOWN)

    def serving(self) -> list[Miner]:
        """The miners of the snapshot not cooling down after failures."""
        return [m for m in self._snapshot.miners if not self.cooling(m.uid)]

    def cooling(self, uid: int) -> bool:
        """Whether ``uid`` is cooling down after failures (asked last, not waited for)."""
        return self._cooling.get(uid, 0.0) > time.monotonic()

    def latency(self, uid: int) -> float | None:
        """``uid``'s usual latency for a good answer, or None when never measured."""
        return self._latency.get(uid)

    def begin(self, uid: int) -> None:
        with self._lock:
            self._outstanding[uid] = self._outstanding.get(uid, 0) + 1

    def end(self, uid: int) -> None:
        with self._lock:
            left = self._outstanding.get(uid, 0) - 1
            if left > 0:
                self._outstanding[uid] = left
            else:
                self._outstanding.pop(uid, None)

    def ranked(self, limit: int | None = None, *, exclude: frozenset[int] = frozenset()) -> list[Miner]:
        """Miners to ask, best first: cooling ones last; then by running score (untried ones as
        average), fewest requests in flight, incentive."""
        scores = self._scores.snapshot()
        now = time.monotonic()
        with self._lock:
            cooling, outstanding = dict(self._cooling), dict(self._outstanding)
        miners = sorted((m for m in self._snapshot.miners if m.uid not in exclude),
                        key=lambda m: (cooling.get(m.uid, 0.0) > now, -scores.get(m.uid, UNTRIED_SCORE),
                                       outstanding.get(m.uid, 0), -m.incentive, m.uid))
        return miners if limit is None else miners[:limit]

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="bridge-directory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            try:
                self.refresh()
            except Exception as exc:  # the chain may be briefly unreachable; keep the last snapshot
                log.warning("metagraph refresh failed: %s", exc)
            time.sleep(0)

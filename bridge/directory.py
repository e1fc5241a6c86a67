"""Which miners of a subnet the bridge can ask, ranked: a view of the metagraph refreshed in the background."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.weights import ScoreBook
from bt_llm.protocol.axon_info import AxonInfo

log = logging.getLogger("bridge.directory")

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


def snapshot_from_metagraph(metagraph: Any, *, exclude_hotkeys: frozenset[str] = frozenset()) -> Snapshot:
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

    def __init__(self, load: Callable[[], Snapshot], scores: ScoreBook, *, refresh_seconds: float = 12.0) -> None:
        self._load = load
        self._scores = scores
        self._refresh_seconds = refresh_seconds
        self._snapshot = Snapshot(block=0, n=0, miners=())
        self._latency: dict[int, float] = {}  # per uid, moving average of good answers' latency
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def refresh(self) -> Snapshot:
        new = self._load()
        old = self._snapshot
        replaced = {m.uid for m in old.miners if (n := new.by_uid(m.uid)) is None or n.hotkey != m.hotkey}
        if replaced:
            self._scores.forget(replaced)
            for uid in replaced:
                self._latency.pop(uid, None)
        self._snapshot = new
        return new

    def record_latency(self, uid: int, seconds: float) -> None:
        """A good answer from ``uid`` took ``seconds`` (shared by every backend of the bridge)."""
        known = self._latency.get(uid)
        self._latency[uid] = seconds if known is None else 0.8 * known + 0.2 * seconds

    def latency(self, uid: int) -> float | None:
        """``uid``'s usual latency for a good answer, or None when never measured."""
        return self._latency.get(uid)

    def ranked(self, limit: int | None = None) -> list[Miner]:
        """Serving miners by the bridge's moving-average score, then by incentive, then uid."""
        scores = self._scores.snapshot()
        miners = sorted(self._snapshot.miners, key=lambda m: (-scores.get(m.uid, UNTRIED_SCORE), -m.incentive, m.uid))
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

"""What the bridge saw lately, kept in memory for the dashboard: bounded ring buffers, nothing on disk.

Per miner (uid): each answer's latency and tokens/s, and its running score after each scoring; for
the bridge: API requests per second, and the weights it set (when, at which block, on which uids).
Every buffer has a fixed length and at most ``max_uids`` miners are followed (a subnet has a bounded
number of uids anyway; past the bound the least recently heard-from miner is dropped), so memory stays
bounded however long the bridge runs. Appends take a lock for a few hundred nanoseconds: they sit on the
answers' path.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SAMPLES_PER_MINER = 512
SECONDS_KEPT = 600  # requests per second, over the last ten minutes
WEIGHTS_KEPT = 32
MAX_UIDS = 256


@dataclass(frozen=True)
class WeightsEvent:
    time: float  # time.time()
    block: int
    uids: tuple[int, ...]
    weights: tuple[float, ...]


class History:
    """Ring buffers of per-miner samples, requests per second and weights events; thread-safe."""

    def __init__(self, *, samples: int = SAMPLES_PER_MINER, seconds: int = SECONDS_KEPT, max_uids: int = MAX_UIDS,
                 weights: int = WEIGHTS_KEPT) -> None:
        self._samples = samples
        self._max_uids = max_uids
        # uid -> deque of (time, latency_s, tokens_per_s); most recently heard-from uid last
        self._answers: OrderedDict[int, deque[tuple[float, float, float]]] = OrderedDict()
        self._scores: OrderedDict[int, deque[tuple[float, float]]] = OrderedDict()
        self._requests: deque[list[int]] = deque(maxlen=seconds)  # [second, count]
        self._weights: deque[WeightsEvent] = deque(maxlen=weights)
        self._lock = threading.Lock()

    # ---- recording ------------------------------------------------------------------------------
    def _series(self, table: OrderedDict[int, deque[Any]], uid: int) -> deque[Any]:
        series = table.get(uid)
        if series is None:
            if len(table) >= self._max_uids:
                table.popitem(last=False)
            series = table[uid] = deque(maxlen=self._samples)
        else:
            table.move_to_end(uid)
        return series

    def record_answer(self, uid: int, latency_s: float, tokens: int) -> None:
        """A good answer of ``tokens`` tokens from ``uid`` in ``latency_s`` seconds."""
        now = time.time()
        with self._lock:
            self._series(self._answers, uid).append((now, latency_s, tokens / max(latency_s, 1e-3)))

    def record_score(self, uid: int, score: float) -> None:
        """``uid``'s running score after a scoring."""
        now = time.time()
        with self._lock:
            self._series(self._scores, uid).append((now, score))

    def record_request(self) -> None:
        second = int(time.time())
        with self._lock:
            last = self._requests[-1] if self._requests else None
            if last is not None and last[0] == second:
                last[1] += 1
            else:
                self._requests.append([second, 1])

    def record_weights(self, block: int, uids: Iterable[int], weights: Iterable[float]) -> None:
        with self._lock:
            self._weights.append(WeightsEvent(time.time(), int(block), tuple(uids), tuple(map(float, weights))))

    # ---- reading ----------------------------------------------------------------------------------
    def weights(self) -> list[WeightsEvent]:
        """The weights set, latest first."""
        with self._lock:
            return list(reversed(self._weights))

    def requests_per_second(self, now: float | None = None) -> tuple[list[int], list[int]]:
        """Seconds (unix) and the API requests counted in each, over the kept window (zeros filled in)."""
        end = int(now if now is not None else time.time())
        with self._lock:
            counts = {second: count for second, count in self._requests}
            window = self._requests.maxlen or SECONDS_KEPT
        seconds = list(range(end - window + 1, end + 1))
        return seconds, [counts.get(s, 0) for s in seconds]

    def per_miner(self, bin_s: float = 1.0) -> dict[str, Any]:
        """Each miner's series on one time axis (for plots): samples averaged per ``bin_s`` seconds,
        None where a miner has none. ``{"t": [...], "latency_s": {uid: [...]}, "tokens_per_s": {...},
        "score": {...}}``."""
        with self._lock:
            answers = {uid: list(s) for uid, s in self._answers.items()}
            scores = {uid: list(s) for uid, s in self._scores.items()}
        columns = {
            "latency_s": {uid: [(t, lat) for t, lat, _ in s] for uid, s in answers.items()},
            "tokens_per_s": {uid: [(t, tps) for t, _, tps in s] for uid, s in answers.items()},
            "score": scores,
        }
        binned = {name: {uid: _bin(points, bin_s) for uid, points in table.items()}
                  for name, table in columns.items()}
        axis = sorted({b for table in binned.values() for bins in table.values() for b in bins})
        out: dict[str, Any] = {"t": [b * bin_s for b in axis]}
        for name, table in binned.items():
            out[name] = {str(uid): [bins.get(b) for b in axis] for uid, bins in sorted(table.items())}
        return out


def _bin(points: list[tuple[float, float]], bin_s: float) -> dict[int, float]:
    sums: dict[int, list[float]] = {}
    for t, value in points:
        acc = sums.setdefault(int(t // bin_s), [0.0, 0])
        acc[0] += value
        acc[1] += 1
    return {b: total / count for b, (total, count) in sums.items()}

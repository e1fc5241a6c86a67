"""Per-uid moving-average scores and the weights the bridge sets on chain from them."""

from __future__ import annotations

import threading
from dataclasses import dataclass

U16_MAX = 65535


@dataclass(frozen=True)
class WeightRules:
    """The subnet's rules for ``set_weights`` (from its hyperparameters)."""

    min_allowed_weights: int = 1
    max_weight_limit: int = U16_MAX  # the normalised max weight may not exceed this / 65535


class ScoreBook:
    """An exponential moving average of each uid's scores; thread-safe."""

    def __init__(self, alpha: float = 0.1) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self._scores: dict[int, float] = {}
        self._lock = threading.Lock()

    def update(self, uid: int, score: float) -> float:
        """Fold ``score`` into ``uid``'s average; returns the new average."""
        with self._lock:
            old = self._scores.get(uid)
            new = self._scores[uid] = score if old is None else self.alpha * score + (1 - self.alpha) * old
            return new

    def zero(self, uid: int) -> None:
        """Start ``uid``'s average again from 0 (a miner caught gaming keeps nothing it earned)."""
        with self._lock:
            self._scores[uid] = 0.0

    def snapshot(self) -> dict[int, float]:
        with self._lock:
            return dict(self._scores)

    def forget(self, uids: set[int]) -> None:
        """Drop uids that left the subnet (their slot now holds someone else)."""
        with self._lock:
            for uid in uids:
                self._scores.pop(uid, None)


def compute_weights(scores: dict[int, float], n: int, rules: WeightRules) -> tuple[list[int], list[float]]:
    """Normalised weights within the chain's rules; ``([], [])`` when nothing earned a weight.

    Weights are capped at ``max_weight_limit / 65535`` of the total (the excess is spread over the
    others) and padded with zero weights up to ``min_allowed_weights``.
    """
    positive = {uid: s for uid, s in scores.items() if 0 <= uid < n and s > 0}
    if not positive:
        return [], []
    total = sum(positive.values())
    weights = {uid: s / total for uid, s in positive.items()}
    cap = rules.max_weight_limit / U16_MAX
    for _ in range(len(weights)):
        over = {uid for uid, w in weights.items() if w > cap}
        if not over or len(over) == len(weights):
            break
        excess = sum(weights[uid] - cap for uid in over)
        rest = sum(w for uid, w in weights.items() if uid not in over)
        weights = {uid: cap if uid in over else w + excess * w / rest for uid, w in weights.items()}
    uids = sorted(weights)
    for uid in range(n):
        if len(uids) >= rules.min_allowed_weights:
            break
        if uid not in weights:
            uids.append(uid)
    uids.sort()
    return uids, [weights.get(uid, 0.0) for uid in uids]

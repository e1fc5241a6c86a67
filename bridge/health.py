"""What the bridge can tell about itself: named checks behind ``/healthz`` and ``/readyz``.

``/healthz`` answers 200 while the process serves HTTP (liveness) and says in its body whether the
bridge can answer; ``/readyz`` answers 503 unless every check passes, naming the ones that fail. A
check is cheap: it reads what the bridge already knows (the last metagraph refresh, the miners'
recent failures, the last weights set), never the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Check", "HealthFn", "report"]


@dataclass(frozen=True)
class Check:
    """One part of the bridge: ``ok`` or not, and a sentence saying why."""

    name: str
    ok: bool
    detail: str


HealthFn = Callable[[], Sequence[Check]]


def report(checks: Sequence[Check]) -> tuple[bool, dict[str, Any]]:
    """Whether all checks pass, and the JSON body that names each one's state."""
    ready = all(c.ok for c in checks)
    failing = [c.name for c in checks if not c.ok]
    body: dict[str, Any] = {"status": "ok" if ready else "unavailable",
                            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    if failing:
        body["failing"] = failing
    return ready, body

"""Prometheus metrics of the bridge, on a registry of its own (several bridges may share a process)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class BridgeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bridge_requests", "HTTP requests by route and status", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "bridge_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.miner_queries = Counter(
            "bridge_miner_queries", "Miner queries by uid and outcome", ["uid", "outcome"], registry=self.registry
        )
        self.miner_latency = Histogram(
            "bridge_miner_seconds", "Miner answer latency", registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.scoring_dropped = Counter(
            "bridge_scoring_dropped", "Answers left unscored because the scoring queue was full",
            registry=self.registry,
        )

        self.verifications = Counter(
            "bridge_verifications", "Answers checked against the claimed model, by uid and outcome "
            "(pass, fail, skipped, unverifiable)", ["uid", "outcome"], registry=self.registry,
        )
        self.score_parts = Gauge(
            "bridge_miner_score_part", "The parts of each miner's last score (correctness, completeness, speed, "
            "score, penalized)", ["uid", "part"], registry=self.registry,
        )

        # Labelled children, looked up once: ``labels()`` validates and locks on every call.
        self._request_children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._miner_children: dict[tuple[int, int], Any] = {}

    def record_request(self, route: str, status_code: int, latency_s: float) -> None:
        children = self._request_children.get((route, status_code))
        if children is None:
            children = (self.requests.labels(route=route, status=str(status_code)), self.latency.labels(route=route))
            self._request_children[(route, status_code)] = children
        children[0].inc()
        children[1].observe(latency_s)

    def record_miner(self, uid: int, status_code: int, latency_s: float) -> None:
        child = self._miner_children.get((uid, status_code))
        if child is None:
            outcome = "success" if status_code == 200 else str(status_code)
            child = self._miner_children[(uid, status_code)] = self.miner_queries.labels(uid=str(uid), outcome=outcome)
        child.inc()
        self.miner_latency.observe(latency_s)

    def record_verification(self, uid: int, outcome: str) -> None:
        self.verifications.labels(uid=str(uid), outcome=outcome).inc()

    def record_score_parts(self, uid: int, parts: dict[str, float]) -> None:
        for part, value in parts.items():
            self.score_parts.labels(uid=str(uid), part=part).set(value)

    def record_scoring_dropped(self) -> None:
        self.scoring_dropped.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Prometheus metrics of the bridge, on a registry of its own (several bridges may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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

    def record_miner(self, uid: int, status_code: int, latency_s: float) -> None:
        outcome = "success" if status_code == 200 else str(status_code)
        self.miner_queries.labels(uid=str(uid), outcome=outcome).inc()
        self.miner_latency.observe(latency_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Prometheus metrics of the bridge, on a registry of its own (several bridges may share a process).

Per-miner series are labelled by uid: a subnet has a bounded number of uids, and a uid that changes
hands keeps its series. What the metrics count also feeds :attr:`BridgeMetrics.history`, the short
in-memory history behind ``/dashboard``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bt_llm.bridge.history import History

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
API_PREFIX = "/v1"  # the routes counted as requests per second on the dashboard

FAILURE_KINDS = {408: "timeout", 429: "busy", 503: "busy", 422: "invalid_answer"}


def failure_kind(status_code: int) -> str:
    """A miner's failed answer in a word: timeout, busy, invalid_answer, refused (another 4xx), error (5xx)."""
    kind = FAILURE_KINDS.get(status_code)
    if kind is not None:
        return kind
    return "refused" if 400 <= status_code < 500 else "error"


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
            "bridge_miner_seconds", "Miner answer latency by uid (every answer, failed ones too)", ["uid"],
            registry=self.registry, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.miner_tokens_per_second = Histogram(
            "bridge_miner_tokens_per_second", "Tokens per second of each good answer, by uid", ["uid"],
            registry=self.registry, buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
        )
        self.miner_ttft = Histogram(
            "bridge_miner_ttft_seconds", "Time to a streamed answer's first token, by uid", ["uid"],
            registry=self.registry, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.miner_failures = Counter(
            "bridge_miner_failures", "Miner answers that failed, by uid and kind (timeout, busy, invalid_answer, "
            "refused, error)", ["uid", "kind"], registry=self.registry,
        )
        self.serving_miners = Gauge(
            "bridge_serving_miners", "Miners serving an axon and not cooling down after failures",
            registry=self.registry,
        )
        self.in_flight = Gauge("bridge_in_flight_requests", "HTTP requests being served", registry=self.registry)
        self.metagraph_refresh_failures = Counter(
            "bridge_metagraph_refresh_failures", "Metagraph refreshes that failed (the last snapshot is kept)",
            registry=self.registry,
        )
        self.weights_events = Counter(
            "bridge_weights", "set_weights attempts by outcome (set, refused, failed)", ["outcome"],
            registry=self.registry,
        )
        self.last_weights_block = Gauge(
            "bridge_last_weights_block", "The block at which the bridge last set weights", registry=self.registry,
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

        self.history = History()

        # Labelled children, looked up once: ``labels()`` validates and locks on every call.
        self._request_children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._miner_children: dict[tuple[int, int], Any] = {}
        self._uid_children: dict[int, tuple[Any, Any]] = {}

    def count_serving_miners(self, serving: Callable[[], int]) -> None:
        """Read the serving miners' count from ``serving`` at each scrape."""
        self.serving_miners.set_function(serving)

    def record_request(self, route: str, status_code: int, latency_s: float) -> None:
        children = self._request_children.get((route, status_code))
        if children is None:
            children = (self.requests.labels(route=route, status=str(status_code)), self.latency.labels(route=route))
            self._request_children[(route, status_code)] = children
        children[0].inc()
        children[1].observe(latency_s)
        if route.startswith(API_PREFIX):
            self.history.record_request()

    def record_miner(self, uid: int, status_code: int, latency_s: float, *, tokens: int | None = None) -> None:
        """A miner's answer (``status_code`` 200) or failure; ``tokens``: a good answer's length."""
        child = self._miner_children.get((uid, status_code))
        if child is None:
            outcome = "success" if status_code == 200 else str(status_code)
            child = self._miner_children[(uid, status_code)] = self.miner_queries.labels(uid=str(uid), outcome=outcome)
        child.inc()
        per_uid = self._uid_children.get(uid)
        if per_uid is None:
            label = str(uid)
            per_uid = self._uid_children[uid] = (self.miner_latency.labels(uid=label),
                                                 self.miner_tokens_per_second.labels(uid=label))
        per_uid[0].observe(latency_s)
        if status_code != 200:
            self.miner_failures.labels(uid=str(uid), kind=failure_kind(status_code)).inc()
        elif tokens is not None:
            per_uid[1].observe(tokens / max(latency_s, 1e-3))
            self.history.record_answer(uid, latency_s, tokens)

    def record_ttft(self, uid: int, seconds: float) -> None:
        self.miner_ttft.labels(uid=str(uid)).observe(seconds)

    def record_rejected(self, uid: int) -> None:
        """An answer the bridge refused (off the requested schema): a failure of kind ``rejected``."""
        self.miner_failures.labels(uid=str(uid), kind="rejected").inc()

    def record_score(self, uid: int, running_score: float) -> None:
        self.history.record_score(uid, running_score)

    def record_refresh_failure(self) -> None:
        self.metagraph_refresh_failures.inc()

    def record_weights(self, outcome: str, block: int | None = None, uids: list[int] | None = None,
                       weights: list[float] | None = None) -> None:
        """A ``set_weights`` attempt: ``set`` (at ``block``, on ``uids``), ``refused`` or ``failed``."""
        self.weights_events.labels(outcome=outcome).inc()
        if outcome == "set" and block is not None:
            self.last_weights_block.set(block)
            self.history.record_weights(block, uids or [], weights or [])

    def record_verification(self, uid: int, outcome: str) -> None:
        self.verifications.labels(uid=str(uid), outcome=outcome).inc()

    def record_score_parts(self, uid: int, parts: dict[str, float]) -> None:
        for part, value in parts.items():
            self.score_parts.labels(uid=str(uid), part=part).set(value)

    def record_scoring_dropped(self) -> None:
        self.scoring_dropped.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

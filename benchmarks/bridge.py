"""Bridge benchmark: added latency over a direct dendrite call, req/s, and fan-out with hung miners.

Everything runs on loopback: real axons (echo miners), a real dendrite, the bridge's HTTP API under
uvicorn, and an httpx client. Printed as a table, with the anchor measured on this kind of machine:
LiteLLM's proxy (1.108.7, one worker) adds 27-31 ms p50 over a direct call and tops out near 36 req/s.
Targets: <= 3 ms p50 added; >= 10x LiteLLM's req/s; deadline + 50 ms with hung miners.

    .venv/bin/python benchmarks/bridge.py [--requests 300] [--miners 64] [--hung 8]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the package it measures: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import multiprocessing
import statistics
import time
from typing import Any

import httpx
from substrateinterface import Keypair

from bridge.app import HttpSettings, create_app
from bridge.directory import Miner, MinerDirectory, Snapshot
from bridge.metrics import BridgeMetrics
from bridge.network_backend import NetworkBackend
from bridge.scoring import LexicalScorer
from bridge.serve_thread import ServerThread
from bridge.weights import ScoreBook
from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import TextPrompting

LITELLM_ADDED_P50_MS = 29.0
LITELLM_RPS = 36.0


def echo(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "echo: " + synapse.messages[-1]
    return synapse


async def hang(synapse: TextPrompting) -> TextPrompting:
    await asyncio.sleep(60)
    return synapse


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _serve_miners(count: int, hung: int, ports: Any, stop: Any) -> None:
    """In a child process: serve ``count`` axons (the first ``hung`` never answer) until ``stop``."""
    axons = []
    for uid in range(count):
        key = Keypair.create_from_uri(f"//bench-miner-{uid}")
        axons.append(Axon(wallet=key, port=0, max_workers=8).attach(hang if uid < hung else echo).start())
    ports.put([(a.port, a.hotkey.ss58_address) for a in axons])
    stop.wait()
    for axon in axons:
        axon.stop()


class MinerProcess:
    """Miners live in a process of their own, as they would on their own machines."""

    def __init__(self, count: int, hung: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        ports = ctx.Queue()
        self._process = ctx.Process(target=_serve_miners, args=(count, hung, ports, self._stop), daemon=True)
        self._process.start()
        self.miners = [
            Miner(uid=uid, hotkey=hotkey, axon=AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4,
                                                         hotkey=hotkey, coldkey=hotkey), incentive=0.0)
            for uid, (port, hotkey) in enumerate(ports.get(timeout=120))
        ]

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=20)
        if self._process.is_alive():
            self._process.kill()


def start_bridge(miners: list[Miner], deadline: float, k: int) -> tuple[ServerThread, ScoreBook]:
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=len(miners), miners=tuple(miners)), scores)
    directory.refresh()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bench")),
                             scorer=LexicalScorer(), scores=scores, metrics=BridgeMetrics(), k=k, timeout=deadline)
    return ServerThread(create_app(backend, HttpSettings(rate_limit_per_minute=0))).start(), scores


async def direct_latencies(miner: Miner, requests: int) -> list[float]:
    dendrite = Dendrite(Keypair.create_from_uri("//bench-client"))
    out = []
    for i in range(requests):
        started = time.perf_counter()
        result = await dendrite.call(miner.axon, TextPrompting(roles=["user"], messages=[f"hi {i}"]), timeout=5)
        out.append(time.perf_counter() - started)
        assert result.startswith("echo"), result
    await dendrite.aclose()
    return out


async def bridge_latencies(url: str, model: str, requests: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for i in range(requests):
            started = time.perf_counter()
            response = await client.post("/v1/chat/completions", json={
                "model": model, "messages": [{"role": "user", "content": f"hi {i}"}]})
            out.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return out


async def throughput(url: str, model: str, requests: int, concurrency: int) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with semaphore:
                response = await client.post("/v1/chat/completions", json={
                    "model": model, "messages": [{"role": "user", "content": f"hi {i}"}]})
                assert response.status_code == 200, response.text

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        return requests / (time.perf_counter() - started)


async def fanout_time(url: str, repeats: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for i in range(repeats):
            started = time.perf_counter()
            response = await client.post("/v1/chat/completions", json={
                "model": "bittensor/subnet-1", "messages": [{"role": "user", "content": f"hi {i}"}]})
            out.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--miners", type=int, default=64)
    parser.add_argument("--hung", type=int, default=8)
    parser.add_argument("--deadline", type=float, default=1.0)
    args = parser.parse_args()

    fast = MinerProcess(1, 0)
    server, _ = start_bridge(fast.miners, deadline=5.0, k=1)
    miners = fast.miners
    model = "bittensor/subnet-1/uid-0"
    try:
        asyncio.run(direct_latencies(miners[0], 20))  # warm up both paths
        asyncio.run(bridge_latencies(server.url, model, 20))
        direct = asyncio.run(direct_latencies(miners[0], args.requests))
        via_bridge = asyncio.run(bridge_latencies(server.url, model, args.requests))
        rps = asyncio.run(throughput(server.url, model, args.requests * 2, concurrency=32))
    finally:
        server.stop()
        fast.stop()

    crowd = MinerProcess(args.miners, args.hung)
    server, _ = start_bridge(crowd.miners, deadline=args.deadline, k=args.miners)
    try:
        asyncio.run(fanout_time(server.url, 1))  # warm up the connections
        fanout = asyncio.run(fanout_time(server.url, 5))
    finally:
        server.stop()
        crowd.stop()

    d50, d90 = percentile(direct, 0.5) * 1e3, percentile(direct, 0.9) * 1e3
    b50, b90 = percentile(via_bridge, 0.5) * 1e3, percentile(via_bridge, 0.9) * 1e3
    added = b50 - d50
    fan50 = statistics.median(fanout) * 1e3
    rows = [
        ("direct dendrite call, p50 / p90 (ms)", f"{d50:.2f} / {d90:.2f}", ""),
        ("through the bridge, p50 / p90 (ms)", f"{b50:.2f} / {b90:.2f}", ""),
        ("added by the bridge, p50 (ms)", f"{added:.2f}",
         f"LiteLLM {LITELLM_ADDED_P50_MS:.0f} ms: {LITELLM_ADDED_P50_MS / max(added, 0.01):.1f}x less; target <= 3"),
        ("bridge req/s, one fast miner, 32 concurrent", f"{rps:.0f}",
         f"LiteLLM {LITELLM_RPS:.0f}: {rps / LITELLM_RPS:.1f}x; target >= 10x"),
        (f"{args.miners} miners, {args.hung} hung, deadline {args.deadline * 1e3:.0f} ms: answer (ms, median)",
         f"{fan50:.0f}", f"deadline + {fan50 - args.deadline * 1e3:.0f} ms; target <= +50"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>15}  vs anchor")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>15}  {note}")


if __name__ == "__main__":
    main()

"""Bridge benchmark: added latency over a direct dendrite call, req/s, and fan-out with hung miners.

Everything runs on loopback, each part in a process of its own so none shares its interpreter with
another: real axons (echo miners), the bridge (its OpenAI HTTP API under uvicorn, as ``BridgeService``
serves it, fanning out through a real dendrite), and this process, the client. The client is a lean
keep-alive HTTP/1.1 writer over asyncio streams (a few tens of microseconds of CPU per request, where
httpx spends about a millisecond), so the numbers are the bridge's and not the load generator's. The
bridge's own CPU time per request is read from ``/proc`` and printed too (with the miner's and the
client's): on a busy machine it is the steadiest figure. The echo miners serve no reward synapse, so
after its first 404 the bridge stops sending them rewards (a miner that takes rewards costs the bridge
a second dendrite call per request, off the answer's path).

The anchor, measured on this kind of machine: LiteLLM's proxy (1.108.7, one worker) adds 27-31 ms p50
over a direct call and tops out near 36 req/s. Targets: <= 3 ms p50 added; >= 10x LiteLLM's req/s;
deadline + 50 ms with hung miners.

    .venv/bin/python benchmarks/bridge.py [--requests 300] [--miners 64] [--hung 8] [--deadline 1.0]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the package it measures: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import time
from typing import Any

from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import TextPrompting

LITELLM_ADDED_P50_MS = 29.0
LITELLM_RPS = 36.0
TARGET_ADDED_MS = 3.0
TARGET_RPS_FACTOR = 10.0
TARGET_OVER_DEADLINE_MS = 50.0


def echo(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "echo: " + synapse.messages[-1]
    return synapse


async def hang(synapse: TextPrompting) -> TextPrompting:
    await asyncio.sleep(60)
    return synapse


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- miners ----------------------------------------------------------------------------------------


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


class Child:
    """A spawned process that reports once through a queue and runs until ``stop()``."""

    def __init__(self, target: Any, *args: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        queue = ctx.Queue()
        self._process = ctx.Process(target=target, args=(*args, queue, self._stop), daemon=True)
        self._process.start()
        self.report = queue.get(timeout=120)

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0)

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=20)
        if self._process.is_alive():
            self._process.kill()


def miner_axons(miners: Child) -> list[AxonInfo]:
    return [AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=hotkey, coldkey=hotkey)
            for port, hotkey in miners.report]


# ---- the bridge --------------------------------------------------------------------------------------


def _serve_bridge(axons: list[tuple[int, str]], deadline: float, k: int, ready: Any, stop: Any) -> None:
    """In a child process: the bridge's HTTP API over ``axons`` (uid = position) until ``stop``."""
    from bridge.app import HttpSettings, create_app
    from bridge.directory import Miner, MinerDirectory, Snapshot
    from bridge.metrics import BridgeMetrics
    from bridge.network_backend import NetworkBackend
    from bridge.scoring import LexicalScorer
    from bridge.serve_thread import ServerThread
    from bridge.weights import ScoreBook

    miners = tuple(
        Miner(uid=uid, hotkey=hotkey, incentive=0.0,
              axon=AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=hotkey, coldkey=hotkey))
        for uid, (port, hotkey) in enumerate(axons)
    )
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=len(miners), miners=miners), scores)
    directory.refresh()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bench")),
                             scorer=LexicalScorer(), scores=scores, metrics=BridgeMetrics(), k=k, timeout=deadline)
    server = ServerThread(create_app(backend, HttpSettings(rate_limit_per_minute=0))).start()
    ready.put(server.port)
    stop.wait()
    server.stop()


# ---- the client --------------------------------------------------------------------------------------


class LeanClient:
    """One keep-alive HTTP/1.1 connection posting JSON; answers must carry ``Content-Length``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        body = json.dumps(payload).encode()
        self._writer.write(f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{self.port}\r\ncontent-type: application/json"
                           f"\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
        status = int((await self._reader.readline()).split(b" ", 2)[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)

    async def chat(self, model: str, text: str) -> float:
        """Seconds for one chat completion (which must succeed)."""
        started = time.perf_counter()
        status, body = await self.post("/v1/chat/completions",
                                       {"model": model, "messages": [{"role": "user", "content": text}]})
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"the bridge answered {status}: {body[:300]!r}")
        return elapsed

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


async def direct_latencies(axon: AxonInfo, requests: int) -> list[float]:
    out = []
    async with Dendrite(Keypair.create_from_uri("//bench-client")) as dendrite:
        for i in range(requests):
            started = time.perf_counter()
            result = await dendrite.call(axon, TextPrompting(roles=["user"], messages=[f"hi {i}"]), timeout=5)
            out.append(time.perf_counter() - started)
            if not str(result).startswith("echo"):
                raise RuntimeError(f"the miner answered {result!r}")
    return out


async def bridge_latencies(port: int, model: str, requests: int) -> list[float]:
    client = LeanClient(port)
    try:
        return [await client.chat(model, f"hi {i}") for i in range(requests)]
    finally:
        client.close()


async def throughput(port: int, model: str, requests: int, concurrency: int) -> float:
    """Requests per second with ``concurrency`` connections, each sending its next request on an answer."""
    clients = [LeanClient(port) for _ in range(concurrency)]
    counter = iter(range(requests))

    async def worker(client: LeanClient) -> None:
        for i in counter:
            await client.chat(model, f"hi {i}")

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in clients))
    finally:
        for client in clients:
            client.close()
    return requests / (time.perf_counter() - started)


# ---- the run -------------------------------------------------------------------------------------------


def interleaved(rounds: int, per_round: int, axon: AxonInfo, port: int, model: str) -> tuple[list[float], list[float]]:
    """Direct and bridged latencies measured in alternating rounds, so both see the same machine load."""
    direct: list[float] = []
    bridged: list[float] = []
    for _ in range(rounds):
        direct += asyncio.run(direct_latencies(axon, per_round))
        bridged += asyncio.run(bridge_latencies(port, model, per_round))
    return direct, bridged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--miners", type=int, default=64)
    parser.add_argument("--hung", type=int, default=8)
    parser.add_argument("--deadline", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    fast = Child(_serve_miners, 1, 0)
    axon = miner_axons(fast)[0]
    bridge = Child(_serve_bridge, fast.report, 5.0, 1)
    model = "bittensor/subnet-1/uid-0"
    try:
        interleaved(1, 30, axon, bridge.report, model)  # warm up both paths
        direct, via_bridge = interleaved(5, max(1, args.requests // 5), axon, bridge.report, model)
        asyncio.run(throughput(bridge.report, model, 100, args.concurrency))
        total = args.requests * 4
        before = (cpu_seconds(bridge.pid), cpu_seconds(fast.pid), time.process_time())
        rps = asyncio.run(throughput(bridge.report, model, total, args.concurrency))
        after = (cpu_seconds(bridge.pid), cpu_seconds(fast.pid), time.process_time())
        cpu_ms, miner_ms, client_ms = ((b - a) / total * 1e3 for a, b in zip(before, after, strict=True))
    finally:
        bridge.stop()
        fast.stop()

    crowd = Child(_serve_miners, args.miners, args.hung)
    bridge = Child(_serve_bridge, crowd.report, args.deadline, args.miners)
    try:
        asyncio.run(bridge_latencies(bridge.report, "bittensor/subnet-1", 1))  # warm up the connections
        fanout = asyncio.run(bridge_latencies(bridge.report, "bittensor/subnet-1", 5))
    finally:
        bridge.stop()
        crowd.stop()

    d50, d90 = percentile(direct, 0.5) * 1e3, percentile(direct, 0.9) * 1e3
    b50, b90 = percentile(via_bridge, 0.5) * 1e3, percentile(via_bridge, 0.9) * 1e3
    added = b50 - d50
    fan50 = statistics.median(fanout) * 1e3
    over = fan50 - args.deadline * 1e3
    cores = os.cpu_count() or 1
    ceiling = min(cores * 1e3 / (cpu_ms + miner_ms + client_ms), 1e3 / max(cpu_ms, miner_ms, client_ms, 1e-3))
    rows = [
        ("direct dendrite call, p50 / p90 (ms)", f"{d50:.2f} / {d90:.2f}", ""),
        ("through the bridge, p50 / p90 (ms)", f"{b50:.2f} / {b90:.2f}", f"{b50 / d50:.2f}x the direct p50"),
        ("added by the bridge, p50 (ms)", f"{added:.2f}",
         f"LiteLLM {LITELLM_ADDED_P50_MS:.0f}: {LITELLM_ADDED_P50_MS / max(added, 0.01):.1f}x less; "
         f"target <= {TARGET_ADDED_MS:g} ({'met' if added <= TARGET_ADDED_MS else 'MISSED'})"),
        (f"bridge req/s, one fast miner, {args.concurrency} concurrent", f"{rps:.0f}",
         f"LiteLLM {LITELLM_RPS:.0f}: {rps / LITELLM_RPS:.1f}x; target >= {TARGET_RPS_FACTOR:g}x "
         f"({'met' if rps >= TARGET_RPS_FACTOR * LITELLM_RPS else 'MISSED'})"),
        ("bridge CPU per request (ms, same run)", f"{cpu_ms:.2f}", f"one core could serve {1e3 / max(cpu_ms, 1e-3):.0f} req/s"),
        ("  the miner's and the client's (ms)", f"{miner_ms:.2f} / {client_ms:.2f}",
         f"ceiling on {cores} idle cores (each process one core at most): ~{ceiling:.0f} req/s"),
        (f"{args.miners} miners, {args.hung} hung, deadline {args.deadline * 1e3:.0f} ms: answer (ms, median)",
         f"{fan50:.0f}", f"deadline + {over:.0f} ms; target <= +{TARGET_OVER_DEADLINE_MS:g} "
                         f"({'met' if over <= TARGET_OVER_DEADLINE_MS else 'MISSED'})"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>15}  vs anchor / target")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>15}  {note}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(machine: {os.cpu_count()} cores, load average {load:.1f} when done)")


if __name__ == "__main__":
    main()

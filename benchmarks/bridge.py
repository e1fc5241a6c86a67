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

The anchor runs in the same run: LiteLLM's proxy (``litellm[proxy]==1.108.7``, one worker, in
``.litellm-venv``, which this script builds with pip when it is absent) in front of an OpenAI-compatible
echo server, against the bridge in front of an echo miner, at concurrency 1, 10 and 50. Targets:
<= 1 ms p50 added; >= 5x LiteLLM's req/s at every concurrency; one fast miner among hung ones answers
within the fast miner's time + the grace window (50 ms) + 10 ms.

    .venv/bin/python benchmarks/bridge.py [--requests 300] [--miners 8] [--hung 7] [--deadline 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import TextPrompting

ROOT = Path(__file__).resolve().parents[1]
LITELLM_VENV = ROOT / ".litellm-venv"
LITELLM_PIN = "litellm[proxy]==1.108.7"
TARGET_ADDED_MS = 1.0
TARGET_RPS_FACTOR = 5.0
GRACE_MS = 50.0
TARGET_OVER_FAST_MS = 10.0
CONCURRENCY = (1, 10, 50)
API_KEY = "sk-bench-0123456789abcdef"  # the bridge's API key and LiteLLM's master key


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
    import logging

    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # requests still queued on hung miners at exit
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
    from bt_llm.bridge.app import HttpSettings, create_app
    from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
    from bt_llm.bridge.metrics import BridgeMetrics
    from bt_llm.bridge.network_backend import NetworkBackend
    from bt_llm.bridge.scoring import default_scorer
    from bt_llm.bridge.serve_thread import ServerThread
    from bt_llm.bridge.weights import ScoreBook

    miners = tuple(
        Miner(uid=uid, hotkey=hotkey, incentive=0.0,
              axon=AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=hotkey, coldkey=hotkey))
        for uid, (port, hotkey) in enumerate(axons)
    )
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=len(miners), miners=miners), scores)
    directory.refresh()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bench")),
                             scorer=default_scorer(), scores=scores, metrics=BridgeMetrics(), k=k, timeout=deadline)
    settings = HttpSettings(api_keys=frozenset({API_KEY}), rate_limit_per_minute=0)  # as deployed: keys on
    server = ServerThread(create_app(backend, settings)).start()
    ready.put(server.port)
    stop.wait()
    server.stop()


# ---- the anchor: LiteLLM's proxy in front of an OpenAI-compatible echo ----------------------------------


def _serve_openai_echo(ready: Any, stop: Any) -> None:
    """In a child process: ``POST /v1/chat/completions`` answering ``echo: <last message>`` at once."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bt_llm.bridge.serve_thread import ServerThread

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        text = "echo: " + body["messages"][-1]["content"]
        return JSONResponse({"id": "chatcmpl-echo", "object": "chat.completion", "created": 1, "model": body["model"],
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": "stop", "logprobs": None}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}})

    server = ServerThread(Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])).start()
    ready.put(server.port)
    stop.wait()
    server.stop()


def litellm_proxy(echo_port: int) -> tuple[Any, int] | str:
    """Start LiteLLM's proxy (building its venv first when absent); ``(process, port)`` or why not."""
    import socket
    import subprocess
    import tempfile

    python = LITELLM_VENV / "bin" / "python"
    if not (LITELLM_VENV / "bin" / "litellm").exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", LITELLM_PIN], check=True, timeout=900)
        except (subprocess.SubprocessError, OSError) as exc:
            return f"absent: building {LITELLM_PIN} failed ({exc})"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = Path(tempfile.mkdtemp(prefix="bench-litellm-")) / "config.yaml"
    config.write_text("model_list:\n  - model_name: echo\n    litellm_params:\n      model: openai/echo\n"
                      f"      api_base: http://127.0.0.1:{echo_port}/v1\n      api_key: none\n")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False",
           "LITELLM_MASTER_KEY": API_KEY}
    process = subprocess.Popen([str(LITELLM_VENV / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1",
                                "--port", str(port), "--num_workers", "1"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"failed: litellm exited with {process.returncode}"
        try:
            status, _ = asyncio.run(LeanClient(port).post("/v1/chat/completions", {
                "model": "echo", "messages": [{"role": "user", "content": "warm"}]}))
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(1)
    process.kill()
    return "failed: litellm did not answer within 180 s"


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
                           f"\r\nauthorization: Bearer {API_KEY}"
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


async def latencies_at(port: int, model: str, requests: int, concurrency: int) -> list[float]:
    """Each request's seconds with ``concurrency`` connections sending back to back."""
    clients = [LeanClient(port) for _ in range(concurrency)]
    counter = iter(range(requests))
    out: list[float] = []

    async def worker(client: LeanClient) -> None:
        for i in counter:
            out.append(await client.chat(model, f"hi {i}"))

    try:
        await asyncio.gather(*(worker(c) for c in clients))
    finally:
        for client in clients:
            client.close()
    return out


# ---- the run -------------------------------------------------------------------------------------------


def interleaved(rounds: int, per_round: int, axon: AxonInfo, port: int, model: str) -> tuple[list[float], list[float]]:
    """Direct and bridged latencies measured in alternating rounds, so both see the same machine load."""
    direct: list[float] = []
    bridged: list[float] = []
    for _ in range(rounds):
        direct += asyncio.run(direct_latencies(axon, per_round))
        bridged += asyncio.run(bridge_latencies(port, model, per_round))
    return direct, bridged


def echo_latencies(port: int, requests: int, model: str = "echo") -> list[float]:
    return asyncio.run(bridge_latencies(port, model, requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--miners", type=int, default=8)
    parser.add_argument("--hung", type=int, default=7)
    parser.add_argument("--deadline", type=float, default=1.0)
    args = parser.parse_args()

    fast = Child(_serve_miners, 1, 0)
    axon = miner_axons(fast)[0]
    bridge = Child(_serve_bridge, fast.report, 5.0, 1)
    model = "bittensor/subnet-1/uid-0"
    rps: dict[int, float] = {}
    try:
        interleaved(1, 30, axon, bridge.report, model)  # warm up both paths
        direct, via_bridge = interleaved(5, max(1, args.requests // 5), axon, bridge.report, model)
        asyncio.run(throughput(bridge.report, model, 100, 10))
        before = (cpu_seconds(bridge.pid), cpu_seconds(fast.pid), time.process_time())
        for c in CONCURRENCY:
            rps[c] = asyncio.run(throughput(bridge.report, model, args.requests * 2, c))
        after = (cpu_seconds(bridge.pid), cpu_seconds(fast.pid), time.process_time())
        total = args.requests * 2 * len(CONCURRENCY)
        cpu_ms, miner_ms, client_ms = ((b - a) / total * 1e3 for a, b in zip(before, after, strict=True))
    finally:
        bridge.stop()
        fast.stop()

    echo = Child(_serve_openai_echo)
    anchor = litellm_proxy(echo.report)
    lite_rps: dict[int, float] = {}
    lite_added = float("nan")
    try:
        if not isinstance(anchor, str):
            process, lite_port = anchor
            try:
                echo_latencies(lite_port, 30)
                echo_direct = echo_latencies(echo.report, args.requests // 2)
                lite = echo_latencies(lite_port, args.requests // 2)
                lite_added = (percentile(lite, 0.5) - percentile(echo_direct, 0.5)) * 1e3
                for c in CONCURRENCY:
                    lite_rps[c] = asyncio.run(throughput(lite_port, "echo", max(100, args.requests // 2), c))
            finally:
                process.terminate()
                process.wait(timeout=30)
    finally:
        echo.stop()

    crowd = Child(_serve_miners, args.miners, args.hung)
    fast_axon = miner_axons(crowd)[args.hung]
    bridge = Child(_serve_bridge, crowd.report, args.deadline, args.miners)
    try:
        asyncio.run(bridge_latencies(bridge.report, "bittensor/subnet-1", 1))  # warm up the connections
        fanout = asyncio.run(bridge_latencies(bridge.report, "bittensor/subnet-1", 5))
        fast_alone = statistics.median(asyncio.run(direct_latencies(fast_axon, 20))) * 1e3
    finally:
        bridge.stop()
        crowd.stop()

    # Under load with the default (embedding) scorer: 50 concurrent, 8 miners of which 2 hang, 3 s deadline.
    loaded = Child(_serve_miners, 8, 2)
    bridge = Child(_serve_bridge, loaded.report, 3.0, 8)
    try:
        asyncio.run(bridge_latencies(bridge.report, "bittensor/subnet-1", 2))
        under_load = asyncio.run(latencies_at(bridge.report, "bittensor/subnet-1", 200, 50))
    finally:
        bridge.stop()
        loaded.stop()
    load99 = percentile(under_load, 0.99) * 1e3

    d50, d90 = percentile(direct, 0.5) * 1e3, percentile(direct, 0.9) * 1e3
    b50, b90 = percentile(via_bridge, 0.5) * 1e3, percentile(via_bridge, 0.9) * 1e3
    b99 = percentile(via_bridge, 0.99) * 1e3
    added = b50 - d50
    fan50 = statistics.median(fanout) * 1e3
    budget = fast_alone + GRACE_MS + TARGET_OVER_FAST_MS
    cores = os.cpu_count() or 1
    ceiling = min(cores * 1e3 / (cpu_ms + miner_ms + client_ms), 1e3 / max(cpu_ms, miner_ms, client_ms, 1e-3))
    why = anchor if isinstance(anchor, str) else ""
    rows = [
        ("direct dendrite call, p50 / p90 (ms)", f"{d50:.2f} / {d90:.2f}", ""),
        ("through the bridge, p50 / p90 / p99 (ms)", f"{b50:.2f} / {b90:.2f} / {b99:.2f}",
         f"{b50 / d50:.2f}x the direct p50"),
        ("added by the bridge, p50 (ms)", f"{added:.2f}",
         (f"LiteLLM adds {lite_added:.1f} ms ({lite_added / max(added, 0.01):.0f}x more); " if not why else "")
         + f"target <= {TARGET_ADDED_MS:g} ({'met' if added <= TARGET_ADDED_MS else 'MISSED'})"),
    ]
    for c in CONCURRENCY:
        ratio = rps[c] / lite_rps[c] if c in lite_rps else float("nan")
        rows.append((f"req/s at concurrency {c}: bridge / LiteLLM", f"{rps[c]:.0f} / "
                     + (f"{lite_rps[c]:.0f}" if c in lite_rps else "-"),
                     why or f"{ratio:.1f}x; target >= {TARGET_RPS_FACTOR:g}x "
                            f"({'met' if ratio >= TARGET_RPS_FACTOR else 'MISSED'})"))
    rows += [
        ("bridge CPU per request (ms, same runs)", f"{cpu_ms:.2f}", f"one core could serve {1e3 / max(cpu_ms, 1e-3):.0f} req/s"),
        ("  the miner's and the client's (ms)", f"{miner_ms:.2f} / {client_ms:.2f}",
         f"ceiling on {cores} idle cores (each process one core at most): ~{ceiling:.0f} req/s"),
        (f"{args.miners} miners, {args.hung} hung, deadline {args.deadline * 1e3:.0f} ms: answer (ms, median)",
         f"{fan50:.0f}", f"the fast miner alone {fast_alone:.1f} ms + grace {GRACE_MS:g} + {TARGET_OVER_FAST_MS:g} = "
                         f"{budget:.0f} ({'met' if fan50 <= budget else 'MISSED'})"),
        ("50 concurrent, 8 miners (2 hung), deadline 3000 ms, default scorer: p50 / p99 (ms)",
         f"{percentile(under_load, 0.5) * 1e3:.0f} / {load99:.0f}",
         f"target: p99 within the deadline ({'met' if load99 <= 3000 else 'MISSED'})"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>21}  vs anchor / target")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>21}  {note}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(machine: {os.cpu_count()} cores, load average {load:.1f} when done)")


if __name__ == "__main__":
    main()

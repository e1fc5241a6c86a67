"""``bt.prompt`` across delegates: the old sequential path against the hedged fan-out, in one run.

Three delegate axons on loopback: the top-staked one accepts connections and never answers, the
second answers after ``--slow`` seconds, the third (least stake) after 20 ms. Each call goes through
``bt.aprompt`` with a ``--timeout`` budget:

- ``sequential``: the path before hedging, each delegate in stake order with the whole timeout;
- ``hedged, cold``: a fresh delegate memory for every call (the first call of a new process);
- ``hedged, warm``: one memory across the calls (what a running process, or the next one through the
  cache file, does).

Prints p50/p99 per path and the target: p50 within the fast delegate's latency + the hedge delay +
50 ms, and no call over the timeout. Run: ``.venv/bin/python benchmarks/prompt.py [--calls 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from substrateinterface import Keypair  # noqa: E402

from bt_llm import prompting  # noqa: E402
from bt_llm.axon.server import Axon  # noqa: E402
from bt_llm.fanout import DEFAULT_HEDGE_DELAY, DelegateMemory  # noqa: E402
from bt_llm.net import free_port  # noqa: E402
from bt_llm.protocol.axon_info import AxonInfo  # noqa: E402
from bt_llm.protocol.delegate import DelegatedTextPrompting  # noqa: E402


def delegate_axon(name: str, delay: float) -> tuple[Axon, prompting.DelegateEndpoint]:
    keypair = Keypair.create_from_uri(f"//{name}")

    async def answer(synapse: DelegatedTextPrompting) -> DelegatedTextPrompting:
        await asyncio.sleep(delay)
        synapse.completion = f"answer from {name}"
        return synapse

    port = free_port()
    axon = Axon(wallet=keypair, ip="127.0.0.1", port=port, external_ip="127.0.0.1", external_port=port)
    axon.attach(answer).start()
    info = AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=keypair.ss58_address, coldkey="")
    return axon, info


def silent_server() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)  # the kernel accepts; nobody ever reads or answers
    return sock, sock.getsockname()[1]


async def sequential(endpoints, wallet, timeout: float) -> str:
    """The path before hedging: each delegate in turn, each with the whole timeout."""
    from bt_llm.dendrite.client import Dendrite

    async with Dendrite(wallet) as dendrite:
        for endpoint in endpoints:
            synapse = DelegatedTextPrompting(roles=["user"], messages=["hi"], timeout=timeout)
            response = await dendrite.call(endpoint.axon, synapse, timeout=timeout, deserialize=False)
            if response.is_success and response.completion.strip():
                return response.completion
    raise RuntimeError("every delegate failed")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=6.0)
    parser.add_argument("--slow", type=float, default=1.5)
    args = parser.parse_args()

    sock, hung_port = silent_server()
    slow_axon, slow_info = delegate_axon("SlowDelegate", args.slow)
    fast_axon, fast_info = delegate_axon("FastDelegate", 0.02)
    hung_info = AxonInfo(version=0, ip="127.0.0.1", port=hung_port, ip_type=4,
                         hotkey=Keypair.create_from_uri("//HungDelegate").ss58_address, coldkey="")
    endpoints = [prompting.DelegateEndpoint(hotkey=i.hotkey, axon=i, stake=s)
                 for i, s in ((hung_info, 300.0), (slow_info, 200.0), (fast_info, 100.0))]
    prompting._finder.endpoints = lambda **_: list(endpoints)
    wallet = Keypair.create_from_uri("//BenchClient")
    results: dict[str, list[float]] = {}

    async def timed(make) -> list[float]:
        out = []
        for _ in range(args.calls):
            started = time.perf_counter()
            await make()
            out.append(time.perf_counter() - started)
        return out

    async def run_all() -> None:
        async def hedged_cold():
            prompting.memory = DelegateMemory(path=None)
            return await prompting.aprompt("hi", wallet=wallet, timeout=args.timeout)

        results["sequential"] = await timed(lambda: sequential(endpoints, wallet, args.timeout))
        results["hedged, cold"] = await timed(hedged_cold)
        prompting.memory = DelegateMemory(path=None)
        results["hedged, warm"] = await timed(lambda: prompting.aprompt("hi", wallet=wallet, timeout=args.timeout))

    try:
        asyncio.run(run_all())
    finally:
        slow_axon.stop()
        fast_axon.stop()
        sock.close()

    target = 0.02 + DEFAULT_HEDGE_DELAY + 0.05
    table = Table(title=f"bt.prompt, 3 delegates (hung, {args.slow:g} s, 20 ms), timeout {args.timeout:g} s, "
                        f"{args.calls} calls each")
    for col in ("path", "p50", "p99", "max", "x sequential p50", f"p50 <= {target * 1000:.0f} ms"):
        table.add_column(col, justify="right" if col != "path" else "left")
    base = statistics.median(results["sequential"])
    for name, values in results.items():
        p50 = pct(values, 0.5)
        table.add_row(name, f"{p50 * 1000:.0f} ms", f"{pct(values, 0.99) * 1000:.0f} ms",
                      f"{max(values) * 1000:.0f} ms", f"{base / p50:.1f}", "yes" if p50 <= target else "no")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()

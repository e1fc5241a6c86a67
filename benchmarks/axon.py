"""Axon + dendrite round trips: ours against bittensor 9.12.2's, in the same run.

Each server runs in its own process (as a miner would); the client process drives it with one
dendrite per concurrent caller. Reported per concurrency level (1, 10, 50): p50 and p90 latency,
successful requests per second, failures, and the CPU time per request of the server and of the
client process; then the ratios.

    .venv/bin/python benchmarks/axon.py              # both (bittensor when .interop-venv exists)
    .venv/bin/python benchmarks/axon.py --ours-only --seconds 3
    .venv/bin/python benchmarks/axon.py --profile    # cProfile of our server, top 25 by cumulative time
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BT9_PYTHON = ROOT / ".interop-venv" / "bin" / "python"
LEVELS = (1, 10, 50)

SYNAPSE = """
class Dummy(Synapse):
    values: list[int] = []
    label: str = ""
    total: Optional[int] = None
    required_hash_fields: ClassVar[tuple[str, ...]] = ("values", "label")
"""

OURS_PRELUDE = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from typing import ClassVar, Optional
from substrateinterface import Keypair
from bt_llm.protocol.synapse import Synapse
from bt_llm.protocol.axon_info import AxonInfo
""" + SYNAPSE

BT9_PRELUDE = """
from typing import ClassVar, Optional
import bittensor.core.dendrite as bt_dendrite
bt_dendrite.get_external_ip = bt_dendrite.networking.get_external_ip = lambda: "10.255.255.1"
from bittensor.core.synapse import Synapse
from bittensor.core.chain_data.axon_info import AxonInfo
from bittensor_wallet import Keypair
""" + SYNAPSE

OURS_SERVER = """
import os, sys
from bt_llm.axon.server import Axon
async def forward(synapse: Dummy) -> Dummy:
    synapse.total = sum(synapse.values)
    return synapse
profiler = None
if os.environ.get("BENCH_PROFILE"):  # profile the server thread, where requests are handled
    import cProfile
    profiler = cProfile.Profile()
    from bt_llm.http_server import HttpServer
    original_run = HttpServer._run
    def _run(self):
        profiler.enable()
        try:
            original_run(self)
        finally:
            profiler.disable()
    HttpServer._run = _run
axon = Axon(wallet=Keypair.create_from_uri("//Alice"), ip="127.0.0.1", port=PORT, max_workers=64, max_queue=1024)
axon.attach(forward).start()
print("ready", flush=True)
sys.stdin.read()
axon.stop()
if profiler is not None:
    import pstats
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
"""

BT9_SERVER = """
import sys, types
from bittensor.core.axon import Axon
async def forward(synapse: Dummy) -> Dummy:
    synapse.total = sum(synapse.values)
    return synapse
hotkey = Keypair.create_from_uri("//Alice")
wallet = types.SimpleNamespace(hotkey=hotkey, coldkeypub=hotkey, coldkey=hotkey)
axon = Axon(wallet=wallet, ip="127.0.0.1", port=PORT, external_ip="127.0.0.1", external_port=PORT, max_workers=64)
axon.fast_config.host = "127.0.0.1"
axon.attach(forward_fn=forward).start()
print("ready", flush=True)
sys.stdin.read()
axon.stop()
"""

OURS_CLIENT = """
from bt_llm.dendrite.client import Dendrite
def make_dendrite(i):
    return Dendrite(Keypair.create_from_uri(f"//Caller{i}"))
async def close(d):
    await d.aclose()
"""

BT9_CLIENT = """
from bittensor.core.dendrite import Dendrite
def make_dendrite(i):
    return Dendrite(wallet=Keypair.create_from_uri(f"//Caller{i}"))
async def close(d):
    await d.aclose_session()
"""

CLIENT_LOOP = """
import asyncio, json, time
def read_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
import os
target = AxonInfo(version=0, ip="127.0.0.1", port=PORT, ip_type=4,
                  hotkey=Keypair.create_from_uri("//Alice").ss58_address, coldkey="")
async def level(conc, seconds, max_requests):
    dendrites = [make_dendrite(i) for i in range(conc)]
    async def one(d, k):
        t0 = time.perf_counter()
        r = await d.call(target, Dummy(values=[k, 1, 2], label="x"), timeout=12.0, deserialize=False)
        return time.perf_counter() - t0, r.dendrite.status_code == 200 and r.total == k + 3
    await asyncio.gather(*[one(d, 0) for d in dendrites for _ in range(2)])  # warm up connections
    latencies, failures, count = [], 0, 0
    cpu0, own0 = read_cpu(SERVER_PID), time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    async def worker(d):
        nonlocal failures, count
        while time.perf_counter() < deadline and count < max_requests:
            count += 1
            dt, ok = await one(d, count)
            latencies.append(dt)
            failures += not ok
    await asyncio.gather(*[worker(d) for d in dendrites])
    elapsed = time.perf_counter() - start
    cpu, own = read_cpu(SERVER_PID) - cpu0, time.process_time() - own0
    for d in dendrites:
        await close(d)
    latencies.sort()
    n = len(latencies)
    return {"n": n, "p50_ms": latencies[n // 2] * 1e3, "p90_ms": latencies[int(n * 0.9)] * 1e3,
            "rps": (n - failures) / elapsed, "failures": failures, "server_cpu_ms": cpu / max(n, 1) * 1e3,
            "client_cpu_ms": own / max(n, 1) * 1e3}
async def main():
    out = {}
    for conc in LEVELS:
        out[str(conc)] = await level(conc, SECONDS, MAX_REQUESTS)
    print(json.dumps(out))
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(python: Path | str, code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(python), "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready and "ready" in proc.stdout.readline():
            return proc
        if proc.poll() is not None:
            raise SystemExit(f"server died:\n{proc.stderr.read() if proc.stderr else ''}")
    proc.kill()
    raise SystemExit("server did not start")


def run_side(name: str, python: Path | str, prelude: str, server: str, client: str, seconds: float,
             max_requests: int, profile: bool) -> dict[str, dict[str, float]]:
    port = _free_port()
    env = {**os.environ}
    if profile:
        env["BENCH_PROFILE"] = "1"
    proc = _start_server(python, prelude + textwrap.dedent(server).replace("PORT", str(port)), env)
    try:
        code = (prelude + client + CLIENT_LOOP).replace("PORT", str(port)).replace("SERVER_PID", str(proc.pid))
        code = code.replace("LEVELS", repr(LEVELS)).replace("SECONDS", repr(seconds)).replace("MAX_REQUESTS", str(max_requests))
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, timeout=900, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{name} client failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        try:
            _, err = proc.communicate(input="", timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if profile and err:
            print(err[-6000:], file=sys.stderr)


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [f"{'impl':<12}{'conc':>5}{'n':>7}{'p50 ms':>9}{'p90 ms':>9}{'ok req/s':>9}{'fail':>6}{'server cpu ms/req':>19}{'client cpu ms/req':>19}"]
    for impl, levels in results.items():
        for conc, r in levels.items():
            lines.append(f"{impl:<12}{conc:>5}{r['n']:>7}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}{r['rps']:>9.1f}"
                         f"{r['failures']:>6}{r['server_cpu_ms']:>19.2f}{r['client_cpu_ms']:>19.2f}")
    if "bittensor" in results and "bt-llm" in results:
        lines.append("")
        lines.append(f"{'ratio (ours/theirs)':<20}{'conc':>5}{'req/s x':>10}{'p50 /':>9}")
        for conc in results["bt-llm"]:
            ours, theirs = results["bt-llm"][conc], results["bittensor"][conc]
            lines.append(f"{'':<20}{conc:>5}{ours['rps'] / theirs['rps']:>10.1f}{theirs['p50_ms'] / ours['p50_ms']:>9.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per concurrency level (default 5)")
    parser.add_argument("--max-requests", type=int, default=3000, help="cap per level for our side")
    parser.add_argument("--ours-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of our server")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    results["bt-llm"] = run_side("bt-llm", sys.executable, OURS_PRELUDE, OURS_SERVER, OURS_CLIENT,
                                 args.seconds, args.max_requests, args.profile)
    if not args.ours_only:
        if BT9_PYTHON.exists():
            results["bittensor"] = run_side("bittensor", BT9_PYTHON, BT9_PRELUDE, BT9_SERVER, BT9_CLIENT,
                                            args.seconds, args.max_requests, False)
        else:
            print(f"({BT9_PYTHON} is absent: run `make interop` to compare with bittensor 9.12.2)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(table(results))


if __name__ == "__main__":
    main()

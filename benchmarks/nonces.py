"""The axon's nonce store at 200,000 live entries: the old store against the new one, in one run.

Each accepted request records its ``hotkey:uuid`` key. A flood of fresh keys (every request a new
dendrite, all inside the freshness window) is the worst case:

- ``old``: the store before this change (kept here, frozen, as the baseline). Past 100,000 entries
  it rebuilt its dict on every accept;
- ``bittensor 9.12.2``: a plain dict that never forgets (O(1), memory without bound);
- ``new``: :class:`bt_llm.axon.verify.NonceStore` (ordered expiry, a floor, ``max_entries``).

Part 1 times ``check`` + ``accept`` per request with the store prefilled to ``--entries``. Part 2
runs a real axon on loopback and our dendrite, with the axon's store prefilled the same way, and
counts requests per second with each store. Budget for the new store: under 5 µs per accept at
200,000 entries, and req/s at 200,000 entries within 10% of an empty store.
Run: ``.venv/bin/python benchmarks/nonces.py [--entries 200000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from substrateinterface import Keypair  # noqa: E402

from bt_llm.axon.refusal import Refusal  # noqa: E402
from bt_llm.axon.server import Axon  # noqa: E402
from bt_llm.axon.verify import ALLOWED_DELTA_NS, NonceStore  # noqa: E402
from bt_llm.dendrite.client import Dendrite  # noqa: E402
from bt_llm.protocol.synapses import TextPrompting  # noqa: E402


class OldNonceStore:
    """The store as it was before (frozen copy, the baseline): an O(n) rebuild past ``soft_limit``."""

    def __init__(self, *, max_timeout: float = 3600.0, soft_limit: int = 100_000) -> None:
        self.max_timeout = max_timeout
        self.soft_limit = soft_limit
        self._last: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._last)

    def window_start(self, timeout: float | None, now_ns: int) -> int:
        seconds = min(float(timeout or 0.0), self.max_timeout)
        return now_ns - ALLOWED_DELTA_NS - int(seconds * 1e9)

    def check(self, key: str, nonce: int, timeout: float | None, now_ns: int) -> None:
        last = self._last.get(key)
        if last is None:
            if nonce <= self.window_start(timeout, now_ns):
                raise Refusal(401, "Not Verified with error: Nonce is too old")
        elif nonce <= last:
            raise Refusal(401, "Not Verified with error: Nonce is too old, a newer one was last processed")

    def accept(self, key: str, nonce: int, now_ns: int) -> None:
        self._last[key] = nonce
        if len(self._last) > self.soft_limit:
            horizon = now_ns - ALLOWED_DELTA_NS - int(self.max_timeout * 1e9)
            self._last = {k: v for k, v in self._last.items() if v > horizon}


class SdkNonceStore(OldNonceStore):
    """bittensor 9.12.2's rule: ``self.nonces[endpoint_key] = nonce``, never forgotten."""

    def accept(self, key: str, nonce: int, now_ns: int) -> None:
        self._last[key] = nonce


STORES = {"old": OldNonceStore, "bittensor 9.12.2": SdkNonceStore, "new": NonceStore}


def prefill(store: OldNonceStore | NonceStore, entries: int) -> None:
    """``entries`` live keys, as a flood would leave them (written directly: the old store would take
    an O(n) rebuild for each of the last 100,000)."""
    now = time.time_ns()
    if isinstance(store, OldNonceStore):
        store._last.update((f"5Flood{i}:uuid", now + i) for i in range(entries))
    else:
        for i in range(entries):
            store.accept(f"5Flood{i}:uuid", now + i, now)


def per_accept_us(name: str, entries: int, requests: int) -> tuple[float, int]:
    store = STORES[name]()
    prefill(store, entries)
    started = time.perf_counter()
    for i in range(requests):
        now = time.time_ns()
        key = f"5Fresh{i}:uuid"
        store.check(key, now, 12.0, now)
        store.accept(key, now, now)
    return (time.perf_counter() - started) / requests * 1e6, len(store)


async def axon_rps(name: str, entries: int, requests: int) -> float:
    alice, bob = Keypair.create_from_uri("//Alice"), Keypair.create_from_uri("//Bob")

    def echo(synapse: TextPrompting) -> TextPrompting:
        synapse.completion = synapse.messages[-1]
        return synapse

    axon = Axon(wallet=alice, ip="127.0.0.1", port=0).attach(echo).start()
    store = STORES[name]()
    prefill(store, entries)
    assert axon.pipeline is not None
    axon.pipeline.nonces = store
    dendrite = Dendrite(bob)
    try:
        info = axon.info()
        prompt = TextPrompting(roles=["user"], messages=["hi"])
        for _ in range(20):  # warm the connection and the code paths
            await dendrite.forward(info, prompt, timeout=5.0, deserialize=False)
        started = time.perf_counter()
        for _ in range(requests):
            answer = await dendrite.forward(info, prompt, timeout=5.0, deserialize=False)
            assert answer.dendrite is not None and answer.dendrite.status_code == 200, answer.dendrite
        return requests / (time.perf_counter() - started)
    finally:
        await dendrite.aclose()
        axon.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    console = Console()

    table = Table(title=f"check + accept per request, store prefilled with {args.entries:,} live keys")
    for column in ("store", "µs per request", "entries after", "old ÷ this"):
        table.add_column(column, justify="right")
    costs = {name: per_accept_us(name, args.entries, 200 if name == 'old' else 20_000) for name in STORES}
    for name, (cost, size) in costs.items():
        table.add_row(name, f"{cost:.2f}", f"{size:,}", f"{costs['old'][0] / cost:,.0f}x")
    console.print(table)

    table = Table(title=f"a real axon, {args.requests} sequential requests from our dendrite")
    for column in ("store", "entries", "req/s", "vs empty new store"):
        table.add_column(column, justify="right")
    empty = asyncio.run(axon_rps("new", 0, args.requests))
    table.add_row("new", "0", f"{empty:.0f}", "1.00")
    for name in ("old", "new"):
        rps = asyncio.run(axon_rps(name, args.entries, args.requests // 3 if name == "old" else args.requests))
        table.add_row(name, f"{args.entries:,}", f"{rps:.0f}", f"{rps / empty:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()

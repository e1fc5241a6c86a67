"""Metagraph sync time for 256, 1024 and 4096 neurons (target: <= 0.5 s at 4096).

What is timed is everything ``Metagraph.sync`` does after the node answers: decoding the
``Vec<NeuronInfoLite>`` SCALE bytes of ``NeuronInfoRuntimeApi_get_neurons_lite`` (hex, as
``state_call`` returns it) and building the arrays. The RPC itself is served in-process (a stub
connection) so the figure does not depend on a node's speed; with ``--node ws://...`` it also
times a real sync against a running localnet for whatever subnet 1 holds.

Run: ``.venv/bin/python benchmarks/metagraph.py [--node ws://127.0.0.1:9944]``
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from bt_llm.chain import runtime
from bt_llm.chain.metagraph import Metagraph
from bt_llm.chain.scale import encode_compact

SIZES = (256, 1024, 4096)
TARGET_S = 0.5


def _key(seed: str) -> bytes:
    return hashlib.blake2b(seed.encode(), digest_size=32).digest()


def encode_neuron_lite(uid: int, netuid: int = 1) -> bytes:
    """One ``NeuronInfoLite`` in the 2023 layout, with realistic (multi-byte) values."""
    c = encode_compact
    hotkey, coldkey = _key(f"hot{uid}"), _key(f"cold{uid % 97}")
    axon = (1000 + uid).to_bytes(8, "little") + (724).to_bytes(4, "little") + (2130706433).to_bytes(16, "little")
    axon += (8091 + uid % 1000).to_bytes(2, "little") + bytes([4, 4, 0, 0])
    prometheus = bytes(8 + 4 + 16 + 2 + 1)
    stake = c(2) + coldkey + c(10**12 + uid) + _key(f"nominator{uid % 13}") + c(5 * 10**9)
    return (hotkey + coldkey + c(uid) + c(netuid) + b"\x01" + axon + prometheus + stake + c(uid * 7 % 65536)
            + c(123_456_789 * uid) + c(uid * 11 % 65536) + c(uid * 13 % 65536) + c(uid * 17 % 65536)
            + c(uid * 19 % 65536) + c(uid * 23 % 65536) + c(5000 + uid) + bytes([uid % 2]) + c(65535 - uid % 65536))


class StubConnection:
    """Answers ``state_call`` with pre-encoded bytes, the way a node would (hex ``Vec<u8>``)."""

    def __init__(self, n: int) -> None:
        inner = encode_compact(n) + b"".join(encode_neuron_lite(uid) for uid in range(n))
        self.answer = "0x" + (encode_compact(len(inner)) + inner).hex()

    def rpc(self, method: str, params: list) -> str:
        return self.answer


class StubSubtensor:
    network = "bench"

    def __init__(self, n: int) -> None:
        self.conn = StubConnection(n)

    def get_current_block(self) -> int:
        return 10_000

    def subnet_exists(self, netuid: int, block: int | None = None) -> bool:
        return True

    def neurons_lite(self, netuid: int, block: int | None = None) -> list:
        return runtime.neurons_lite(self.conn, netuid)  # type: ignore[arg-type]


def time_sync(n: int, repeats: int = 5) -> tuple[float, float]:
    sub = StubSubtensor(n)
    mg = Metagraph(1, sync=False, subtensor=sub)
    samples = []
    for _ in range(repeats):
        runtime_cache_clear()
        start = time.perf_counter()
        mg.sync()
        samples.append(time.perf_counter() - start)
    assert mg.n == n
    return statistics.median(samples), min(samples)


def runtime_cache_clear() -> None:
    """Cold ss58 cache every run: the first sync of a process is the honest figure."""
    from bt_llm.chain.scale import ss58_encode

    ss58_encode.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", default=None, help="also time a real sync against this ws:// node")
    parser.add_argument("--netuid", type=int, default=1)
    args = parser.parse_args()
    print(f"{'neurons':>8} {'median s':>9} {'best s':>8} {'target':>7}")
    for n in SIZES:
        median, best = time_sync(n)
        verdict = "ok" if median <= TARGET_S else "SLOW"
        print(f"{n:>8} {median:>9.3f} {best:>8.3f} {verdict:>7}")
    if args.node:
        from bt_llm.chain.subtensor import Subtensor

        with Subtensor(args.node) as sub:
            start = time.perf_counter()
            mg = Metagraph(args.netuid, subtensor=sub)
            elapsed = time.perf_counter() - start
        print(f"live node {args.node}: netuid {args.netuid}, n={mg.n}, sync {elapsed:.3f} s (incl. connect)")


if __name__ == "__main__":
    main()

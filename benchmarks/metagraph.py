"""Metagraph sync time for 256, 1024 and 4096 neurons (target: <= 0.5 s at 4096).

Two figures per size:

- ``client``: everything ``Metagraph.sync`` does after the node answers: decoding the
  ``Vec<NeuronInfoLite>`` SCALE bytes of ``NeuronInfoRuntimeApi_get_neurons_lite`` (hex, as
  ``state_call`` returns it) and building the arrays (the RPC is a stub, so no node speed is in it);
- ``localnet``: a whole ``Metagraph(1, subtensor=...)`` sync over a websocket against an embedded
  localnet node (``python -m bt_llm.localnet`` in its own process) whose subnet 1 holds that many
  neurons (made with ``sudo_register`` straight on the engine), on an already-connected client: the
  RPCs, the node's encoding and the client's decoding.

Run: ``.venv/bin/python benchmarks/metagraph.py [--no-live]``
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def populate(state_dir: Path, n: int) -> None:
    """A localnet state whose subnet 1 holds ``n`` neurons (sudo-registered by //Alice on the engine)."""
    from substrateinterface import Keypair

    from bt_llm.localnet.engine import Engine
    from bt_llm.localnet.schema import Call

    alice = Keypair.create_from_uri("//Alice").public_key
    engine = Engine.open(state_dir)
    nonce = engine.account_nonce(alice)
    for uid in range(n):
        inner = Call("SubtensorModule", "sudo_register", {
            "netuid": 1, "hotkey": _key(f"hot{uid}"), "coldkey": _key(f"cold{uid % 97}"),
            "stake": 10**9 * (uid + 1), "balance": 0})
        engine.apply(Call("Sudo", "sudo", {"call": inner}), signer=alice, nonce=nonce)
        nonce += 1
        if uid % 256 == 255:
            engine.seal_block()
    engine.seal_block()
    engine.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_live(n: int, repeats: int = 5) -> tuple[float, float]:
    """Sync against ``python -m bt_llm.localnet`` in its own process (as a user runs it)."""
    from bt_llm.chain.subtensor import Subtensor

    with tempfile.TemporaryDirectory() as tmp:
        populate(Path(tmp), n)
        port = _free_port()
        node = subprocess.Popen([sys.executable, "-m", "bt_llm.localnet", "--port", str(port), "--state", tmp,
                                 "--manual-seal"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or node.poll() is not None:
                        raise RuntimeError("the localnet node did not start") from None
                    time.sleep(0.2)
            with Subtensor(f"ws://127.0.0.1:{port}") as sub:
                sub.get_subnets()  # connect and load metadata once, as a long-lived client has
                samples = []
                for _ in range(repeats):
                    runtime_cache_clear()
                    start = time.perf_counter()
                    mg = Metagraph(1, subtensor=sub)
                    samples.append(time.perf_counter() - start)
                assert mg.n == n, mg.n
        finally:
            node.terminate()
            node.wait(10)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-live", action="store_true", help="skip the localnet node figures")
    args = parser.parse_args()
    print(f"metagraph sync, lite (target <= {TARGET_S} s at 4096); median and best of 5")
    print(f"{'neurons':>8} {'client s':>9} {'best':>7} {'localnet s':>11} {'best':>7} {'target':>7}")
    for n in SIZES:
        median, best = time_sync(n)
        live_median, live_best = (float("nan"), float("nan")) if args.no_live else time_live(n)
        worst = median if args.no_live else live_median
        verdict = "ok" if worst <= TARGET_S else "SLOW"
        print(f"{n:>8} {median:>9.3f} {best:>7.3f} {live_median:>11.3f} {live_best:>7.3f} {verdict:>7}")


if __name__ == "__main__":
    main()

"""``kill -9`` under load loses nothing the node reported as included.

The node runs as a process on a state directory (``python -m bt_llm.localnet --state DIR``, timed blocks).
Three senders submit signed transfers over WebSocket (``author_submitAndWatchExtrinsic``, several in
flight each) and record every ``inBlock`` the node reports. While they are at it, the process gets
SIGKILL; it is restarted on the same directory (the killed process's flock on ``<db>.lock`` goes with it)
and every inclusion reported so far must still be there: the extrinsic in its block, that block on the
canonical chain. After the last kill, each transfer's recipient (a fresh account per transfer) holds
exactly what was sent, and each sender's nonce is past every nonce reported included.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from substrateinterface import Keypair
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bt_llm.localnet.codec import decode
from bt_llm.localnet.node.extrinsic import blake2_256
from bt_llm.localnet.schema import storage_item
from bt_llm.localnet.storage import storage_key
from bt_llm.net import free_port
from tests.integration.node.signing import ChainParams, signed_transfer

ROOT = Path(__file__).resolve().parents[3]
KILLS = 3
INCLUSIONS_PER_ROUND = 60  # reported inclusions to wait for before each kill (a few blocks)
ROUND_TIMEOUT_S = 30.0
WINDOW = 6  # transfers in flight per sender
BLOCK_TIME = "0.05"
SENDERS = [Keypair.create_from_uri(uri) for uri in ("//Alice", "//Bob", "//Charlie")]

pytestmark = pytest.mark.timeout(240)


@dataclass(frozen=True)
class Transfer:
    sender: str  # ss58
    nonce: int
    dest: bytes
    amount: int
    raw: bytes


@dataclass(frozen=True)
class Inclusion:
    transfer: Transfer
    block_hash: str
    round: int


def http_rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    assert "error" not in reply, f"{method}: {reply['error']}"
    return reply["result"]


class NodeProcess:
    """``python -m bt_llm.localnet`` on a free port and the shared state directory; output to a file."""

    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.http_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bt_llm.localnet", "--port", str(self.port), "--state", str(state_dir),
             "--block_time", BLOCK_TIME],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                http_rpc(self.http_url, "system_health", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"the node did not come up:\n{self.log_path.read_text()}") from None
                time.sleep(0.1)

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return http_rpc(self.http_url, method, params)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)
        self._log.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        finally:
            self.kill()


class Sender(threading.Thread):
    """Submits transfers from one account over one WebSocket, ``WINDOW`` in flight; records ``inBlock``s."""

    def __init__(self, keypair: Keypair, node: NodeProcess, chain: ChainParams, round_no: int,
                 reported: list[Inclusion], lock: threading.Lock) -> None:
        super().__init__(name=f"sender-{keypair.ss58_address[:6]}", daemon=True)
        self.keypair = keypair
        self.node = node
        self.chain = chain
        self.round_no = round_no
        self.reported = reported
        self.lock = lock
        self.stop = threading.Event()
        self.refused: list[Any] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except (ConnectionClosed, OSError):
            pass  # the node was killed under us: expected
        except BaseException as exc:  # reported by the test
            self.failure = exc

    def _run(self) -> None:
        nonce = int(self.node.rpc("system_accountNextIndex", [self.keypair.ss58_address]))
        requests: dict[int, Transfer] = {}  # request id -> transfer, until the subscription id comes
        watching: dict[str, Transfer] = {}  # subscription -> transfer, until finalized
        early: dict[str, list[Any]] = {}  # updates for a subscription not yet known
        request_id = 0
        with connect(self.node.url, open_timeout=10, close_timeout=1) as ws:
            while not self.stop.is_set():
                while len(requests) + len(watching) < WINDOW:
                    dest = blake2_256(self.keypair.public_key + nonce.to_bytes(8, "little"))
                    amount = 10**9 + nonce
                    raw = signed_transfer(self.keypair, dest, amount, nonce, self.chain)
                    request_id += 1
                    requests[request_id] = Transfer(self.keypair.ss58_address, nonce, dest, amount, raw)
                    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "author_submitAndWatchExtrinsic",
                                        "params": ["0x" + raw.hex()]}))
                    nonce += 1
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                if "id" in message:
                    transfer = requests.pop(message["id"])
                    if "error" in message:
                        self.refused.append((transfer.nonce, message["error"]))
                        return
                    subscription = message["result"]
                    watching[subscription] = transfer
                    for status in early.pop(subscription, []):
                        self._update(watching, subscription, status)
                elif message.get("method") == "author_extrinsicUpdate":
                    subscription, status = message["params"]["subscription"], message["params"]["result"]
                    if subscription in watching:
                        self._update(watching, subscription, status)
                    else:
                        early.setdefault(subscription, []).append(status)

    def _update(self, watching: dict[str, Transfer], subscription: str, status: Any) -> None:
        if isinstance(status, dict) and "inBlock" in status:
            with self.lock:
                self.reported.append(Inclusion(watching[subscription], status["inBlock"], self.round_no))
        if isinstance(status, dict) and "finalized" in status:
            del watching[subscription]
        elif status in ("invalid", "dropped", "usurped"):
            self.refused.append((watching.pop(subscription).nonce, status))


def check_nothing_lost(node: NodeProcess, reported: list[Inclusion], *, balances: bool) -> None:
    """Every reported inclusion is in its block, and the block is on the chain."""
    by_block: dict[str, list[Inclusion]] = {}
    for inclusion in reported:
        by_block.setdefault(inclusion.block_hash, []).append(inclusion)
    for block_hash, inclusions in by_block.items():
        block = node.rpc("chain_getBlock", [block_hash])
        assert block is not None, f"block {block_hash} (round {inclusions[0].round}) lost after kill -9"
        number = int(block["block"]["header"]["number"], 16)
        assert node.rpc("chain_getBlockHash", [number]) == block_hash, f"block {number} replaced after kill -9"
        extrinsics = set(block["block"]["extrinsics"])
        for inclusion in inclusions:
            assert "0x" + inclusion.transfer.raw.hex() in extrinsics, \
                f"nonce {inclusion.transfer.nonce} of {inclusion.transfer.sender} missing from block {number}"
    if not balances:
        return
    account_type = storage_item("System", "Account").value
    for inclusion in reported:
        transfer = inclusion.transfer
        raw = node.rpc("state_getStorage", ["0x" + storage_key("System", "Account", transfer.dest).hex()])
        assert raw is not None, f"the recipient of nonce {transfer.nonce} of {transfer.sender} has no account"
        assert decode(account_type, bytes.fromhex(raw[2:]))["data"]["free"] == transfer.amount
    for keypair in SENDERS:
        nonces = [i.transfer.nonce for i in reported if i.transfer.sender == keypair.ss58_address]
        if nonces:
            assert node.rpc("system_accountNextIndex", [keypair.ss58_address]) > max(nonces)


def test_kill_9_under_load_loses_no_reported_inclusion(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    reported: list[Inclusion] = []
    lock = threading.Lock()
    logs: list[Path] = []
    chain: ChainParams | None = None
    rng = random.Random(9)
    for round_no in range(KILLS):
        logs.append(tmp_path / f"node-{round_no}.log")
        node = NodeProcess(state_dir, logs[-1])
        senders: list[Sender] = []
        try:
            check_nothing_lost(node, reported, balances=False)
            chain = chain or ChainParams.from_rpc(node.rpc)
            senders = [Sender(k, node, chain, round_no, reported, lock) for k in SENDERS]
            for sender in senders:
                sender.start()
            deadline = time.monotonic() + ROUND_TIMEOUT_S
            while True:
                with lock:
                    this_round = sum(1 for i in reported if i.round == round_no)
                if this_round >= INCLUSIONS_PER_ROUND:
                    break
                assert time.monotonic() < deadline, f"round {round_no}: {this_round} inclusions in time"
                assert all(s.is_alive() for s in senders), [(s.name, s.refused, s.failure) for s in senders]
                time.sleep(0.02)
            time.sleep(rng.uniform(0, float(BLOCK_TIME)))  # anywhere between two blocks, or during one
            assert all(s.is_alive() for s in senders)  # still submitting: the kill lands under load
        finally:
            node.kill()  # SIGKILL, mid-load
            for sender in senders:
                sender.stop.set()
                sender.join(10)
        for sender in senders:
            assert sender.failure is None, f"{sender.name}: {sender.failure!r}"
            assert not sender.refused, f"{sender.name}: refused {sender.refused}"

    logs.append(tmp_path / "node-final.log")
    node = NodeProcess(state_dir, logs[-1])
    try:
        check_nothing_lost(node, reported, balances=True)
        # and the restarted chain keeps including
        before = int(node.rpc("chain_getHeader")["number"], 16)
        deadline = time.monotonic() + 10
        while int(node.rpc("chain_getHeader")["number"], 16) <= before:
            assert time.monotonic() < deadline, "no new block after the last restart"
            time.sleep(0.05)
    finally:
        node.stop()
    assert len(reported) >= KILLS * INCLUSIONS_PER_ROUND
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()

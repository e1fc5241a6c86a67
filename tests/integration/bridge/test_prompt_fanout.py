"""``bt.prompt`` across real delegates on a localnet: two bridges, plus a top-staked delegate whose axon
accepts connections and never answers, and a nominated miner whose axon speaks no delegate protocol."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import bt_llm as bt
from bt_llm import prompting
from bt_llm.fanout import DEFAULT_HEDGE_DELAY, DelegateMemory

pytestmark = pytest.mark.slow

REPLY = "Austin is the capital of Texas."


class Silent:
    """A TCP server that accepts, reads and never answers; counts the connections its clients close."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.closed = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    if not conn.recv(65536):
                        break
                except OSError:
                    break
        self.closed += 1

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture(scope="module")
def net() -> Iterator[tuple]:
    from bt_llm.bridge.devnet import Devnet

    with tempfile.TemporaryDirectory(prefix="bt-llm-fanout-") as tmp, Devnet(Path(tmp), manual_seal=True) as devnet:
        devnet.start_node()
        miner = devnet.wallet("m", coldkey_uri="//Alice", hotkey_uri="//Alice/m")
        devnet.register(miner)
        devnet.start_miner("template", miner, "--template.reply", REPLY)
        fast = devnet.start_bridge(devnet.wallet("fast", coldkey_uri="//Bob", hotkey_uri="//Bob/fast"),
                                   stake_tao=20, timeout=5.0)
        second = devnet.start_bridge(devnet.wallet("second", coldkey_uri="//Charlie", hotkey_uri="//Charlie/b"),
                                     stake_tao=10, timeout=5.0)
        silent = Silent()
        hung = devnet.wallet("hung", coldkey_uri="//Alice", hotkey_uri="//Alice/hung")
        devnet.register(hung)
        devnet.subtensor.add_stake(hung, 45, hung.hotkey.ss58_address, wait_for_inclusion=True)
        devnet.subtensor.nominate(hung, wait_for_inclusion=True)
        devnet.subtensor.serve_axon(devnet.netuid, wallet=hung, ip="127.0.0.1", port=silent.port,
                                    wait_for_inclusion=True)
        devnet.wait_blocks(1)
        for bridge in (fast, second):
            bridge.directory.refresh()
        client = bt.wallet(name="client", hotkey="default", path=str(devnet.wallet_path))
        client.create_new_hotkey(use_password=False, suppress=True)
        yield devnet, client, silent, hung.hotkey.ss58_address, (fast, second)
        silent.close()


@pytest.fixture
def fresh_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DelegateMemory:
    memory = DelegateMemory(path=tmp_path / "delegates.json")
    monkeypatch.setattr(prompting, "memory", memory)
    prompting._finder.clear()
    return memory


def test_a_hung_top_delegate_costs_no_more_than_the_hedge_delay(net, fresh_memory) -> None:
    devnet, client, silent, hung, _ = net
    before = silent.accepted
    started = time.perf_counter()
    assert bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=20.0) == REPLY
    first = time.perf_counter() - started
    assert silent.accepted > before  # the top-staked delegate was asked first
    assert first < DEFAULT_HEDGE_DELAY + 1.5, first
    deadline = time.monotonic() + 3
    while silent.closed < silent.accepted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert silent.closed == silent.accepted  # the loser's request was cancelled: its connection closed
    started = time.perf_counter()
    assert bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=20.0) == REPLY
    assert time.perf_counter() - started < first  # remembered: the fast delegate first
    assert fresh_memory.get(hung).latency >= DEFAULT_HEDGE_DELAY * 0.9


def test_a_stream_hedges_until_its_first_chunk(net, fresh_memory) -> None:
    devnet, client, _, _, _ = net
    started = time.perf_counter()
    chunks = list(bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=20.0,
                            stream=True))
    assert "".join(chunks) == REPLY
    assert time.perf_counter() - started < DEFAULT_HEDGE_DELAY + 1.5


def test_return_all_merges_delegates_without_duplicates(net, fresh_memory) -> None:
    devnet, client, _, _, bridges = net
    answers = bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=20.0,
                        return_all=True)
    assert answers == [REPLY]  # one miner, reached through two delegates: one answer
    assert answers[0].hotkey and answers[0].uid is not None
    assert answers[0].delegate in {b.hotkey for b in bridges}


def test_every_delegate_hung_keeps_the_total_timeout(net, fresh_memory) -> None:
    devnet, client, _, hung, _ = net
    started = time.perf_counter()
    with pytest.raises(bt.PromptError, match=r"no delegate answered within 1\.5 s"):
        bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=1.5, hotkey=hung)
    assert time.perf_counter() - started < 1.5 + 0.5


def test_a_miner_nominated_as_delegate_is_skipped_after_its_first_404(net, fresh_memory) -> None:
    devnet, client, _, _, _ = net
    miner = devnet.wallet("m2", coldkey_uri="//Alice", hotkey_uri="//Alice/m2")  # a miner of its own
    devnet.register(miner)
    devnet.start_miner("template", miner, "--template.reply", REPLY)
    devnet.subtensor.add_stake(miner, 60, miner.hotkey.ss58_address, wait_for_inclusion=True)
    devnet.subtensor.nominate(miner, wait_for_inclusion=True)
    devnet.wait_blocks(1)
    prompting._finder.clear()
    assert bt.prompt("What is the capital of Texas?", network=devnet.url, wallet=client, timeout=20.0) == REPLY
    record = fresh_memory.get(miner.hotkey.ss58_address)
    assert record.not_delegate_until > time.time()
    endpoints = prompting._finder.endpoints(hotkey=None, network=devnet.url, netuid=1)
    assert miner.hotkey.ss58_address not in [e.hotkey for e in fresh_memory.order(endpoints)]

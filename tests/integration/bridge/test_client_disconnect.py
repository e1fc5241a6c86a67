"""A client that leaves stops the work done for it: real axons, a real dendrite, the bridge on uvicorn.

The fuzz campaign's case: a 30-prompt ``/v1/completions`` request kept querying miners for 50 s after
its client disconnected. Here each miner takes 0.6 s per answer and records when each query arrives
and whether it was cancelled (its connection closed by the bridge).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.bridge.app import HttpSettings, create_app
from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.network_backend import NetworkBackend
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.bridge.weights import ScoreBook
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.synapses import TextPrompting

ANSWER_S = 0.6


class Log:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived: list[float] = []

    def forward(self):  # type: ignore[no-untyped-def]
        async def forward(synapse: TextPrompting) -> TextPrompting:
            with self.lock:
                self.arrived.append(time.monotonic())
            await asyncio.sleep(ANSWER_S)
            synapse.completion = "an answer about " + synapse.messages[-1]
            return synapse

        return forward


@pytest.fixture
def bridge() -> Iterator[tuple[ServerThread, Log, BridgeMetrics]]:
    log = Log()
    axons, miners = [], []
    for uid in range(2):
        key = Keypair.create_from_uri(f"//leaver{uid}")
        axon = Axon(wallet=key, ip="127.0.0.1", port=0, max_workers=16).attach(log.forward()).start()
        axons.append(axon)
        miners.append(Miner(uid=uid, hotkey=key.ss58_address, axon=axon.info(), incentive=0.0))
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=2, miners=tuple(miners)), scores)
    directory.refresh()
    metrics = BridgeMetrics()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bridge")),
                             scorer=LexicalScorer(), scores=scores, metrics=metrics, k=2, timeout=5.0)
    try:
        with ServerThread(create_app(backend, HttpSettings(), metrics)) as server:
            yield server, log, metrics
    finally:
        for axon in axons:
            axon.stop()


def test_a_client_leaving_a_many_prompt_completion_stops_the_fan_out(
        bridge: tuple[ServerThread, Log, BridgeMetrics]) -> None:
    server, log, _ = bridge
    body = {"model": "bittensor/subnet-1", "prompt": [f"question {i}" for i in range(30)], "max_tokens": 8}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + "/v1/completions", json=body, timeout=httpx.Timeout(5.0, read=1.0))
    left = time.monotonic()
    time.sleep(3 * ANSWER_S)
    with log.lock:
        after = [t for t in log.arrived if t > left + 0.3]
        asked = len(log.arrived)
    assert log.arrived, "the miners were never asked"
    assert after == [], f"{len(after)} queries reached miners after the client left"
    # 30 prompts x 2 miners would be 60 queries; only those started before the client left ran
    assert asked <= 2 * 16, asked
    # the bridge is healthy, answers the next caller, and counts the request as closed by its client
    again = httpx.post(server.url + "/v1/completions", timeout=10.0,
                       json={"model": "bittensor/subnet-1", "prompt": ["one", "two", "three"], "max_tokens": 8})
    assert again.status_code == 200, again.text
    assert [c["text"] for c in again.json()["choices"]] == [
        "an answer about one", "an answer about two", "an answer about three"]
    assert 'status="499"' in httpx.get(server.url + "/metrics").text


def test_many_prompts_are_asked_concurrently(bridge: tuple[ServerThread, Log, BridgeMetrics]) -> None:
    server, _, _ = bridge
    started = time.monotonic()
    r = httpx.post(server.url + "/v1/completions", timeout=20.0,
                   json={"model": "bittensor/subnet-1", "prompt": [f"q{i}" for i in range(8)], "max_tokens": 8})
    assert r.status_code == 200, r.text
    assert len(r.json()["choices"]) == 8
    assert time.monotonic() - started < 4 * ANSWER_S  # one after another would take 8 x 0.6 s

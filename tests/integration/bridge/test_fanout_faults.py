"""Fan-out under faults, through real axons, a real dendrite and the bridge's HTTP API.

Eight miners serve real axons on loopback: four answer, two hang, one fails with 500 and one is a
raw HTTP server answering garbage. The metagraph is replaced by a fixed snapshot of those axons
(the chain is not what this test is about; tests/integration/bridge/test_bridge_e2e.py has it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
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
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting

DEADLINE = 2.0


def good_miner(answer: str):
    def forward(synapse: TextPrompting) -> TextPrompting:
        synapse.completion = answer
        return synapse

    def stream(synapse: StreamingTextPrompting):
        yield from answer.split(" ")

    return forward, stream


def hanging(synapse: TextPrompting) -> TextPrompting:
    time.sleep(DEADLINE + 3)
    return synapse


def hanging_stream(synapse: StreamingTextPrompting):
    time.sleep(DEADLINE + 3)
    yield "late"


def failing(synapse: TextPrompting) -> TextPrompting:
    raise RuntimeError("model exploded")


@pytest.fixture(scope="module")
def network() -> Iterator[tuple[list[Miner], ServerThread]]:
    axons: list[Axon] = []
    miners: list[Miner] = []
    behaviours = [
        good_miner("The capital of Texas is Austin."),
        good_miner("Austin is the capital of Texas."),
        (hanging, hanging_stream),
        good_miner("Texas has Austin as its capital city."),
        (failing, None),
        (hanging, hanging_stream),
        good_miner("purple monkey dishwasher"),
    ]
    for uid, (forward, stream) in enumerate(behaviours):
        key = Keypair.create_from_uri(f"//miner{uid}")
        axon = Axon(wallet=key, port=0, max_workers=4).attach(forward)
        if stream is not None:
            axon.attach(stream)
        axons.append(axon.start())
        miners.append(Miner(uid=uid, hotkey=key.ss58_address, axon=axon.info(), incentive=0.0))
    garbage = ServerThread(Starlette(routes=[
        Route("/{name}", lambda request: PlainTextResponse("<<<not a synapse>>>"), methods=["POST"])]))
    garbage.start()
    miners.append(Miner(uid=7, hotkey=Keypair.create_from_uri("//miner7").ss58_address,
                        axon=AxonInfo(version=1, ip="127.0.0.1", port=garbage.port, ip_type=4, hotkey="x",
                                      coldkey="x"), incentive=0.0))
    yield miners, garbage
    for axon in axons:
        axon.stop()
    garbage.stop()


@pytest.fixture
def bridge(network: tuple[list[Miner], ServerThread]) -> Iterator[tuple[ServerThread, BridgeMetrics, ScoreBook]]:
    miners, _ = network
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=8, miners=tuple(miners)), scores)
    directory.refresh()
    metrics = BridgeMetrics()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bridge")),
                             scorer=LexicalScorer(), scores=scores, metrics=metrics, k=8, timeout=DEADLINE,
                             stream_stall=0.5)
    with ServerThread(create_app(backend, HttpSettings(), metrics)) as server:
        yield server, metrics, scores


def test_best_answer_within_deadline_despite_faults(bridge: tuple[ServerThread, BridgeMetrics, ScoreBook]) -> None:
    server, _, scores = bridge
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0)
    started = time.perf_counter()
    result = client.chat.completions.create(
        model="bittensor/subnet-1", n=3, messages=[{"role": "user", "content": "What is the capital of Texas?"}])
    elapsed = time.perf_counter() - started
    # The answer does not wait for the hung miners: three good answers and the grace window.
    assert elapsed < DEADLINE / 2, elapsed
    texts = [c.message.content for c in result.choices]
    assert all("Austin" in t for t in texts), texts
    assert {c.model_extra["miner"]["uid"] for c in result.choices} == {0, 1, 3}
    # Every miner, the hung ones included, is scored in the background once the deadline has passed.
    waited = time.monotonic() + DEADLINE + 2.0
    while 2 not in scores.snapshot() and time.monotonic() < waited:
        time.sleep(0.05)
    book = scores.snapshot()
    assert book[2] == 0.0 and book[4] == 0.0 and book[5] == 0.0 and book[7] == 0.0
    assert book[0] > book[6] > 0.0
    # the bridge is still up, and the metrics name the failures
    assert httpx.get(server.url + "/healthz").status_code == 200
    text = httpx.get(server.url + "/metrics").text
    assert 'bridge_miner_queries_total{outcome="408",uid="2"} 1.0' in text
    assert 'bridge_miner_queries_total{outcome="500",uid="4"} 1.0' in text
    assert 'bridge_miner_queries_total{outcome="success",uid="0"} 1.0' in text
    assert 'uid="7"' in text and 'outcome="success",uid="7"' not in text
    # failures by kind, latency and tokens/s per uid
    assert 'bridge_miner_failures_total{kind="timeout",uid="2"} 1.0' in text
    assert 'bridge_miner_failures_total{kind="error",uid="4"} 1.0' in text
    assert re.search(r'bridge_miner_failures_total\{kind="(error|invalid_answer|refused)",uid="7"\} 1.0', text)
    assert 'bridge_miner_failures_total{kind="timeout",uid="0"}' not in text
    assert 'bridge_miner_seconds_count{uid="2"} 1.0' in text and 'bridge_miner_seconds_count{uid="0"} 1.0' in text
    assert 'bridge_miner_tokens_per_second_count{uid="0"} 1.0' in text
    assert 'bridge_miner_tokens_per_second_count{uid="2"} 0.0' in text  # it never answered


def test_named_uid_model_and_unknown_uid(bridge: tuple[ServerThread, BridgeMetrics, ScoreBook]) -> None:
    server, _, _ = bridge
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0)
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "bittensor/subnet-1" and "bittensor/subnet-1/uid-3" in ids
    result = client.completions.create(model="bittensor/subnet-1/uid-1", prompt="capital?")
    assert result.choices[0].text == "Austin is the capital of Texas."
    with pytest.raises(openai.InternalServerError) as failed:
        client.completions.create(model="bittensor/subnet-1/uid-4", prompt="capital?")
    assert failed.value.status_code == 503 and "uid 4: 500" in failed.value.body["message"]
    with pytest.raises(openai.APIStatusError) as timed_out:
        client.completions.create(model="bittensor/subnet-1/uid-2", prompt="capital?")
    assert timed_out.value.status_code == 504


def test_stream_falls_back_from_a_stalled_miner(bridge: tuple[ServerThread, BridgeMetrics, ScoreBook]) -> None:
    server, _, scores = bridge
    for uid in range(8):  # make the hanging miner the top-ranked one
        scores.update(uid, 1.0 if uid == 2 else 0.1)
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0)
    started = time.perf_counter()
    chunks = list(client.chat.completions.create(
        model="bittensor/subnet-1", stream=True, messages=[{"role": "user", "content": "capital?"}]))
    assert time.perf_counter() - started < DEADLINE
    first = chunks[0].choices[0].model_extra["miner"]["uid"]
    assert first != 2
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Austin" in text or "monkey" in text
    metrics = httpx.get(server.url + "/metrics").text
    assert f'bridge_miner_ttft_seconds_count{{uid="{first}"}} 1.0' in metrics
    assert 'bridge_miner_ttft_seconds_count{uid="2"}' not in metrics  # it never spoke


def test_delegate_axon_answers_503_with_reasons_when_no_miner_answers(
        bridge: tuple[ServerThread, BridgeMetrics, ScoreBook]) -> None:
    import asyncio

    from bt_llm.bridge.auth import RateLimiter
    from bt_llm.bridge.delegate_axon import attach_delegate_routes
    from bt_llm.protocol.delegate import DelegatedTextPrompting

    _, metrics, scores = bridge
    broken = Miner(uid=9, hotkey="x", axon=AxonInfo(version=1, ip="127.0.0.1", port=9, ip_type=4, hotkey="x",
                                                   coldkey="x"), incentive=0.0)
    directory = MinerDirectory(lambda: Snapshot(block=1, n=1, miners=(broken,)), scores)
    directory.refresh()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bridge")),
                             scorer=LexicalScorer(), scores=scores, metrics=metrics, timeout=DEADLINE)
    axon = Axon(wallet=Keypair.create_from_uri("//delegate"), port=0)
    attach_delegate_routes(axon, backend, "bittensor/subnet-1", RateLimiter(600))
    axon.start()
    try:
        client = Dendrite(Keypair.create_from_uri("//client"))
        answer = asyncio.run(client.call(axon.info(), DelegatedTextPrompting(roles=["user"], messages=["hi"]),
                                         timeout=5, deserialize=False))
        assert answer.dendrite.status_code == 503
        assert "uid 9: 503" in answer.dendrite.status_message
    finally:
        axon.stop()

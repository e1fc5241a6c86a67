"""``/healthz`` and ``/readyz`` tell the truth: a real chain node, a real miner axon, the bridge on uvicorn.

The fuzz campaign's case: ``/healthz`` said ``ok`` with the chain node killed and no miner able to
answer. Here the directory reads the chain's head through a real ``Subtensor`` every 0.2 s; the node
is then stopped, and the only miner too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.bridge.app import HttpSettings, create_app
from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.network_backend import NetworkBackend
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.bridge.weights import ScoreBook
from bt_llm.chain.subtensor import Subtensor
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.synapses import TextPrompting


def answer(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "Austin."
    return synapse


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_health_follows_the_chain_and_the_miners(localnet_node_factory) -> None:  # type: ignore[no-untyped-def]
    node = localnet_node_factory()
    subtensor = Subtensor(chain_endpoint=node.url)
    key = Keypair.create_from_uri("//health-miner")
    axon = Axon(wallet=key, ip="127.0.0.1", port=0).attach(answer).start()
    miner = Miner(uid=0, hotkey=key.ss58_address, axon=axon.info(), incentive=0.0)
    scores = ScoreBook()
    metrics = BridgeMetrics()
    directory = MinerDirectory(lambda: Snapshot(block=subtensor.get_current_block(), n=1, miners=(miner,)), scores,
                               refresh_seconds=0.2, on_refresh_failure=metrics.record_refresh_failure)
    directory.refresh()
    directory.start()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bridge")),
                             scorer=LexicalScorer(), scores=scores, metrics=metrics, timeout=2.0)
    try:
        with ServerThread(create_app(backend, HttpSettings(), metrics)) as server:
            ready = httpx.get(server.url + "/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["chain"]["ok"] and ready.json()["checks"]["miners"]["ok"]
            assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
            assert "bridge_metagraph_refresh_failures_total 0.0" in httpx.get(server.url + "/metrics").text

            node.node.stop()  # the chain goes away
            assert wait_for(lambda: httpx.get(server.url + "/readyz").status_code == 503)
            body = httpx.get(server.url + "/readyz").json()
            assert body["failing"] == ["chain"] and "refresh failed" in body["checks"]["chain"]["detail"]
            failures = re.search(r"^bridge_metagraph_refresh_failures_total (\S+)$",
                                 httpx.get(server.url + "/metrics").text, re.M)
            assert failures and float(failures.group(1)) >= 1  # each failed refresh counted
            live = httpx.get(server.url + "/healthz")
            assert live.status_code == 200 and live.json()["status"] == "degraded"  # alive, but says it cannot answer

            port = int(node.url.rsplit(":", 1)[1])
            back = localnet_node_factory(port=port)  # the chain comes back on its address: ready again
            assert wait_for(lambda: httpx.get(server.url + "/readyz").status_code == 200, timeout=15.0)
            assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
            back.node.stop()

            assert wait_for(lambda: httpx.get(server.url + "/readyz").status_code == 503)
            axon.stop()  # and the only miner: its failures cool it down
            completion = httpx.post(server.url + "/v1/completions", timeout=10.0,
                                    json={"model": "bittensor/subnet-1", "prompt": "capital of Texas?"})
            assert completion.status_code >= 500
            body = httpx.get(server.url + "/readyz").json()
            assert body["failing"] == ["chain", "miners"], body
            assert "cooling down" in body["checks"]["miners"]["detail"]
    finally:
        directory.stop()
        axon.stop()
        subtensor.close()

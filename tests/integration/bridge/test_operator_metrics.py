"""``/metrics`` of a running bridge (the session's devnet: localnet node, real miner processes, the
bridge as a service): per-miner latency, tokens/s and time to first token labelled by uid, serving
miners, requests in flight, weights-set events and their block."""

from __future__ import annotations

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.devnet_fixture import GOOD_1, QUESTION, DevnetNetwork

pytestmark = pytest.mark.slow


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url + "/metrics").text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(metrics: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return metrics.get((name, frozenset(labels.items())))


def test_per_miner_and_bridge_metrics(devnet_network: DevnetNetwork) -> None:
    net, bridge = devnet_network.net, devnet_network.bridge_b  # open: no API key
    good = str(devnet_network.uids["good1"])
    client = openai.OpenAI(base_url=bridge.http_url + "/v1", api_key="none", max_retries=0)
    before = samples(bridge.http_url)
    answer = client.completions.create(model=f"bittensor/subnet-1/uid-{good}", prompt=QUESTION)
    assert answer.choices[0].text == GOOD_1
    chunks = list(client.chat.completions.create(model=f"bittensor/subnet-1/uid-{good}", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == GOOD_1
    after = samples(bridge.http_url)

    def grew(name: str, by: float = 1.0, **labels: str) -> bool:  # at least (a challenge may come in between)
        return (value(after, name, **labels) or 0.0) - (value(before, name, **labels) or 0.0) >= by

    assert grew("bridge_miner_seconds_count", 2, uid=good)  # the answer and the stream
    assert grew("bridge_miner_tokens_per_second_count", 2, uid=good)
    assert grew("bridge_miner_ttft_seconds_count", 1, uid=good)  # streams only
    assert grew("bridge_miner_queries_total", 2, uid=good, outcome="success")
    # 7 tokens in well under a second: above 5 tokens/s, each time
    slow = [value(m, "bridge_miner_tokens_per_second_bucket", uid=good, le="5.0") or 0.0 for m in (before, after)]
    assert slow[0] == slow[1]

    serving = value(after, "bridge_serving_miners")
    assert serving == len(bridge.directory.serving()) and serving >= 3
    assert value(after, "bridge_in_flight_requests") == 1.0  # the scrape itself: nothing else is left counted

    net.wait_blocks(net.tempo + 1)  # an epoch hands out validator permits
    assert bridge.set_weights_now(), bridge.last_weights_error
    metrics = samples(bridge.http_url)
    assert value(metrics, "bridge_weights_total", outcome="set") >= 1
    assert value(metrics, "bridge_last_weights_block") == bridge.last_weights_block
    assert value(metrics, "bridge_metagraph_refresh_failures_total") == 0.0

    # signed by a hotkey the subnet does not know: the chain refuses it, and the event says "refused"
    wallet, bridge.wallet = bridge.wallet, net.wallet("stranger", coldkey_uri="//Dave", hotkey_uri="//Dave/stranger")
    try:
        assert not bridge.set_weights_now()
    finally:
        bridge.wallet = wallet
    assert bridge.last_weights_error.startswith("refused"), bridge.last_weights_error
    assert value(samples(bridge.http_url), "bridge_weights_total", outcome="refused") == 1.0

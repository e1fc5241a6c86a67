"""The bridge end to end: localnet, real miner processes, two bridges, the real openai client, bt.prompt."""

from __future__ import annotations

import time

import numpy as np
import openai
import pytest

import bt_llm as bt
from bt_llm.errors import PromptError
from tests.devnet_fixture import BAD, GOOD_1, GOOD_2, QUESTION, DevnetNetwork

pytestmark = pytest.mark.slow


def client(network: DevnetNetwork, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(base_url=network.bridge_a.http_url + "/v1", api_key=key, max_retries=0)


def test_chat_completion_picks_a_good_miner_and_n_returns_three(devnet_network: DevnetNetwork) -> None:
    result = client(devnet_network).chat.completions.create(
        model="bittensor/subnet-1", messages=[{"role": "user", "content": QUESTION}], n=3)
    texts = [choice.message.content for choice in result.choices]
    assert texts[0] in (GOOD_1, GOOD_2)
    assert sorted(texts) == sorted([GOOD_1, GOOD_2, BAD])  # the embedder answers no TextPrompting
    assert texts[-1] == BAD
    uids = [choice.model_extra["miner"]["uid"] for choice in result.choices]
    assert uids[-1] == devnet_network.uids["bad"]
    assert result.usage.total_tokens > 0


def test_completions_streaming_models_and_embeddings(devnet_network: DevnetNetwork) -> None:
    openai_client = client(devnet_network)
    uid = devnet_network.uids["good1"]
    text = openai_client.completions.create(model=f"bittensor/subnet-1/uid-{uid}", prompt=QUESTION)
    assert text.choices[0].text == GOOD_1
    chunks = list(openai_client.chat.completions.create(
        model=f"bittensor/subnet-1/uid-{uid}", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == GOOD_1
    assert chunks[-1].usage.completion_tokens == 7  # Austin|is|the|capital|of|Texas|.
    models = [m.id for m in openai_client.models.list()]
    assert models[0] == "bittensor/subnet-1" and f"bittensor/subnet-1/uid-{uid}" in models
    embedder = devnet_network.uids["embedder"]
    vectors = openai_client.embeddings.create(model=f"bittensor/subnet-1/uid-{embedder}",
                                              input=["Austin, Texas", "the capital of Texas", "a banana"])
    a, b, c = (np.array(d.embedding) for d in vectors.data)
    assert a.shape == (384,) and abs(np.linalg.norm(a) - 1.0) < 1e-3
    assert float(a @ b) > float(a @ c)


def test_auth_unknown_model_and_rate_limit(devnet_network: DevnetNetwork) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(devnet_network, key="sk-wrong").models.list()
    with pytest.raises(openai.NotFoundError) as missing:
        client(devnet_network).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert "bittensor/subnet-1" in missing.value.body["message"]
    slow = client(devnet_network, key="sk-slow")
    slow.models.list()
    slow.models.list()
    with pytest.raises(openai.RateLimitError):
        slow.models.list()


def test_bt_prompt_through_delegates(devnet_network: DevnetNetwork) -> None:
    kwargs = dict(network=devnet_network.url, wallet=devnet_network.client_wallet, timeout=10.0)
    answer = bt.prompt(QUESTION, **kwargs)
    assert answer in (GOOD_1, GOOD_2)
    answers = bt.prompt(QUESTION, return_all=True, **kwargs)
    assert sorted(answers) == sorted([GOOD_1, GOOD_2, BAD]) and answers[-1] == BAD
    second = devnet_network.bridge_b.hotkey
    assert bt.prompt(QUESTION, hotkey=second, **kwargs) in (GOOD_1, GOOD_2)
    assert "".join(bt.prompt(QUESTION, hotkey=second, stream=True, **kwargs)) in (GOOD_1, GOOD_2)
    with pytest.raises(PromptError, match="not registered on subnet 1"):
        bt.prompt(QUESTION, hotkey="5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", **kwargs)


def test_langchain_llm_seed_style(devnet_network: DevnetNetwork) -> None:
    llm = bt.BittensorLLM(network=devnet_network.url, wallet=devnet_network.client_wallet,
                          hotkey=devnet_network.bridge_b.hotkey, timeout=10.0)
    assert llm(QUESTION) in (GOOD_1, GOOD_2)
    assert llm.invoke(QUESTION, stop=["Texas"]) in ("Austin is the capital of ", "The capital city of ")


def test_weights_reach_the_chain_and_reward_the_better_miners(devnet_network: DevnetNetwork) -> None:
    net, bridge = devnet_network.net, devnet_network.bridge_a
    openai_client = client(devnet_network)
    for _ in range(3):
        openai_client.chat.completions.create(model="bittensor/subnet-1",
                                              messages=[{"role": "user", "content": QUESTION}])
    scores = bridge.scores.snapshot()
    good, bad = devnet_network.uids["good1"], devnet_network.uids["bad"]
    assert scores[good] > scores[bad]
    net.wait_blocks(net.tempo + 1)  # an epoch hands out validator permits
    assert bridge.set_weights_now()
    bridge_uid = net.subtensor.get_uid_for_hotkey_on_subnet(bridge.hotkey, 1)
    metagraph = bt.metagraph(1, subtensor=net.subtensor, lite=False)
    row = metagraph.W[bridge_uid]
    assert row[good] > row[bad] > 0
    net.wait_blocks(net.tempo + 1)  # the next epoch pays by those weights
    metagraph = bt.metagraph(1, subtensor=net.subtensor, lite=True)
    assert metagraph.I[good] > metagraph.I[bad]


def test_first_delegate_down_fails_over_to_the_next(devnet_network: DevnetNetwork) -> None:
    # Runs last: it stops bridge_a's axon (the delegate with most stake).
    from bt_llm.prompting import _finder

    _finder.clear()
    devnet_network.bridge_a.axon.stop()
    started = time.perf_counter()
    answer = bt.prompt(QUESTION, network=devnet_network.url, wallet=devnet_network.client_wallet, timeout=10.0)
    assert answer in (GOOD_1, GOOD_2)
    assert time.perf_counter() - started < 10.0


def test_max_tokens_is_enforced_on_miners_that_ignore_it(devnet_network: DevnetNetwork) -> None:
    # The template miners answer their fixed reply whatever max_tokens says: the bridge cuts it.
    openai_client = client(devnet_network)
    uid = devnet_network.uids["good1"]
    result = openai_client.chat.completions.create(model=f"bittensor/subnet-1/uid-{uid}", max_tokens=2,
                                                   messages=[{"role": "user", "content": QUESTION}])
    choice = result.choices[0]
    assert choice.message.content == "Austin is" and choice.finish_reason == "length"
    assert result.usage.completion_tokens == 2
    assert result.system_fingerprint  # a string, never null
    chunks = list(openai_client.chat.completions.create(
        model=f"bittensor/subnet-1/uid-{uid}", max_tokens=2, stream=True,
        messages=[{"role": "user", "content": QUESTION}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Austin is"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


def test_n_above_the_serving_miners_still_gives_n_choices(devnet_network: DevnetNetwork) -> None:
    result = client(devnet_network).chat.completions.create(
        model="bittensor/subnet-1", messages=[{"role": "user", "content": QUESTION}], n=5)
    assert [c.index for c in result.choices] == [0, 1, 2, 3, 4]
    uids = [c.model_extra["miner"]["uid"] for c in result.choices]
    assert len(set(uids[:3])) == 3  # distinct miners first, then more samples from the best
    assert uids[3] == uids[0]


def test_bt_prompt_gets_the_same_contract_as_the_http_api(devnet_network: DevnetNetwork) -> None:
    # One path: the delegate axon holds max_tokens and stop strings as the HTTP API does.
    kwargs = dict(network=devnet_network.url, wallet=devnet_network.client_wallet, timeout=10.0,
                  hotkey=devnet_network.bridge_b.hotkey)  # bridge_a's axon was stopped above
    assert bt.prompt(QUESTION, max_tokens=2, **kwargs) in ("Austin is", "The capital", "purple monkey")
    assert bt.prompt(QUESTION, stop=["Texas"], **kwargs) in ("Austin is the capital of ", "The capital city of ",
                                                              BAD)
    streamed = "".join(bt.prompt(QUESTION, max_tokens=2, stream=True, **kwargs))
    assert len(streamed.split()) <= 2

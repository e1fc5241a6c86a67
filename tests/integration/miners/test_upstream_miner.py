"""The OpenAI-upstream miner as a real process on a localnet, against a fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio

import pytest

from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting

from .fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow


def test_upstream_miner_end_to_end(miner_net) -> None:
    wallet = miner_net.miner_wallet("upstream")
    with FakeOpenAI() as up:
        proc = miner_net.start("openai_upstream", wallet, "--upstream.base_url", up.base_url, "--upstream.model",
                               "fake-model", env={"UPSTREAM_API_KEY": "sk-upstream-test"})
        info = miner_net.axon_of(wallet)
        with miner_net.dendrite() as d:
            out = d.query(info, TextPrompting(roles=["system", "user"], messages=["be brief", "capital of Texas?"],
                                              max_tokens=20, temperature=0.2, stop=["\n"], seed=5),
                          deserialize=False)
            assert out.is_success and out.completion == "upstream says: capital of Texas?"
            sent = up.requests[-1]
            assert sent["model"] == "fake-model" and sent["auth"] == "Bearer sk-upstream-test"
            assert sent["messages"] == [{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "capital of Texas?"}]
            assert (sent["max_tokens"], sent["temperature"], sent["stop"], sent["seed"]) == (20, 0.2, ["\n"], 5)

            async def stream(text: str) -> list:
                gen = await d.forward(info, StreamingTextPrompting(roles=["user"], messages=[text]),
                                      streaming=True, deserialize=False)
                return [c async for c in gen]

            *chunks, final = d.run_sync(stream("tell me a story"))
            assert chunks == ["upstream", " says:", " tell", " me", " a", " story"]
            assert final.is_success and final.completion == "upstream says: tell me a story"
            assert up.requests[-1]["stream"] is True

            failed = d.query(info, TextPrompting(roles=["user"], messages=["fail"]), deserialize=False)
            assert failed.dendrite.status_code == 502
            assert failed.dendrite.status_message == (
                f"upstream {up.base_url} answered 429: Rate limit reached for requests")

            *chunks, final = d.run_sync(stream("fail"))
            assert chunks == [] and final.dendrite.status_code == 502 and "429" in final.dendrite.status_message

            async def concurrent() -> list:
                calls = [d.forward(info, TextPrompting(roles=["user"], messages=[f"question {i}"]))
                         for i in range(6)]
                return await asyncio.gather(*calls)

            assert d.run_sync(concurrent()) == [f"upstream says: question {i}" for i in range(6)]
        assert proc.stop() == 0
    assert "error: upstream" in proc.log and "answered 429" in proc.log
    assert len(proc.requests("TextPrompting")) == 7


def test_unreachable_upstream_is_a_clear_503(miner_net) -> None:
    wallet = miner_net.miner_wallet("upstream-down")
    with FakeOpenAI() as up:
        dead_url = up.base_url  # the port is free again once the server closes
    proc = miner_net.start("openai_upstream", wallet, "--upstream.base_url", dead_url, "--upstream.model", "m")
    with miner_net.dendrite() as d:
        out = d.query(miner_net.axon_of(wallet), TextPrompting(roles=["user"], messages=["hi"]), deserialize=False)
    assert out.dendrite.status_code == 503 and "unreachable" in out.dendrite.status_message
    assert proc.stop() == 0

"""Tools, JSON schemas and log-probabilities end to end: the openai SDK → the bridge → real axons of the
OpenAI-upstream miner → a fake upstream (FastAPI on loopback). One miner's upstream answers invalid
JSON: its answers are never returned and score 0."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.bridge.app import create_app
from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.network_backend import NetworkBackend
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.bridge.weights import ScoreBook
from bt_llm.dendrite.client import Dendrite
from bt_llm.models.openai_upstream import OpenAIUpstream
from bt_llm.neuron.handlers import build_handlers
from bt_llm.neuron.miner import Miner as MinerNeuron
from bt_llm.neuron.policy import CallerPolicy

openai = pytest.importorskip("openai")
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "miners" / "openai_upstream"))
from neuron import UpstreamMiner  # noqa: E402

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "the weather in a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
          "required": ["city", "population"], "additionalProperties": False}


def upstream(broken: bool) -> FastAPI:
    app = FastAPI()
    app.state.requests = []

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        body = await request.json()
        app.state.requests.append(body)
        message: dict[str, Any] = {"role": "assistant", "content": "It is sunny."}
        reason, logprobs = "stop", None
        last = body["messages"][-1]
        if body.get("tools") and last["role"] != "tool":
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather",
                                                                  "arguments": '{"city": "Austin"}'}}]}
            reason = "tool_calls"
        elif last["role"] == "tool":
            message["content"] = f"The weather in Austin: {json.loads(last['content'])['sky']}."
        elif body.get("response_format"):
            message["content"] = '{"city": "Austin", "population": "many"' if broken else \
                '{"city": "Austin", "population": 961855}'
        if body.get("logprobs"):
            logprobs = {"content": [{"token": "It", "logprob": -0.1, "bytes": [73, 116],
                                     "top_logprobs": [{"token": "It", "logprob": -0.1, "bytes": [73, 116]}]}]}
            message["content"] = "It"
        return {"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": reason, "message": message, "logprobs": logprobs}]}

    return app


@contextlib.contextmanager
def axon_network(prefix: str, neurons: Sequence[MinerNeuron], *, timeout: float = 5.0,
                 max_workers: int = 10) -> Iterator[dict[str, Any]]:
    """``neurons`` (uids 0, 1, ...) on real axons and a ``NetworkBackend`` over them (no chain: a fixed
    directory snapshot); shared with the SmolLM2 and LangChain end-to-end tests."""
    axons, miners = [], []
    try:
        for uid, neuron in enumerate(neurons):
            key = Keypair.create_from_uri(f"//{prefix}-miner{uid}")
            axon = Axon(wallet=key, ip="127.0.0.1", port=0, max_workers=max_workers)
            for handler in build_handlers(neuron, CallerPolicy(metagraph=None, allow_non_registered=True), key):
                axon.attach(*handler)
            axons.append(axon.start())
            miners.append(Miner(uid=uid, hotkey=key.ss58_address, axon=axon.info(), incentive=0.0))
        scores = ScoreBook()
        directory = MinerDirectory(lambda: Snapshot(block=1, n=len(miners), miners=tuple(miners)), scores)
        directory.refresh()
        backend = NetworkBackend(netuid=1, directory=directory,
                                 dendrite=Dendrite(Keypair.create_from_uri(f"//{prefix}-bridge")),
                                 scorer=LexicalScorer(), scores=scores, metrics=BridgeMetrics(), timeout=timeout)
        yield {"backend": backend, "scores": scores, "axons": axons}
    finally:
        for axon in axons:
            axon.stop()


@contextlib.contextmanager
def upstream_network(prefix: str) -> Iterator[dict[str, Any]]:
    """Two ``openai_upstream`` miners on real axons (one upstream answering well, one with broken JSON)
    and a ``NetworkBackend`` over them; shared with the LangChain end-to-end test."""
    good_app, bad_app = upstream(False), upstream(True)
    with ServerThread(good_app) as good, ServerThread(bad_app) as bad, axon_network(prefix, [
            UpstreamMiner(OpenAIUpstream(up.url + "/v1", "fake")) for up in (good, bad)]) as parts:
        yield {**parts, "good": good_app, "bad": bad_app}


@pytest.fixture(scope="module")
def net() -> Iterator[dict[str, Any]]:
    with upstream_network("structured") as parts, ServerThread(create_app(parts["backend"])) as bridge:
        client = openai.OpenAI(base_url=bridge.url + "/v1", api_key="unused", max_retries=0)
        with client:
            yield {**parts, "client": client}


MODEL = "bittensor/subnet-1"


def test_capabilities_unknown_until_miners_answer_then_learned(net: dict[str, Any]) -> None:
    client = net["client"]
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "weather?"}],
                                       tools=[WEATHER])
    assert refused.value.status_code == 400 and "tools" in refused.value.message
    plain = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], n=2)
    assert plain.choices[0].message.content
    assert net["backend"].capabilities.get(plain.choices[0].miner["hotkey"]) >= {"tools", "json_schema"}


def test_weather_tool_round_trip_with_a_tool_message(net: dict[str, Any]) -> None:
    client = net["client"]
    messages: list[Any] = [{"role": "user", "content": "weather in Austin?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER], tool_choice="auto")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert (call.id, call.type, call.function.name, json.loads(call.function.arguments)) == (
        "call_1", "function", "get_weather", {"city": "Austin"})
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"sky": "sunny"})}]
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "The weather in Austin: sunny."
    sent = net["good"].state.requests[-1]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1" and sent[2] == messages[2]


def reassemble_tool_calls(stream: Iterable[Any]) -> tuple[dict[int, dict[str, str]], list[str | None]]:
    """A streamed answer's tool calls put back together (by index: id, name, arguments), and the
    finish reasons of its chunks."""
    calls: dict[int, dict[str, str]] = {}
    reasons = []
    for chunk in stream:
        for choice in chunk.choices:
            reasons.append(choice.finish_reason)
            for piece in choice.delta.tool_calls or ():
                call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += piece.id or ""
                call["name"] += (piece.function.name or "") if piece.function else ""
                call["arguments"] += (piece.function.arguments or "") if piece.function else ""
    return calls, reasons


def test_streamed_tool_calls_reassemble(net: dict[str, Any]) -> None:
    stream = net["client"].chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "weather?"}],
                                                   tools=[WEATHER], stream=True)
    calls, reasons = reassemble_tool_calls(stream)
    assert calls == {0: {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Austin"}'}}
    assert reasons[-1] == "tool_calls"


def test_json_schema_answers_validate_and_an_invalid_miner_scores_zero(net: dict[str, Any]) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "strict": True}}
    for _ in range(3):
        answer = net["client"].chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Austin as JSON"}], response_format=fmt)
        assert json.loads(answer.choices[0].message.content) == {"city": "Austin", "population": 961855}
        assert answer.choices[0].miner["uid"] == 0
    before = net["scores"].snapshot().get(1)
    with pytest.raises(openai.APIStatusError) as refused:
        net["client"].chat.completions.create(model=MODEL + "/uid-1", messages=[{"role": "user", "content": "JSON"}],
                                         response_format=fmt)
    assert refused.value.status_code == 503 and "not JSON" in refused.value.message
    assert net["bad"].state.requests[-1]["response_format"]["json_schema"]["schema"] == SCHEMA
    deadline = time.monotonic() + 5  # a named miner is scored off the answer's path
    while net["scores"].snapshot().get(1) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    after = net["scores"].snapshot().get(1)  # a moving average: the rejected answer's 0 pulls it down
    assert after is not None and (before is None or after < before) and after < net["scores"].snapshot()[0]


def test_logprobs_come_back_in_openais_shape(net: dict[str, Any]) -> None:
    answer = net["client"].chat.completions.create(model=MODEL + "/uid-0", messages=[{"role": "user", "content": "x"}],
                                                   logprobs=True, top_logprobs=1)
    content = answer.choices[0].logprobs.content
    assert [(t.token, t.logprob, t.top_logprobs[0].token) for t in content] == [("It", -0.1, "It")]

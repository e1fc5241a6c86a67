"""``ChatBittensor``'s tools and structured output end to end: LangChain → ``bt.prompt`` (a signed
``DelegatedTextPrompting``) → the bridge's delegate axon → real axons of the OpenAI-upstream miner → fake
upstreams (FastAPI on loopback; one answers invalid JSON, whose answers are never returned).

The chain is left out: the delegate's axon is handed to ``bt.prompt`` as the only delegate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from substrateinterface import Keypair

from bt_llm import prompting
from bt_llm.axon.server import Axon
from bt_llm.bridge.auth import RateLimiter
from bt_llm.bridge.delegate_axon import attach_delegate_routes
from bt_llm.errors import PromptError
from bt_llm.langchain import ChatBittensor
from tests.integration.bridge.test_structured_e2e import upstream_network


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return json.dumps({"sky": "sunny"})


class CityInfo(BaseModel):
    """A city and its population."""

    city: str
    population: int


@pytest.fixture(scope="module")
def net() -> Iterator[dict[str, Any]]:
    with upstream_network("lc") as parts:
        backend, axons = parts["backend"], parts["axons"]
        good_app, bad_app = parts["good"], parts["bad"]
        delegate_key = Keypair.create_from_uri("//lc-delegate")
        delegate = Axon(wallet=delegate_key, ip="127.0.0.1", port=0)
        attach_delegate_routes(delegate, backend, "bittensor/subnet-1", RateLimiter(6000))
        axons.append(delegate.start())
        endpoint = prompting.DelegateEndpoint(hotkey=delegate_key.ss58_address, axon=delegate.info())
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(prompting._finder, "endpoints", lambda **_: [endpoint])
            params = {"hotkey": delegate_key.ss58_address, "wallet": Keypair.create_from_uri("//lc-client"),
                      "network": "ws://127.0.0.1:1", "timeout": 10.0}
            # the bridge sends a structured request only to miners that declared it: let both answer once
            warm = ChatBittensor(return_all=True, **params).generate([[HumanMessage("hi")]])
            assert len(warm.generations[0]) == 2
            yield {"params": params, "good": good_app, "bad": bad_app, "backend": backend}


def test_bind_tools_answers_a_tool_call_and_a_tool_message_round_trips(net: dict[str, Any]) -> None:
    chat = ChatBittensor(**net["params"]).bind_tools([get_weather])
    question = HumanMessage("weather in Austin?")
    first = chat.invoke([question])
    assert isinstance(first, AIMessage) and first.content == ""
    assert first.tool_calls == [{"name": "get_weather", "args": {"city": "Austin"}, "id": "call_1",
                                 "type": "tool_call"}]
    assert first.response_metadata["finish_reason"] == "tool_calls"
    assert first.usage_metadata and first.usage_metadata["output_tokens"] > 0
    result = get_weather.invoke(first.tool_calls[0])
    assert isinstance(result, ToolMessage) and result.tool_call_id == "call_1"
    second = chat.invoke([question, first, result])
    assert second.content == "The weather in Austin: sunny." and not second.tool_calls
    sent = next(r for r in (net["good"].state.requests[-1], net["bad"].state.requests[-1])
                if r["messages"][-1]["role"] == "tool")["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1" and sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[2] == {"role": "tool", "content": '{"sky": "sunny"}', "tool_call_id": "call_1"}


def test_streamed_tool_call_chunks_reassemble(net: dict[str, Any]) -> None:
    chunks = list(ChatBittensor(**net["params"]).bind_tools([get_weather], tool_choice="any").stream("weather?"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks) and any(c.tool_call_chunks for c in chunks)
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.tool_calls == [{"name": "get_weather", "args": {"city": "Austin"}, "id": "call_1",
                                 "type": "tool_call"}]
    assert whole.response_metadata["finish_reason"] == "tool_calls" and whole.usage_metadata


async def test_async_tool_call(net: dict[str, Any]) -> None:
    answer = await ChatBittensor(**net["params"]).bind_tools([get_weather]).ainvoke("weather?")
    assert answer.tool_calls[0]["args"] == {"city": "Austin"}


def test_with_structured_output_returns_a_parsed_instance(net: dict[str, Any]) -> None:
    structured = ChatBittensor(**net["params"]).with_structured_output(CityInfo, strict=True)
    for _ in range(3):  # the miner answering broken JSON is never the one returned
        assert structured.invoke("Austin as JSON") == CityInfo(city="Austin", population=961855)
    fmt = net["good"].state.requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "CityInfo"
    raw = ChatBittensor(**net["params"]).with_structured_output(CityInfo, include_raw=True).invoke("Austin")
    assert raw["parsed"] == CityInfo(city="Austin", population=961855) and raw["parsing_error"] is None


def test_json_mode_and_streamed_structured_output(net: dict[str, Any]) -> None:
    chat = ChatBittensor(**net["params"])
    assert chat.with_structured_output(method="json_mode").invoke("JSON") == {"city": "Austin", "population": 961855}
    parts = list(chat.with_structured_output(CityInfo).stream("Austin"))
    assert parts[-1] == CityInfo(city="Austin", population=961855)


def test_an_impossible_request_is_the_callers_error(net: dict[str, Any]) -> None:
    bad_tool = {"type": "function", "function": {"name": "x", "parameters": {"type": "nonsense"}}}
    with pytest.raises(PromptError, match=r"400.*not a valid JSON Schema"):
        ChatBittensor(**net["params"]).bind_tools([bad_tool]).invoke("x")

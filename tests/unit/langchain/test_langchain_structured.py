"""``ChatBittensor``'s tools, structured output and log-probabilities with ``bt_llm.prompting`` replaced
by a fake that answers as a delegate does (an :class:`~bt_llm.prompting.Answer` carrying tool calls):
no sockets. What reaches ``bt.prompt``, how answers become ``AIMessage``s, chunks and parsed objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from bt_llm import prompting
from bt_llm.langchain import BittensorLLM, ChatBittensor, message_fields, response_format
from bt_llm.prompting import Answer

PARAMS = {"network": "ws://127.0.0.1:1", "hotkey": "5Delegate", "netuid": 3, "timeout": 5.0}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Austin"}'}}


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


class City(BaseModel):
    """A city and its population."""

    city: str = Field(description="the city's name")
    population: int


class CityDict(TypedDict):
    city: str
    population: int


class Delegate:
    """Answers every request with ``self.answer`` and records the keyword arguments it was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: Answer = Answer("It is sunny.")

    def prompt(self, content: Any = None, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("stream"):
            return iter(["It is ", "sunny."])
        return self.answer

    async def aprompt(self, content: Any = None, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.answer


@pytest.fixture
def delegate(monkeypatch: pytest.MonkeyPatch) -> Delegate:
    fake = Delegate()
    monkeypatch.setattr(prompting, "prompt", fake.prompt)
    monkeypatch.setattr(prompting, "aprompt", fake.aprompt)
    return fake


def test_bind_tools_sends_openai_tools_and_parses_the_call(delegate: Delegate) -> None:
    delegate.answer = Answer("", tool_calls=[CALL], finish_reason="tool_calls")
    message = ChatBittensor(**PARAMS).bind_tools([get_weather], tool_choice="get_weather").invoke("weather?")
    sent = delegate.calls[-1]
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["tools"][0]["function"]["parameters"]["properties"] == {"city": {"type": "string"}}
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert isinstance(message, AIMessage) and message.content == ""
    assert message.tool_calls == [{"name": "get_weather", "args": {"city": "Austin"}, "id": "call_1",
                                   "type": "tool_call"}]
    assert message.response_metadata["finish_reason"] == "tool_calls"
    assert message.usage_metadata and message.usage_metadata["output_tokens"] > 0


@pytest.mark.parametrize(("choice", "sent"), [
    ("auto", "auto"), ("none", "none"), ("required", "required"), ("any", "required"), (True, None),
    ({"type": "function", "function": {"name": "get_weather"}}, None),
])
def test_tool_choice_forms(delegate: Delegate, choice: Any, sent: Any) -> None:
    ChatBittensor(**PARAMS).bind_tools([get_weather], tool_choice=choice, parallel_tool_calls=False).invoke("x")
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert delegate.calls[-1]["tool_choice"] == (sent or forced)
    assert delegate.calls[-1]["parallel_tool_calls"] is False


def test_tool_choice_naming_no_tool_is_refused() -> None:
    with pytest.raises(ValueError, match="names none of the tools"):
        ChatBittensor(**PARAMS).bind_tools([get_weather], tool_choice="get_time")


def test_strict_tools(delegate: Delegate) -> None:
    ChatBittensor(**PARAMS).bind_tools([City], strict=True).invoke("x")
    function = delegate.calls[-1]["tools"][0]["function"]
    assert function["strict"] is True and function["name"] == "City"


def test_unparsable_arguments_are_invalid_tool_calls(delegate: Delegate) -> None:
    bad = {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": '}}
    delegate.answer = Answer("", tool_calls=[CALL, bad], finish_reason="tool_calls")
    message = ChatBittensor(**PARAMS).bind_tools([get_weather]).invoke("x")
    assert [c["id"] for c in message.tool_calls] == ["call_1"]
    assert [(c["id"], c["name"], c["args"]) for c in message.invalid_tool_calls] == [
        ("call_2", "get_weather", '{"city": ')]


def test_tool_messages_travel_as_tool_messages_with_their_fields(delegate: Delegate) -> None:
    history = [
        HumanMessage("weather in Austin?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Austin"}, "id": "call_1"}]),
        ToolMessage(json.dumps({"sky": "sunny"}), tool_call_id="call_1"),
    ]
    answer = ChatBittensor(**PARAMS).bind_tools([get_weather]).invoke(history)
    sent = delegate.calls[-1]
    assert sent["roles"] == ["user", "assistant", "tool"]
    assert sent["messages"][2] == '{"sky": "sunny"}'
    assert sent["message_fields"] == [
        {}, {"tool_calls": [{"id": "call_1", "type": "function",
                             "function": {"name": "get_weather", "arguments": '{"city": "Austin"}'}}]},
        {"tool_call_id": "call_1"}]
    assert answer.content == "It is sunny." and answer.tool_calls == []


def test_plain_conversations_send_no_message_fields(delegate: Delegate) -> None:
    assert message_fields([HumanMessage("hi"), AIMessage("hello")]) is None
    ChatBittensor(**PARAMS).invoke("hi")
    assert "message_fields" not in delegate.calls[-1] and "tools" not in delegate.calls[-1]


def test_streamed_tool_calls_arrive_as_tool_call_chunks_that_reassemble(delegate: Delegate) -> None:
    delegate.answer = Answer("", tool_calls=[CALL], finish_reason="tool_calls")
    chunks = list(ChatBittensor(**PARAMS).bind_tools([get_weather]).stream("weather?"))
    assert "stream" not in delegate.calls[-1]  # a structured answer is asked whole (checked by the delegate)
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert any(c.tool_call_chunks for c in chunks)
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.tool_calls == [{"name": "get_weather", "args": {"city": "Austin"}, "id": "call_1",
                                 "type": "tool_call"}]
    assert whole.response_metadata["finish_reason"] == "tool_calls"
    assert whole.usage_metadata and whole.usage_metadata["total_tokens"] > 0


async def test_async_stream_and_invoke_with_tools(delegate: Delegate) -> None:
    delegate.answer = Answer("", tool_calls=[CALL], finish_reason="tool_calls")
    chat = ChatBittensor(**PARAMS).bind_tools([get_weather])
    assert (await chat.ainvoke("x")).tool_calls[0]["args"] == {"city": "Austin"}
    whole = None
    async for chunk in chat.astream("x"):
        whole = chunk if whole is None else whole + chunk
    assert whole is not None and whole.tool_calls[0]["id"] == "call_1"


def test_structured_output_json_schema_parses_a_pydantic_instance(delegate: Delegate) -> None:
    delegate.answer = Answer('{"city": "Austin", "population": 961855}')
    result = ChatBittensor(**PARAMS).with_structured_output(City, strict=True).invoke("Austin")
    assert result == City(city="Austin", population=961855)
    fmt = delegate.calls[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["strict"] is True
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"city", "population"}


def test_structured_output_typed_dict_and_json_schema_give_dicts(delegate: Delegate) -> None:
    delegate.answer = Answer('{"city": "Austin", "population": 961855}')
    chat = ChatBittensor(**PARAMS)
    assert chat.with_structured_output(CityDict).invoke("x") == {"city": "Austin", "population": 961855}
    schema = {"title": "city", "type": "object", "properties": {"city": {"type": "string"}}}
    assert chat.with_structured_output(schema).invoke("x")["city"] == "Austin"
    assert delegate.calls[-1]["response_format"]["json_schema"]["name"] == "city"


def test_structured_output_function_calling(delegate: Delegate) -> None:
    delegate.answer = Answer("", tool_calls=[{"id": "c", "type": "function", "function": {
        "name": "City", "arguments": '{"city": "Austin", "population": 1}'}}])
    chat = ChatBittensor(**PARAMS)
    assert chat.with_structured_output(City, method="function_calling").invoke("x") == City(city="Austin",
                                                                                          population=1)
    sent = delegate.calls[-1]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert sent["parallel_tool_calls"] is False
    delegate.answer = Answer("", tool_calls=[{"id": "c", "type": "function", "function": {
        "name": "CityDict", "arguments": '{"city": "Austin", "population": 1}'}}])
    assert chat.with_structured_output(CityDict, method="function_calling").invoke("x") == {
        "city": "Austin", "population": 1}


def test_structured_output_json_mode(delegate: Delegate) -> None:
    delegate.answer = Answer('{"city": "Austin", "population": 2}')
    chat = ChatBittensor(**PARAMS)
    assert chat.with_structured_output(City, method="json_mode").invoke("x").population == 2
    assert delegate.calls[-1]["response_format"] == {"type": "json_object"}
    assert chat.with_structured_output(method="json_mode").invoke("x") == {"city": "Austin", "population": 2}


def test_include_raw_reports_parsing_errors_instead_of_raising(delegate: Delegate) -> None:
    delegate.answer = Answer('{"city": "Austin"}')
    result = ChatBittensor(**PARAMS).with_structured_output(City, include_raw=True).invoke("x")
    assert isinstance(result["raw"], AIMessage) and result["parsed"] is None
    assert result["parsing_error"] is not None
    delegate.answer = Answer('{"city": "Austin", "population": 3}')
    result = ChatBittensor(**PARAMS).with_structured_output(City, include_raw=True).invoke("x")
    assert result["parsed"] == City(city="Austin", population=3) and result["parsing_error"] is None


def test_logprobs_reach_response_metadata(delegate: Delegate) -> None:
    content = [{"token": "It", "logprob": -0.1, "top_logprobs": [{"token": "It", "logprob": -0.1}]}]
    delegate.answer = Answer("It", logprobs=content)
    message = ChatBittensor(**PARAMS).bind(logprobs=True, top_logprobs=1).invoke("x")
    assert delegate.calls[-1]["logprobs"] is True and delegate.calls[-1]["top_logprobs"] == 1
    assert message.response_metadata["logprobs"] == {"content": content}


def test_response_format_helper_keeps_a_ready_format() -> None:
    ready = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    assert response_format(ready) == ready
    assert response_format({"name": "x", "schema": {"type": "object"}}, strict=True)["json_schema"]["strict"]


def test_text_llm_names_the_chat_model_for_what_it_cannot_do(delegate: Delegate) -> None:
    llm = BittensorLLM(**PARAMS)
    with pytest.raises(NotImplementedError, match=r"tool calling.*use bt_llm.ChatBittensor"):
        llm.bind_tools([get_weather])
    with pytest.raises(NotImplementedError, match=r"structured output.*use bt_llm.ChatBittensor"):
        llm.with_structured_output(City)
    with pytest.raises(NotImplementedError, match=r"does not support response_format.*ChatBittensor"):
        llm.invoke("x", response_format={"type": "json_object"})
    assert not delegate.calls


def test_a_delegates_tool_call_answer_is_an_answer_though_it_has_no_text() -> None:
    from bt_llm.protocol.delegate import DelegatedTextPrompting

    response = DelegatedTextPrompting(roles=["user"], messages=["x"], return_all=True, completion="",
                                      tool_calls=[CALL], finish_reason="tool_calls", completions=["", "sunny"],
                                      uids=[0, 1], hotkeys=["a", "b"], scores=[0.9, 0.5],
                                      all_tool_calls=[[CALL], None])
    best, other = prompting._answers(response, "d")
    assert (best, best.tool_calls, best.finish_reason, best.uid) == ("", [CALL], "tool_calls", 0)
    assert (other, other.tool_calls, other.hotkey) == ("sunny", None, "b")
    assert prompting._best(response, "d").useful

"""``BittensorLLM`` and ``ChatBittensor`` with ``bt_llm.prompting`` replaced by a fake: no sockets.

What the integration fills in LangChain's hooks: message conversion, the arguments that reach
``bt.prompt``, stop sequences cut here even when the miners ignore them, usage, return_all, callbacks.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, ChatMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import LLMResult
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from bt_llm import prompting
from bt_llm.errors import PromptError
from bt_llm.langchain import BittensorLLM, ChatBittensor, to_conversation

ANSWER = "Austin is the capital of Texas."
PIECES = ["Aus", "tin is the ca", "pital of Te", "xas."]
OTHERS = [ANSWER, "The capital city of Texas is Austin.", "purple monkey dishwasher"]


def refuse_inside_a_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise PromptError("bt.prompt was called inside a running event loop")


class FakeNetwork:
    """Stands in for bt.prompt / bt.aprompt / bt.astream_prompt and records what they were given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.closed = False

    def prompt(self, content: Any = None, **kwargs: Any) -> Any:
        refuse_inside_a_loop()  # as bt.prompt does
        self.calls.append({"content": content, **kwargs})
        if kwargs.get("stream"):
            return self._pieces()
        return list(OTHERS) if kwargs.get("return_all") else ANSWER

    def _pieces(self) -> Iterator[str]:
        try:
            for piece in PIECES:
                refuse_inside_a_loop()  # bt.prompt's stream drives a private event loop
                yield piece
        finally:
            self.closed = True

    async def aprompt(self, content: Any = None, **kwargs: Any) -> Any:
        self.calls.append({"content": content, **kwargs})
        return list(OTHERS) if kwargs.get("return_all") else ANSWER

    async def astream_prompt(self, content: Any = None, **kwargs: Any) -> AsyncIterator[str]:
        self.calls.append({"content": content, "stream": True, **kwargs})
        for piece in PIECES:
            yield piece


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    network = FakeNetwork()
    monkeypatch.setattr(prompting, "prompt", network.prompt)
    monkeypatch.setattr(prompting, "aprompt", network.aprompt)
    monkeypatch.setattr(prompting, "astream_prompt", network.astream_prompt)
    return network


PARAMS = {"network": "ws://127.0.0.1:1", "hotkey": "5Delegate", "netuid": 3, "timeout": 5.0}


# ---- message conversion ----------------------------------------------------------------------


def test_to_conversation_maps_langchain_roles() -> None:
    messages = [SystemMessage("be brief"), HumanMessage("hi", name="ann"), AIMessage("hello"),
                ChatMessage(role="critic", content="meh"),
                HumanMessage(content=[{"type": "text", "text": "a"}, {"type": "image_url", "image_url": "x"},
                                      "b"])]
    roles, texts = to_conversation(messages)
    assert roles == ["system", "user", "assistant", "critic", "user"]
    assert texts == ["be brief", "hi", "hello", "meh", "ab"]


# ---- ChatBittensor ---------------------------------------------------------------------------


def test_chat_invoke_sends_the_conversation_and_settings(fake: FakeNetwork) -> None:
    chat = ChatBittensor(temperature=0.2, max_tokens=50, seed=7, **PARAMS)
    result = chat.invoke([("system", "be brief"), ("human", "What is the capital of Texas?")])
    assert isinstance(result, AIMessage) and result.content == ANSWER
    call = fake.calls[-1]
    assert call["roles"] == ["system", "user"]
    assert call["messages"] == ["be brief", "What is the capital of Texas?"]
    assert (call["hotkey"], call["netuid"], call["network"], call["timeout"]) == ("5Delegate", 3, PARAMS["network"], 5.0)
    assert (call["temperature"], call["max_tokens"], call["seed"]) == (0.2, 50, 7)
    assert "stop" not in call
    assert result.usage_metadata == {"input_tokens": 9, "output_tokens": 7, "total_tokens": 16}
    assert result.response_metadata["model_name"] == "bittensor/subnet-3"


def test_chat_per_call_sampling_settings_override_the_fields(fake: FakeNetwork) -> None:
    chat = ChatBittensor(temperature=0.2, **PARAMS)
    chat.invoke("hi", temperature=0.9, max_tokens=3)
    assert (fake.calls[-1]["temperature"], fake.calls[-1]["max_tokens"]) == (0.9, 3)
    chat.bind(top_p=0.5).invoke("hi")
    assert fake.calls[-1]["top_p"] == 0.5 and fake.calls[-1]["temperature"] == 0.2


def test_chat_stop_is_sent_and_enforced(fake: FakeNetwork) -> None:
    chat = ChatBittensor(**PARAMS)
    assert chat.invoke("q", stop=["Texas"]).content == "Austin is the capital of "
    assert fake.calls[-1]["stop"] == ["Texas"]
    with_field = ChatBittensor(stop=["capital"], **PARAMS)
    assert with_field.stop == ["capital"]
    assert with_field.invoke("q").content == "Austin is the "
    assert ChatBittensor(stop_sequences=["x"], **PARAMS).stop == ["x"]


def test_chat_stream_cuts_at_stop_across_chunks_and_closes_the_stream(fake: FakeNetwork) -> None:
    chat = ChatBittensor(**PARAMS)
    chunks = list(chat.stream("q", stop=["Texas"]))
    text = "".join(str(c.content) for c in chunks)
    assert text == "Austin is the capital of "
    assert fake.closed, "the network stream is closed once a stop sequence is seen"
    last = chunks[-1]
    assert isinstance(last, AIMessageChunk) and last.chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.usage_metadata is not None and full.usage_metadata["output_tokens"] == 5
    assert full.response_metadata["model_name"] == "bittensor/subnet-3"


async def test_chat_astream_and_ainvoke(fake: FakeNetwork) -> None:
    chat = ChatBittensor(**PARAMS)
    chunks = [c async for c in chat.astream("q")]
    assert "".join(str(c.content) for c in chunks) == ANSWER
    assert len(chunks) == len(PIECES) + 1 and chunks[-1].chunk_position == "last"
    cut = [c async for c in chat.astream("q", stop=["pital"])]
    assert "".join(str(c.content) for c in cut) == "Austin is the ca"
    assert (await chat.ainvoke("q", stop=["is"])).content == "Austin "


def test_chat_return_all_gives_several_generations(fake: FakeNetwork) -> None:
    chat = ChatBittensor(return_all=True, **PARAMS)
    result = chat.generate([[HumanMessage("q")]], stop=["Texas"])
    assert [g.text for g in result.generations[0]] == [
        "Austin is the capital of ", "The capital city of ", "purple monkey dishwasher"]
    assert chat.invoke("q").content == ANSWER


def test_chat_ls_params() -> None:
    chat = ChatBittensor(temperature=0.5, max_tokens=9, stop=["x"], **PARAMS)
    params = chat._get_ls_params()
    assert params == {"ls_provider": "bittensor", "ls_model_name": "bittensor/subnet-3", "ls_model_type": "chat",
                      "ls_temperature": 0.5, "ls_max_tokens": 9, "ls_stop": ["x"]}


def test_chat_errors_reach_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: Any, **kwargs: Any) -> str:
        raise PromptError("every delegate failed: 5Delegate: 503 no miner answered")

    monkeypatch.setattr(prompting, "prompt", failing)
    with pytest.raises(PromptError, match="every delegate failed"):
        ChatBittensor(**PARAMS).invoke("q")


def test_chat_chain(fake: FakeNetwork) -> None:
    template = ChatPromptTemplate.from_messages([("system", "Answer in one sentence."), ("human", "{question}")])
    chain = template | ChatBittensor(**PARAMS) | StrOutputParser()
    assert chain.invoke({"question": "What is the capital of Texas?"}) == ANSWER
    assert fake.calls[-1]["messages"] == ["Answer in one sentence.", "What is the capital of Texas?"]


# ---- BittensorLLM ----------------------------------------------------------------------------


def test_llm_seed_call_invoke_and_settings(fake: FakeNetwork) -> None:
    llm = BittensorLLM(temperature=0.1, **PARAMS)
    assert llm("prompt me") == ANSWER
    assert fake.calls[-1]["content"] == "prompt me"
    assert llm.invoke("x", stop=["capital"]) == "Austin is the "
    call = fake.calls[-1]
    assert (call["stop"], call["temperature"], call["hotkey"], call["netuid"]) == (["capital"], 0.1, "5Delegate", 3)
    llm.invoke("x", max_tokens=4)
    assert fake.calls[-1]["max_tokens"] == 4


async def test_llm_async_and_streams(fake: FakeNetwork) -> None:
    llm = BittensorLLM(**PARAMS)
    assert await llm.ainvoke("x") == ANSWER
    assert [c async for c in llm.astream("x")] == PIECES
    assert "".join([c async for c in llm.astream("x", stop=["of"])]) == "Austin is the capital "


def test_llm_sync_stream_and_batch(fake: FakeNetwork) -> None:
    llm = BittensorLLM(**PARAMS)
    assert list(llm.stream("x")) == PIECES
    assert "".join(llm.stream("x", stop=["Tex"])) == "Austin is the capital of "
    assert llm.batch(["a", "b"]) == [ANSWER, ANSWER]


def test_llm_return_all(fake: FakeNetwork) -> None:
    llm = BittensorLLM(return_all=True, **PARAMS)
    result = llm.generate(["a", "b"])
    assert [[g.text for g in gens] for gens in result.generations] == [OTHERS, OTHERS]
    assert llm.invoke("a") == ANSWER


async def test_llm_return_all_async(fake: FakeNetwork) -> None:
    llm = BittensorLLM(return_all=True, **PARAMS)
    result = await llm.agenerate(["a"], stop=["Texas"])
    assert [g.text for g in result.generations[0]] == [
        "Austin is the capital of ", "The capital city of ", "purple monkey dishwasher"]
    assert fake.calls[-1]["return_all"] is True


async def test_sync_calls_work_inside_a_running_loop(fake: FakeNetwork) -> None:
    # A notebook runs cells inside an event loop: llm("prompt me") must still work there.
    llm = BittensorLLM(**PARAMS)
    assert llm("prompt me") == ANSWER
    assert "".join(llm.stream("x", stop=["Tex"])) == "Austin is the capital of "
    assert fake.closed
    chat = ChatBittensor(**PARAMS)
    assert chat.invoke("q").content == ANSWER
    assert "".join(str(c.content) for c in chat.stream("q")) == ANSWER
    assert BittensorLLM(return_all=True, **PARAMS).generate(["a"]).generations[0][1].text == OTHERS[1]


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ends: list[LLMResult] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.ends.append(response)


def test_llm_and_chat_callbacks(fake: FakeNetwork) -> None:
    handler = Recorder()
    assert "".join(BittensorLLM(**PARAMS).stream("x", config={"callbacks": [handler]})) == ANSWER
    assert handler.tokens == PIECES and handler.ends[0].generations[0][0].text == ANSWER
    handler = Recorder()
    "".join(str(c.content) for c in ChatBittensor(**PARAMS).stream("x", config={"callbacks": [handler]}))
    assert handler.tokens[: len(PIECES)] == PIECES and handler.ends[0].generations[0][0].text == ANSWER


def test_llm_chain(fake: FakeNetwork) -> None:
    chain = PromptTemplate.from_template("Q: {question}\nA:") | BittensorLLM(**PARAMS) | StrOutputParser()
    assert chain.invoke({"question": "capital of Texas?"}) == ANSWER
    assert fake.calls[-1]["content"] == "Q: capital of Texas?\nA:"


def test_the_library_does_not_import_the_bridge_or_a_web_server() -> None:
    code = ("import sys, bt_llm as bt; bt.ChatBittensor; bt.BittensorLLM; import bt_llm.langchain; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bridge', 'fastapi', 'uvicorn', 'langchain')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"

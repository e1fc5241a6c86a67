"""LangChain integrations: ``BittensorLLM`` (a text LLM, the seed's ``bt.BittensorLLM``) and ``ChatBittensor``.

Both only fill LangChain's hooks and call :mod:`bt_llm.prompting` (``bt.prompt``/``bt.aprompt``):
sync, async, streaming, batching and callbacks come from langchain-core. Stop sequences are sent to
the miners and enforced here as well.

Example (with a running localnet and bridge)::

    import bt_llm as bt
    llm = bt.BittensorLLM()
    llm("prompt me")                       # the seed's call style
    llm.invoke("Heraclitus was a ")
    chat = bt.ChatBittensor(netuid=1)
    chat.invoke([("system", "be brief"), ("human", "What is the capital of Texas?")])
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.language_models.llms import LLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import (
    ChatGeneration,
    ChatGenerationChunk,
    ChatResult,
    Generation,
    GenerationChunk,
    LLMResult,
)
from pydantic import ConfigDict, Field

from bt_llm import prompting
from bt_llm.stops import StopCutter, cut_at_stop
from bt_llm.tokens import count_tokens

_ROLE_OF = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool", "function": "tool",
            "chat": "user", "developer": "system"}


def _cut(text: str, stop: Sequence[str] | None) -> str:
    return cut_at_stop(text, stop)[0]


def _message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content
                   if isinstance(part, str) or part.get("type") == "text")


def to_conversation(messages: Sequence[BaseMessage]) -> tuple[list[str], list[str]]:
    """LangChain messages as the miners' ``(roles, messages)``."""
    roles = [getattr(m, "role", None) if m.type == "chat" else _ROLE_OF.get(m.type, "user") for m in messages]
    return [r or "user" for r in roles], [_message_text(m) for m in messages]


_SAMPLING = ("max_tokens", "temperature", "top_p", "seed")


def _request(model: Any, stop: Sequence[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``bt.prompt``'s keyword arguments: the model's fields, overridden by per-call sampling settings."""
    sampling = {k: getattr(model, k) for k in _SAMPLING if getattr(model, k) is not None}
    sampling.update({k: kwargs[k] for k in _SAMPLING if kwargs.get(k) is not None})
    if stop:
        sampling["stop"] = list(stop)
    return dict(hotkey=model.hotkey, netuid=model.netuid, timeout=model.timeout, wallet=model.wallet,
                network=model.network, **sampling)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _prompt(*args: Any, **kwargs: Any) -> Any:
    """``bt.prompt`` for LangChain's sync methods, which may be called inside a running event loop.

    In a notebook (or any coroutine) ``llm.invoke(...)`` runs inside the caller's loop, where
    ``bt.prompt`` refuses to start one of its own; there the call runs on a worker thread instead.
    A stream is driven on that thread too, one chunk at a time.
    """
    if not _loop_running():
        return prompting.prompt(*args, **kwargs)
    if kwargs.get("stream"):
        return _stream_on_worker(lambda: prompting.prompt(*args, **kwargs))
    with ThreadPoolExecutor(1, thread_name_prefix="bt-llm-prompt") as pool:
        return pool.submit(prompting.prompt, *args, **kwargs).result()


def _stream_on_worker(start: Callable[[], Iterator[str]]) -> Iterator[str]:
    done = object()
    with ThreadPoolExecutor(1, thread_name_prefix="bt-llm-stream") as pool:
        pieces = pool.submit(start).result()
        try:
            while (piece := pool.submit(next, pieces, done).result()) is not done:
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                pool.submit(close).result()


async def _acut(pieces: AsyncIterator[str], stop: Sequence[str] | None) -> AsyncIterator[str]:
    """An async stream of text cut at the first stop sequence; closes ``pieces`` when done."""
    cutter = StopCutter(stop)
    try:
        async for piece in pieces:
            text = cutter.feed(piece)
            if text:
                yield text
            if cutter.stopped:
                return
        tail = cutter.flush()
        if tail:
            yield tail
    finally:
        aclose = getattr(pieces, "aclose", None)
        if aclose is not None:
            await aclose()


def _usage(prompt_texts: Sequence[str], output: str) -> UsageMetadata:
    input_tokens = sum(count_tokens(t) for t in prompt_texts)
    output_tokens = count_tokens(output)
    return UsageMetadata(input_tokens=input_tokens, output_tokens=output_tokens,
                         total_tokens=input_tokens + output_tokens)


class BittensorLLM(LLM):
    """A LangChain text LLM answered by the Bittensor network through a delegate (``bt.prompt``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hotkey: str | None = None
    """The delegate's hotkey; default: ``BT_PROMPT_HOTKEY``, else the delegates by stake."""
    netuid: int = 1
    return_all: bool = False
    """Return every miner's answer as separate generations (best first)."""
    timeout: float = prompting.DEFAULT_TIMEOUT
    network: str | None = None
    wallet: Any = Field(default=None, exclude=True)
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None

    @property
    def _llm_type(self) -> str:
        return "bittensor"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"hotkey": self.hotkey, "netuid": self.netuid, "network": self.network, "return_all": self.return_all}

    def __call__(self, prompt: str, stop: list[str] | None = None, **kwargs: Any) -> str:
        """The seed's ``llm("prompt me")``."""
        return self.invoke(prompt, stop=stop, **kwargs)

    def _generate(self, prompts: list[str], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> LLMResult:
        if not self.return_all:
            return super()._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        generations = []
        for text in prompts:
            answers = _prompt(text, return_all=True, **_request(self, stop, kwargs))
            generations.append([Generation(text=_cut(a, stop)) for a in answers])  # type: ignore[union-attr]
        return LLMResult(generations=generations)

    async def _agenerate(self, prompts: list[str], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> LLMResult:
        if not self.return_all:
            return await super()._agenerate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        generations = []
        for text in prompts:
            answers = await prompting.aprompt(text, return_all=True, **_request(self, stop, kwargs))
            generations.append([Generation(text=_cut(a, stop)) for a in answers])
        return LLMResult(generations=generations)

    def _call(self, prompt: str, stop: list[str] | None = None,
              run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> str:
        return _cut(_prompt(prompt, **_request(self, stop, kwargs)), stop)  # type: ignore[arg-type]

    async def _acall(self, prompt: str, stop: list[str] | None = None,
                     run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> str:
        return _cut(await prompting.aprompt(prompt, **_request(self, stop, kwargs)), stop)  # type: ignore[arg-type]

    def _stream(self, prompt: str, stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[GenerationChunk]:
        pieces = _prompt(prompt, stream=True, **_request(self, stop, kwargs))
        for text in StopCutter(stop).feed_all(pieces):  # type: ignore[arg-type]
            chunk = GenerationChunk(text=text)
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk

    async def _astream(self, prompt: str, stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[GenerationChunk]:
        async for text in _acut(prompting.astream_prompt(prompt, **_request(self, stop, kwargs)), stop):
            chunk = GenerationChunk(text=text)
            if run_manager:
                await run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk


class ChatBittensor(BaseChatModel):
    """A LangChain chat model answered by the Bittensor network through a delegate."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    hotkey: str | None = None
    netuid: int = 1
    return_all: bool = False
    """Return every miner's answer as separate generations (best first)."""
    timeout: float = prompting.DEFAULT_TIMEOUT
    network: str | None = None
    wallet: Any = Field(default=None, exclude=True)
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")

    @property
    def _llm_type(self) -> str:
        return "bittensor-chat"

    @property
    def model_name(self) -> str:
        return f"bittensor/subnet-{self.netuid}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"hotkey": self.hotkey, "netuid": self.netuid, "network": self.network, "return_all": self.return_all}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model_name = kwargs.get("model") or self.model_name
        params = LangSmithParams(ls_provider="bittensor", ls_model_name=model_name, ls_model_type="chat")
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _result(self, messages: list[BaseMessage], answers: list[str], stop: list[str] | None) -> ChatResult:
        _, texts = to_conversation(messages)
        generations = []
        for answer in answers:
            text = _cut(answer, stop or self.stop)
            message = AIMessage(content=text, usage_metadata=_usage(texts, text),
                                response_metadata={"model_name": self.model_name, "finish_reason": "stop"})
            generations.append(ChatGeneration(message=message))
        return ChatResult(generations=generations, llm_output={"model_name": self.model_name})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        roles, texts = to_conversation(messages)
        answer = _prompt(roles=roles, messages=texts, return_all=self.return_all,
                         **_request(self, stop or self.stop, kwargs))
        return self._result(messages, answer if isinstance(answer, list) else [answer], stop)  # type: ignore[arg-type]

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        roles, texts = to_conversation(messages)
        answer = await prompting.aprompt(roles=roles, messages=texts, return_all=self.return_all,
                                         **_request(self, stop or self.stop, kwargs))
        return self._result(messages, answer if isinstance(answer, list) else [answer], stop)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        roles, texts = to_conversation(messages)
        stops = stop or self.stop
        pieces = _prompt(roles=roles, messages=texts, stream=True, **_request(self, stops, kwargs))
        produced: list[str] = []
        for text in StopCutter(stops).feed_all(pieces):  # type: ignore[arg-type]
            produced.append(text)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
        yield self._final_chunk(texts, "".join(produced))

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        roles, texts = to_conversation(messages)
        stops = stop or self.stop
        pieces = prompting.astream_prompt(roles=roles, messages=texts, **_request(self, stops, kwargs))
        produced: list[str] = []
        async for text in _acut(pieces, stops):
            produced.append(text)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                await run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
        yield self._final_chunk(texts, "".join(produced))

    def _final_chunk(self, prompt_texts: list[str], output: str) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=AIMessageChunk(
            content="", usage_metadata=_usage(prompt_texts, output), chunk_position="last",
            response_metadata={"model_name": self.model_name, "finish_reason": "stop"}))

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
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.language_models.base import LanguageModelInput
from langchain_core.language_models.llms import LLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
    make_invalid_tool_call,
    parse_tool_call,
)
from langchain_core.outputs import (
    ChatGeneration,
    ChatGenerationChunk,
    ChatResult,
    Generation,
    GenerationChunk,
    LLMResult,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import (
    convert_to_json_schema,
    convert_to_openai_function,
    convert_to_openai_tool,
)
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field

from bt_llm import prompting
from bt_llm.errors import UnsupportedFeatureError
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


def _openai_tool_call(call: Any) -> dict[str, Any]:
    """A LangChain tool call as OpenAI's ``{'id', 'type': 'function', 'function': {'name', 'arguments'}}``."""
    return {"id": call["id"] or "", "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)}}


def message_fields(messages: Sequence[BaseMessage]) -> list[dict[str, Any]] | None:
    """Each message's OpenAI fields beyond role and content (the synapses' ``message_fields``): an AI
    message's ``tool_calls``, a tool message's ``tool_call_id``, another's ``name``; None when no message has any."""
    fields: list[dict[str, Any]] = []
    for message in messages:
        extra: dict[str, Any] = {}
        if isinstance(message, AIMessage):
            calls = [_openai_tool_call(c) for c in message.tool_calls]
            calls += [{"id": c.get("id") or "", "type": "function",
                       "function": {"name": c.get("name") or "", "arguments": c.get("args") or ""}}
                      for c in message.invalid_tool_calls]
            if calls:
                extra["tool_calls"] = calls
        if isinstance(message, ToolMessage):
            extra["tool_call_id"] = message.tool_call_id  # OpenAI's tool messages have no name
        elif message.name:
            extra["name"] = message.name
        fields.append(extra)
    return fields if any(fields) else None


_SAMPLING = ("max_tokens", "temperature", "top_p", "seed")
STRUCTURED = ("tools", "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs")
"""Per-call (bound) keyword arguments of ``ChatBittensor`` sent to the network as they are."""


def _request(model: Any, stop: Sequence[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``bt.prompt``'s keyword arguments: the model's fields, overridden by per-call sampling settings
    (and a chat model's structured-output settings: tools, response_format, logprobs)."""
    sampling = {k: getattr(model, k) for k in _SAMPLING if getattr(model, k) is not None}
    sampling.update({k: kwargs[k] for k in _SAMPLING if kwargs.get(k) is not None})
    if stop:
        sampling["stop"] = list(stop)
    structured = {k: kwargs[k] for k in STRUCTURED if kwargs.get(k) is not None}
    if structured.get("response_format", {}).get("type") == "text":
        del structured["response_format"]
    if structured and not isinstance(model, BaseChatModel):
        _text_only(", ".join(sorted(structured)))
    if not structured.get("tools"):
        for key in ("tool_choice", "parallel_tool_calls"):
            structured.pop(key, None)
    return dict(hotkey=model.hotkey, netuid=model.netuid, timeout=model.timeout, wallet=model.wallet,
                wallet_name=model.wallet_name, subtensor_=model.subtensor_, axon_=model.axon_,
                network=model.network, **sampling, **structured)


def _text_only(feature: str) -> Any:
    raise UnsupportedFeatureError(
        f"BittensorLLM is a text-only LLM and does not support {feature}: use bt_llm.ChatBittensor, whose "
        "bind_tools(), with_structured_output() and logprobs=True send them to the network")


def _structured(request: dict[str, Any]) -> bool:
    """The answer must come whole (and checked) from the delegate: tools, a JSON format, log-probabilities."""
    return bool(request.get("tools") or request.get("response_format") or request.get("logprobs"))


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
            if isinstance(pieces, Generator):
                pool.submit(pieces.close).result()


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
        if isinstance(pieces, AsyncGenerator):
            await pieces.aclose()


def _usage(prompt_texts: Sequence[str], output: str) -> UsageMetadata:
    input_tokens = sum(count_tokens(t) for t in prompt_texts)
    output_tokens = count_tokens(output)
    return UsageMetadata(input_tokens=input_tokens, output_tokens=output_tokens,
                         total_tokens=input_tokens + output_tokens)


def _calls_of(answer: prompting.Answer | str) -> list[dict[str, Any]]:
    """The answer's tool calls (none for a plain str)."""
    return (answer.tool_calls or []) if isinstance(answer, prompting.Answer) else []


class _Delegated(BaseModel):
    """The fields both LangChain classes share: which delegate, which wallet, the sampling defaults.
    ``wallet``, ``subtensor_`` and ``axon_`` stay ``Any``: pydantic would check a Protocol with
    ``isinstance``, which reads a wallet's key files (bt_llm.seams)."""

    hotkey: str | None = None
    """The delegate's hotkey; default: ``BT_PROMPT_HOTKEY``, else the delegates by stake."""
    netuid: int = 1
    return_all: bool = False
    """Return every miner's answer as separate generations (best first)."""
    timeout: float = prompting.DEFAULT_TIMEOUT
    network: str | None = None
    wallet: Any = Field(default=None, exclude=True)
    wallet_name: str | None = None
    """The wallet that signs requests, by name (5.x's ``wallet_name``; default ``default``)."""
    subtensor_: Any = Field(default=None, exclude=True)
    """A ``Subtensor`` to find delegates through (5.x's ``subtensor_``)."""
    axon_: Any = Field(default=None, exclude=True)
    """An ``AxonInfo`` to ask directly (5.x's ``axon_``)."""
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None


class BittensorLLM(LLM, _Delegated):
    """A LangChain text LLM answered by the Bittensor network through a delegate (``bt.prompt``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")  # a misspelt field is an error


    @property
    def _llm_type(self) -> str:
        return "bittensor"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"hotkey": self.hotkey, "netuid": self.netuid, "network": self.network, "return_all": self.return_all,
                "wallet_name": self.wallet_name}

    def __call__(self, prompt: str, stop: list[str] | None = None, **kwargs: Any) -> str:
        """The seed's ``llm("prompt me")``."""
        return self.invoke(prompt, stop=stop, **kwargs)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        """Not for a text LLM: raises, naming :class:`ChatBittensor` (whose ``bind_tools`` does it)."""
        return _text_only("tool calling (bind_tools)")

    def with_structured_output(self, schema: Any = None, **kwargs: Any) -> Any:
        """Not for a text LLM: raises, naming :class:`ChatBittensor` (whose ``with_structured_output`` does it)."""
        return _text_only("structured output (with_structured_output)")

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


class ChatBittensor(BaseChatModel, _Delegated):
    """A LangChain chat model answered by the Bittensor network through a delegate."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)  # LangChain's common
    # parameters (api_key, max_retries...) are accepted and ignored, as its standard tests expect

    stop: list[str] | None = Field(default=None, alias="stop_sequences")

    @property
    def _llm_type(self) -> str:
        return "bittensor-chat"

    @property
    def model_name(self) -> str:
        return f"bittensor/subnet-{self.netuid}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"hotkey": self.hotkey, "netuid": self.netuid, "network": self.network, "return_all": self.return_all,
                "wallet_name": self.wallet_name}

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

    def bind_tools(self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], *,
                   tool_choice: dict[str, Any] | str | bool | None = None, parallel_tool_calls: bool | None = None,
                   strict: bool | None = None, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` to the network's models, as ``ChatOpenAI.bind_tools`` does.

        Args:
            tools: pydantic classes, functions, LangChain tools or OpenAI tool dicts
                (converted with ``convert_to_openai_tool``).
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` (or ``"any"``, or True), a tool's name,
                or OpenAI's ``{"type": "function", "function": {"name": ...}}``.
            parallel_tool_calls: False asks for one tool call at most.
            strict: ask for arguments that fit each tool's schema exactly (OpenAI's ``strict``).

        Answers are ``AIMessage``s with ``tool_calls`` (arguments parsed) and ``invalid_tool_calls``
        (arguments that do not parse); only miners that declared ``tools`` are asked, and the delegate
        checks every call against the offered tools before it is returned.
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        names = [tool["function"]["name"] for tool in formatted]
        if tool_choice is not None and tool_choice is not False:
            if isinstance(tool_choice, bool):
                if len(names) != 1:
                    raise ValueError("tool_choice=True forces a call to the only tool: give exactly one tool, "
                                     f"or name one ({names})")
                tool_choice = names[0]
            if isinstance(tool_choice, str):
                if tool_choice == "any":
                    tool_choice = "required"
                if tool_choice not in ("auto", "none", "required"):
                    if tool_choice not in names:
                        raise ValueError(f"tool_choice {tool_choice!r} names none of the tools {names}")
                    tool_choice = {"type": "function", "function": {"name": tool_choice}}
            elif not isinstance(tool_choice, dict):
                raise ValueError(f"tool_choice must be a string, a dict or a bool, not {type(tool_choice).__name__}")
            kwargs["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type | None = None, *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False, strict: bool | None = None, **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers parsed into ``schema``, as ``ChatOpenAI.with_structured_output`` does.

        Args:
            schema: a pydantic class (answers are instances of it), a TypedDict or a JSON schema
                (answers are dicts); ``method="json_mode"`` may leave it out (any JSON object).
            method: ``"json_schema"`` (``response_format`` with the schema: miners that declared
                ``json_schema``), ``"function_calling"`` (a forced call to a tool with the schema's
                parameters) or ``"json_mode"`` (``response_format={"type": "json_object"}``; say in
                the prompt what the JSON should hold).
            include_raw: answer ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}`` instead,
                with no exception when parsing fails.
            strict: ask for output that fits the schema exactly (OpenAI's ``strict``).
        """
        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        if method != "json_mode" and schema is None:
            raise ValueError(f"method={method!r} needs a schema")
        output_format = {"kwargs": {"method": method, "strict": strict},
                         "schema": convert_to_json_schema(schema) if schema is not None else None}
        parser: Runnable[Any, Any]
        if method == "function_calling":
            tool_name = convert_to_openai_tool(schema)["function"]["name"]  # type: ignore[arg-type]
            llm = self.bind_tools([schema], tool_choice=tool_name, parallel_tool_calls=False,  # type: ignore[list-item]
                                  strict=strict, ls_structured_output_format=output_format)
            parser = (PydanticToolsParser(tools=[schema], first_tool_only=True) if is_pydantic  # type: ignore[list-item]
                      else JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True))
        elif method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"}, ls_structured_output_format=output_format)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        elif method == "json_schema":
            llm = self.bind(response_format=response_format(schema, strict=strict),  # type: ignore[arg-type]
                            ls_structured_output_format=output_format)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"method must be 'json_schema', 'function_calling' or 'json_mode', not {method!r}")
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")

    def _ask(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
             ) -> tuple[list[str], list[str], dict[str, Any]]:
        roles, texts = to_conversation(messages)
        request = _request(self, stop or self.stop, kwargs)
        fields = message_fields(messages)
        if fields is not None:
            request["message_fields"] = fields
        return roles, texts, request

    def _message(self, prompt_texts: list[str], answer: prompting.Answer | str, stop: list[str] | None) -> AIMessage:
        full = answer if isinstance(answer, prompting.Answer) else None  # a plain str: its text only
        calls = _calls_of(answer)
        text = str(answer) if calls else _cut(answer, stop or self.stop)
        reason = (full.finish_reason if full else None) or ("tool_calls" if calls else "stop")
        metadata: dict[str, Any] = {"model_name": self.model_name, "finish_reason": reason}
        if full is not None and full.logprobs is not None:
            metadata["logprobs"] = {"content": full.logprobs}
        parsed, invalid = [], []
        for call in calls:
            try:
                parsed.append(parse_tool_call(call, return_id=True))
            except Exception as exc:  # what does not parse is an invalid tool call, as in ChatOpenAI
                invalid.append(make_invalid_tool_call(call, str(exc)))
        usage = _usage(prompt_texts, text + "".join(json.dumps(c) for c in calls) if calls else text)
        return AIMessage(content=text, tool_calls=parsed, invalid_tool_calls=invalid, usage_metadata=usage,
                         response_metadata=metadata)

    def _result(self, messages: list[BaseMessage], answers: list[str], stop: list[str] | None) -> ChatResult:
        _, texts = to_conversation(messages)
        generations = [ChatGeneration(message=self._message(texts, answer, stop)) for answer in answers]
        return ChatResult(generations=generations, llm_output={"model_name": self.model_name})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        roles, texts, request = self._ask(messages, stop, kwargs)
        answer = _prompt(roles=roles, messages=texts, return_all=self.return_all, **request)
        return self._result(messages, answer if isinstance(answer, list) else [answer], stop)  # type: ignore[arg-type]

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        roles, texts, request = self._ask(messages, stop, kwargs)
        answer = await prompting.aprompt(roles=roles, messages=texts, return_all=self.return_all, **request)
        return self._result(messages, answer if isinstance(answer, list) else [answer], stop)

    def _replay(self, prompt_texts: list[str], answer: prompting.Answer | str, stop: list[str] | None,
                ) -> Iterator[ChatGenerationChunk]:
        """A whole (checked) answer as chunks, as OpenAI streams one: its text, each tool call (id and
        name, then arguments, under its index), and a last chunk with the usage and finish reason."""
        message = self._message(prompt_texts, answer, stop)
        if message.content:
            yield ChatGenerationChunk(message=AIMessageChunk(content=message.content))
        for index, call in enumerate(_calls_of(answer)):
            function = call.get("function") or {}
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[
                tool_call_chunk(name=function.get("name"), args="", id=call.get("id"), index=index)]))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[
                tool_call_chunk(args=function.get("arguments") or "", index=index)]))
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", usage_metadata=message.usage_metadata, chunk_position="last",
            response_metadata=message.response_metadata))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        roles, texts, request = self._ask(messages, stop, kwargs)
        if _structured(request):  # checked whole by the delegate before it is returned: asked whole, replayed
            answer = _prompt(roles=roles, messages=texts, **request)
            for chunk in self._replay(texts, answer, stop):  # type: ignore[arg-type]
                if run_manager and isinstance(chunk.message.content, str):
                    run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
                yield chunk
            return
        stops = stop or self.stop
        pieces = _prompt(roles=roles, messages=texts, stream=True, **request)
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
        roles, texts, request = self._ask(messages, stop, kwargs)
        if _structured(request):
            answer = await prompting.aprompt(roles=roles, messages=texts, **request)
            for chunk in self._replay(texts, answer, stop):  # type: ignore[arg-type]
                if run_manager and isinstance(chunk.message.content, str):
                    await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
                yield chunk
            return
        stops = stop or self.stop
        pieces = prompting.astream_prompt(roles=roles, messages=texts, **request)
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


def response_format(schema: dict[str, Any] | type, *, strict: bool | None = None) -> dict[str, Any]:
    """OpenAI's ``{"type": "json_schema", "json_schema": {...}}`` for a pydantic class, a TypedDict or a
    JSON schema (a ``response_format`` dict, or ``{"name", "schema"}``, is taken as it is)."""
    if isinstance(schema, dict) and schema.get("type") == "json_schema" and "json_schema" in schema:
        return dict(schema)
    if isinstance(schema, dict) and {"name", "schema"} <= set(schema):
        spec = dict(schema)
    else:
        function = convert_to_openai_function(schema, strict=strict)
        spec = {"name": function["name"], "schema": function["parameters"]}
        if function.get("description"):
            spec["description"] = function["description"]
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}

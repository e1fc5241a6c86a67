"""The OpenAI API's logic, free of any web framework: requests in, response models or SSE lines out."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bt_llm.bridge.backend import (
    DEFAULT_TEMPERATURE,
    Backend,
    MinerAnswer,
    PromptSpec,
    StreamEnd,
    StreamStart,
    StreamText,
)
from bt_llm.bridge.errors import InvalidRequest, scrub_addresses
from bt_llm.bridge.openai.protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChoiceLogprobs,
    ChunkChoice,
    ChunkDelta,
    Completion,
    CompletionChoice,
    CompletionLogprobs,
    CompletionRequest,
    EmbeddingItem,
    EmbeddingList,
    EmbeddingRequest,
    EmbeddingUsage,
    MinerInfo,
    Model,
    ModelList,
    SamplingFields,
    TokenLogprob,
    ToolCall,
    ToolCallChunk,
    TopLogprob,
    Usage,
    new_id,
)
from bt_llm.bridge.structured import check_request
from bt_llm.stops import StopCutter, cut_at_stop
from bt_llm.tokens import count_tokens, truncate_tokens

T = TypeVar("T")
R = TypeVar("R")
MIN_TOP_P = 1e-9  # keeps the most likely token alone: what top_p=0 means
PROMPTS_AT_ONCE = 8
"""A ``/v1/completions`` request's prompts asked at once (vLLM takes them all as one batch; the
miners here are shared by every caller, so one request takes 8 seats of the fan-out at most)."""


def prompt_spec(roles: Sequence[str], messages: Sequence[str], request: SamplingFields | Any,
                **structured: Any) -> PromptSpec:
    """The one conversion of a request (HTTP body or a signed client's synapse) into what miners get;
    ``structured`` holds :class:`PromptSpec`'s structured-output fields (``tools``, ``response_format``, ...)."""
    limit = request.token_limit() if hasattr(request, "token_limit") else request.max_tokens
    stop = request.stop_list() if hasattr(request, "stop_list") else list(request.stop or ())
    top_p = request.top_p
    if top_p is not None and top_p <= 0:  # OpenAI takes 0 (the top token only); a miner's nucleus is (0, 1]
        top_p = MIN_TOP_P
    temperature = DEFAULT_TEMPERATURE if request.temperature is None else request.temperature
    spec = PromptSpec(roles=tuple(roles), messages=tuple(messages), max_tokens=limit,
                      temperature=temperature, top_p=top_p, stop=tuple(stop), seed=request.seed, **structured)
    problem = check_request(spec)
    if problem is not None:
        raise InvalidRequest(f"Invalid '{problem[0]}': {problem[1]}", param=problem[0])
    return spec


def _message_fields(message: Any) -> dict[str, Any]:
    """A message's OpenAI fields beyond role and content, as miners get them (``message_fields``)."""
    out: dict[str, Any] = {}
    if message.tool_calls:
        out["tool_calls"] = [call.model_dump() for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        out["name"] = message.name
    return out


def chat_prompt(request: ChatCompletionRequest) -> PromptSpec:
    """Tool messages keep role ``tool`` and their text; an assistant's tool calls and a tool message's
    ``tool_call_id`` travel in ``message_fields``, which miners merge back into the message."""
    roles = ["system" if m.role == "developer" else m.role for m in request.messages]
    extras = [_message_fields(m) for m in request.messages]
    fmt = request.response_format
    return prompt_spec(
        roles, [m.text() for m in request.messages], request,
        message_fields=tuple(extras) if any(extras) else None,
        response_format=fmt.model_dump(by_alias=True, exclude_none=True) if fmt and fmt.type != "text" else None,
        tools=tuple(t.model_dump(exclude_none=True) for t in request.tools) if request.tools else None,
        tool_choice=(request.tool_choice.model_dump() if request.tool_choice is not None
                     and not isinstance(request.tool_choice, str) else request.tool_choice),
        parallel_tool_calls=request.parallel_tool_calls, logprobs=bool(request.logprobs),
        top_logprobs=request.top_logprobs,
    )


def completion_prompt(request: CompletionRequest, prompt: str) -> PromptSpec:
    wanted = request.logprobs is not None
    return prompt_spec(["user"], [prompt], request, logprobs=wanted, top_logprobs=request.logprobs if wanted else None)


def _top(item: Any, limit: int | None) -> list[TopLogprob]:
    tops = list(item.get("top_logprobs") or ())[: limit or 0]
    return [TopLogprob(token=t["token"], logprob=float(t["logprob"]), bytes=list(t["token"].encode())) for t in tops]


def chat_logprobs(answer: MinerAnswer, prompt: PromptSpec) -> ChoiceLogprobs | None:
    """The answer's log-probabilities in OpenAI's chat shape, when asked for and sent."""
    if not prompt.logprobs or answer.logprobs is None:
        return None
    return ChoiceLogprobs(content=[
        TokenLogprob(token=i["token"], logprob=float(i["logprob"]), bytes=list(i["token"].encode()),
                     top_logprobs=_top(i, prompt.top_logprobs)) for i in answer.logprobs])


def completion_logprobs(answer: MinerAnswer, prompt: PromptSpec, offset: int = 0) -> CompletionLogprobs | None:
    """The answer's log-probabilities in the legacy completions shape, when asked for and sent."""
    if not prompt.logprobs or answer.logprobs is None:
        return None
    tokens = [i["token"] for i in answer.logprobs]
    offsets, at = [], offset
    for token in tokens:
        offsets.append(at)
        at += len(token)
    return CompletionLogprobs(
        tokens=tokens, token_logprobs=[float(i["logprob"]) for i in answer.logprobs],
        top_logprobs=[{t.token: t.logprob for t in _top(i, prompt.top_logprobs)} for i in answer.logprobs],
        text_offset=offsets)


def tool_calls(answer: MinerAnswer) -> list[ToolCall] | None:
    """The answer's tool calls in OpenAI's shape (checked against the request already)."""
    if not answer.tool_calls:
        return None
    return [ToolCall(id=c["id"], function={"name": c["function"]["name"], "arguments": c["function"]["arguments"]})
            for c in answer.tool_calls]


def _miner(answer: MinerAnswer) -> MinerInfo:
    return MinerInfo(
        uid=answer.uid, hotkey=answer.hotkey,
        score=None if answer.score is None else round(answer.score, 6), latency_ms=round(answer.latency_s * 1e3, 2),
        finish_reason=answer.finish_reason,
    )


def finish(answer: MinerAnswer, stop: tuple[str, ...], max_tokens: int | None) -> tuple[str, str]:
    """The answer as the client gets it: cut at a stop string, then at ``max_tokens`` (whatever the
    miner did), with its finish reason; an answer the miner cut (max_tokens, deadline) is never "stop"."""
    text, stopped = cut_at_stop(answer.completion, stop)
    if stopped:
        return text, "stop"
    if max_tokens is not None:
        text, cut = truncate_tokens(text, max_tokens)
        if cut or count_tokens(text) >= max_tokens:
            return text, "length"
    return text, "length" if answer.finish_reason in ("length", "deadline") else "stop"


# Request fields the bridge cannot honour yet: a 400 naming the field, never a silent drop. Each entry:
# the field and the values that are fine (its defaults). Chat's tools, tool_choice, response_format and
# logprobs are request fields (never extras): only the completions API, which has none of them, refuses them.
_UNSUPPORTED: dict[str, tuple[object, ...]] = {
    "top_logprobs": (None,), "tools": (None, []), "tool_choice": (None, "none"),
    "functions": (None, []), "function_call": (None, "none"), "response_format": (None, {"type": "text"}),
    "logit_bias": (None, {}), "presence_penalty": (None, 0, 0.0), "frequency_penalty": (None, 0, 0.0),
    "audio": (None,), "modalities": (None, ["text"]), "prediction": (None,), "web_search_options": (None,),
    "best_of": (None, 1), "suffix": (None, ""),
}


def check_supported(request: SamplingFields) -> None:
    """Refuse (400, naming it) a field set to something the bridge would otherwise ignore."""
    values = {**(request.model_extra or {}), **{k: getattr(request, k) for k in ("suffix",) if hasattr(request, k)}}
    for name, fine in _UNSUPPORTED.items():
        if name in values and values[name] not in fine:
            raise InvalidRequest(f"Unsupported parameter: '{name}' is not supported by this bridge yet.",
                                 param=name, code="unsupported_parameter")


def list_models(backend: Backend) -> ModelList:
    return ModelList(data=[Model(id=m.id, created=m.created, owned_by=m.owned_by) for m in backend.models()])


async def create_chat_completion(request: ChatCompletionRequest, backend: Backend) -> ChatCompletion:
    check_supported(request)
    model = backend.resolve_model(request.model)
    prompt = chat_prompt(request)
    answers = await backend.complete(model, prompt, request.n)
    choices = []
    completion_tokens = 0
    for index, answer in enumerate(answers[: request.n]):
        calls = tool_calls(answer)
        if calls:
            text, reason = answer.completion, "tool_calls"
            completion_tokens += count_tokens(answer.text)
        else:
            text, reason = finish(answer, prompt.stop, prompt.max_tokens)
            completion_tokens += count_tokens(text)
        message = AssistantMessage(content=text or (None if calls else ""), tool_calls=calls)
        choices.append(ChatChoice(index=index, message=message, finish_reason=reason,
                                  logprobs=chat_logprobs(answer, prompt), miner=_miner(answer)))
    prompt_tokens = sum(count_tokens(m) for m in prompt.messages)
    return ChatCompletion(
        model=model,
        choices=choices,
        usage=Usage.of(prompt_tokens, completion_tokens),
    )


async def create_completion(request: CompletionRequest, backend: Backend) -> Completion:
    check_supported(request)
    model = backend.resolve_model(request.model)

    async def one(prompt_text: str) -> list[tuple[MinerAnswer, str, str, CompletionLogprobs | None]]:
        prompt = completion_prompt(request, prompt_text)
        answers = (await backend.complete(model, prompt, request.n))[: request.n]
        offset = len(prompt_text) if request.echo else 0
        return [(answer, *finish(answer, prompt.stop, prompt.max_tokens), completion_logprobs(answer, prompt, offset))
                for answer in answers]

    completion_prompt(request, "")  # a request no answer could satisfy fails before any miner is asked
    prompts = request.prompts()
    choices: list[CompletionChoice] = []
    completion_tokens = 0
    for prompt_text, answers in zip(prompts, await each_at_most(PROMPTS_AT_ONCE, one, prompts), strict=True):
        for answer, text, reason, logprobs in answers:
            completion_tokens += count_tokens(text)
            if request.echo:
                text = prompt_text + text
            choices.append(CompletionChoice(index=len(choices), text=text, finish_reason=reason, logprobs=logprobs,
                                            miner=_miner(answer)))
    prompt_tokens = sum(count_tokens(p) for p in prompts)
    return Completion(
        model=model,
        choices=choices,
        usage=Usage.of(prompt_tokens, completion_tokens),
    )


async def each_at_most(limit: int, fn: Callable[[T], Awaitable[R]], items: Sequence[T]) -> list[R]:
    """``fn`` over ``items``, ``limit`` at a time, results in order. The first failure, or the
    caller's cancellation (its client left), cancels every call still running or waiting."""
    seats = asyncio.Semaphore(limit)

    async def seated(item: T) -> R:
        async with seats:
            return await fn(item)

    tasks = [asyncio.ensure_future(seated(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


class TokenLimit:
    """``max_tokens`` over a stream: passes text until the limit, then cuts and says ``"length"``."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0
        self.done = False

    def feed(self, text: str) -> tuple[str, str | None]:
        if self.limit is None or not text or self.done:
            return ("" if self.done else text), None
        kept, cut = truncate_tokens(text, self.limit - self.count)
        self.count += count_tokens(kept)
        if cut:
            self.done = True
            return kept, "length"
        return kept, None

    def reason(self, stopped: bool, *, cut: bool = False) -> str:
        if not stopped and (cut or (self.limit is not None and self.count >= self.limit)):
            return "length"
        return "stop"


class ClientText:
    """A miner's streamed text as the client may see it (chat and completions alike): cut at the
    request's stop strings and at ``max_tokens``; once the stream is read, ``finish`` is OpenAI's
    finish reason and ``produced`` all the text that went out."""

    def __init__(self, prompt: PromptSpec) -> None:
        self.stop = StopCutter(prompt.stop)
        self.limit = TokenLimit(prompt.max_tokens)
        self._produced: list[str] = []
        self.finish: str | None = None

    @property
    def produced(self) -> str:
        return "".join(self._produced)

    async def of(self, events: AsyncIterator[StreamStart | StreamText | StreamEnd]) -> AsyncIterator[StreamStart | str]:
        """The text pieces to send (and the stream's start, passed through)."""
        cut = False  # the miner (or the deadline) cut the stream: never "stop"
        async for event in events:
            if isinstance(event, StreamStart):
                yield event
            elif isinstance(event, StreamText):
                text, finish = self.limit.feed(self.stop.feed(event.text))
                if text:
                    self._produced.append(text)
                    yield text
                if self.stop.stopped or finish:
                    break
            elif isinstance(event, StreamEnd):
                cut = event.reason == "deadline"
        tail, finish = self.limit.feed(self.stop.flush()) if not self.limit.done else ("", None)
        if tail:
            self._produced.append(tail)
            yield tail
        self.finish = finish or self.limit.reason(self.stop.stopped, cut=cut)


def sse(payload: str) -> str:
    return f"data: {payload}\n\n"


async def stream_chat_completion(
    request: ChatCompletionRequest, backend: Backend, *, model: str | None = None
) -> AsyncIterator[str]:
    """Server-sent events for a streamed chat completion, ending with ``data: [DONE]``."""
    check_supported(request)
    if request.n != 1:
        raise InvalidRequest("streaming supports n=1 only", param="n")
    model = model or backend.resolve_model(request.model)
    prompt = chat_prompt(request)
    chunk_id, created = new_id("chatcmpl"), int(time.time())
    include_usage = bool(request.stream_options and request.stream_options.include_usage)
    text = ClientText(prompt)
    started = time.perf_counter()

    def chunk(delta: ChunkDelta, finish: str | None = None, miner: MinerInfo | None = None) -> str:
        body = ChatCompletionChunk(
            id=chunk_id,
            created=created,
            model=model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish, miner=miner)],
        )
        return sse(body.model_dump_json(exclude_none=False))

    if prompt.structured:  # an answer is checked whole before a byte of it goes out: asked whole, replayed
        async for line in _replay_structured(request, backend, model, prompt, chunk_id, created, include_usage):
            yield line
        return
    async for item in text.of(backend.stream(model, prompt)):
        if isinstance(item, StreamStart):
            miner = MinerInfo(uid=item.uid, hotkey=item.hotkey, score=None,
                              latency_ms=round((time.perf_counter() - started) * 1e3, 2))
            yield chunk(ChunkDelta(role="assistant", content=""), miner=miner)
        else:
            yield chunk(ChunkDelta(content=item))
    yield chunk(ChunkDelta(), finish=text.finish)
    if include_usage:
        prompt_tokens = sum(count_tokens(m) for m in prompt.messages)
        completion_tokens = count_tokens(text.produced)
        usage = Usage.of(prompt_tokens, completion_tokens)
        body = ChatCompletionChunk(id=chunk_id, created=created, model=model, choices=[], usage=usage)
        yield sse(body.model_dump_json())
    yield sse("[DONE]")


async def _replay_structured(request: ChatCompletionRequest, backend: Backend, model: str, prompt: PromptSpec,
                             chunk_id: str, created: int, include_usage: bool) -> AsyncIterator[str]:
    """A checked whole answer as OpenAI streams one: the role, the text (or each tool call: its id and
    name, then its arguments, under its ``index``), the finish reason, the usage when asked, ``[DONE]``."""
    answer = (await backend.complete(model, prompt, 1))[0]

    def chunk(delta: ChunkDelta, finish: str | None = None, miner: MinerInfo | None = None,
              logprobs: ChoiceLogprobs | None = None) -> str:
        body = ChatCompletionChunk(id=chunk_id, created=created, model=model, choices=[
            ChunkChoice(index=0, delta=delta, finish_reason=finish, miner=miner, logprobs=logprobs)])
        return sse(body.model_dump_json())

    yield chunk(ChunkDelta(role="assistant", content=""), miner=_miner(answer))
    calls = tool_calls(answer)
    if calls:
        text, reason = answer.completion, "tool_calls"
    else:
        text, reason = finish(answer, prompt.stop, prompt.max_tokens)
    if text:
        yield chunk(ChunkDelta(content=text), logprobs=chat_logprobs(answer, prompt))
    for index, call in enumerate(calls or ()):
        yield chunk(ChunkDelta(tool_calls=[ToolCallChunk(index=index, id=call.id, type="function",
                                                         function={"name": call.function.name, "arguments": ""})]))
        yield chunk(ChunkDelta(tool_calls=[ToolCallChunk(index=index, function={"arguments": call.function.arguments})]))
    yield chunk(ChunkDelta(), finish=reason)
    if include_usage:
        prompt_tokens = sum(count_tokens(m) for m in prompt.messages)
        completion_tokens = count_tokens(answer.text if calls else text)
        usage = Usage.of(prompt_tokens, completion_tokens)
        yield sse(ChatCompletionChunk(id=chunk_id, created=created, model=model, choices=[], usage=usage)
                  .model_dump_json())
    yield sse("[DONE]")


async def stream_completion(request: CompletionRequest, backend: Backend) -> AsyncIterator[str]:
    """Server-sent events for a streamed text completion."""
    check_supported(request)
    prompts = request.prompts()
    if request.n != 1 or len(prompts) != 1:
        raise InvalidRequest("streaming supports n=1 and a single prompt only", param="n")
    if request.logprobs is not None:
        raise InvalidRequest("'logprobs' is not supported with stream=true on /v1/completions yet; "
                             "ask without streaming.", param="logprobs", code="unsupported_parameter")
    model = backend.resolve_model(request.model)
    prompt = completion_prompt(request, prompts[0])
    cmpl_id, created = new_id("cmpl"), int(time.time())
    text = ClientText(prompt)

    def chunk(piece: str, finish: str | None = None) -> str:
        body = Completion(
            id=cmpl_id, created=created, model=model,
            choices=[CompletionChoice(index=0, text=piece, finish_reason=finish)],
        )
        return sse(body.model_dump_json(exclude={"usage"}))  # the schema's usage is an object, never null

    async for item in text.of(backend.stream(model, prompt)):
        if isinstance(item, str):
            yield chunk(item)
    yield chunk("", finish=text.finish)
    if request.stream_options and request.stream_options.include_usage:
        prompt_tokens = count_tokens(prompts[0])
        completion_tokens = count_tokens(text.produced)
        usage = Usage.of(prompt_tokens, completion_tokens)
        yield sse(Completion(id=cmpl_id, created=created, model=model, choices=[], usage=usage).model_dump_json())
    yield sse("[DONE]")


async def create_embeddings(request: EmbeddingRequest, backend: Backend) -> EmbeddingList:
    model = backend.resolve_model(request.model)
    try:
        texts = request.texts()
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="input") from exc
    if not texts:
        raise InvalidRequest("input must not be empty", param="input")
    vectors = await backend.embed(model, texts)
    items = []
    for index, vector in enumerate(vectors):
        if request.dimensions is not None:
            vector = vector[: request.dimensions]
        value: list[float] | str = vector
        if request.encoding_format == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        items.append(EmbeddingItem(index=index, embedding=value))
    tokens = sum(count_tokens(t) for t in texts)
    return EmbeddingList(data=items, model=model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))


def error_event(message: str, error_type: str) -> str:
    """An error delivered inside an already-started stream."""
    return sse(json.dumps({"error": {"message": scrub_addresses(message), "type": error_type, "param": None,
                                     "code": None}}))

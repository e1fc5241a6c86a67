"""The OpenAI API's logic, free of any web framework: requests in, response models or SSE lines out."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bridge.backend import (
    DEFAULT_TEMPERATURE,
    Backend,
    MinerAnswer,
    PromptSpec,
    StreamEnd,
    StreamStart,
    StreamText,
)
from bridge.errors import InvalidRequest, scrub_addresses
from bridge.openai.protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    ChunkDelta,
    Completion,
    CompletionChoice,
    CompletionRequest,
    EmbeddingItem,
    EmbeddingList,
    EmbeddingRequest,
    EmbeddingUsage,
    MinerInfo,
    Model,
    ModelList,
    SamplingFields,
    Usage,
    new_id,
)
from bt_llm.stops import StopCutter, cut_at_stop
from bt_llm.tokens import count_tokens, truncate_tokens

T = TypeVar("T")
R = TypeVar("R")
MIN_TOP_P = 1e-9  # keeps the most likely token alone: what top_p=0 means
PROMPTS_AT_ONCE = 8
"""A ``/v1/completions`` request's prompts asked at once (vLLM takes them all as one batch; the
miners here are shared by every caller, so one request takes 8 seats of the fan-out at most)."""


def prompt_spec(roles: Sequence[str], messages: Sequence[str], request: SamplingFields | Any) -> PromptSpec:
    """The one conversion of a request (HTTP body or a signed client's synapse) into what miners get."""
    limit = request.token_limit() if hasattr(request, "token_limit") else request.max_tokens
    stop = request.stop_list() if hasattr(request, "stop_list") else list(request.stop or ())
    top_p = request.top_p
    if top_p is not None and top_p <= 0:  # OpenAI takes 0 (the top token only); a miner's nucleus is (0, 1]
        top_p = MIN_TOP_P
    temperature = DEFAULT_TEMPERATURE if request.temperature is None else request.temperature
    return PromptSpec(roles=tuple(roles), messages=tuple(messages), max_tokens=limit,
                      temperature=temperature, top_p=top_p, stop=tuple(stop), seed=request.seed)


def chat_prompt(request: ChatCompletionRequest) -> PromptSpec:
    roles = ["system" if m.role == "developer" else m.role for m in request.messages]
    return prompt_spec(roles, [m.text() for m in request.messages], request)


def completion_prompt(request: CompletionRequest, prompt: str) -> PromptSpec:
    return prompt_spec(["user"], [prompt], request)


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
# the field and the values that are fine (its defaults).
_UNSUPPORTED: dict[str, tuple[object, ...]] = {
    "logprobs": (None, False), "top_logprobs": (None,), "tools": (None, []), "tool_choice": (None, "none"),
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
        text, reason = finish(answer, prompt.stop, prompt.max_tokens)
        completion_tokens += count_tokens(text)
        choices.append(
            ChatChoice(index=index, message=AssistantMessage(content=text), finish_reason=reason, miner=_miner(answer))
        )
    prompt_tokens = sum(count_tokens(m) for m in prompt.messages)
    return ChatCompletion(
        model=model,
        choices=choices,
        usage=Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        ),
    )


async def create_completion(request: CompletionRequest, backend: Backend) -> Completion:
    check_supported(request)
    model = backend.resolve_model(request.model)

    async def one(prompt_text: str) -> list[tuple[MinerAnswer, str, str]]:
        prompt = completion_prompt(request, prompt_text)
        answers = (await backend.complete(model, prompt, request.n))[: request.n]
        return [(answer, *finish(answer, prompt.stop, prompt.max_tokens)) for answer in answers]

    prompts = request.prompts()
    choices: list[CompletionChoice] = []
    completion_tokens = 0
    for prompt_text, answers in zip(prompts, await each_at_most(PROMPTS_AT_ONCE, one, prompts), strict=True):
        for answer, text, reason in answers:
            completion_tokens += count_tokens(text)
            if request.echo:
                text = prompt_text + text
            choices.append(CompletionChoice(index=len(choices), text=text, finish_reason=reason, miner=_miner(answer)))
    prompt_tokens = sum(count_tokens(p) for p in prompts)
    return Completion(
        model=model,
        choices=choices,
        usage=Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        ),
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
    stop = StopCutter(prompt.stop)
    limit = TokenLimit(prompt.max_tokens)
    produced: list[str] = []
    cut = False  # the miner (or the deadline) cut the stream: never "stop"
    started = time.perf_counter()

    def chunk(delta: ChunkDelta, finish: str | None = None, miner: MinerInfo | None = None) -> str:
        body = ChatCompletionChunk(
            id=chunk_id,
            created=created,
            model=model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish, miner=miner)],
        )
        return sse(body.model_dump_json(exclude_none=False))

    async for event in backend.stream(model, prompt):
        if isinstance(event, StreamStart):
            miner = MinerInfo(uid=event.uid, hotkey=event.hotkey, score=None,
                              latency_ms=round((time.perf_counter() - started) * 1e3, 2))
            yield chunk(ChunkDelta(role="assistant", content=""), miner=miner)
        elif isinstance(event, StreamText):
            text, finish = limit.feed(stop.feed(event.text))
            if text:
                produced.append(text)
                yield chunk(ChunkDelta(content=text))
            if stop.stopped or finish:
                break
        elif isinstance(event, StreamEnd):
            cut = event.reason == "deadline"
    tail, finish = limit.feed(stop.flush()) if not limit.done else ("", None)
    if tail:
        produced.append(tail)
        yield chunk(ChunkDelta(content=tail))
    yield chunk(ChunkDelta(), finish=finish or limit.reason(stop.stopped, cut=cut))
    if include_usage:
        prompt_tokens = sum(count_tokens(m) for m in prompt.messages)
        completion_tokens = count_tokens("".join(produced))
        usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )
        body = ChatCompletionChunk(id=chunk_id, created=created, model=model, choices=[], usage=usage)
        yield sse(body.model_dump_json())
    yield sse("[DONE]")


async def stream_completion(request: CompletionRequest, backend: Backend) -> AsyncIterator[str]:
    """Server-sent events for a streamed text completion."""
    check_supported(request)
    prompts = request.prompts()
    if request.n != 1 or len(prompts) != 1:
        raise InvalidRequest("streaming supports n=1 and a single prompt only", param="n")
    model = backend.resolve_model(request.model)
    prompt = completion_prompt(request, prompts[0])
    cmpl_id, created = new_id("cmpl"), int(time.time())
    stop = StopCutter(prompt.stop)
    limit = TokenLimit(prompt.max_tokens)
    produced: list[str] = []
    cut = False

    def chunk(text: str, finish: str | None = None) -> str:
        body = Completion(
            id=cmpl_id, created=created, model=model,
            choices=[CompletionChoice(index=0, text=text, finish_reason=finish)],
        )
        return sse(body.model_dump_json(exclude={"usage"}))  # the schema's usage is an object, never null

    async for event in backend.stream(model, prompt):
        if isinstance(event, StreamText):
            text, finish = limit.feed(stop.feed(event.text))
            if text:
                produced.append(text)
                yield chunk(text)
            if stop.stopped or finish:
                break
        elif isinstance(event, StreamEnd):
            cut = event.reason == "deadline"
    tail, finish = limit.feed(stop.flush()) if not limit.done else ("", None)
    if tail:
        produced.append(tail)
        yield chunk(tail)
    yield chunk("", finish=finish or limit.reason(stop.stopped, cut=cut))
    if request.stream_options and request.stream_options.include_usage:
        prompt_tokens = count_tokens(prompts[0])
        completion_tokens = count_tokens("".join(produced))
        usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      total_tokens=prompt_tokens + completion_tokens)
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

"""The bridge's own axon: signed bittensor clients (``bt.prompt``) reach the network through it.

It serves ``DelegatedTextPrompting`` (best or all answers), plain ``TextPrompting`` (the best
answer) and ``StreamingTextPrompting``; every signed caller is let in, each hotkey under the same
per-caller rate limit as the HTTP API.

Structured requests (tools, tool messages, ``response_format``, log-probabilities) go through the HTTP
API's conversion (:func:`prompt_spec`, with its :mod:`bridge.structured` checks) and the backend's checks
of every answer; the best answer's tool calls and log-probabilities come back on the synapse. A streamed
structured request is answered whole (checked first), as the HTTP API replays it; one answered with tool
calls is refused on the streaming synapse, which carries text only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bt_llm.bridge.auth import RateLimiter
from bt_llm.bridge.backend import Backend, MinerAnswer, PromptSpec, StreamText
from bt_llm.bridge.errors import BridgeError, RateLimited, scrub_addresses
from bt_llm.bridge.openai.protocol import lone_surrogate
from bt_llm.bridge.openai.serving import TokenLimit, finish, prompt_spec
from bt_llm.errors import MinerError
from bt_llm.protocol.delegate import DelegatedTextPrompting
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting
from bt_llm.stops import StopCutter

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon


def prompt_of(synapse: TextPrompting | StreamingTextPrompting) -> PromptSpec:
    """The synapse as the miners get it; a text no UTF-8 can carry, or a structured request no answer
    could satisfy (a schema that is not one, ``tool_choice`` naming no given tool), is the caller's error (400)."""
    where = lone_surrogate({"roles": synapse.roles, "messages": synapse.messages, "stop": synapse.stop,
                            "message_fields": synapse.message_fields, "tools": synapse.tools,
                            "response_format": synapse.response_format, "tool_choice": synapse.tool_choice})
    if where is not None:
        raise MinerError(f"{where} holds a lone surrogate, which is not valid Unicode", status_code=400)
    fmt = synapse.response_format
    try:
        return prompt_spec(
            synapse.roles, synapse.messages, synapse,
            message_fields=tuple(synapse.message_fields) if synapse.message_fields and any(synapse.message_fields)
            else None,
            response_format=fmt if fmt and fmt.get("type") != "text" else None,
            tools=tuple(synapse.tools) if synapse.tools else None, tool_choice=synapse.tool_choice,
            parallel_tool_calls=synapse.parallel_tool_calls, logprobs=bool(synapse.logprobs),
            top_logprobs=synapse.top_logprobs)
    except BridgeError as exc:
        raise MinerError(exc.message, status_code=exc.status_code) from exc


def finished(answer: MinerAnswer, prompt: PromptSpec) -> tuple[MinerAnswer, str]:
    """The answer as a client gets it, with its finish reason: tool calls as they are ("tool_calls"),
    text cut at a stop string and at ``max_tokens`` (whatever the miner did)."""
    if answer.tool_calls:
        return answer, "tool_calls"
    text, reason = finish(answer, prompt.stop, prompt.max_tokens)
    return dataclasses.replace(answer, completion=text), reason


def _calls(answer: MinerAnswer) -> list[dict[str, Any]] | None:
    return [dict(call) for call in answer.tool_calls] if answer.tool_calls else None


def attach_delegate_routes(axon: Axon, backend: Backend, model: str, limiter: RateLimiter, *, max_all: int = 16) -> None:
    """Serve the prompting synapses on ``axon`` through ``backend``."""

    def blacklist(synapse: Any) -> tuple[bool, str]:
        hotkey = synapse.dendrite.hotkey if synapse.dendrite else None
        try:
            limiter.check(f"hotkey:{hotkey}")
        except RateLimited as exc:
            return True, exc.message
        return False, "allowed"

    async def complete(synapse: TextPrompting | StreamingTextPrompting, n: int,
                       prompt: PromptSpec | None = None) -> list[tuple[MinerAnswer, str]]:
        """The HTTP API's answers and finish reasons: stop strings and max_tokens held, whatever the miners did."""
        prompt = prompt or prompt_of(synapse)
        try:
            answers = await backend.complete(model, prompt, n)
        except BridgeError as exc:  # no miner answered: the caller sees 503/504 and the reasons, not a 500
            raise MinerError(scrub_addresses(exc.message), status_code=exc.status_code) from exc
        return [finished(a, prompt) for a in answers]

    def fill(synapse: TextPrompting, best: MinerAnswer, reason: str) -> None:
        synapse.completion = best.completion
        synapse.finish_reason = reason
        synapse.tool_calls = _calls(best)
        synapse.logprobs_content = [dict(i) for i in best.logprobs] if synapse.logprobs and best.logprobs else None

    async def delegated(synapse: DelegatedTextPrompting) -> DelegatedTextPrompting:
        answers = await complete(synapse, max_all if synapse.return_all else 1)
        fill(synapse, *answers[0])
        if synapse.return_all:
            synapse.completions = [a.completion for a, _ in answers]
            synapse.uids = [a.uid for a, _ in answers]
            synapse.hotkeys = [a.hotkey for a, _ in answers]
            synapse.scores = [float(a.score or 0.0) for a, _ in answers]
            synapse.all_tool_calls = [_calls(a) for a, _ in answers]
        return synapse

    async def plain(synapse: TextPrompting) -> TextPrompting:
        fill(synapse, *(await complete(synapse, 1))[0])
        return synapse

    async def streaming(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        prompt = prompt_of(synapse)
        if prompt.structured:  # checked whole before a byte goes out, as the HTTP API does
            answer, _ = (await complete(synapse, 1, prompt))[0]
            if answer.tool_calls:
                raise MinerError("the answer is a tool call, which StreamingTextPrompting cannot carry: "
                                 "ask with DelegatedTextPrompting", status_code=400)
            if answer.completion:
                yield answer.completion
            return
        stop, limit = StopCutter(prompt.stop), TokenLimit(prompt.max_tokens)
        async for event in backend.stream(model, prompt):
            if isinstance(event, StreamText) and event.text:
                text, cut = limit.feed(stop.feed(event.text))
                if text:
                    yield text
                if stop.stopped or cut:
                    return
        tail, _ = limit.feed(stop.flush())
        if tail:
            yield tail

    axon.attach(delegated, blacklist_fn=blacklist)
    axon.attach(plain, blacklist_fn=blacklist)
    axon.attach(streaming, blacklist_fn=blacklist)

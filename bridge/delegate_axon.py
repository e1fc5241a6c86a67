"""The bridge's own axon: signed bittensor clients (``bt.prompt``) reach the network through it.

It serves ``DelegatedTextPrompting`` (best or all answers), plain ``TextPrompting`` (the best
answer) and ``StreamingTextPrompting``; every signed caller is let in, each hotkey under the same
per-caller rate limit as the HTTP API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from bridge.auth import RateLimiter
from bridge.backend import Backend, PromptSpec, StreamText
from bridge.errors import BridgeError, RateLimited, scrub_addresses
from bridge.openai.protocol import lone_surrogate
from bridge.openai.serving import TokenLimit, finish, prompt_spec
from bt_llm.errors import MinerError
from bt_llm.protocol.delegate import DelegatedTextPrompting
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting
from bt_llm.stops import StopCutter


def prompt_of(synapse: TextPrompting) -> PromptSpec:
    """The synapse as the miners get it; a text no UTF-8 can carry is the caller's error (400)."""
    where = lone_surrogate({"roles": synapse.roles, "messages": synapse.messages, "stop": synapse.stop})
    if where is not None:
        raise MinerError(f"{where} holds a lone surrogate, which is not valid Unicode", status_code=400)
    return prompt_spec(synapse.roles, synapse.messages, synapse)


def attach_delegate_routes(axon: Any, backend: Backend, model: str, limiter: RateLimiter, *, max_all: int = 16) -> None:
    """Serve the prompting synapses on ``axon`` through ``backend``."""

    def blacklist(synapse: Any) -> tuple[bool, str]:
        hotkey = synapse.dendrite.hotkey if synapse.dendrite else None
        try:
            limiter.check(f"hotkey:{hotkey}")
        except RateLimited as exc:
            return True, exc.message
        return False, "allowed"

    async def complete(synapse: TextPrompting, n: int) -> list[Any]:
        """The HTTP API's answers: stop strings and max_tokens held, whatever the miners did."""
        prompt = prompt_of(synapse)
        try:
            answers = await backend.complete(model, prompt, n)
        except BridgeError as exc:  # no miner answered: the caller sees 503/504 and the reasons, not a 500
            raise MinerError(scrub_addresses(exc.message), status_code=exc.status_code) from exc
        return [dataclasses.replace(a, completion=finish(a, prompt.stop, prompt.max_tokens)[0]) for a in answers]

    async def delegated(synapse: DelegatedTextPrompting) -> DelegatedTextPrompting:
        answers = await complete(synapse, max_all if synapse.return_all else 1)
        synapse.completion = answers[0].completion
        if synapse.return_all:
            synapse.completions = [a.completion for a in answers]
            synapse.uids = [a.uid for a in answers]
            synapse.hotkeys = [a.hotkey for a in answers]
            synapse.scores = [float(a.score or 0.0) for a in answers]
        return synapse

    async def plain(synapse: TextPrompting) -> TextPrompting:
        synapse.completion = (await complete(synapse, 1))[0].completion
        return synapse

    async def streaming(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        prompt = prompt_of(synapse)
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

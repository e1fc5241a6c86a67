"""Axon handlers built from a :class:`~bt_llm.neuron.miner.Miner`, each logging one line per request.

``build_handlers(miner, policy)`` returns ``(forward_fn, blacklist_fn, priority_fn)`` triples for
``Axon.attach``: ``TextPrompting`` → ``miner.forward``, ``StreamingTextPrompting`` → ``miner.stream``,
``TextPromptingBackward`` → ``miner.backward``, ``Embedding`` → ``miner.embed``.

The log line: ``TextPrompting uid=3 hotkey=5Grw… latency=0.412s tokens=12 ok``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from bt_llm.errors import ConfigError, MinerError
from bt_llm.models.sampling import SamplingParams
from bt_llm.neuron.miner import Miner, Structured
from bt_llm.neuron.policy import CallerPolicy
from bt_llm.protocol.claims import ModelClaim
from bt_llm.protocol.signing import Signer
from bt_llm.protocol.synapse import Synapse
from bt_llm.protocol.synapses import (
    CAPABILITIES,
    Embedding,
    StreamingTextPrompting,
    TextPrompting,
    TextPromptingBackward,
)

__all__ = ["MinerError", "answer_budget", "answer_deadline", "build_handlers", "request_line"]

log = logging.getLogger("bt_llm.neuron.requests")

Handler = tuple[Callable[..., Any], Callable[[Synapse], Any], Callable[[Synapse], float]]


def request_line(name: str, policy: CallerPolicy, synapse: Synapse, start: float, tokens: int | None,
                 outcome: str) -> str:
    """The one log line of a request."""
    hotkey = synapse.dendrite.hotkey if synapse.dendrite is not None else None
    uid = policy.uid_of(hotkey)
    short = f"{hotkey[:8]}…" if hotkey else "-"
    return (f"{name} uid={uid if uid is not None else '-'} hotkey={short} "
            f"latency={time.perf_counter() - start:.3f}s tokens={tokens if tokens is not None else '-'} {outcome}")


def answer_deadline(synapse: Synapse, start: float) -> float:
    """When a miner should stop generating to answer within the caller's timeout.

    The budget is 85% of the synapse's timeout less half a second (the wire takes the rest), counted
    from the request's arrival: the axon stamps its terminal nonce (``time.time_ns()``) when the
    request comes in, so time spent queued behind other callers counts. Without a plausible stamp it
    counts from ``start``, the handler's ``time.perf_counter()``. The result is on ``time.monotonic()``.
    """
    timeout = float(synapse.timeout or 12.0)
    waited = time.perf_counter() - start
    arrived = synapse.axon.nonce if synapse.axon is not None else None
    if arrived:
        since_arrival = (time.time_ns() - int(arrived)) / 1e9
        if 0 <= since_arrival <= timeout:
            waited = max(waited, since_arrival)
    return time.monotonic() + max(answer_budget(timeout) - waited, 0.1)


def answer_budget(timeout: float) -> float:
    """Seconds a miner generates for a caller's ``timeout`` (85% of it less half a second for the wire);
    a caller that sees a stream last this long knows the miner cut it."""
    return timeout * 0.85 - 0.5


def _refusal(exc: BaseException) -> BaseException:
    """A handler error as the axon's Refusal when it carries a status the caller should see."""
    if isinstance(exc, MinerError):
        from bt_llm.axon.refusal import Refusal

        return Refusal(exc.status_code, exc.message)
    if isinstance(exc, ConfigError):
        from bt_llm.axon.refusal import Refusal

        return Refusal(400, str(exc))
    return exc


class _Handlers:
    def __init__(self, miner: Miner, policy: CallerPolicy, claim: ModelClaim | None = None) -> None:
        self.miner = miner
        self.policy = policy
        self.claim = claim
        self.capabilities = sorted(CAPABILITIES & miner.capabilities())

    def _done(self, name: str, synapse: Synapse, start: float, tokens: int | None, outcome: str = "ok") -> None:
        log.info(request_line(name, self.policy, synapse, start, tokens, outcome))

    def _params(self, synapse: Any, start: float) -> SamplingParams:
        params = SamplingParams.from_synapse(synapse, default=self.miner.defaults)
        return params.with_overrides(deadline=answer_deadline(synapse, start))

    def text(self, synapse: TextPrompting) -> TextPrompting:
        start = time.perf_counter()
        try:
            result = self.miner.forward(synapse.chat(), self._params(synapse, start))
            if isinstance(result, str):
                synapse.completion = result
            else:  # a Completion or an Answer: its text, why it ended, tool calls and log-probabilities
                synapse.completion, synapse.finish_reason = result.text, result.finish_reason
                if isinstance(result, Structured):
                    synapse.tool_calls = result.tool_calls or None
                    synapse.logprobs_content = result.logprobs or None
            if self.capabilities:
                synapse.capabilities = self.capabilities
            if self.claim is not None:
                synapse.model, synapse.verifiable = self.claim.model, self.claim.verifiable
                synapse.claim_signature = self.claim.signature
        except Exception as exc:
            self._done("TextPrompting", synapse, start, None, f"error: {exc}")
            raise _refusal(exc) from exc
        self._done("TextPrompting", synapse, start, self.miner.count_tokens(synapse.completion))
        return synapse

    def stream(self, synapse: StreamingTextPrompting) -> Iterator[str]:
        start = time.perf_counter()
        try:
            chunks = iter(self.miner.stream(synapse.chat(), self._params(synapse, start)))
        except Exception as exc:
            self._done("StreamingTextPrompting", synapse, start, None, f"error: {exc}")
            raise _refusal(exc) from exc
        return self._logged_stream(synapse, chunks, start)

    def _logged_stream(self, synapse: StreamingTextPrompting, chunks: Iterator[str], start: float) -> Iterator[str]:
        parts: list[str] = []
        outcome = "ok"
        try:
            for chunk in chunks:
                parts.append(chunk)
                yield chunk
        except GeneratorExit:
            outcome = "closed by caller"
            raise
        except Exception as exc:
            outcome = f"error: {exc}"
            raise _refusal(exc) from exc
        finally:
            if isinstance(chunks, Generator):
                chunks.close()
            self._done("StreamingTextPrompting", synapse, start, self.miner.count_tokens("".join(parts)), outcome)

    def backward(self, synapse: TextPromptingBackward) -> TextPromptingBackward:
        start = time.perf_counter()
        try:
            synapse.accepted = bool(self.miner.backward(synapse.chat(), synapse.completion, list(synapse.rewards)))
        except Exception as exc:
            self._done("TextPromptingBackward", synapse, start, None, f"error: {exc}")
            raise _refusal(exc) from exc
        self._done("TextPromptingBackward", synapse, start, None,
                   f"rewards={list(synapse.rewards)} accepted={synapse.accepted}")
        return synapse

    def embedding(self, synapse: Embedding) -> Embedding:
        start = time.perf_counter()
        try:
            synapse.embeddings = self.miner.embed(list(synapse.texts))
        except Exception as exc:
            self._done("Embedding", synapse, start, None, f"error: {exc}")
            raise _refusal(exc) from exc
        self._done("Embedding", synapse, start, sum(self.miner.count_tokens(t) for t in synapse.texts))
        return synapse

    def blacklist(self, synapse: Synapse) -> tuple[bool, str]:
        refused, reason = self.policy.blacklist(synapse)
        if not refused:
            extra = self.miner.blacklist(synapse)
            own, why = (bool(extra[0]), str(extra[1])) if isinstance(extra, tuple) else (bool(extra), "")
            if own:
                refused, reason = True, why
        if refused:
            hotkey = synapse.dendrite.hotkey if synapse.dendrite is not None else None
            uid = self.policy.uid_of(hotkey)
            log.info("%s uid=%s hotkey=%s refused: %s", synapse.name, uid if uid is not None else "-",
                     f"{hotkey[:8]}…" if hotkey else "-", reason)
        return refused, reason

    def priority(self, synapse: Synapse) -> float:
        own = self.miner.priority(synapse)
        return float(own) if own is not None else self.policy.priority(synapse)


# The axon reads the synapse type from the first parameter's annotation, so each route gets a
# small function with the right annotation around the shared implementation.

def build_handlers(miner: Miner, policy: CallerPolicy, signer: Signer | None = None) -> list[Handler]:
    """``(forward_fn, blacklist_fn, priority_fn)`` for every synapse ``miner`` serves; with the hotkey
    ``signer``, text answers carry the miner's signed :meth:`~Miner.claim`."""
    claimed = miner.claim() if signer is not None else None
    claim = ModelClaim.signed(signer, claimed[0], verifiable=claimed[1]) if claimed and signer else None
    h = _Handlers(miner, policy, claim)
    out: list[Handler] = []
    if miner.serves_text:
        def text(synapse: TextPrompting) -> TextPrompting:
            return h.text(synapse)

        def backward(synapse: TextPromptingBackward) -> TextPromptingBackward:
            return h.backward(synapse)

        out += [(text, h.blacklist, h.priority), (backward, h.blacklist, h.priority)]
    if miner.serves_stream:
        def stream(synapse: StreamingTextPrompting) -> Iterator[str]:
            return h.stream(synapse)

        out.append((stream, h.blacklist, h.priority))
    if miner.serves_embeddings:
        def embedding(synapse: Embedding) -> Embedding:
            return h.embedding(synapse)

        out.append((embedding, h.blacklist, h.priority))
    if not out:
        raise ConfigError(f"{type(miner).__name__} overrides none of forward, stream, embed")
    return out

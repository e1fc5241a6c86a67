"""What the HTTP API needs from the network: the seam between serving logic and the validator.

``bridge/openai/serving.py`` speaks only to a :class:`Backend`; :mod:`bridge.network_backend` implements it with the
metagraph, a dendrite and a scorer. Unit tests of the HTTP layer can plug in their own backend.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bt_llm.bridge.health import Check

DEFAULT_TEMPERATURE = 0.7
"""The temperature the bridge asks for when a client leaves it unset (bt-llm miners' own default):
miners get an explicit value, so the validator knows the sampling it verifies. ``max_tokens`` stays
unset then: an answer the miner cut at its own limit is not a complete answer."""


@dataclass(frozen=True)
class PromptSpec:
    """A prompt as the miners receive it (``TextPrompting``'s inputs)."""

    roles: tuple[str, ...]
    messages: tuple[str, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    challenge: bool = False  # the validator's own prompt (always verified); never sent to miners
    message_fields: tuple[Mapping[str, Any], ...] | None = None  # per message: tool_calls, tool_call_id, name
    response_format: Mapping[str, Any] | None = None  # OpenAI's json_object / json_schema; None for text
    tools: tuple[Mapping[str, Any], ...] | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    logprobs: bool = False
    top_logprobs: int | None = None

    @property
    def checkable(self) -> bool:
        """A validator can recompute the answer from the model alone: no grammar constrained it (a
        schema, tools) and the conversation is plain text (no tool-call fields the rendering drops)."""
        return not (self.response_format or self.tools or self.message_fields)

    @property
    def structured(self) -> bool:
        """The answer must be checked whole before the client sees it (a schema, tools, log-probabilities)."""
        return bool(self.response_format or self.tools or self.logprobs)


@dataclass(frozen=True)
class MinerAnswer:
    """One miner's answer (or failure) to a prompt."""

    uid: int
    hotkey: str
    completion: str
    latency_s: float
    status_code: int = 200
    status_message: str = ""
    score: float | None = None  # None until scored (a single named miner is scored in the background)
    finish_reason: str | None = None  # the miner's: "stop", "length", "deadline" (cut to answer in time)
    model: str | None = None  # the model the miner claims, when its hotkey signed the claim
    verifiable: bool = False  # the claim says the answer is that model's raw output
    tool_calls: tuple[Mapping[str, Any], ...] | None = None  # OpenAI's shape, checked against the request
    logprobs: tuple[Mapping[str, Any], ...] | None = None  # per token: token, logprob, top_logprobs
    capabilities: frozenset[str] = frozenset()  # what the miner declared in this answer
    rejected: str | None = None  # why the bridge refused this answer (off the requested schema): scores 0

    @property
    def text(self) -> str:
        """What the answer says, for scoring: the completion, or its tool calls as JSON when it has no text."""
        if self.completion.strip() or not self.tool_calls:
            return self.completion
        return json.dumps([dict(call) for call in self.tool_calls])

    @property
    def useful(self) -> bool:
        """An answer the client may get: answered, accepted, and saying something (text or tool calls)."""
        return self.ok and self.rejected is None and bool(self.completion.strip() or self.tool_calls)

    @property
    def bridge_fault(self) -> bool:
        """The request failed on the bridge's side (it could not be sent): never the miner's fault."""
        return self.status_code in (400, 500) and self.status_message.startswith(("Client error", "Payload error"))

    @property
    def refused_input(self) -> bool:
        """The miner refused the request as given (a 4xx other than 408 timeout and 429 busy)."""
        return 400 <= self.status_code < 500 and self.status_code not in (408, 429)

    @property
    def cut(self) -> bool:
        """The miner cut it short of its end to answer in time."""
        return self.finish_reason == "deadline"

    @property
    def ok(self) -> bool:
        return self.status_code == 200


@dataclass(frozen=True)
class StreamStart:
    """The miner whose stream the bridge follows."""

    uid: int
    hotkey: str


@dataclass(frozen=True)
class StreamText:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    """How the followed stream ended: ``"stop"`` or ``"deadline"`` (the miner, or the bridge, cut it)."""

    reason: str


@dataclass
class ModelInfo:
    id: str
    created: int
    owned_by: str = "bittensor"
    extra: dict[str, object] = field(default_factory=dict)


class Backend(Protocol):
    """The network as the HTTP API sees it."""

    def models(self) -> list[ModelInfo]: ...

    def resolve_model(self, model: str | None) -> str:
        """The canonical model name, or raise ``ModelNotFound`` listing the known ones."""
        ...

    async def complete(self, model: str, prompt: PromptSpec, n: int) -> list[MinerAnswer]:
        """The best ``n`` answers, best first (raises a ``BridgeError`` when none)."""
        ...

    def stream(self, model: str, prompt: PromptSpec) -> AsyncIterator[StreamStart | StreamText | StreamEnd]:
        """A ``StreamStart``, text chunks of one miner's answer, then (optionally) a ``StreamEnd``."""
        ...

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]: ...

    def health(self) -> Sequence[Check]:
        """What ``/readyz`` checks: cheap, from what the backend already knows (see :mod:`bridge.health`)."""
        ...

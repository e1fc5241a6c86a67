"""Sampling parameters and chat messages: pure data shared by every text backend.

Nothing here imports torch or transformers, so miners, the bridge and tests can build requests
without loading a model.

Example:
    >>> p = SamplingParams(max_tokens=8, temperature=0.0, stop=["\\n"])
    >>> p.greedy, p.stop
    (True, ('\\n',))
    >>> to_chat(["system", "user"], ["Be brief.", "Hi"])[1]
    {'role': 'user', 'content': 'Hi'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bt_llm.errors import ConfigError

Message = Mapping[str, str]
"""A chat message: ``{"role": "user", "content": "..."}``."""

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True, kw_only=True)
class SamplingParams:
    """How to sample a completion.

    Args:
        max_tokens: upper bound on new tokens.
        temperature: 0 means greedy decoding; above 0 samples.
        top_p: nucleus sampling mass in (0, 1].
        stop: strings that end the completion; the stop string itself is not returned.
        seed: makes sampling reproducible when set.
        deadline: a ``time.monotonic()`` instant; generation ends there with what it has (a miner
            answers its caller in time rather than not at all).
        response_format: OpenAI's ``{"type": "json_object"}`` or ``{"type": "json_schema", "json_schema":
            {...}}``; None for free text. A backend that constrains decoding (a grammar) reads it here.
        tools: OpenAI's function tools the answer may call (with ``tool_choice``, ``parallel_tool_calls``).
        logprobs: answer each token's log-probability, with the ``top_logprobs`` most likely alternatives.
    """

    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 1.0
    stop: tuple[str, ...] = field(default=())
    seed: int | None = None
    deadline: float | None = None
    response_format: Mapping[str, Any] | None = None
    tools: tuple[Mapping[str, Any], ...] | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    logprobs: bool = False
    top_logprobs: int | None = None

    def __post_init__(self) -> None:
        stop = self.stop
        if isinstance(stop, str):
            stop = (stop,)
        object.__setattr__(self, "stop", tuple(s for s in (stop or ()) if s))
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic argmax (temperature 0)."""
        return self.temperature == 0

    def with_overrides(self, **overrides: Any) -> SamplingParams:
        """A copy with the non-None ``overrides`` applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_synapse(cls, synapse: Any, *, default: SamplingParams | None = None) -> SamplingParams:
        """Read ``max_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed`` and the structured-output
        fields (``response_format``, ``tools``, ``tool_choice``, ``parallel_tool_calls``, ``logprobs``,
        ``top_logprobs``) from any object that has them."""
        base = default or cls()
        names = ("max_tokens", "temperature", "top_p", "seed", "response_format", "tool_choice", "parallel_tool_calls",
                 "logprobs", "top_logprobs")
        values = {name: getattr(synapse, name, None) for name in names}
        tools = getattr(synapse, "tools", None)
        if tools:
            values["tools"] = tuple(tools)
        stop = getattr(synapse, "stop", None)
        if stop is not None:
            values["stop"] = (stop,) if isinstance(stop, str) else tuple(stop)
        return base.with_overrides(**values)


def to_chat(roles: Sequence[str], contents: Sequence[str]) -> list[dict[str, str]]:
    """Zip the synapse's parallel ``roles``/``messages`` lists into chat messages.

    Raises:
        ConfigError: the lists differ in length.
    """
    if len(roles) != len(contents):
        raise ConfigError(f"{len(roles)} roles for {len(contents)} messages")
    return [{"role": str(r), "content": str(c)} for r, c in zip(roles, contents, strict=True)]


def normalize_messages(messages: str | Iterable[Message | tuple[str, str]]) -> list[dict[str, str]]:
    """Accept a bare prompt, ``(role, content)`` pairs or message dicts; return message dicts."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out: list[dict[str, str]] = []
    for item in messages:
        if isinstance(item, tuple):
            role, content = item
        else:
            role, content = item["role"], item["content"]
        out.append({"role": str(role), "content": str(content)})
    if not out:
        raise ConfigError("no messages to complete")
    return out


def plain_prompt(messages: Sequence[Message]) -> str:
    """The prompt for a model without a chat template: one ``role: content`` line each, then ``assistant:``."""
    lines = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n".join([*lines, "assistant:"])

"""Our synapses: text prompting (plain and streaming), the reward sent back to a miner, embeddings.

Example:
    >>> s = TextPrompting(roles=["user"], messages=["hi"])
    >>> s.completion, s.deserialize()
    ('', '')
    >>> s.chat()
    [{'role': 'user', 'content': 'hi'}]
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from bt_llm.protocol.claims import ModelClaim
from bt_llm.protocol.synapse import StreamingSynapse, Synapse

__all__ = ["CAPABILITIES", "Embedding", "StreamingTextPrompting", "TextPrompting", "TextPromptingBackward"]

_PROMPT_HASH_FIELDS = ("roles", "messages", "max_tokens", "temperature", "top_p", "stop", "seed")
_STRUCTURED_FIELDS = ("message_fields", "response_format", "tools", "tool_choice", "parallel_tool_calls", "logprobs",
                      "top_logprobs")
"""Request fields added for structured output, tools and log-probabilities: hashed when set (a request
leaving them unset hashes as before, so older peers still verify it)."""

CAPABILITIES = frozenset({"json_object", "json_schema", "tools", "logprobs"})
"""What a miner may declare in ``capabilities``: ``json_object`` (answers a JSON object when asked),
``json_schema`` (an answer valid against a given schema), ``tools`` (OpenAI tool calls), ``logprobs``
(per-token log-probabilities)."""


class _Prompt(Synapse):
    """The chat inputs and sampling parameters shared by the prompting synapses."""

    roles: list[str] = Field(default_factory=list, description="one role per message: system, user, assistant")
    messages: list[str] = Field(default_factory=list, description="the message texts, oldest first")
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: list[str] | None = None
    seed: int | None = Field(default=None, ge=-(2**63), lt=2**64)  # what a torch generator takes
    message_fields: list[dict[str, Any]] | None = Field(
        default=None, description="one dict per message with its OpenAI fields beyond role and content: an "
                                  "assistant's 'tool_calls', a tool message's 'tool_call_id', a 'name'; None when "
                                  "no message has any")
    response_format: dict[str, Any] | None = Field(
        default=None, description="OpenAI's: {'type': 'json_object'} or {'type': 'json_schema', 'json_schema': "
                                  "{'name', 'schema', 'strict'}}; None for free text")
    tools: list[dict[str, Any]] | None = Field(default=None, description="OpenAI's function tools the model may call")
    tool_choice: str | dict[str, Any] | None = Field(
        default=None, description="'none', 'auto', 'required' or {'type': 'function', 'function': {'name'}}")
    parallel_tool_calls: bool | None = None
    logprobs: bool | None = Field(default=None, description="answer with each token's log-probability")
    top_logprobs: int | None = Field(default=None, ge=0, le=20)

    @model_validator(mode="after")
    def _roles_match_messages(self) -> _Prompt:
        if len(self.roles) != len(self.messages):
            raise ValueError("roles and messages must have the same length")
        if self.message_fields is not None and len(self.message_fields) != len(self.messages):
            raise ValueError("message_fields must have one entry per message")
        return self

    def chat(self) -> list[dict[str, Any]]:
        """The conversation as ``[{"role": ..., "content": ...}]``, with each message's extra fields
        (``tool_calls``, ``tool_call_id``, ``name``) when it has any."""
        chat: list[dict[str, Any]] = [{"role": role, "content": text}
                                      for role, text in zip(self.roles, self.messages, strict=True)]
        for message, extra in zip(chat, self.message_fields or (), strict=False):
            message.update({k: v for k, v in extra.items() if k not in ("role", "content")})
        return chat


class TextPrompting(_Prompt):
    """Ask a miner to complete a conversation; it fills ``completion`` (and ``tool_calls``, ``logprobs``
    when asked for them and able), and says what it can do in ``capabilities``."""

    required_hash_fields = _PROMPT_HASH_FIELDS
    optional_hash_fields = _STRUCTURED_FIELDS

    completion: str = ""
    finish_reason: str | None = Field(
        default=None, description="why the answer ended: 'stop' (complete), 'length' (max_tokens) or 'deadline' "
                                  "(cut to answer in time); None when the miner does not say")
    model: str | None = Field(default=None, description="the model the miner claims answered (see protocol.claims)")
    verifiable: bool | None = Field(default=None, description="the claim: raw outputs of that model, recomputable")
    claim_signature: str | None = Field(default=None, description="the miner hotkey's signature of its claim")
    tool_calls: list[dict[str, Any]] | None = Field(
        default=None, description="OpenAI's: [{'id', 'type': 'function', 'function': {'name', 'arguments': "
                                  "a JSON text}}]; finish_reason is then 'tool_calls'")
    logprobs_content: list[dict[str, Any]] | None = Field(
        default=None, description="one entry per answer token: {'token', 'logprob', 'top_logprobs': "
                                  "[{'token', 'logprob'}]} (OpenAI's ChatCompletionTokenLogprob)")
    capabilities: list[str] | None = Field(
        default=None, description=f"what the miner can do beyond free text: some of {sorted(CAPABILITIES)}")

    def claim(self) -> ModelClaim | None:
        """The miner's claim as sent (check it with :meth:`ModelClaim.valid_for` the answering hotkey)."""
        if not isinstance(self.model, str) or not isinstance(self.claim_signature, str):
            return None
        return ModelClaim(self.model, bool(self.verifiable), self.claim_signature)

    def deserialize(self) -> str:
        """The completion text."""
        return self.completion


class StreamingTextPrompting(_Prompt, StreamingSynapse):
    """The streaming twin of :class:`TextPrompting`: text chunks arrive as they are generated."""

    required_hash_fields = _PROMPT_HASH_FIELDS
    optional_hash_fields = _STRUCTURED_FIELDS

    completion: str = ""

    def on_chunk(self, chunk: str) -> None:
        """Append a received chunk to ``completion``."""
        self.completion += chunk

    def deserialize(self) -> str:
        """The completion text."""
        return self.completion


class TextPromptingBackward(_Prompt):
    """A validator's feedback to a miner: the conversation, the miner's answer and its rewards."""

    required_hash_fields = (*_PROMPT_HASH_FIELDS, "completion", "rewards")

    completion: str = Field(default="", description="the response being rewarded")
    rewards: list[float] = Field(default_factory=list)
    accepted: bool = Field(default=False, description="set by the miner when it took the feedback")

    @property
    def response(self) -> str:
        """The seed's name for the rewarded response."""
        return self.completion


class Embedding(Synapse):
    """Ask a miner to embed texts; it fills ``embeddings`` (one vector per text)."""

    required_hash_fields = ("texts",)

    texts: list[str] = Field(default_factory=list)
    embeddings: list[list[float]] = Field(default_factory=list)

    def deserialize(self) -> list[list[float]]:
        """The embedding vectors."""
        return self.embeddings

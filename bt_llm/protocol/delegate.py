"""The synapse a client sends to a delegate endpoint (the bridge) to get one or every miner's answer.

A delegate fans the prompt out to the miners of its subnet; with ``return_all`` it sends back every
successful answer, best first, in ``completions`` (the answering miners in ``uids`` and ``hotkeys``,
the delegate's scores in ``scores``, each answer's tool calls in ``all_tool_calls``).

Structured requests (``tools``, ``response_format``, ``logprobs``, tool messages in ``message_fields``)
travel as in :class:`TextPrompting`; the delegate checks every answer against them, and the best one's
``tool_calls``, ``logprobs_content`` and ``finish_reason`` come back with ``completion``.

Example:
    >>> s = DelegatedTextPrompting(roles=["user"], messages=["hi"], return_all=True)
    >>> s.completions, s.deserialize()
    ([], '')
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bt_llm.protocol.synapses import TextPrompting

__all__ = ["DelegatedTextPrompting"]


class DelegatedTextPrompting(TextPrompting):
    """:class:`TextPrompting` for a delegate: ``completion`` is the best answer, ``completions`` all."""

    required_hash_fields = (*TextPrompting.required_hash_fields, "return_all")

    return_all: bool = False
    completions: list[str] = Field(default_factory=list, description="every good answer, best first")
    uids: list[int] = Field(default_factory=list, description="the miner behind each of completions")
    hotkeys: list[str] = Field(default_factory=list, description="each answering miner's hotkey")
    scores: list[float] = Field(default_factory=list, description="the delegate's score for each answer")
    all_tool_calls: list[list[dict[str, Any]] | None] = Field(
        default_factory=list, description="return_all: each answer's tool calls (None for a text answer)")

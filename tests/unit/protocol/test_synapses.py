"""Our synapses: TextPrompting (+ streaming), TextPromptingBackward, Embedding."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting, TextPromptingBackward


def _prompt(**kw: object) -> TextPrompting:
    return TextPrompting(roles=["system", "user"], messages=["be brief", "hi"], **kw)  # type: ignore[arg-type]


def test_text_prompting_fields_and_chat() -> None:
    s = _prompt(max_tokens=5, temperature=0.2, top_p=0.9, stop=["\n"], seed=1)
    assert s.chat() == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert s.completion == "" and s.deserialize() == ""
    s.completion = "hello"
    assert s.deserialize() == "hello"


@pytest.mark.parametrize(
    "change",
    [
        {"messages": ["be brief", "bye"]},
        {"roles": ["user", "user"]},
        {"max_tokens": 6},
        {"temperature": 0.3},
        {"top_p": 0.8},
        {"stop": ["."]},
        {"seed": 2},
    ],
)
def test_the_hash_covers_every_input(change: dict[str, object]) -> None:
    base = _prompt(max_tokens=5, temperature=0.2, top_p=0.9, stop=["\n"], seed=1)
    other = base.model_copy(update=change)
    assert other.body_hash != base.body_hash


def test_the_hash_does_not_cover_the_output() -> None:
    s = _prompt()
    before = s.body_hash
    s.completion = "answer"
    assert s.body_hash == before


@pytest.mark.parametrize(
    "bad",
    [
        {"roles": ["user"], "messages": ["a", "b"]},
        {"roles": ["user"], "messages": ["a"], "max_tokens": 0},
        {"roles": ["user"], "messages": ["a"], "temperature": -1},
        {"roles": ["user"], "messages": ["a"], "top_p": 1.5},
    ],
)
def test_invalid_prompts_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TextPrompting(**bad)  # type: ignore[arg-type]


def test_streaming_twin_accumulates_chunks() -> None:
    s = StreamingTextPrompting(roles=["user"], messages=["hi"])
    for chunk in ["a", "b", "c"]:
        s.on_chunk(chunk)
    assert s.completion == "abc" == s.deserialize()
    assert s.required_hash_fields == TextPrompting.required_hash_fields


def test_backward_carries_response_and_rewards() -> None:
    s = TextPromptingBackward(roles=["user"], messages=["hi"], completion="yo", rewards=[0.5, 1.0])
    assert s.response == "yo"
    assert "rewards" in s.required_hash_fields and "completion" in s.required_hash_fields
    assert s.body_hash != s.model_copy(update={"rewards": [0.0]}).body_hash


def test_embedding() -> None:
    s = Embedding(texts=["a", "b"])
    assert s.deserialize() == []
    s.embeddings = [[0.1, 0.2], [0.3, 0.4]]
    assert s.deserialize() == [[0.1, 0.2], [0.3, 0.4]]
    assert s.body_hash != Embedding(texts=["a"]).body_hash

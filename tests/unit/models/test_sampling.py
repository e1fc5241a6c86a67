"""Sampling parameters, message shaping and the streaming stop filter (no torch)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bt_llm.errors import ConfigError
from bt_llm.models.sampling import (
    SamplingParams,
    normalize_messages,
    plain_prompt,
    to_chat,
)
from bt_llm.stops import StopCutter, cut_at_stop


def test_defaults_and_validation() -> None:
    p = SamplingParams()
    assert not p.greedy and p.stop == ()
    assert SamplingParams(stop="x").stop == ("x",)
    assert SamplingParams(stop=["", "y"]).stop == ("y",)
    for bad in ({"max_tokens": 0}, {"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}):
        with pytest.raises(ConfigError):
            SamplingParams(**bad)


def test_from_synapse_overrides_only_what_is_set() -> None:
    base = SamplingParams(max_tokens=50, temperature=0.3)
    syn = SimpleNamespace(max_tokens=None, temperature=0.0, top_p=None, stop=["\n"], seed=7)
    p = SamplingParams.from_synapse(syn, default=base)
    assert (p.max_tokens, p.temperature, p.stop, p.seed, p.greedy) == (50, 0.0, ("\n",), 7, True)


def test_messages() -> None:
    assert to_chat(["system", "user"], ["s", "u"]) == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
    ]
    with pytest.raises(ConfigError):
        to_chat(["user"], [])
    assert normalize_messages("hi") == [{"role": "user", "content": "hi"}]
    assert normalize_messages([("user", "a")]) == [{"role": "user", "content": "a"}]
    with pytest.raises(ConfigError):
        normalize_messages([])
    assert plain_prompt([{"role": "user", "content": "hi"}]) == "user: hi\nassistant:"


def test_stop_filter_holds_back_partial_stop() -> None:
    f = StopCutter(["STOP"])
    assert f.feed("abc S") == "abc "
    assert f.feed("T") == ""
    assert f.feed("x") == "STx"
    assert f.feed("yy ST") == "yy "
    assert f.feed("OP tail") == ""
    assert f.stopped and f.text == "abc STxyy "
    assert f.flush() == ""


@given(st.text(alphabet="abXY", max_size=40), st.lists(st.integers(1, 5), max_size=20))
def test_stop_filter_matches_batch_truncation(text: str, cuts: list[int]) -> None:
    stop = ["XY", "bb"]
    pieces, i = [], 0
    for n in cuts:
        pieces.append(text[i : i + n])
        i += n
    pieces.append(text[i:])
    f = StopCutter(stop)
    emitted = "".join(f.feed(p) for p in pieces) + f.flush()
    assert emitted == cut_at_stop(text, stop)[0] == f.text

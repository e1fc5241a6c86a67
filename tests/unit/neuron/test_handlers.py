"""Miner methods as axon handlers: synapse in, synapse out, one log line per request (no sockets)."""

from __future__ import annotations

import logging
import time
import typing
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from bt_llm.axon.refusal import Refusal
from bt_llm.errors import ConfigError, MinerError
from bt_llm.neuron.handlers import build_handlers
from bt_llm.neuron.miner import Miner, SamplingParams
from bt_llm.neuron.policy import CallerPolicy
from bt_llm.protocol.synapse import TerminalInfo
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting, TextPromptingBackward

POLICY = CallerPolicy(SimpleNamespace(hotkeys=["5Caller"], validator_permit=[True], S=[3.0]))


class Recorder(Miner):
    name = "recorder"
    defaults = SamplingParams(max_tokens=33, temperature=0.5)

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[list[dict[str, str]], SamplingParams]] = []
        self.feedback: list[tuple[str, list[float]]] = []

    def forward(self, messages, params):
        self.seen.append((messages, params))
        return f"echo {messages[-1]['content']}"

    def stream(self, messages, params) -> Iterator[str]:
        yield from ("a", "b", "c")

    def backward(self, messages, response, rewards):
        self.feedback.append((response, list(rewards)))
        return True

    def priority(self, synapse):
        return 99.0 if synapse.dendrite.hotkey == "5Caller" else None


def routes(miner: Miner) -> dict[type, tuple]:
    out = {}
    for forward, blacklist, priority in build_handlers(miner, POLICY):
        first = next(iter(typing.get_type_hints(forward).values()))
        out[first] = (forward, blacklist, priority)
    return out


def prompt(cls=TextPrompting, **fields):
    return cls(roles=["user"], messages=["hi"], dendrite=TerminalInfo(hotkey="5Caller"), **fields)


def test_routes_follow_what_the_miner_overrides() -> None:
    assert set(routes(Recorder())) == {TextPrompting, TextPromptingBackward, StreamingTextPrompting}

    class OnlyEmbed(Miner):
        def embed(self, texts):
            return [[1.0, 0.0] for _ in texts]

    assert set(routes(OnlyEmbed())) == {Embedding}
    with pytest.raises(ConfigError):
        build_handlers(Miner(), POLICY)


def test_text_handler_reads_sampling_from_the_synapse(caplog: pytest.LogCaptureFixture) -> None:
    miner = Recorder()
    forward, _, _ = routes(miner)[TextPrompting]
    with caplog.at_level(logging.INFO, logger="bt_llm.neuron.requests"):
        out = forward(prompt(temperature=0.0, stop=["\n"], seed=4))
    assert out.completion == "echo hi"
    messages, params = miner.seen[0]
    assert messages == [{"role": "user", "content": "hi"}]
    assert (params.max_tokens, params.temperature, params.stop, params.seed) == (33, 0.0, ("\n",), 4)
    assert 0 < params.deadline - time.monotonic() <= 12 * 0.85 - 0.5  # answer within the caller's timeout
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("TextPrompting uid=0 hotkey=5Caller") and "tokens=2 ok" in line and "latency=" in line


def test_stream_handler_yields_chunks_and_logs_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    forward, _, _ = routes(Recorder())[StreamingTextPrompting]
    with caplog.at_level(logging.INFO, logger="bt_llm.neuron.requests"):
        chunks = forward(prompt(StreamingTextPrompting))
        assert not caplog.records  # nothing logged before the stream is consumed
        assert list(chunks) == ["a", "b", "c"]
    assert "StreamingTextPrompting uid=0" in caplog.records[0].getMessage()


def test_default_stream_is_forward_in_one_chunk() -> None:
    class Plain(Miner):
        def forward(self, messages, params):
            return "whole"

    forward, _, _ = routes(Plain())[StreamingTextPrompting]
    assert list(forward(prompt(StreamingTextPrompting))) == ["whole"]


def test_backward_handler_passes_rewards() -> None:
    miner = Recorder()
    forward, _, _ = routes(miner)[TextPromptingBackward]
    out = forward(prompt(TextPromptingBackward, completion="my answer", rewards=[0.25, 0.5]))
    assert out.accepted and miner.feedback == [("my answer", [0.25, 0.5])]


def test_blacklist_and_priority_combine_policy_and_miner() -> None:
    class Picky(Recorder):
        def blacklist(self, synapse):
            return ("banned" in synapse.messages[-1], "no bans")

    _, blacklist, priority = routes(Picky())[TextPrompting]
    assert blacklist(prompt()) == (False, "Validator 5Caller")
    assert blacklist(TextPrompting(roles=["user"], messages=["banned"], dendrite=TerminalInfo(hotkey="5Caller"))) == (
        True, "no bans")
    assert blacklist(TextPrompting(roles=[], messages=[], dendrite=TerminalInfo(hotkey="5X")))[0] is True
    assert priority(prompt()) == 99.0
    assert priority(TextPrompting(dendrite=TerminalInfo(hotkey="5Other"))) == 0.0  # policy: no stake


def test_miner_errors_become_refusals_with_their_status() -> None:
    class Failing(Miner):
        def forward(self, messages, params):
            raise MinerError("upstream http://x answered 429: slow down", status_code=502)

        def stream(self, messages, params):
            yield "partial"
            raise MinerError("upstream died", status_code=503)

    r = routes(Failing())
    with pytest.raises(Refusal) as info:
        r[TextPrompting][0](prompt())
    assert info.value.status_code == 502 and "429: slow down" in info.value.message
    chunks = r[StreamingTextPrompting][0](prompt(StreamingTextPrompting))
    assert next(chunks) == "partial"
    with pytest.raises(Refusal, match="upstream died"):
        next(chunks)


def test_bad_request_values_are_400() -> None:
    forward, _, _ = routes(Recorder())[TextPrompting]
    with pytest.raises(Refusal) as info:
        forward(prompt(max_tokens=None, top_p=None, stop=["x"], seed=None, temperature=None).model_copy(
            update={"temperature": -1.0}))
    assert info.value.status_code == 400


def test_the_deadline_counts_time_spent_queued() -> None:
    from bt_llm.neuron.handlers import answer_deadline

    now = time.perf_counter()
    fresh = TextPrompting(timeout=12.0, axon=TerminalInfo(nonce=time.time_ns()))
    queued = TextPrompting(timeout=12.0, axon=TerminalInfo(nonce=time.time_ns() - 6_000_000_000))
    bogus = TextPrompting(timeout=12.0, axon=TerminalInfo(nonce=1))
    left = {name: answer_deadline(s, now) - time.monotonic() for name, s in
            (("fresh", fresh), ("queued", queued), ("bogus", bogus))}
    assert 9.0 < left["fresh"] <= 9.7
    assert 3.0 < left["queued"] <= 3.7  # 6 s already spent waiting for a worker
    assert 9.0 < left["bogus"] <= 9.7  # an implausible stamp is ignored
    late = TextPrompting(timeout=2.0, axon=TerminalInfo(nonce=time.time_ns() - 1_900_000_000))
    assert 0 < answer_deadline(late, now) - time.monotonic() <= 0.1  # always a sliver to answer with

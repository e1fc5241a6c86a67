"""Hedged fan-out over fake delegates (asyncio timing only): hedging, failures freeing their seat, one
budget for the whole call, cancelled losers, and what the memory keeps (also across processes)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bt_llm.fanout import DelegateMemory, Outcome, hedged
from bt_llm.prompting import Answer, merge_answers


@dataclass(frozen=True)
class Ep:
    hotkey: str
    stake: float = 1.0


class Script:
    """Each delegate: ``("ok", delay)``, ``("fail", delay)``, ``("404", delay)`` or ``("hang", 0)``."""

    def __init__(self, plan: dict[str, tuple[str, float]]) -> None:
        self.plan = plan
        self.started: list[str] = []
        self.cancelled: list[str] = []

    async def __call__(self, ep: Ep, budget: float) -> Outcome[str]:
        self.started.append(ep.hotkey)
        kind, delay = self.plan[ep.hotkey]
        try:
            if kind == "hang":
                await asyncio.sleep(3600)
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled.append(ep.hotkey)
            raise
        if kind == "ok":
            return Outcome(f"answer from {ep.hotkey}")
        return Outcome(failure=f"{kind} from {ep.hotkey}", not_delegate=kind == "404")


def run(endpoints, script, **kw):
    async def main():
        started = time.perf_counter()
        result = await hedged(endpoints, script, **kw)
        return result, time.perf_counter() - started
    return asyncio.run(main())


def test_a_hung_best_delegate_costs_only_the_hedge_delay() -> None:
    memory = DelegateMemory(path=None)
    script = Script({"hung": ("hang", 0), "fast": ("ok", 0.05)})
    (ep, value, _), elapsed = run([Ep("hung", 100), Ep("fast", 1)], script, timeout=10, memory=memory)
    assert ep.hotkey == "fast" and value == "answer from fast"
    assert 1.0 <= elapsed < 1.0 + 0.05 + 0.2  # default hedge delay + the fast answer
    assert script.cancelled == ["hung"]  # the loser's request is cancelled
    # Next call: the hung one measured slow, so the fast one goes first and answers alone.
    script = Script({"hung": ("hang", 0), "fast": ("ok", 0.05)})
    (ep, _, _), elapsed = run([Ep("hung", 100), Ep("fast", 1)], script, timeout=10, memory=memory)
    assert ep.hotkey == "fast" and script.started == ["fast"] and elapsed < 0.3


def test_a_failure_frees_its_seat_at_once_and_cools_down() -> None:
    memory = DelegateMemory(path=None)
    script = Script({"bad": ("fail", 0.01), "good": ("ok", 0.01)})
    (ep, _, _), elapsed = run([Ep("bad", 100), Ep("good", 1)], script, timeout=10, memory=memory)
    assert ep.hotkey == "good" and elapsed < 0.3  # no hedge delay waited after the failure
    assert memory.get("bad").failures == 1 and memory.get("bad").cooldown_until > time.time()
    assert [e.hotkey for e in memory.order([Ep("bad", 100), Ep("good", 1)])] == ["good", "bad"]


def test_an_axon_that_is_no_delegate_is_left_out() -> None:
    memory = DelegateMemory(path=None)
    script = Script({"miner": ("404", 0.01), "good": ("ok", 0.01)})
    run([Ep("miner", 100), Ep("good", 1)], script, timeout=10, memory=memory)
    assert [e.hotkey for e in memory.order([Ep("miner", 100), Ep("good", 1)])] == ["good"]


def test_the_timeout_is_one_budget_for_the_whole_call() -> None:
    memory = DelegateMemory(path=None)
    script = Script({h: ("hang", 0) for h in "abcd"})
    started = time.perf_counter()
    with pytest.raises(TimeoutError) as failed:
        run([Ep(h) for h in "abcd"], script, timeout=1.5, memory=memory, max_in_flight=3)
    assert time.perf_counter() - started < 1.5 + 0.2
    assert len(script.started) == 3  # the hedge at 1.0 s filled the three seats; the fourth never got one
    assert sorted(script.cancelled) == sorted(script.started)
    assert all("no answer within 1.5 s" in f for f in failed.value.args[0])


def test_a_hedge_fills_the_free_seats_at_once() -> None:
    memory = DelegateMemory(path=None)
    script = Script({"hung": ("hang", 0), "slow": ("ok", 2.0), "fast": ("ok", 0.02)})
    (ep, _, _), elapsed = run([Ep("hung", 300), Ep("slow", 200), Ep("fast", 100)], script, timeout=10,
                              memory=memory)
    assert ep.hotkey == "fast" and elapsed < 1.0 + 0.02 + 0.15  # one hedge delay, not two
    assert sorted(script.cancelled) == ["hung", "slow"]


def test_at_most_max_in_flight_at_once() -> None:
    memory = DelegateMemory(path=None)
    for h in "abcd":
        memory.record_success(h, 0.01)  # tiny hedge delays
    script = Script({"a": ("hang", 0), "b": ("hang", 0), "c": ("hang", 0), "d": ("ok", 0.01)})
    with pytest.raises(TimeoutError):
        run([Ep(h, s) for h, s in zip("abcd", (4, 3, 2, 1), strict=True)], script, timeout=0.6, memory=memory,
            max_in_flight=3)
    assert script.started == ["a", "b", "c"]


def test_every_delegate_failing_is_a_lookup_error_naming_each() -> None:
    script = Script({"a": ("fail", 0), "b": ("fail", 0)})
    with pytest.raises(LookupError) as failed:
        run([Ep("a"), Ep("b")], script, timeout=5, memory=DelegateMemory(path=None))
    assert failed.value.args[0] == ["a: fail from a", "b: fail from b"]


def test_memory_survives_the_process_and_expires(tmp_path: Path) -> None:
    path = tmp_path / "delegates.json"
    first = DelegateMemory(path=path)
    first.record_success("fast", 0.1)
    first.record_failure("down")
    again = DelegateMemory(path=path)
    assert again.get("fast").latency == pytest.approx(0.1) and again.get("down").failures == 1
    stale = DelegateMemory(path=path, ttl=0.0)
    assert stale.get("fast").latency is None
    path.write_text("{not json")
    assert DelegateMemory(path=path).get("fast").latency is None  # a damaged file is ignored


def test_merged_answers_are_one_per_miner_best_first() -> None:
    a = [Answer("x", hotkey="m1", uid=1, delegate="d1", score=0.9), Answer("y", hotkey="m2", uid=2, delegate="d1",
                                                                          score=0.4)]
    b = [Answer("y2", hotkey="m2", uid=2, delegate="d2", score=0.6), Answer("z", hotkey="m3", uid=3, delegate="d2",
                                                                           score=0.5)]
    merged = merge_answers([a, b])
    assert merged == ["x", "y2", "z"] and [m.delegate for m in merged] == ["d1", "d2", "d2"]
    assert all(isinstance(m, str) for m in merged)

"""The public solver: finds valid seals, never works on a stale block, stops on cancel and Ctrl-C."""

from __future__ import annotations

import _thread
import io
import random
import threading
import time

import pytest
from rich.console import Console

from bt_llm.errors import ChainError, ConfigError, RegistrationError
from bt_llm.registration.progress import ProgressDisplay, millify, rate, stale_line, status_line
from bt_llm.registration.results import PowProgress, PowSolution
from bt_llm.registration.seal import meets_difficulty, seal
from bt_llm.registration.solver import solve

HOTKEY = bytes(range(100, 132))
IMPOSSIBLE = 2**64 - 1  # expected 2**64 hashes: never solved in a test


@pytest.fixture(autouse=True, scope="module")
def _compiled() -> None:
    """Compile the kernels first, so that timers in these tests never fire during compilation."""
    solve(lambda: (1, bytes(32), 1), HOTKEY, processes=1, update_interval=32)


def _hash(n: int) -> bytes:
    return bytes([n % 256]) * 32


class Chain:
    """A fake chain whose block advances after ``advance_every`` calls of ``get_block``."""

    def __init__(
        self, difficulty: int, *, advance_every: int | None = None, solvable_from: int | None = None
    ) -> None:
        self.block = 100
        self.calls = 0
        self.difficulty = difficulty
        self.advance_every = advance_every
        self.solvable_from = solvable_from

    def __call__(self) -> tuple[int, bytes, int]:
        self.calls += 1
        if self.advance_every and self.calls % self.advance_every == 0:
            self.block += 1
        difficulty = self.difficulty
        if self.solvable_from is not None and self.block < self.solvable_from:
            difficulty = IMPOSSIBLE
        return self.block, _hash(self.block), difficulty


@pytest.mark.parametrize("processes", [1, None])
def test_solves_at_small_difficulty(processes: int | None) -> None:
    chain = Chain(20_000)
    sol = solve(chain, HOTKEY, processes=processes, update_interval=4_096, rng=random.Random(5))
    assert isinstance(sol, PowSolution)
    assert sol.block_number == 100 and sol.difficulty == 20_000
    assert sol.seal == seal(_hash(100), HOTKEY, sol.nonce)
    assert meets_difficulty(sol.seal, 20_000)


def test_random_start_differs_between_runs() -> None:
    a = solve(Chain(10), HOTKEY, processes=1, update_interval=64)
    b = solve(Chain(10), HOTKEY, processes=1, update_interval=64)
    assert a is not None and b is not None and a.nonce != b.nonce


def test_hex_block_hash_is_accepted() -> None:
    sol = solve(lambda: (5, "0x" + _hash(5).hex(), 100), HOTKEY, processes=1, update_interval=64)
    assert sol is not None and sol.seal == seal(_hash(5), HOTKEY, sol.nonce)


def test_stale_work_is_dropped_and_the_solution_is_for_the_new_block() -> None:
    chain = Chain(1_000, advance_every=2, solvable_from=103)
    reports: list[PowProgress] = []
    sol = solve(
        chain, HOTKEY, processes=1, update_interval=256, progress=reports.append, rng=random.Random(1)
    )
    assert sol is not None
    assert sol.block_number >= 103
    assert sol.seal == seal(_hash(sol.block_number), HOTKEY, sol.nonce)
    dropped = [r for r in reports if r.stale_dropped]
    assert [r.previous_block for r in dropped[:3]] == [100, 101, 102]
    assert all(r.block_number == r.previous_block + 1 for r in dropped)
    assert reports[-1].solved and reports[-1].block_number == sol.block_number
    assert reports[-1].nonces_tried > 0 and reports[-1].hash_rate > 0


def test_progress_counts_nonces_and_rounds() -> None:
    reports: list[PowProgress] = []
    cancel = threading.Event()

    def progress(p: PowProgress) -> None:
        reports.append(p)
        if p.rounds == 3:
            cancel.set()

    assert (
        solve(Chain(IMPOSSIBLE), HOTKEY, processes=1, update_interval=64, progress=progress, cancel=cancel)
        is None
    )
    assert [r.rounds for r in reports] == [1, 2, 3]
    assert [r.nonces_tried for r in reports] == [64, 128, 192]
    assert all(r.difficulty == IMPOSSIBLE and not r.solved for r in reports)


def test_cancel_from_another_thread_stops_the_solver() -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        assert solve(Chain(IMPOSSIBLE), HOTKEY, update_interval=1_024, cancel=cancel) is None
    finally:
        timer.cancel()


def test_already_cancelled_does_no_work() -> None:
    cancel = threading.Event()
    cancel.set()
    chain = Chain(1)
    assert solve(chain, HOTKEY, processes=1, cancel=cancel) is None
    assert chain.calls == 1


def test_ctrl_c_stops_between_rounds(python_sigint: None) -> None:
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            solve(Chain(IMPOSSIBLE), HOTKEY, processes=1, update_interval=1_024)
    finally:
        timer.cancel()


def test_bad_inputs() -> None:
    with pytest.raises(RegistrationError):
        solve(Chain(1), bytes(31))
    with pytest.raises(RegistrationError):
        solve(lambda: (1, bytes(31), 1), HOTKEY)
    with pytest.raises(RegistrationError):
        solve(lambda: (1, bytes(32)), HOTKEY)  # type: ignore[arg-type, return-value]
    with pytest.raises(RegistrationError):
        solve(lambda: (1, bytes(32), -1), HOTKEY)
    with pytest.raises(ConfigError):
        solve(Chain(1), HOTKEY, processes=0)
    with pytest.raises(ConfigError):
        solve(Chain(1), HOTKEY, processes=10_000)
    with pytest.raises(ConfigError):
        solve(Chain(1), HOTKEY, update_interval=0)


def test_solution_staleness_rule() -> None:
    sol = PowSolution(block_number=10, nonce=1, seal=bytes(32), difficulty=1)
    assert not sol.is_stale(10) and not sol.is_stale(12)
    assert sol.is_stale(13) and sol.is_stale(9)


def test_progress_display_renders_stats_and_stale_line() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=False)
    chain = Chain(2_000, advance_every=2, solvable_from=102)
    with ProgressDisplay(console) as display:
        sol = solve(chain, HOTKEY, processes=1, update_interval=256, progress=display, rng=random.Random(2))
    out = buf.getvalue()
    assert sol is not None and display.last is not None and display.last.solved
    assert display.stale_drops >= 2
    assert "dropped stale work for block 100" in out
    for label in ("Difficulty", "Block", "Hash rate", "Nonces tried", "Elapsed", "solved"):
        assert label in out


def test_formatting_helpers() -> None:
    assert millify(999) == "999"
    assert millify(10_000_000) == "10.00M"
    assert millify(10**12) == "1.00T"
    assert rate(1_600_000) == "1.60 MH/s"
    assert rate(50_000) == "50.00 kH/s"
    p = PowProgress(difficulty=10**6, block_number=7, nonces_tried=1000, elapsed_s=75, hash_rate=10, rounds=1,
                    stale_dropped=True, previous_block=6)  # fmt: skip
    assert status_line(p) == "difficulty 1.00M | block 7 | 10 H/s | 1.00K nonces | 1 min 15 s"
    assert stale_line(p) == "New block 7: dropped stale work for block 6"


def test_a_slow_node_does_not_stall_the_hashing() -> None:
    calls = []

    def slow_get_block() -> tuple[int, bytes, int]:
        calls.append(1)
        if len(calls) > 1:
            time.sleep(0.5)
        return 100, _hash(100), IMPOSSIBLE

    reports: list[PowProgress] = []
    cancel = threading.Event()
    timer = threading.Timer(0.4, cancel.set)
    timer.start()
    try:
        assert solve(slow_get_block, HOTKEY, processes=1, update_interval=64, progress=reports.append,
                     cancel=cancel) is None  # fmt: skip
    finally:
        timer.cancel()
    assert len(calls) == 2  # one answer awaited, not one per round
    assert len(reports) > 10


def test_get_block_errors_reach_the_caller() -> None:
    calls = []

    def failing() -> tuple[int, bytes, int]:
        calls.append(1)
        if len(calls) > 1:
            raise ChainError("node went away")
        return 100, _hash(100), IMPOSSIBLE

    with pytest.raises(ChainError, match="node went away"):
        solve(failing, HOTKEY, processes=1, update_interval=64)

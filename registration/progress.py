"""A live display of the solver's progress, as btcli shows it while registering.

:class:`ProgressDisplay` is a progress callback (``PowProgress -> None``) that keeps a rich ``Live``
panel up to date: difficulty, block, hash rate (moving average), nonces tried and elapsed time. When
the chain advances it prints one line above the panel saying which block's work was dropped.

Example:
    >>> from registration.results import PowProgress
    >>> status_line(PowProgress(difficulty=10_000_000, block_number=42, nonces_tried=3_000_000,
    ...                         elapsed_s=1.5, hash_rate=2_000_000.0, rounds=3))
    'difficulty 10.00M | block 42 | 2.00 MH/s | 3.00M nonces | 1.5 s'
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from bt_llm.registration.results import PowProgress

_UNITS = ["", "K", "M", "B", "T", "Q"]


def millify(n: float) -> str:
    """``12_345_678`` -> ``'12.35M'``: the scale the seed's btcli prints difficulties in."""
    i = 0
    while abs(n) >= 1000 and i < len(_UNITS) - 1:
        n /= 1000
        i += 1
    return f"{n:.2f}{_UNITS[i]}" if i else f"{n:.0f}"


def rate(hashes_per_s: float) -> str:
    """A hash rate with its unit: ``'2.00 MH/s'``."""
    for unit, scale in (("GH/s", 1e9), ("MH/s", 1e6), ("kH/s", 1e3)):
        if hashes_per_s >= scale:
            return f"{hashes_per_s / scale:.2f} {unit}"
    return f"{hashes_per_s:.0f} H/s"


def duration(seconds: float) -> str:
    """``75.2`` -> ``'1 min 15 s'``; under a minute with one decimal."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def status_line(p: PowProgress) -> str:
    """The progress report as one line (logs, non-terminal output)."""
    return (
        f"difficulty {millify(p.difficulty)} | block {p.block_number} | {rate(p.hash_rate)} | "
        f"{millify(p.nonces_tried)} nonces | {duration(p.elapsed_s)}"
    )


def stale_line(p: PowProgress) -> str:
    """The line printed when the chain advanced and the work for the previous block was dropped."""
    return f"New block {p.block_number}: dropped stale work for block {p.previous_block}"


def render(p: PowProgress, *, title: str = "Registration proof of work") -> Table:
    """The live panel for one report."""
    table = Table(title=title, show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Difficulty", millify(p.difficulty))
    table.add_row("Block", str(p.block_number))
    table.add_row("Hash rate", rate(p.hash_rate))
    table.add_row("Nonces tried", millify(p.nonces_tried))
    table.add_row("Elapsed", duration(p.elapsed_s))
    if p.solved:
        table.add_row("Status", "[green]solved[/green]")
    return table


class ProgressDisplay:
    """A progress callback that renders a rich live panel; use it as a context manager.

    Args:
        console: where to draw (default: a new stderr-less ``Console``).
        refresh_per_second: how often the panel redraws at most.
    """

    def __init__(self, console: Console | None = None, *, refresh_per_second: float = 4.0) -> None:
        self.console = console or Console()
        self.last: PowProgress | None = None
        self.stale_drops = 0
        waiting = Text("Preparing the solver (Numba compiles it on first use)...", style="dim")
        self._live = Live(
            waiting, console=self.console, refresh_per_second=refresh_per_second, transient=False
        )

    def __enter__(self) -> ProgressDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._live.stop()
        if not self.console.is_terminal:  # rich leaves the last frame without its line end there
            self.console.line()

    def __call__(self, p: PowProgress) -> None:
        self.last = p
        if p.stale_dropped:
            self.stale_drops += 1
            self._live.console.print(f"[yellow]{stale_line(p)}[/yellow]")
        self._live.update(render(p), refresh=p.solved)

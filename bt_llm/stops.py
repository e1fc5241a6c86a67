"""Stop sequences: cut a text, or a stream of text, at the first one (the one home of this logic: the
bridge, the LangChain classes and the miners' engine use it).

Example:
    >>> cut_at_stop("one two. three", ["."])
    ('one two', True)
    >>> cutter = StopCutter(["END"])
    >>> [cutter.feed(piece) for piece in ["abc E", "N", "D more"]], cutter.flush()
    (['abc ', '', ''], '')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence


def cut_at_stop(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    """``text`` up to the earliest stop sequence, and whether one was found."""
    positions = [i for i in (text.find(s) for s in (stop or ()) if s) if i >= 0]
    return (text[: min(positions)], True) if positions else (text, False)


class StopCutter:
    """Cuts streamed text at the first stop sequence, holding back a tail that may begin one."""

    def __init__(self, stop: Sequence[str] | None) -> None:
        self.stop = tuple(s for s in (stop or ()) if s)
        self._hold = max((len(s) - 1 for s in self.stop), default=0)
        self.buffer = ""
        self.stopped = False
        self.text = ""  # everything emitted so far

    def feed(self, text: str) -> str:
        """The part of ``text`` that is safe to emit now."""
        if self.stopped:
            return ""
        self.buffer += text
        cut, found = cut_at_stop(self.buffer, self.stop)
        if found:
            self.stopped, self.buffer = True, ""
            self.text += cut
            return cut
        keep = 0
        for size in range(min(len(self.buffer), self._hold), 0, -1):
            if any(s.startswith(self.buffer[-size:]) for s in self.stop):
                keep = size
                break
        out, self.buffer = (self.buffer[:-keep], self.buffer[-keep:]) if keep else (self.buffer, "")
        self.text += out
        return out

    def flush(self) -> str:
        """What was held back, once the stream ended without a stop sequence."""
        out, self.buffer = self.buffer, ""
        if self.stopped:
            return ""
        self.text += out
        return out

    def feed_all(self, pieces: Iterable[str]) -> Iterator[str]:
        """Filter a whole stream; closes ``pieces`` (when it can) once a stop sequence is seen."""
        for piece in pieces:
            text = self.feed(piece)
            if text:
                yield text
            if self.stopped:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
                return
        tail = self.flush()
        if tail:
            yield tail

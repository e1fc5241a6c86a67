"""A minimal server-sent-events line decoder (``event:`` and ``data:`` fields, blank line ends one).

Example:
    >>> d = SSEDecoder()
    >>> [d.feed(line) for line in ["event: synapse", 'data: {"a": 1}', ""]]
    [None, None, ('synapse', '{"a": 1}')]
"""

from __future__ import annotations

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed lines; get ``(event or None, data)`` when an event is complete."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str | None, str] | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data and self._event is None:
                return None
            event, data = self._event, "\n".join(self._data)
            self._event, self._data = None, []
            return event, data
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        return None

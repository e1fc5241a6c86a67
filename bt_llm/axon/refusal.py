"""``Refusal``: how a pipeline step stops a request with an HTTP status and a message."""

from __future__ import annotations

from bt_llm.errors import ProtocolError

__all__ = ["Refusal"]


class Refusal(ProtocolError):
    """A pipeline step refused the request; ``status_code`` and ``message`` go back to the caller.

    Example:
        >>> r = Refusal(403, "Forbidden. Key is blacklisted: nope.")
        >>> r.status_code, str(r)
        (403, 'Forbidden. Key is blacklisted: nope.')
    """

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)

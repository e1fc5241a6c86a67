"""The dendrite's error → status mapping: what the caller sees when a call fails on the client side.

=================================  ======  ==============================================
exception                          status  message
=================================  ======  ==============================================
``httpx.ConnectError``             503     ``Service unavailable at {ip}:{port}/{name}``
``httpx.TimeoutException``,
``asyncio.TimeoutError``           408     ``Request timeout after {timeout} seconds``
``httpx.RemoteProtocolError``,
``httpx.ReadError`` / ``WriteError``
/ ``CloseError`` (disconnects)     503     ``Service disconnected: ...``
``httpx.DecodingError``,
``httpx.LocalProtocolError``       400     ``Payload error: ...``
``ResponseParseError``             422     ``Failed to parse response: ...``
any other ``httpx.HTTPError`` or
``httpx.StreamError`` or error     500     ``Client error: ...``
=================================  ======  ==============================================

As bittensor's dendrite does, a call never raises: the synapse carries the status. An exception outside
this table is a bug rather than a failure of the network, so it is also logged once, with its traceback.

Example:
    >>> import httpx
    >>> status_for(httpx.ConnectError("refused"), ip="127.0.0.1", port=1, name="Synapse", timeout=12.0)
    (503, 'Service unavailable at 127.0.0.1:1/Synapse')
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from bt_llm.errors import ProtocolError

__all__ = ["ERROR_MAPPING", "ResponseParseError", "status_for"]


class ResponseParseError(ProtocolError):
    """The axon's answer could not be understood (not JSON, or not the synapse's shape)."""


# (status, message prefix) per exception class; looked up along the exception's MRO.
ERROR_MAPPING: dict[type[BaseException], tuple[int, str]] = {
    httpx.ConnectError: (503, "Service unavailable"),
    httpx.TimeoutException: (408, "Request timeout"),
    asyncio.TimeoutError: (408, "Request timeout"),
    httpx.RemoteProtocolError: (503, "Service disconnected"),
    httpx.ReadError: (503, "Service disconnected"),
    httpx.WriteError: (503, "Service disconnected"),
    httpx.CloseError: (503, "Service disconnected"),
    httpx.NetworkError: (503, "Service connection error"),
    httpx.DecodingError: (400, "Payload error"),
    httpx.LocalProtocolError: (400, "Payload error"),
    httpx.ProtocolError: (400, "Payload error"),
    ResponseParseError: (422, "Failed to parse response"),
    httpx.TooManyRedirects: (500, "Client error"),
    httpx.UnsupportedProtocol: (500, "Client error"),
    httpx.ProxyError: (500, "Client error"),
    httpx.HTTPStatusError: (500, "Client error"),
    httpx.InvalidURL: (500, "Client error"),
    httpx.CookieConflict: (500, "Client error"),
    httpx.StreamError: (500, "Client error"),
    httpx.TransportError: (500, "Client error"),
    httpx.RequestError: (500, "Client error"),
    httpx.HTTPError: (500, "Client error"),
}
DEFAULT_ERROR = (500, "Client error")
_MAPPED = tuple(ERROR_MAPPING)  # the classes above, for one isinstance per failed call
log = logging.getLogger("bt_llm.dendrite")


def lookup(exc: BaseException) -> tuple[int, str]:
    """The (status, message prefix) of the most specific mapped class in ``exc``'s MRO."""
    for cls in type(exc).__mro__:
        found = ERROR_MAPPING.get(cls)
        if found is not None:
            return found
    return DEFAULT_ERROR


def status_for(exc: BaseException, *, ip: str | None, port: int | None, name: str, timeout: float | None) -> tuple[int, str]:
    """The status code and message a failed call reports (see the table above)."""
    status, prefix = lookup(exc)
    if not isinstance(exc, _MAPPED):
        log.error("dendrite call to %s:%s/%s failed on an unexpected %s", ip, port, name, type(exc).__name__,
                  exc_info=exc)
    if isinstance(exc, httpx.ConnectError):
        return status, f"{prefix} at {ip}:{port}/{name}"
    if status == 408:
        return status, f"{prefix} after {timeout} seconds"
    detail = str(exc) or type(exc).__name__
    return status, f"{prefix}: {detail}"

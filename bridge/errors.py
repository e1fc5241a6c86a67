"""The bridge's errors, each carrying the HTTP status and OpenAI error ``type``/``code`` it maps to."""

from __future__ import annotations

import re

from bt_llm.errors import PromptError


class BridgeError(PromptError):
    """An error the HTTP API returns as OpenAI's ``{"error": {...}}`` object."""

    status_code = 500
    error_type = "server_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


class InvalidRequest(BridgeError):
    status_code = 400
    error_type = "invalid_request_error"


class AuthenticationFailed(BridgeError):
    status_code = 401
    error_type = "invalid_request_error"


class ModelNotFound(BridgeError):
    status_code = 404
    error_type = "invalid_request_error"


class PayloadTooLarge(BridgeError):
    status_code = 413
    error_type = "invalid_request_error"


class RateLimited(BridgeError):
    status_code = 429
    error_type = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, code="rate_limit_exceeded")
        self.retry_after = retry_after


class CapabilityUnavailable(BridgeError):
    """No miner declared what the request needs (tools, a JSON schema, log-probabilities): the request
    asks for something this subnet does not serve now, like any other unsupported parameter."""

    status_code = 400
    error_type = "invalid_request_error"


class NoMinerAvailable(BridgeError):
    """No miner could be asked or none answered: the reasons are in the message."""

    status_code = 503
    error_type = "service_unavailable"


class MinersTimedOut(BridgeError):
    status_code = 504
    error_type = "timeout"


_ADDRESS = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-fA-F]*:[0-9a-fA-F:]+\](?::\d+)?|https?://[^\s;,)]+")


def scrub_addresses(message: str) -> str:
    """``message`` without network addresses: miners' IPs and ports are not for API clients.

    Example:
        >>> scrub_addresses("uid 3: 503 Cannot connect to 10.0.0.5:8091; uid 4: 408")
        'uid 3: 503 Cannot connect to [miner]; uid 4: 408'
    """
    return _ADDRESS.sub("[miner]", message)

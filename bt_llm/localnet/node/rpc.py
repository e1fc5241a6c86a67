"""JSON-RPC 2.0 plumbing: requests, errors, sessions and subscriptions, independent of the transport.

A :class:`Dispatcher` maps method names to async handlers ``handler(session, params) -> result``. It
parses one message (a request or a batch), runs the handlers, and returns the reply text, turning
every failure into a JSON-RPC error object: a malformed request never raises out of it.

Example:
    >>> import asyncio
    >>> d = Dispatcher()
    >>> async def echo(session, params):
    ...     return params
    >>> d.methods["echo"] = echo
    >>> asyncio.run(d.handle('{"jsonrpc":"2.0","id":1,"method":"echo","params":[7]}', Session()))
    '{"jsonrpc":"2.0","id":1,"result":[7]}'
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from bt_llm.errors import RpcRemoteError

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Substrate's author/pool errors.
POOL_INVALID_TX = 1010
POOL_UNKNOWN_VALIDITY = 1011
POOL_TEMPORARILY_BANNED = 1012
POOL_ALREADY_IMPORTED = 1013
# Substrate's "subscriptions unsupported on this transport".
SUBSCRIPTIONS_UNSUPPORTED = -32090


class RpcFailure(RpcRemoteError):
    """A handler's way of answering with a JSON-RPC error object (what a client sees as RpcRemoteError)."""

    code: int

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message, code=code, data=data)
        self.message = message

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(detail: str) -> RpcFailure:
    return RpcFailure(INVALID_PARAMS, "Invalid params", detail)


_subscription_ids = itertools.count(1)


def new_subscription_id() -> str:
    """A fresh subscription id (unique within the process)."""
    return f"0x{next(_subscription_ids):016x}"


class Session:
    """One client connection. Subscriptions need a ``send`` coroutine (WebSocket); HTTP has none."""

    def __init__(self, send: Callable[[str], Awaitable[None]] | None = None) -> None:
        self._send = send
        self.subscriptions: dict[str, Callable[[], None]] = {}  # id -> cancel
        self.closed = False

    @property
    def can_subscribe(self) -> bool:
        return self._send is not None and not self.closed

    def require_subscriptions(self) -> None:
        if not self.can_subscribe:
            raise RpcFailure(SUBSCRIPTIONS_UNSUPPORTED, "Subscriptions are not available on this transport")

    async def notify(self, method: str, subscription: str, result: Any) -> None:
        """Send a subscription notification; a closed connection drops it silently."""
        if self._send is None or self.closed:
            return
        message = {"jsonrpc": "2.0", "method": method, "params": {"subscription": subscription, "result": result}}
        try:
            await self._send(json.dumps(message, separators=(",", ":")))
        except Exception as exc:
            log.debug("dropping notification to a closed session: %s", exc)
            self.close()

    def add_subscription(self, subscription: str, cancel: Callable[[], None]) -> None:
        self.subscriptions[subscription] = cancel

    def remove_subscription(self, subscription: str) -> bool:
        cancel = self.subscriptions.pop(subscription, None)
        if cancel is None:
            return False
        cancel()
        return True

    def close(self) -> None:
        self.closed = True
        for subscription in list(self.subscriptions):
            self.remove_subscription(subscription)


Handler = Callable[[Session, list[Any]], Awaitable[Any]]


class Dispatcher:
    """Routes JSON-RPC requests to handlers."""

    def __init__(self) -> None:
        self.methods: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler, *aliases: str) -> None:
        for method in (name, *aliases):
            self.methods[method] = handler

    async def handle(self, text: str | bytes, session: Session) -> str | None:
        """Answer one message; returns the reply text, or None when nothing is to be sent."""
        try:
            message = loads(text)
        except (ValueError, UnicodeDecodeError):
            return _dumps(_error(None, RpcFailure(PARSE_ERROR, "Parse error")))
        except RecursionError:  # json's C parser nests one C call per level; deep input runs out of stack
            return _dumps(_error(None, RpcFailure(PARSE_ERROR, "Parse error", "nested too deeply")))
        if isinstance(message, list):
            if not message:
                return _dumps(_error(None, RpcFailure(INVALID_REQUEST, "Invalid request")))
            replies = [r for r in [await self._one(m, session) for m in message] if r is not None]
            return _dumps(replies) if replies else None
        reply = await self._one(message, session)
        return None if reply is None else _dumps(reply)

    async def _one(self, message: Any, session: Session) -> dict[str, Any] | None:
        if not isinstance(message, dict):
            return _error(None, RpcFailure(INVALID_REQUEST, "Invalid request"))
        request_id = message.get("id")
        if not _valid_id(request_id):  # echoing it back could be anything (a structure 900 levels deep)
            return _error(None, RpcFailure(INVALID_REQUEST, "Invalid request", "id must be a string, number or null"))
        if not isinstance(message.get("method"), str):
            return _error(request_id, RpcFailure(INVALID_REQUEST, "Invalid request"))
        is_notification = "id" not in message
        params = message.get("params", [])
        if params is None:
            params = []
        if isinstance(params, dict):
            params = list(params.values())
        if not isinstance(params, list):
            return _error(request_id, invalid_params("params must be an array"))
        handler = self.methods.get(message["method"])
        if handler is None:
            return None if is_notification else _error(
                request_id, RpcFailure(METHOD_NOT_FOUND, f"Method not found: {message['method']}")
            )
        try:
            result = await handler(session, params)
        except RpcFailure as failure:
            return None if is_notification else _error(request_id, failure)
        except Exception as exc:
            log.exception("RPC %s failed", message["method"])
            return None if is_notification else _error(
                request_id, RpcFailure(INTERNAL_ERROR, "Internal error", f"{type(exc).__name__}: {exc}")
            )
        if is_notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: valid JSON text, but no float holds it, and "Infinity" is no JSON to echo
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def loads(text: str | bytes) -> Any:
    """Strict JSON: Python's ``NaN``/``Infinity`` extensions and numbers that overflow a float are errors."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def _valid_id(request_id: Any) -> bool:
    """JSON-RPC 2.0: an id is a string, a number or null."""
    return request_id is None or isinstance(request_id, (str, float)) or (
        isinstance(request_id, int) and not isinstance(request_id, bool))


def _error(request_id: Any, failure: RpcFailure) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": failure.to_json()}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def param(params: list[Any], index: int, default: Any = None) -> Any:
    """The positional parameter ``index``, or ``default`` when absent or null."""
    if index < len(params) and params[index] is not None:
        return params[index]
    return default


def hex_param(params: list[Any], index: int, *, name: str, required: bool = True) -> bytes | None:
    """A ``0x``-hex parameter as bytes; None when optional and absent."""
    value = param(params, index)
    if value is None:
        if required:
            raise invalid_params(f"missing parameter {name}")
        return None
    if not isinstance(value, str):
        raise invalid_params(f"{name} must be a 0x-prefixed hex string")
    text = value[2:] if value.startswith("0x") else value
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise invalid_params(f"{name} is not valid hex") from exc

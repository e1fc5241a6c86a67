"""One thread-safe connection to a Substrate node, with every dependency error translated.

substrate-interface is synchronous and its websocket is not safe to share between threads, so
every operation here runs under one re-entrant lock. Errors of substrate-interface, scalecodec and
websocket-client become the most specific error of ``bt_llm.errors``:

==========================================  =====================================
dependency error                            ours
==========================================  =====================================
refused / unreachable / handshake failure   ``RpcConnectError``
websocket timeout                           ``RpcTimeoutError``
``SubstrateRequestException`` (error obj)   ``RpcRemoteError`` (code, data)
connection closed mid-call, bad JSON/SCALE  ``RpcProtocolError``
unknown pallet / storage item / call        ``ChainError``
==========================================  =====================================
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bt_llm.errors import (
    BtLlmError,
    ChainError,
    RpcConnectError,
    RpcProtocolError,
    RpcRemoteError,
    RpcTimeoutError,
)

T = TypeVar("T")
SS58_FORMAT = 42


def _remote_error(exc: Exception) -> RpcRemoteError:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, dict):
        message = str(detail.get("message", detail))
        data = detail.get("data")
        if data:
            message = f"{message}: {data}"
        return RpcRemoteError(message, code=detail.get("code"), data=data)
    return RpcRemoteError(str(detail))


def translate(exc: BaseException, endpoint: str) -> BtLlmError | None:
    """Map an exception that entered from the node or the client library to our hierarchy; None for one
    our own code raised (a bug: it is not dressed up as a protocol error)."""
    from substrateinterface.exceptions import (
        BlockNotFound,
        ConfigurationError,
        StorageFunctionNotFound,
        SubstrateRequestException,
    )
    from websocket import (
        WebSocketAddressException,
        WebSocketBadStatusException,
        WebSocketConnectionClosedException,
        WebSocketException,
        WebSocketTimeoutException,
    )

    if isinstance(exc, SubstrateRequestException):
        return _remote_error(exc)
    if isinstance(exc, WebSocketTimeoutException | TimeoutError):
        return RpcTimeoutError(f"{endpoint} did not answer in time")
    if isinstance(exc, WebSocketConnectionClosedException | BrokenPipeError | ConnectionResetError):
        return RpcProtocolError(f"the connection to {endpoint} closed: {exc}")
    if isinstance(exc, ConnectionRefusedError | WebSocketAddressException | WebSocketBadStatusException):
        return RpcConnectError(f"could not connect to {endpoint}: {exc}")
    if isinstance(exc, OSError):
        return RpcConnectError(f"could not reach {endpoint}: {exc}")
    if isinstance(exc, WebSocketException):
        return RpcProtocolError(f"websocket error talking to {endpoint}: {exc}")
    if isinstance(exc, StorageFunctionNotFound | ConfigurationError):
        return ChainError(str(exc))
    if isinstance(exc, BlockNotFound):
        return ChainError(f"block not found: {exc}")
    if _raised_by_a_dependency(exc):  # e.g. a KeyError inside substrate-interface on a malformed answer
        return RpcProtocolError(f"{type(exc).__name__} talking to {endpoint}: {exc}")
    return None  # raised by our own code: a bug, which propagates as it is


_DEPENDENCIES = ("substrateinterface", "scalecodec", "websocket", "bt_decode")
_OURS = str(Path(__file__).resolve().parents[1]) + "/"  # the bt_llm package


def _raised_by_a_dependency(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` that is ours or a chain dependency's is the dependency's."""
    owner = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(_OURS):
            owner = "ours"
        elif any(name in Path(filename).parts for name in _DEPENDENCIES):
            owner = "dependency"
        tb = tb.tb_next
    return owner == "dependency"


class _MetadataCache:
    """A process-wide stand-in for substrate-interface's dogpile ``cache_region``: decoded metadata per
    (endpoint, genesis hash, spec version), so a second client of the same chain skips the ~1.5 s
    metadata decode."""

    _lock = threading.Lock()
    _store: dict[tuple[str, str, str], Any] = {}

    def __init__(self, endpoint: str, genesis: str) -> None:
        self._scope = (endpoint, genesis)

    def get(self, key: str) -> Any:
        with self._lock:
            return self._store.get((*self._scope, key))

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._store[(*self._scope, key)] = value


class ChainConnection:
    """A lazily-opened, lock-guarded ``SubstrateInterface``.

    Args:
        endpoint: ``ws://`` / ``wss://`` URL (``http(s)://`` works without subscriptions).
        timeout: seconds a single websocket read may wait.
        opener: builds the ``SubstrateInterface`` (a seam for tests: e.g. one over a fake websocket).
    """

    def __init__(self, endpoint: str, *, timeout: float = 120.0, opener: Callable[[], Any] | None = None) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._opener = opener or self._open
        self._lock = threading.RLock()
        self._substrate: Any = None

    @contextmanager
    def session(self) -> Iterator[Any]:
        """Hold the lock and yield the ``SubstrateInterface``; translate every dependency error."""
        with self._lock:
            try:
                if self._substrate is None:
                    self._substrate = self._opener()
                yield self._substrate
            except BtLlmError:
                raise
            except Exception as exc:
                error = translate(exc, self.endpoint)
                if error is None:
                    raise
                if isinstance(error, RpcConnectError | RpcProtocolError | RpcTimeoutError):
                    self._drop()  # the socket is in an unknown state: the next call reconnects
                raise error from exc

    def run(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(substrate)`` inside :meth:`session`."""
        with self.session() as substrate:
            return fn(substrate)

    def _open(self) -> Any:
        from substrateinterface import SubstrateInterface

        substrate = SubstrateInterface(url=self.endpoint, ss58_format=SS58_FORMAT, use_remote_preset=False,
                                       ws_options={"timeout": self.timeout,
                                                   # JSON decoding checks UTF-8 anyway; websocket-client's
                                                   # pure-Python check costs ~1.5 s per MiB
                                                   "skip_utf8_validation": True})
        genesis = substrate.rpc_request("chain_getBlockHash", [0]).get("result")
        if genesis:
            substrate.cache_region = _MetadataCache(self.endpoint, str(genesis))
        return substrate

    def _drop(self) -> None:
        if self._substrate is not None:
            try:
                self._substrate.close()
            except Exception:  # closing a broken socket must not hide the real error
                pass
            self._substrate = None

    def close(self) -> None:
        """Close the websocket; the next call reconnects."""
        with self._lock:
            self._drop()

    # --- raw helpers -------------------------------------------------------------------------------

    def rpc(self, method: str, params: list[Any]) -> Any:
        """A raw JSON-RPC call; returns its ``result``.

        Raises:
            RpcRemoteError: the node answered with an error object.
        """
        def call(substrate: Any) -> Any:
            response = substrate.rpc_request(method, params)
            if "error" in response:
                raise _remote_error(Exception(response["error"]))
            return response.get("result")

        return self.run(call)

    def block_hash(self, block: int | None) -> str | None:
        """The hash of block ``block`` (``None`` → ``None``: the head).

        Raises:
            ChainError: the node does not know that block.
        """
        if block is None:
            return None
        result = self.rpc("chain_getBlockHash", [int(block)])
        if not result:
            raise ChainError(f"block {block} is not known to {self.endpoint}")
        return result

    def current_block(self) -> int:
        header = self.rpc("chain_getHeader", [])
        if not header or "number" not in header:
            raise RpcProtocolError("chain_getHeader returned no header")
        number = header["number"]
        return int(number, 16) if isinstance(number, str) else int(number)

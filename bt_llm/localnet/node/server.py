"""The node's transport: JSON-RPC over WebSocket and HTTP POST on one port (Starlette on uvicorn).

``create_app(dispatcher)`` builds the ASGI app; :class:`NodeServer` runs it with uvicorn (through
:class:`bt_llm.http_server.HttpServer`), either in the foreground (``serve_forever``) or in a
background thread (``start`` / ``stop``, used by tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bt_llm.http_server import BODY_TIMEOUT, HEADER_TIMEOUT, HttpServer
from bt_llm.localnet.node.rpc import INTERNAL_ERROR, Dispatcher, Session

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def create_app(dispatcher: Dispatcher, *, on_startup: Callable[[], Awaitable[None]] | None = None,
               on_shutdown: Callable[[], Awaitable[None]] | None = None) -> Any:
    """The ASGI app: ``POST /`` answers one JSON-RPC message, ``ws://…/`` carries many plus notifications."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    def too_large() -> Response:
        return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Too large"}},
                            status_code=413)

    async def http_endpoint(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_MESSAGE_BYTES:
            return too_large()  # refused before reading a byte of it
        body = bytearray()
        async for chunk in request.stream():  # a chunked body has no length to check up front
            body += chunk
            if len(body) > MAX_MESSAGE_BYTES:
                return too_large()
        reply = await dispatcher.handle(bytes(body), Session())
        return Response(reply or "", media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ws_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        send_lock = asyncio.Lock()

        async def send(text: str) -> None:
            async with send_lock:
                await websocket.send_text(text)

        session = Session(send)
        tasks: set[asyncio.Task[None]] = set()

        async def answer(message: str) -> None:
            try:
                reply = await dispatcher.handle(message, session)
            except Exception:
                # A bug, not a bad request (the dispatcher answers those): log it, and answer so the
                # client is not left waiting forever (over HTTP, the same bug is a 500).
                log.exception("answering a WebSocket message failed")
                reply = json.dumps({"jsonrpc": "2.0", "id": None,
                                    "error": {"code": INTERNAL_ERROR, "message": "Internal error"}})
            if reply is not None and not session.closed:
                try:
                    await send(reply)
                except Exception as exc:  # the client went away meanwhile
                    log.debug("reply dropped: %s", exc)

        try:
            while True:
                received = await websocket.receive()
                if received["type"] == "websocket.disconnect":
                    break
                text = received.get("text")
                if text is None and received.get("bytes") is not None:
                    text = received["bytes"].decode("utf-8", "replace")
                if text is None:
                    continue
                # Each request runs on its own, so a slow one never blocks the connection.
                task = asyncio.create_task(answer(text))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            # In-flight requests finish (a submit or a seal is never cut in half); their replies are dropped.
            session.close()

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if on_startup is not None:
            await on_startup()
        try:
            yield
        finally:
            if on_shutdown is not None:
                await on_shutdown()

    return Starlette(
        routes=[Route("/", http_endpoint, methods=["POST"]), Route("/health", health, methods=["GET"]),
                WebSocketRoute("/", ws_endpoint)],
        lifespan=lifespan,
    )


class NodeServer:
    """Runs an ASGI app with uvicorn on ``host:port`` (``port=0`` picks a free one), WebSocket and HTTP.

    Raises (at construction):
        ConfigError: ``host:port`` cannot be bound ("cannot listen on HOST:PORT: ...").
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 9944, log_level: str = "warning",
                 header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT) -> None:
        self._http = HttpServer(  # bound now: a busy port is a ConfigError before anything runs
            app, host=host, port=port, name="node", log_level=log_level, lifespan="on", ws="websockets-sansio",
            ws_max_size=MAX_MESSAGE_BYTES, ws_ping_interval=None, timeout_graceful_shutdown=3,
            header_timeout=header_timeout, body_timeout=body_timeout,
        )
        self.host = host
        self.port = self._http.port

    @property
    def url(self) -> str:
        return f"ws://{self._http.url.removeprefix('http://')}"

    @property
    def http_url(self) -> str:
        return self._http.url

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        self._http.serve_forever()

    def start(self, timeout: float = 20.0) -> None:
        """Serve in a background thread; returns once the port accepts connections.

        Raises:
            ConfigError: the server did not come up (its lifespan startup failed: uvicorn logged why).
        """
        self._http.start(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop a server started with :meth:`start`."""
        self._http.stop(timeout)

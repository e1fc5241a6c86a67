"""The bridge's HTTP application: routers, OpenAI-shaped error handlers, size limit, health, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bt_llm.bridge.auth import Authenticator, RateLimiter
from bt_llm.bridge.backend import Backend
from bt_llm.bridge.dashboard import DashboardSource, build_dashboard_router
from bt_llm.bridge.errors import BridgeError, RateLimited, scrub_addresses
from bt_llm.bridge.health import HealthFn, report
from bt_llm.bridge.metrics import CONTENT_TYPE, BridgeMetrics
from bt_llm.bridge.openai.router import build_router

log = logging.getLogger("bridge.http")


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    api_keys: frozenset[str] | dict[str, float | None] = frozenset()
    """Bearer keys (none: the API is open), each with its own requests/minute or None for the default."""
    rate_limit_per_minute: float = 600.0
    max_body_bytes: int = 1_000_000


def error_response(status: int, message: str, error_type: str, *, param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    # A client's own bytes echoed back (a model name, a parameter) may hold a lone surrogate: escaped.
    message = scrub_addresses(message).encode("utf-8", "backslashreplace").decode("utf-8")
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by header and while streaming in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"Request body larger than {self.limit} bytes.", "invalid_request_error")
        await response(scope, receive, send)


class _TooLarge(FastAPIHTTPException):
    """Raised while the body streams in; FastAPI lets HTTP exceptions through its body reading."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body larger than {limit} bytes.")


class CancelOnDisconnect:
    """Cancels a request's work when its client goes away, so no miner is asked for a gone caller.

    Once the body has been read, one watcher waits for ``http.disconnect`` and cancels the app's
    task; the cancellation reaches the fan-out, whose calls close their connections to the miners.
    Streaming answers already stop this way (Starlette listens while it streams); this covers the
    JSON ones, which Starlette only notices failing when it writes the answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body_read = asyncio.Event()

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read.set()
            return message

        # The request runs in this task; only the watcher is a task of its own (one task per request:
        # running the app in a second one too cost ~10% of req/s at concurrency 1 in benchmarks/bridge.py).
        work = asyncio.current_task()
        gone = False

        async def watch() -> None:
            nonlocal gone
            await body_read.wait()
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            if work is not None:
                work.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            await self.app(scope, watched_receive, send)
        except asyncio.CancelledError:
            if not gone or work is None:  # the server is stopping: not ours to swallow
                raise
            work.uncancel()
        finally:
            watcher.cancel()


class Observe:
    """Counts requests by route and status, times them and counts those in flight (pure ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp, metrics: BridgeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        self.metrics.in_flight.inc()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except asyncio.CancelledError:
            status = 499  # the client closed the request (nginx's code for it)
            raise
        finally:
            self.metrics.in_flight.dec()
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.record_request(route, status, time.perf_counter() - started)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "Invalid request.", None
    first = errors[0]
    if first.get("type") == "json_invalid":  # loc holds a character offset, not a parameter
        return (f"We could not parse the JSON body of your request ({first.get('ctx', {}).get('error', 'invalid JSON')}"
                " at position {}).".format(first.get("loc", ("", "?"))[-1]), None)
    if first.get("type") == "lone_surrogate":  # the path is in the context: the check runs on the whole body
        return str(first.get("msg")), first.get("ctx", {}).get("path")
    param = ""
    for part in first.get("loc", ()):
        if part == "body":
            continue
        param += f"[{part}]" if isinstance(part, int) else (f".{part}" if param else str(part))
    return (f"{param}: {first.get('msg')}" if param else str(first.get("msg"))), param or None


def create_app(backend: Backend, settings: HttpSettings | None = None, metrics: BridgeMetrics | None = None,
               health: HealthFn | None = None, scores: Callable[[], dict[str, Any]] | None = None,
               dashboard: DashboardSource | None = None) -> FastAPI:
    """The OpenAI-compatible app over ``backend``; ``health`` (default: the backend's) feeds ``/readyz``,
    ``scores`` (the validator's view of each miner) ``/scores``, ``dashboard`` ``/dashboard``."""
    settings = settings or HttpSettings()
    metrics = metrics or BridgeMetrics()
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        close = getattr(backend, "aclose", None)  # the server's loop ends: its connections to the miners too
        if close is not None:
            await close()

    app = FastAPI(title="bt-llm bridge", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=lifespan)
    app.state.metrics = metrics
    authenticator = Authenticator(settings.api_keys)
    own_limits = settings.api_keys if isinstance(settings.api_keys, dict) else {}
    limiter = RateLimiter(settings.rate_limit_per_minute,
                          per_caller={f"key:{k}": v for k, v in own_limits.items() if v is not None})
    api = build_router(backend, authenticator, limiter)
    app.include_router(api)

    @app.exception_handler(BridgeError)
    async def bridge_error(_: Request, exc: BridgeError) -> JSONResponse:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if isinstance(exc, RateLimited) else None
        return error_response(exc.status_code, exc.message, exc.error_type, param=exc.param, code=exc.code,
                              headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return error_response(400, message, "invalid_request_error", param=param)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI answers a body it could not read with "There was an error parsing the body": say why.
        if isinstance(exc.__cause__, UnicodeDecodeError):
            return await not_utf8(_, exc.__cause__)
        if isinstance(exc.__cause__, RecursionError):
            return await too_deep(_, exc.__cause__)
        error_type = "not_found" if exc.status_code == 404 else "invalid_request_error"
        return error_response(exc.status_code, str(exc.detail), error_type)

    @app.exception_handler(UnicodeDecodeError)
    async def not_utf8(_: Request, exc: UnicodeDecodeError) -> JSONResponse:
        return error_response(400, f"The request body is not valid UTF-8 (byte {exc.start}).",
                              "invalid_request_error")

    @app.exception_handler(RecursionError)
    async def too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        return error_response(400, "The JSON body is nested too deeply.", "invalid_request_error")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the bridge")
        return error_response(500, "The bridge failed to process the request.", "server_error")

    checks = health or backend.health

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness: 200 while this process serves; the body says whether it can answer (``/readyz``)."""
        ready, body = report(checks())
        return JSONResponse({**body, "status": "ok" if ready else "degraded", "live": True})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 when every check passes, else 503 naming the ones that fail."""
        ready, body = report(checks())
        return JSONResponse(body, status_code=200 if ready else 503)

    if scores is not None:
        @app.get("/scores")
        async def miner_scores() -> JSONResponse:
            """Each miner's running score, verification record and last score's parts (``btcli bridge scores``)."""
            return JSONResponse(scores())

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    if dashboard is not None:
        app.include_router(build_dashboard_router(dashboard))

    # FastAPI routes every request: a pure-ASGI shortcut past its routing (removed) earned +15% req/s at
    # concurrency 10 in benchmarks/bridge.py, under the 20% that would justify a second router.
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(Observe, metrics=metrics)
    app.add_middleware(CancelOnDisconnect)
    return app

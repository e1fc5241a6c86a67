"""The axon's ASGI app: one route per attached synapse, each request through the pipeline in order.

parse (404/400/413) → blacklist (403) → verify (401) → priority queue (503/408) → forward (408/500).
Every answer carries the synapse headers with the axon's terminal info filled in and signed; errors
answer ``{"message": ...}``; no traceback ever leaves the process.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bt_llm.axon.blacklist import BlacklistFn, run_blacklist
from bt_llm.axon.forward import ForwardFn, call_forward, internal_error, stream_events
from bt_llm.axon.gate import PriorityGate, QueueFull
from bt_llm.axon.parse import build_synapse, check_content_length, read_body
from bt_llm.axon.refusal import Refusal
from bt_llm.axon.verify import NonceStore, VerifyFn, run_verify
from bt_llm.protocol import signing
from bt_llm.protocol.synapse import StreamingSynapse, Synapse, TerminalInfo
from bt_llm.protocol.version import version_as_int

__all__ = ["Pipeline", "PriorityFn", "Route", "create_app"]

PriorityFn = Callable[[Synapse], Any]
_UNSAFE = re.compile(r"[^\x20-\x7e]")


@dataclass
class Route:
    """What ``attach`` registered for one synapse class."""

    synapse_cls: type[Synapse]
    forward: ForwardFn
    blacklist: BlacklistFn | None = None
    priority: PriorityFn | None = None
    verify: VerifyFn | None = None

    @property
    def streaming(self) -> bool:
        return issubclass(self.synapse_cls, StreamingSynapse)


class Pipeline:
    """The request pipeline of one axon; ``handle`` is the Starlette endpoint."""

    def __init__(
        self,
        *,
        keypair: signing.Signer,
        routes: Mapping[str, Route],
        gate: PriorityGate,
        executor: Executor,
        max_body_bytes: int,
        default_blacklist: BlacklistFn | None = None,
        nonces: NonceStore | None = None,
    ) -> None:
        self.keypair = keypair
        self.hotkey = keypair.ss58_address
        self.routes = routes
        self.gate = gate
        self.executor = executor
        self.max_body_bytes = max_body_bytes
        self.default_blacklist = default_blacklist
        self.nonces = nonces or NonceStore()
        self.uuid = str(uuid.uuid1())

    async def handle(self, request: Request) -> Response:
        start = time.perf_counter()
        synapse: Synapse | None = None
        try:
            route = self.routes.get(request.path_params.get("name", ""))
            if route is None:
                raise Refusal(404, f"Synapse name '{request.path_params.get('name', '')}' not found.")
            check_content_length(request.headers, self.max_body_bytes)
            body = await read_body(request.stream(), self.max_body_bytes)
            synapse = build_synapse(route.synapse_cls, request.headers, body)
            self._fill_terminals(synapse, request)
            await run_blacklist(route.blacklist or self.default_blacklist, synapse)
            await run_verify(synapse, self.hotkey, self.nonces, route.verify)
            return await self._queue_and_forward(route, synapse, start)
        except Refusal as refusal:
            return self._error(synapse, refusal, start)
        except Exception as exc:
            return self._error(synapse, internal_error(exc), start)

    async def _queue_and_forward(self, route: Route, synapse: Synapse, start: float) -> Response:
        timeout = float(synapse.timeout or 12.0)
        priority = 0.0
        if route.priority is not None:
            value = route.priority(synapse)
            if inspect.isawaitable(value):
                value = await value
            priority = float(value)
        try:
            await self.gate.acquire(priority, timeout - (time.perf_counter() - start))
        except QueueFull as exc:
            raise Refusal(503, "Service unavailable: the request queue is full.") from exc
        except asyncio.TimeoutError as exc:
            raise Refusal(408, f"Response timeout after: {synapse.timeout}s") from exc
        remaining = timeout - (time.perf_counter() - start)
        if route.streaming:
            return await self._stream(route, synapse, start, remaining)
        result = await call_forward(route.forward, synapse, self.executor, remaining, self.gate.release)
        if result is not None:
            if not isinstance(result, Synapse):
                raise internal_error(TypeError(f"forward returned {type(result).__name__}, not a Synapse"))
            result.dendrite, result.axon = synapse.dendrite, synapse.axon
            synapse = result
        self._set_status(synapse, 200, "Success", start)
        return Response(synapse.model_dump_json(), 200, _safe(synapse.to_headers()), "application/json")

    async def _stream(self, route: Route, synapse: Synapse, start: float, remaining: float) -> Response:
        released = False

        def release_once() -> None:
            nonlocal released
            if not released:
                released = True
                self.gate.release()

        try:
            source = await call_forward(route.forward, synapse, self.executor, remaining, lambda: None)
        except BaseException:
            release_once()
            raise
        if source is None or isinstance(source, (str, bytes, Synapse)):
            release_once()
            raise internal_error(TypeError("a streaming forward must return an iterator of text chunks"))
        self._set_status(synapse, 200, "Success", start)
        headers = _safe(synapse.to_headers())

        def finalize(filled: Synapse) -> str:
            self._set_status(filled, 200, "Success", start)
            return filled.model_dump_json()

        loop_deadline = _loop_time() + remaining
        events = stream_events(source, synapse, self.executor, loop_deadline, release_once, finalize)
        return _GatedStream(events, 200, headers, "text/event-stream", on_close=release_once)

    def _fill_terminals(self, synapse: Synapse, request: Request) -> None:
        # Trusted values only, so the validated models are updated without re-validation (hot path).
        dendrite = synapse.dendrite if synapse.dendrite is not None else TerminalInfo()
        client = request.client
        if client is not None:
            dendrite.__dict__.update(ip=client.host, port=client.port)
        nonce = time.time_ns()
        message = signing.response_message(nonce, dendrite.hotkey, self.hotkey, self.uuid)
        axon = synapse.axon if synapse.axon is not None else TerminalInfo()
        axon.__dict__.update(
            version=version_as_int,
            uuid=self.uuid,
            nonce=nonce,
            hotkey=self.hotkey,
            status_code=100,
            signature=signing.sign(self.keypair, message),
        )
        synapse.__dict__.update(dendrite=dendrite, axon=axon)

    @staticmethod
    def _set_status(synapse: Synapse, code: int, message: str, start: float) -> None:
        if synapse.axon is None:
            synapse.__dict__["axon"] = TerminalInfo()
        synapse.axon.__dict__.update(  # type: ignore[union-attr]
            status_code=code, status_message=message, process_time=time.perf_counter() - start
        )

    def _error(self, synapse: Synapse | None, refusal: Refusal, start: float) -> Response:
        if synapse is None:
            synapse = Synapse()
            synapse.axon = TerminalInfo(version=version_as_int, uuid=self.uuid, hotkey=self.hotkey)
        self._set_status(synapse, refusal.status_code, refusal.message, start)
        try:
            headers = _safe(synapse.to_headers())
        except Exception:  # a synapse that cannot describe itself still gets its error
            headers = {}
        return Response(json.dumps({"message": refusal.message}), refusal.status_code, headers, "application/json")


class _GatedStream(StreamingResponse):
    """A streaming response that gives its worker slot back even when the stream never started."""

    def __init__(self, *args: Any, on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_close = on_close

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()
            self._on_close()


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _safe(headers: dict[str, str]) -> dict[str, str]:
    """Header values limited to printable ASCII, so echoing caller input can never break a response."""
    return {
        key: value if value.isascii() and value.isprintable() and value == value.strip() else _UNSAFE.sub("?", value).strip()
        for key, value in headers.items()
    }


def create_app(pipeline: Pipeline) -> FastAPI:
    """The FastAPI app of an axon: ``/{SynapseName}`` (GET and POST) goes through ``pipeline``."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.router.add_route("/{name}", pipeline.handle, methods=["GET", "POST"])

    async def http_error(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        detail = exc.detail if isinstance(exc, StarletteHTTPException) else "Internal Server Error"
        return Response(json.dumps({"message": str(detail)}), status, media_type="application/json")

    app.add_exception_handler(StarletteHTTPException, http_error)
    return app

"""FastAPI routes of the OpenAI API: auth and rate limit, then JSON or server-sent events.

The POST routes are on the hot path, so they skip FastAPI's generic machinery: the body is validated
straight from its raw bytes (:func:`bridge.openai.fastpath.parse_body`, same errors as FastAPI's), the
caller is checked on the event loop (a sync dependency would cost a thread hop per request), and the
answer goes out pre-serialised (``model_dump_json``, no ``jsonable_encoder``/``json.dumps`` pass).
The OpenAPI description still shows each route's request schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from bridge.auth import Authenticator, RateLimiter
from bridge.backend import Backend
from bridge.errors import BridgeError
from bridge.openai import serving
from bridge.openai.fastpath import json_response, parse_body, request_schema
from bridge.openai.protocol import ChatCompletionRequest, CompletionRequest, EmbeddingRequest

Endpoint = Callable[[Request], Awaitable[Response]]
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def build_router(backend: Backend, authenticator: Authenticator, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(prefix="/v1")

    def admit(request: Request) -> str:
        """The caller's identity once its key and rate limit pass (raises a ``BridgeError`` else)."""
        host = request.client.host if request.client else "unknown"
        identity = authenticator.identify(request.headers.get("authorization"), host)
        limiter.check(identity)
        return identity

    async def event_stream(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
        yield first
        try:
            async for line in rest:
                yield line
        except BridgeError as exc:
            yield serving.error_event(exc.message, exc.error_type)
            yield serving.sse("[DONE]")

    async def start_stream(lines: AsyncIterator[str]) -> Response:
        # Pull the first event before answering, so that errors found up front (no miner, bad model)
        # still get their status code instead of a 200 stream.
        first = await anext(lines)
        return StreamingResponse(event_stream(first, lines), media_type="text/event-stream", headers=SSE_HEADERS)

    def post(path: str, model: type[BaseModel]) -> Callable[[Endpoint], Endpoint]:
        return router.post(path, openapi_extra=request_schema(model, router.prefix + path))

    @router.get("/models")
    async def models(request: Request) -> Response:
        admit(request)
        return json_response(serving.list_models(backend))

    @post("/chat/completions", ChatCompletionRequest)
    async def chat_completions(request: Request) -> Response:
        body = await parse_body(request, ChatCompletionRequest, admit)
        if body.stream:
            return await start_stream(serving.stream_chat_completion(body, backend))
        return json_response(await serving.create_chat_completion(body, backend))

    @post("/completions", CompletionRequest)
    async def completions(request: Request) -> Response:
        body = await parse_body(request, CompletionRequest, admit)
        if body.stream:
            return await start_stream(serving.stream_completion(body, backend))
        return json_response(await serving.create_completion(body, backend))

    @post("/embeddings", EmbeddingRequest)
    async def embeddings(request: Request) -> Response:
        body = await parse_body(request, EmbeddingRequest, admit)
        return json_response(await serving.create_embeddings(body, backend))

    return router

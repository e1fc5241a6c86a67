"""FastAPI routes of the OpenAI API: auth and rate limit, then JSON or server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from bridge.auth import Authenticator, RateLimiter
from bridge.backend import Backend
from bridge.errors import BridgeError
from bridge.openai import serving
from bridge.openai.protocol import ChatCompletionRequest, CompletionRequest, EmbeddingRequest

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def build_router(backend: Backend, authenticator: Authenticator, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(prefix="/v1")

    def caller(request: Request) -> str:
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

    @router.get("/models")
    async def models(_: str = Depends(caller)) -> JSONResponse:
        return JSONResponse(serving.list_models(backend).model_dump())

    @router.post("/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, _: str = Depends(caller)) -> Response:
        if body.stream:
            return await start_stream(serving.stream_chat_completion(body, backend))
        result = await serving.create_chat_completion(body, backend)
        return JSONResponse(result.model_dump())

    @router.post("/completions")
    async def completions(body: CompletionRequest, _: str = Depends(caller)) -> Response:
        if body.stream:
            return await start_stream(serving.stream_completion(body, backend))
        result = await serving.create_completion(body, backend)
        return JSONResponse(result.model_dump())

    @router.post("/embeddings")
    async def embeddings(body: EmbeddingRequest, _: str = Depends(caller)) -> JSONResponse:
        result = await serving.create_embeddings(body, backend)
        return JSONResponse(result.model_dump())

    return router

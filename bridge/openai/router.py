"""FastAPI routes of the OpenAI API: auth and rate limit, then JSON or server-sent events.

Bodies are validated by FastAPI itself (a typed body parameter), the caller is admitted by an async
dependency (no thread hop), and answers go out serialised once by pydantic (``model_dump_json``).
FastAPI reads malformed JSON as a 400 before the caller is checked, and field errors after it, so a bad
key still gets 401 rather than a validation error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from bt_llm.bridge.auth import Authenticator, RateLimiter
from bt_llm.bridge.backend import Backend
from bt_llm.bridge.errors import BridgeError
from bt_llm.bridge.openai import serving
from bt_llm.bridge.openai.protocol import ChatCompletionRequest, CompletionRequest, EmbeddingRequest

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as a JSON answer, serialised in one pass by pydantic."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def build_router(backend: Backend, authenticator: Authenticator, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(prefix="/v1")

    async def admit(request: Request) -> str:
        """The caller's identity once its key and rate limit pass (raises a ``BridgeError`` else)."""
        host = request.client.host if request.client else "unknown"
        identity = authenticator.identify(request.headers.get("authorization"), host)
        limiter.check(identity)
        return identity

    caller = Depends(admit)

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
    async def models(_caller: str = caller) -> Response:
        return json_response(serving.list_models(backend))

    @router.post("/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, _caller: str = caller) -> Response:
        if body.stream:
            return await start_stream(serving.stream_chat_completion(body, backend))
        return json_response(await serving.create_chat_completion(body, backend))

    @router.post("/completions")
    async def completions(body: CompletionRequest, _caller: str = caller) -> Response:
        if body.stream:
            return await start_stream(serving.stream_completion(body, backend))
        return json_response(await serving.create_completion(body, backend))

    @router.post("/embeddings")
    async def embeddings(body: EmbeddingRequest, _caller: str = caller) -> Response:
        return json_response(await serving.create_embeddings(body, backend))

    return router

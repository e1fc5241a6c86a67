"""Pipeline step 5: run the attached function (sync ones in the worker threads) under the deadline.

Past the deadline the caller gets 408 while the handler keeps running; its worker slot is given back
only when it really ends. An exception becomes 500 ``Internal Server Error #{id}`` (logged here, never
sent), except a :class:`~bt_llm.axon.refusal.Refusal`, whose status and message the handler chose.
Streaming handlers return an iterator of text chunks, sent as server-sent events.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any

from bt_llm.axon.refusal import Refusal
from bt_llm.errors import MinerError
from bt_llm.protocol.synapse import StreamingSynapse, Synapse

__all__ = ["ForwardFn", "call_forward", "internal_error", "sse", "stream_events"]

log = logging.getLogger(__name__)

ForwardFn = Callable[[Synapse], Any]
_DONE = object()


def internal_error(exc: BaseException) -> Refusal:
    """Log ``exc`` with a fresh id and return the 500 refusal that names only the id.

    A :class:`~bt_llm.errors.MinerError` is the handler saying why it could not answer (an upstream
    down, no miner behind a delegate): its status and message go to the caller as they are.
    """
    if isinstance(exc, MinerError):
        return Refusal(exc.status_code, exc.message)
    error_id = uuid.uuid4().hex[:12]
    log.error("axon handler failed #%s", error_id, exc_info=(type(exc), exc, exc.__traceback__))
    return Refusal(500, f"Internal Server Error #{error_id}")


async def _invoke(fn: ForwardFn, synapse: Synapse, executor: Executor) -> Any:
    if inspect.iscoroutinefunction(fn):
        return await fn(synapse)
    result = await asyncio.get_running_loop().run_in_executor(executor, fn, synapse)
    if inspect.isawaitable(result):
        result = await result
    return result


async def call_forward(
    fn: ForwardFn, synapse: Synapse, executor: Executor, remaining: float, release: Callable[[], None]
) -> Any:
    """Run ``fn(synapse)``; ``release()`` is called once the handler has really finished.

    Returns:
        What the handler returned (a synapse, ``None`` for in-place, or a chunk iterator).

    Raises:
        Refusal: 408 past ``remaining`` seconds (the handler goes on), 500 on an exception; a
            :class:`Refusal` the handler raises itself passes through with its own status and message.
    """
    task = asyncio.ensure_future(_invoke(fn, synapse, executor))
    try:
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0.0))
    except BaseException:
        task.add_done_callback(_finish(release))
        raise
    if not done:
        task.add_done_callback(_finish(release))
        raise Refusal(408, f"Response timeout after: {synapse.timeout}s")
    release()
    exc = task.exception()
    if exc is not None:
        raise exc if isinstance(exc, Refusal) else internal_error(exc)
    return task.result()


def _finish(release: Callable[[], None]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            internal_error(task.exception())  # type: ignore[arg-type]
        release()

    return done


async def _chunks(source: Any, executor: Executor) -> AsyncIterator[Any]:
    if hasattr(source, "__aiter__"):
        async for chunk in source:
            yield chunk
        return
    iterator = iter(source)
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(executor, next, iterator, _DONE)
        if chunk is _DONE:
            return
        yield chunk


def sse(event: str | None, data: Any) -> bytes:
    """One server-sent event whose data is ``data`` as JSON."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


async def stream_events(
    source: Any,
    synapse: Synapse,
    executor: Executor,
    deadline: float,
    release: Callable[[], None],
    finalize: Callable[[Synapse], str],
) -> AsyncIterator[bytes]:
    """Server-sent events: each chunk (folded into the synapse with ``on_chunk``) (``data: "<json string>"``), then ``event: synapse`` with the
    filled synapse, or ``event: error`` with ``{"status_code", "message"}``; ``release()`` at the end.
    """
    loop = asyncio.get_running_loop()
    iterator = _chunks(source, executor).__aiter__()
    try:
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                chunk = await asyncio.wait_for(iterator.__anext__(), remaining)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                yield sse("error", {"status_code": 408, "message": f"Response timeout after: {synapse.timeout}s"})
                return
            except Exception as exc:
                refusal = exc if isinstance(exc, Refusal) else internal_error(exc)
                yield sse("error", {"status_code": refusal.status_code, "message": refusal.message})
                return
            text = chunk.decode() if isinstance(chunk, bytes) else str(chunk)
            if isinstance(synapse, StreamingSynapse):
                synapse.on_chunk(text)
            yield sse(None, text)
        yield ("event: synapse\ndata: " + finalize(synapse) + "\n\n").encode()
    finally:
        await _aclose(iterator)
        release()


async def _aclose(iterator: Any) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception as exc:  # the handler's cleanup failed; log it, the response is done
            internal_error(exc)

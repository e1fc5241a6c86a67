"""``Dendrite``: sign synapses and send them to axons over one keep-alive connection pool per event loop.

With the default transport a call goes straight to :class:`AxonTransport` (no ``httpx.Request`` or
``httpx.Response`` is built, the errors are still httpx's); streaming calls, a transport passed in
(``httpx.MockTransport``, ``httpx.AsyncHTTPTransport()``) and targets that httpx would have to
normalize go through an ``httpx.AsyncClient`` over the same pool.

Async first (``forward``, ``call``, ``call_stream``); ``query`` is the sync shell. Failures never
raise: they come back as the synapse's ``dendrite.status_code``/``status_message`` (see
:mod:`bt_llm.dendrite.errors`).

Example:
    >>> from substrateinterface import Keypair
    >>> d = Dendrite(Keypair.create_from_uri("//Alice"))
    >>> d.hotkey.startswith("5")
    True
    >>> d.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from bt_llm.dendrite.errors import ResponseParseError, status_for
from bt_llm.dendrite.request import (
    PreparedRequest,
    apply_error,
    apply_fields,
    apply_response,
    apply_stream_start,
    build_request,
    finish_status,
    target_of,
)
from bt_llm.dendrite.sse import SSEDecoder
from bt_llm.dendrite.transport import AxonTransport, encode_post, origin
from bt_llm.errors import ConfigError
from bt_llm.protocol.synapse import StreamingSynapse, Synapse
from bt_llm.seams import AxonAddress, Keypair, Wallet, signer_of

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon

__all__ = ["Dendrite"]

T = TypeVar("T")


class _Pool:
    """One event loop's connections: the lean transport (by default) and, when needed, an httpx client over it."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None, max_connections: int) -> None:
        self.fast = AxonTransport(max_idle=max_connections) if transport is None else None
        self._transport: httpx.AsyncBaseTransport = self.fast if self.fast is not None else transport  # type: ignore[assignment]
        self._max = max_connections
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(max_connections=self._max, max_keepalive_connections=self._max)
            self._client = httpx.AsyncClient(transport=self._transport, limits=limits, timeout=None)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()  # closes the transport too
        elif self.fast is not None:
            await self.fast.aclose()


class Dendrite:
    """A signing client for axons.

    Args:
        wallet: a bt Wallet (its ``.hotkey`` signs) or a Keypair.
        external_ip: announced as ``bt_header_dendrite_ip`` (nothing is looked up on the network).
        max_connections: the pool's size (idle keep-alive connections kept per axon).
        transport: an httpx transport; the default is :class:`AxonTransport` (lean keep-alive HTTP/1.1);
            tests pass ``httpx.MockTransport``, and ``httpx.AsyncHTTPTransport()`` gives httpx's own.
    """

    def __init__(
        self,
        wallet: Wallet | Keypair | None = None,
        *,
        external_ip: str | None = None,
        max_connections: int = 256,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.keypair = signer_of(wallet)
        self.uuid = str(uuid.uuid1())
        self.external_ip = external_ip
        self.max_connections = max_connections
        self._transport = transport
        self._pools: dict[asyncio.AbstractEventLoop, _Pool] = {}
        self._lock = threading.Lock()
        self._uuids: list[str] = [self.uuid]
        self._leased: dict[str, set[str]] = {}
        self._sync_loop: asyncio.AbstractEventLoop | None = None
        self._sync_thread: threading.Thread | None = None

    @property
    def hotkey(self) -> str:
        """The ss58 address requests are signed with."""
        return str(self.keypair.ss58_address)

    # -- the shared pool --------------------------------------------------------------------------
    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = _Pool(self._transport, self.max_connections)
            with self._lock:
                self._pools = {lp: p for lp, p in self._pools.items() if not lp.is_closed()}
                self._pools[loop] = pool
        return pool

    def _client(self) -> httpx.AsyncClient:
        return self._pool().client()

    # -- one uuid per in-flight call to the same axon, so nonces per hotkey:uuid stay ordered ---------
    def _lease(self, target_key: str) -> str:
        with self._lock:
            busy = self._leased.setdefault(target_key, set())
            for candidate in self._uuids:
                if candidate not in busy:
                    break
            else:
                candidate = str(uuid.uuid1())
                self._uuids.append(candidate)
            busy.add(candidate)
            return candidate

    def _unlease(self, target_key: str, leased: str) -> None:
        with self._lock:
            busy = self._leased.get(target_key)
            if busy is not None:
                busy.discard(leased)
                if not busy:
                    del self._leased[target_key]

    # -- calls ------------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _exchange(self, target_axon: AxonAddress | Axon, synapse: Synapse, timeout: float,
                        ) -> AsyncIterator[tuple[AxonAddress, str]]:
        """One request's life, for :meth:`call` and :meth:`call_stream`: the target and a lease on its
        connections going in; any failure mapped to the synapse's status once (never raised), the lease
        returned and the process time set going out."""
        target = target_of(target_axon)
        key = f"{target.ip}:{target.port}"
        leased = self._lease(key)
        start = time.perf_counter()
        try:
            yield target, leased
        except Exception as exc:
            apply_error(synapse, *status_for(exc, ip=target.ip, port=target.port, name=type(synapse).__name__,
                                             timeout=timeout))
        finally:
            self._unlease(key, leased)
            if synapse.dendrite is not None:
                synapse.dendrite.__dict__["process_time"] = time.perf_counter() - start

    async def call(self, target_axon: AxonAddress | Axon, synapse: Synapse | None = None, timeout: float = 12.0, deserialize: bool = True) -> Any:
        """Send ``synapse`` to one axon and return it filled (or its ``deserialize()`` value).

        Never raises for network or protocol failures: see ``synapse.dendrite.status_code``.
        """
        synapse = synapse if synapse is not None else Synapse()
        async with self._exchange(target_axon, synapse, timeout) as (target, leased):
            request = build_request(synapse, target, self.keypair, leased, timeout, self.external_ip)
            async with asyncio.timeout(timeout):  # not wait_for: no task per call
                status, headers, content = await self._post(request, timeout)
            apply_response(synapse, status, headers, content)
        return synapse.deserialize() if deserialize else synapse

    async def _post(self, request: PreparedRequest, timeout: float | None) -> tuple[int, Mapping[str, str], bytes]:
        """POST ``request``: straight on the lean transport when it is ours and httpx would send the same bytes."""
        pool = self._pool()
        if pool.fast is not None:
            where = origin(request.host, request.port) if request.host else None
            if where is not None:
                head = encode_post(where[1], request.path, request.headers, len(request.body))
                if head is not None:
                    answer = await pool.fast.post(where[0], request.port, head, request.body, connect_timeout=timeout)
                    return answer.status, answer.headers, answer.content
        response = await pool.client().post(request.url, headers=request.headers, content=request.body, timeout=timeout)
        return response.status_code, response.headers, response.content

    async def call_stream(
        self, target_axon: AxonAddress | Axon, synapse: StreamingSynapse, timeout: float = 12.0, deserialize: bool = True
    ) -> AsyncIterator[Any]:
        """Yield each text chunk as it arrives, then the completed synapse (or its ``deserialize()``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._exchange(target_axon, synapse, timeout) as (target, leased):
            request = build_request(synapse, target, self.keypair, leased, timeout, self.external_ip)
            client = self._client()
            stream = client.stream("POST", request.url, headers=request.headers, content=request.body, timeout=timeout)
            async with asyncio.timeout(timeout):
                response = await stream.__aenter__()
            try:
                if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
                    async with asyncio.timeout(max(deadline - loop.time(), 0.001)):
                        body = await response.aread()
                    apply_response(synapse, response.status_code, response.headers, body)
                else:
                    apply_stream_start(synapse, response.headers)
                    async for event, data in _events(response, deadline):
                        if event == "error":
                            info = data if isinstance(data, dict) else {}
                            apply_error(synapse, int(info.get("status_code", 500)), str(info.get("message", "")))
                            break
                        if event == "synapse":
                            if not isinstance(data, dict):
                                raise ResponseParseError("the final synapse is not a JSON object")
                            apply_fields(synapse, data)
                            finish_status(synapse, 200)
                            continue
                        chunk = data if isinstance(data, str) else json.dumps(data)
                        synapse.on_chunk(chunk)
                        yield chunk
            finally:
                await stream.__aexit__(None, None, None)
        yield synapse.deserialize() if deserialize else synapse

    async def forward(
        self,
        axons: Any,
        synapse: Synapse | None = None,
        timeout: float = 12.0,
        deserialize: bool = True,
        run_async: bool = True,
        streaming: bool = False,
    ) -> Any:
        """Send a copy of ``synapse`` to each axon.

        Args:
            axons: one target (AxonInfo or Axon) or a list of them.
            synapse: the request; each axon gets its own copy (the caller's synapse is left as it was).
            timeout: seconds for the whole call, per axon.
            deserialize: return ``synapse.deserialize()`` instead of the synapse.
            run_async: query the axons concurrently (else one after another).
            streaming: return async generators (see :meth:`call_stream`) instead of answers.

        Returns:
            One answer for one target, else a list in the order of ``axons``.
        """
        synapse = synapse if synapse is not None else Synapse()
        single = not isinstance(axons, Sequence) or isinstance(axons, (str, bytes))
        targets = [axons] if single else list(axons)
        if streaming:
            if not isinstance(synapse, StreamingSynapse):
                raise ConfigError("streaming=True needs a StreamingSynapse")
            generators = [self.call_stream(t, synapse.model_copy(), timeout, deserialize) for t in targets]
            return generators[0] if single else generators
        calls = [self.call(t, synapse.model_copy(), timeout, deserialize) for t in targets]
        results = list(await asyncio.gather(*calls)) if run_async else [await c for c in calls]
        return results[0] if single else results

    aquery = forward

    # -- the sync shell ---------------------------------------------------------------------------
    def query(self, *args: Any, **kwargs: Any) -> Any:
        """``forward`` for synchronous code (runs on the dendrite's own background event loop)."""
        if kwargs.get("streaming"):
            raise ConfigError("streaming needs the async API: use `await dendrite.forward(..., streaming=True)`")
        return self.run_sync(self.forward(*args, **kwargs))

    def run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion on the dendrite's own background loop (for sync callers)."""
        with self._lock:
            if self._sync_loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="dendrite-sync", daemon=True)
                thread.start()
                self._sync_loop, self._sync_thread = loop, thread
            loop = self._sync_loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    # -- closing ----------------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Close the client of the running loop (and everything, if it is the only one)."""
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.aclose()

    def close(self) -> None:
        """Close the sync shell's loop and its client (call ``aclose`` for an async loop's client)."""
        loop, thread = self._sync_loop, self._sync_thread
        if loop is None or thread is None:
            return
        pool = self._pools.pop(loop, None)
        if pool is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(pool.aclose(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        self._sync_loop = self._sync_thread = None

    async def __aenter__(self) -> Dendrite:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Dendrite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Dendrite({self.hotkey})"


async def _events(response: httpx.Response, deadline: float) -> AsyncIterator[tuple[str | None, Any]]:
    """Parsed server-sent events, each read before ``deadline`` (loop time)."""
    loop = asyncio.get_running_loop()
    decoder = SSEDecoder()
    lines = response.aiter_lines().__aiter__()
    while True:
        try:
            async with asyncio.timeout(max(deadline - loop.time(), 0.001)):
                line = await lines.__anext__()
        except StopAsyncIteration:
            return
        event = decoder.feed(line)
        if event is not None:
            name, data = event
            try:
                yield name, json.loads(data)
            except ValueError as exc:
                raise ResponseParseError("a streamed event is not JSON") from exc

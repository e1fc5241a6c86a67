"""``AxonTransport``: a lean HTTP/1.1 keep-alive transport for ``httpx.AsyncClient``, on asyncio streams.

Axons speak plain HTTP/1.1 on loopback or the open internet, one small JSON request and answer at a
time. httpx's default transport (httpcore over anyio, h11 underneath) spends about 2 ms of CPU per such
call; this one spends about 0.3 ms, which is most of a dendrite's cost. It plugs in below the client,
so the client's API, timeouts and error types stay httpx's.

Supported: ``http://`` only, ``Content-Length`` and chunked request bodies out, ``Content-Length``,
chunked or read-to-close answers in, keep-alive pooling per host (a dead idle connection is retried
once on a fresh one). Errors are httpx's: ``ConnectError``, ``ConnectTimeout``, ``WriteError``,
``ReadError``, ``RemoteProtocolError``, ``UnsupportedProtocol``.

Example:
    >>> import httpx
    >>> client = httpx.AsyncClient(transport=AxonTransport())
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import AsyncIterator, Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple

import httpx

__all__ = ["AxonTransport", "RawResponse", "encode_post", "origin"]

_MAX_LINE = 64 * 1024
_MAX_HEADERS = 200
_READ_SIZE = 64 * 1024


_Head = tuple[bytes, int, bytes, list[tuple[bytes, bytes]], "int | None", bool, bool]
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_PATH = re.compile(r"/[A-Za-z0-9_]+")


class RawResponse(NamedTuple):
    """A whole answer: status, headers as ``httpx.Headers.items()`` gives them (lower-case names,
    repeated ones joined with ``", "``), and the (decoded) body."""

    status: int
    headers: dict[str, str]
    content: bytes


@lru_cache(maxsize=8192, typed=True)
def origin(host: str, port: int) -> tuple[str, bytes] | None:
    """``(connect host, Host header)`` for a URL host that httpx would take unchanged, else ``None``.

    ``host`` is as it appears in a URL (an IPv6 address in brackets). Canonical IP addresses and
    lower-case host names qualify; anything httpx would normalize, encode or reject does not (the
    dendrite then goes through httpx, which gives the same result or the same error as before).
    """
    if type(port) is not int or not 0 < port < 65536:
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            if str(ipaddress.IPv6Address(host[1:-1])) != host[1:-1]:
                return None
        except ValueError:
            return None
        connect = host[1:-1]
    elif _HOSTNAME.fullmatch(host):
        connect = host
        try:
            if str(ipaddress.IPv4Address(host)) != host:
                return None
        except ValueError:
            if host.replace(".", "").isdigit():
                return None  # all-digit names that are not dotted quads: httpx reads them its own way
    else:
        return None
    netloc = host if port == 80 else f"{host}:{port}"
    return connect, netloc.encode("ascii")


@cache
def _client_headers() -> bytes:
    """The header lines an ``httpx.AsyncClient`` adds to every request (Accept, User-Agent, ...)."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _r: httpx.Response(204)), trust_env=False)
    return b"".join(name + b": " + value + b"\r\n" for name, value in client.headers.raw)


def encode_post(netloc: bytes, path: str, headers: Mapping[str, str], body_length: int) -> bytes | None:
    """The request head ``httpx.AsyncClient.post(url, headers=headers, content=body)`` would send.

    Byte for byte what ``AxonTransport`` writes for such a call (Host, httpx's default headers,
    ``headers`` in order, Content-Length), or ``None`` where httpx would encode or reject something
    (a non-ASCII value, a path that needs quoting): the caller then goes through httpx.
    """
    if not _PATH.fullmatch(path):
        return None
    text = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    try:
        lines = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    return b"".join((
        b"POST ", path.encode("ascii"), b" HTTP/1.1\r\nHost: ", netloc, b"\r\n", _client_headers(), lines,
        b"Content-Length: ", str(body_length).encode("ascii"), b"\r\n\r\n",
    ))


def _header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """``dict(httpx.Headers(raw).items())``: lower-case names, repeated ones joined, httpx's charset pick."""
    for encoding in ("ascii", "utf-8"):
        try:
            return _decode_headers(raw, encoding)
        except UnicodeDecodeError:
            continue
    return _decode_headers(raw, "iso-8859-1")


def _decode_headers(raw: list[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw:
        key = name.lower().decode(encoding)
        text = value.decode(encoding)
        previous = out.get(key)
        out[key] = text if previous is None else f"{previous}, {text}"
    return out


async def _read_exactly(reader: asyncio.StreamReader, length: int) -> bytes:
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise httpx.RemoteProtocolError("Server disconnected before the body was complete") from exc
    except (ConnectionError, OSError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc


class _Connection:
    """One TCP connection to an axon."""

    def __init__(self, key: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()

    @property
    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()


class _Body(httpx.AsyncByteStream):
    """The answer's body, read lazily; gives the connection back to the pool when fully read."""

    def __init__(self, transport: AxonTransport, conn: _Connection, length: int | None, chunked: bool, keep: bool) -> None:
        self._transport = transport
        self._conn = conn
        self._length = length
        self._chunked = chunked
        self._keep = keep
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        try:
            if self._chunked:
                while True:
                    size_line = await _readline(reader)
                    try:
                        size = int(size_line.split(b";", 1)[0].strip(), 16)
                    except ValueError as exc:
                        raise httpx.RemoteProtocolError("malformed chunk size") from exc
                    if size == 0:
                        while (await _readline(reader)) not in (b"\r\n", b"\n"):  # trailers
                            pass
                        break
                    data = await reader.readexactly(size)
                    await reader.readexactly(2)
                    yield data
            elif self._length is not None:
                remaining = self._length
                while remaining > 0:
                    data = await reader.read(min(remaining, _READ_SIZE))
                    if not data:
                        raise httpx.RemoteProtocolError("Server disconnected before the body was complete")
                    remaining -= len(data)
                    yield data
            else:
                while data := await reader.read(_READ_SIZE):
                    yield data
                self._keep = False
            self._done = True
        except asyncio.IncompleteReadError as exc:
            raise httpx.RemoteProtocolError("Server disconnected before the body was complete") from exc
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._done and self._keep:
            self._transport._release(self._conn)
        else:
            self._conn.close()


async def _readline(reader: asyncio.StreamReader) -> bytes:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.") from exc
        raise httpx.RemoteProtocolError("Server disconnected mid-line") from exc
    except asyncio.LimitOverrunError as exc:
        raise httpx.RemoteProtocolError("an answer line is too long") from exc
    except (ConnectionError, OSError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    return line


class AxonTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 over asyncio streams; ``max_idle`` idle connections are kept per host."""

    def __init__(self, *, max_idle: int = 64) -> None:
        self.max_idle = max_idle
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"AxonTransport speaks http:// only, not {url.scheme}://")
        key = (url.host, url.port or 80)
        body = await request.aread()
        head = self._head(request, body)
        timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
        conn = self._take(key)
        if conn is not None:
            try:
                return await self._exchange(conn, head, body, request, reused=True)
            except _Stale:
                pass  # the server had closed the idle connection: once more on a fresh one
        conn = await self._connect(key, timeouts.get("connect"))
        return await self._exchange(conn, head, body, request, reused=False)

    @staticmethod
    def _head(request: httpx.Request, body: bytes) -> bytes:
        target = request.url.raw_path.decode("ascii")
        lines = [f"{request.method} {target} HTTP/1.1\r\n".encode("ascii")]
        has_length = False
        for name, value in request.headers.raw:
            lowered = name.lower()
            if lowered == b"transfer-encoding":
                continue
            if lowered == b"content-length":
                has_length = True
                value = str(len(body)).encode()
            lines.append(name + b": " + value + b"\r\n")
        if not has_length and (body or request.method in ("POST", "PUT", "PATCH")):
            lines.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    async def _connect(self, key: tuple[str, int], timeout: float | None) -> _Connection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(key[0], key[1], limit=_MAX_LINE), timeout
            )
        except asyncio.TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {key[0]}:{key[1]} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Connection(key, reader, writer)

    async def _exchange(
        self, conn: _Connection, head: bytes, body: bytes, request: httpx.Request, *, reused: bool
    ) -> httpx.Response:
        version, status, reason, raw_headers, length, chunked, keep = await self._roundtrip(
            conn, head + body, request.method, reused=reused
        )
        stream = _Body(self, conn, None if chunked else length, chunked, keep)
        extensions = {"http_version": version, "reason_phrase": reason}
        return httpx.Response(status, headers=raw_headers, stream=stream, extensions=extensions)

    async def _roundtrip(self, conn: _Connection, data: bytes, method: str, *, reused: bool) -> _Head:
        """Send ``data`` (head and body) and read the answer's status line and headers."""
        try:
            conn.writer.write(data)
            await conn.writer.drain()
            try:
                status_line = await conn.reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise _Stale from exc
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.") from exc
            except asyncio.LimitOverrunError as exc:
                raise httpx.RemoteProtocolError("the status line is too long") from exc
        except (ConnectionError, OSError) as exc:
            conn.close()
            if reused:
                raise _Stale from exc
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            conn.close()
            raise
        try:
            version, status, reason = _status(status_line)
            raw_headers, length, chunked, keep = await _read_headers(conn.reader, version)
        except BaseException:
            conn.close()
            raise
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length, chunked = 0, False
        return version, status, reason, raw_headers, length, chunked, keep

    # -- the dendrite's fast path: no httpx.Request / httpx.Response -------------------------------
    async def post(
        self, host: str, port: int, head: bytes, body: bytes, *, connect_timeout: float | None
    ) -> RawResponse:
        """POST ``head`` + ``body`` (see :func:`encode_post`) to ``host:port`` and read the whole answer.

        The same pool, retries and httpx error types as :meth:`handle_async_request`, without
        building ``httpx`` request and response objects. An answer with a ``Content-Encoding`` is
        decoded as ``httpx`` would (a bad one raises ``httpx.DecodingError``).
        """
        key = (host, port)
        data = head + body
        conn = self._take(key)
        if conn is not None:
            try:
                return await self._post_on(conn, data, reused=True)
            except _Stale:
                pass  # the server had closed the idle connection: once more on a fresh one
        conn = await self._connect(key, connect_timeout)
        return await self._post_on(conn, data, reused=False)

    async def _post_on(self, conn: _Connection, data: bytes, *, reused: bool) -> RawResponse:
        _, status, _, raw_headers, length, chunked, keep = await self._roundtrip(conn, data, "POST", reused=reused)
        try:
            if length is not None and not chunked:
                content = await _read_exactly(conn.reader, length) if length else b""
            else:
                body = _Body(self, conn, None, chunked, keep)
                content = b"".join([chunk async for chunk in body])
                keep = body._keep
        except BaseException:
            conn.close()
            raise
        if keep:
            self._release(conn)
        else:
            conn.close()
        headers = _header_dict(raw_headers)
        if "content-encoding" in headers:
            response = httpx.Response(status, headers=raw_headers, stream=httpx.ByteStream(content))
            content = await response.aread()
        return RawResponse(status, headers, content)

    def _take(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.usable:
                return conn
            conn.close()
        return None

    def _release(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.key, [])
        if self._closed or not conn.usable or len(idle) >= self.max_idle:
            conn.close()
        else:
            idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


class _Stale(Exception):
    """A pooled connection turned out to be closed before any answer byte arrived."""


async def _read_headers(
    reader: asyncio.StreamReader, version: bytes
) -> tuple[list[tuple[bytes, bytes]], int | None, bool, bool]:
    raw_headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = False
    keep = version == b"HTTP/1.1"
    while True:
        line = await _readline(reader)
        if line in (b"\r\n", b"\n"):
            return raw_headers, length, chunked, keep
        if len(raw_headers) >= _MAX_HEADERS:
            raise httpx.RemoteProtocolError("too many answer headers")
        name, sep, value = line.partition(b":")
        if not sep:
            raise httpx.RemoteProtocolError("malformed answer header")
        name, value = name.strip(), value.strip()
        lowered = name.lower()
        if lowered == b"content-length":
            try:
                length = int(value)
            except ValueError as exc:
                raise httpx.RemoteProtocolError("malformed content-length") from exc
            if length < 0:
                raise httpx.RemoteProtocolError("negative content-length")
        elif lowered == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif lowered == b"connection":
            keep = keep and b"close" not in value.lower()
        raw_headers.append((name, value))


def _status(line: bytes) -> tuple[bytes, int, bytes]:
    parts = line.rstrip(b"\r\n").split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise httpx.RemoteProtocolError("not an HTTP/1.x answer")
    try:
        status = int(parts[1])
    except ValueError as exc:
        raise httpx.RemoteProtocolError("malformed status line") from exc
    return parts[0], status, parts[2] if len(parts) > 2 else b""

"""AxonTransport against scripted raw HTTP servers: keep-alive, stale connections, body framings, errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from bt_llm.dendrite.transport import AxonTransport

Reply = Callable[[bytes], bytes | None]  # request bytes -> answer bytes (None: hang up)


class ScriptedServer:
    """Answers each request on each connection with ``reply(request)``; counts connections."""

    def __init__(self, reply: Reply, close_after_each: bool = False) -> None:
        self.reply = reply
        self.close_after_each = close_after_each
        self.connections = 0
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += conn.recv(65536)
                request, buffer = head + b"\r\n\r\n" + rest[:length], rest[length:]
                self.requests.append(request)
                answer = self.reply(request)
                if answer is None:
                    return
                conn.sendall(answer)
                if self.close_after_each:
                    return

    def url(self, path: str = "/x") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(reply: Reply, **kwargs: bool) -> ScriptedServer:
        servers.append(ScriptedServer(reply, **kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> Reply:
    return lambda _req: b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def test_keep_alive_reuses_one_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(ok())
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        for _ in range(5):
            r = await client.post(server.url(), content=b'{"a": 1}', headers={"name": "X"})
            assert r.status_code == 200 and r.json() == {"ok": True}
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /x HTTP/1.1\r\n")
    assert b"content-length: 8\r\n" in first.lower() and first.endswith(b'{"a": 1}')
    assert b"name: X\r\n" in first


async def test_a_connection_closed_by_the_server_is_replaced(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(ok(), close_after_each=True)
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        for _ in range(3):
            assert (await client.post(server.url(), content=b"{}")).status_code == 200
    assert server.connections == 3


async def test_connection_close_header_is_honoured(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(ok(extra=b"connection: close\r\n"), close_after_each=True)
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        for _ in range(2):
            assert (await client.get(server.url())).status_code == 200
    assert server.connections == 2


async def test_chunked_and_read_to_close_bodies(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = serve(lambda _r: b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n")
    to_close = serve(lambda _r: b"HTTP/1.0 200 OK\r\n\r\nuntil the end", close_after_each=True)
    empty = serve(lambda _r: b"HTTP/1.1 204 No Content\r\n\r\n")
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        assert (await client.get(chunked.url())).text == "hello world"
        assert (await client.get(chunked.url())).text == "hello world"  # the connection was reusable
        assert (await client.get(to_close.url())).text == "until the end"
        assert (await client.get(empty.url())).content == b""
    assert chunked.connections == 1


async def test_streamed_lines_over_chunks(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda _r: b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n8\r\ndata: 1\n\r\n1\r\n\n\r\n0\r\n\r\n")
    async with httpx.AsyncClient(transport=AxonTransport()) as client, client.stream("GET", server.url()) as r:
        assert [line async for line in r.aiter_lines()] == ["data: 1", ""]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (lambda _r: None, httpx.RemoteProtocolError),  # hang up without an answer
        (lambda _r: b"SPDY/9 200 OK\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _r: b"HTTP/1.1 abc OK\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _r: b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _r: b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _r: b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", httpx.RemoteProtocolError),
    ],
)
async def test_broken_answers_are_httpx_errors(serve, reply: Reply, error: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    server = serve(reply, close_after_each=True)
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        with pytest.raises(error):
            await client.get(server.url())


async def test_connect_errors_and_schemes() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/x")
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("https://127.0.0.1:1/x")

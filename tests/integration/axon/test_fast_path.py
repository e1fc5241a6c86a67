"""The dendrite's fast path (straight on AxonTransport) against its httpx path: same bytes out, same results in.

``Dendrite(key)`` takes the fast path; ``Dendrite(key, transport=AxonTransport())`` goes through
``httpx.AsyncClient`` over the same transport (the path every call took before), so each scripted
answer is read both ways and must give the same synapse.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from bt_llm.dendrite.client import Dendrite
from bt_llm.dendrite.request import build_request
from bt_llm.dendrite.transport import AxonTransport, _header_dict, encode_post, origin
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import TextPrompting

from .conftest import ALICE, BOB
from .test_transport import Reply, ScriptedServer


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(reply: Reply, close_after_each: bool = False) -> ScriptedServer:
        servers.append(ScriptedServer(reply, close_after_each=close_after_each))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _target(port: int) -> AxonInfo:
    return AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")


def _body_of(request: bytes) -> dict[str, object]:
    return json.loads(request.partition(b"\r\n\r\n")[2])


def _answer(status: bytes, body: bytes, extra: bytes = b"", framing: str = "length") -> bytes:
    if framing == "chunked":
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7))
        return b"HTTP/1.1 " + status + b"\r\ntransfer-encoding: chunked\r\n" + extra + b"\r\n" + chunks + b"0\r\n\r\n"
    if framing == "close":
        return b"HTTP/1.1 " + status + b"\r\nconnection: close\r\n" + extra + b"\r\n" + body
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: %d\r\n" % len(body) + extra + b"\r\n" + body


AXON_HEADERS = (
    b"bt_header_axon_status_code: 200\r\nbt_header_axon_status_message: Success\r\n"
    b"bt_header_axon_hotkey: " + ALICE.ss58_address.encode() + b"\r\nbt_header_axon_nonce: 7\r\n"
    b"X-Dup: a\r\nx-dup: b\r\n"
)


def _filled(request: bytes) -> bytes:
    return json.dumps({**_body_of(request), "completion": "filled"}).encode()


def _hang(_request: bytes) -> None:
    time.sleep(1.0)


SCRIPTS: dict[str, Reply] = {
    "200": lambda r: _answer(b"200 OK", _filled(r), AXON_HEADERS),
    "200 chunked": lambda r: _answer(b"200 OK", _filled(r), AXON_HEADERS, "chunked"),
    "200 read to close": lambda r: _answer(b"200 OK", _filled(r), AXON_HEADERS, "close"),
    "200 gzip": lambda r: _answer(b"200 OK", gzip.compress(_filled(r)), b"content-encoding: gzip\r\n"),
    "200 bad gzip": lambda r: _answer(b"200 OK", b"not gzip", b"content-encoding: gzip\r\n"),
    "200 utf-8 header": lambda r: _answer(b"200 OK", _filled(r), "bt_header_axon_status_message: d\u00e9j\u00e0\r\n".encode()),
    "200 latin-1 header": lambda r: _answer(b"200 OK", _filled(r), b"bt_header_axon_status_message: \xe9\r\n"),
    "200 bad terminal header": lambda r: _answer(b"200 OK", _filled(r), b"bt_header_axon_status_code: many\r\n"),
    "403": lambda _r: _answer(b"403 Forbidden", b'{"message": "Forbidden. Key is blacklisted: no."}',
                              b"bt_header_axon_status_code: 403\r\n"),
    "500 html": lambda _r: _answer(b"500 Oops", b"<html>"),
    "200 not a synapse": lambda _r: _answer(b"200 OK", b'{"roles": ["a"], "messages": []}'),
    "204": lambda _r: b"HTTP/1.1 204 No Content\r\n\r\n",
    "garbage": lambda _r: b"SMTP ready\r\n\r\n",
    "hang up": lambda _r: None,
    "truncated body": lambda _r: b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{}",
    "hang": _hang,
}
CLOSING = {"200 read to close", "truncated body"}  # the server hangs up after its answer


def _view(synapse: TextPrompting) -> tuple[object, ...]:
    d, a = synapse.dendrite, synapse.axon
    assert d is not None and a is not None
    return (d.status_code, d.status_message, synapse.completion, a.status_code, a.status_message, a.hotkey, a.nonce,
            d.hotkey, d.nonce is not None)


@pytest.mark.parametrize("script", list(SCRIPTS))
async def test_both_paths_give_the_same_synapse(serve, script: str) -> None:  # type: ignore[no-untyped-def]
    server = serve(SCRIPTS[script], close_after_each=script in CLOSING)
    timeout = 0.3 if script == "hang" else 5.0
    views = []
    for dendrite in (Dendrite(BOB), Dendrite(BOB, transport=AxonTransport())):
        answer = await dendrite.call(_target(server.port), TextPrompting(roles=["user"], messages=["hi"]),
                                     timeout=timeout, deserialize=False)
        views.append(_view(answer))
        pool = dendrite._pools[asyncio.get_running_loop()]
        assert (pool._client is None) == (pool.fast is not None)  # the default dendrite never built an httpx client
        await dendrite.aclose()
    assert views[0] == views[1]
    expected = {"200": (200, "Success"), "200 read to close": (200, "Success"), "403": (403, None),
                "truncated body": (503, None), "hang": (408, "Request timeout after 0.3 seconds"),
                "200 bad gzip": (400, None), "garbage": (503, None), "500 html": (422, None)}
    if script in expected:
        status, message = expected[script]
        assert views[0][0] == status and (message is None or views[0][1] == message)


async def test_connection_refused_is_the_same_503() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    views = []
    for dendrite in (Dendrite(BOB), Dendrite(BOB, transport=AxonTransport())):
        answer = await dendrite.call(_target(port), TextPrompting(), timeout=2.0, deserialize=False)
        views.append(_view(answer))
        await dendrite.aclose()
    assert views[0] == views[1]
    assert views[0][:2] == (503, f"Service unavailable at 127.0.0.1:{port}/TextPrompting")


async def test_the_request_bytes_are_what_httpx_sent(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda r: _answer(b"200 OK", b"{}"))
    request = build_request(TextPrompting(roles=["user"], messages=["hi \u00e9"]), _target(server.port), BOB, "u-1", 5.0)
    async with httpx.AsyncClient(transport=AxonTransport()) as client:
        await client.post(request.url, headers=request.headers, content=request.body, timeout=5.0)
    where = origin(request.host, request.port)
    assert where is not None
    head = encode_post(where[1], request.path, request.headers, len(request.body))
    assert head is not None
    transport = AxonTransport()
    answer = await transport.post(where[0], request.port, head, request.body, connect_timeout=5.0)
    await transport.aclose()
    assert answer.status == 200 and answer.content == b"{}"
    assert server.requests[0] == server.requests[1]


@pytest.mark.parametrize(
    ("host", "port"),
    [("127.0.0.1", 8091), ("127.0.0.1", 80), ("[::1]", 8091), ("localhost", 1), ("a-b.example", 65535)],
)
def test_origin_matches_httpx_netloc(host: str, port: int) -> None:
    url = httpx.URL(f"http://{host}:{port}/X")
    assert origin(host, port) == (url.host, url.netloc)


@pytest.mark.parametrize(
    ("host", "port"),
    [("LocalHost", 1), ("[0:0::1]", 1), ("127.1", 1), ("1.2.3", 1), ("a b", 1), ("h\u00e9", 1), ("x", 0), ("x", 70000)],
)
def test_origin_leaves_what_httpx_would_change_to_httpx(host: str, port: int) -> None:
    assert origin(host, port) is None


def test_encode_post_leaves_non_ascii_and_odd_paths_to_httpx() -> None:
    assert encode_post(b"h:1", "/Ok_1", {"a": "b"}, 0) is not None
    assert encode_post(b"h:1", "/Ok_1", {"a": "\u00e9"}, 0) is None
    assert encode_post(b"h:1", "/N\u00e4me", {"a": "b"}, 0) is None
    assert encode_post(b"h:1", "/a b", {"a": "b"}, 0) is None


@pytest.mark.parametrize(
    "raw",
    [
        [(b"A", b"1"), (b"a", b"2"), (b"Content-Type", b"x")],
        [(b"m", "d\u00e9j\u00e0".encode())],
        [(b"m", b"\xe9\xff"), (b"n", b"ok")],
        [],
    ],
)
def test_header_dict_is_httpx_headers_items(raw: list[tuple[bytes, bytes]]) -> None:
    assert _header_dict(raw) == dict(httpx.Headers(raw).items())

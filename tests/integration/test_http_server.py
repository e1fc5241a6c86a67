"""One HTTP server (``bt_llm.http_server.HttpServer``) under the axon, the localnet node and the bridge.

Slow clients (slowloris: a request line and headers dribbled a byte at a time, or a body that never
ends, or nothing at all) are disconnected ``header_timeout`` / ``body_timeout`` seconds after their
request started, while normal requests are answered; a busy port is the same one-line error for all three.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from substrateinterface import Keypair

from bt_llm.errors import ConfigError, ProtocolError
from bt_llm.http_server import HttpServer
from tests.scripted_backend import MODEL, ScriptedBackend

ALICE = Keypair.create_from_uri("//Alice")  # serves
BOB = Keypair.create_from_uri("//Bob")  # calls

HEADER, BODY = 0.5, 1.0  # the bounds the servers under test get
SLACK = 1.5  # 50 connections on 2 shared cores: how late a close may come
EARLY = 0.05  # the server's clock starts after the client's connect() returned: never (much) early
SLOW_BYTE_EVERY = 0.02  # s between the bytes a slow client sends


@dataclass
class Target:
    name: str
    port: int
    post_path: str  # a route that reads a request body
    normal: Callable[[], Awaitable[None]]  # one ordinary request, asserted to succeed


# -- the three servers, with small bounds --------------------------------------------------------------
@pytest.fixture
def axon_target() -> Iterator[Target]:
    from bt_llm.axon.server import Axon
    from bt_llm.dendrite.client import Dendrite
    from bt_llm.protocol.synapse import Synapse

    axon = Axon(wallet=ALICE, ip="127.0.0.1", port=0, header_timeout=HEADER, body_timeout=BODY).start()

    async def normal() -> None:
        async with Dendrite(BOB) as dendrite:
            answer = await dendrite.call(axon.info(), Synapse(), timeout=5, deserialize=False)
        assert answer.dendrite.status_code == 200, answer.dendrite.status_message

    try:
        yield Target("axon", axon.port, "/Synapse", normal)
    finally:
        axon.stop()


@pytest.fixture
def node_target() -> Iterator[Target]:
    from bt_llm.localnet.node.rpc import Dispatcher
    from bt_llm.localnet.node.server import NodeServer, create_app

    dispatcher = Dispatcher()

    async def name(session: Any, params: list[Any]) -> str:
        return "slow-test"

    dispatcher.add("system_name", name)
    server = NodeServer(create_app(dispatcher), port=0, header_timeout=HEADER, body_timeout=BODY)
    server.start()

    async def normal() -> None:
        async with httpx.AsyncClient() as client:
            reply = await client.post(server.http_url, json={"jsonrpc": "2.0", "id": 1, "method": "system_name"},
                                      timeout=5)
        assert reply.json()["result"] == "slow-test"

    try:
        yield Target("node", server.port, "/", normal)
    finally:
        server.stop()


@pytest.fixture
def bridge_target() -> Iterator[Target]:
    from bt_llm.bridge.app import HttpSettings, create_app
    from bt_llm.bridge.serve_thread import ServerThread

    server = ServerThread(create_app(ScriptedBackend(), HttpSettings()), header_timeout=HEADER, body_timeout=BODY)

    async def normal() -> None:
        async with httpx.AsyncClient() as client:
            reply = await client.post(server.url + "/v1/chat/completions", timeout=5,
                                      json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"].startswith("answer 0 to hi")

    with server:
        yield Target("bridge", server.port, "/v1/chat/completions", normal)


@pytest.fixture(params=["axon", "node", "bridge"])
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(f"{request.param}_target")


# -- slow clients -----------------------------------------------------------------------------------------
async def slow_client(port: int, kind: str, path: str) -> tuple[float, bytes]:
    """Open a connection and be slow in one way; returns (seconds until the server closed it, bytes received)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = loop.time()
    if kind == "idle":
        dribble = b""
    elif kind == "headers":  # a request line and headers that never end
        dribble = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode() + b"a" * 10_000
    else:  # complete headers, then a body that never ends
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 2000\r\n\r\n".encode())
        dribble = b'{"messages": "' + b"a" * 1980

    async def send_slowly() -> None:
        for i in range(len(dribble)):
            writer.write(dribble[i:i + 1])
            await asyncio.sleep(SLOW_BYTE_EVERY)

    sender = asyncio.create_task(send_slowly())
    try:
        received = await asyncio.wait_for(reader.read(), BODY + SLACK + 5)  # until the server closes
    except (ConnectionResetError, BrokenPipeError):
        received = b""
    finally:
        sender.cancel()
        writer.close()
    return loop.time() - opened, received


async def test_slow_clients_are_disconnected_and_others_served(target: Target) -> None:
    kinds = ["idle", "headers", "body"] * 17
    kinds = kinds[:50]
    clients = [asyncio.create_task(slow_client(target.port, kind, target.post_path)) for kind in kinds]
    await asyncio.sleep(0.2)
    assert not any(c.done() for c in clients)  # all 50 are open, and slow
    await target.normal()  # served meanwhile
    results = await asyncio.gather(*clients)
    for kind, (seconds, received) in zip(kinds, results, strict=True):
        bound = HEADER if kind in ("idle", "headers") else BODY
        assert bound - EARLY <= seconds <= bound + SLACK, (target.name, kind, seconds)
        assert received == b"", (target.name, kind, received[:200])  # cut, not answered
    await target.normal()  # and afterwards


async def read_response(reader: asyncio.StreamReader) -> None:
    """One whole response with a Content-Length, on a connection kept alive."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 ") and b"connection: close" not in head.lower(), head
    fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if line)
    await reader.readexactly(int(fields[b"content-length"]))


async def test_requests_within_the_bounds_are_served(target: Target) -> None:
    """A body sent slowly but within the bounds, then keep-alive requests each started within
    ``HEADER`` of the previous answer (longer than ``BODY`` in all): each is answered; once idle, the
    connection is closed ``HEADER`` after the last answer."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "system_name"}).encode()
        writer.write(f"POST {target.post_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        for i in range(0, len(body), 8):  # 0.3 s for the body, under BODY
            writer.write(body[i:i + 8])
            await asyncio.sleep(0.3 / (len(body) / 8))
        await read_response(reader)
        for _ in range(4):  # 4 x 0.3 s > BODY: the bound is per request, not per connection
            await asyncio.sleep(0.3)
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await read_response(reader)
        answered = loop.time()
        assert await asyncio.wait_for(reader.read(), HEADER + SLACK) == b""
        assert HEADER - EARLY <= loop.time() - answered <= HEADER + SLACK
    finally:
        writer.close()


# -- the server itself ---------------------------------------------------------------------------------
@pytest.mark.parametrize("http", ["httptools", "h11"])
async def test_a_body_cut_short_is_a_disconnect_for_the_app(http: str) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with HttpServer(app, lifespan="off", log_config=None, http=http, header_timeout=HEADER, body_timeout=BODY) as srv:
        seconds, received = await slow_client(srv.port, "body", "/")
        for _ in range(100):
            if seen[-1:] == ["http.disconnect"]:
                break
            await asyncio.sleep(0.01)
    assert BODY - EARLY <= seconds <= BODY + SLACK and received == b""
    assert seen[0] == "http.request" and seen[-1] == "http.disconnect"


def test_node_websockets_outlive_the_header_bound() -> None:
    """The WebSocket protocol takes an upgraded connection over: the HTTP request bounds no longer apply."""
    from websockets.sync.client import connect

    from bt_llm.localnet.node.rpc import Dispatcher
    from bt_llm.localnet.node.server import NodeServer, create_app

    dispatcher = Dispatcher()

    async def name(session: Any, params: list[Any]) -> str:
        return "ws"

    dispatcher.add("system_name", name)
    server = NodeServer(create_app(dispatcher), port=0, header_timeout=0.2, body_timeout=0.3)
    server.start()
    try:
        with connect(server.url, open_timeout=5) as ws:
            for i in range(3):
                ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "system_name"}))
                assert json.loads(ws.recv(timeout=5))["result"] == "ws"
                time.sleep(0.25)  # 0.75 s in all, past both bounds
    finally:
        server.stop()


async def test_stop_cancels_what_still_runs_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """A task the app left running (uvicorn only waits for and cancels request tasks) is cancelled and
    awaited when the server stops: no "Task was destroyed but it is pending!"."""
    cancelled: list[bool] = []
    background: set[asyncio.Task[None]] = set()

    async def linger() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def app(scope: Any, receive: Any, send: Any) -> None:
        background.add(asyncio.create_task(linger()))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = HttpServer(app, lifespan="off", log_config=None, timeout_graceful_shutdown=0.1).start()
    async with httpx.AsyncClient() as client:
        assert (await client.get(server.url, timeout=10)).status_code == 204
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await asyncio.to_thread(server.stop)
        background.clear()
        gc.collect()
    assert cancelled == [True]
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
    assert not server.started
    with pytest.raises(ConfigError, match="was stopped"):
        server.start()


# -- a busy port ---------------------------------------------------------------------------------------
@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_a_busy_port_is_the_same_one_line_error_everywhere(busy_port: int) -> None:
    from bt_llm.axon.server import Axon
    from bt_llm.bridge.serve_thread import ServerThread
    from bt_llm.localnet.node.app import LocalnetNode
    from bt_llm.localnet.node.server import NodeServer

    async def app(scope: Any, receive: Any, send: Any) -> None:  # never called
        raise AssertionError

    errors: dict[str, Exception] = {}
    for name, build in {
        "http": lambda: HttpServer(app, port=busy_port),
        "bridge": lambda: ServerThread(app, port=busy_port),
        "node": lambda: NodeServer(app, port=busy_port),
        "localnet": lambda: LocalnetNode(port=busy_port),
        "axon": lambda: Axon(wallet=ALICE, port=busy_port).start(),
    }.items():
        with pytest.raises((ConfigError, ProtocolError)) as caught:
            build()
        errors[name] = caught.value
    expected = f"cannot listen on 127.0.0.1:{busy_port}: Address already in use"
    assert {name: str(exc) for name, exc in errors.items()} == dict.fromkeys(errors, expected)
    assert isinstance(errors["axon"], ProtocolError)  # the axon's errors are ProtocolErrors
    assert isinstance(errors["axon"].__cause__, ConfigError)
    assert all(isinstance(exc, ConfigError) for name, exc in errors.items() if name != "axon")


def test_bad_options_are_config_errors() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError

    with pytest.raises(ConfigError, match="http must be"):
        HttpServer(app, http="zttp")
    with pytest.raises(ConfigError, match="must be > 0"):
        HttpServer(app, header_timeout=0)


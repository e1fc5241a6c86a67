"""Every status code of the wire spec, from a real axon on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import types

import httpx
import pytest

from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol import signing
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapse import Synapse
from bt_llm.protocol.synapses import TextPrompting

from .conftest import ALICE, BOB, EVE, post, signed, until


def echo(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "echo: " + synapse.messages[-1]
    return synapse


def _prompt(text: str = "hi") -> TextPrompting:
    return TextPrompting(roles=["user"], messages=[text])


async def test_200_fills_the_synapse_and_signs_the_answer(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon(echo)
    answer = await dendrite.forward(axon, _prompt("hello"), deserialize=False)
    assert answer.is_success and answer.completion == "echo: hello"
    assert answer.dendrite.status_message == "Success"
    info = answer.axon
    assert info.hotkey == ALICE.ss58_address and info.process_time is not None
    message = signing.response_message(info.nonce, BOB.ss58_address, ALICE.ss58_address, info.uuid)
    assert signing.verify(ALICE.ss58_address, message, info.signature)


async def test_ping_route_always_exists(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon()
    answer = await dendrite.forward(axon, Synapse(), deserialize=False)
    assert answer.is_success


async def test_400_malformed_headers_and_body(make_axon) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon(echo)
    req = signed(axon, _prompt())
    r = await post(req.url, {**req.headers, "bt_header_dendrite_nonce": "later"}, req.body)
    assert r.status_code == 400 and r.json()["message"].startswith("Improperly formatted request")
    req = signed(axon, _prompt())
    r = await post(req.url, req.headers, b"{broken")
    assert r.status_code == 400


async def test_401_unsigned_bad_signature_tampered_replayed_stale(make_axon, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon(echo)

    req = signed(axon, _prompt(), uuid="u-unsigned")
    unsigned = {k: v for k, v in req.headers.items() if k != "bt_header_dendrite_signature"}
    r = await post(req.url, unsigned, req.body)
    assert r.status_code == 401 and r.json()["message"] == "Not Verified with error: Missing signature"

    req = signed(axon, _prompt(), signer=EVE, uuid="u-bad")
    forged = {**req.headers, "bt_header_dendrite_hotkey": BOB.ss58_address}
    r = await post(req.url, forged, req.body)
    assert r.status_code == 401 and "Signature mismatch" in r.json()["message"]

    req = signed(axon, _prompt("pay 1"), uuid="u-tamper")
    r = await post(req.url, req.headers, req.body.replace(b"pay 1", b"pay 9"))
    assert r.status_code == 401 and "Body hash mismatch" in r.json()["message"]

    req = signed(axon, _prompt(), uuid="u-replay")
    assert (await post(req.url, req.headers, req.body)).status_code == 200
    r = await post(req.url, req.headers, req.body)
    assert r.status_code == 401 and "Nonce is too old" in r.json()["message"]

    old = time.time_ns() - 60 * 10**9
    monkeypatch.setattr("bt_llm.dendrite.request.time", types.SimpleNamespace(time_ns=lambda: old))
    req = signed(axon, _prompt(), uuid="u-stale", timeout=5.0)
    r = await post(req.url, req.headers, req.body)
    assert r.status_code == 401 and "Nonce is too old" in r.json()["message"]


async def test_raising_the_unsigned_timeout_header_does_not_reopen_stale_nonces(make_axon, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The fuzz campaign's case: nonces 60-3000 s old with ``timeout: 3600`` were accepted 150 of 200."""
    axon = make_axon(echo)
    accepted = 0
    for i, age in enumerate((60, 120, 600, 3000)):
        old = time.time_ns() - age * 10**9
        monkeypatch.setattr("bt_llm.dendrite.request.time", types.SimpleNamespace(time_ns=lambda old=old: old))
        req = signed(axon, _prompt(), uuid=f"u-wide-{i}", timeout=5.0)
        headers = {**req.headers, "timeout": "3600"}  # not covered by the signature
        r = await post(req.url, headers, req.body)
        accepted += r.status_code == 200
        assert r.status_code == 401 and "Nonce is too old" in r.json()["message"]
    assert accepted == 0


async def test_a_restarted_axon_refuses_replays_of_requests_it_served_before() -> None:
    from bt_llm.axon.server import Axon

    first = Axon(wallet=ALICE, ip="127.0.0.1", port=0)
    first.attach(echo).start()
    port = first.port
    captured = [signed(first, _prompt(f"pay {i}"), uuid=f"u-restart-{i}") for i in range(5)]
    try:
        for req in captured:
            assert (await post(req.url, req.headers, req.body)).status_code == 200
    finally:
        first.stop()
    second = Axon(wallet=ALICE, ip="127.0.0.1", port=port)
    second.attach(echo).start()
    try:
        for req in captured:  # inside the old freshness window, but from before this axon started
            r = await post(req.url, req.headers, req.body)
            assert r.status_code == 401 and "Nonce is too old" in r.json()["message"]
        fresh = signed(second, _prompt("pay 0"), uuid="u-restart-0")
        assert (await post(fresh.url, fresh.headers, fresh.body)).status_code == 200
    finally:
        second.stop()


async def test_403_blacklist_function_and_metagraph(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    def blacklist(synapse: TextPrompting) -> tuple[bool, str]:
        return synapse.dendrite.hotkey == BOB.ss58_address, "no bobs"

    axon = make_axon((echo, blacklist))
    answer = await dendrite.forward(axon, _prompt(), deserialize=False)
    assert answer.is_blacklist
    assert answer.dendrite.status_message == "Forbidden. Key is blacklisted: no bobs."

    class Metagraph:
        hotkeys = [ALICE.ss58_address]

    guarded = make_axon(echo, metagraph=Metagraph())
    answer = await dendrite.forward(guarded, _prompt(), deserialize=False)
    assert answer.is_blacklist and "Unrecognized hotkey" in answer.dendrite.status_message
    Metagraph.hotkeys.append(BOB.ss58_address)
    assert await dendrite.forward(guarded, _prompt()) == "echo: hi"


async def test_404_unknown_routes(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon()
    answer = await dendrite.forward(axon, _prompt(), deserialize=False)
    assert answer.dendrite.status_code == 404
    r = await post(f"http://127.0.0.1:{axon.port}/a/b", {}, b"")
    assert r.status_code == 404 and "message" in r.json()


async def test_408_while_the_handler_still_runs(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    finished = threading.Event()

    def slow(synapse: TextPrompting) -> TextPrompting:
        time.sleep(2.0)
        finished.set()
        return synapse

    axon = make_axon(slow)
    req = signed(axon, _prompt(), timeout=0.3)
    r = await post(req.url, req.headers, req.body)
    assert r.status_code == 408 and r.json()["message"] == "Response timeout after: 0.3s"
    assert not finished.is_set()  # answered while the handler was still running
    assert await asyncio.to_thread(finished.wait, 5)


async def test_413_body_limit(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon(echo, max_body_bytes=2000)
    assert (await dendrite.forward(axon, _prompt("x" * 100))) == "echo: " + "x" * 100
    answer = await dendrite.forward(axon, _prompt("x" * 5000), deserialize=False)
    assert answer.dendrite.status_code == 413


async def test_500_without_traceback(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    def broken(synapse: TextPrompting) -> TextPrompting:
        raise RuntimeError("secret detail /home/miner/key.txt")

    axon = make_axon(broken)
    req = signed(axon, _prompt())
    r = await post(req.url, req.headers, req.body)
    assert r.status_code == 500
    assert r.json()["message"].startswith("Internal Server Error #")
    everything = r.text + str(r.headers)
    assert "secret" not in everything and "Traceback" not in everything and "RuntimeError" not in everything


async def test_503_queue_full(make_axon) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def blocking(synapse: TextPrompting) -> TextPrompting:
        release.wait(5)
        return synapse

    axon = make_axon(blocking, max_workers=1, max_queue=1)
    dendrites = [Dendrite(BOB) for _ in range(3)]
    first = asyncio.ensure_future(dendrites[0].forward(axon, _prompt("1"), deserialize=False))
    await until(lambda: axon.pipeline.gate.busy == 1)
    second = asyncio.ensure_future(dendrites[1].forward(axon, _prompt("2"), deserialize=False))
    await until(lambda: axon.pipeline.gate.waiting == 1)
    third = await dendrites[2].forward(axon, _prompt("3"), deserialize=False)
    assert third.dendrite.status_code == 503 and "queue is full" in third.dendrite.status_message
    release.set()
    assert (await first).is_success and (await second).is_success
    for d in dendrites:
        await d.aclose()


async def test_503_connection_refused(dendrite) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")
    answer = await dendrite.forward(target, _prompt(), deserialize=False)
    assert answer.dendrite.status_code == 503
    assert answer.dendrite.status_message == f"Service unavailable at 127.0.0.1:{port}/TextPrompting"


class _RawServer:
    """A socket server that answers every request with fixed bytes (or hangs up)."""

    def __init__(self, reply: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.reply:
                    conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()

    def target(self) -> AxonInfo:
        return AxonInfo(version=0, ip="127.0.0.1", port=self.port, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 422),
        (b"", 503),  # the server hangs up without an answer
    ],
)
async def test_422_unparsable_and_503_disconnect(dendrite, reply: bytes, status: int) -> None:  # type: ignore[no-untyped-def]
    server = _RawServer(reply)
    try:
        answer = await dendrite.forward(server.target(), _prompt(), deserialize=False)
    finally:
        server.close()
    assert answer.dendrite.status_code == status


def test_wrong_synapse_annotation_is_refused() -> None:
    from bt_llm.axon.server import Axon
    from bt_llm.errors import ConfigError

    def untyped(synapse):  # type: ignore[no-untyped-def]
        return synapse

    with pytest.raises(ConfigError):
        Axon(wallet=ALICE, port=0).attach(untyped)
    with pytest.raises(ConfigError):
        Axon(wallet=None)


def test_info_and_serve(make_axon) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon(external_ip="8.8.4.4", external_port=9999)
    info = axon.info()
    assert (info.ip, info.port, info.ip_type, info.hotkey) == ("8.8.4.4", 9999, 4, ALICE.ss58_address)
    served: list[tuple[int, object]] = []

    class Subtensor:
        def serve_axon(self, netuid: int, axon: object) -> bool:
            served.append((netuid, axon))
            return True

    assert axon.serve(netuid=3, subtensor=Subtensor()) is axon
    assert served == [(3, axon)]
    assert httpx.get(f"http://127.0.0.1:{axon.port}/Synapse").status_code == 401


async def test_a_handler_refusal_keeps_its_status(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    from bt_llm.axon.refusal import Refusal

    def picky(synapse: TextPrompting) -> TextPrompting:
        raise Refusal(429, "Too many requests: slow down.")

    axon = make_axon(picky)
    answer = await dendrite.forward(axon, _prompt(), deserialize=False)
    assert answer.dendrite.status_code == 429
    assert answer.dendrite.status_message == "Too many requests: slow down."

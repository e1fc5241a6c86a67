"""The dendrite without sockets: httpx.MockTransport answers, and the error → status mapping."""

from __future__ import annotations

import asyncio
import inspect
import json

import httpx
import pytest
from substrateinterface import Keypair

from bt_llm.dendrite.client import Dendrite
from bt_llm.dendrite.errors import DEFAULT_ERROR, ERROR_MAPPING, ResponseParseError, lookup, status_for
from bt_llm.errors import ConfigError
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
TARGET = AxonInfo(version=0, ip="10.1.2.3", port=4321, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")


def _dendrite(handler) -> Dendrite:  # type: ignore[no-untyped-def]
    return Dendrite(BOB, transport=httpx.MockTransport(handler))


def _prompt() -> TextPrompting:
    return TextPrompting(roles=["user"], messages=["hi"])


async def test_request_is_signed_and_200_fields_overwrite_local_ones() -> None:
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["headers"] = dict(request.headers)
        body = json.loads(request.content)
        body["completion"] = "hello"
        headers = {"bt_header_axon_status_code": "200", "bt_header_axon_status_message": "Success",
                   "bt_header_axon_hotkey": ALICE.ss58_address}
        return httpx.Response(200, json=body, headers=headers)

    dendrite = _dendrite(handler)
    answer = await dendrite.forward(TARGET, _prompt(), timeout=3.0, deserialize=False)
    assert seen["url"] == "http://10.1.2.3:4321/TextPrompting"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["bt_header_dendrite_hotkey"] == BOB.ss58_address
    assert headers["bt_header_axon_hotkey"] == ALICE.ss58_address
    assert headers["bt_header_dendrite_signature"].startswith("0x")
    assert headers["timeout"] == "3.0"
    assert answer.completion == "hello"
    assert answer.is_success and answer.dendrite.status_message == "Success"
    assert answer.axon.hotkey == ALICE.ss58_address
    assert await dendrite.forward(TARGET, _prompt()) == "hello"  # deserialize=True
    await dendrite.aclose()


async def test_error_answers_keep_local_fields_and_report_the_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"message": "Forbidden. Key is blacklisted: no."},
                              headers={"bt_header_axon_status_code": "403"})

    answer = await _dendrite(handler).call(TARGET, _prompt(), deserialize=False)
    assert answer.is_blacklist and answer.dendrite.status_code == 403
    assert answer.dendrite.status_message == "Forbidden. Key is blacklisted: no."
    assert answer.messages == ["hi"] and answer.completion == ""


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"roles": ["a"], "messages": []}),
        httpx.Response(500, content=b"<html>"),
    ],
)
async def test_unparsable_answers_are_422(response: httpx.Response) -> None:
    answer = await _dendrite(lambda _r: response).call(TARGET, _prompt(), deserialize=False)
    assert answer.dendrite.status_code == 422
    assert answer.dendrite.status_message.startswith("Failed to parse response")


@pytest.mark.parametrize(
    ("exc", "status", "prefix"),
    [
        (httpx.ConnectError("refused"), 503, "Service unavailable at 10.1.2.3:4321/TextPrompting"),
        (httpx.ReadTimeout("slow"), 408, "Request timeout after 2.0 seconds"),
        (httpx.RemoteProtocolError("Server disconnected"), 503, "Service disconnected"),
        (httpx.ReadError("reset"), 503, "Service disconnected"),
        (httpx.DecodingError("bad gzip"), 400, "Payload error"),
        (httpx.UnsupportedProtocol("ftp"), 500, "Client error"),
    ],
)
async def test_transport_errors_map_to_the_spec_statuses(exc: Exception, status: int, prefix: str) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise exc

    answer = await _dendrite(handler).call(TARGET, _prompt(), timeout=2.0, deserialize=False)
    assert answer.dendrite.status_code == status
    assert answer.dendrite.status_message.startswith(prefix)


async def test_own_deadline_is_408() -> None:
    async def handler(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    answer = await _dendrite(handler).call(TARGET, _prompt(), timeout=0.1, deserialize=False)
    assert answer.is_timeout
    assert answer.dendrite.status_message == "Request timeout after 0.1 seconds"


def test_every_httpx_exception_is_mapped_explicitly() -> None:
    classes = [obj for _, obj in inspect.getmembers(httpx, inspect.isclass) if issubclass(obj, Exception)]
    assert classes
    for cls in classes:
        mapped = next((c for c in cls.__mro__ if c in ERROR_MAPPING), None)
        assert mapped is not None, cls
        if cls is not httpx.HTTPError:
            assert mapped is not httpx.HTTPError, f"{cls.__name__} falls through to the generic entry"
    assert lookup(ResponseParseError("x"))[0] == 422
    assert lookup(RuntimeError("x")) == DEFAULT_ERROR


def test_status_for_messages() -> None:
    assert status_for(asyncio.TimeoutError(), ip="1.1.1.1", port=1, name="S", timeout=3) == (408, "Request timeout after 3 seconds")


async def test_forward_lists_copies_and_sequential_mode() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(request.url.host)
        body["embeddings"] = [[float(len(t))] for t in body["texts"]]
        return httpx.Response(200, json=body)

    other = AxonInfo(version=0, ip="10.9.9.9", port=1, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")
    dendrite = _dendrite(handler)
    request = Embedding(texts=["ab", "c"])
    results = await dendrite.forward([TARGET, other], request, run_async=False)
    assert results == [[[2.0], [1.0]], [[2.0], [1.0]]]
    assert calls == ["10.1.2.3", "10.9.9.9"]
    assert request.embeddings == [] and request.dendrite.signature is None  # the caller's synapse is untouched


async def test_streaming_parses_events_and_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        final = {**json.loads(request.content), "completion": "ab"}
        text = 'data: "a"\n\ndata: "b"\n\nevent: synapse\ndata: ' + json.dumps(final) + "\n\n"
        return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})

    dendrite = _dendrite(handler)
    items = [x async for x in dendrite.call_stream(TARGET, StreamingTextPrompting(roles=["u"], messages=["m"]), deserialize=False)]
    assert items[:2] == ["a", "b"]
    assert items[-1].completion == "ab" and items[-1].is_success

    def failing(_request: httpx.Request) -> httpx.Response:
        text = 'data: "a"\n\nevent: error\ndata: {"status_code": 500, "message": "Internal Server Error #x"}\n\n'
        return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})

    items = [x async for x in _dendrite(failing).call_stream(TARGET, StreamingTextPrompting(roles=["u"], messages=["m"]), deserialize=False)]
    assert items[0] == "a" and items[-1].dendrite.status_code == 500


async def test_streaming_needs_a_streaming_synapse() -> None:
    with pytest.raises(ConfigError):
        await _dendrite(lambda r: httpx.Response(200)).forward(TARGET, _prompt(), streaming=True)


def test_sync_query_shell() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**json.loads(request.content), "completion": "sync"})

    with _dendrite(handler) as dendrite:
        assert dendrite.query(TARGET, _prompt()) == "sync"
        assert dendrite.query([TARGET], _prompt()) == ["sync"]
        with pytest.raises(ConfigError):
            dendrite.query(TARGET, StreamingTextPrompting(), streaming=True)


def test_wallet_or_keypair() -> None:
    class Wallet:
        hotkey = BOB

    assert Dendrite(Wallet()).hotkey == BOB.ss58_address
    with pytest.raises(ConfigError):
        Dendrite(object())


async def test_streaming_synapses_with_required_fields() -> None:
    class Needs(StreamingTextPrompting):
        topic: str

    def handler(request: httpx.Request) -> httpx.Response:
        final = {**json.loads(request.content), "completion": "x"}
        text = 'data: "x"\n\nevent: synapse\ndata: ' + json.dumps(final) + "\n\n"
        return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})

    items = [i async for i in _dendrite(handler).call_stream(TARGET, Needs(topic="t", roles=["u"], messages=["m"]), deserialize=False)]
    assert items[0] == "x" and items[-1].is_success and items[-1].topic == "t"


def test_an_unexpected_error_is_a_500_and_logged_once_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="bt_llm.dendrite"):
        assert status_for(KeyError("bug"), ip="1.2.3.4", port=1, name="S", timeout=1.0) == (500, "Client error: 'bug'")
        status_for(httpx.ConnectError("refused"), ip="1.2.3.4", port=1, name="S", timeout=1.0)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
    assert "unexpected KeyError" in caplog.records[0].getMessage()

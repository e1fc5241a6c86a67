"""Streaming synapses: chunks reach the caller while the handler is still producing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

from bt_llm.dendrite.text_prompting import TextPromptingClient
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting

from .conftest import BOB


def _prompt() -> StreamingTextPrompting:
    return StreamingTextPrompting(roles=["user"], messages=["count"])


async def test_chunks_arrive_before_the_handler_ends(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    go_on = threading.Event()
    ended = threading.Event()

    async def forward(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        async def chunks() -> AsyncIterator[str]:
            yield "first "
            await asyncio.to_thread(go_on.wait, 5)
            yield "second"
            ended.set()

        return chunks()

    axon = make_axon(forward)
    seen: list[object] = []
    async for item in await dendrite.forward(axon, _prompt(), streaming=True, deserialize=False):
        if item == "first ":
            assert not ended.is_set()  # the handler is blocked until we have seen this chunk
            go_on.set()
        seen.append(item)
    assert seen[:2] == ["first ", "second"]
    final = seen[-1]
    assert isinstance(final, StreamingTextPrompting)
    assert final.is_success and final.completion == "first second"


async def test_sync_generators_run_in_worker_threads(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    def forward(synapse: StreamingTextPrompting) -> Iterator[str]:
        def chunks() -> Iterator[str]:
            for word in ("a", "b", "c"):
                time.sleep(0.01)
                yield word

        return chunks()

    axon = make_axon(forward)
    items = [item async for item in dendrite.call_stream(axon, _prompt())]
    assert items == ["a", "b", "c", "abc"]  # chunks, then deserialize() of the completed synapse


async def test_a_failing_stream_ends_with_500(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    async def forward(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        async def chunks() -> AsyncIterator[str]:
            yield "partial"
            raise RuntimeError("secret")

        return chunks()

    axon = make_axon(forward)
    items = [item async for item in dendrite.call_stream(axon, _prompt(), deserialize=False)]
    assert items[0] == "partial"
    assert items[-1].dendrite.status_code == 500
    assert "secret" not in items[-1].dendrite.status_message


async def test_a_slow_stream_ends_with_408(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    async def forward(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        async def chunks() -> AsyncIterator[str]:
            yield "a"
            await asyncio.sleep(3)
            yield "b"

        return chunks()

    axon = make_axon(forward)
    items = [item async for item in dendrite.call_stream(axon, _prompt(), timeout=0.5, deserialize=False)]
    assert items[0] == "a" and items[-1].is_timeout


async def test_text_prompting_client_streams(make_axon) -> None:  # type: ignore[no-untyped-def]
    async def forward(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        async def chunks() -> AsyncIterator[str]:
            for word in synapse.messages[-1].split():
                yield word + " "

        return chunks()

    axon = make_axon(forward)
    client = TextPromptingClient(keypair=BOB, axon=axon)
    assert [c async for c in client.stream(["user"], ["one two"])] == ["one ", "two "]
    await client.dendrite.aclose()


async def test_a_caller_hanging_up_gives_the_worker_back(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    async def endless(synapse: StreamingTextPrompting) -> AsyncIterator[str]:
        async def chunks() -> AsyncIterator[str]:
            while True:
                yield "tick"
                await asyncio.sleep(0.05)

        return chunks()

    def echo(synapse: TextPrompting) -> TextPrompting:
        synapse.completion = "free"
        return synapse

    axon = make_axon(endless, echo, max_workers=1, max_queue=0)
    stream = await dendrite.forward(axon, _prompt(), streaming=True, timeout=30)
    assert await stream.__anext__() == "tick"
    await stream.aclose()  # hang up mid-stream
    for _ in range(200):
        answer = await dendrite.forward(axon, TextPrompting(roles=["u"], messages=["x"]), deserialize=False)
        if answer.is_success:
            break
        assert answer.dendrite.status_code == 503  # the slot is still held for a moment
        await asyncio.sleep(0.05)
    assert answer.completion == "free"


async def test_a_stream_refusal_keeps_its_status(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    from bt_llm.axon.refusal import Refusal

    def forward(synapse: StreamingTextPrompting) -> Iterator[str]:
        def chunks() -> Iterator[str]:
            yield "a"
            raise Refusal(400, "max_tokens too large for this miner")

        return chunks()

    axon = make_axon(forward)
    items = [item async for item in dendrite.call_stream(axon, _prompt(), deserialize=False)]
    assert items[0] == "a"
    assert (items[-1].dendrite.status_code, items[-1].dendrite.status_message) == (400, "max_tokens too large for this miner")

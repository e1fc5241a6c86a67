"""Stopping an axon whose handlers hang: they are cancelled and awaited, nothing is left pending."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.synapses import TextPrompting

from .conftest import ALICE, BOB


async def test_stop_cancels_hung_handlers_quietly(caplog: pytest.LogCaptureFixture) -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def hang(synapse: TextPrompting) -> TextPrompting:
        started.append(synapse.messages[-1])
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(synapse.messages[-1])
            raise
        return synapse

    axon = Axon(wallet=ALICE, ip="127.0.0.1", port=0).attach(hang).start()
    async with Dendrite(BOB) as dendrite:
        answers = await dendrite.forward(
            [axon.info()] * 3, TextPrompting(roles=["user"], messages=["stuck"]), timeout=0.3, deserialize=False
        )
    assert [a.dendrite.status_code for a in answers] == [408, 408, 408]
    assert len(started) == 3
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await asyncio.to_thread(axon.stop)
        gc.collect()
    assert cancelled == started  # each hung handler saw its cancellation before the loop closed
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
    assert not axon.started


async def test_stop_with_requests_still_queued_logs_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Requests waiting for a worker when the axon stops are cancelled by uvicorn's graceful shutdown:
    expected, so no "Exception in ASGI application" traceback for each (a benchmark logged 99)."""

    async def hang(synapse: TextPrompting) -> TextPrompting:
        await asyncio.sleep(60)
        return synapse

    axon = Axon(wallet=ALICE, ip="127.0.0.1", port=0, max_workers=1).attach(hang).start()
    async with Dendrite(BOB) as dendrite:
        calls = asyncio.gather(*(dendrite.call(axon.info(), TextPrompting(roles=["user"], messages=[str(i)]),
                                               timeout=20, deserialize=False) for i in range(4)))
        await asyncio.sleep(0.5)  # one runs, three wait in the queue
        with caplog.at_level(logging.ERROR):
            await asyncio.to_thread(axon.stop)
        answers = await calls
    assert all(a.dendrite.status_code != 200 for a in answers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info], \
        [(r.getMessage(), repr(r.exc_info[1]) if r.exc_info else None) for r in caplog.records]

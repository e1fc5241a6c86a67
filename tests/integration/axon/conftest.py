"""Axons on loopback for the integration tests; each is stopped by the test that started it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.dendrite.request import PreparedRequest, build_request
from bt_llm.protocol.synapse import Synapse

ALICE = Keypair.create_from_uri("//Alice")  # serves
BOB = Keypair.create_from_uri("//Bob")  # calls
EVE = Keypair.create_from_uri("//Eve")  # forges


@pytest.fixture
def make_axon() -> Iterator[Callable[..., Axon]]:
    started: list[Axon] = []

    def make(*forward_fns: Any, **kwargs: Any) -> Axon:
        kwargs.setdefault("wallet", ALICE)
        kwargs.setdefault("ip", "127.0.0.1")
        kwargs.setdefault("port", 0)
        axon = Axon(**kwargs)
        for fn in forward_fns:
            if isinstance(fn, tuple):
                axon.attach(*fn)
            else:
                axon.attach(fn)
        started.append(axon.start())
        return axon

    yield make
    for axon in started:
        axon.stop()


@pytest.fixture
async def dendrite() -> Any:
    d = Dendrite(BOB)
    yield d
    await d.aclose()


def signed(axon: Axon, synapse: Synapse, signer: Keypair = BOB, uuid: str = "test-uuid", timeout: float = 5.0) -> PreparedRequest:
    """A correctly signed request for ``axon`` (tests then tamper with it)."""
    return build_request(synapse, axon.info(), signer, uuid, timeout)


async def post(url: str, headers: dict[str, str], body: bytes, timeout: float = 10.0) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url, headers=headers, content=body, timeout=timeout)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (polling) until ``condition()`` holds."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")

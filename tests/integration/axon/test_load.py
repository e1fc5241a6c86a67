"""Under load: priority order, and concurrent callers each get their own answer."""

from __future__ import annotations

import asyncio
import random
import threading

from substrateinterface import Keypair

from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.synapses import TextPrompting

from .conftest import until


async def test_priority_order_under_load(make_axon, dendrite) -> None:  # type: ignore[no-untyped-def]
    gate_open = threading.Event()
    order: list[str] = []

    def forward(synapse: TextPrompting) -> TextPrompting:
        if synapse.messages[0] == "block":
            gate_open.wait(5)
        order.append(synapse.messages[0])
        return synapse

    def priority(synapse: TextPrompting) -> float:
        return 0.0 if synapse.messages[0] == "block" else float(synapse.messages[0])

    axon = make_axon((forward, None, priority), max_workers=1, max_queue=50)
    blocker = asyncio.ensure_future(dendrite.forward(axon, TextPrompting(roles=["u"], messages=["block"])))
    await until(lambda: axon.pipeline.gate.busy == 1)
    priorities = [3, 9, 1, 7, 5, 2, 8, 4, 6, 0]
    calls = [
        asyncio.ensure_future(dendrite.forward(axon, TextPrompting(roles=["u"], messages=[str(p)]), deserialize=False))
        for p in priorities
    ]
    await until(lambda: axon.pipeline.gate.waiting == len(priorities))  # all queued before the worker frees up
    gate_open.set()
    answers = await asyncio.gather(*calls)
    await blocker
    assert all(a.is_success for a in answers), [a.dendrite.status_message for a in answers]
    assert order == ["block"] + [str(p) for p in sorted(priorities, reverse=True)]


async def test_concurrent_callers_each_get_their_own_answer(make_axon) -> None:  # type: ignore[no-untyped-def]
    async def forward(synapse: TextPrompting) -> TextPrompting:
        await asyncio.sleep(random.random() / 50)
        synapse.completion = f"{synapse.dendrite.hotkey}:{synapse.messages[0]}"
        return synapse

    axon = make_axon(forward, max_workers=8)
    callers = [Dendrite(Keypair.create_from_uri(f"//Caller{i}")) for i in range(8)]

    async def calls(d: Dendrite) -> list[tuple[str, str]]:
        prompts = [f"q{j}" for j in range(10)]
        answers = await asyncio.gather(*[d.forward(axon, TextPrompting(roles=["u"], messages=[p])) for p in prompts])
        return [(f"{d.hotkey}:{p}", a) for p, a in zip(prompts, answers, strict=True)]

    results = await asyncio.gather(*[calls(d) for d in callers])
    for pairs in results:
        for expected, got in pairs:
            assert got == expected
    for d in callers:
        await d.aclose()

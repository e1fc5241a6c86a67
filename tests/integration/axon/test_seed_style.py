"""The seed README's styles end to end: a TextPromptingSynapse miner, bt.text_prompting, bt.axon/bt.dendrite."""

from __future__ import annotations

import bt_llm as bt
from bt_llm.axon.seed_style import TextPromptingSynapse
from bt_llm.protocol.synapses import Embedding

from .conftest import ALICE, BOB, EVE


class ChatBot(TextPromptingSynapse):
    def __init__(self, axon: object) -> None:
        self.feedback: list[tuple[str, list[float]]] = []
        super().__init__(axon=axon)  # type: ignore[arg-type]

    def priority(self, forward_call: object) -> float:
        return 1.0

    def blacklist(self, forward_call: bt.TextPrompting) -> tuple[bool, str]:  # type: ignore[override]
        return forward_call.dendrite.hotkey == EVE.ss58_address, "eve"

    def backward(self, messages: list[dict[str, str]], response: str, rewards: list[float]) -> None:
        self.feedback.append((response, rewards))

    def forward(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str:
        return f"hello im a chat bot. ({messages[-1]['content']}, {max_tokens})"


def test_seed_miner_and_text_prompting_client(make_axon) -> None:  # type: ignore[no-untyped-def]
    axon = make_axon()
    bot = ChatBot(axon=axon)
    dendrite = bt.text_prompting(keypair=BOB, axon=axon.info())
    answer = dendrite.forward(roles=["system", "user"], messages=["you are my financial advisor", "should I buy a boat?"], max_tokens=7)
    assert answer.is_success
    assert answer.completion == "hello im a chat bot. (should I buy a boat?, 7)"
    reward = dendrite.backward(roles=["user"], messages=["q"], response=answer.completion, rewards=[0.5])
    assert reward.is_success and reward.accepted
    assert bot.feedback == [(answer.completion, [0.5])]
    dendrite.close()

    eve = bt.text_prompting(keypair=EVE, axon=axon)
    refused = eve.forward(roles=["user"], messages=["hi"])
    eve.close()
    assert refused.is_blacklist and "eve" in refused.dendrite.status_message


async def test_bt_axon_and_dendrite_with_embeddings() -> None:
    async def embed(synapse: Embedding) -> Embedding:
        synapse.embeddings = [[float(len(t)), 1.0] for t in synapse.texts]
        return synapse

    axon = bt.axon(wallet=ALICE, port=0).attach(embed).start()
    try:
        async with bt.dendrite(BOB) as dendrite:
            vectors = await dendrite.forward([axon, axon], Embedding(texts=["abc", "de"]))
        assert vectors == [[[3.0, 1.0], [2.0, 1.0]]] * 2
    finally:
        axon.stop()

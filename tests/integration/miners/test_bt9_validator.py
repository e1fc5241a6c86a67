"""A bittensor 9.12.2 validator (its Dendrite, in `.interop-venv`) queries a miner run by our runtime."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import pytest
from substrateinterface import Keypair

from bt_llm.neuron import Miner, Neuron, NeuronConfig
from tests.interop.reference import BT9_PYTHON, requires_bt9, run_reference

from .test_neuron_runtime import MINER, FakeChain, neuron

pytestmark = [pytest.mark.interop, requires_bt9]

BOB = Keypair.create_from_uri("//Bob")

BT9_CODE = """
import asyncio, json
from typing import ClassVar, Optional
import bittensor.core.dendrite as bt_dendrite
bt_dendrite.get_external_ip = bt_dendrite.networking.get_external_ip = lambda: "10.255.255.1"
from bittensor.core.synapse import Synapse
from bittensor.core.dendrite import Dendrite
from bittensor.core.chain_data.axon_info import AxonInfo
from bittensor_wallet import Keypair

class TextPrompting(Synapse):
    roles: list[str] = []
    messages: list[str] = []
    max_tokens: Optional[int] = None
    temperature: Optional[float] = None
    top_p: Optional[float] = None
    stop: Optional[list[str]] = None
    seed: Optional[int] = None
    completion: str = ""
    required_hash_fields: ClassVar[tuple[str, ...]] = (
        "roles", "messages", "max_tokens", "temperature", "top_p", "stop", "seed")

class Embedding(Synapse):
    texts: list[str] = []
    embeddings: list[list[float]] = []
    required_hash_fields: ClassVar[tuple[str, ...]] = ("texts",)

target = AxonInfo(version=0, ip="127.0.0.1", port=PORT, ip_type=4, hotkey="HOTKEY", coldkey="")
out = {}
for signer in ("//Bob", "//Dave"):
    d = Dendrite(wallet=Keypair.create_from_uri(signer))
    r = d.query(axons=[target], synapse=TextPrompting(roles=["system", "user"], messages=["be brief", "capital?"],
                max_tokens=7, temperature=0.5, stop=["\\n"], seed=3), deserialize=False)[0]
    e = d.query(axons=[target], synapse=Embedding(texts=["ab", "abc"]), deserialize=False)[0]
    out[signer] = {"status": r.dendrite.status_code, "message": r.dendrite.status_message,
                   "completion": r.completion, "embeddings": e.embeddings, "embed_status": e.dendrite.status_code}
print(json.dumps(out))
"""


class Echo(Miner):
    def forward(self, messages, params):
        return f"{messages[0]['content']}|{messages[1]['content']}|{params.max_tokens}|{params.temperature}|" \
               f"{list(params.stop)}|{params.seed}"

    def embed(self, texts):
        return [[float(len(t)), 0.5] for t in texts]


def test_bt9_validator_queries_our_miner() -> None:
    sub = FakeChain([neuron(MINER.ss58_address, 0, 0.0, False), neuron(BOB.ss58_address, 1, 100.0, True)])
    n = Neuron(Echo(), NeuronConfig(netuid=1, axon_port=0), wallet=SimpleNamespace(hotkey=MINER), subtensor=sub).start()
    try:
        code = textwrap.dedent(BT9_CODE).replace("PORT", str(n.axon.port)).replace("HOTKEY", MINER.ss58_address)
        result = run_reference(BT9_PYTHON, code, timeout=120)
    finally:
        n.close()
    bob, dave = result["//Bob"], result["//Dave"]
    assert bob["status"] == 200, bob
    assert bob["completion"] == "be brief|capital?|7|0.5|['\\n']|3"
    assert bob["embed_status"] == 200 and bob["embeddings"] == [[2.0, 0.5], [3.0, 0.5]]
    assert dave["status"] == 403 and "Unrecognized hotkey" in dave["message"]  # not registered on the subnet

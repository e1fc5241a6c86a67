"""pytest plugin: one whole network for the session (localnet, miners, two bridges), on loopback.

``devnet_network`` starts, under a temporary folder:
- a localnet node with manual sealing (tempo 10),
- three template miners as real processes: two give the right answer to the test prompt in different
  words, one gives nonsense; and an embedding miner (all-MiniLM-L6-v2),
- two bridges (validators and delegates): ``bridge_a`` (Bob's coldkey, 100 TAO of stake, API keys
  ``sk-test`` and ``sk-slow`` limited to 2 requests a minute) and ``bridge_b`` (Charlie's, 50 TAO,
  open), each with its axon and HTTP API,
- ``client_wallet``: an unregistered wallet that signs ``bt.prompt`` calls.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

GOOD_1 = "Austin is the capital of Texas."
GOOD_2 = "The capital city of Texas is Austin."
BAD = "purple monkey dishwasher"
QUESTION = "What is the capital of Texas?"


@dataclass
class DevnetNetwork:
    net: Any
    bridge_a: Any
    bridge_b: Any
    uids: dict[str, int]
    client_wallet: Any

    @property
    def url(self) -> str:
        return self.net.url


@pytest.fixture(scope="session")
def devnet_network() -> Iterator[DevnetNetwork]:
    from bt_llm.bridge.devnet import Devnet
    from bt_llm.wallet.wallet import Wallet

    with tempfile.TemporaryDirectory(prefix="bt-llm-devnet-") as tmp, Devnet(Path(tmp), manual_seal=True) as net:
        net.start_node()
        uids: dict[str, int] = {}
        plan = [("good1", "template", ["--template.reply", GOOD_1]),
                ("good2", "template", ["--template.reply", GOOD_2]),
                ("bad", "template", ["--template.reply", BAD]),
                ("embedder", "embedding", [])]
        started = []
        for name, template, args in plan:
            wallet = net.wallet(name, coldkey_uri="//Alice", hotkey_uri=f"//Alice/{name}")
            uids[name] = net.register(wallet)
            started.append(net.start_miner(template, wallet, *args, wait=False))
        net.wait_for_miners(started, timeout=240)
        keys = Path(tmp) / "api-keys.txt"
        keys.write_text("sk-test\nsk-slow 2  # a key with its own limit\n")
        bridge_a = net.start_bridge(net.wallet("bridge_a", coldkey_uri="//Bob", hotkey_uri="//Bob/bridge"),
                                    stake_tao=100, api_keys_file=str(keys), timeout=8.0, k=8)
        bridge_b = net.start_bridge(net.wallet("bridge_b", coldkey_uri="//Charlie", hotkey_uri="//Charlie/bridge"),
                                    stake_tao=50, timeout=8.0, k=8)
        for bridge in (bridge_a, bridge_b):
            bridge.directory.refresh()
        client = Wallet(name="client", hotkey="default", path=str(net.wallet_path))
        client.create_new_hotkey(use_password=False, suppress=True)
        yield DevnetNetwork(net=net, bridge_a=bridge_a, bridge_b=bridge_b, uids=uids, client_wallet=client)

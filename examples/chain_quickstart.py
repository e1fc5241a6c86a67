"""Chain quickstart: the seed README's Subtensor and Metagraph snippets on an embedded localnet.

    python examples/chain_quickstart.py

Starts a localnet node on a free port (it stops when the example ends), then: the current block, a
transfer, a registration by proof of work and one by burning TAO, stake, an axon announced on chain,
``bt.metagraph(netuid=1)`` with ``S``, ``axons`` and ``hotkeys[i]``, ``sync(block=...)`` at an earlier
block, and ``save()``/``load()``. Everything lives in temporary folders.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile

import bt_llm as bt
from bt_llm.localnet.node.app import LocalnetNode


def dev_wallet(path: str, name: str, cold_uri: str, hot_uri: str) -> bt.Wallet:
    """A wallet whose keys derive from dev URIs (funded at genesis on the localnet)."""
    wallet = bt.wallet(name=name, hotkey="default", path=path)
    wallet.create_coldkey_from_uri(cold_uri, use_password=False, suppress=True)
    wallet.create_hotkey_from_uri(hot_uri, suppress=True)
    return wallet


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            LocalnetNode(port=0, manual_seal=True, instant_seal=True) as node:
        os.environ["BT_METAGRAPH_DIR"] = os.path.join(tmp, "metagraphs")  # where save()/load() go
        alice = dev_wallet(os.path.join(tmp, "wallets"), "alice", "//Alice", "//Alice//miner")
        bob = dev_wallet(os.path.join(tmp, "wallets"), "bob", "//Bob", "//Bob//miner")

        subtensor = bt.subtensor(network=node.url)  # or "local" for ws://127.0.0.1:9944, "finney", "test"
        print("block:", subtensor.get_current_block())

        # Transfer Tao to a destination address.
        subtensor.transfer(wallet=alice, dest=bob.coldkeypub.ss58_address, amount=10.0)
        print("bob's balance:", subtensor.get_balance(bob.coldkeypub.ss58_address))

        # Register wallets onto subnetwork 1: Alice by burning TAO, Bob by proof of work.
        subtensor.burned_register(wallet=alice, netuid=1)
        before_bob = subtensor.get_current_block()
        if importlib.util.find_spec("bt_llm.registration.solver") is not None:
            subtensor.register(wallet=bob, netuid=1, processes=1)
        else:
            subtensor.burned_register(wallet=bob, netuid=1)
        subtensor.add_stake(wallet=alice, amount=100.0)
        axon = bt.axon(wallet=alice, port=8091)  # not started here: announcing needs no socket
        subtensor.serve_axon(netuid=1, axon=axon)

        metagraph = bt.metagraph(netuid=1, network=node.url)  # state of subnetwork 1
        metagraph.sync()
        print(metagraph)
        print("stake:", metagraph.S)
        print("axons:", [axon.ip_str() for axon in metagraph.axons])
        print("hotkey of uid 1:", metagraph.hotkeys[1])
        assert metagraph.n == 2 and metagraph.S[0] == 100.0 and metagraph.axons[0].port == 8091

        # Sync the metagraph at another block (the localnet keeps every block).
        metagraph.sync(block=before_bob)
        print("at block", before_bob, "n =", metagraph.n)
        assert metagraph.n == 1

        metagraph.sync()
        path = metagraph.save()
        loaded = bt.metagraph(netuid=1, network=node.url, sync=False).load()
        print("saved to", path, "and loaded back:", loaded)
        assert loaded.hotkeys == metagraph.hotkeys and loaded.block == metagraph.block
        subtensor.close()


if __name__ == "__main__":
    main()

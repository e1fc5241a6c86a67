"""The seed's metagraph snippets against a localnet node: S, axons, hotkeys[i], sync(block=...), save/load."""

from __future__ import annotations

import numpy as np

import bt_llm as bt
from bt_llm.chain.metagraph import Metagraph


def test_seed_metagraph_snippets(localnet_node, subtensor, wallets, tmp_path, monkeypatch) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    subtensor.burned_register(alice, 1)
    block_one = subtensor.get_current_block()
    subtensor.burned_register(bob, 1)
    subtensor.add_stake(alice, 40)
    subtensor.serve_axon(1, wallet=bob, ip="127.0.0.1", port=8099)

    metagraph = bt.metagraph(netuid=1, network=localnet_node.url)  # the seed: bt.metagraph( netuid = 1 )
    metagraph.sync()
    assert metagraph.n == 2 and metagraph.network == "local"
    assert metagraph.block == subtensor.get_current_block()
    assert metagraph.S.tolist() == [40.0, 0.0]
    assert metagraph.hotkeys[1] == bob.hotkey.ss58_address
    assert metagraph.coldkeys[0] == alice.coldkeypub.ss58_address
    assert metagraph.axons[1].port == 8099 and metagraph.axons[1].ip == "127.0.0.1"
    assert not metagraph.axons[0].is_serving
    assert metagraph.uids.tolist() == [0, 1]

    # sync at another block (the node is an archive)
    metagraph.sync(block=block_one)
    assert metagraph.n == 1 and metagraph.block == block_one and metagraph.S.tolist() == [0.0]

    # save / load
    monkeypatch.setenv("BT_METAGRAPH_DIR", str(tmp_path / "metagraphs"))
    metagraph.sync()
    path = metagraph.save()
    assert path.parent == tmp_path / "metagraphs" / "network-local" / "netuid1"
    loaded = Metagraph(1, network="local", sync=False).load()
    assert loaded.block == metagraph.block and loaded.hotkeys == metagraph.hotkeys
    assert np.array_equal(loaded.S, metagraph.S) and loaded.axons == metagraph.axons


def test_full_metagraph_has_weights(localnet_node, subtensor, wallets) -> None:
    alice = wallets["alice"]
    subtensor.burned_register(alice, 1)
    subtensor.set_weights(alice, 1, [0], [1.0], wait_for_inclusion=True)
    metagraph = Metagraph(1, lite=False, subtensor=subtensor)
    assert metagraph.W.shape == (1, 1) and metagraph.W[0, 0] == 1.0
    assert metagraph.B.shape == (1, 1)
    assert metagraph.last_update[0] == subtensor.get_current_block()

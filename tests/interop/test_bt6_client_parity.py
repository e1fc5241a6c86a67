"""Our Subtensor/Metagraph and the bittensor 6.12.4 SDK read the same localnet and agree.

Our client writes (registrations, stake, axons, weights, a delegate); the SDK, unchanged in
``.interop-venv-bt6``, then reads the metagraph (lite and full), the neurons, the delegates and the
subnet info in a subprocess, and every value is compared with what our client decodes.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.interop.reference import BT6_PYTHON, requires_bt6, run_reference

pytestmark = [pytest.mark.interop, pytest.mark.slow, requires_bt6]


def test_metagraph_and_reads_match_the_sdk(localnet_node, tmp_path) -> None:
    from bt_llm.chain.metagraph import Metagraph
    from bt_llm.chain.subtensor import Subtensor
    from tests.integration.chain.conftest import make_wallet

    root = tmp_path / "wallets"
    alice = make_wallet(root, "alice", "//Alice", "//Alice//hot")
    bob = make_wallet(root, "bob", "//Bob", "//Bob//hot")
    with Subtensor(localnet_node.url) as sub:
        sub.burned_register(alice, 1)
        sub.burned_register(bob, 1)
        sub.add_stake(alice, 50)
        sub.serve_axon(1, wallet=alice, ip="127.0.0.1", port=8101)
        sub.serve_axon(1, wallet=bob, ip="127.0.0.1", port=8102)
        sub.set_weights(alice, 1, [0], [1.0], wait_for_inclusion=True)
        sub.nominate(alice)
        sub.delegate(bob, alice.hotkey.ss58_address, 2)
        ours_lite = Metagraph(1, subtensor=sub)
        ours_full = Metagraph(1, lite=False, subtensor=sub)
        delegates = sub.get_delegates()
        (subnet,) = sub.get_all_subnets_info()
        hyper = sub.get_subnet_hyperparameters(1)

    code = f"""
import json, bittensor as bt
st = bt.subtensor(network={localnet_node.url!r})
lite = bt.metagraph(1, network={localnet_node.url!r}, lite=True)
full = bt.metagraph(1, network={localnet_node.url!r}, lite=False)
ds = st.get_delegates()
info = st.get_all_subnets_info()[0]
hp = st.get_subnet_hyperparameters(1)
print(json.dumps({{
  "block": int(lite.block), "hotkeys": lite.hotkeys, "coldkeys": lite.coldkeys,
  "S": lite.S.tolist(), "R": lite.R.tolist(), "E": lite.E.tolist(), "active": lite.active.tolist(),
  "last_update": lite.last_update.tolist(), "permit": lite.validator_permit.tolist(),
  "ports": [a.port for a in lite.axons], "ips": [a.ip for a in lite.axons],
  "W": full.W.tolist(), "delegates": [[d.hotkey_ss58, d.owner_ss58, d.take, d.total_stake.rao,
                                       [[n, int(s)] for n, s in d.nominators]] for d in ds],
  "subnet": [info.netuid, info.tempo, info.max_n, info.burn.rao, info.owner_ss58],
  "hp": [hp.tempo, hp.immunity_period, hp.difficulty, hp.max_validators],
}}))
"""
    ref = run_reference(BT6_PYTHON, code, timeout=240)
    assert ref["block"] == ours_lite.block
    assert ref["hotkeys"] == ours_lite.hotkeys and ref["coldkeys"] == ours_lite.coldkeys
    for name in ("S", "R", "E"):
        assert np.allclose(ref[name], getattr(ours_lite, name).tolist()), name
    assert ref["active"] == ours_lite.active.tolist() and ref["last_update"] == ours_lite.last_update.tolist()
    assert ref["permit"] == ours_lite.validator_permit.tolist()
    assert ref["ports"] == [a.port for a in ours_lite.axons] == [8101, 8102]
    assert ref["ips"] == [a.ip for a in ours_lite.axons]
    assert np.allclose(ref["W"], ours_full.W.tolist())
    assert ref["delegates"] == [[d.hotkey_ss58, d.owner_ss58, pytest.approx(d.take), d.total_stake_rao,
                                 [list(n) for n in d.nominators]] for d in delegates]
    assert ref["subnet"] == [subnet.netuid, subnet.tempo, subnet.max_n, subnet.burn_rao, subnet.owner_ss58]
    assert ref["hp"] == [hyper.tempo, hyper.immunity_period, hyper.difficulty, hyper.max_validators]

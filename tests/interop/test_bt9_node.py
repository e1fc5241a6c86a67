"""bittensor 9.12.2 (async-substrate-interface, metadata V15) against our node: the parts the 2023 chain has.

bittensor 9 targets the dynamic-TAO runtime (its metagraph and hyperparameters call runtime APIs that the
September 2023 chain never had); balances, transfers, nonces and the 2023 neuron API work unchanged.
"""

from __future__ import annotations

import pytest

from tests.interop.reference import BT9_PYTHON, requires_bt9, run_reference

pytestmark = [pytest.mark.interop, pytest.mark.slow, requires_bt9]


def test_bt9_balance_transfer_nonce_and_neurons(tmp_path) -> None:
    from bt_llm.localnet.node.app import LocalnetNode

    code = f"""
import json
import bittensor as bt
from bittensor_wallet import Wallet, Keypair
st = bt.Subtensor(network=URL)
w = Wallet(name="a", hotkey="h", path={str(tmp_path)!r})
w.set_coldkey(Keypair.create_from_uri("//Alice"), encrypt=False, overwrite=True)
w.set_coldkeypub(Keypair.create_from_uri("//Alice"), overwrite=True)
w.set_hotkey(Keypair.create_from_uri("//Alice/hot"), encrypt=False, overwrite=True)
bob = Keypair.create_from_uri("//Bob").ss58_address
out = {{"block": st.get_current_block(), "bob_before": st.get_balance(bob).rao}}
out["transfer"] = bool(st.transfer(w, bob, bt.Balance.from_tao(1.0), wait_for_inclusion=True))
out["bob_after"] = st.get_balance(bob).rao
out["nonce"] = st.substrate.get_account_nonce(w.coldkeypub.ss58_address)
out["neurons_lite"] = len(st.neurons_lite(1))
out["subnet_exists"] = st.subnet_exists(1)
print(json.dumps(out))
"""
    with LocalnetNode(port=0, manual_seal=True, instant_seal=True) as node:
        out = run_reference(BT9_PYTHON, code.replace("URL", repr(node.url)), timeout=300)
    assert out["transfer"] is True
    assert out["bob_after"] - out["bob_before"] == 10**9
    assert out["nonce"] == 1 and out["block"] == 0
    assert out["neurons_lite"] == 0 and out["subnet_exists"] is True

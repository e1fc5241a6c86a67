"""bittensor 6.12.4 (unchanged, in .interop-venv-bt6) against our localnet node.

The SDK and its btcli run in subprocesses (their pins clash with ours); the node runs here on a free
port with instant sealing, so the SDK's ``wait_for_inclusion`` / ``wait_for_finalization`` return.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.interop.reference import BT6_PYTHON, requires_bt6, run_reference

pytestmark = [pytest.mark.interop, pytest.mark.slow, requires_bt6]

WALLETS = """
import json, bittensor as bt
from substrateinterface import Keypair
def mk(name, cold, hot, path):
    w = bt.wallet(name=name, hotkey="default", path=path)
    w.set_coldkey(Keypair.create_from_uri(cold), encrypt=False, overwrite=True)
    w.set_coldkeypub(Keypair.create_from_uri(cold), overwrite=True)
    w.set_hotkey(Keypair.create_from_uri(hot), encrypt=False, overwrite=True)
    return w
"""


@pytest.fixture(scope="module")
def node():
    from bt_llm.localnet.node.app import LocalnetNode

    with LocalnetNode(port=0, manual_seal=True, instant_seal=True) as running:
        yield running


@pytest.fixture(scope="module")
def sdk_run(node, tmp_path_factory):
    """Writes with the SDK first (module order matters: later tests read what these wrote)."""
    home = tmp_path_factory.mktemp("bt6home")
    code = WALLETS + f"""
path = {str(home / ".bittensor" / "wallets")!r}
st = bt.subtensor(network={node.url!r})
alice = mk("alice", "//Alice", "//Alice/hot", path)
bob = mk("bob", "//Bob", "//Bob/hot", path)
out = {{"block0": st.get_current_block()}}
before = st.get_balance(bob.coldkeypub.ss58_address).rao
out["transfer"] = st.transfer(alice, bob.coldkeypub.ss58_address, 5.0, prompt=False, wait_for_inclusion=True)
out["bob_gain"] = st.get_balance(bob.coldkeypub.ss58_address).rao - before
out["burned_register"] = st.burned_register(alice, netuid=1, prompt=False)
out["add_stake"] = st.add_stake(alice, alice.hotkey.ss58_address, 10.0, prompt=False)
out["stake"] = st.get_stake_for_coldkey_and_hotkey(alice.hotkey.ss58_address, alice.coldkeypub.ss58_address).rao
axon = bt.axon(wallet=alice, port=8091, external_ip="127.0.0.1", ip="127.0.0.1")
out["serve_axon"] = st.serve_axon(netuid=1, axon=axon)
out["nominate"] = st.nominate(alice)
uid = st.get_uid_for_hotkey_on_subnet(alice.hotkey.ss58_address, 1)
out["set_weights"] = st.set_weights(alice, 1, [uid], [1.0], wait_for_inclusion=True, prompt=False)[0]
out["register_pow"] = st.register(bob, netuid=1, prompt=False, num_processes=1, update_interval=50_000)
out["bob_uid"] = st.get_uid_for_hotkey_on_subnet(bob.hotkey.ss58_address, 1)
out["too_much_stake"] = st.add_stake(bob, bob.hotkey.ss58_address, 10_000_000.0, prompt=False)
print(json.dumps(out))
"""
    return home, run_reference(BT6_PYTHON, code, timeout=300)


def test_sdk_writes(sdk_run) -> None:
    _, out = sdk_run
    assert out["transfer"] is True and out["bob_gain"] == 5 * 10**9
    assert out["burned_register"] is True
    assert out["add_stake"] is True and out["stake"] == 10 * 10**9 - 1000  # the SDK keeps 1000 rao back
    assert out["serve_axon"] is True
    assert out["nominate"] is True
    assert out["set_weights"] is True
    assert out["register_pow"] is True and out["bob_uid"] is not None
    assert out["too_much_stake"] is False  # not enough balance: refused before submitting


def test_sdk_reads(node, sdk_run) -> None:
    code = f"""
import json, bittensor as bt
st = bt.subtensor(network={node.url!r})
out = {{"block": st.get_current_block()}}
out["balance"] = st.get_balance("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").rao
out["subnets"] = st.get_subnets()
out["subnets_info"] = [(i.netuid, i.owner_ss58, i.subnetwork_n) for i in st.get_all_subnets_info()]
hp = st.get_subnet_hyperparameters(1)
out["hp"] = [hp.tempo, hp.min_allowed_weights, hp.registration_allowed]
out["delegates"] = [d.hotkey_ss58 for d in st.get_delegates()]
out["neurons_lite"] = [(n.uid, n.hotkey, n.axon_info.port) for n in st.neurons_lite(1)]
lite = st.metagraph(1)
full = st.metagraph(1, lite=False)
out["metagraph"] = [int(lite.n), [float(s) for s in lite.S], lite.hotkeys, int(full.n), full.W.shape[0] if hasattr(full.W, "shape") else len(full.W)]
old = bt.metagraph(1, network={node.url!r}, sync=False)
old.sync(block=2, lite=True, subtensor=st)  # archive: as of block 2 (after the first registration only)
out["metagraph_at_2"] = [int(old.n), int(old.block)]
out["stake_info"] = [s.stake.rao for s in st.get_stake_info_for_coldkey("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")]
out["delegated"] = len(st.get_delegated("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"))
out["senate"] = st.get_senate_members()
out["proposals"] = st.get_proposals()
print(json.dumps(out, default=str))
"""
    out = run_reference(BT6_PYTHON, code, timeout=300)
    assert out["block"] >= 7  # one block per accepted extrinsic (instant seal)
    assert out["subnets"] == [1]
    (netuid, owner, n), = out["subnets_info"]
    assert (netuid, owner, n) == (1, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 2)
    assert out["hp"][0] > 0 and out["hp"][2] is True
    assert len(out["delegates"]) == 1
    assert [(uid, port) for uid, _, port in out["neurons_lite"]] == [(0, 8091), (1, 0)]
    n, stakes, hotkeys, full_n, weight_rows = out["metagraph"]
    assert n == full_n == weight_rows == 2
    assert stakes[0] == pytest.approx(10.0, abs=1e-3)
    assert hotkeys[0] == out["delegates"][0]
    assert out["metagraph_at_2"] == [1, 2]
    assert out["stake_info"] == [10 * 10**9 - 1000]
    assert out["delegated"] == 1
    assert out["senate"] == [] and out["proposals"] == {}


def _btcli(home, node, *args: str) -> str:
    env = {**os.environ, "HOME": str(home), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    proc = subprocess.run(
        [str(BT6_PYTHON.parent / "btcli"), *args, "--subtensor.chain_endpoint", node.url, "--no_version_checking",
         "--no_prompt"], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_btcli_metagraph_overview_and_stake(node, sdk_run) -> None:
    home, _ = sdk_run
    out = _btcli(home, node, "subnets", "metagraph", "--netuid", "1")
    assert "N: 2/2" in out
    out = _btcli(home, node, "wallet", "overview", "--wallet.name", "alice")
    assert "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY" in out and "Subnet: 1" in out
    out = _btcli(home, node, "stake", "add", "--wallet.name", "alice", "--wallet.hotkey", "default", "--amount", "1")
    assert "Finalized" in out and "Stake:" in out


def _btcli_offline(home, node, *args: str) -> str:
    """btcli 6.12.4 fetches delegate display names from GitHub; with no network here that fetch returns None
    and some commands crash before rendering. Only that fetch is replaced (by "no names"), nothing else."""
    code = f"""
import json, io, contextlib, sys
import bittensor, bittensor.commands as commands
for module in list(sys.modules.values()):
    if getattr(module, "__name__", "").startswith("bittensor.commands") and hasattr(module, "get_delegates_details"):
        module.get_delegates_details = lambda url: {{}}
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    bittensor.cli(args={[*args, "--subtensor.chain_endpoint", node.url, "--no_version_checking", "--no_prompt"]!r}).run()
print(json.dumps(buf.getvalue()))
"""
    return run_reference(BT6_PYTHON, code, env={"HOME": str(home)}, timeout=300)


def test_btcli_subnets_list(node, sdk_run) -> None:
    home, _ = sdk_run
    out = _btcli_offline(home, node, "subnets", "list")
    assert "Subnets - local" in out and "5GrwvaEF5zXb26Fz9rc" in out  # owner (truncated by the table)


def test_senate_join_proposal_and_vote(node, sdk_run) -> None:
    # Alice (triumvirate) proposes with our substrate-interface; the SDK joins the senate, reads and votes.
    from substrateinterface import Keypair, SubstrateInterface

    si = SubstrateInterface(url=node.url, ss58_format=42)
    try:
        alice = Keypair.create_from_uri("//Alice")
        inner = si.compose_call("SubtensorModule", "sudo_set_tempo", {"netuid": 1, "tempo": 7})
        call = si.compose_call("Triumvirate", "propose",
                               {"proposal": inner, "length_bound": len(inner.data), "duration": 4000})
        receipt = si.submit_extrinsic(si.create_signed_extrinsic(call, alice), wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message
        (proposal_hash,) = si.query("Triumvirate", "Proposals").value
    finally:
        si.close()
    home, _ = sdk_run
    code = WALLETS + f"""
st = bt.subtensor(network={node.url!r})
alice = mk("alice", "//Alice", "//Alice/hot", {str(home / ".bittensor" / "wallets")!r})
try:
    out = {{"joined": st.register_senate(alice)}}
except AttributeError as exc:  # 6.12.4's own bug after a successful join: wallet.is_senate_member is missing
    out = {{"joined": "is_senate_member" in str(exc)}}
out["members"] = st.get_senate_members()
out["is_member"] = st.is_senate_member(alice.hotkey.ss58_address)
proposals = st.get_proposals()
call, votes = proposals[{proposal_hash!r}]
out["call"] = [call["call_module"], call["call_function"]]
out["threshold"] = votes["threshold"]
out["voted"] = st.vote_senate(alice, {proposal_hash!r}, votes["index"], True)
out["ayes"] = st.get_vote_data({proposal_hash!r})["ayes"]
print(json.dumps(out, default=str))
"""
    out = run_reference(BT6_PYTHON, code, env={"HOME": str(home)}, timeout=300)
    hotkey = out["members"][0] if out["members"] else None
    assert out["joined"] is True and out["is_member"] is True and len(out["members"]) == 1
    assert out["call"] == ["SubtensorModule", "sudo_set_tempo"]
    assert out["voted"] is True and out["ayes"] == [hotkey]
    listing = _btcli_offline(home, node, "root", "proposals")
    assert "Active Proposals: 1" in listing and "Senate Size: 1" in listing

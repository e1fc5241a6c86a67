"""The client on the live (dynamic-TAO) runtime, against a replay node serving a finney node's recorded
answers (``shared/fixtures/bittensor-recorded``) and its spec-343 metadata.

The expected values are read from the recording itself (the same ones the bittensor 10 SDK's tests
assert); ``tests/interop/test_bt10_replay_parity.py`` compares with the SDK run against the same replay.
"""

from __future__ import annotations

import json

import pytest

from bt_llm.localnet.replay import RECORDING, ReplayNode
from tests.integration.chain.made_answers import REPLAY_MARKS

pytestmark = REPLAY_MARKS

HOTKEY = "5DkzsviNQr4ZePXMmEfNPDcE7cQ9cVyepmQbgUw6YT3odcwh"
HOTKEY_14 = "5Cf4LPRv6tiyuFsfLRQaFYEEn3zJRGi4bAE9DwbbKmbCSHpV"
ZERO = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"


@pytest.fixture(scope="module")
def node():
    with ReplayNode.from_fixtures() as replay:
        yield replay


def client(node: ReplayNode, scenario: str):
    from bt_llm.chain.subtensor import Subtensor

    return Subtensor("finney", chain_endpoint=node.url(scenario))


def recorded(scenario: str, method: str, params: list) -> object:
    return json.loads(RECORDING.read_text())[scenario][method][json.dumps(params)]["result"]


def test_the_runtime_is_recognised_from_its_metadata(node) -> None:
    sub = client(node, "get_neuron_for_pubkey_and_subnet")
    profile = sub.runtime_profile
    assert profile.kind == "dynamic-tao" and profile.is_dynamic_tao
    assert profile.spec_version == 315  # what the node reported when this was recorded
    assert {"SubtensorModule", "Balances", "Swap"} <= profile.pallets and "SubnetAlphaIn" in profile.subtensor_storage
    assert profile.apis.has("SubnetInfoRuntimeApi", "get_selective_metagraph")
    assert profile.apis.has("NeuronInfoRuntimeApi", "get_neurons_lite")
    assert "add_stake" in profile.subtensor_calls


def test_neuron_from_the_runtime_api(node) -> None:
    neuron = client(node, "get_neuron_for_pubkey_and_subnet").get_neuron_for_pubkey_and_subnet(HOTKEY_14, 14)
    assert (neuron.hotkey, neuron.uid, neuron.netuid) == (HOTKEY_14, 29, 14)
    assert neuron.coldkey == "5CKhH8nKAhXLmqxwaXzFtVFgxqwwnyckXG8qLpmGtzVJH9Ri"
    assert neuron.stake_dict == {neuron.coldkey: 293397769457395} and neuron.total_stake_rao == 293397769457395
    assert neuron.last_update == 6522124 and neuron.validator_permit and neuron.pruning_score == 65535
    assert neuron.rank == 65521 / 65535 and neuron.emission == 184.855361378
    assert neuron.weights[:2] == [(2, 170), (21, 16)] and len(neuron.bonds) == 32
    # the answer was Option<NeuronInfo>: its first byte is Some, the hotkey follows
    raw = recorded("get_neuron_for_pubkey_and_subnet", "state_call", ["NeuronInfoRuntimeApi_get_neuron", "0e001d00", None])
    from bt_llm.chain.scale import ss58_encode

    assert raw[:4] == "0x01" and ss58_encode(bytes.fromhex(raw[4:68])) == HOTKEY_14


def test_subnets_info_v2(node) -> None:
    subnets = client(node, "get_all_subnets_info").get_all_subnets_info()
    assert subnets[0].owner_ss58 == ZERO
    assert (subnets[1].kappa, subnets[1].max_weight_limit, subnets[1].blocks_since_epoch) == (32767, 65535, 30)
    assert (subnets[1].netuid, subnets[1].subnetwork_n, subnets[1].max_n, subnets[1].tempo) == (1, 1024, 1024, 99)


def test_metagraph_with_alpha_and_tao_stake(node) -> None:
    from bt_llm.chain.metagraph import Metagraph

    mg = Metagraph(1, subtensor=client(node, "metagraph"))
    assert (mg.n, mg.netuid, mg.block) == (1024, 1, 6852690)
    assert mg.hotkeys[0] == "5DkMmXtWf16RNdusZGCrJ7ca7ADPgRnZLVWCWbgA7s7sy1AQ"
    assert mg.S[0] == pytest.approx(2.5571723) and mg.S[3] == pytest.approx(32.787518)
    assert mg.alpha_stake.shape == mg.tao_stake.shape == (1024,)
    assert (mg.alpha_stake - 1e-3 <= mg.S).all()


def test_storage_reads_on_the_live_runtime(node) -> None:
    assert client(node, "get_balance").get_balance("5CUkpcUWSSMKMdNUW23sfUke6WCkoYXixR4CPBDCLpvxLmSi").rao == 7450117072
    assert client(node, "tempo").tempo(23) == 1000
    assert client(node, "difficulty").difficulty(23) == 10_000_000
    assert client(node, "immunity_period").subnet_value("ImmunityPeriod", 23) == 5000
    assert client(node, "get_current_block").get_current_block() == 6522038
    assert client(node, "get_block_hash").get_block_hash(6522038) == (
        "0x4f0bbe5e96a78ca4cc1df9a7e757d335165d6d71c545cf6eb4794986424bcd29")
    assert client(node, "subnetwork_n").subnet_value("SubnetworkN", 1) == 1024
    assert client(node, "get_netuids_for_hotkey").get_netuids_for_hotkey(HOTKEY_14) == [14]
    assert client(node, "is_hotkey_registered_on_subnet").is_hotkey_registered(HOTKEY_14, 14)
    assert client(node, "get_uid_for_hotkey_on_subnet").get_uid_for_hotkey_on_subnet(HOTKEY, 23) == 5
    assert client(node, "get_delegate_take").get_delegate_take(HOTKEY) == pytest.approx(0.179995422293431)
    assert client(node, "weights").weights(23) == {10: [(10, 65535)]}
    assert client(node, "bonds").bonds(23) == {uid: [] for uid in range(19)}
    assert client(node, "get_subnet_burn_cost").get_subnet_burn_cost().rao == int.from_bytes(
        bytes.fromhex("40d48b5800000000"), "little")


def test_an_answer_in_another_layout_is_a_clear_error(node) -> None:
    """``neurons_lite`` was recorded at spec 208, whose ``Vec<u8>``-wrapped answer is not spec 343's type."""
    from bt_llm.chain.live import UnsupportedRuntimeError

    with pytest.raises(UnsupportedRuntimeError, match=r"NeuronInfoRuntimeApi_get_neurons_lite answered \d+ bytes"):
        client(node, "neurons_lite").neurons_lite(23)


def test_the_replay_names_what_it_has_not_recorded(node) -> None:
    from bt_llm.errors import RpcRemoteError

    with pytest.raises(RpcRemoteError, match=r"no recorded answer to state_call\(\[\"NeuronInfoRuntimeApi_get_neurons\""):
        client(node, "neurons").neurons(23)


def test_btcli_lists_finney_subnets_through_the_replay(node) -> None:
    from click.testing import CliRunner

    from bt_llm.cli.main import cli

    result = CliRunner().invoke(cli, ["list_subnets", "--subtensor.network", "finney", "--subtensor.chain_endpoint",
                                      node.url("get_all_subnets_info")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Subnets on finney" in result.output and "5HCFWvRqzSHWRPecN7q8J6c7aKQnrCZTMHstPv39xL1wgDHh" in result.output


def test_network_finney_takes_the_live_path(node, monkeypatch) -> None:
    """``bt.subtensor(network="finney")``, ``bt.metagraph(netuid, network="finney")`` and ``btcli
    --subtensor.network finney``, with finney's endpoint pointed at the replay."""
    from click.testing import CliRunner

    import bt_llm as bt
    from bt_llm.chain import networks
    from bt_llm.cli.main import cli

    monkeypatch.setitem(networks.ENDPOINTS, "finney", node.url("metagraph"))
    sub = bt.subtensor(network="finney")
    assert sub.network == "finney" and sub.runtime_profile.is_dynamic_tao
    assert sub.get_current_block() == 6852690
    mg = bt.metagraph(1, network="finney")
    assert (mg.network, mg.n, mg.block) == ("finney", 1024, 6852690)
    monkeypatch.setitem(networks.ENDPOINTS, "finney", node.url("get_all_subnets_info"))
    result = CliRunner().invoke(cli, ["list_subnets", "--subtensor.network", "finney"], catch_exceptions=False)
    assert result.exit_code == 0 and "Subnets on finney" in result.output

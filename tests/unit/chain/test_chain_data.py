"""Decoders of chain_data against bytes encoded by scalecodec with the 2023 type registry."""

from __future__ import annotations

import pytest

from bt_llm.chain import chain_data as cd
from bt_llm.chain.scale import ScaleReader, encode_compact, ss58_decode, ss58_encode, unwrap_bytes_vec
from bt_llm.errors import RpcProtocolError

from .factories import address, hexkey, neuron
from .scale_types import encode


def test_neurons_lite_decode_matches_scalecodec() -> None:
    values = [neuron(uid) for uid in range(5)]
    data = encode("Vec<NeuronInfoLite>", values)
    decoded = cd.decode_neurons_lite(data)
    assert [n.uid for n in decoded] == [0, 1, 2, 3, 4]
    third = decoded[3]
    assert third.hotkey == address("hot3")
    assert third.coldkey == address("cold0")
    assert third.active is False and decoded[2].active is True
    assert third.axon_info.ip == "127.0.0.1" and third.axon_info.port == 8094
    assert third.axon_info.hotkey == third.hotkey and third.axon_info.version == 724
    assert third.axon_block == 13 and third.axon_info.is_serving
    assert third.stake_dict == {address("cold0"): 4_000_000_000, address("nominator"): 500}
    assert third.total_stake_rao == 4_000_000_500
    assert third.stake == pytest.approx(4.0000005)
    assert third.rank == pytest.approx(300 / 65535)
    assert third.emission == pytest.approx(3 * 0.123456789)
    assert decoded[0].incentive == 1.0
    assert third.validator_trust == pytest.approx(12 / 65535)
    assert third.last_update == 1003 and third.validator_permit and not decoded[4].validator_permit
    assert third.pruning_score == 65532
    assert not third.prometheus_info.block


def test_neurons_full_decode_weights_and_bonds() -> None:
    values = [neuron(uid, full=True, n=3) for uid in range(3)]
    decoded = cd.decode_neurons(encode("Vec<NeuronInfo>", values))
    assert isinstance(decoded[1], cd.NeuronInfo)
    assert decoded[1].weights == [(2, 65535), (1, 1000)]
    assert decoded[2].bonds == [(1, 14)]
    assert decoded[2].pruning_score == 65533


def test_single_neuron_and_empty() -> None:
    data = encode("NeuronInfo", neuron(7, netuid=3, full=True))
    one = cd.decode_neuron(data)
    assert one is not None and one.uid == 7 and one.netuid == 3
    assert cd.decode_neuron(b"") is None
    lite = cd.decode_neuron_lite(encode("NeuronInfoLite", neuron(2)))
    assert lite is not None and lite.uid == 2


def test_trailing_bytes_are_an_error() -> None:
    data = encode("Vec<NeuronInfoLite>", [neuron(0)]) + b"\x00"
    with pytest.raises(RpcProtocolError, match="left over"):
        cd.decode_neurons_lite(data)
    with pytest.raises(RpcProtocolError, match="ends early"):
        cd.decode_neurons_lite(data[:50])


def test_delegates_decode() -> None:
    value = {
        "delegate_ss58": hexkey("hot1"), "take": 11796,
        "nominators": [(hexkey("cold1"), 10**9), (hexkey("cold2"), 5 * 10**9)],
        "owner_ss58": hexkey("cold1"), "registrations": [1, 3], "validator_permits": [1],
        "return_per_1000": 42, "total_daily_return": 4242,
    }
    (d,) = cd.decode_delegates(encode("Vec<DelegateInfo>", [value]))
    assert d.hotkey_ss58 == address("hot1") and d.owner_ss58 == address("cold1")
    assert d.take == pytest.approx(0.18, abs=1e-4)
    assert d.nominators == [(address("cold1"), 10**9), (address("cold2"), 5 * 10**9)]
    assert d.total_stake_rao == 6 * 10**9
    assert d.registrations == [1, 3] and d.validator_permits == [1]
    assert d.return_per_1000_rao == 42 and d.total_daily_return_rao == 4242
    assert cd.decode_delegate(encode("DelegateInfo", value)) == d
    delegated = cd.decode_delegated(encode("Vec<(DelegateInfo, Compact<u64>)>", [(value, 77)]))
    assert delegated == [(d, 77)]


SUBNET = {
    "netuid": 1, "rho": 10, "kappa": 32767, "difficulty": 10_000_000, "immunity_period": 4096,
    "max_allowed_validators": 128, "min_allowed_weights": 1, "max_weights_limit": 65535,
    "scaling_law_power": 50, "subnetwork_n": 3, "max_allowed_uids": 4096, "blocks_since_last_step": 12,
    "tempo": 99, "network_modality": 0, "network_connect": [[3, 32767]], "emission_values": 10**9,
    "burn": 10**9, "owner": hexkey("alice"),
}


def test_subnets_info_decode_with_none_entries() -> None:
    data = encode("Vec<Option<SubnetInfo>>", [SUBNET, None, {**SUBNET, "netuid": 3}])
    infos = cd.decode_subnets_info(data)
    assert [i.netuid for i in infos] == [1, 3]
    info = infos[0]
    assert info.kappa == 32767 and info.difficulty == 10_000_000 and info.max_n == 4096
    assert info.subnetwork_n == 3 and info.blocks_since_epoch == 12 and info.tempo == 99
    assert info.connection_requirements == {"3": pytest.approx(0.5, abs=1e-4)}
    assert info.emission_value == 10**9 and info.burn_rao == 10**9 and info.owner_ss58 == address("alice")
    assert cd.decode_subnet_info(encode("SubnetInfo", SUBNET)) == info


def test_hyperparameters_decode() -> None:
    # the 2023 runtime's 22 (the dynamic-TAO runtime's further ones default to None: test_live_delegates_hyperparams)
    names = [f.name for f in cd.SubnetHyperparameters.__dataclass_fields__.values() if f.default is not None]
    value = {name: i + 2 for i, name in enumerate(names)}
    value["registration_allowed"] = True
    hp = cd.decode_subnet_hyperparameters(encode("SubnetHyperparameters", value))
    assert hp is not None and hp.to_dict() == value
    assert len(names) == 22


def test_stake_info_decode() -> None:
    rows = [{"hotkey": hexkey("h1"), "coldkey": hexkey("c"), "stake": 9}]
    assert cd.decode_stake_info(encode("Vec<StakeInfo>", rows)) == [cd.StakeInfo(address("h1"), address("c"), 9)]
    multi = cd.decode_stake_info_for_coldkeys(encode("Vec<(AccountId, Vec<StakeInfo>)>", [(hexkey("c"), rows)]))
    assert multi == {address("c"): [cd.StakeInfo(address("h1"), address("c"), 9)]}


@pytest.mark.parametrize("value", [0, 1, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**64 - 1])
def test_compact_roundtrip(value: int) -> None:
    assert encode("Compact<u128>", value) == encode_compact(value)
    assert ScaleReader(encode_compact(value)).compact() == value


def test_unwrap_bytes_vec_and_ss58() -> None:
    assert unwrap_bytes_vec(bytes([8, 1, 2])) == b"\x01\x02"
    k = bytes(range(32))
    assert ss58_decode(ss58_encode(k)) == k
    with pytest.raises(ValueError):
        ss58_decode(ss58_encode(k)[:-1] + "z")


def test_ip_helpers() -> None:
    assert cd.ip_to_int("127.0.0.1") == (2130706433, 4)
    assert cd.int_to_ip(2130706433, 4) == "127.0.0.1"
    value, kind = cd.ip_to_int("::1")
    assert kind == 6 and cd.int_to_ip(value, 6) == "::1"

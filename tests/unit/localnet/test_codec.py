"""Our SCALE codec and storage keys against scalecodec / substrate-interface (the client's decoders)."""

from __future__ import annotations

import pytest
from scalecodec.base import RuntimeConfigurationObject as RuntimeConfiguration
from scalecodec.base import ScaleBytes
from scalecodec.type_registry import load_type_registry_preset
from substrateinterface.utils.hasher import blake2_128_concat, two_x64_concat, xxh128

from bt_llm.errors import AddressError
from bt_llm.localnet.codec import CodecError, account_bytes, decode, encode
from bt_llm.localnet.engine import Engine
from bt_llm.localnet.schema import TYPES, Call, decode_call, encode_call, pallet
from bt_llm.localnet.storage import prefix_key, storage_key
from bt_llm.scale import ss58_encode as ss58
from tests.unit.localnet.conftest import ALICE, BOB, ST, Chain, acct

# bittensor 6.12.4's custom_rpc_type_registry, as its decoders see our bytes
_BT6_NAMES = ("NeuronInfo", "NeuronInfoLite", "axon_info", "PrometheusInfo", "DelegateInfo", "SubnetInfo",
              "SubnetHyperparameters", "StakeInfo")  # fmt: skip


@pytest.fixture(scope="module")
def rc() -> RuntimeConfiguration:
    config = RuntimeConfiguration(ss58_format=42)
    config.update_type_registry(load_type_registry_preset("legacy"))
    config.update_type_registry({"types": {"Balance": "u64", **{n: TYPES[n] for n in _BT6_NAMES}}})
    return config


def _sc_decode(rc: RuntimeConfiguration, type_str: str, data: bytes) -> object:
    obj = rc.create_scale_object(type_str, ScaleBytes(data))
    return obj.decode()


@pytest.mark.parametrize(
    ("type_str", "value", "expected"),
    [
        ("u16", 513, 513),
        ("Compact<u64>", 2**40 + 3, 2**40 + 3),
        ("Vec<(u16, u16)>", [(1, 2), (65535, 0)], [(1, 2), (65535, 0)]),
        ("Vec<u64>", [0, 2**64 - 1], [0, 2**64 - 1]),
        ("Vec<bool>", [True, False], [True, False]),
        ("Option<u16>", None, None),
        ("Option<u16>", 7, 7),
        ("Vec<[u16; 2]>", [[1, 2]], [[1, 2]]),
    ],
)
def test_primitives_match_scalecodec(
    rc: RuntimeConfiguration, type_str: str, value: object, expected: object
) -> None:
    data = encode(type_str, value)
    got = _sc_decode(rc, type_str, data)
    norm = (
        [tuple(x) if isinstance(x, (list, tuple)) and type_str.startswith("Vec<(") else x for x in got]
        if isinstance(got, list)
        else got
    )
    assert norm == expected
    assert decode(type_str, data) == value


def test_compact_boundaries_roundtrip() -> None:
    for v in (0, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**64 - 1, 2**128 - 1):
        assert decode("Compact<u128>", encode("Compact<u128>", v)) == v
    with pytest.raises(CodecError):
        encode("u16", 70000)
    with pytest.raises(CodecError):
        decode("u32", b"\x01\x02")
    with pytest.raises(CodecError):
        decode("u8", b"\x01\x02")


def test_neuron_and_subnet_structs_decode_with_the_bittensor6_registry(
    rc: RuntimeConfiguration, chain: Chain
) -> None:
    hk = acct(3)
    chain.register(hk, coldkey=ALICE)
    chain.ok(ALICE, ST, "add_stake", hotkey=hk, amount_staked=123456)
    chain.ok(hk, ST, "serve_axon", netuid=1, version=724, ip=0x7F000001, port=8091, ip_type=4, protocol=4,
             placeholder1=0, placeholder2=0)  # fmt: skip
    chain.ok(ALICE, ST, "become_delegate", hotkey=hk)
    chain.seal()
    e: Engine = chain.engine
    lite = _sc_decode(rc, "Vec<NeuronInfoLite>", encode("Vec<NeuronInfoLite>", e.neurons_lite(1)))
    assert len(lite) == 1
    n = lite[0]
    assert n["hotkey"] == ss58(hk) and n["coldkey"] == ss58(ALICE)
    assert n["axon_info"]["port"] == 8091 and n["axon_info"]["version"] == 724
    assert n["stake"] == [(ss58(ALICE), 123456)] or n["stake"] == [[ss58(ALICE), 123456]]
    full = _sc_decode(rc, "NeuronInfo", encode("NeuronInfo", e.neuron(1, 0)))
    assert full["uid"] == 0 and full["weights"] == []
    sub = _sc_decode(rc, "SubnetInfo", encode("SubnetInfo", e.subnet_info(1)))
    assert sub["owner"] == ss58(ALICE) and sub["subnetwork_n"] == 1 and sub["tempo"] == 99
    hp = _sc_decode(rc, "SubnetHyperparameters", encode("SubnetHyperparameters", e.subnet_hyperparams(1)))
    assert hp["min_allowed_weights"] == 1 and hp["registration_allowed"] is True and len(hp) == 22
    dl = _sc_decode(rc, "Vec<DelegateInfo>", encode("Vec<DelegateInfo>", e.delegates()))
    assert dl[0]["delegate_ss58"] == ss58(hk) and dl[0]["take"] == 11796 and dl[0]["registrations"] == [1]
    si = _sc_decode(rc, "Vec<StakeInfo>", encode("Vec<StakeInfo>", e.stake_info(ALICE)))
    assert si == [{"hotkey": ss58(hk), "coldkey": ss58(ALICE), "stake": 123456}]
    assert e.delegated(ALICE)[0][1] == 123456 and e.delegated(BOB) == []


def test_storage_keys_match_substrate_hashers() -> None:
    assert prefix_key("System", "Account") == bytes(xxh128(b"System")) + bytes(xxh128(b"Account"))
    k = storage_key("SubtensorModule", "Stake", ALICE, BOB)
    assert k == prefix_key(ST, "Stake") + bytes(blake2_128_concat(ALICE)) + BOB
    assert storage_key("System", "BlockHash", 5) == prefix_key("System", "BlockHash") + bytes(
        two_x64_concat(encode("u32", 5))
    )
    assert storage_key(ST, "Uids", 1, ALICE) == prefix_key(ST, "Uids") + b"\x01\x00" + bytes(
        blake2_128_concat(ALICE)
    )


def test_calls_roundtrip_and_use_the_runtime_indices() -> None:
    call = Call("Sudo", "sudo", {"call": Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 5})})
    data = encode_call(call)
    assert data[:2] == bytes([pallet("Sudo").index, 0]) and data[2:4] == bytes([7, 47])
    assert decode_call(data) == call
    xfer = Call("Balances", "transfer", {"dest": ALICE, "value": 10})
    assert encode_call(xfer) == bytes([5, 0, 0]) + ALICE + encode("Compact<u64>", 10)
    assert {p.name: p.index for p in __import__("bt_llm.localnet.schema", fromlist=["PALLETS"]).PALLETS} == {
        "System": 0, "Timestamp": 2, "Balances": 5, "TransactionPayment": 6, "SubtensorModule": 7, "Triumvirate": 8,
        "TriumvirateMembers": 9, "SenateMembers": 10, "Sudo": 12,
    }  # fmt: skip


def test_account_parsing() -> None:
    assert account_bytes(ss58(ALICE)) == ALICE
    assert account_bytes("0x" + ALICE.hex()) == ALICE
    with pytest.raises(AddressError, match="not-an-address"):
        account_bytes("not-an-address")

"""Metadata V14 built from the schema: scalecodec reads back every pallet, and encodes as the schema does."""

from __future__ import annotations

import pytest
from scalecodec.base import RuntimeConfigurationObject as RuntimeConfiguration
from scalecodec.base import ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from bt_llm.localnet import schema
from bt_llm.localnet.node.registry import TypeTable, split_top_level
from bt_llm.localnet.node.runtime import runtime
from bt_llm.localnet.storage import storage_key

ALICE = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
BOB = bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48")


@pytest.fixture(scope="module")
def decoded():
    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("core"))
    metadata = config.create_scale_object("MetadataVersioned", data=ScaleBytes(runtime().metadata.data))
    metadata.decode()
    config.add_portable_registry(metadata)
    return config, metadata


def test_magic_and_version() -> None:
    assert runtime().metadata.data[:5] == b"meta\x0e"


def test_account_id_is_type_zero_as_in_every_substrate_runtime() -> None:
    first = runtime().metadata.table.types[0]["type"]
    assert first["path"] == ["sp_core", "crypto", "AccountId32"]


def test_every_pallet_with_its_index_calls_events_errors(decoded) -> None:
    _, metadata = decoded
    pallets = {p.name: p for p in metadata.pallets}
    for pallet in schema.PALLETS:
        got = pallets[pallet.name]
        assert got.value["index"] == pallet.index
        storage = {s.value["name"] for s in (got.storage or []) if not s.value["name"].startswith(":")}
        assert storage == {s.name for s in pallet.storage}
        for error in pallet.errors:
            assert metadata.get_module_error(pallet.index, error.index).name == error.name
        calls = {c.name: c.index for c in pallet.calls}
        for call in got.calls or []:
            assert calls[call.name] == call.value["index"]
        assert len(got.calls or []) == len(pallet.calls)


def test_system_constants_and_storage_types(decoded) -> None:
    _, metadata = decoded
    system = metadata.get_metadata_pallet("System")
    constants = {c["name"]: c["value"] for c in system.value["constants"]}
    value = constants["SS58Prefix"]  # scalecodec shows Bytes as text when they are valid UTF-8
    assert (bytes.fromhex(value[2:]) if value.startswith("0x") else value.encode()) == (42).to_bytes(2, "little")
    assert system.get_storage_function("Account").value["type"]["Map"]["hashers"] == ["Blake2_128Concat"]
    stake = metadata.get_metadata_pallet("SubtensorModule").get_storage_function("Stake")
    assert stake.value["type"]["Map"]["hashers"] == ["Blake2_128Concat", "Identity"]


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (schema.Call("SubtensorModule", "add_stake", {"hotkey": ALICE, "amount_staked": 10**9}),
         {"hotkey": "0x" + ALICE.hex(), "amount_staked": 10**9}),
        (schema.Call("SubtensorModule", "set_weights", {"netuid": 1, "dests": [0, 3], "weights": [1, 65535],
                                                        "version_key": 724}),
         {"netuid": 1, "dests": [0, 3], "weights": [1, 65535], "version_key": 724}),
        (schema.Call("SubtensorModule", "serve_axon", {"netuid": 1, "version": 1, "ip": 2130706433, "port": 8091,
                                                       "ip_type": 4, "protocol": 4, "placeholder1": 0,
                                                       "placeholder2": 0}),
         {"netuid": 1, "version": 1, "ip": 2130706433, "port": 8091, "ip_type": 4, "protocol": 4,
          "placeholder1": 0, "placeholder2": 0}),
        (schema.Call("Balances", "transfer", {"dest": ("Id", BOB), "value": 5}),
         {"dest": "0x" + BOB.hex(), "value": 5}),
    ],
)
def test_scalecodec_encodes_calls_as_the_schema(decoded, call, args) -> None:
    config, metadata = decoded
    obj = config.create_scale_object("Call", metadata=metadata)
    data = obj.encode({"call_module": call.pallet, "call_function": call.name, "call_args": args})
    assert bytes(data.data) == schema.encode_call(call)
    assert schema.decode_call(bytes(data.data)) == schema.decode_call(schema.encode_call(call))


def test_scalecodec_decodes_schema_events(decoded) -> None:
    config, metadata = decoded
    info = {"weight": {"ref_time": 1, "proof_size": 2}, "class": "Normal", "pays_fee": "Yes"}
    module_error = ("Module", {"index": 7, "error": bytes([10, 0, 0, 0])})
    records = [
        schema.EventRecord(("ApplyExtrinsic", 0), schema.Event("SubtensorModule", "StakeAdded", (ALICE, 5))),
        schema.EventRecord(("ApplyExtrinsic", 0), schema.Event("System", "ExtrinsicFailed", (module_error, info))),
    ]
    obj = config.create_scale_object("scale_info::" + str(runtime().metadata.event_record_vec_id), metadata=metadata)
    value = obj.decode(ScaleBytes(schema.encode_event_records(records)))
    assert [(e["module_id"], e["event_id"]) for e in value] == [("SubtensorModule", "StakeAdded"),
                                                               ("System", "ExtrinsicFailed")]
    failed = value[1]["attributes"]
    assert failed["dispatch_error"]["Module"]["index"] == 7
    assert metadata.get_module_error(7, 10).name == "NotEnoughBalanceToStake"


def test_storage_keys_agree_with_substrate_interface_hashing(decoded) -> None:
    from substrateinterface.storage import StorageKey

    config, metadata = decoded
    for pallet, item, params, keys in [
        ("System", "Account", ["0x" + ALICE.hex()], (ALICE,)),
        ("SubtensorModule", "Stake", ["0x" + ALICE.hex(), "0x" + BOB.hex()], (ALICE, BOB)),
        ("SubtensorModule", "Uids", [1, "0x" + ALICE.hex()], (1, ALICE)),
        ("SubtensorModule", "TotalStake", [], ()),
    ]:
        key = StorageKey.create_from_storage_function(pallet, item, params, runtime_config=config, metadata=metadata)
        assert bytes(key.data) == storage_key(pallet, item, *keys)


def test_type_table_reuses_ids_and_rejects_unknown_types() -> None:
    table = TypeTable({"Pair": {"type": "struct", "type_mapping": [["a", "u16"], ["b", "Vec<u16>"]]}})
    first = table.id("Vec<Pair>")
    assert table.id("Vec< Pair >") == first
    assert table.id("u16") == table.id("u16")
    assert table.types[table.id("[u8; 32]")]["type"]["def"] == {"array": {"len": 32, "type": table.id("u8")}}
    assert split_top_level("u8, (u16, Vec<(u8, u8)>), [u8; 2]") == ["u8", "(u16, Vec<(u8, u8)>)", "[u8; 2]"]
    with pytest.raises(KeyError):
        table.id("NoSuchType")

"""Runtime metadata V14, built with scalecodec from a declarative description of our pallets.

:func:`build_metadata` takes :class:`PalletSpec` objects (made from the engine's schema by
:mod:`bt_llm.localnet.node.runtime`) and a type registry dict, assigns portable type ids with
:class:`~bt_llm.localnet.node.registry.TypeTable`, adds the frame types every Substrate client expects
(``AccountId32``, ``MultiAddress``, ``MultiSignature``, ``Era``, ``EventRecord``, ``DispatchError``,
the signed extensions), and encodes ``MetadataVersioned`` with scalecodec. The result is the
``0x6d657461 0e…`` blob ``state_getMetadata`` serves, plus the ids the node needs to encode events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bt_llm.localnet.node.registry import TypeTable

RUNTIME_PATH = "node_subtensor_runtime"


@dataclass(frozen=True)
class StorageSpec:
    """One storage item: Plain (no keys) or a Map over ``key_types`` with one hasher per key."""

    name: str
    value_type: str
    hashers: tuple[str, ...] = ()
    key_types: tuple[str, ...] = ()
    default: bytes = b"\x00"
    optional: bool = False
    docs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PalletSpec:
    """A pallet as metadata describes it. Calls, events and errors are ``(name, index, ...)`` tuples."""

    name: str
    index: int
    storage: tuple[StorageSpec, ...] = ()
    calls: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...] | None = None
    events: tuple[tuple[str, int, tuple[tuple[str | None, str], ...]], ...] | None = None
    errors: tuple[tuple[str, int], ...] | None = None
    constants: tuple[tuple[str, str, bytes], ...] = ()
    module_path: str = ""  # e.g. "pallet_subtensor"; defaults to pallet_<lowercase name>


# Frame types with the Substrate paths scalecodec keys its special decoders on.
FRAME_TYPES: dict[str, Any] = {
    "Weight": {"type": "struct", "path": ["sp_weights", "weight_v2", "Weight"],
               "type_mapping": [["ref_time", "Compact<u64>"], ["proof_size", "Compact<u64>"]]},
    "DispatchClass": {"type": "enum", "path": ["frame_support", "dispatch", "DispatchClass"],
                      "value_list": ["Normal", "Operational", "Mandatory"]},
    "Pays": {"type": "enum", "path": ["frame_support", "dispatch", "Pays"], "value_list": ["Yes", "No"]},
    "DispatchInfo": {"type": "struct", "path": ["frame_support", "dispatch", "DispatchInfo"],
                     "type_mapping": [["weight", "Weight"], ["class", "DispatchClass"], ["pays_fee", "Pays"]]},
    "ModuleError": {"type": "struct", "path": ["sp_runtime", "ModuleError"],
                    "type_mapping": [["index", "u8"], ["error", "[u8; 4]"]]},
    "TokenError": {"type": "enum", "path": ["sp_runtime", "TokenError"],
                   "value_list": ["FundsUnavailable", "OnlyProvider", "BelowMinimum", "CannotCreate", "UnknownAsset",
                                  "Frozen", "Unsupported", "CannotCreateHold", "NotExpendable"]},
    "ArithmeticError": {"type": "enum", "path": ["sp_arithmetic", "ArithmeticError"],
                        "value_list": ["Underflow", "Overflow", "DivisionByZero"]},
    "TransactionalError": {"type": "enum", "path": ["sp_runtime", "TransactionalError"],
                           "value_list": ["LimitReached", "NoLayer"]},
    "DispatchError": {"type": "enum", "path": ["sp_runtime", "DispatchError"], "type_mapping": [
        ["Other", "Null"], ["CannotLookup", "Null"], ["BadOrigin", "Null"], ["Module", "ModuleError"],
        ["ConsumerRemaining", "Null"], ["NoProviders", "Null"], ["TooManyConsumers", "Null"],
        ["Token", "TokenError"], ["Arithmetic", "ArithmeticError"], ["Transactional", "TransactionalError"],
        ["Exhausted", "Null"], ["Corruption", "Null"], ["Unavailable", "Null"]]},
    "Phase": {"type": "enum", "path": ["frame_system", "Phase"],
              "type_mapping": [["ApplyExtrinsic", "u32"], ["Finalization", "Null"], ["Initialization", "Null"]]},
    "AccountData": {"type": "struct", "path": ["pallet_balances", "AccountData"], "type_mapping": [
        ["free", "u64"], ["reserved", "u64"], ["misc_frozen", "u64"], ["fee_frozen", "u64"]]},
    "AccountInfo": {"type": "struct", "path": ["frame_system", "AccountInfo"], "type_mapping": [
        ["nonce", "u32"], ["consumers", "u32"], ["providers", "u32"], ["sufficients", "u32"],
        ["data", "AccountData"]]},
    "MultiSignature": {"type": "enum", "path": ["sp_runtime", "MultiSignature"], "type_mapping": [
        ["Ed25519", "[u8; 64]"], ["Sr25519", "[u8; 64]"], ["Ecdsa", "[u8; 65]"]]},
    "MultiAddress": {"type": "enum", "path": ["sp_runtime", "multiaddress", "MultiAddress"], "type_mapping": [
        ["Id", "AccountId"], ["Index", "Compact<()>"], ["Raw", "Vec<u8>"], ["Address32", "[u8; 32]"],
        ["Address20", "[u8; 20]"]]},
    "LookupSource": "MultiAddress",
    "AccountIdLookupOf": "MultiAddress",
    "<T::Lookup as StaticLookup>::Source": "MultiAddress",
}

SIGNED_EXTENSIONS: tuple[tuple[str, list[tuple[str | None, str]], str, list[str]], ...] = (
    # identifier, extrinsic fields, additional_signed type, path
    ("CheckNonZeroSender", [], "()", ["frame_system", "extensions", "check_non_zero_sender", "CheckNonZeroSender"]),
    ("CheckSpecVersion", [], "u32", ["frame_system", "extensions", "check_spec_version", "CheckSpecVersion"]),
    ("CheckTxVersion", [], "u32", ["frame_system", "extensions", "check_tx_version", "CheckTxVersion"]),
    ("CheckGenesis", [], "H256", ["frame_system", "extensions", "check_genesis", "CheckGenesis"]),
    ("CheckMortality", [(None, "Era")], "H256", ["frame_system", "extensions", "check_mortality", "CheckMortality"]),
    ("CheckNonce", [(None, "Compact<u32>")], "()", ["frame_system", "extensions", "check_nonce", "CheckNonce"]),
    ("CheckWeight", [], "()", ["frame_system", "extensions", "check_weight", "CheckWeight"]),
    ("ChargeTransactionPayment", [(None, "Compact<u64>")], "()",
     ["pallet_transaction_payment", "ChargeTransactionPayment"]),
    ("SubtensorSignedExtension", [], "()", ["pallet_subtensor", "SubtensorSignedExtension"]),
)


@dataclass
class BuiltMetadata:
    """The encoded metadata and the ids the node needs to encode values with it."""

    data: bytes  # the SCALE MetadataVersioned, as served by state_getMetadata
    table: TypeTable
    pallets: tuple[PalletSpec, ...]
    event_record_vec_id: int
    runtime_event_id: int
    runtime_call_id: int
    value: Any = field(repr=False, default=None)

    def pallet(self, name: str) -> PalletSpec:
        for pallet in self.pallets:
            if pallet.name == name:
                return pallet
        raise KeyError(name)


def _module_path(pallet: PalletSpec) -> str:
    return pallet.module_path or f"pallet_{pallet.name.lower()}"


def _define_era(table: TypeTable) -> int:
    variants: list[tuple[str, int, Sequence[tuple[str | None, str]], Sequence[str]]] = [("Immortal", 0, [], [])]
    variants += [(f"Mortal{i}", i, [(None, "u8")], []) for i in range(1, 256)]
    return table.variant("Era", variants, path=["sp_runtime", "generic", "era", "Era"])


def build_metadata(pallets: Sequence[PalletSpec], types: Mapping[str, Any]) -> BuiltMetadata:
    """Build and SCALE-encode metadata V14 for ``pallets``; ``types`` is a scalecodec-style registry dict."""
    from scalecodec.base import RuntimeConfigurationObject as RuntimeConfiguration
    from scalecodec.type_registry import load_type_registry_preset

    table = TypeTable(merge_types(types))
    pallets = tuple(sorted(pallets, key=lambda p: p.index))
    # AccountId32 is type 0 in every Substrate runtime (System.Account's key comes first), and clients
    # rely on it (async-substrate-interface encodes "scale_info::0" as an account).
    table.id("AccountId")
    _define_era(table)
    # The runtime enums are referenced by pallets' calls (sudo, propose) before they are complete.
    table.reserve("RuntimeCall")
    table.reserve("RuntimeEvent")
    table.named["Call"] = "RuntimeCall"
    table.named["RuntimeCall"] = "RuntimeCall"

    call_ids: dict[str, int] = {}
    event_ids: dict[str, int] = {}
    error_ids: dict[str, int] = {}
    for pallet in pallets:
        module = _module_path(pallet)
        if pallet.calls is not None:
            call_ids[pallet.name] = table.variant(
                f"{pallet.name}::Call",
                [(name, index, list(args), []) for name, index, args in pallet.calls],
                path=[module, "pallet", "Call"], params=[("T", None)],
            )
        if pallet.events is not None:
            event_ids[pallet.name] = table.variant(
                f"{pallet.name}::Event",
                [(name, index, list(fields), []) for name, index, fields in pallet.events],
                path=[module, "pallet", "Event"], params=[("T", None)],
            )
        if pallet.errors is not None:
            error_ids[pallet.name] = table.variant(
                f"{pallet.name}::Error",
                [(name, index, [], [name]) for name, index in pallet.errors],
                path=[module, "pallet", "Error"], params=[("T", None)],
            )

    runtime_call = _runtime_enum(table, "RuntimeCall", pallets, call_ids)
    runtime_event = _runtime_enum(table, "RuntimeEvent", pallets, event_ids)
    event_record = table.composite(
        "EventRecord",
        [("phase", "Phase"), ("event", "RuntimeEvent"), ("topics", "Vec<H256>")],
        path=["frame_system", "EventRecord"],
        params=[("E", runtime_event), ("T", table.id("H256"))],
    )
    event_record_vec = table.define("Vec<EventRecord>", {"sequence": {"type": event_record}})

    pallet_values = [_pallet_value(table, p, call_ids, event_ids, error_ids) for p in pallets]
    extrinsic = _extrinsic_value(table, runtime_call)
    runtime_type = table.composite("Runtime", [], path=[RUNTIME_PATH, "Runtime"])

    value = (
        "0x6d657461",  # "meta"
        {"V14": {
            "types": {"types": table.types},
            "pallets": pallet_values,
            "extrinsic": extrinsic,
            "runtime_type": runtime_type,
        }},
    )
    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("core"))
    obj = config.create_scale_object("MetadataVersioned")
    data = bytes(obj.encode(value).data)
    return BuiltMetadata(data=data, table=table, pallets=pallets, event_record_vec_id=event_record_vec,
                         runtime_event_id=runtime_event, runtime_call_id=runtime_call, value=value)


def merge_types(types: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's registry plus :data:`FRAME_TYPES`; frame paths are kept, the schema's layouts win."""
    merged: dict[str, Any] = dict(FRAME_TYPES)
    for name, spec in types.items():
        ours = FRAME_TYPES.get(name)
        if isinstance(spec, Mapping) and isinstance(ours, Mapping) and "path" in ours:
            merged[name] = {**spec, "path": ours["path"]}
        elif name in ("EventRecord", "Call", "RuntimeCall", "RuntimeEvent"):
            continue  # built from the pallets
        else:
            merged[name] = spec
    return merged


def _runtime_enum(table: TypeTable, name: str, pallets: Sequence[PalletSpec], ids: Mapping[str, int]) -> int:
    table.reserve(name)
    variants = [
        {"name": p.name, "fields": [{"name": None, "type": ids[p.name], "typeName": f"{p.name}::{name}",
                                     "docs": []}], "index": p.index, "docs": []}
        for p in pallets if p.name in ids
    ]
    return table.define(name, {"variant": {"variants": variants}}, path=[RUNTIME_PATH, name])


def _storage_entry(table: TypeTable, item: StorageSpec) -> dict[str, Any]:
    value_id = table.id(item.value_type)
    if not item.key_types:
        ty: dict[str, Any] = {"Plain": value_id}
    else:
        key = item.key_types[0] if len(item.key_types) == 1 else f"({', '.join(item.key_types)})"
        ty = {"Map": {"hashers": list(item.hashers), "key": table.id(key), "value": value_id}}
    return {
        "name": item.name,
        "modifier": "Optional" if item.optional else "Default",
        "type": ty,
        "default": "0x" + (b"\x00" if item.optional else item.default).hex(),
        "documentation": list(item.docs),
    }


def _pallet_value(table: TypeTable, pallet: PalletSpec, calls: Mapping[str, int], events: Mapping[str, int],
                  errors: Mapping[str, int]) -> dict[str, Any]:
    return {
        "name": pallet.name,
        "storage": {"prefix": pallet.name, "entries": [_storage_entry(table, s) for s in pallet.storage]}
        if pallet.storage else None,
        "calls": {"ty": calls[pallet.name]} if pallet.name in calls else None,
        "event": {"ty": events[pallet.name]} if pallet.name in events else None,
        "constants": [
            {"name": name, "type": table.id(ty), "value": "0x" + value.hex(), "documentation": []}
            for name, ty, value in pallet.constants
        ],
        "error": {"ty": errors[pallet.name]} if pallet.name in errors else None,
        "index": pallet.index,
    }


def _extrinsic_value(table: TypeTable, runtime_call: int) -> dict[str, Any]:
    extensions = []
    extension_ids = []
    for identifier, fields, additional, path in SIGNED_EXTENSIONS:
        ext_id = table.composite(f"SignedExtension::{identifier}", fields, path=path, params=[("T", None)])
        extension_ids.append(ext_id)
        extensions.append({"identifier": identifier, "ty": ext_id, "additional_signed": table.id(additional)})
    extra = table.define("SignedExtra", {"tuple": extension_ids})
    unchecked = table.define(
        "UncheckedExtrinsic",
        {"composite": {"fields": [{"name": None, "type": table.id("Vec<u8>"), "typeName": None, "docs": []}]}},
        path=["sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"],
        params=[("Address", table.id("MultiAddress")), ("Call", runtime_call),
                ("Signature", table.id("MultiSignature")), ("Extra", extra)],
    )
    return {"ty": unchecked, "version": 4, "signed_extensions": extensions}

"""Metadata V15: V14 plus the runtime APIs (with their input and output types) and the outer enums.

scalecodec 1.2 knows V14 only; :data:`V15_TYPES` adds the V15 structures to its registry so it can
encode ours (and decode a real node's: ``tests/unit/node/test_metadata_v15.py`` round-trips finney's).
Served by ``state_call("Metadata_metadata_at_version", 15)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bt_llm.localnet.node.metadata import BuiltMetadata

V15_TYPES: dict[str, Any] = {
    "MetadataV15": {"type": "struct", "type_mapping": [
        ["types", "PortableRegistry"], ["pallets", "Vec<PalletMetadataV15>"], ["extrinsic", "ExtrinsicMetadataV15"],
        ["runtime_type", "SiLookupTypeId"], ["apis", "Vec<RuntimeApiMetadataV15>"],
        ["outer_enums", "OuterEnumsMetadataV15"], ["custom", "Vec<(Text, CustomValueMetadataV15)>"]]},
    "PalletMetadataV15": {"type": "struct", "type_mapping": [
        ["name", "Text"], ["storage", "Option<StorageMetadataV14>"], ["calls", "Option<PalletCallMetadataV14>"],
        ["event", "Option<PalletEventMetadataV14>"], ["constants", "Vec<PalletConstantMetadataV14>"],
        ["error", "Option<PalletErrorMetadataV14>"], ["index", "u8"], ["docs", "Vec<Text>"]]},
    "ExtrinsicMetadataV15": {"type": "struct", "type_mapping": [
        ["version", "u8"], ["address_type", "SiLookupTypeId"], ["call_type", "SiLookupTypeId"],
        ["signature_type", "SiLookupTypeId"], ["extra_type", "SiLookupTypeId"],
        ["signed_extensions", "Vec<SignedExtensionMetadataV14>"]]},
    "RuntimeApiMetadataV15": {"type": "struct", "type_mapping": [
        ["name", "Text"], ["methods", "Vec<RuntimeApiMethodMetadataV15>"], ["docs", "Vec<Text>"]]},
    "RuntimeApiMethodMetadataV15": {"type": "struct", "type_mapping": [
        ["name", "Text"], ["inputs", "Vec<RuntimeApiMethodParamMetadataV15>"], ["output", "SiLookupTypeId"],
        ["docs", "Vec<Text>"]]},
    "RuntimeApiMethodParamMetadataV15": {"type": "struct", "type_mapping": [["name", "Text"], ["type", "SiLookupTypeId"]]},
    "OuterEnumsMetadataV15": {"type": "struct", "type_mapping": [
        ["call_type", "SiLookupTypeId"], ["event_type", "SiLookupTypeId"], ["error_type", "SiLookupTypeId"]]},
    "CustomValueMetadataV15": {"type": "struct", "type_mapping": [["type", "SiLookupTypeId"], ["value", "Bytes"]]},
    "OpaqueMetadataV15": {"type": "tuple", "type_mapping": ["[u8; 4]", "u8", "MetadataV15"]},
}

# (api, [(method, [(param, type)], output type)]) for the APIs our node answers through state_call.
RUNTIME_APIS: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str], ...], str], ...]], ...] = (
    ("AccountNonceApi", (("account_nonce", (("account", "AccountId"),), "u32"),)),
    ("TransactionPaymentApi", (("query_info", (("uxt", "UncheckedExtrinsic"), ("len", "u32")), "RuntimeDispatchInfo"),)),
    ("Metadata", (("metadata", (), "Vec<u8>"), ("metadata_at_version", (("version", "u32"),), "Option<Vec<u8>>"),
                  ("metadata_versions", (), "Vec<u32>"))),
    ("NeuronInfoRuntimeApi", (("get_neurons", (("netuid", "u16"),), "Vec<u8>"),
                              ("get_neuron", (("netuid", "u16"), ("uid", "u16")), "Vec<u8>"),
                              ("get_neurons_lite", (("netuid", "u16"),), "Vec<u8>"),
                              ("get_neuron_lite", (("netuid", "u16"), ("uid", "u16")), "Vec<u8>"))),
    ("SubnetInfoRuntimeApi", (("get_subnet_info", (("netuid", "u16"),), "Vec<u8>"),
                              ("get_subnets_info", (), "Vec<u8>"),
                              ("get_subnet_hyperparams", (("netuid", "u16"),), "Vec<u8>"))),
    ("DelegateInfoRuntimeApi", (("get_delegates", (), "Vec<u8>"),
                                ("get_delegate", (("delegate_account_vec", "Vec<u8>"),), "Vec<u8>"),
                                ("get_delegated", (("delegatee_account_vec", "Vec<u8>"),), "Vec<u8>"))),
    ("StakeInfoRuntimeApi", (("get_stake_info_for_coldkey", (("coldkey_account_vec", "Vec<u8>"),), "Vec<u8>"),
                             ("get_stake_info_for_coldkeys", (("coldkey_account_vecs", "Vec<Vec<u8>>"),), "Vec<u8>"))),
)

DISPATCH_INFO_TYPES: dict[str, Any] = {
    "RuntimeDispatchInfo": {"type": "struct", "path": ["pallet_transaction_payment", "types", "RuntimeDispatchInfo"],
                            "type_mapping": [["weight", "Weight"], ["class", "DispatchClass"], ["partial_fee", "u64"]]},
}


def v15_config() -> Any:
    """A scalecodec runtime configuration that knows the V15 structures."""
    from scalecodec.base import RuntimeConfigurationObject as RuntimeConfiguration
    from scalecodec.type_registry import load_type_registry_preset

    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("core"))
    config.update_type_registry({"types": V15_TYPES})
    return config


def build_v15(built: BuiltMetadata, apis: Sequence[Any] = RUNTIME_APIS) -> bytes:
    """``"meta" ++ 15 ++ MetadataV15`` for the metadata ``built`` (its type table gains the API types)."""
    table = built.table
    table.named.update(DISPATCH_INFO_TYPES)
    v14 = built.value[1]["V14"]
    api_values = [
        {"name": api, "docs": [], "methods": [
            {"name": method, "inputs": [{"name": name, "type": table.id(ty)} for name, ty in inputs],
             "output": table.id(output), "docs": []}
            for method, inputs, output in methods]}
        for api, methods in apis
    ]
    error_variants = [
        {"name": pallet["name"], "fields": [{"name": None, "type": pallet["error"]["ty"], "typeName": None,
                                             "docs": []}], "index": pallet["index"], "docs": []}
        for pallet in v14["pallets"] if pallet["error"] is not None
    ]
    runtime_error = table.define("RuntimeError", {"variant": {"variants": error_variants}},
                                 path=["node_subtensor_runtime", "RuntimeError"])
    unchecked = table.types[v14["extrinsic"]["ty"]]["type"]["params"]
    params = {p["name"]: p["type"] for p in unchecked}
    value = {
        "types": {"types": table.types},
        "pallets": [{**pallet, "docs": []} for pallet in v14["pallets"]],
        "extrinsic": {"version": 4, "address_type": params["Address"], "call_type": params["Call"],
                      "signature_type": params["Signature"], "extra_type": params["Extra"],
                      "signed_extensions": v14["extrinsic"]["signed_extensions"]},
        "runtime_type": v14["runtime_type"],
        "apis": api_values,
        "outer_enums": {"call_type": built.runtime_call_id, "event_type": built.runtime_event_id,
                        "error_type": runtime_error},
        "custom": [],
    }
    obj = v15_config().create_scale_object("OpaqueMetadataV15")
    return bytes(obj.encode(("0x6d657461", 15, value)).data)

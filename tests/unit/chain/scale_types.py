"""The 2023 runtime's SCALE layouts as a scalecodec type registry: test data to encode reference bytes."""

from __future__ import annotations

from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

C16, C64 = "Compact<u16>", "Compact<u64>"
NEURON_HEAD = [
    ["hotkey", "AccountId"], ["coldkey", "AccountId"], ["uid", C16], ["netuid", C16], ["active", "bool"],
    ["axon_info", "axon_info"], ["prometheus_info", "PrometheusInfo"], ["stake", "Vec<(AccountId, Compact<u64>)>"],
    ["rank", C16], ["emission", C64], ["incentive", C16], ["consensus", C16], ["trust", C16],
    ["validator_trust", C16], ["dividends", C16], ["last_update", C64], ["validator_permit", "bool"],
]
TYPES = {
    "types": {
        "NeuronInfoLite": {"type": "struct", "type_mapping": [*NEURON_HEAD, ["pruning_score", C16]]},
        "NeuronInfo": {"type": "struct", "type_mapping": [
            *NEURON_HEAD, ["weights", "Vec<(Compact<u16>, Compact<u16>)>"],
            ["bonds", "Vec<(Compact<u16>, Compact<u16>)>"], ["pruning_score", C16]]},
        "axon_info": {"type": "struct", "type_mapping": [
            ["block", "u64"], ["version", "u32"], ["ip", "u128"], ["port", "u16"], ["ip_type", "u8"],
            ["protocol", "u8"], ["placeholder1", "u8"], ["placeholder2", "u8"]]},
        "PrometheusInfo": {"type": "struct", "type_mapping": [
            ["block", "u64"], ["version", "u32"], ["ip", "u128"], ["port", "u16"], ["ip_type", "u8"]]},
        "DelegateInfo": {"type": "struct", "type_mapping": [
            ["delegate_ss58", "AccountId"], ["take", C16], ["nominators", "Vec<(AccountId, Compact<u64>)>"],
            ["owner_ss58", "AccountId"], ["registrations", "Vec<Compact<u16>>"],
            ["validator_permits", "Vec<Compact<u16>>"], ["return_per_1000", C64], ["total_daily_return", C64]]},
        "SubnetInfo": {"type": "struct", "type_mapping": [
            ["netuid", C16], ["rho", C16], ["kappa", C16], ["difficulty", C64], ["immunity_period", C16],
            ["max_allowed_validators", C16], ["min_allowed_weights", C16], ["max_weights_limit", C16],
            ["scaling_law_power", C16], ["subnetwork_n", C16], ["max_allowed_uids", C16],
            ["blocks_since_last_step", C64], ["tempo", C16], ["network_modality", C16],
            ["network_connect", "Vec<[u16; 2]>"], ["emission_values", C64], ["burn", C64], ["owner", "AccountId"]]},
        "SubnetHyperparameters": {"type": "struct", "type_mapping": [
            ["rho", C16], ["kappa", C16], ["immunity_period", C16], ["min_allowed_weights", C16],
            ["max_weights_limit", C16], ["tempo", C16], ["min_difficulty", C64], ["max_difficulty", C64],
            ["weights_version", C64], ["weights_rate_limit", C64], ["adjustment_interval", C16],
            ["activity_cutoff", C16], ["registration_allowed", "bool"], ["target_regs_per_interval", C16],
            ["min_burn", C64], ["max_burn", C64], ["bonds_moving_avg", C64], ["max_regs_per_block", C16],
            ["serving_rate_limit", C64], ["max_validators", C16], ["adjustment_alpha", C64], ["difficulty", C64]]},
        "StakeInfo": {"type": "struct", "type_mapping": [
            ["hotkey", "AccountId"], ["coldkey", "AccountId"], ["stake", C64]]},
    }
}

_CONFIG: RuntimeConfigurationObject | None = None


def config() -> RuntimeConfigurationObject:
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = RuntimeConfigurationObject(ss58_format=42)
        _CONFIG.update_type_registry(load_type_registry_preset("legacy"))
        _CONFIG.update_type_registry(TYPES)
    return _CONFIG


def encode(type_string: str, value: object) -> bytes:
    obj = config().create_scale_object(type_string)
    data: ScaleBytes = obj.encode(value)
    return bytes(data.data)


def decode(type_string: str, data: bytes) -> object:
    obj = config().create_scale_object(type_string, data=ScaleBytes(data))
    return obj.decode()

"""The named SCALE types of the localnet runtime, as a scalecodec-style registry.

Structs are ``{"type": "struct", "type_mapping": [[field, type], ...]}``, enums likewise with variant
``i`` at position ``i``, aliases plain strings. The subtensor struct names and layouts are those of
bittensor 6.12.4's ``custom_rpc_type_registry`` (``NeuronInfo``, ``axon_info``, ``SubnetInfo`` with its
trailing ``owner``, the 22-field ``SubnetHyperparameters``...), so the same decoders read our bytes.
"""

from __future__ import annotations

from typing import Any

_DISPATCH_ERROR_VARIANTS = [
    ["Other", "Null"],
    ["CannotLookup", "Null"],
    ["BadOrigin", "Null"],
    ["Module", "ModuleError"],
    ["ConsumerRemaining", "Null"],
    ["NoProviders", "Null"],
    ["TooManyConsumers", "Null"],
    ["Token", "TokenError"],
    ["Arithmetic", "ArithmeticError"],
    ["Transactional", "TransactionalError"],
    ["Exhausted", "Null"],
    ["Corruption", "Null"],
    ["Unavailable", "Null"],
]


def _struct(*fields: tuple[str, str]) -> dict[str, Any]:
    return {"type": "struct", "type_mapping": [list(f) for f in fields]}


def _enum(*variants: str | tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "enum",
        "type_mapping": [[v, "Null"] if isinstance(v, str) else list(v) for v in variants],
    }


_NEURON_HEAD = (
    ("hotkey", "AccountId"),
    ("coldkey", "AccountId"),
    ("uid", "Compact<u16>"),
    ("netuid", "Compact<u16>"),
    ("active", "bool"),
    ("axon_info", "axon_info"),
    ("prometheus_info", "PrometheusInfo"),
    ("stake", "Vec<(AccountId, Compact<u64>)>"),
    ("rank", "Compact<u16>"),
    ("emission", "Compact<u64>"),
    ("incentive", "Compact<u16>"),
    ("consensus", "Compact<u16>"),
    ("trust", "Compact<u16>"),
    ("validator_trust", "Compact<u16>"),
    ("dividends", "Compact<u16>"),
    ("last_update", "Compact<u64>"),
    ("validator_permit", "bool"),
)
_AXON = (
    ("block", "u64"),
    ("version", "u32"),
    ("ip", "u128"),
    ("port", "u16"),
    ("ip_type", "u8"),
    ("protocol", "u8"),
    ("placeholder1", "u8"),
    ("placeholder2", "u8"),
)

TYPES: dict[str, Any] = {
    "Balance": "u64",
    "BlockNumber": "u32",
    "Index": "u32",
    "AccountData": _struct(
        ("free", "u64"), ("reserved", "u64"), ("misc_frozen", "u64"), ("fee_frozen", "u64")
    ),
    "AccountInfo": _struct(
        ("nonce", "u32"),
        ("consumers", "u32"),
        ("providers", "u32"),
        ("sufficients", "u32"),
        ("data", "AccountData"),
    ),
    "MultiAddress": _enum(
        ("Id", "AccountId"),
        ("Index", "Compact<u32>"),
        ("Raw", "Vec<u8>"),
        ("Address32", "[u8; 32]"),
        ("Address20", "[u8; 20]"),
    ),
    "Weight": _struct(("ref_time", "Compact<u64>"), ("proof_size", "Compact<u64>")),
    "DispatchClass": _enum("Normal", "Operational", "Mandatory"),
    "Pays": _enum("Yes", "No"),
    "DispatchInfo": _struct(("weight", "Weight"), ("class", "DispatchClass"), ("pays_fee", "Pays")),
    "ModuleError": _struct(("index", "u8"), ("error", "[u8; 4]")),
    "TokenError": _enum(
        "NoFunds", "WouldDie", "BelowMinimum", "CannotCreate", "UnknownAsset", "Frozen", "Unsupported"
    ),
    "ArithmeticError": _enum("Underflow", "Overflow", "DivisionByZero"),
    "TransactionalError": _enum("LimitReached", "NoLayer"),
    "DispatchError": {"type": "enum", "type_mapping": _DISPATCH_ERROR_VARIANTS},
    "DispatchResult": _enum(("Ok", "Null"), ("Err", "DispatchError")),
    "Phase": _enum(("ApplyExtrinsic", "u32"), "Finalization", "Initialization"),
    "EventRecord": _struct(("phase", "Phase"), ("event", "RuntimeEvent"), ("topics", "Vec<H256>")),
    "BalanceStatus": _enum("Free", "Reserved"),
    # Only the empty digest is produced by the engine.
    "Digest": _struct(("logs", "Vec<Vec<u8>>")),
    "Header": _struct(
        ("parent_hash", "H256"),
        ("number", "Compact<u32>"),
        ("state_root", "H256"),
        ("extrinsics_root", "H256"),
        ("digest", "Digest"),
    ),
    "Votes": _struct(
        ("index", "u32"),
        ("threshold", "u32"),
        ("ayes", "Vec<AccountId>"),
        ("nays", "Vec<AccountId>"),
        ("end", "u32"),
    ),
    "ProposalVoteData": "Votes",
    # pallet_subtensor
    "AxonInfo": _struct(*_AXON),
    "AxonInfoOf": "AxonInfo",
    "axon_info": _struct(*_AXON),
    "PrometheusInfo": _struct(
        ("block", "u64"), ("version", "u32"), ("ip", "u128"), ("port", "u16"), ("ip_type", "u8")
    ),
    "PrometheusInfoOf": "PrometheusInfo",
    "NeuronInfoLite": _struct(*_NEURON_HEAD, ("pruning_score", "Compact<u16>")),
    "NeuronInfo": _struct(
        *_NEURON_HEAD,
        ("weights", "Vec<(Compact<u16>, Compact<u16>)>"),
        ("bonds", "Vec<(Compact<u16>, Compact<u16>)>"),
        ("pruning_score", "Compact<u16>"),
    ),
    "DelegateInfo": _struct(
        ("delegate_ss58", "AccountId"),
        ("take", "Compact<u16>"),
        ("nominators", "Vec<(AccountId, Compact<u64>)>"),
        ("owner_ss58", "AccountId"),
        ("registrations", "Vec<Compact<u16>>"),
        ("validator_permits", "Vec<Compact<u16>>"),
        ("return_per_1000", "Compact<u64>"),
        ("total_daily_return", "Compact<u64>"),
    ),
    "SubnetInfo": _struct(
        ("netuid", "Compact<u16>"),
        ("rho", "Compact<u16>"),
        ("kappa", "Compact<u16>"),
        ("difficulty", "Compact<u64>"),
        ("immunity_period", "Compact<u16>"),
        ("max_allowed_validators", "Compact<u16>"),
        ("min_allowed_weights", "Compact<u16>"),
        ("max_weights_limit", "Compact<u16>"),
        ("scaling_law_power", "Compact<u16>"),
        ("subnetwork_n", "Compact<u16>"),
        ("max_allowed_uids", "Compact<u16>"),
        ("blocks_since_last_step", "Compact<u64>"),
        ("tempo", "Compact<u16>"),
        ("network_modality", "Compact<u16>"),
        ("network_connect", "Vec<[u16; 2]>"),
        ("emission_values", "Compact<u64>"),
        ("burn", "Compact<u64>"),
        ("owner", "AccountId"),
    ),
    "SubnetHyperparameters": _struct(
        ("rho", "Compact<u16>"),
        ("kappa", "Compact<u16>"),
        ("immunity_period", "Compact<u16>"),
        ("min_allowed_weights", "Compact<u16>"),
        ("max_weights_limit", "Compact<u16>"),
        ("tempo", "Compact<u16>"),
        ("min_difficulty", "Compact<u64>"),
        ("max_difficulty", "Compact<u64>"),
        ("weights_version", "Compact<u64>"),
        ("weights_rate_limit", "Compact<u64>"),
        ("adjustment_interval", "Compact<u16>"),
        ("activity_cutoff", "Compact<u16>"),
        ("registration_allowed", "bool"),
        ("target_regs_per_interval", "Compact<u16>"),
        ("min_burn", "Compact<u64>"),
        ("max_burn", "Compact<u64>"),
        ("bonds_moving_avg", "Compact<u64>"),
        ("max_regs_per_block", "Compact<u16>"),
        ("serving_rate_limit", "Compact<u64>"),
        ("max_validators", "Compact<u16>"),
        ("adjustment_alpha", "Compact<u64>"),
        ("difficulty", "Compact<u64>"),
    ),
    "StakeInfo": _struct(("hotkey", "AccountId"), ("coldkey", "AccountId"), ("stake", "Compact<u64>")),
    "IPInfo": _struct(("ip", "Compact<u128>"), ("ip_type_and_protocol", "Compact<u8>")),
}

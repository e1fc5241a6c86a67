"""The bulk readers behind the 2023 custom RPCs and runtime APIs (``*_info.rs``).

Each function takes a typed state view and returns Python values shaped exactly like the schema
type of the same name, ready for ``codec.encode("Vec<NeuronInfoLite>", ...)`` and friends.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from bt_llm.localnet.state import TypedReads

ST = "SubtensorModule"
_EMPTY_AXON = {
    "block": 0,
    "version": 0,
    "ip": 0,
    "port": 0,
    "ip_type": 0,
    "protocol": 0,
    "placeholder1": 0,
    "placeholder2": 0,
}
_EMPTY_PROM = {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0}
_F64 = 1 << 64
_POINT_82 = round(Fraction(0.82) * _F64)  # U64F64::from_num(0.82)


def _at(vec: list[Any], i: int, default: Any = 0) -> Any:
    return vec[i] if i < len(vec) else default


def _vectors(v: TypedReads, netuid: int) -> dict[str, list[Any]]:
    names = (
        "Active",
        "Rank",
        "Emission",
        "Incentive",
        "Consensus",
        "Trust",
        "ValidatorTrust",
        "Dividends",
        "PruningScores",
        "LastUpdate",
        "ValidatorPermit",
    )
    return {name: v.get(ST, name, netuid) for name in names}


def _neuron(
    v: TypedReads, netuid: int, uid: int, vecs: dict[str, list[Any]], *, lite: bool
) -> dict[str, Any] | None:
    if not v.contains(ST, "Keys", netuid, uid):
        return None
    hotkey = v.get(ST, "Keys", netuid, uid)
    out: dict[str, Any] = {
        "hotkey": hotkey,
        "coldkey": v.get(ST, "Owner", hotkey),
        "uid": uid,
        "netuid": netuid,
        "active": _at(vecs["Active"], uid, False),
        "axon_info": v.get(ST, "Axons", netuid, hotkey) or dict(_EMPTY_AXON),
        "prometheus_info": v.get(ST, "Prometheus", netuid, hotkey) or dict(_EMPTY_PROM),
        "stake": [(ck, s) for (ck,), s in v.iter(ST, "Stake", hotkey)],
        "rank": _at(vecs["Rank"], uid),
        "emission": _at(vecs["Emission"], uid),
        "incentive": _at(vecs["Incentive"], uid),
        "consensus": _at(vecs["Consensus"], uid),
        "trust": _at(vecs["Trust"], uid),
        "validator_trust": _at(vecs["ValidatorTrust"], uid),
        "dividends": _at(vecs["Dividends"], uid),
        "last_update": _at(vecs["LastUpdate"], uid),
        "validator_permit": _at(vecs["ValidatorPermit"], uid, False),
    }
    if not lite:
        out["weights"] = [(i, w) for i, w in v.get(ST, "Weights", netuid, uid) if w > 0]
        out["bonds"] = [(i, b) for i, b in v.get(ST, "Bonds", netuid, uid) if b > 0]
    out["pruning_score"] = _at(vecs["PruningScores"], uid)
    return out


def neurons(v: TypedReads, netuid: int, *, lite: bool) -> list[dict[str, Any]]:
    """``get_neurons(_lite)``: every uid of the subnet (empty when it does not exist)."""
    if not v.get(ST, "NetworksAdded", netuid):
        return []
    vecs = _vectors(v, netuid)
    out = []
    for uid in range(v.get(ST, "SubnetworkN", netuid)):
        n = _neuron(v, netuid, uid, vecs, lite=lite)
        if n is not None:
            out.append(n)
    return out


def neuron(v: TypedReads, netuid: int, uid: int, *, lite: bool) -> dict[str, Any] | None:
    if not v.get(ST, "NetworksAdded", netuid):
        return None
    return _neuron(v, netuid, uid, _vectors(v, netuid), lite=lite)


def subnet_info(v: TypedReads, netuid: int) -> dict[str, Any] | None:
    if not v.get(ST, "NetworksAdded", netuid):
        return None
    g = lambda item: v.get(ST, item, netuid)  # noqa: E731
    return {
        "netuid": netuid, "rho": g("Rho"), "kappa": g("Kappa"), "difficulty": g("Difficulty"),
        "immunity_period": g("ImmunityPeriod"), "max_allowed_validators": g("MaxAllowedValidators"),
        "min_allowed_weights": g("MinAllowedWeights"), "max_weights_limit": g("MaxWeightsLimit"),
        "scaling_law_power": g("ScalingLawPower"), "subnetwork_n": g("SubnetworkN"),
        "max_allowed_uids": g("MaxAllowedUids"), "blocks_since_last_step": g("BlocksSinceLastStep"),
        "tempo": g("Tempo"), "network_modality": g("NetworkModality"), "network_connect": [],
        "emission_values": g("EmissionValues"), "burn": g("Burn"), "owner": g("SubnetOwner"),
    }  # fmt: skip


def subnets_info(v: TypedReads) -> list[dict[str, Any] | None]:
    """``get_subnets_info``: ``Vec<Option<SubnetInfo>>`` over the added netuids."""
    return [subnet_info(v, netuid) for (netuid,), added in v.iter(ST, "NetworksAdded") if added]


def subnet_hyperparams(v: TypedReads, netuid: int) -> dict[str, Any] | None:
    if not v.get(ST, "NetworksAdded", netuid):
        return None
    g = lambda item: v.get(ST, item, netuid)  # noqa: E731
    return {
        "rho": g("Rho"), "kappa": g("Kappa"), "immunity_period": g("ImmunityPeriod"),
        "min_allowed_weights": g("MinAllowedWeights"), "max_weights_limit": g("MaxWeightsLimit"), "tempo": g("Tempo"),
        "min_difficulty": g("MinDifficulty"), "max_difficulty": g("MaxDifficulty"),
        "weights_version": g("WeightsVersionKey"), "weights_rate_limit": g("WeightsSetRateLimit"),
        "adjustment_interval": g("AdjustmentInterval"), "activity_cutoff": g("ActivityCutoff"),
        "registration_allowed": g("NetworkRegistrationAllowed"),
        "target_regs_per_interval": g("TargetRegistrationsPerInterval"), "min_burn": g("MinBurn"),
        "max_burn": g("MaxBurn"), "bonds_moving_avg": g("BondsMovingAverage"),
        "max_regs_per_block": g("MaxRegistrationsPerBlock"), "serving_rate_limit": g("ServingRateLimit"),
        "max_validators": g("MaxAllowedValidators"), "adjustment_alpha": g("AdjustmentAlpha"),
        "difficulty": g("Difficulty"),
    }  # fmt: skip


def _delegate_info(v: TypedReads, hotkey: bytes) -> dict[str, Any]:
    nominators = [(ck, s) for (ck,), s in v.iter(ST, "Stake", hotkey) if s != 0]
    registrations = [netuid for (netuid,), member in v.iter(ST, "IsNetworkMember", hotkey) if member]
    permits = []
    per_day = 0  # U64F64 bits
    for netuid in registrations:
        uid = v.get(ST, "Uids", netuid, hotkey)
        if uid is None:
            continue
        if _at(v.get(ST, "ValidatorPermit", netuid), uid, False):
            permits.append(netuid)
        emission = _at(v.get(ST, "Emission", netuid), uid)
        tempo = v.get(ST, "Tempo", netuid)
        epochs_per_day = (7200 * _F64) // tempo if tempo else 0
        per_day += (emission * _F64 * epochs_per_day) >> 64
    total = v.get(ST, "TotalHotkeyStake", hotkey)
    ret_1000 = 0
    if total > 0:
        numerator = (per_day * _POINT_82) >> 64
        denominator = (total * _F64) // 1000
        ret_1000 = (numerator * _F64) // denominator if denominator else 0
    return {
        "delegate_ss58": hotkey, "take": v.get(ST, "Delegates", hotkey), "nominators": nominators,
        "owner_ss58": v.get(ST, "Owner", hotkey), "registrations": registrations, "validator_permits": permits,
        "return_per_1000": ret_1000 >> 64, "total_daily_return": per_day >> 64,
    }  # fmt: skip


def delegates(v: TypedReads) -> list[dict[str, Any]]:
    return [_delegate_info(v, hk) for (hk,), _ in v.iter(ST, "Delegates")]


def delegate(v: TypedReads, hotkey: bytes) -> dict[str, Any] | None:
    return _delegate_info(v, hotkey) if v.contains(ST, "Delegates", hotkey) else None


def delegated(v: TypedReads, coldkey: bytes) -> list[tuple[dict[str, Any], int]]:
    out = []
    for (hk,), _ in v.iter(ST, "Delegates"):
        staked = v.get(ST, "Stake", hk, coldkey)
        if staked:
            out.append((_delegate_info(v, hk), staked))
    return out


def stake_info(v: TypedReads, coldkey: bytes) -> list[dict[str, Any]]:
    from bt_llm.localnet.storage import decode_map_key

    out = []
    for raw_key, _ in v.items_raw(_stake_prefix()):
        hk, ck = decode_map_key(ST, "Stake", raw_key)
        if ck == coldkey:
            out.append({"hotkey": hk, "coldkey": ck, "stake": v.get(ST, "Stake", hk, ck)})
    return out


def _stake_prefix() -> bytes:
    from bt_llm.localnet.storage import prefix_key

    return prefix_key(ST, "Stake")

"""Root-only calls: the ``Sudo`` pallet and the subtensor ``sudo_*`` setters, networks, emission values."""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.calls.balances import account_of
from bt_llm.localnet.calls.context import (
    ST,
    Ctx,
    Origin,
    dispatch_as,
    ensure,
    ensure_root,
    ensure_signed,
    fail,
)

# call -> (storage item, event, needs an existing subnet, extra check)
_NETUID_SETTERS: dict[str, tuple[str, str, bool]] = {
    "sudo_set_serving_rate_limit": ("ServingRateLimit", "ServingRateLimitSet", False),
    "sudo_set_min_difficulty": ("MinDifficulty", "MinDifficultySet", True),
    "sudo_set_max_difficulty": ("MaxDifficulty", "MaxDifficultySet", True),
    "sudo_set_weights_version_key": ("WeightsVersionKey", "WeightsVersionKeySet", True),
    "sudo_set_weights_set_rate_limit": ("WeightsSetRateLimit", "WeightsSetRateLimitSet", True),
    "sudo_set_adjustment_interval": ("AdjustmentInterval", "AdjustmentIntervalSet", True),
    "sudo_set_adjustment_alpha": ("AdjustmentAlpha", "AdjustmentAlphaSet", True),
    "sudo_set_validator_prune_len": ("ValidatorPruneLen", "ValidatorPruneLenSet", True),
    "sudo_set_scaling_law_power": ("ScalingLawPower", "ScalingLawPowerSet", True),
    "sudo_set_max_weight_limit": ("MaxWeightsLimit", "MaxWeightLimitSet", True),
    "sudo_set_immunity_period": ("ImmunityPeriod", "ImmunityPeriodSet", True),
    "sudo_set_min_allowed_weights": ("MinAllowedWeights", "MinAllowedWeightSet", True),
    "sudo_set_max_allowed_uids": ("MaxAllowedUids", "MaxAllowedUidsSet", True),
    "sudo_set_kappa": ("Kappa", "KappaSet", True),
    "sudo_set_rho": ("Rho", "RhoSet", True),
    "sudo_set_activity_cutoff": ("ActivityCutoff", "ActivityCutoffSet", True),
    "sudo_set_registration_allowed": ("NetworkRegistrationAllowed", "RegistrationAllowed", False),
    "sudo_set_target_registrations_per_interval": (
        "TargetRegistrationsPerInterval",
        "RegistrationPerIntervalSet",
        True,
    ),
    "sudo_set_burn": ("Burn", "BurnSet", True),
    "sudo_set_min_burn": ("MinBurn", "MinBurnSet", True),
    "sudo_set_max_burn": ("MaxBurn", "MaxBurnSet", True),
    "sudo_set_difficulty": ("Difficulty", "DifficultySet", True),
    "sudo_set_max_allowed_validators": ("MaxAllowedValidators", "MaxAllowedValidatorsSet", True),
    "sudo_set_bonds_moving_average": ("BondsMovingAverage", "BondsMovingAverageSet", True),
    "sudo_set_max_registrations_per_block": ("MaxRegistrationsPerBlock", "MaxRegistrationsPerBlockSet", True),
    "sudo_set_tempo": ("Tempo", "TempoSet", True),
    "sudo_set_rao_recycled": ("RAORecycledForRegistration", "RAORecycledForRegistrationSet", True),
}
_GLOBAL_SETTERS: dict[str, tuple[str, str | None]] = {
    "sudo_set_default_take": ("DefaultTake", "DefaultTakeSet"),
    "sudo_set_tx_rate_limit": ("TxRateLimit", "TxRateLimitSet"),
    "sudo_set_total_issuance": ("TotalIssuance", None),
    "sudo_set_senate_required_stake_perc": ("SenateRequiredStakePercentage", "SenateRequiredStakePercentSet"),
}


def _netuid_setter(name: str) -> Any:
    item, event, needs_subnet = _NETUID_SETTERS[name]

    def call(ctx: Ctx, origin: Origin, netuid: int, **kw: Any) -> None:
        ensure_root(origin)
        (value,) = kw.values()
        st = ctx.state
        if needs_subnet:
            ensure(st.get(ST, "NetworksAdded", netuid), ST, "NetworkDoesNotExist")
        if name == "sudo_set_scaling_law_power":
            ensure(value <= 100, ST, "StorageValueOutOfRange")
        if name == "sudo_set_max_allowed_uids":
            ensure(st.get(ST, "SubnetworkN", netuid) < value, ST, "MaxAllowedUIdsNotAllowed")
        if name == "sudo_set_tempo":
            ensure(value < 65535, ST, "InvalidTempo")
        st.set(ST, item, netuid, value)
        ctx.deposit(ST, event, netuid, value)

    return call


def _global_setter(name: str) -> Any:
    item, event = _GLOBAL_SETTERS[name]

    def call(ctx: Ctx, origin: Origin, **kw: Any) -> None:
        ensure_root(origin)
        (value,) = kw.values()
        ctx.state.set(ST, item, value)
        if event:
            ctx.deposit(ST, event, value)

    return call


# per-subnet items that a new network writes with their defaults and a removed one drops
_DEFAULTED_NETWORK_ITEMS = (
    "Kappa",
    "Difficulty",
    "MaxAllowedUids",
    "ImmunityPeriod",
    "ActivityCutoff",
    "EmissionValues",
    "MaxWeightsLimit",
    "MinAllowedWeights",
    "RegistrationsThisInterval",
    "POWRegistrationsThisInterval",
    "BurnRegistrationsThisInterval",
)


def init_new_network(ctx: Ctx, netuid: int, tempo: int, modality: int) -> None:
    st = ctx.state
    st.set(ST, "SubnetworkN", netuid, 0)
    st.set(ST, "NetworksAdded", netuid, True)
    st.set(ST, "Tempo", netuid, tempo)
    st.set(ST, "NetworkModality", netuid, modality)
    st.set(ST, "TotalNetworks", st.get(ST, "TotalNetworks") + 1)
    for item in _DEFAULTED_NETWORK_ITEMS:
        if not st.contains(ST, item, netuid):
            st.set(ST, item, netuid, st.get(ST, item, netuid))


def sudo_add_network(ctx: Ctx, origin: Origin, netuid: int, tempo: int, modality: int) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(not st.get(ST, "NetworksAdded", netuid), ST, "NetworkExist")
    ensure(modality <= 2, ST, "InvalidModality")
    ensure(tempo < 65535, ST, "InvalidTempo")
    init_new_network(ctx, netuid, tempo, modality)
    ctx.deposit(ST, "NetworkAdded", netuid, modality)


def sudo_remove_network(ctx: Ctx, origin: Origin, netuid: int) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(st.get(ST, "NetworksAdded", netuid), ST, "NetworkDoesNotExist")
    for item in (
        "SubnetworkN",
        "NetworkModality",
        "NetworksAdded",
        "Rank",
        "Trust",
        "Active",
        "Emission",
        "Incentive",
        "Consensus",
        "Dividends",
        "PruningScores",
        "LastUpdate",
        "ValidatorPermit",
        "ValidatorTrust",
        "Tempo",
        *_DEFAULTED_NETWORK_ITEMS,
    ):
        st.remove(ST, item, netuid)
    for item in ("Uids", "Keys", "Bonds", "Weights"):
        st.clear_prefix(ST, item, netuid)
    st.set(ST, "TotalNetworks", st.get(ST, "TotalNetworks") - 1)
    ctx.deposit(ST, "NetworkRemoved", netuid)


def sudo_set_emission_values(ctx: Ctx, origin: Origin, netuids: list[int], emission: list[int]) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(len(netuids) == len(emission), ST, "WeightVecNotEqualSize")
    ensure(len(netuids) == st.get(ST, "TotalNetworks"), ST, "IncorrectNetuidsLength")
    ensure(len(set(netuids)) == len(netuids), ST, "DuplicateUids")
    ensure(all(st.get(ST, "NetworksAdded", n) for n in netuids), ST, "InvalidUid")
    total = sum(emission)
    ensure(total < 2**64 and total == st.get(ST, "BlockEmission"), ST, "InvalidEmissionValues")
    for n, e in zip(netuids, emission, strict=True):
        st.set(ST, "EmissionValues", n, e)
    ctx.deposit(ST, "EmissionValuesSet")


def sudo_add_network_connection_requirement(
    ctx: Ctx, origin: Origin, netuid_a: int, netuid_b: int, requirement: int
) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(netuid_a != netuid_b, ST, "InvalidConnectionRequirement")
    ensure(st.get(ST, "NetworksAdded", netuid_a), ST, "NetworkDoesNotExist")
    ensure(st.get(ST, "NetworksAdded", netuid_b), ST, "NetworkDoesNotExist")
    st.set(ST, "NetworkConnect", netuid_a, netuid_b, requirement)
    ctx.deposit(ST, "NetworkConnectionAdded", netuid_a, netuid_b, requirement)


def sudo_remove_network_connection_requirement(
    ctx: Ctx, origin: Origin, netuid_a: int, netuid_b: int
) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(st.get(ST, "NetworksAdded", netuid_a), ST, "NetworkDoesNotExist")
    ensure(st.get(ST, "NetworksAdded", netuid_b), ST, "NetworkDoesNotExist")
    st.remove(ST, "NetworkConnect", netuid_a, netuid_b)
    ctx.deposit(ST, "NetworkConnectionRemoved", netuid_a, netuid_b)


def subtensor_sudo(ctx: Ctx, origin: Origin, call: Any, _weight: Any = None) -> None:
    """``SubtensorModule.sudo``: a council majority (or root, which approved proposals run as) -> root."""
    if origin.kind == "collective":
        ensure(origin.yes * 2 > origin.seats, None, "BadOrigin")
    else:
        ensure_root(origin)
    result = dispatch_as(ctx, Origin.root(), call)
    ctx.deposit(ST, "Sudid", result)


def _sudo_key_check(ctx: Ctx, origin: Origin) -> None:
    who = ensure_signed(origin)
    ensure(ctx.state.get("Sudo", "Key") == who, "Sudo", "RequireSudo")


def sudo(ctx: Ctx, origin: Origin, call: Any, weight: Any = None) -> None:
    _sudo_key_check(ctx, origin)
    ctx.deposit("Sudo", "Sudid", dispatch_as(ctx, Origin.root(), call))


def sudo_as(ctx: Ctx, origin: Origin, who: Any, call: Any) -> None:
    _sudo_key_check(ctx, origin)
    ctx.deposit("Sudo", "SudoAsDone", dispatch_as(ctx, Origin.signed(account_of(who)), call))


def set_key(ctx: Ctx, origin: Origin, new: Any) -> None:
    _sudo_key_check(ctx, origin)
    old = ctx.state.get("Sudo", "Key")
    ctx.state.set("Sudo", "Key", account_of(new))
    ctx.deposit("Sudo", "KeyChanged", old)


SUBTENSOR_CALLS: dict[str, Any] = {
    **{name: _netuid_setter(name) for name in _NETUID_SETTERS},
    **{name: _global_setter(name) for name in _GLOBAL_SETTERS},
    "sudo_add_network": sudo_add_network,
    "sudo_remove_network": sudo_remove_network,
    "sudo_set_emission_values": sudo_set_emission_values,
    "sudo_add_network_connection_requirement": sudo_add_network_connection_requirement,
    "sudo_remove_network_connection_requirement": sudo_remove_network_connection_requirement,
    "sudo": subtensor_sudo,
    "sudo_unchecked_weight": subtensor_sudo,
}
SUDO_CALLS: dict[str, Any] = {
    "sudo": sudo,
    "sudo_unchecked_weight": sudo,
    "sudo_as": sudo_as,
    "set_key": set_key,
}

__all__ = ["SUBTENSOR_CALLS", "SUDO_CALLS", "fail", "init_new_network"]

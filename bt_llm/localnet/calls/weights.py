"""``set_weights`` (``weights.rs``) with the pallet's I32F32 max-upscale and max-limit checks."""

from __future__ import annotations

from bt_llm.localnet.calls.context import ST, Ctx, Origin, ensure, ensure_signed


def max_upscale_u16(values: list[int]) -> list[int]:
    """``vec_u16_max_upscale_to_u16`` (the Yuma package's fixed-point helper)."""
    from bt_llm.localnet.yuma.fixed import u16_max_upscale

    return u16_max_upscale(values) if values else []


def max_limited(values: list[int], limit: int) -> bool:
    """``check_vec_max_limited`` (the Yuma package's fixed-point helper)."""
    from bt_llm.localnet.yuma.fixed import check_max_limited

    return check_max_limited(values, limit)


def _is_self_weight(uid: int, dests: list[int]) -> bool:
    return len(dests) == 1 and dests[0] == uid


def set_weights(
    ctx: Ctx, origin: Origin, netuid: int, dests: list[int], weights: list[int], version_key: int
) -> None:
    hotkey = ensure_signed(origin)
    st = ctx.state
    ensure(len(dests) == len(weights), ST, "WeightVecNotEqualSize")
    ensure(st.get(ST, "NetworksAdded", netuid), ST, "NetworkDoesNotExist")
    n = st.get(ST, "SubnetworkN", netuid)
    ensure(len(dests) <= n, ST, "TooManyUids")
    uid = st.get(ST, "Uids", netuid, hotkey)
    ensure(uid is not None, ST, "NotRegistered")
    key = st.get(ST, "WeightsVersionKey", netuid)
    ensure(key == 0 or version_key >= key, ST, "IncorrectNetworkVersionKey")
    last = st.get(ST, "LastUpdate", netuid)[uid]
    ensure(
        last == 0 or ctx.block - last >= st.get(ST, "WeightsSetRateLimit", netuid),
        ST,
        "SettingWeightsTooFast",
    )
    self_weight = _is_self_weight(uid, dests)
    ensure(self_weight or st.get(ST, "ValidatorPermit", netuid)[uid], ST, "NoValidatorPermit")
    ensure(len(set(dests)) == len(dests), ST, "DuplicateUids")
    ensure(all(st.contains(ST, "Keys", netuid, d) for d in dests), ST, "InvalidUid")
    ensure(
        self_weight or len(weights) >= st.get(ST, "MinAllowedWeights", netuid), ST, "NotSettingEnoughWeights"
    )
    upscaled = max_upscale_u16(list(weights))
    limit = st.get(ST, "MaxWeightsLimit", netuid)
    ensure(self_weight or limit == 65535 or max_limited(upscaled, limit), ST, "MaxWeightExceeded")
    st.set(ST, "Weights", netuid, uid, list(zip(dests, upscaled, strict=True)))
    lu = st.get(ST, "LastUpdate", netuid)
    lu[uid] = ctx.block
    st.set(ST, "LastUpdate", netuid, lu)
    ctx.deposit(ST, "WeightsSet", netuid, uid)


CALLS = {"set_weights": set_weights}

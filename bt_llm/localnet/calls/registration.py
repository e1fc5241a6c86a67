"""Registration (``registration.rs``, ``uids.rs``): PoW ``register``, ``burned_register``, ``sudo_register``."""

from __future__ import annotations

import hashlib

from Crypto.Hash import keccak

from bt_llm.localnet.calls import balances, staking
from bt_llm.localnet.calls.context import ST, Ctx, Origin, ensure, ensure_root, ensure_signed
from bt_llm.localnet.state import State

_U256 = 1 << 256


def keccak_256(data: bytes) -> bytes:
    return keccak.new(data=data, digest_bits=256).digest()


def seal_hash(block_hash: bytes, hotkey: bytes, nonce: int) -> bytes:
    """``create_seal_hash``: ``keccak(sha256(nonce_le8 ++ keccak(block_hash ++ hotkey)))``."""
    pre = keccak_256(bytes(block_hash) + bytes(hotkey))
    return keccak_256(hashlib.sha256(nonce.to_bytes(8, "little") + pre).digest())


def meets_difficulty(work: bytes, difficulty: int) -> bool:
    """``hash_meets_difficulty``: the U256 product ``work * difficulty`` does not overflow."""
    return int.from_bytes(work, "big") * difficulty < _U256


# ------------------------------------------------------------------------------- neurons


def _push(st: State, item: str, netuid: int, value: object) -> None:
    v = st.get(ST, item, netuid)
    v.append(value)
    st.set(ST, item, netuid, v)


def append_neuron(st: State, netuid: int, hotkey: bytes, block: int) -> int:
    uid = st.get(ST, "SubnetworkN", netuid)
    st.set(ST, "SubnetworkN", netuid, uid + 1)
    for item in (
        "Rank",
        "Trust",
        "Emission",
        "Consensus",
        "Incentive",
        "Dividends",
        "PruningScores",
        "ValidatorTrust",
    ):
        _push(st, item, netuid, 0)
    _push(st, "Active", netuid, True)
    _push(st, "LastUpdate", netuid, block)
    _push(st, "ValidatorPermit", netuid, False)
    st.set(ST, "Keys", netuid, uid, hotkey)
    st.set(ST, "Uids", netuid, hotkey, uid)
    st.set(ST, "BlockAtRegistration", netuid, uid, block)
    st.set(ST, "IsNetworkMember", hotkey, netuid, True)
    return uid


def registered_anywhere(st: State, hotkey: bytes) -> bool:
    return any(v for _, v in st.iter(ST, "IsNetworkMember", hotkey))


def replace_neuron(ctx: Ctx, netuid: int, uid: int, hotkey: bytes, block: int) -> None:
    st = ctx.state
    old = st.get(ST, "Keys", netuid, uid)
    st.remove(ST, "Uids", netuid, old)
    st.remove(ST, "IsNetworkMember", old, netuid)
    st.remove(ST, "Keys", netuid, uid)
    if not registered_anywhere(st, old):
        staking.unstake_all(ctx, old)
    active = st.get(ST, "Active", netuid)
    if uid < len(active):
        active[uid] = True
        st.set(ST, "Active", netuid, active)
    st.set(ST, "Keys", netuid, uid, hotkey)
    st.set(ST, "Uids", netuid, hotkey, uid)
    st.set(ST, "BlockAtRegistration", netuid, uid, block)
    st.set(ST, "IsNetworkMember", hotkey, netuid, True)


def neuron_to_prune(st: State, netuid: int, block: int) -> int:
    """``get_neuron_to_prune`` (also marks the chosen uid's pruning score u16::MAX, as the pallet does)."""
    from bt_llm.localnet.yuma import pruning_candidate

    n = st.get(ST, "SubnetworkN", netuid)
    if n == 0:
        return 0
    scores = st.get(ST, "PruningScores", netuid)
    regs = [st.get(ST, "BlockAtRegistration", netuid, uid) for uid in range(n)]
    uid = pruning_candidate(
        pruning_scores=scores[:n],
        block_at_registration=regs,
        current_block=block,
        immunity_period=st.get(ST, "ImmunityPeriod", netuid),
    )
    if uid < len(scores):
        scores[uid] = 65535
        st.set(ST, "PruningScores", netuid, scores)
    return uid


def _place(ctx: Ctx, netuid: int, hotkey: bytes) -> int:
    st = ctx.state
    n = st.get(ST, "SubnetworkN", netuid)
    if n < st.get(ST, "MaxAllowedUids", netuid):
        return append_neuron(st, netuid, hotkey, ctx.block)
    uid = neuron_to_prune(st, netuid, ctx.block)
    replace_neuron(ctx, netuid, uid, hotkey, ctx.block)
    return uid


def _bump(st: State, netuid: int, *items: str) -> None:
    for item in items:
        st.set(ST, item, netuid, st.get(ST, item, netuid) + 1)


def _common_checks(st: State, netuid: int, hotkey: bytes) -> None:
    ensure(st.get(ST, "NetworksAdded", netuid), ST, "NetworkDoesNotExist")
    ensure(st.get(ST, "NetworkRegistrationAllowed", netuid), ST, "RegistrationDisabled")
    ensure(
        st.get(ST, "RegistrationsThisBlock", netuid) < st.get(ST, "MaxRegistrationsPerBlock", netuid),
        ST,
        "TooManyRegistrationsThisBlock",
    )
    ensure(
        st.get(ST, "RegistrationsThisInterval", netuid)
        < st.get(ST, "TargetRegistrationsPerInterval", netuid) * 3,
        ST,
        "TooManyRegistrationsThisInterval",
    )
    ensure(not st.contains(ST, "Uids", netuid, hotkey), ST, "AlreadyRegistered")


def passes_connection_requirement(st: State, netuid_a: int, hotkey: bytes) -> bool:
    """``passes_network_connection_requirement`` (top-k percentile by pruning score on the required subnet)."""
    for (netuid_b,), requirement in st.iter(ST, "NetworkConnect", netuid_a):
        if not st.get(ST, "NetworksAdded", netuid_b):
            continue
        n = st.get(ST, "SubnetworkN", netuid_b)
        uid_b = st.get(ST, "Uids", netuid_b, hotkey)
        if n == 0 or uid_b is None:
            return False
        scores = st.get(ST, "PruningScores", netuid_b)
        ours = scores[uid_b]
        better = sum(1 for u in range(n) if u != uid_b and scores[u] > ours)
        req = (requirement << 32) // 65535
        val = (better << 32) // n
        if val > req:
            return False
    return True


def register(
    ctx: Ctx,
    origin: Origin,
    netuid: int,
    block_number: int,
    nonce: int,
    work: bytes,
    hotkey: bytes,
    coldkey: bytes,
) -> None:
    signer = ensure_signed(origin)
    st = ctx.state
    ensure(signer == hotkey, ST, "HotkeyOriginMismatch")
    _common_checks(st, netuid, hotkey)
    ensure(block_number <= ctx.block, ST, "InvalidWorkBlock")
    ensure(ctx.block - block_number < 3, ST, "InvalidWorkBlock")
    ensure(len(work) == 32, ST, "InvalidSeal")
    ensure(meets_difficulty(work, st.get(ST, "Difficulty", netuid)), ST, "InvalidDifficulty")
    block_hash = ctx.block_hash(block_number) or bytes(32)
    ensure(seal_hash(block_hash, hotkey, nonce) == bytes(work), ST, "InvalidSeal")
    st.set(ST, "UsedWork", bytes(work), ctx.block)
    ensure(passes_connection_requirement(st, netuid, hotkey), ST, "DidNotPassConnectedNetworkRequirement")
    staking.create_account_if_non_existent(st, coldkey, hotkey)
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(st.get(ST, "MaxAllowedUids", netuid) != 0, ST, "NetworkDoesNotExist")
    uid = _place(ctx, netuid, hotkey)
    _bump(st, netuid, "POWRegistrationsThisInterval", "RegistrationsThisInterval", "RegistrationsThisBlock")
    ctx.deposit(ST, "NeuronRegistered", netuid, uid, hotkey)


def burned_register(ctx: Ctx, origin: Origin, netuid: int, hotkey: bytes) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    _common_checks(st, netuid, hotkey)
    ensure(passes_connection_requirement(st, netuid, hotkey), ST, "DidNotPassConnectedNetworkRequirement")
    cost = st.get(ST, "Burn", netuid)
    ensure(staking.can_remove_balance(st, coldkey, cost), ST, "NotEnoughBalanceToStake")
    ensure(staking.remove_balance(ctx, coldkey, cost), ST, "BalanceWithdrawalError")
    st.set(ST, "TotalIssuance", max(0, st.get(ST, "TotalIssuance") - cost))
    staking.create_account_if_non_existent(st, coldkey, hotkey)
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(st.get(ST, "MaxAllowedUids", netuid) != 0, ST, "NetworkDoesNotExist")
    uid = _place(ctx, netuid, hotkey)
    _bump(st, netuid, "BurnRegistrationsThisInterval", "RegistrationsThisInterval", "RegistrationsThisBlock")
    st.set(ST, "RAORecycledForRegistration", netuid, st.get(ST, "RAORecycledForRegistration", netuid) + cost)
    ctx.deposit(ST, "NeuronRegistered", netuid, uid, hotkey)


def sudo_register(
    ctx: Ctx, origin: Origin, netuid: int, hotkey: bytes, coldkey: bytes, stake: int, balance: int
) -> None:
    ensure_root(origin)
    st = ctx.state
    ensure(st.get(ST, "NetworksAdded", netuid), ST, "NetworkDoesNotExist")
    ensure(not st.contains(ST, "Uids", netuid, hotkey), ST, "AlreadyRegistered")
    staking.create_account_if_non_existent(st, coldkey, hotkey)
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    staking.increase_stake(st, coldkey, hotkey, stake)
    balances.deposit(ctx, coldkey, balance)
    # the pallet mints both without touching its TotalIssuance; we count them so issuance stays whole
    st.set(ST, "TotalIssuance", st.get(ST, "TotalIssuance") + stake + balance)
    uid = _place(ctx, netuid, hotkey)
    ctx.deposit(ST, "NeuronRegistered", netuid, uid, hotkey)


CALLS = {"register": register, "burned_register": burned_register, "sudo_register": sudo_register}

"""Governance: the senate (``senate.rs``), the Triumvirate collective (subtensor's fork of
pallet_collective) and the two membership pallets.

Proposals are made by triumvirate members, voted on by senators (through ``SubtensorModule.vote``,
which records the senator's hotkey), and closed by anyone. Threshold = ``senate_size // 2 + 1``.
An approved proposal runs as root (the spec's simplification of the collective origin; the
``SubtensorModule.sudo`` wrapper accepts both).
"""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.calls import staking
from bt_llm.localnet.calls.balances import account_of
from bt_llm.localnet.calls.context import ST, Ctx, Origin, dispatch_as, ensure, ensure_root, ensure_signed
from bt_llm.localnet.calls.membership import (
    MAX_MEMBERS,
    T,
    add_member,
    is_senate_member,
    members,
    remove_member,
    remove_votes,
    set_members,
    swap_member,
)
from bt_llm.localnet.calls.registration import registered_anywhere
from bt_llm.localnet.schema import (
    SENATE_MAX_MEMBERS,
    TRIUMVIRATE_MAX_PROPOSALS,
    TRIUMVIRATE_MOTION_DURATION,
    encode_call,
)
from bt_llm.localnet.state import State
from bt_llm.localnet.storage import blake2_256

# ------------------------------------------------------------------------------- senate (SubtensorModule)


def join_senate(ctx: Ctx, origin: Origin, hotkey: bytes) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(registered_anywhere(st, hotkey), ST, "NotRegistered")
    ensure(not is_senate_member(st, hotkey), ST, "AlreadySenateMember")
    ensure(staking.is_delegate(st, hotkey), ST, "NotDelegate")
    total = st.get(ST, "TotalStake")
    stake = st.get(ST, "TotalHotkeyStake", hotkey)
    ensure(total > 0 and stake > 0, ST, "BelowStakeThreshold")
    ensure(stake * 100 // total >= st.get(ST, "SenateRequiredStakePercentage"), ST, "BelowStakeThreshold")
    m = members(st, "SenateMembers")
    if len(m) == SENATE_MAX_MEMBERS:
        # stable sort by stake descending; the last one is the weakest
        weakest = sorted(m, key=lambda a: -st.get(ST, "TotalHotkeyStake", a))[-1]
        ensure(st.get(ST, "TotalHotkeyStake", weakest) < stake, ST, "BelowStakeThreshold")
        remove_votes(ctx, weakest)
        swap_member(ctx, "SenateMembers", weakest, hotkey)
        return
    add_member(ctx, "SenateMembers", hotkey)


def leave_senate(ctx: Ctx, origin: Origin, hotkey: bytes) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(is_senate_member(st, hotkey), ST, "NotSenateMember")
    remove_votes(ctx, hotkey)
    remove_member(ctx, "SenateMembers", hotkey)


def do_vote(ctx: Ctx, who: bytes, proposal: bytes, index: int, approve: bool) -> None:
    st = ctx.state
    v = st.get(T, "Voting", proposal)
    ensure(v is not None, T, "ProposalMissing")
    ensure(v["index"] == index, T, "WrongIndex")
    ayes, nays = v["ayes"], v["nays"]
    if approve:
        ensure(who not in ayes, T, "DuplicateVote")
        ayes.append(who)
        if who in nays:
            nays.remove(who)
    else:
        ensure(who not in nays, T, "DuplicateVote")
        nays.append(who)
        if who in ayes:
            ayes.remove(who)
    ctx.deposit(T, "Voted", who, proposal, approve, len(ayes), len(nays))
    st.set(T, "Voting", proposal, v)


def senate_vote(ctx: Ctx, origin: Origin, hotkey: bytes, proposal: bytes, index: int, approve: bool) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(staking.coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(is_senate_member(st, hotkey), ST, "NotSenateMember")
    do_vote(ctx, hotkey, proposal, index, approve)


def sudo_remove_votes(ctx: Ctx, origin: Origin, who: bytes) -> None:
    ensure_root(origin)
    ensure(not is_senate_member(ctx.state, who), ST, "SenateMember")
    remove_votes(ctx, who)


# ------------------------------------------------------------------------------- Triumvirate


def propose(ctx: Ctx, origin: Origin, proposal: Any, length_bound: int, duration: int) -> None:
    who = ensure_signed(origin)
    st = ctx.state
    ensure(who in st.get(T, "Members"), T, "NotMember")
    ensure(duration >= TRIUMVIRATE_MOTION_DURATION, T, "WrongDuration")
    threshold = len(members(st, "SenateMembers")) // 2 + 1
    encoded = encode_call(proposal)
    ensure(len(encoded) <= length_bound, T, "WrongProposalLength")
    h = blake2_256(encoded)
    ensure(not st.contains(T, "ProposalOf", h), T, "DuplicateProposal")
    proposals = st.get(T, "Proposals")
    ensure(len(proposals) < TRIUMVIRATE_MAX_PROPOSALS, T, "TooManyProposals")
    st.set(T, "Proposals", [*proposals, h])
    index = st.get(T, "ProposalCount")
    st.set(T, "ProposalCount", index + 1)
    st.set(T, "ProposalOf", h, proposal)
    st.set(
        T,
        "Voting",
        h,
        {"index": index, "threshold": threshold, "ayes": [], "nays": [], "end": ctx.block + duration},
    )
    ctx.deposit(T, "Proposed", who, index, h, threshold)


def collective_vote(ctx: Ctx, origin: Origin, proposal: bytes, index: int, approve: bool) -> None:
    ensure_signed(origin)
    ensure(False, T, "NotMember")  # CanVote is false: votes go through SubtensorModule.vote


def _remove_proposal(st: State, h: bytes) -> None:
    st.set(T, "Proposals", [p for p in st.get(T, "Proposals") if p != h])
    st.remove(T, "ProposalOf", h)
    st.remove(T, "Voting", h)


def close(
    ctx: Ctx,
    origin: Origin,
    proposal_hash: bytes,
    index: int,
    proposal_weight_bound: Any = None,
    length_bound: int = 2**32 - 1,
) -> None:
    ensure_signed(origin)
    st = ctx.state
    v = st.get(T, "Voting", proposal_hash)
    ensure(v is not None, T, "ProposalMissing")
    ensure(v["index"] == index, T, "WrongIndex")
    yes, no = len(v["ayes"]), len(v["nays"])
    seats = len(members(st, "SenateMembers"))
    approved = yes >= v["threshold"]
    disapproved = max(0, seats - no) < v["threshold"]
    if not approved and not disapproved:
        ensure(ctx.block >= v["end"], T, "TooEarly")
        prime = st.get(T, "Prime")
        default_aye = prime is not None and prime in v["ayes"]
        abstentions = seats - (yes + no)
        if default_aye:
            yes += abstentions
        else:
            no += abstentions
        approved = yes >= v["threshold"]
    ctx.deposit(T, "Closed", proposal_hash, yes, no)
    if approved:
        call = st.get(T, "ProposalOf", proposal_hash)
        ensure(call is not None, T, "ProposalMissing")
        ensure(len(encode_call(call)) <= length_bound, T, "WrongProposalLength")
        ctx.deposit(T, "Approved", proposal_hash)
        ctx.deposit(T, "Executed", proposal_hash, dispatch_as(ctx, Origin.root(), call))
    else:
        ctx.deposit(T, "Disapproved", proposal_hash)
    _remove_proposal(st, proposal_hash)


def disapprove_proposal(ctx: Ctx, origin: Origin, proposal_hash: bytes) -> None:
    ensure_root(origin)
    ctx.deposit(T, "Disapproved", proposal_hash)
    _remove_proposal(ctx.state, proposal_hash)


def _membership_calls(pallet: str) -> dict[str, Any]:
    def add(ctx: Ctx, origin: Origin, who: Any) -> None:
        ensure_root(origin)
        add_member(ctx, pallet, account_of(who))

    def rm(ctx: Ctx, origin: Origin, who: Any) -> None:
        ensure_root(origin)
        remove_member(ctx, pallet, account_of(who))

    def swap(ctx: Ctx, origin: Origin, remove: Any, add: Any) -> None:
        ensure_root(origin)
        swap_member(ctx, pallet, account_of(remove), account_of(add))

    def reset(ctx: Ctx, origin: Origin, members: list[bytes]) -> None:
        ensure_root(origin)
        ensure(len(members) <= MAX_MEMBERS[pallet], pallet, "TooManyMembers")
        set_members(ctx, pallet, list(members))
        ctx.deposit(pallet, "MembersReset")

    return {"add_member": add, "remove_member": rm, "swap_member": swap, "reset_members": reset}


SUBTENSOR_CALLS = {
    "join_senate": join_senate,
    "leave_senate": leave_senate,
    "vote": senate_vote,
    "sudo_remove_votes": sudo_remove_votes,
}
TRIUMVIRATE_CALLS = {
    "propose": propose,
    "vote": collective_vote,
    "close": close,
    "disapprove_proposal": disapprove_proposal,
}
SENATE_MEMBERS_CALLS = _membership_calls("SenateMembers")
TRIUMVIRATE_MEMBERS_CALLS = _membership_calls("TriumvirateMembers")

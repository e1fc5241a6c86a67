"""The two membership pallets (``SenateMembers``, ``TriumvirateMembers``) and the collective's votes.

Apart from :mod:`governance` so that :mod:`staking` (a senator whose stake falls below the threshold
leaves the senate) and :mod:`governance` (which needs staking's checks) do not import each other.
"""

from __future__ import annotations

from bt_llm.localnet.calls.context import Ctx, ensure
from bt_llm.localnet.schema import SENATE_MAX_MEMBERS, TRIUMVIRATE_MAX_MEMBERS
from bt_llm.localnet.state import State

T = "Triumvirate"
MAX_MEMBERS = {"SenateMembers": SENATE_MAX_MEMBERS, "TriumvirateMembers": TRIUMVIRATE_MAX_MEMBERS}


def members(st: State, pallet: str) -> list[bytes]:
    return st.get(pallet, "Members")


def is_senate_member(st: State, hotkey: bytes) -> bool:
    return hotkey in members(st, "SenateMembers")


def set_members(ctx: Ctx, pallet: str, new: list[bytes]) -> None:
    new = sorted(new)
    ctx.state.set(pallet, "Members", new)
    if pallet == "TriumvirateMembers":  # MembershipChanged = Triumvirate
        ctx.state.set(T, "Members", new)


def add_member(ctx: Ctx, pallet: str, who: bytes) -> None:
    m = members(ctx.state, pallet)
    ensure(who not in m, pallet, "AlreadyMember")
    ensure(len(m) < MAX_MEMBERS[pallet], pallet, "TooManyMembers")
    set_members(ctx, pallet, [*m, who])
    ctx.deposit(pallet, "MemberAdded")


def remove_member(ctx: Ctx, pallet: str, who: bytes) -> None:
    m = members(ctx.state, pallet)
    ensure(who in m, pallet, "NotMember")
    set_members(ctx, pallet, [x for x in m if x != who])
    ctx.deposit(pallet, "MemberRemoved")


def swap_member(ctx: Ctx, pallet: str, remove: bytes, add: bytes) -> None:
    m = members(ctx.state, pallet)
    if remove == add:
        return
    ensure(remove in m, pallet, "NotMember")
    ensure(add not in m, pallet, "AlreadyMember")
    set_members(ctx, pallet, [add if x == remove else x for x in m])
    ctx.deposit(pallet, "MembersSwapped")


def remove_votes(ctx: Ctx, who: bytes) -> None:
    """``Triumvirate::remove_votes``: drop ``who``'s votes from every open proposal."""
    st = ctx.state
    for h in st.get(T, "Proposals"):
        v = st.get(T, "Voting", h)
        if v is None:
            continue
        v["ayes"] = [a for a in v["ayes"] if a != who]
        v["nays"] = [a for a in v["nays"] if a != who]
        st.set(T, "Voting", h, v)

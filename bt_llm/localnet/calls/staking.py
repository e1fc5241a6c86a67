"""Stake and delegation (``staking.rs``): add/remove stake, become a delegate, the stake maps."""

from __future__ import annotations

from bt_llm.localnet.calls import balances, membership
from bt_llm.localnet.calls.context import ST, Ctx, Origin, ensure, ensure_signed
from bt_llm.localnet.schema import EXISTENTIAL_DEPOSIT
from bt_llm.localnet.state import State


def hotkey_exists(st: State, hotkey: bytes) -> bool:
    return st.contains(ST, "Owner", hotkey)


def owner(st: State, hotkey: bytes) -> bytes:
    return st.get(ST, "Owner", hotkey)


def coldkey_owns_hotkey(st: State, coldkey: bytes, hotkey: bytes) -> bool:
    return hotkey_exists(st, hotkey) and owner(st, hotkey) == coldkey


def is_delegate(st: State, hotkey: bytes) -> bool:
    return st.contains(ST, "Delegates", hotkey)


def create_account_if_non_existent(st: State, coldkey: bytes, hotkey: bytes) -> None:
    if not hotkey_exists(st, hotkey):
        st.set(ST, "Stake", hotkey, coldkey, 0)
        st.set(ST, "Owner", hotkey, coldkey)


def increase_stake(st: State, coldkey: bytes, hotkey: bytes, amount: int) -> None:
    """``increase_stake_on_coldkey_hotkey_account`` (saturating u64 arithmetic)."""
    cap = 2**64 - 1
    st.set(ST, "TotalColdkeyStake", coldkey, min(cap, st.get(ST, "TotalColdkeyStake", coldkey) + amount))
    st.set(ST, "TotalHotkeyStake", hotkey, min(cap, st.get(ST, "TotalHotkeyStake", hotkey) + amount))
    st.set(ST, "Stake", hotkey, coldkey, min(cap, st.get(ST, "Stake", hotkey, coldkey) + amount))
    st.set(ST, "TotalStake", min(cap, st.get(ST, "TotalStake") + amount))


def decrease_stake(st: State, coldkey: bytes, hotkey: bytes, amount: int) -> None:
    st.set(ST, "TotalColdkeyStake", coldkey, max(0, st.get(ST, "TotalColdkeyStake", coldkey) - amount))
    st.set(ST, "TotalHotkeyStake", hotkey, max(0, st.get(ST, "TotalHotkeyStake", hotkey) - amount))
    st.set(ST, "Stake", hotkey, coldkey, max(0, st.get(ST, "Stake", hotkey, coldkey) - amount))
    st.set(ST, "TotalStake", max(0, st.get(ST, "TotalStake") - amount))


def exceeds_tx_rate_limit(st: State, prev_block: int, current: int) -> bool:
    rate = st.get(ST, "TxRateLimit")
    if rate == 0 or prev_block == 0:
        return False
    return current - prev_block <= rate


def can_remove_balance(st: State, coldkey: bytes, amount: int) -> bool:
    return amount <= balances.free_balance(st, coldkey)


def remove_balance(ctx: Ctx, coldkey: bytes, amount: int) -> bool:
    """``withdraw(.., KeepAlive)``; False instead of an error."""
    free = balances.free_balance(ctx.state, coldkey)
    if amount > free or (amount and free - amount < EXISTENTIAL_DEPOSIT):
        return False
    balances.withdraw(ctx, coldkey, amount, keep_alive=True)
    return True


def unstake_all(ctx: Ctx, hotkey: bytes) -> None:
    """``unstake_all_coldkeys_from_hotkey_account``: every nominator's stake back to free balance."""
    st = ctx.state
    for (coldkey,), stake in list(st.iter(ST, "Stake", hotkey)):
        decrease_stake(st, coldkey, hotkey, stake)
        balances.deposit(ctx, coldkey, stake)


# ------------------------------------------------------------------------------- calls


def become_delegate(ctx: Ctx, origin: Origin, hotkey: bytes) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(hotkey_exists(st, hotkey), ST, "NotRegistered")
    ensure(coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(not is_delegate(st, hotkey), ST, "AlreadyDelegate")
    ensure(
        not exceeds_tx_rate_limit(st, st.get(ST, "LastTxBlock", coldkey), ctx.block),
        ST,
        "TxRateLimitExceeded",
    )
    take = st.get(ST, "DefaultTake")
    st.set(ST, "Delegates", hotkey, take)
    st.set(ST, "LastTxBlock", coldkey, ctx.block)
    ctx.deposit(ST, "DelegateAdded", coldkey, hotkey, take)


def add_stake(ctx: Ctx, origin: Origin, hotkey: bytes, amount_staked: int) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(can_remove_balance(st, coldkey, amount_staked), ST, "NotEnoughBalanceToStake")
    ensure(hotkey_exists(st, hotkey), ST, "NotRegistered")
    ensure(is_delegate(st, hotkey) or coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(
        not exceeds_tx_rate_limit(st, st.get(ST, "LastTxBlock", coldkey), ctx.block),
        ST,
        "TxRateLimitExceeded",
    )
    ensure(remove_balance(ctx, coldkey, amount_staked), ST, "BalanceWithdrawalError")
    increase_stake(st, coldkey, hotkey, amount_staked)
    st.set(ST, "LastTxBlock", coldkey, ctx.block)
    ctx.deposit(ST, "StakeAdded", hotkey, amount_staked)


def remove_stake(ctx: Ctx, origin: Origin, hotkey: bytes, amount_unstaked: int) -> None:
    coldkey = ensure_signed(origin)
    st = ctx.state
    ensure(hotkey_exists(st, hotkey), ST, "NotRegistered")
    ensure(is_delegate(st, hotkey) or coldkey_owns_hotkey(st, coldkey, hotkey), ST, "NonAssociatedColdKey")
    ensure(amount_unstaked > 0, ST, "NotEnoughStaketoWithdraw")
    ensure(st.get(ST, "Stake", hotkey, coldkey) >= amount_unstaked, ST, "NotEnoughStaketoWithdraw")
    ensure(
        not exceeds_tx_rate_limit(st, st.get(ST, "LastTxBlock", coldkey), ctx.block),
        ST,
        "TxRateLimitExceeded",
    )
    decrease_stake(st, coldkey, hotkey, amount_unstaked)
    balances.deposit(ctx, coldkey, amount_unstaked)
    st.set(ST, "LastTxBlock", coldkey, ctx.block)
    if membership.is_senate_member(st, hotkey):
        total = st.get(ST, "TotalStake") or 1
        if st.get(ST, "TotalHotkeyStake", hotkey) * 100 // total < st.get(
            ST, "SenateRequiredStakePercentage"
        ):
            membership.remove_votes(ctx, hotkey)
            membership.remove_member(ctx, "SenateMembers", hotkey)
    ctx.deposit(ST, "StakeRemoved", hotkey, amount_unstaked)


CALLS = {"become_delegate": become_delegate, "add_stake": add_stake, "remove_stake": remove_stake}

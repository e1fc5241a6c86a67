"""``Balances`` (pallet_balances v0.9.39 with ``AccountStore = System``): free balances and transfers.

Accounts live in ``System.Account``; ``Balances.TotalIssuance`` always equals the sum of free balances.
An account left below the existential deposit by a death-allowing withdrawal is reaped: its dust is
destroyed (``DustLost``), its balance record zeroed (the nonce survives, so replays stay impossible).
"""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.calls.context import Ctx, Origin, ensure, ensure_root, ensure_signed, fail
from bt_llm.localnet.codec import account_bytes
from bt_llm.localnet.schema import EXISTENTIAL_DEPOSIT
from bt_llm.localnet.state import State

B = "Balances"


def account(st: State, who: bytes) -> dict[str, Any]:
    return st.get("System", "Account", who)


def free_balance(st: State, who: bytes) -> int:
    return account(st, who)["data"]["free"]


def _store(st: State, who: bytes, info: dict[str, Any]) -> None:
    data = info["data"]
    if data["free"] == 0 and data["reserved"] == 0 and info["nonce"] == 0:
        st.remove("System", "Account", who)
    else:
        info["providers"] = 1 if data["free"] or data["reserved"] else 0
        st.set("System", "Account", who, info)


def _issuance(st: State, delta: int) -> None:
    st.set(B, "TotalIssuance", st.get(B, "TotalIssuance") + delta)


def deposit(ctx: Ctx, who: bytes, amount: int) -> int:
    """``deposit_creating``: credit ``amount``; a new account needs at least the existential deposit.

    Returns what was credited (0 when the deposit could not create the account).
    """
    if amount == 0:
        return 0
    st = ctx.state
    info = account(st, who)
    if info["data"]["free"] == 0 and amount < EXISTENTIAL_DEPOSIT:
        # deposit_creating drops it; we say so with DustLost so the loss stays accountable
        ctx.deposit(B, "DustLost", who, amount)
        return 0
    created = info["data"]["free"] == 0 and info["data"]["reserved"] == 0
    info["data"]["free"] += amount
    _store(st, who, info)
    _issuance(st, amount)
    if created:
        ctx.deposit("System", "NewAccount", who)
        ctx.deposit(B, "Endowed", who, amount)
    return amount


def withdraw(ctx: Ctx, who: bytes, amount: int, *, keep_alive: bool) -> None:
    """Debit ``amount`` (burned). ``keep_alive`` refuses to go below the existential deposit."""
    if amount == 0:
        return
    st = ctx.state
    info = account(st, who)
    free = info["data"]["free"]
    ensure(amount <= free, B, "InsufficientBalance")
    new = free - amount
    if new < EXISTENTIAL_DEPOSIT:
        ensure(not keep_alive, B, "KeepAlive")
    info["data"]["free"] = new
    _issuance(st, -amount)
    if new < EXISTENTIAL_DEPOSIT:
        _reap(ctx, who, info)
    else:
        _store(st, who, info)


def _reap(ctx: Ctx, who: bytes, info: dict[str, Any]) -> None:
    dust = info["data"]["free"]
    info["data"]["free"] = 0
    _store(ctx.state, who, info)
    if dust:
        _issuance(ctx.state, -dust)
        ctx.deposit(B, "DustLost", who, dust)
    ctx.deposit("System", "KilledAccount", who)


def do_transfer(ctx: Ctx, source: bytes, dest: bytes, value: int, *, keep_alive: bool) -> None:
    """``Currency::transfer``: checks, then moves ``value`` from ``source`` to ``dest``."""
    if value == 0 or source == dest:
        return
    st = ctx.state
    src = account(st, source)
    ensure(value <= src["data"]["free"], B, "InsufficientBalance")
    dst_free = free_balance(st, dest)
    ensure(dst_free + value >= EXISTENTIAL_DEPOSIT, B, "ExistentialDeposit")
    remaining = src["data"]["free"] - value
    if keep_alive:
        ensure(remaining >= EXISTENTIAL_DEPOSIT, B, "KeepAlive")
    withdraw(ctx, source, value, keep_alive=keep_alive)
    deposit(ctx, dest, value)
    ctx.deposit(B, "Transfer", source, dest, value)


def account_of(value: Any) -> bytes:
    """The account a ``MultiAddress`` (or a bare account id) names."""
    if isinstance(value, tuple):
        kind, inner = value
        if kind not in ("Id", "Address32"):
            raise fail(None, "CannotLookup")
        return account_bytes(inner)
    return account_bytes(value)


def transfer(ctx: Ctx, origin: Origin, dest: Any, value: int) -> None:
    do_transfer(ctx, ensure_signed(origin), account_of(dest), value, keep_alive=False)


def transfer_keep_alive(ctx: Ctx, origin: Origin, dest: Any, value: int) -> None:
    do_transfer(ctx, ensure_signed(origin), account_of(dest), value, keep_alive=True)


def transfer_all(ctx: Ctx, origin: Origin, dest: Any, keep_alive: bool) -> None:
    who = ensure_signed(origin)
    free = free_balance(ctx.state, who)
    amount = free - EXISTENTIAL_DEPOSIT if keep_alive else free
    if amount > 0:
        do_transfer(ctx, who, account_of(dest), amount, keep_alive=keep_alive)


def force_transfer(ctx: Ctx, origin: Origin, source: Any, dest: Any, value: int) -> None:
    ensure_root(origin)
    do_transfer(ctx, account_of(source), account_of(dest), value, keep_alive=False)


def set_balance(ctx: Ctx, origin: Origin, who: Any, new_free: int, new_reserved: int) -> None:
    ensure_root(origin)
    acct = account_of(who)
    st = ctx.state
    info = account(st, acct)
    old = info["data"]["free"]
    if new_free < EXISTENTIAL_DEPOSIT:
        new_free = 0
    info["data"]["free"] = new_free
    _store(st, acct, info)
    _issuance(st, new_free - old)
    ctx.deposit(B, "BalanceSet", acct, new_free, info["data"]["reserved"])


CALLS = {
    "transfer": transfer,
    "transfer_allow_death": transfer,
    "transfer_keep_alive": transfer_keep_alive,
    "transfer_all": transfer_all,
    "force_transfer": force_transfer,
    "set_balance": set_balance,
}

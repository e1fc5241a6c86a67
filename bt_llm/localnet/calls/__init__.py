"""Every extrinsic of the localnet runtime, dispatched by ``(pallet, call name)``.

A call function has the signature ``fn(ctx: Ctx, origin: Origin, **args)`` and either returns (the
call succeeded) or raises :class:`bt_llm.errors.ExtrinsicFailedError` carrying the pallet error name.
:func:`dispatch` runs it after normalising the arguments to the schema's types (ss58 text or raw
bytes for accounts). Atomicity is the caller's job (``Ctx.transactional``).
"""

from __future__ import annotations

from typing import Any

from bt_llm.errors import AddressError
from bt_llm.localnet.calls import balances, governance, registration, serving, staking, sudo, weights
from bt_llm.localnet.calls.context import Ctx, Origin, fail
from bt_llm.localnet.codec import CodecError, account_bytes
from bt_llm.localnet.schema import Call, call_def

CALLS: dict[tuple[str, str], Any] = {}
for _pallet, _table in (
    ("Balances", balances.CALLS),
    ("SubtensorModule", staking.CALLS),
    ("SubtensorModule", registration.CALLS),
    ("SubtensorModule", serving.CALLS),
    ("SubtensorModule", weights.CALLS),
    ("SubtensorModule", sudo.SUBTENSOR_CALLS),
    ("SubtensorModule", governance.SUBTENSOR_CALLS),
    ("Sudo", sudo.SUDO_CALLS),
    ("Triumvirate", governance.TRIUMVIRATE_CALLS),
    ("SenateMembers", governance.SENATE_MEMBERS_CALLS),
    ("TriumvirateMembers", governance.TRIUMVIRATE_MEMBERS_CALLS),
):
    for _name, _fn in _table.items():
        CALLS[(_pallet, _name)] = _fn


def _remark(ctx: Ctx, origin: Origin, remark: bytes) -> None:
    return None


CALLS[("System", "remark")] = _remark
CALLS[("System", "remark_with_event")] = _remark


def _normalise(call: Call) -> dict[str, Any]:
    try:
        d = call_def(call.pallet, call.name)
    except CodecError:
        raise fail("System", "CallFiltered") from None
    out = {}
    for name, type_str in d.args:
        if name not in call.args:
            raise fail(None, "Other")
        value = call.args[name]
        if type_str == "AccountId":
            try:
                value = account_bytes(value)
            except AddressError:
                raise fail(None, "CannotLookup") from None
        elif type_str == "Vec<u8>" and not isinstance(value, bytes):
            value = (
                bytes.fromhex(value[2:])
                if isinstance(value, str) and value.startswith("0x")
                else bytes(value)
            )
        elif type_str == "H256" and isinstance(value, str):
            value = bytes.fromhex(value.removeprefix("0x"))
        out[name] = value
    return out


def dispatch(ctx: Ctx, origin: Origin, call: Call) -> None:
    """Run ``call`` with ``origin`` (not atomic by itself)."""
    fn = CALLS.get((call.pallet, call.name))
    if fn is None:
        raise fail("System", "CallFiltered")
    fn(ctx, origin, **_normalise(call))


__all__ = ["CALLS", "Ctx", "Origin", "dispatch"]

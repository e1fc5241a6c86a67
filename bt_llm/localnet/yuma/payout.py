"""Paying out one emission tuple through a hotkey (``emit_inflation_through_hotkey_account``), bit-exact.

Example:
    >>> delegate_payout(take=0, server=0, validator=1000, owner="A", stakes=[("A", 200), ("B", 300)])
    {'A': 401, 'B': 599}
"""

from __future__ import annotations

from collections.abc import Sequence

U16_MAX = 65535
_F = 64  # I64F64 fractional bits


def delegate_take(take: int, emission: int) -> int:
    """``calculate_delegate_proportional_take``: ``floor(I64F64(take / 65535) * emission)``."""
    take_bits = (int(take) << _F) // U16_MAX
    return (take_bits * int(emission)) >> _F


def stake_proportional_emission(stake: int, total_stake: int, emission: int) -> int:
    """``calculate_stake_proportional_emission``: the I64F64 quotient is truncated before the multiply."""
    if total_stake == 0:
        return 0
    proportion_bits = (int(stake) << _F) // int(total_stake)
    return (int(emission) * proportion_bits) >> _F


def delegate_payout(
    *,
    take: int | None,
    server: int,
    validator: int,
    owner: str,
    stakes: Sequence[tuple[str, int]],
    total_stake: int | None = None,
) -> dict[str, int]:
    """How much each coldkey's ``Stake[hotkey][coldkey]`` grows from one ``(hotkey, server, validator)``.

    Args:
        take: ``Delegates[hotkey]`` (u16), or ``None`` when the hotkey is not a delegate: then the owner
            gets everything.
        server: the tuple's server emission (rao).
        validator: the tuple's validator emission (rao).
        owner: ``Owner[hotkey]``, the coldkey that gets the take, the rounding dust and ``server``.
        stakes: ``Stake[hotkey]`` as ``(coldkey, stake)`` pairs, read before the payout.
        total_stake: ``TotalHotkeyStake[hotkey]``; defaults to the sum of ``stakes``.

    Returns:
        ``coldkey -> rao`` to add (the amounts sum to ``server + validator``); coldkeys with a 0
        share still appear when listed in ``stakes``.
    """
    if take is None:
        return {owner: int(server) + int(validator)}
    total = sum(int(s) for _, s in stakes) if total_stake is None else int(total_stake)
    cut = delegate_take(take, validator)
    rest = int(validator) - cut
    remaining = rest
    credit: dict[str, int] = {}
    for coldkey, stake in stakes:
        share = stake_proportional_emission(int(stake), total, rest)
        credit[coldkey] = credit.get(coldkey, 0) + share
        remaining -= share
    credit[owner] = credit.get(owner, 0) + cut + remaining + int(server)
    return credit

"""Paying out an emission tuple through a hotkey (``emit_inflation_through_hotkey_account``)."""

from __future__ import annotations


def delegate_payout(
    *, take: int, server: int, validator: int, owner: str, stakes: list[tuple[str, int]]
) -> dict[str, int]:
    """Return ``coldkey -> rao`` credited to ``Stake[hotkey][coldkey]``."""
    raise NotImplementedError

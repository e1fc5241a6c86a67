"""Registration-term adjustment and epoch scheduling (``block_step.rs``), bit-exact.

``adjust_difficulty``/``adjust_burn`` compute in I110F18 (128-bit, 18 fractional bits); here that is
Python integers holding the raw bits, with the same truncations.

Example:
    >>> adjust_registration_term(value=20000, registrations=3, target=1, alpha=0, minimum=1, maximum=2**64 - 1)
    40000
    >>> blocks_until_next_epoch(1, 99, 0), blocks_until_next_epoch(0, 0, 7)
    (97, 1000)
"""

from __future__ import annotations

from dataclasses import dataclass

from bt_llm.errors import ConfigError

_F = 18  # I110F18 fractional bits
_ONE = 1 << _F
U64_MAX = (1 << 64) - 1


def adjust_registration_term(
    *, value: int, registrations: int, target: int, alpha: int, minimum: int, maximum: int
) -> int:
    """The next difficulty or burn (``adjust_difficulty`` and ``adjust_burn`` are the same formula).

    ``upd = value * (reg + tgt) / (2 * tgt)``; ``next = a * value + (1 - a) * upd`` with
    ``a = alpha / u64::MAX``; ``>= maximum`` gives ``maximum``, ``<= minimum`` gives ``minimum``, else
    ``floor(next)``.

    Args:
        value: the current difficulty or burn.
        registrations: ``RegistrationsThisInterval`` (u16).
        target: ``TargetRegistrationsPerInterval`` (u16, > 0).
        alpha: ``AdjustmentAlpha`` (u64).
        minimum: the term's minimum (``MinDifficulty`` / ``MinBurn``).
        maximum: the term's maximum (``MaxDifficulty`` / ``MaxBurn``).

    Returns:
        The new value.

    Raises:
        ConfigError: ``target`` is 0 (the pallet would panic dividing by zero).
    """
    if int(target) & 0xFFFF == 0:
        raise ConfigError("target registrations per interval must be > 0 to adjust")
    reg_plus_tgt = (int(registrations) + int(target)) & 0xFFFF  # u16 arithmetic, as in the pallet
    two_tgt = (2 * int(target)) & 0xFFFF
    # I110F18: from_num(value) * from_num(reg + tgt) is exact; the division truncates.
    product_bits = int(value) * reg_plus_tgt << _F
    updated_bits = (product_bits << _F) // (two_tgt << _F)
    alpha_bits = (int(alpha) << _F) // U64_MAX
    next_bits = alpha_bits * int(value) + (((_ONE - alpha_bits) * updated_bits) >> _F)
    if next_bits >= int(maximum) << _F:
        return int(maximum)
    if next_bits <= int(minimum) << _F:
        return int(minimum)
    return next_bits >> _F


@dataclass(frozen=True)
class RegistrationTerms:
    """A subnet's difficulty and burn after ``adjust_registration_terms_for_networks``."""

    difficulty: int
    burn: int


def adjust_registration_terms(
    *,
    difficulty: int,
    burn: int,
    registrations: int,
    pow_registrations: int,
    burn_registrations: int,
    target: int,
    alpha: int,
    min_difficulty: int,
    max_difficulty: int,
    min_burn: int,
    max_burn: int,
) -> RegistrationTerms:
    """Which terms move at an adjustment block, and to what (the caller then resets the counters).

    Over target: difficulty rises when PoW registrations outnumber burned ones, burn rises when
    fewer, both when equal. At or under target: burn falls when PoW registrations outnumber burned
    ones, difficulty falls when fewer, both when equal.

    Example:
        >>> adjust_registration_terms(difficulty=10_000, burn=1000, registrations=2, pow_registrations=1,
        ...     burn_registrations=1, target=1, alpha=0, min_difficulty=1, max_difficulty=2**64 - 1,
        ...     min_burn=0, max_burn=10**9)
        RegistrationTerms(difficulty=15000, burn=1500)
    """

    def new_difficulty() -> int:
        return adjust_registration_term(
            value=difficulty, registrations=registrations, target=target, alpha=alpha,
            minimum=min_difficulty, maximum=max_difficulty,
        )  # fmt: skip

    def new_burn() -> int:
        return adjust_registration_term(
            value=burn, registrations=registrations, target=target, alpha=alpha,
            minimum=min_burn, maximum=max_burn,
        )  # fmt: skip

    over = registrations > target
    if pow_registrations > burn_registrations:
        move_difficulty, move_burn = over, not over
    elif pow_registrations < burn_registrations:
        move_difficulty, move_burn = not over, over
    else:
        move_difficulty = move_burn = True
    return RegistrationTerms(
        difficulty=new_difficulty() if move_difficulty else int(difficulty),
        burn=new_burn() if move_burn else int(burn),
    )


def blocks_until_next_epoch(netuid: int, tempo: int, block: int) -> int:
    """Blocks until the subnet's next epoch; 0 means the epoch runs in ``block``.

    ``tempo - (block + netuid + 1) % (tempo + 1)``, and 1000 when ``tempo == 0`` (never runs).
    """
    if tempo == 0:
        return 1000
    return int(tempo) - (int(block) + int(netuid) + 1) % (int(tempo) + 1)

"""Delegate payouts, registration-term adjustment, epoch schedule and pruning: the pallet's vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bt_llm.errors import ConfigError
from bt_llm.localnet.yuma import (
    adjust_registration_term,
    blocks_until_next_epoch,
    delegate_payout,
    pruning_candidate,
)
from bt_llm.localnet.yuma.adjust import adjust_registration_terms
from bt_llm.localnet.yuma.payout import delegate_take, stake_proportional_emission

U64_MAX = (1 << 64) - 1


def test_delegate_payout_take_zero_dust_to_owner() -> None:
    """Stakes 200 (owner) and 300, emit (0, 1000): 300/500 truncated in I64F64 pays 599, stakes end 601/899."""
    credit = delegate_payout(take=0, server=0, validator=1000, owner="A", stakes=[("A", 200), ("B", 300)])
    assert credit == {"A": 401, "B": 599}
    assert 200 + credit["A"] == 601 and 300 + credit["B"] == 899


def test_delegate_payout_half_take_three_stakes() -> None:
    credit = delegate_payout(
        take=32767, server=0, validator=1000, owner="A", stakes=[("A", 1000), ("B", 1000), ("C", 1000)]
    )
    assert {k: 1000 + v for k, v in credit.items()} == {"A": 1668, "B": 1166, "C": 1166}


def test_non_delegate_gets_everything() -> None:
    assert delegate_payout(take=None, server=7, validator=5, owner="A", stakes=[("B", 10)]) == {"A": 12}


def test_server_emission_goes_to_owner() -> None:
    credit = delegate_payout(take=11796, server=500, validator=0, owner="A", stakes=[("B", 10)])
    assert credit == {"B": 0, "A": 500}


def test_zero_total_stake_pays_owner() -> None:
    assert delegate_payout(take=0, server=0, validator=99, owner="A", stakes=[]) == {"A": 99}


@given(
    take=st.integers(0, 65535),
    server=st.integers(0, 10**12),
    validator=st.integers(0, 10**12),
    stakes=st.lists(st.integers(0, 10**15), max_size=8),
)
def test_payout_conserves_emission(take: int, server: int, validator: int, stakes: list[int]) -> None:
    pairs = [(f"c{i}", s) for i, s in enumerate(stakes)]
    credit = delegate_payout(take=take, server=server, validator=validator, owner="owner", stakes=pairs)
    assert sum(credit.values()) == server + validator
    assert all(v >= 0 for v in credit.values())


def test_fixed_point_helpers() -> None:
    assert delegate_take(32767, 1000) == 499
    assert stake_proportional_emission(300, 500, 1000) == 599
    assert stake_proportional_emission(1, 0, 1000) == 0


@pytest.mark.parametrize(
    ("value", "registrations", "target", "alpha", "expected"),
    [
        (20000, 3, 1, 0, 40000),  # test_registration_difficulty_adjustment
        (40000, 6, 3, 0, 60000),
        (5000, 4, 3, 0, 5833),
        (1000, 2, 1, 0, 1500),  # test_burn_adjustment
        (1000, 2, 1, U64_MAX // 2, 1250),  # with moving average
        (1000, 3, 4, 0, 875),  # case C
        (10000, 3, 4, 0, 8750),  # case D
        (1000, 2, 3, 0, 833),  # case E
        (10000, 2, 3, 0, 8333),
        (1000, 0, 1, 0, 500),  # case E, zero registrations
    ],
)
def test_adjust_registration_term(
    value: int, registrations: int, target: int, alpha: int, expected: int
) -> None:
    got = adjust_registration_term(
        value=value, registrations=registrations, target=target, alpha=alpha, minimum=1, maximum=U64_MAX
    )
    assert got == expected


def test_adjust_clamps() -> None:
    common = {"registrations": 0, "target": 1, "alpha": 0, "maximum": 10_000}
    assert adjust_registration_term(value=4, minimum=1, **common) == 2
    assert adjust_registration_term(value=2, minimum=1, **common) == 1
    assert adjust_registration_term(value=1, minimum=1, **common) == 1
    assert (
        adjust_registration_term(value=5000, registrations=30, target=1, alpha=0, minimum=1, maximum=10_000)
        == 10_000
    )
    with pytest.raises(ConfigError):
        adjust_registration_term(value=5, registrations=1, target=0, alpha=0, minimum=1, maximum=10)


@pytest.mark.parametrize(
    ("registrations", "pow_regs", "burn_regs", "target", "expected"),
    [
        (3, 2, 1, 1, (20_000, 1000)),  # case A: over target, mostly PoW -> difficulty up
        (3, 1, 2, 1, (10_000, 2000)),  # case B: over target, mostly burn -> burn up
        (3, 2, 1, 4, (10_000, 875)),  # case C: under target, mostly PoW -> burn down
        (3, 1, 2, 4, (8_750, 1000)),  # case D: under target, mostly burn -> difficulty down
        (2, 1, 1, 3, (8_333, 833)),  # case E: under target, equal -> both down
        (2, 1, 1, 1, (15_000, 1500)),  # case F: over target, equal -> both up
        (0, 0, 0, 1, (5_000, 500)),  # case E with no registrations
    ],
)
def test_which_terms_move(
    registrations: int, pow_regs: int, burn_regs: int, target: int, expected: tuple
) -> None:
    terms = adjust_registration_terms(
        difficulty=10_000, burn=1000, registrations=registrations, pow_registrations=pow_regs,
        burn_registrations=burn_regs, target=target, alpha=0, min_difficulty=1, max_difficulty=U64_MAX,
        min_burn=0, max_burn=1_000_000_000,
    )  # fmt: skip
    assert (terms.difficulty, terms.burn) == expected


def test_blocks_until_next_epoch() -> None:
    """``test_blocks_until_epoch``."""
    assert blocks_until_next_epoch(0, 0, 0) == 1000
    assert blocks_until_next_epoch(0, 1, 0) == 0
    assert blocks_until_next_epoch(1, 1, 0) == 1
    assert blocks_until_next_epoch(0, 1, 1) == 1
    assert blocks_until_next_epoch(1, 1, 1) == 0
    assert blocks_until_next_epoch(0, 1, 2) == 0
    assert blocks_until_next_epoch(1, 1, 2) == 1
    for i in range(100):
        assert blocks_until_next_epoch(0, 1, i) == (0 if i % 2 == 0 else 1)
    # tempo 99, netuid 3: the epoch runs when (block + 3 + 1) % 100 == 99.
    assert blocks_until_next_epoch(3, 99, 95) == 0
    assert blocks_until_next_epoch(3, 99, 96) == 99


def test_pruning_picks_lowest_non_immune_later_uid_on_ties() -> None:
    kw = {"current_block": 100, "immunity_period": 20}
    assert pruning_candidate(pruning_scores=[5, 3, 3, 9], block_at_registration=[0, 0, 0, 0], **kw) == 2
    assert pruning_candidate(pruning_scores=[5, 3, 4, 9], block_at_registration=[0, 0, 0, 0], **kw) == 1
    # uid 1 (score 1) is immune: the lowest non-immune wins.
    assert pruning_candidate(pruning_scores=[5, 1, 4], block_at_registration=[0, 90, 0], **kw) == 2


def test_pruning_all_immune_picks_lowest_immune() -> None:
    kw = {"current_block": 10, "immunity_period": 4096}
    assert pruning_candidate(pruning_scores=[7, 2, 2, 9], block_at_registration=[0, 1, 2, 3], **kw) == 1
    assert pruning_candidate(pruning_scores=[], block_at_registration=[], **kw) == 0


def test_pruning_pallet_quirks() -> None:
    """Scores of u16::MAX on every non-immune uid read as 'all immune'; immune uids above the running minimum are skipped."""
    kw = {"current_block": 100, "immunity_period": 20}
    assert pruning_candidate(pruning_scores=[65535, 10], block_at_registration=[0, 90], **kw) == 1
    assert pruning_candidate(pruning_scores=[65535, 65535], block_at_registration=[0, 0], **kw) == 0
    assert (
        pruning_candidate(
            pruning_scores=[65535, 65535], block_at_registration=[0, 0], current_block=100, immunity_period=0
        )
        == 0
    )


def test_public_surface_is_pinned() -> None:
    import bt_llm.localnet.yuma as yuma

    assert yuma.__all__ == sorted(yuma.__all__)
    assert yuma.__all__ == [
        "EpochInput", "EpochOutput", "RegistrationTerms", "SparseRows", "adjust_registration_term",
        "adjust_registration_terms", "blocks_until_next_epoch", "check_max_limited", "delegate_payout",
        "pruning_candidate", "run_epoch", "u16_max_upscale",
    ]  # fmt: skip

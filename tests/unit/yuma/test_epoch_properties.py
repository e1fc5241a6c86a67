"""Random subnets: the vectorised epoch equals a literal transcription of the pallet, and never over-emits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bt_llm.errors import ConfigError
from bt_llm.localnet.yuma import EpochInput, run_epoch
from bt_llm.localnet.yuma.sparse import Coo, weighted_median_col

from . import reference


@st.composite
def subnets(draw: st.DrawFn, max_n: int = 12) -> dict:
    n = draw(st.integers(1, max_n))
    uids = st.integers(0, n - 1)
    stake_values = st.one_of(st.integers(0, 10), st.integers(0, 10**15))
    stake = draw(st.lists(stake_values, min_size=n, max_size=n))
    current = draw(st.integers(0, 50))
    last_update = draw(st.lists(st.integers(0, current), min_size=n, max_size=n))
    registered = draw(st.lists(st.integers(0, current), min_size=n, max_size=n))
    permit = draw(st.lists(st.booleans(), min_size=n, max_size=n))

    def sparse_rows() -> list[list[tuple[int, int]]]:
        rows = []
        for _ in range(n):
            cols = draw(st.lists(uids, unique=True, max_size=n))
            vals = draw(st.lists(st.integers(0, 65535), min_size=len(cols), max_size=len(cols)))
            rows.append(list(zip(cols, vals, strict=True)))
        return rows

    return {
        "current_block": current,
        "stake": stake,
        "last_update": last_update,
        "block_at_registration": registered,
        "validator_permit": permit,
        "weights": sparse_rows(),
        "bonds": sparse_rows(),
        "activity_cutoff": draw(st.sampled_from([0, 5, 5000])),
        "kappa": draw(st.sampled_from([0, 1, 32767, 45000, 65535])),
        "bonds_moving_average": draw(st.sampled_from([0, 900_000, 975_000, 1_000_000])),
        "max_allowed_validators": draw(st.integers(0, max_n + 1)),
        "rao_emission": draw(st.sampled_from([0, 1, 10**9, 10**13, 2**63])),
    }


def _run(case: dict):
    return run_epoch(
        EpochInput(
            current_block=case["current_block"],
            stake=np.array(case["stake"], dtype=np.uint64),
            last_update=np.array(case["last_update"], dtype=np.uint64),
            block_at_registration=np.array(case["block_at_registration"], dtype=np.uint64),
            validator_permit=np.array(case["validator_permit"], dtype=bool),
            weights=case["weights"],
            bonds=case["bonds"],
            activity_cutoff=case["activity_cutoff"],
            kappa=case["kappa"],
            bonds_moving_average=case["bonds_moving_average"],
            max_allowed_validators=case["max_allowed_validators"],
            rao_emission=case["rao_emission"],
        )
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subnets())
def test_vectorised_epoch_equals_literal_port(case: dict) -> None:
    out = _run(case)
    ref = reference.epoch(**case)
    for name, expected in ref.items():
        got = getattr(out, name)
        got = got if name == "bonds" else got.tolist()
        assert got == expected, name


@settings(max_examples=40, deadline=None)
@given(subnets())
def test_emission_never_exceeds_pending(case: dict) -> None:
    out = _run(case)
    pending = case["rao_emission"]
    tuples_total = sum(int(x) for x in out.server_emission) + sum(int(x) for x in out.validator_emission)
    assert tuples_total <= pending
    assert sum(int(x) for x in out.emission) <= pending
    assert len(out.bonds) == len(case["stake"])
    assert all(0 <= v <= 65535 for row in out.bonds for _, v in row)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 1 << 32), min_size=1, max_size=9),
    st.lists(st.lists(st.integers(0, 1 << 32), min_size=9, max_size=9), min_size=9, max_size=9),
    st.integers(0, 1 << 32),
)
def test_weighted_median_equals_partition_search(
    stake: list[int], dense: list[list[int]], majority: int
) -> None:
    """The one-sort median equals the pallet's recursive mid-pivot search, ties and zeros included."""
    n = len(stake)
    rows = [[(j, dense[i][j]) for j in range(n) if dense[i][j] % 3 != 0] for i in range(n)]
    coo = Coo(
        np.array([i for i, r in enumerate(rows) for _ in r], dtype=np.int64),
        np.array([j for r in rows for j, _ in r], dtype=np.int64),
        np.array([v for r in rows for _, v in r], dtype=np.int64),
    )
    got = weighted_median_col(np.array(stake, dtype=np.int64), coo, n, majority).tolist()
    assert got == reference.weighted_median_col_sparse(stake, rows, n, majority)


def test_weighted_median_with_ties_and_missing_entries() -> None:
    stake = [1 << 30] * 4  # four equal voters
    rows = [[(0, 10)], [(0, 10)], [(0, 20)], []]  # the fourth scores 0
    coo = Coo(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([10, 10, 20]))
    half = (32767 << 32) // 65535
    got = weighted_median_col(np.array(stake), coo, 1, half).tolist()
    assert got == reference.weighted_median_col_sparse(stake, rows, 1, half) == [10]


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ConfigError):
        run_epoch(
            EpochInput(
                current_block=1, stake=np.array([1, 2]), last_update=np.array([0]),
                block_at_registration=np.array([0, 0]), validator_permit=np.array([True, True]),
                weights=[[], []], bonds=[[], []], activity_cutoff=5000, kappa=32767,
                bonds_moving_average=900_000, max_allowed_validators=2, rao_emission=1,
            )
        )  # fmt: skip

"""One Yuma Consensus epoch (``epoch.rs::epoch``, the sparse version), bit-exact.

Port of subtensor d2218440f ``Pallet::epoch``: every step keeps the pallet's order, masks and
fixed-point types (I32F32 bits in ``int64``; stake normalised in I64F64; emission in I96F32), so the
stored u16 vectors, bonds and rao emissions equal the pallet's.

Example:
    >>> import numpy as np
    >>> out = run_epoch(EpochInput(
    ...     current_block=1, stake=np.array([1]), last_update=np.array([1]),
    ...     block_at_registration=np.array([0]), validator_permit=np.array([True]),
    ...     weights=[[(0, 65535)]], bonds=[[]], activity_cutoff=5000, kappa=32767,
    ...     bonds_moving_average=900000, max_allowed_validators=128, rao_emission=10**9))
    >>> int(out.emission[0])
    1000000000
"""

from __future__ import annotations

import numpy as np

from bt_llm.errors import ConfigError
from bt_llm.localnet.yuma import sparse
from bt_llm.localnet.yuma.fixed import (
    FRAC_BITS,
    ONE,
    U16_MAX,
    as_i64,
    fx_div,
    max_upscale_to_u16,
    normalize,
    safe_div,
    to_u16,
)
from bt_llm.localnet.yuma.types import EpochInput, EpochOutput


def normalized_stake(stake: np.ndarray) -> np.ndarray:
    """Stake normalised in I64F64 then cast to I32F32: ``floor(s * 2**32 / sum)`` (0s when the sum is 0)."""
    s = as_i64(stake)
    total = int(s.sum())
    if total == 0:
        return s * ONE  # from_num of zeros: all 0
    return fx_div(s, total)


def is_topk(values: np.ndarray, k: int) -> np.ndarray:
    """``is_topk``: a stable ascending sort; the first ``n - k`` are false (all true when ``n < k``)."""
    n = len(values)
    out = np.ones(n, dtype=bool)
    if n < k:
        return out
    order = np.argsort(values, kind="stable")
    out[order[: n - k]] = False
    return out


def kappa_fixed(kappa: int) -> int:
    """``I32F32::from_num(kappa) / I32F32::from_num(u16::MAX)`` as raw bits."""
    return (int(kappa) << FRAC_BITS) // U16_MAX


def ema_alpha(bonds_moving_average: int) -> int:
    """``1 - I32F32(I64F64(bma) / I64F64(1_000_000))`` as raw I32F32 bits."""
    bma64 = (int(bonds_moving_average) << 64) // 1_000_000
    return ONE - (bma64 >> FRAC_BITS)


def _rao(share: np.ndarray, rao_emission: int) -> np.ndarray:
    """``(I96F32::from_num(share) * I96F32::from_num(rao)).to_num::<u64>()``: ``floor(share_bits * rao / 2**32)``."""
    rao = int(rao_emission)
    return np.array([(int(x) * rao) >> FRAC_BITS for x in share], dtype=np.uint64)


def _check_lengths(inp: EpochInput) -> None:
    n = inp.n
    sizes = {
        "last_update": len(inp.last_update),
        "block_at_registration": len(inp.block_at_registration),
        "validator_permit": len(inp.validator_permit),
        "weights": len(inp.weights),
        "bonds": len(inp.bonds),
    }
    bad = {k: v for k, v in sizes.items() if v != n}
    if bad:
        raise ConfigError(f"epoch input lengths differ from n={n}: {bad}")


def run_epoch(inp: EpochInput) -> EpochOutput:
    """Run one epoch of Yuma Consensus on ``inp``; see :class:`EpochInput` and :class:`EpochOutput`."""
    n = inp.n
    cur = int(inp.current_block)
    last_update = as_i64(inp.last_update)
    registered = as_i64(inp.block_at_registration)
    old_permit = np.asarray(inp.validator_permit, dtype=bool)
    _check_lengths(inp)

    # Active & updated.
    inactive = last_update + int(inp.activity_cutoff) < cur
    active = ~inactive

    # Stake, permits, active stake.
    stake = normalized_stake(inp.stake)
    new_permit = is_topk(stake, int(inp.max_allowed_validators))
    active_stake = stake.copy()
    active_stake[inactive] = 0
    active_stake[~old_permit] = 0
    active_stake = normalize(active_stake)

    # Weights: permitted rows, no diagonal, not outdated, row-normalised (raw u16 ints normalise exactly).
    w = sparse.from_rows(inp.weights, n)
    keep = old_permit[w.rows] & (w.rows != w.cols) & ~(last_update[w.rows] <= registered[w.cols])
    w = sparse.row_normalize(w.select(keep), n)

    # Consensus, validator trust.
    preranks = sparse.matmul(w, active_stake, n)
    consensus = sparse.weighted_median_col(active_stake, w, n, kappa_fixed(inp.kappa))
    w = sparse.col_clip(w, consensus)
    validator_trust = sparse.segment_sum(w.rows, w.vals, n)

    # Ranks, trust, incentive.
    ranks = sparse.matmul(w, active_stake, n)
    trust = safe_div(ranks, preranks)
    ranks = normalize(ranks)
    incentive = ranks

    # Bonds and dividends.
    b = sparse.from_rows(inp.bonds, n)
    b = b.select(~(last_update[b.rows] <= registered[b.cols]))
    b = sparse.col_normalize(b, n)
    delta = sparse.col_normalize(sparse.row_hadamard(w, active_stake), n)
    ema = sparse.col_normalize(sparse.mat_ema(delta, b, ema_alpha(inp.bonds_moving_average), n), n)
    dividends = normalize(sparse.matmul_transpose(ema, incentive, n))

    # Emission and pruning scores.
    combined = incentive + dividends
    emission_sum = int(combined.sum())
    if emission_sum != 0:
        server_share = fx_div(incentive, emission_sum)
        validator_share = fx_div(dividends, emission_sum)
    else:
        server_share, validator_share = incentive.copy(), dividends.copy()
    combined_share = normalize(combined)
    if emission_sum == 0:
        fallback = stake if int(active_stake.sum()) == 0 else active_stake
        validator_share = fallback.copy()
        combined_share = fallback.copy()
    server_emission = _rao(server_share, inp.rao_emission)
    validator_emission = _rao(validator_share, inp.rao_emission)
    emission = _rao(combined_share, inp.rao_emission)

    # New bonds: column max-upscaled; rows with a new permit written, rows that lost one cleared.
    ema = sparse.col_max_upscale(ema, n)
    written = sparse.to_rows(ema.with_vals(to_u16(ema.vals)), n)
    bonds: list[list[tuple[int, int]]] = []
    for i in range(n):
        if new_permit[i]:
            bonds.append(written[i])
        elif old_permit[i]:
            bonds.append([])
        else:
            bonds.append([(int(j), int(v)) for j, v in inp.bonds[i]])

    u16 = np.uint16
    return EpochOutput(
        active=active,
        emission=emission,
        server_emission=server_emission,
        validator_emission=validator_emission,
        rank=to_u16(ranks).astype(u16),
        trust=to_u16(trust).astype(u16),
        consensus=to_u16(consensus).astype(u16),
        incentive=to_u16(incentive).astype(u16),
        dividends=to_u16(dividends).astype(u16),
        validator_trust=to_u16(validator_trust).astype(u16),
        pruning_scores=max_upscale_to_u16(combined_share).astype(u16),
        validator_permit=new_permit,
        bonds=bonds,
    )

"""Sparse-matrix kernels of ``math.rs`` on COO arrays of I32F32 raw bits, vectorised and exact.

A matrix is a :class:`Coo` (``rows``, ``cols``, ``vals`` int64 arrays of equal length) over an
``n x n`` uid grid. Sums are integer sums of bits, so their order never matters; every product and
quotient goes through :mod:`bt_llm.localnet.yuma.fixed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np

from bt_llm.localnet.yuma.fixed import fx_div, fx_mul

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Coo:
    """Sparse ``n x n`` matrix: entry ``k`` is ``(rows[k], cols[k]) -> vals[k]``."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray

    def select(self, keep: np.ndarray) -> Coo:
        """The entries where ``keep`` is true."""
        return Coo(self.rows[keep], self.cols[keep], self.vals[keep])

    def with_vals(self, vals: np.ndarray) -> Coo:
        """The same pattern with new values."""
        return Coo(self.rows, self.cols, vals)


def from_rows(rows: list[list[tuple[int, int]]] | list, n: int) -> Coo:
    """Build a :class:`Coo` of raw (integer) values from sparse storage rows ``[[(j, v), ...], ...]``.

    Entries whose column is ``>= n`` are dropped (they cannot be addressed by the epoch).
    """
    lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    total = int(lens.sum())
    if total == 0:
        return Coo(_EMPTY, _EMPTY, _EMPTY)
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(rows)), dtype=np.int64, count=2 * total)
    flat = flat.reshape(-1, 2)
    r = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    coo = Coo(r, flat[:, 0].copy(), flat[:, 1].copy())
    return coo.select(coo.cols < n) if (coo.cols >= n).any() else coo


def to_rows(m: Coo, n: int) -> list[list[tuple[int, int]]]:
    """Sparse storage rows ``[[(j, v), ...], ...]`` of a row-sorted :class:`Coo` (Python ints)."""
    starts = np.searchsorted(m.rows, np.arange(n + 1)).tolist()
    cols, vals = m.cols.tolist(), m.vals.tolist()
    return [list(zip(cols[a:b], vals[a:b], strict=True)) for a, b in pairwise(starts)]


def segment_sum(idx: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """``out[k] = sum(vals[idx == k])`` exactly in int64."""
    out = np.zeros(n, dtype=np.int64)
    if len(idx):
        np.add.at(out, idx, vals)
    return out


def row_normalize(m: Coo, n: int) -> Coo:
    """``inplace_row_normalize_sparse``: rows with a positive sum are divided by it."""
    sums = segment_sum(m.rows, m.vals, n)
    s = sums[m.rows]
    vals = m.vals.copy()
    pos = s > 0
    if pos.any():
        vals[pos] = fx_div(m.vals[pos], s[pos])
    return m.with_vals(vals)


def col_normalize(m: Coo, n: int) -> Coo:
    """``inplace_col_normalize_sparse``: columns with a non-zero sum are divided by it."""
    sums = segment_sum(m.cols, m.vals, n)
    s = sums[m.cols]
    vals = m.vals.copy()
    nz = s != 0
    if nz.any():
        vals[nz] = fx_div(m.vals[nz], s[nz])
    return m.with_vals(vals)


def col_max_upscale(m: Coo, n: int) -> Coo:
    """``inplace_col_max_upscale_sparse``: columns with a non-zero max are divided by it."""
    top = np.zeros(n, dtype=np.int64)
    if len(m.cols):
        np.maximum.at(top, m.cols, m.vals)
    t = top[m.cols]
    vals = m.vals.copy()
    nz = t != 0
    if nz.any():
        vals[nz] = fx_div(m.vals[nz], t[nz])
    return m.with_vals(vals)


def matmul(m: Coo, vector: np.ndarray, n: int) -> np.ndarray:
    """``matmul_sparse``: ``out_j = sum_i vector_i * m_ij``."""
    return segment_sum(m.cols, fx_mul(vector[m.rows], m.vals), n)


def matmul_transpose(m: Coo, vector: np.ndarray, n: int) -> np.ndarray:
    """``matmul_transpose_sparse``: ``out_i = sum_j vector_j * m_ij``."""
    return segment_sum(m.rows, fx_mul(vector[m.cols], m.vals), n)


def row_hadamard(m: Coo, vector: np.ndarray) -> Coo:
    """``row_hadamard_sparse``: ``m_ij * vector_i``."""
    return m.with_vals(fx_mul(m.vals, vector[m.rows]))


def col_clip(m: Coo, threshold: np.ndarray) -> Coo:
    """``col_clip_sparse``: values above ``threshold_j`` become it, or vanish when it is 0."""
    t = threshold[m.cols]
    above = t < m.vals
    keep = ~above | (t > 0)
    vals = np.where(above, t, m.vals)
    return Coo(m.rows[keep], m.cols[keep], vals[keep])


def mat_ema(new: Coo, old: Coo, alpha: int, n: int) -> Coo:
    """``mat_ema_sparse``: ``alpha * new + (1 - alpha) * old``, positive entries, sorted by (row, col)."""
    one_minus = (1 << 32) - alpha
    keys = np.concatenate([new.rows * n + new.cols, old.rows * n + old.cols])
    vals = np.concatenate([fx_mul(alpha, new.vals), fx_mul(one_minus, old.vals)])
    if len(keys) == 0:
        return Coo(_EMPTY, _EMPTY, _EMPTY)
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(sums, inverse, vals)
    keep = sums > 0
    uniq, sums = uniq[keep], sums[keep]
    return Coo(uniq // n, uniq % n, sums)


def weighted_median_col(stake: np.ndarray, m: Coo, n: int, majority: int) -> np.ndarray:
    """``weighted_median_col_sparse``: per column, the stake-weighted ``1 - majority`` quantile.

    Rows with ``stake > 0`` vote; their stake is renormalised; a missing entry scores 0. The pallet
    finds the value by a deterministic partition search; that search returns the unique score ``p``
    with ``L(p) <= minority < L(p) + S(p)`` (``L``: stake strictly below ``p``, ``S``: stake at ``p``),
    the minimum when ``minority < 0`` and the maximum when ``minority >= stake_sum``, which is what
    this computes with one sort. Every renormalised voting stake is positive, so no value has an
    empty stake interval.
    """
    median = np.zeros(n, dtype=np.int64)
    voting = stake > 0
    k = int(voting.sum())
    if k == 0:
        return median
    use = np.zeros(len(stake), dtype=np.int64)
    s = stake[voting]
    total = int(s.sum())
    use[voting] = fx_div(s, total)
    stake_sum = int(use.sum())
    minority = stake_sum - majority

    keep = voting[m.rows] & (m.vals > 0)
    cols, vals, w = m.cols[keep], m.vals[keep], use[m.rows[keep]]
    count = np.bincount(cols, minlength=n)
    col_mass = segment_sum(cols, w, n)
    zero_mass = stake_sum - col_mass
    if len(cols):
        order = np.argsort(cols * (1 << 34) + vals, kind="stable")
        cols, vals, w = cols[order], vals[order], w[order]
        cum = np.cumsum(w)
        starts = np.searchsorted(cols, np.arange(n), side="left")
        ends = np.searchsorted(cols, np.arange(n), side="right")
        before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0)
        cum_in_col = cum - before[cols]
        flagged = np.flatnonzero(zero_mass[cols] + cum_in_col > minority)
        # Default: the column maximum (no flagged entry means minority >= stake_sum).
        has = count > 0
        median[has] = vals[ends[has] - 1]
        if len(flagged):
            fcols = cols[flagged]
            uniq, first = np.unique(fcols, return_index=True)
            median[uniq] = vals[flagged[first]]
    median[(count < k) & (zero_mass > minority)] = 0
    return median

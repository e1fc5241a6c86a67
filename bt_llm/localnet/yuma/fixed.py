"""Exact I32F32 fixed-point arithmetic on numpy ``int64`` arrays of raw bits (substrate_fixed semantics).

An I32F32 value ``x`` is stored as the integer ``bits = x * 2**32``. The pallet's arithmetic, for the
non-negative values Yuma works with, is:

- ``a + b``, ``a - b``: integer addition of the bits (exact).
- ``a * b``: ``floor(a_bits * b_bits / 2**32)`` (the 128-bit product shifted right).
- ``a / b``: ``floor(a_bits * 2**32 / b_bits)`` (the widened dividend divided, truncating).
- ``to_num::<u16/u64>``: ``floor(bits / 2**32)``; ``round()``: half away from zero.

numpy has no 128-bit integers, so :func:`fx_mul` splits both operands into 32-bit halves and
:func:`fx_div` does a chunked long division in ``uint64``; both are exact for non-negative inputs
whose result fits an ``int64`` (every value in an epoch does).

Example:
    >>> import numpy as np
    >>> half = np.array([ONE // 2]); third = fx_div(np.array([1]), np.array([3]))
    >>> int(fx_mul(half, half)[0]) == ONE // 4, int(third[0])
    (True, 1431655765)
"""

from __future__ import annotations

import numpy as np

FRAC_BITS = 32
ONE = 1 << FRAC_BITS
"""``I32F32::from_num(1)`` as raw bits."""
U16_MAX = 65535
_LOW = np.uint64(0xFFFF_FFFF)
_S32 = np.uint64(32)


def as_i64(x: object) -> np.ndarray:
    """Return ``x`` as a (copied if needed) ``int64`` numpy array."""
    return np.asarray(x, dtype=np.int64)


def fx_mul(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Fixed-point product ``floor(a * b / 2**32)`` of non-negative raw bits, elementwise."""
    ua = np.asarray(a, dtype=np.int64).astype(np.uint64)
    ub = np.asarray(b, dtype=np.int64).astype(np.uint64)
    ah, al = ua >> _S32, ua & _LOW
    bh, bl = ub >> _S32, ub & _LOW
    # (ah*2^32 + al)(bh*2^32 + bl) >> 32, every term but the last exact.
    out = ((ah * bh) << _S32) + ah * bl + al * bh + ((al * bl) >> _S32)
    return out.astype(np.int64)


def fx_div(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Fixed-point quotient ``floor(a * 2**32 / b)`` for ``a >= 0``, ``b > 0`` (raw bits), elementwise.

    With plain integers ``a`` and ``b`` this is also ``I32F32::from_num(a) / I32F32::from_num(b)``.
    """
    ua = np.asarray(a, dtype=np.int64).astype(np.uint64)
    ub = np.asarray(b, dtype=np.int64).astype(np.uint64)
    ua, ub = np.broadcast_arrays(ua, ub)
    if ua.size == 0:
        return np.zeros(ua.shape, dtype=np.int64)
    acc = ua // ub
    rem = ua - acc * ub
    # rem < b <= bmax < 2**L, so rem << (64 - L) cannot overflow uint64.
    step = 64 - int(ub.max()).bit_length()
    left = FRAC_BITS
    while left > 0:
        s = np.uint64(min(step, left))
        rem = rem << s
        digit = rem // ub
        rem = rem - digit * ub
        acc = (acc << s) + digit
        left -= int(s)
    return acc.astype(np.int64)


def normalize(x: np.ndarray) -> np.ndarray:
    """``inplace_normalize``: divide by the sum, unchanged when the sum is 0."""
    total = int(x.sum())
    if total == 0:
        return x.copy()
    return fx_div(x, total)


def safe_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``vecdiv``: ``x / y`` elementwise, 0 where ``y == 0``."""
    out = np.zeros(len(x), dtype=np.int64)
    nz = y != 0
    if nz.any():
        out[nz] = fx_div(x[nz], y[nz])
    return out


def to_u16(x: np.ndarray) -> np.ndarray:
    """``fixed_proportion_to_u16``: ``floor(x * 65535)`` (wrapping like the release runtime)."""
    return ((np.asarray(x, dtype=np.int64) * U16_MAX) >> FRAC_BITS) & 0xFFFF


def fx_round_to_int(x: np.ndarray) -> np.ndarray:
    """``x.round().to_num()`` for non-negative raw bits: round half away from zero."""
    return (np.asarray(x, dtype=np.int64) + (ONE >> 1)) >> FRAC_BITS


def max_upscale_to_u16(x: np.ndarray) -> np.ndarray:
    """``vec_max_upscale_to_u16``: scale so the max becomes 65535, rounding (pruning scores, weights)."""
    x = as_i64(x)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = int(x.max())
    u16_max = U16_MAX << FRAC_BITS
    if top == 0:
        return to_u16(x)
    if top > (32768 << FRAC_BITS):  # never for proportions; kept for u16 inputs
        return fx_round_to_int(fx_mul(x, fx_div(u16_max, top))) & 0xFFFF
    scaled = fx_div(fx_mul(x, u16_max), top)
    return fx_round_to_int(scaled) & 0xFFFF


def u16_max_upscale(values: list[int]) -> list[int]:
    """``vec_u16_max_upscale_to_u16``: how ``set_weights`` stores a weight vector.

    Example:
        >>> u16_max_upscale([1, 2])
        [32768, 65535]
    """
    raw = np.array([int(v) << FRAC_BITS for v in values], dtype=np.int64)
    return [int(v) for v in max_upscale_to_u16(raw)]


def check_max_limited(values: list[int], max_limit: int) -> bool:
    """``check_vec_max_limited``: the normalised max of ``values`` is at most ``max_limit / 65535``.

    Example:
        >>> check_max_limited([1, 1], 32768), check_max_limited([3, 1], 32768)
        (True, False)
    """
    if not values:
        return True
    limit = (int(max_limit) << FRAC_BITS) // U16_MAX
    raw = np.array([int(v) << FRAC_BITS for v in values], dtype=np.int64)
    return int(normalize(raw).max()) <= limit

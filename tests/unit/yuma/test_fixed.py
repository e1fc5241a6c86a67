"""I32F32 helpers: exact against Python integers over the full non-negative range the epoch uses."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bt_llm.localnet.yuma.fixed import (
    ONE,
    check_max_limited,
    fx_div,
    fx_mul,
    max_upscale_to_u16,
    normalize,
    to_u16,
    u16_max_upscale,
)

bits = st.integers(0, 1 << 40)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(bits, bits), min_size=1, max_size=20))
def test_mul_is_floor_of_shifted_product(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    assert fx_mul(a, b).tolist() == [(x * y) >> 32 for x, y in pairs]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1 << 40), st.integers(1, (1 << 62) - 1)), min_size=1, max_size=20))
def test_div_is_floor_of_widened_quotient(pairs: list[tuple[int, int]]) -> None:
    pairs = [(a, b) for a, b in pairs if (a << 32) // b < (1 << 63)]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    assert fx_div(a, b).tolist() == [(x << 32) // y for x, y in pairs]


def test_edges() -> None:
    assert fx_mul(np.array([ONE]), np.array([ONE])).tolist() == [ONE]
    assert fx_div(np.array([ONE]), np.array([ONE])).tolist() == [ONE]
    assert fx_div(np.array([1]), np.array([3])).tolist() == [1431655765]
    assert fx_div(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == []
    assert normalize(np.array([0, 0])).tolist() == [0, 0]
    assert normalize(np.array([1, 3])).tolist() == [ONE // 4, 3 * ONE // 4]
    assert to_u16(np.array([ONE, ONE // 2, 0])).tolist() == [65535, 32767, 0]


def test_max_upscale_rounds_half_away_from_zero() -> None:
    assert max_upscale_to_u16(np.array([ONE // 2, ONE // 4])).tolist() == [65535, 32768]  # 32767.5 -> 32768
    assert max_upscale_to_u16(np.array([0, 0])).tolist() == [0, 0]
    assert max_upscale_to_u16(np.array([], dtype=np.int64)).tolist() == []


def test_set_weights_storage_upscale() -> None:
    """``set_weights`` stores max-upscaled u16 weights (vectors from the pallet's tests)."""
    assert u16_max_upscale([43690, 21845]) == [65535, 32768]
    assert u16_max_upscale([16383, 32767, 49149, 65535]) == [16383, 32767, 49149, 65535]
    assert u16_max_upscale([32767, 32767]) == [65535, 65535]
    assert u16_max_upscale([0, 0]) == [0, 0]
    assert u16_max_upscale([1]) == [65535]


def test_check_max_limited() -> None:
    assert check_max_limited([1, 1], 32768)
    assert not check_max_limited([1, 1], 32767)
    assert check_max_limited([], 0)
    assert check_max_limited([0, 0], 0)
    assert check_max_limited([5, 0], 65535)

"""The Numba Keccak-256 and SHA-256 kernels against pycryptodome and hashlib."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from Crypto.Hash import keccak

from bt_llm.registration.keccak import LANES, keccak256_bytes, keccak_f1600, keccak_f1600_batch
from bt_llm.registration.sha256 import H0, sha256_bytes, sha256_compress, sha256_compress_batch

EDGE_LENGTHS = [0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 135, 136, 137, 200, 272, 273]


def _reference_keccak(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


@pytest.mark.parametrize("length", EDGE_LENGTHS)
def test_keccak256_matches_pycryptodome_at_edge_lengths(length: int) -> None:
    rng = random.Random(length)
    for _ in range(3):
        data = rng.randbytes(length)
        assert keccak256_bytes(data) == _reference_keccak(data)


@pytest.mark.parametrize("length", EDGE_LENGTHS)
def test_sha256_matches_hashlib_at_edge_lengths(length: int) -> None:
    rng = random.Random(1000 + length)
    for _ in range(3):
        data = rng.randbytes(length)
        assert sha256_bytes(data) == hashlib.sha256(data).digest()


def test_random_lengths_match_references() -> None:
    rng = random.Random(7)
    for _ in range(40):
        data = rng.randbytes(rng.randrange(0, 600))
        assert keccak256_bytes(data) == _reference_keccak(data)
        assert sha256_bytes(data) == hashlib.sha256(data).digest()


def test_known_answers() -> None:
    # Keccak-256 of "" (Ethereum's) differs from NIST SHA3-256 of "".
    assert keccak256_bytes(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256_bytes(b"").hex() != hashlib.sha3_256(b"").hexdigest()
    assert sha256_bytes(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_keccak_batch_equals_one_state_at_a_time() -> None:
    rng = np.random.default_rng(3)
    st = rng.integers(0, 2**64, size=25 * LANES, dtype=np.uint64)
    before = st.reshape(25, LANES).copy()
    keccak_f1600_batch(st)
    after = st.reshape(25, LANES)
    for j in range(LANES):
        assert tuple(int(x) for x in after[:, j]) == tuple(int(x) for x in keccak_f1600(*before[:, j]))


def test_sha256_batch_equals_one_block_at_a_time() -> None:
    rng = np.random.default_rng(4)
    st = np.empty(24 * LANES, dtype=np.uint32)
    view = st.reshape(24, LANES)
    view[:8] = H0[:, None]
    view[8:] = rng.integers(0, 2**32, size=(16, LANES), dtype=np.uint32)
    before = view.copy()
    sha256_compress_batch(st)
    for j in range(LANES):
        expected = sha256_compress(*before[:, j])
        got = tuple((int(view[i, j]) + int(H0[i])) & 0xFFFFFFFF for i in range(8))
        assert got == tuple(int(x) for x in expected)

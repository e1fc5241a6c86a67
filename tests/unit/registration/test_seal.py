"""The seal and its difficulty test against vectors computed by the bittensor SDK itself.

The vectors below were computed once with bittensor 9.12.2 (``.interop-venv``) through
``bittensor.utils.registration.pow``: ``_hash_block_with_hotkey``, ``_create_seal_hash``,
``_seal_meets_difficulty`` (limit ``2**256 - 1``) and ``_solve_for_nonce_block``. Block hashes and
hotkeys are ``sha256(f"block-{i}")`` and ``sha256(f"hotkey-{i}")``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bt_llm.errors import RegistrationError
from bt_llm.registration.cpu_kernel import hash_words, seal_bytes, search
from bt_llm.registration.seal import (
    LIMIT,
    block_hotkey_hash,
    expected_hashes,
    meets_difficulty,
    seal,
    seal_from_hash,
    seal_target,
    target_limbs,
)

# (nonce, block_and_hotkey_hash, seal) for block/hotkey i = 0..5, from the SDK.
SDK_VECTORS = [
    (0, "d8c77af91135f8a887b5502260b08544824e0f54938efa7ef4a6e338716fa071",
     "8764ffb1d33f39d2d6107b52d78b331536868ba3715038edd77124fcefc70ff3"),
    (1, "4d0c63f9a33c1530b89298e532854532b8e0e0177d0c3b6a947acd3f99d932b8",
     "013e37c2a81eb88ca8d7f8e6b3ec0b4b9bc310134669c4c22b73d9be1b18e1e4"),
    (0xFFFFFFFF, "036769cabfe931a41c68e74796f28bd80294de3b0942ababab174c783e01a450",
     "0cfc7fed13781208536a943e73730b9c70c8e3e97df46af59d5a40e979a8e239"),
    (0x100000000, "8d3f0709614f2fede58f1f2c607c02c6e76324ac8d18c16893dc6bdac3297be4",
     "468913eb01071ee6cd4a95fdc2854364346406228cdb353e528aea5672610b6e"),
    (2**64 - 1, "813054cdc845e12f2196e585c0035708cf614f616d834e4378c8f40993174c9d",
     "00256c5e5222e92de2f75dbb4508078a558e05a3a89c7b0576655a80bb49c660"),
    (1234567890123456789, "f9a3376c6c2686df8ed1ad06ded97d7e3c7d33ba0c9e8cd101a4c1b52374b9d0",
     "c30222ef3348260e7865c15784ab535c8f32c9aea549c7633300c3ee5dfa531f"),
]  # fmt: skip

# _seal_meets_difficulty(seal of vector 0, d, LIMIT) for these d.
SDK_MEETS_VECTOR0 = {
    0: True,
    1: True,
    2: False,
    3: False,
    7: False,
    10**6: False,
    10**7: False,
    2**64 - 1: False,
}
# (seal, d) where the SDK says d meets and d + 1 does not.
SDK_EDGES = [
    ("00256c5e5222e92de2f75dbb4508078a558e05a3a89c7b0576655a80bb49c660", 1751),
    ("000077f41281424d46e1eff05283a4f2f1da314c3cb088cf47cf848720fb41ad", 139864),
]
# _solve_for_nonce_block(5000, 2_005_000, _hash_block_with_hotkey(sha256(b"solve-block"),
# sha256(b"solve-hotkey")), difficulty, LIMIT, 42) -> (nonce, seal)
SDK_SOLVES = {
    1000: (6033, "0014a4e6a85d2c18c3f77286d5fda4d9f38483aab96912e9dbbc3de813b97dc7"),
    100000: (8132, "000077f41281424d46e1eff05283a4f2f1da314c3cb088cf47cf848720fb41ad"),
}


def _inputs(i: int) -> tuple[bytes, bytes]:
    return hashlib.sha256(f"block-{i}".encode()).digest(), hashlib.sha256(f"hotkey-{i}".encode()).digest()


@pytest.mark.parametrize("i", range(len(SDK_VECTORS)))
def test_reference_seal_matches_sdk(i: int) -> None:
    nonce, bh_hash, expected = SDK_VECTORS[i]
    block_hash, hotkey = _inputs(i)
    assert block_hotkey_hash(block_hash, hotkey).hex() == bh_hash
    assert seal(block_hash, hotkey, nonce).hex() == expected
    assert seal_from_hash(bytes.fromhex(bh_hash), nonce).hex() == expected


@pytest.mark.parametrize("i", range(len(SDK_VECTORS)))
def test_numba_seal_matches_sdk(i: int) -> None:
    nonce, bh_hash, expected = SDK_VECTORS[i]
    assert seal_bytes(hash_words(bytes.fromhex(bh_hash)), nonce).hex() == expected


def test_numba_seal_matches_reference_on_random_nonces() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        bh_hash = rng.bytes(32)
        nonce = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        assert seal_bytes(hash_words(bh_hash), nonce) == seal_from_hash(bh_hash, nonce)


def test_meets_difficulty_matches_sdk() -> None:
    s = bytes.fromhex(SDK_VECTORS[0][2])
    for difficulty, expected in SDK_MEETS_VECTOR0.items():
        assert meets_difficulty(s, difficulty) is expected


@pytest.mark.parametrize(("seal_hex", "difficulty"), SDK_EDGES)
def test_difficulty_edge_matches_sdk(seal_hex: str, difficulty: int) -> None:
    s = bytes.fromhex(seal_hex)
    assert meets_difficulty(s, difficulty)
    assert not meets_difficulty(s, difficulty + 1)
    value = int.from_bytes(s, "big")
    assert value <= seal_target(difficulty)
    assert value > seal_target(difficulty + 1)


@pytest.mark.parametrize("difficulty", [0, 1, 2, 3, 1000, 10**7, 10**12, 2**64 - 1])
def test_target_is_the_exact_bound(difficulty: int) -> None:
    t = seal_target(difficulty)
    assert t * difficulty < LIMIT
    if t < LIMIT:
        assert (t + 1) * difficulty >= LIMIT
    limbs = target_limbs(difficulty)
    assert sum(limb << (64 * (3 - i)) for i, limb in enumerate(limbs)) == t


def test_expected_hashes_scale_with_difficulty() -> None:
    assert expected_hashes(1) == pytest.approx(1.0)
    assert expected_hashes(10**6) == pytest.approx(10**6, rel=1e-9)


@pytest.mark.parametrize("difficulty", sorted(SDK_SOLVES))
def test_kernel_search_finds_the_sdk_solution(difficulty: int) -> None:
    nonce, expected_seal = SDK_SOLVES[difficulty]
    bh_hash = block_hotkey_hash(
        hashlib.sha256(b"solve-block").digest(), hashlib.sha256(b"solve-hotkey").digest()
    )
    target = np.array(target_limbs(difficulty), dtype=np.uint64)
    # One worker from the SDK's start: the first solution is the SDK's.
    offset = search(hash_words(bh_hash), target, np.uint64(5000), 2_000_000 // 32, 1)
    assert 5000 + offset == nonce
    assert seal_from_hash(bh_hash, nonce).hex() == expected_seal


def test_kernel_search_wraps_at_two_to_the_64() -> None:
    bh_hash = bytes(range(32))
    start = 2**64 - 40
    target = np.array(target_limbs(200), dtype=np.uint64)
    offset = search(hash_words(bh_hash), target, np.uint64(start), 100, 2)
    expected = next(
        i for i in range(100_000) if meets_difficulty(seal_from_hash(bh_hash, (start + i) % 2**64), 200)
    )
    assert offset == expected


def test_kernel_search_reports_no_solution() -> None:
    target = np.array(target_limbs(2**64 - 1), dtype=np.uint64)
    assert search(hash_words(bytes(32)), target, np.uint64(0), 4, 2) == -1


def test_bad_inputs_raise_registration_error() -> None:
    with pytest.raises(RegistrationError):
        seal(bytes(31), bytes(32), 0)
    with pytest.raises(RegistrationError):
        seal(bytes(32), bytes(33), 0)
    with pytest.raises(RegistrationError):
        seal(bytes(32), bytes(32), 2**64)
    with pytest.raises(RegistrationError):
        seal_target(-1)

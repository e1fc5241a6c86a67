"""The registration seal and its difficulty test, in pure Python: the reference the kernels match.

The layout is the subtensor pallet's and the bittensor SDK's (``bittensor.utils.registration.pow``):

- ``block_and_hotkey_hash = keccak_256(block_hash ++ hotkey_pubkey)`` (Keccak-256, not SHA3-256);
- ``pre_seal = nonce.to_bytes(8, "little") ++ block_and_hotkey_hash`` (40 bytes);
- ``seal = keccak_256(sha256(pre_seal))``;
- the seal meets ``difficulty`` when ``int.from_bytes(seal, "big") * difficulty < 2**256 - 1``.

Example:
    >>> s = seal(bytes(32), bytes(32), 0)
    >>> len(s), meets_difficulty(s, 1)
    (32, True)
"""

from __future__ import annotations

import hashlib

from Crypto.Hash import keccak

from bt_llm.errors import RegistrationError

LIMIT = 2**256 - 1  # the pallet's bound: seal * difficulty must stay below it
NONCE_LIMIT = 2**64 - 1
MAX_DIFFICULTY = 2**64 - 1  # difficulty is a u64 on chain


def keccak_256(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's padding) of ``data``."""
    return keccak.new(digest_bits=256, data=data).digest()


def _check_len(name: str, value: bytes) -> None:
    if len(value) != 32:
        raise RegistrationError(f"{name} must be 32 bytes, got {len(value)}")


def block_hotkey_hash(block_hash: bytes, hotkey_pubkey: bytes) -> bytes:
    """``keccak_256(block_hash ++ hotkey_pubkey)``: the per-block part of every seal.

    Raises:
        RegistrationError: either input is not 32 bytes.
    """
    _check_len("block_hash", block_hash)
    _check_len("hotkey_pubkey", hotkey_pubkey)
    return keccak_256(block_hash + hotkey_pubkey)


def seal_from_hash(block_and_hotkey_hash: bytes, nonce: int) -> bytes:
    """The seal of ``nonce`` given the block-and-hotkey hash (the SDK's ``_create_seal_hash``)."""
    _check_len("block_and_hotkey_hash", block_and_hotkey_hash)
    if not 0 <= nonce <= NONCE_LIMIT:
        raise RegistrationError(f"nonce must fit a u64, got {nonce}")
    pre_seal = nonce.to_bytes(8, "little") + block_and_hotkey_hash
    return keccak_256(hashlib.sha256(pre_seal).digest())


def seal(block_hash: bytes, hotkey_pubkey: bytes, nonce: int) -> bytes:
    """The 32-byte seal of ``nonce`` for a block hash and a hotkey's public key.

    Args:
        block_hash: the 32-byte hash of the block the work is for.
        hotkey_pubkey: the hotkey's 32-byte public key.
        nonce: a u64.

    Returns:
        ``keccak_256(sha256(nonce_le8 ++ keccak_256(block_hash ++ hotkey_pubkey)))``.

    Raises:
        RegistrationError: a wrong length or a nonce outside u64.
    """
    return seal_from_hash(block_hotkey_hash(block_hash, hotkey_pubkey), nonce)


def meets_difficulty(seal: bytes, difficulty: int) -> bool:
    """Whether ``seal`` (big-endian) times ``difficulty`` stays below ``2**256 - 1``."""
    return int.from_bytes(seal, "big") * difficulty < LIMIT


def seal_target(difficulty: int) -> int:
    """The largest seal value (big-endian integer) that meets ``difficulty``.

    ``seal * d < 2**256 - 1`` holds exactly when ``seal <= (2**256 - 2) // d``; every seal meets 0.

    Raises:
        RegistrationError: a negative difficulty.
    """
    if difficulty < 0:
        raise RegistrationError(f"difficulty must be >= 0, got {difficulty}")
    if difficulty == 0:
        return LIMIT
    return (LIMIT - 1) // difficulty


def target_limbs(difficulty: int) -> tuple[int, int, int, int]:
    """:func:`seal_target` as 4 uint64 limbs, most significant first (how the kernels compare)."""
    t = seal_target(difficulty)
    return tuple((t >> (64 * (3 - i))) & NONCE_LIMIT for i in range(4))  # type: ignore[return-value]


def expected_hashes(difficulty: int) -> float:
    """The expected number of nonces to try before a seal meets ``difficulty``."""
    return 2**256 / (seal_target(difficulty) + 1)

"""The per-nonce seal and the parallel nonce search, compiled for the CPU with Numba.

One nonce costs one SHA-256 compression (the 40-byte pre-seal fits one block) and one
Keccak-f[1600] permutation. The block-and-hotkey hash enters as 8 big-endian SHA-256 message words
(``w2..w9``), computed once per block; the difficulty enters as the 4 uint64 limbs of the largest
seal that meets it (:func:`registration.seal.target_limbs`), compared most significant first.

Example:
    >>> import numpy as np
    >>> from registration.cpu_kernel import hash_words, seal_bytes
    >>> seal_bytes(hash_words(bytes(32)), 0).hex()[:8]
    '2cbdd168'
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from bt_llm.registration.keccak import LANES, keccak_f1600, keccak_f1600_batch
from bt_llm.registration.sha256 import H0, sha256_compress, sha256_compress_batch

M32 = 0xFFFFFFFF


@njit(cache=True, nogil=True, inline="always")
def bswap32(x):
    """Byte-swap the low 32 bits of an integer; returns a uint32."""
    x = np.uint32(x)
    return np.uint32(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | ((x >> 24) & 0xFF))


@njit(cache=True, nogil=True, inline="always")
def lane(lo, hi):
    """Two big-endian SHA-256 output words as one little-endian Keccak lane."""
    return np.uint64(bswap32(lo)) | (np.uint64(bswap32(hi)) << np.uint64(32))


@njit(cache=True, nogil=True, inline="always")
def bswap64(x):
    """Byte-swap a uint64."""
    x = ((x & np.uint64(0x00FF00FF00FF00FF)) << np.uint64(8)) | (
        (x >> np.uint64(8)) & np.uint64(0x00FF00FF00FF00FF)
    )
    x = ((x & np.uint64(0x0000FFFF0000FFFF)) << np.uint64(16)) | (
        (x >> np.uint64(16)) & np.uint64(0x0000FFFF0000FFFF)
    )
    return (x << np.uint64(32)) | (x >> np.uint64(32))


@njit(cache=True, nogil=True)
def seal_lanes(nonce, w):
    """The seal of a uint64 ``nonce`` as 4 little-endian uint64 lanes (``w``: 8 uint32 words)."""
    w0 = bswap32(nonce & np.uint64(M32))
    w1 = bswap32(nonce >> np.uint64(32))
    z32 = np.uint32(0)
    h = sha256_compress(
        H0[0], H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7],
        w0, w1, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], np.uint32(0x80000000), z32, z32, z32, z32, np.uint32(320),
    )  # fmt: skip
    z = np.uint64(0)
    r = keccak_f1600(
        lane(h[0], h[1]),
        lane(h[2], h[3]),
        lane(h[4], h[5]),
        lane(h[6], h[7]),
        np.uint64(1),
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        np.uint64(0x8000000000000000),
        z,
        z,
        z,
        z,
        z,
        z,
        z,
        z,
    )
    return r[0], r[1], r[2], r[3]


@njit(cache=True, nogil=True, inline="always")
def meets_target(s0, s1, s2, s3, target):
    """Whether the seal lanes ``s0..s3`` read big-endian are at most the 4-limb ``target``."""
    x = bswap64(s0)
    if x != target[0]:
        return x < target[0]
    x = bswap64(s1)
    if x != target[1]:
        return x < target[1]
    x = bswap64(s2)
    if x != target[2]:
        return x < target[2]
    return bswap64(s3) <= target[3]


@njit(cache=True, nogil=True)
def search_batches(w, target, base, offset, batches, sst, kst, best):
    """Try ``batches * LANES`` nonces from ``base`` (uint64, wrapping), ``LANES`` at a time through the
        vectorised kernels; ``sst`` and ``kst`` are scratch. Returns the offset of the first nonce whose
        seal is at most ``target``, or -1. ``offset`` is ``base``'s offset in the round; the worker gives up
    early once another one has found a solution at a lower offset (``best[0]``)."""
    z = np.uint64(0)
    for b in range(batches):
        if (b & 127) == 0 and best[0] < offset:
            return -1
        first = base + np.uint64(b * LANES)
        for j in range(LANES):
            nonce = first + np.uint64(j)
            for i in range(8):
                sst[i * LANES + j] = H0[i]
            sst[8 * LANES + j] = bswap32(nonce & np.uint64(M32))
            sst[9 * LANES + j] = bswap32(nonce >> np.uint64(32))
            for i in range(8):
                sst[(10 + i) * LANES + j] = w[i]
            sst[18 * LANES + j] = 0x80000000
            for i in range(19, 23):
                sst[i * LANES + j] = 0
            sst[23 * LANES + j] = 320
        sha256_compress_batch(sst)
        for j in range(LANES):
            for i in range(4):
                first_word = np.uint32(sst[2 * i * LANES + j] + H0[2 * i])
                second_word = np.uint32(sst[(2 * i + 1) * LANES + j] + H0[2 * i + 1])
                kst[i * LANES + j] = lane(first_word, second_word)
            kst[4 * LANES + j] = np.uint64(1)
            for i in range(5, 25):
                kst[i * LANES + j] = z
            kst[16 * LANES + j] = np.uint64(0x8000000000000000)
        keccak_f1600_batch(kst)
        for j in range(LANES):
            if meets_target(kst[j], kst[LANES + j], kst[2 * LANES + j], kst[3 * LANES + j], target):
                return b * LANES + j
    return -1


@njit(cache=True, nogil=True, parallel=True)
def search(w, target, start, batches, workers):
    """Try ``workers * batches * LANES`` nonces from ``start`` (wrapping at 2**64) on all threads.

    Worker ``k`` tries the ``batches * LANES`` nonces from ``start + k * batches * LANES`` and stops
    early once a worker below it has found a seal. Returns the offset from ``start`` of the lowest
    solution in the round, or -1.
    """
    per_worker = batches * LANES
    found = np.full(workers, -1, dtype=np.int64)
    best = np.full(1, 0x7FFFFFFFFFFFFFFF, dtype=np.int64)
    for k in prange(workers):
        sst = np.empty(24 * LANES, dtype=np.uint32)
        kst = np.empty(25 * LANES, dtype=np.uint64)
        base = np.uint64(start) + np.uint64(k * per_worker)
        r = search_batches(w, target, base, k * per_worker, batches, sst, kst, best)
        if r >= 0:
            found[k] = k * per_worker + r
            best[0] = min(best[0], found[k])  # a lost race only makes others stop later
    lowest = -1
    for k in range(workers):
        if found[k] >= 0 and (lowest < 0 or found[k] < lowest):
            lowest = found[k]
    return lowest


def hash_words(block_and_hotkey_hash: bytes) -> np.ndarray:
    """The block-and-hotkey hash as the 8 big-endian uint32 words the kernels take."""
    return np.frombuffer(block_and_hotkey_hash, dtype=">u4").astype(np.uint32)


def seal_bytes(words: np.ndarray, nonce: int) -> bytes:
    """The 32-byte seal of one nonce through the Numba kernel (for tests and checks)."""
    lanes = seal_lanes(np.uint64(nonce), words)
    return np.array(lanes, dtype="<u8").tobytes()

"""Keccak-256 (Ethereum's, not NIST SHA3-256) as Numba kernels on uint64 lanes.

One round of Keccak-f[1600] is written once, on 25 scalar lanes (:func:`keccak_round_py`, a plain
Python function free of helpers), and compiled three ways:

- :data:`keccak_f1600`: one state in registers (``@njit``), for hashing one message;
- :func:`keccak_f1600_batch`: ``LANES`` states side by side in one array, the round inside a loop
  over the states so that LLVM vectorises it (AVX2: 4 lanes a ymm register), for the solver;
- :mod:`registration.cuda_kernels`: ``numba.cuda.jit(device=True)`` from the same source.

The 25-lane argument and result lists repeat by design (``duplicates`` lists them): the lanes are
scalars so that Numba keeps them in registers, where a lane array would go through memory.

Example:
    >>> from registration.keccak import keccak256_bytes
    >>> keccak256_bytes(b"").hex()[:16]
    'c5d2460186f7233c'
"""

from __future__ import annotations

import numpy as np
from numba import njit

RATE = 136  # bytes absorbed per permutation for a 256-bit digest
LANES = 32  # states per batch in keccak_f1600_batch

RC = np.array(
    [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
        0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
        0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ],
    dtype=np.uint64,
)  # fmt: skip


def keccak_round_py(
    a0,
    a1,
    a2,
    a3,
    a4,
    a5,
    a6,
    a7,
    a8,
    a9,
    a10,
    a11,
    a12,
    a13,
    a14,
    a15,
    a16,
    a17,
    a18,
    a19,
    a20,
    a21,
    a22,
    a23,
    a24,
    rc,
):
    """One Keccak-f[1600] round (theta, rho, pi, chi, iota with constant ``rc``) on 25 lanes.

    Lanes are indexed ``x + 5*y`` and must be ``np.uint64`` so that shifts wrap at 64 bits; plain
    Python source meant for Numba (CPU or CUDA).
    """
    c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
    c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
    c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
    c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
    c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
    d0 = c4 ^ ((c1 << 1) | (c1 >> 63))
    d1 = c0 ^ ((c2 << 1) | (c2 >> 63))
    d2 = c1 ^ ((c3 << 1) | (c3 >> 63))
    d3 = c2 ^ ((c4 << 1) | (c4 >> 63))
    d4 = c3 ^ ((c0 << 1) | (c0 >> 63))
    b0 = a0 ^ d0
    t = a1 ^ d1
    b10 = (t << 1) | (t >> 63)
    t = a2 ^ d2
    b20 = (t << 62) | (t >> 2)
    t = a3 ^ d3
    b5 = (t << 28) | (t >> 36)
    t = a4 ^ d4
    b15 = (t << 27) | (t >> 37)
    t = a5 ^ d0
    b16 = (t << 36) | (t >> 28)
    t = a6 ^ d1
    b1 = (t << 44) | (t >> 20)
    t = a7 ^ d2
    b11 = (t << 6) | (t >> 58)
    t = a8 ^ d3
    b21 = (t << 55) | (t >> 9)
    t = a9 ^ d4
    b6 = (t << 20) | (t >> 44)
    t = a10 ^ d0
    b7 = (t << 3) | (t >> 61)
    t = a11 ^ d1
    b17 = (t << 10) | (t >> 54)
    t = a12 ^ d2
    b2 = (t << 43) | (t >> 21)
    t = a13 ^ d3
    b12 = (t << 25) | (t >> 39)
    t = a14 ^ d4
    b22 = (t << 39) | (t >> 25)
    t = a15 ^ d0
    b23 = (t << 41) | (t >> 23)
    t = a16 ^ d1
    b8 = (t << 45) | (t >> 19)
    t = a17 ^ d2
    b18 = (t << 15) | (t >> 49)
    t = a18 ^ d3
    b3 = (t << 21) | (t >> 43)
    t = a19 ^ d4
    b13 = (t << 8) | (t >> 56)
    t = a20 ^ d0
    b14 = (t << 18) | (t >> 46)
    t = a21 ^ d1
    b24 = (t << 2) | (t >> 62)
    t = a22 ^ d2
    b9 = (t << 61) | (t >> 3)
    t = a23 ^ d3
    b19 = (t << 56) | (t >> 8)
    t = a24 ^ d4
    b4 = (t << 14) | (t >> 50)
    return (
        b0 ^ (~b1 & b2) ^ rc,
        b1 ^ (~b2 & b3),
        b2 ^ (~b3 & b4),
        b3 ^ (~b4 & b0),
        b4 ^ (~b0 & b1),
        b5 ^ (~b6 & b7),
        b6 ^ (~b7 & b8),
        b7 ^ (~b8 & b9),
        b8 ^ (~b9 & b5),
        b9 ^ (~b5 & b6),
        b10 ^ (~b11 & b12),
        b11 ^ (~b12 & b13),
        b12 ^ (~b13 & b14),
        b13 ^ (~b14 & b10),
        b14 ^ (~b10 & b11),
        b15 ^ (~b16 & b17),
        b16 ^ (~b17 & b18),
        b17 ^ (~b18 & b19),
        b18 ^ (~b19 & b15),
        b19 ^ (~b15 & b16),
        b20 ^ (~b21 & b22),
        b21 ^ (~b22 & b23),
        b22 ^ (~b23 & b24),
        b23 ^ (~b24 & b20),
        b24 ^ (~b20 & b21),
    )


keccak_round = njit(cache=True, nogil=True, inline="always")(keccak_round_py)


@njit(cache=True, nogil=True)
def keccak_f1600(
    a0,
    a1,
    a2,
    a3,
    a4,
    a5,
    a6,
    a7,
    a8,
    a9,
    a10,
    a11,
    a12,
    a13,
    a14,
    a15,
    a16,
    a17,
    a18,
    a19,
    a20,
    a21,
    a22,
    a23,
    a24,
):
    """Keccak-f[1600] on 25 uint64 lanes; returns the 25 permuted lanes."""
    for i in range(24):
        (
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            a8,
            a9,
            a10,
            a11,
            a12,
            a13,
            a14,
            a15,
            a16,
            a17,
            a18,
            a19,
            a20,
            a21,
            a22,
            a23,
            a24,
        ) = keccak_round(
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            a8,
            a9,
            a10,
            a11,
            a12,
            a13,
            a14,
            a15,
            a16,
            a17,
            a18,
            a19,
            a20,
            a21,
            a22,
            a23,
            a24,
            RC[i],
        )
    return (
        a0,
        a1,
        a2,
        a3,
        a4,
        a5,
        a6,
        a7,
        a8,
        a9,
        a10,
        a11,
        a12,
        a13,
        a14,
        a15,
        a16,
        a17,
        a18,
        a19,
        a20,
        a21,
        a22,
        a23,
        a24,
    )


@njit(cache=True, nogil=True)
def keccak_f1600_batch(st):
    """Keccak-f[1600] in place on ``LANES`` states: ``st[k * LANES + j]`` is lane ``k`` of state ``j``."""
    for i in range(24):
        rc = RC[i]
        for j in range(LANES):
            r = keccak_round(
                st[j],
                st[1 * LANES + j],
                st[2 * LANES + j],
                st[3 * LANES + j],
                st[4 * LANES + j],
                st[5 * LANES + j],
                st[6 * LANES + j],
                st[7 * LANES + j],
                st[8 * LANES + j],
                st[9 * LANES + j],
                st[10 * LANES + j],
                st[11 * LANES + j],
                st[12 * LANES + j],
                st[13 * LANES + j],
                st[14 * LANES + j],
                st[15 * LANES + j],
                st[16 * LANES + j],
                st[17 * LANES + j],
                st[18 * LANES + j],
                st[19 * LANES + j],
                st[20 * LANES + j],
                st[21 * LANES + j],
                st[22 * LANES + j],
                st[23 * LANES + j],
                st[24 * LANES + j],
                rc,
            )
            st[j] = r[0]
            st[1 * LANES + j] = r[1]
            st[2 * LANES + j] = r[2]
            st[3 * LANES + j] = r[3]
            st[4 * LANES + j] = r[4]
            st[5 * LANES + j] = r[5]
            st[6 * LANES + j] = r[6]
            st[7 * LANES + j] = r[7]
            st[8 * LANES + j] = r[8]
            st[9 * LANES + j] = r[9]
            st[10 * LANES + j] = r[10]
            st[11 * LANES + j] = r[11]
            st[12 * LANES + j] = r[12]
            st[13 * LANES + j] = r[13]
            st[14 * LANES + j] = r[14]
            st[15 * LANES + j] = r[15]
            st[16 * LANES + j] = r[16]
            st[17 * LANES + j] = r[17]
            st[18 * LANES + j] = r[18]
            st[19 * LANES + j] = r[19]
            st[20 * LANES + j] = r[20]
            st[21 * LANES + j] = r[21]
            st[22 * LANES + j] = r[22]
            st[23 * LANES + j] = r[23]
            st[24 * LANES + j] = r[24]


@njit(cache=True, nogil=True)
def keccak256(data):
    """Keccak-256 digest (32 uint8) of a uint8 array of any length."""
    n = data.shape[0]
    padded = np.zeros((n // RATE + 1) * RATE, dtype=np.uint8)
    padded[:n] = data
    padded[n] ^= np.uint8(0x01)
    padded[-1] ^= np.uint8(0x80)
    st = np.zeros(25, dtype=np.uint64)
    for off in range(0, padded.shape[0], RATE):
        for i in range(RATE // 8):
            lane = np.uint64(0)
            for b in range(8):
                lane |= np.uint64(padded[off + 8 * i + b]) << np.uint64(8 * b)
            st[i] ^= lane
        r = keccak_f1600(
            st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8], st[9], st[10], st[11], st[12],
            st[13], st[14], st[15], st[16], st[17], st[18], st[19], st[20], st[21], st[22], st[23], st[24],
        )  # fmt: skip
        for i in range(25):
            st[i] = r[i]
    out = np.empty(32, dtype=np.uint8)
    for i in range(32):
        out[i] = np.uint8((st[i // 8] >> np.uint64(8 * (i % 8))) & np.uint64(0xFF))
    return out


def keccak256_bytes(data: bytes) -> bytes:
    """Keccak-256 of ``data`` through the Numba kernel (bytes in, 32 bytes out)."""
    return keccak256(np.frombuffer(data, dtype=np.uint8)).tobytes()

"""The same Keccak-f[1600] and SHA-256 rounds as device functions, and the search kernel for CUDA.

Importing this module imports ``numba.cuda``: only :mod:`registration.cuda_solver` does, and only
when CUDA is asked for. The rounds are compiled from the very Python source the CPU kernels use
(:func:`registration.keccak.keccak_round_py`, :func:`registration.sha256.sha256_rounds16_py`,
:func:`registration.sha256.sha256_schedule16_py`). One thread tries one nonce; the target is
compared as 4 x uint64 limbs; the lowest offset that meets it wins through an atomic min.
Under ``NUMBA_ENABLE_CUDASIM=1`` the kernels run on Numba's CPU simulator (slow, for tests).
The kernels' lane lists mirror the CPU kernels' by design (scalars in registers; see :mod:`registration.keccak`).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from bt_llm.registration.keccak import RC, keccak_round_py
from bt_llm.registration.sha256 import H0, sha256_rounds16_py, sha256_schedule16_py

M32 = 0xFFFFFFFF
NOT_FOUND = np.iinfo(np.int64).max

keccak_round = cuda.jit(device=True, inline=True)(keccak_round_py)
sha256_rounds16 = cuda.jit(device=True, inline=True)(sha256_rounds16_py)
sha256_schedule16 = cuda.jit(device=True, inline=True)(sha256_schedule16_py)


@cuda.jit(device=True, inline=True)
def bswap32(x):
    x = np.uint32(x)
    return np.uint32(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | ((x >> 24) & 0xFF))


@cuda.jit(device=True, inline=True)
def lane(lo, hi):
    return np.uint64(bswap32(lo)) | (np.uint64(bswap32(hi)) << np.uint64(32))


@cuda.jit(device=True, inline=True)
def bswap64(x):
    return lane(x >> np.uint64(32), x & np.uint64(M32))


@cuda.jit(device=True)
def seal_lanes(nonce, w):
    """The seal of a uint64 ``nonce`` as 4 little-endian uint64 lanes (``w``: 8 uint32 words)."""
    w0 = bswap32(nonce & np.uint64(M32))
    w1 = bswap32(nonce >> np.uint64(32))
    w2, w3, w4, w5, w6, w7, w8, w9 = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
    z32 = np.uint32(0)
    w10, w11, w12, w13, w14, w15 = np.uint32(0x80000000), z32, z32, z32, z32, np.uint32(320)
    a, b, c, d, e, f, g, h = H0[0], H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7]
    for kk in range(0, 64, 16):
        a, b, c, d, e, f, g, h = sha256_rounds16(
            a, b, c, d, e, f, g, h, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, kk
        )
        if kk < 48:
            w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15 = sha256_schedule16(
                w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15
            )
    z = np.uint64(0)
    a0 = lane(np.uint32(a + H0[0]), np.uint32(b + H0[1]))
    a1 = lane(np.uint32(c + H0[2]), np.uint32(d + H0[3]))
    a2 = lane(np.uint32(e + H0[4]), np.uint32(f + H0[5]))
    a3 = lane(np.uint32(g + H0[6]), np.uint32(h + H0[7]))
    a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 = np.uint64(1), z, z, z, z, z, z, z, z, z, z, z
    a16, a17, a18, a19, a20, a21, a22, a23, a24 = np.uint64(0x8000000000000000), z, z, z, z, z, z, z, z
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
    return a0, a1, a2, a3


@cuda.jit(device=True, inline=True)
def meets_target(s0, s1, s2, s3, target):
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


@cuda.jit
def search_kernel(words, target, start, out):
    """Thread ``t`` tries nonce ``start + t``; ``out[0]`` ends as the lowest offset that met ``target``."""
    t = cuda.grid(1)
    s = seal_lanes(start + np.uint64(t), words)
    if meets_target(s[0], s[1], s[2], s[3], target):
        cuda.atomic.min(out, 0, t)


@cuda.jit
def seal_kernel(words, start, out):
    """``out[t, :]`` = the seal lanes of nonce ``start + t`` (for bit-exact checks against the CPU)."""
    t = cuda.grid(1)
    if t < out.shape[0]:
        s = seal_lanes(start + np.uint64(t), words)
        out[t, 0] = s[0]
        out[t, 1] = s[1]
        out[t, 2] = s[2]
        out[t, 3] = s[3]

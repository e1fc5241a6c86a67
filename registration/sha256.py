"""SHA-256 as Numba kernels on uint32 words.

Numba widens small integers to 64 bits in arithmetic, so every sum and rotation is cast back with
``np.uint32``; LLVM then narrows the whole expression to 32-bit operations (8 lanes a ymm register
on AVX2, native 32-bit instructions on a GPU). Sixteen rounds (:func:`sha256_rounds16_py`) and
sixteen steps of the message schedule (:func:`sha256_schedule16_py`) are plain Python functions on
scalar words, compiled three ways like :mod:`registration.keccak`: one block in registers
(:func:`sha256_compress`), ``LANES`` blocks side by side for the vectorised solver
(:func:`sha256_compress_batch`), and as CUDA device functions in :mod:`registration.cuda_kernels`.
The word lists repeat by design, as in :mod:`registration.keccak` (scalars stay in registers).

Example:
    >>> from registration.sha256 import sha256_bytes
    >>> sha256_bytes(b"abc").hex()[:16]
    'ba7816bf8f01cfea'
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bt_llm.registration.keccak import LANES

U32 = np.uint32

K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
        0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
        0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
        0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
        0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
        0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
        0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip

H0 = np.array(
    [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19],
    dtype=np.uint32,
)


def sha256_rounds16_py(
    a, b, c, d, e, f, g, h, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, kk
):
    """Rounds ``kk .. kk+15`` of SHA-256 on working words ``a..h`` with schedule words ``w0..w15``.

    Words are ``np.uint32``; plain Python source meant for Numba (CPU or CUDA). Returns the 8 new
    working words.
    """
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 0] + w0)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 1] + w1)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 2] + w2)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 3] + w3)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 4] + w4)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 5] + w5)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 6] + w6)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 7] + w7)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 8] + w8)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 9] + w9)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 10] + w10)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 11] + w11)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 12] + w12)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 13] + w13)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 14] + w14)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    s = U32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
    t1 = U32(h + s + (g ^ (e & (f ^ g))) + K[kk + 15] + w15)
    s = U32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
    h, g, f, e = g, f, e, U32(d + t1)
    d, c, b, a = c, b, a, U32(t1 + s + ((a & b) | (c & (a | b))))
    return a, b, c, d, e, f, g, h


def sha256_schedule16_py(w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15):
    """The next 16 message-schedule words from the last 16 (rolled in place)."""
    w0 = U32(
        w0
        + U32(((w1 >> 7) | (w1 << 25)) ^ ((w1 >> 18) | (w1 << 14)) ^ (w1 >> 3))
        + w9
        + U32(((w14 >> 17) | (w14 << 15)) ^ ((w14 >> 19) | (w14 << 13)) ^ (w14 >> 10))
    )
    w1 = U32(
        w1
        + U32(((w2 >> 7) | (w2 << 25)) ^ ((w2 >> 18) | (w2 << 14)) ^ (w2 >> 3))
        + w10
        + U32(((w15 >> 17) | (w15 << 15)) ^ ((w15 >> 19) | (w15 << 13)) ^ (w15 >> 10))
    )
    w2 = U32(
        w2
        + U32(((w3 >> 7) | (w3 << 25)) ^ ((w3 >> 18) | (w3 << 14)) ^ (w3 >> 3))
        + w11
        + U32(((w0 >> 17) | (w0 << 15)) ^ ((w0 >> 19) | (w0 << 13)) ^ (w0 >> 10))
    )
    w3 = U32(
        w3
        + U32(((w4 >> 7) | (w4 << 25)) ^ ((w4 >> 18) | (w4 << 14)) ^ (w4 >> 3))
        + w12
        + U32(((w1 >> 17) | (w1 << 15)) ^ ((w1 >> 19) | (w1 << 13)) ^ (w1 >> 10))
    )
    w4 = U32(
        w4
        + U32(((w5 >> 7) | (w5 << 25)) ^ ((w5 >> 18) | (w5 << 14)) ^ (w5 >> 3))
        + w13
        + U32(((w2 >> 17) | (w2 << 15)) ^ ((w2 >> 19) | (w2 << 13)) ^ (w2 >> 10))
    )
    w5 = U32(
        w5
        + U32(((w6 >> 7) | (w6 << 25)) ^ ((w6 >> 18) | (w6 << 14)) ^ (w6 >> 3))
        + w14
        + U32(((w3 >> 17) | (w3 << 15)) ^ ((w3 >> 19) | (w3 << 13)) ^ (w3 >> 10))
    )
    w6 = U32(
        w6
        + U32(((w7 >> 7) | (w7 << 25)) ^ ((w7 >> 18) | (w7 << 14)) ^ (w7 >> 3))
        + w15
        + U32(((w4 >> 17) | (w4 << 15)) ^ ((w4 >> 19) | (w4 << 13)) ^ (w4 >> 10))
    )
    w7 = U32(
        w7
        + U32(((w8 >> 7) | (w8 << 25)) ^ ((w8 >> 18) | (w8 << 14)) ^ (w8 >> 3))
        + w0
        + U32(((w5 >> 17) | (w5 << 15)) ^ ((w5 >> 19) | (w5 << 13)) ^ (w5 >> 10))
    )
    w8 = U32(
        w8
        + U32(((w9 >> 7) | (w9 << 25)) ^ ((w9 >> 18) | (w9 << 14)) ^ (w9 >> 3))
        + w1
        + U32(((w6 >> 17) | (w6 << 15)) ^ ((w6 >> 19) | (w6 << 13)) ^ (w6 >> 10))
    )
    w9 = U32(
        w9
        + U32(((w10 >> 7) | (w10 << 25)) ^ ((w10 >> 18) | (w10 << 14)) ^ (w10 >> 3))
        + w2
        + U32(((w7 >> 17) | (w7 << 15)) ^ ((w7 >> 19) | (w7 << 13)) ^ (w7 >> 10))
    )
    w10 = U32(
        w10
        + U32(((w11 >> 7) | (w11 << 25)) ^ ((w11 >> 18) | (w11 << 14)) ^ (w11 >> 3))
        + w3
        + U32(((w8 >> 17) | (w8 << 15)) ^ ((w8 >> 19) | (w8 << 13)) ^ (w8 >> 10))
    )
    w11 = U32(
        w11
        + U32(((w12 >> 7) | (w12 << 25)) ^ ((w12 >> 18) | (w12 << 14)) ^ (w12 >> 3))
        + w4
        + U32(((w9 >> 17) | (w9 << 15)) ^ ((w9 >> 19) | (w9 << 13)) ^ (w9 >> 10))
    )
    w12 = U32(
        w12
        + U32(((w13 >> 7) | (w13 << 25)) ^ ((w13 >> 18) | (w13 << 14)) ^ (w13 >> 3))
        + w5
        + U32(((w10 >> 17) | (w10 << 15)) ^ ((w10 >> 19) | (w10 << 13)) ^ (w10 >> 10))
    )
    w13 = U32(
        w13
        + U32(((w14 >> 7) | (w14 << 25)) ^ ((w14 >> 18) | (w14 << 14)) ^ (w14 >> 3))
        + w6
        + U32(((w11 >> 17) | (w11 << 15)) ^ ((w11 >> 19) | (w11 << 13)) ^ (w11 >> 10))
    )
    w14 = U32(
        w14
        + U32(((w15 >> 7) | (w15 << 25)) ^ ((w15 >> 18) | (w15 << 14)) ^ (w15 >> 3))
        + w7
        + U32(((w12 >> 17) | (w12 << 15)) ^ ((w12 >> 19) | (w12 << 13)) ^ (w12 >> 10))
    )
    w15 = U32(
        w15
        + U32(((w0 >> 7) | (w0 << 25)) ^ ((w0 >> 18) | (w0 << 14)) ^ (w0 >> 3))
        + w8
        + U32(((w13 >> 17) | (w13 << 15)) ^ ((w13 >> 19) | (w13 << 13)) ^ (w13 >> 10))
    )
    return w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15


sha256_rounds16 = njit(cache=True, nogil=True, inline="always")(sha256_rounds16_py)
sha256_schedule16 = njit(cache=True, nogil=True, inline="always")(sha256_schedule16_py)


@njit(cache=True, nogil=True)
def sha256_compress(
    h0, h1, h2, h3, h4, h5, h6, h7, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15
):
    """One SHA-256 compression: 8 chaining words and 16 message words (big-endian uint32) in, 8 out."""
    a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for kk in range(0, 64, 16):
        a, b, c, d, e, f, g, h = sha256_rounds16(
            a, b, c, d, e, f, g, h, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, kk
        )
        if kk < 48:
            w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15 = sha256_schedule16(
                w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15
            )
    return (
        U32(h0 + a), U32(h1 + b), U32(h2 + c), U32(h3 + d),
        U32(h4 + e), U32(h5 + f), U32(h6 + g), U32(h7 + h),
    )  # fmt: skip


@njit(cache=True, nogil=True)
def sha256_compress_batch(st):
    """The 64 rounds of SHA-256, in place, on ``LANES`` blocks: ``st[k * LANES + j]`` (uint32) is word
    ``k`` of block ``j``, words 0-7 the working words (start them at the chaining value and add it
    back after), words 8-23 the message. The message words are consumed by the schedule."""
    for kk in range(0, 64, 16):
        for j in range(LANES):
            r = sha256_rounds16(
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
                kk,
            )
            st[j] = r[0]
            st[1 * LANES + j] = r[1]
            st[2 * LANES + j] = r[2]
            st[3 * LANES + j] = r[3]
            st[4 * LANES + j] = r[4]
            st[5 * LANES + j] = r[5]
            st[6 * LANES + j] = r[6]
            st[7 * LANES + j] = r[7]
        if kk < 48:
            for j in range(LANES):
                r = sha256_schedule16(
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
                )
                st[8 * LANES + j] = r[0]
                st[9 * LANES + j] = r[1]
                st[10 * LANES + j] = r[2]
                st[11 * LANES + j] = r[3]
                st[12 * LANES + j] = r[4]
                st[13 * LANES + j] = r[5]
                st[14 * LANES + j] = r[6]
                st[15 * LANES + j] = r[7]
                st[16 * LANES + j] = r[8]
                st[17 * LANES + j] = r[9]
                st[18 * LANES + j] = r[10]
                st[19 * LANES + j] = r[11]
                st[20 * LANES + j] = r[12]
                st[21 * LANES + j] = r[13]
                st[22 * LANES + j] = r[14]
                st[23 * LANES + j] = r[15]


@njit(cache=True, nogil=True)
def sha256(data):
    """SHA-256 digest (32 uint8) of a uint8 array of any length."""
    n = data.shape[0]
    total = ((n + 8) // 64 + 1) * 64
    padded = np.zeros(total, dtype=np.uint8)
    padded[:n] = data
    padded[n] = 0x80
    bits = n * 8
    for i in range(8):
        padded[total - 1 - i] = (bits >> (8 * i)) & 0xFF
    hs = H0.copy()
    w = np.empty(16, dtype=np.uint32)
    for off in range(0, total, 64):
        for i in range(16):
            p = off + 4 * i
            w[i] = U32(
                (np.uint32(padded[p]) << 24) | (np.uint32(padded[p + 1]) << 16)
                | (np.uint32(padded[p + 2]) << 8) | np.uint32(padded[p + 3])
            )  # fmt: skip
        r = sha256_compress(
            hs[0], hs[1], hs[2], hs[3], hs[4], hs[5], hs[6], hs[7],
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
            w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15],
        )  # fmt: skip
        for i in range(8):
            hs[i] = r[i]
    out = np.empty(32, dtype=np.uint8)
    for i in range(32):
        out[i] = (hs[i // 4] >> (8 * (3 - i % 4))) & 0xFF
    return out


def sha256_bytes(data: bytes) -> bytes:
    """SHA-256 of ``data`` through the Numba kernel (bytes in, 32 bytes out)."""
    return sha256(np.frombuffer(data, dtype=np.uint8)).tobytes()

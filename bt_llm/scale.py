"""The one SCALE and SS58 core: compact integers, a byte cursor, SS58 addresses. Pure functions, no I/O.

Used by the chain client (:mod:`bt_llm.chain`), the localnet node (:mod:`bt_llm.localnet`) and the wallet
(:mod:`bt_llm.wallet`); it imports nothing of theirs, only :mod:`bt_llm.errors`.

- :func:`encode_compact` and :meth:`ScaleReader.compact`: SCALE ``Compact<uN>``, the only encoder and decoder.
- :class:`ScaleReader`: a fast cursor over SCALE bytes. Reading past the end or a bad byte raises the reader's
  ``error`` class: :class:`~bt_llm.errors.RpcProtocolError` here (bytes a node answered); the node's codec and
  extrinsic parser subclass it with their own error.
- :func:`ss58_encode` / :func:`ss58_decode`: 32-byte account ids and their SS58 text (simple formats 0-63).
  A malformed address or account id raises :class:`~bt_llm.errors.AddressError`, the one error for that.

The metagraph decodes thousands of neurons through :class:`ScaleReader` and the node reads every storage
value through it, so the hot methods are written out by hand; every decoder is cross-checked in the tests
against scalecodec.

Example:
    >>> r = ScaleReader(bytes([0x08, 0x2a, 0x00]))
    >>> r.compact(), r.u16()
    (2, 42)
    >>> encode_compact(1).hex(), encode_compact(64).hex()
    ('04', '0101')
    >>> ss58_decode(ss58_encode(bytes(32))) == bytes(32)
    True
"""

from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from typing import ClassVar

from bt_llm.errors import AddressError, BtLlmError, RpcProtocolError

__all__ = [
    "SS58_FORMAT",
    "ScaleReader",
    "encode_compact",
    "is_valid_ss58",
    "ss58_decode",
    "ss58_encode",
    "unwrap_bytes_vec",
]

SS58_FORMAT = 42  # Bittensor's (Substrate's generic) address format
_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_DIGITS = {chr(c): i for i, c in enumerate(_B58)}
_B58_CHUNK = 58**10
_COMPACT_MAX_BYTES = 67  # the 6-bit length field of the big-integer mode: 4 + 63 bytes


# --------------------------------------------------------------------------------------------- SS58


@lru_cache(maxsize=65536)
def ss58_encode(public_key: bytes, ss58_format: int = SS58_FORMAT) -> str:
    """Encode a 32-byte public key as an SS58 address (simple formats 0-63).

    Raises:
        AddressError: not 32 bytes, or a format outside 0-63.

    Example:
        >>> ss58_encode(bytes(32))
        '5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM'
    """
    if len(public_key) != 32:
        raise AddressError(f"an account id has 32 bytes, got {len(public_key)}")
    if not 0 <= ss58_format < 64:
        raise AddressError(f"only simple SS58 formats (0-63) are supported, not {ss58_format}")
    body = bytes([ss58_format]) + public_key
    checksum = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    data = body + checksum
    number = int.from_bytes(data, "big")
    out = bytearray()
    while number:
        number, chunk = divmod(number, _B58_CHUNK)
        for _ in range(10):
            chunk, rem = divmod(chunk, 58)
            out.append(_B58[rem])
    while out and out[-1] == _B58[0]:
        out.pop()
    out.extend(b"1" * (len(data) - len(data.lstrip(b"\0"))))
    out.reverse()
    return out.decode()


def ss58_decode(address: str, ss58_format: int | None = None) -> bytes:
    """The 32-byte public key of an SS58 address (simple formats), checksum checked.

    ``ss58_format`` ``None`` accepts any simple format (as a Substrate node does); an int accepts only that one.

    Raises:
        AddressError: not text, a character outside base58, not a 32-byte account address, another
            format than ``ss58_format``, or a bad checksum; the message names which.

    Example:
        >>> ss58_decode("5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM", SS58_FORMAT) == bytes(32)
        True
    """
    if not isinstance(address, str):
        raise AddressError(f"Invalid SS58 address {address!r}: not a string")
    digits = _B58_DIGITS
    number = 0
    for char in address:
        digit = digits.get(char)
        if digit is None:
            raise AddressError(f"Invalid SS58 address {address!r}: {char!r} is not a base58 character")
        number = number * 58 + digit
    leading = len(address) - len(address.lstrip("1"))
    raw = b"\0" * leading + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")
    if len(raw) != 35 or raw[0] >= 64:
        raise AddressError(f"Invalid SS58 address {address!r}: not a 32-byte simple-format account address")
    if ss58_format is not None and raw[0] != ss58_format:
        raise AddressError(f"Invalid SS58 address {address!r}: format {raw[0]}, expected {ss58_format}")
    if hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2] != raw[33:]:
        raise AddressError(f"Invalid SS58 address {address!r}: bad checksum")
    return raw[1:33]


def is_valid_ss58(address: str, ss58_format: int | None = None) -> bool:
    """True when ``address`` is a valid 32-byte SS58 address (of ``ss58_format`` when given)."""
    try:
        ss58_decode(address, ss58_format)
    except AddressError:
        return False
    return True


# --------------------------------------------------------------------------------------------- compact


def encode_compact(value: int) -> bytes:
    """SCALE compact encoding of a non-negative integer (below ``2**536``).

    Raises:
        ValueError: negative, or too large for the compact encoding.

    Example:
        >>> encode_compact(2**30).hex()
        '0300000040'
    """
    if value < 0:
        raise ValueError(f"compact integers are unsigned, got {value}")
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    size = (value.bit_length() + 7) // 8
    if size > _COMPACT_MAX_BYTES:
        raise ValueError(f"compact integers have at most {_COMPACT_MAX_BYTES} bytes, {value} needs {size}")
    return bytes([((size - 4) << 2) | 3]) + value.to_bytes(size, "little")


# --------------------------------------------------------------------------------------------- reader


class ScaleReader:
    """A cursor over SCALE bytes, from ``pos``; every bad read raises :attr:`error` (a class attribute).

    The base reads a node's answer, so its error is :class:`~bt_llm.errors.RpcProtocolError`; a subclass
    that reads other bytes sets its own (``class Reader(ScaleReader): error = CodecError``).
    """

    __slots__ = ("data", "pos", "size")
    error: ClassVar[type[BtLlmError]] = RpcProtocolError

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.data = bytes(data)
        self.pos = pos
        self.size = len(self.data)

    def remaining(self) -> int:
        return self.size - self.pos

    def _short(self, wanted: int) -> BtLlmError:
        return self.error(f"SCALE data ends early: wanted {wanted} bytes at offset {self.pos}, have {self.size}")

    def raw(self, size: int) -> bytes:
        """The next ``size`` bytes."""
        pos = self.pos
        end = pos + size
        if end > self.size:
            raise self._short(size)
        self.pos = end
        return self.data[pos:end]

    def u8(self) -> int:
        pos = self.pos
        if pos >= self.size:
            raise self._short(1)
        self.pos = pos + 1
        return self.data[pos]

    def boolean(self) -> bool:
        value = self.u8()
        if value > 1:
            raise self.error(f"invalid SCALE bool {value} at offset {self.pos - 1}")
        return value == 1

    def uint(self, size: int) -> int:
        return int.from_bytes(self.raw(size), "little")

    def u16(self) -> int:
        return self.uint(2)

    def u32(self) -> int:
        return self.uint(4)

    def u64(self) -> int:
        return self.uint(8)

    def u128(self) -> int:
        return self.uint(16)

    def unpack(self, fmt: struct.Struct) -> tuple[int, ...]:
        """Several fixed-size fields at once (a precompiled little-endian ``struct``)."""
        pos = self.pos
        end = pos + fmt.size
        if end > self.size:
            raise self._short(fmt.size)
        self.pos = end
        return fmt.unpack_from(self.data, pos)

    def compact(self) -> int:
        """A SCALE ``Compact<uN>`` (the one compact decoder)."""
        data, pos = self.data, self.pos
        if pos >= self.size:
            raise self._short(1)
        first = data[pos]
        mode = first & 3
        if mode == 0:
            self.pos = pos + 1
            return first >> 2
        if mode == 1:
            end = pos + 2
        elif mode == 2:
            end = pos + 4
        else:
            pos += 1
            end = pos + (first >> 2) + 4
            if end > self.size:
                raise self._short(end - pos)
            self.pos = end
            return int.from_bytes(data[pos:end], "little")
        if end > self.size:
            raise self._short(end - pos)
        self.pos = end
        return int.from_bytes(data[pos:end], "little") >> 2

    def account_id(self) -> str:
        """A 32-byte account id, as its SS58 address."""
        pos = self.pos
        end = pos + 32
        if end > self.size:
            raise self._short(32)
        self.pos = end
        return ss58_encode(self.data[pos:end])

    def bytes_vec(self) -> bytes:
        return self.raw(self.compact())

    def option_flag(self) -> bool:
        flag = self.u8()
        if flag > 1:
            raise self.error(f"invalid SCALE option tag {flag} at offset {self.pos - 1}")
        return flag == 1

    def finish(self) -> None:
        """Raise when bytes are left over: a layout mismatch, never silently ignored."""
        if self.pos != self.size:
            raise self.error(f"{self.size - self.pos} SCALE bytes left over after decoding")


def unwrap_bytes_vec(data: bytes) -> bytes:
    """Strip the ``Vec<u8>`` length prefix that runtime APIs wrap their SCALE answer in."""
    reader = ScaleReader(data)
    inner = reader.bytes_vec()
    reader.finish()
    return inner

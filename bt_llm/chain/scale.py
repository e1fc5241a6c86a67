"""A small, fast SCALE reader for the bulk chain structs (neurons, delegates, subnets, stake).

scalecodec decodes these generically and slowly (a few milliseconds per neuron); a metagraph of 4096
neurons must sync in well under a second, so the structs of ``chain_data`` are read with this
hand-written cursor. Every decoder is checked in the tests against bytes that scalecodec encodes.

Example:
    >>> r = ScaleReader(bytes([0x08, 0x2a, 0x00]))
    >>> r.compact(), r.u16()
    (2, 42)
"""

from __future__ import annotations

import hashlib
import struct
from functools import lru_cache

from bt_llm.errors import RpcProtocolError

_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SS58_FORMAT = 42
_B58_CHUNK = 58**10


@lru_cache(maxsize=65536)
def ss58_encode(public_key: bytes, ss58_format: int = SS58_FORMAT) -> str:
    """Encode a 32-byte public key as an SS58 address (simple formats < 64 only).

    Example:
        >>> ss58_encode(bytes(32))
        '5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM'
    """
    if len(public_key) != 32:
        raise RpcProtocolError(f"an account id has 32 bytes, got {len(public_key)}")
    if not 0 <= ss58_format < 64:
        raise ValueError("only simple SS58 formats (0-63) are supported")
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


def ss58_decode(address: str) -> bytes:
    """Decode an SS58 address (simple formats) to its 32-byte public key, checking the checksum.

    Raises:
        ValueError: not a valid SS58 address.
    """
    number = 0
    for char in address.encode():
        index = _B58.find(bytes([char]))
        if index < 0:
            raise ValueError(f"invalid base58 character in address {address!r}")
        number = number * 58 + index
    leading = len(address) - len(address.lstrip("1"))
    raw = b"\0" * leading + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")
    if len(raw) != 35 or raw[0] >= 64:
        raise ValueError(f"not a 32-byte simple-format SS58 address: {address!r}")
    checksum = hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2]
    if checksum != raw[33:]:
        raise ValueError(f"bad SS58 checksum: {address!r}")
    return raw[1:33]


def is_valid_ss58(address: str) -> bool:
    """True when ``address`` is a valid 32-byte SS58 address."""
    try:
        ss58_decode(address)
    except (ValueError, TypeError):
        return False
    return True


class ScaleReader:
    """A cursor over SCALE bytes; every read raises :class:`RpcProtocolError` past the end."""

    __slots__ = ("data", "pos", "size")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = bytes(data)
        self.pos = 0
        self.size = len(self.data)

    def remaining(self) -> int:
        return self.size - self.pos

    def _short(self, wanted: int) -> RpcProtocolError:
        return RpcProtocolError(f"SCALE data ends early: wanted {wanted} bytes at offset {self.pos}")

    def _take(self, size: int) -> bytes:
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
            raise RpcProtocolError(f"invalid SCALE bool {value} at offset {self.pos - 1}")
        return value == 1

    def uint(self, size: int) -> int:
        return int.from_bytes(self._take(size), "little")

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
        pos = self.pos
        end = pos + 32
        if end > self.size:
            raise self._short(32)
        self.pos = end
        return ss58_encode(self.data[pos:end])

    def raw(self, size: int) -> bytes:
        return self._take(size)

    def bytes_vec(self) -> bytes:
        return self._take(self.compact())

    def option_flag(self) -> bool:
        flag = self.u8()
        if flag > 1:
            raise RpcProtocolError(f"invalid SCALE option tag {flag} at offset {self.pos - 1}")
        return flag == 1

    def finish(self) -> None:
        """Raise when bytes are left over: a layout mismatch, never silently ignored."""
        if self.pos != self.size:
            raise RpcProtocolError(f"{self.size - self.pos} SCALE bytes left over after decoding")


def encode_compact(value: int) -> bytes:
    """SCALE compact encoding of a non-negative integer.

    Example:
        >>> encode_compact(1).hex(), encode_compact(64).hex()
        ('04', '0101')
    """
    if value < 0:
        raise ValueError("compact integers are unsigned")
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    size = (value.bit_length() + 7) // 8
    return bytes([((size - 4) << 2) | 3]) + value.to_bytes(size, "little")


def unwrap_bytes_vec(data: bytes) -> bytes:
    """Strip the ``Vec<u8>`` length prefix that runtime APIs wrap their SCALE answer in."""
    reader = ScaleReader(data)
    inner = reader.bytes_vec()
    reader.finish()
    return inner

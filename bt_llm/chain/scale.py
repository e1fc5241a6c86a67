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
from functools import lru_cache

from bt_llm.errors import RpcProtocolError

_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SS58_FORMAT = 42


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
        number, rem = divmod(number, 58)
        out.append(_B58[rem])
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

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = bytes(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def _take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise RpcProtocolError(f"SCALE data ends early: wanted {size} bytes at offset {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def u8(self) -> int:
        if self.pos >= len(self.data):
            raise RpcProtocolError(f"SCALE data ends early at offset {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

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

    def compact(self) -> int:
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise RpcProtocolError(f"SCALE data ends early at offset {pos}")
        first = data[pos]
        mode = first & 3
        if mode == 0:
            self.pos = pos + 1
            return first >> 2
        if mode == 1:
            return self.uint(2) >> 2
        if mode == 2:
            return self.uint(4) >> 2
        self.pos = pos + 1
        return self.uint((first >> 2) + 4)

    def account_id(self) -> str:
        return ss58_encode(self._take(32))

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
        if self.pos != len(self.data):
            raise RpcProtocolError(f"{len(self.data) - self.pos} SCALE bytes left over after decoding")


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

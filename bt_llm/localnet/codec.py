"""A small, fast SCALE codec driven by scalecodec-style type strings.

The engine stores every value as SCALE bytes exactly as the pallet does. Type strings follow the
scalecodec / polkadot.js conventions (``"u16"``, ``"Vec<(u16, u16)>"``, ``"Compact<u64>"``,
``"Option<AccountId>"``, ``"[u16; 2]"``, ``"(AccountId, u64, u64)"``) and named types resolve through
:data:`bt_llm.localnet.schema_types.TYPES` (``{"type": "struct"|"enum", "type_mapping": [[name, type], ...]}``
or a plain alias string). Python values:

- unsigned ints -> ``int``; ``bool`` -> ``bool``; ``Null`` / ``()`` -> ``None``
- ``AccountId``, ``H256``/``Hash``, ``[u8; N]``, ``Vec<u8>``/``Bytes`` -> ``bytes`` (an ss58 ``str`` is
  accepted on encode for ``AccountId``)
- ``Vec<T>`` / ``[T; N]`` -> ``list``; tuples -> ``tuple``; structs -> ``dict``
- ``Option<T>`` -> ``None`` or the value
- enums -> ``(variant_name, value)`` (``value`` is ``None`` for unit variants); a bare ``str`` is accepted
  on encode for unit variants.

The runtime's ``Call`` and ``RuntimeEvent`` enums are built from the pallets by
:mod:`bt_llm.localnet.schema`, which gives them to this codec with :func:`register_runtime_type` when it is
imported; this module never imports the schema. Compact integers, the byte cursor (:class:`Reader`) and
SS58 come from the one core, :mod:`bt_llm.scale`.

Cross-checked against scalecodec in ``tests/unit/localnet/test_codec.py``.

Example:
    >>> encode("Vec<(u16, u16)>", [(1, 65535)]).hex()
    '040100ffff'
    >>> decode("Compact<u64>", bytes.fromhex("fd03"))
    255
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from functools import cache
from typing import Any

from bt_llm.errors import AddressError, ChainError
from bt_llm.localnet.schema_types import TYPES
from bt_llm.scale import ScaleReader, encode_compact, ss58_decode

_UINTS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}
_STRUCT_FMT = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q"}
_BYTES_ALIASES = {"Vec<u8>", "Bytes"}
_FIXED_BYTES = {"AccountId": 32, "AccountId32": 32, "H256": 32, "Hash": 32, "T::Hash": 32}


class CodecError(ChainError):
    """A value could not be SCALE-encoded or decoded with the given type."""


class Reader(ScaleReader):
    """The core's SCALE cursor, raising :class:`CodecError`: what every decoder of this codec reads from."""

    __slots__ = ()
    error = CodecError


# --------------------------------------------------------------------------- type parsing


def _split_top(s: str) -> list[str]:
    """Split ``s`` on commas that are not nested in <>, (), []."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    tail = "".join(cur).strip()
    if tail:
        parts.append(tail)
    return parts


_ARRAY = re.compile(r"^\[(.+);\s*(\d+)\]$")
_GENERIC = re.compile(r"^([A-Za-z0-9_:]+)<(.+)>$")

Encoder = Callable[[Any, bytearray], None]
DecoderFn = Callable[[Reader], Any]

_RUNTIME_TYPES: dict[str, tuple[Encoder, DecoderFn]] = {}


def register_runtime_type(name: str, encoder: Encoder, decoder: DecoderFn) -> None:
    """Give the type ``name`` its codec: how :mod:`bt_llm.localnet.schema` adds ``Call`` and ``RuntimeEvent``.

    Called when the schema is imported, before any type that contains these is built (the codecs of
    :func:`type_codec` are cached; a type naming an unregistered one raises and is not cached).
    """
    _RUNTIME_TYPES[name] = (encoder, decoder)


@cache
def type_codec(type_str: str) -> tuple[Encoder, DecoderFn]:
    """The ``(encoder, decoder)`` pair of a type string (cached): ``encoder(value, out)`` appends to a
    ``bytearray``; ``decoder(reader)`` reads from a :class:`Reader`."""
    t = " ".join(type_str.split())
    if t in _STRUCT_FMT:
        fmt = struct.Struct(_STRUCT_FMT[t])

        def enc_int(v: Any, out: bytearray, fmt: struct.Struct = fmt) -> None:
            try:
                out += fmt.pack(v)
            except struct.error as exc:
                raise CodecError(f"{v!r} does not fit {t}") from exc

        return enc_int, lambda r, fmt=fmt: fmt.unpack(r.raw(fmt.size))[0]
    if t in _UINTS:
        size = _UINTS[t]

        def enc_big(v: Any, out: bytearray, size: int = size) -> None:
            try:
                out += int(v).to_bytes(size, "little")
            except OverflowError as exc:
                raise CodecError(f"{v!r} does not fit {t}") from exc

        return enc_big, lambda r, size=size: r.uint(size)
    if t == "bool":

        def enc_bool(v: Any, out: bytearray) -> None:
            out.append(1 if v else 0)

        return enc_bool, Reader.boolean
    if t in ("Null", "()"):
        return (lambda v, out: None), (lambda r: None)
    if t in _FIXED_BYTES:
        return _fixed_bytes_codec(_FIXED_BYTES[t], account=t.startswith("AccountId"))
    if t in _BYTES_ALIASES:

        def enc_bytes(v: Any, out: bytearray) -> None:
            b = bytes(v)
            out += encode_compact(len(b)) + b

        return enc_bytes, Reader.bytes_vec
    if t in _RUNTIME_TYPES:
        return _RUNTIME_TYPES[t]
    m = _ARRAY.match(t)
    if m:
        inner, n = m.group(1).strip(), int(m.group(2))
        if inner == "u8":
            return _fixed_bytes_codec(n)
        ie, idec = type_codec(inner)

        def enc_arr(v: Any, out: bytearray) -> None:
            if len(v) != n:
                raise CodecError(f"expected {n} items for {t}, got {len(v)}")
            for x in v:
                ie(x, out)

        return enc_arr, lambda r: [idec(r) for _ in range(n)]
    if t.startswith("(") and t.endswith(")"):
        items = [type_codec(p) for p in _split_top(t[1:-1])]

        def enc_tuple(v: Any, out: bytearray) -> None:
            if len(v) != len(items):
                raise CodecError(f"expected a {len(items)}-tuple for {t}")
            for (e, _), x in zip(items, v, strict=True):
                e(x, out)

        return enc_tuple, lambda r: tuple(d(r) for _, d in items)
    m = _GENERIC.match(t)
    if m:
        outer, args = m.group(1), m.group(2).strip()
        if outer in ("Vec", "BoundedVec", "WeakBoundedVec"):
            inner = _split_top(args)[0]
            if inner == "u8":
                return type_codec("Vec<u8>")
            if inner in _STRUCT_FMT or inner == "bool":
                return _bulk_vec_codec(inner)
            if inner.startswith("(") and all(p in _STRUCT_FMT for p in _split_top(inner[1:-1])):
                return _bulk_tuple_vec_codec(_split_top(inner[1:-1]))
            ie, idec = type_codec(inner)

            def enc_vec(v: Any, out: bytearray) -> None:
                out += encode_compact(len(v))
                for x in v:
                    ie(x, out)

            return enc_vec, lambda r: [idec(r) for _ in range(r.compact())]
        if outer == "Compact":

            def enc_c(v: Any, out: bytearray) -> None:
                try:
                    out += encode_compact(int(v))
                except ValueError as exc:
                    raise CodecError(f"{v!r} does not fit {t}: {exc}") from None

            return enc_c, Reader.compact
        if outer == "Option":
            if args == "bool":  # SCALE special-cases Option<bool> as one byte; not used here
                raise CodecError("Option<bool> is not supported")
            ie, idec = type_codec(args)

            def enc_opt(v: Any, out: bytearray) -> None:
                if v is None:
                    out.append(0)
                else:
                    out.append(1)
                    ie(v, out)

            def dec_opt(r: Reader) -> Any:
                return idec(r) if r.option_flag() else None

            return enc_opt, dec_opt
        if outer == "Box":
            return type_codec(args)
    if t not in TYPES:
        raise CodecError(f"unknown type {type_str!r}")
    spec = TYPES[t]
    if isinstance(spec, str):
        return type_codec(spec)
    if spec["type"] == "struct":
        fields = [(name, type_codec(ft)) for name, ft in spec["type_mapping"]]

        def enc_struct(v: Any, out: bytearray) -> None:
            for name, (e, _) in fields:
                if name not in v:
                    raise CodecError(f"{t}: missing field {name!r}")
                e(v[name], out)

        return enc_struct, lambda r: {name: d(r) for name, (_, d) in fields}
    if spec["type"] == "enum":
        variants = [(name, type_codec(vt)) for name, vt in spec["type_mapping"]]
        index = {name: i for i, (name, _) in enumerate(variants)}

        def enc_enum(v: Any, out: bytearray) -> None:
            name, value = (
                (v, None) if isinstance(v, str) else (next(iter(v.items())) if isinstance(v, dict) else v)
            )
            if name not in index:
                raise CodecError(f"{t}: unknown variant {name!r}")
            out.append(index[name])
            variants[index[name]][1][0](value, out)

        def dec_enum(r: Reader) -> Any:
            i = r.u8()
            if i >= len(variants):
                raise CodecError(f"{t}: variant index {i} out of range")
            name, (_, d) = variants[i]
            return (name, d(r))

        return enc_enum, dec_enum
    raise CodecError(f"unsupported type kind for {type_str!r}")


def _bulk_vec_codec(inner: str) -> tuple[Encoder, DecoderFn]:
    """``Vec<u16>``-style vectors packed/unpacked in one ``struct`` call (hot path of the engine)."""
    code, size = ("?", 1) if inner == "bool" else (_STRUCT_FMT[inner][1], struct.calcsize(_STRUCT_FMT[inner]))

    def enc(v: Any, out: bytearray) -> None:
        out += encode_compact(len(v))
        try:
            out += struct.pack(f"<{len(v)}{code}", *v)
        except struct.error as exc:
            raise CodecError(f"a value does not fit Vec<{inner}>") from exc

    def dec(r: Reader) -> list[Any]:
        n = r.compact()
        raw = r.raw(n * size)
        if code == "?" and any(b > 1 for b in raw):
            raise CodecError("invalid bool byte")
        return list(struct.unpack(f"<{n}{code}", raw))

    return enc, dec


def _bulk_tuple_vec_codec(parts: list[str]) -> tuple[Encoder, DecoderFn]:
    """``Vec<(u16, u16)>``-style vectors of integer tuples in one ``struct`` call each way."""
    item = struct.Struct("<" + "".join(_STRUCT_FMT[p][1] for p in parts))
    width = len(parts)

    def enc(v: Any, out: bytearray) -> None:
        out += encode_compact(len(v))
        flat = [x for t in v for x in t]
        if len(flat) != width * len(v):
            raise CodecError(f"expected {width}-tuples")
        try:
            out += struct.pack("<" + item.format[1:] * len(v), *flat)
        except struct.error as exc:
            raise CodecError("a value does not fit its tuple type") from exc

    def dec(r: Reader) -> list[Any]:
        n = r.compact()
        return list(item.iter_unpack(r.raw(n * item.size)))

    return enc, dec


def _fixed_bytes_codec(n: int, *, account: bool = False) -> tuple[Encoder, DecoderFn]:
    def enc(v: Any, out: bytearray) -> None:
        if account and isinstance(v, str):
            v = account_bytes(v)
        b = bytes(v)
        if len(b) != n:
            raise CodecError(f"expected {n} bytes, got {len(b)}")
        out += b

    return enc, lambda r: r.raw(n)


# --------------------------------------------------------------------------- public API


def account_bytes(account: str | bytes) -> bytes:
    """A 32-byte public key from ss58 text (any simple format), ``0x`` hex or raw bytes.

    Raises:
        AddressError: none of these, or not 32 bytes.
    """
    if isinstance(account, (bytes, bytearray)):
        if len(account) != 32:
            raise AddressError(f"an account id has 32 bytes, got {len(account)}")
        return bytes(account)
    if isinstance(account, str) and account.startswith("0x") and len(account) == 66:
        try:
            return bytes.fromhex(account[2:])
        except ValueError:
            raise AddressError(f"not a hex account id: {account!r}") from None
    return ss58_decode(account)


def encode(type_str: str, value: Any) -> bytes:
    """SCALE-encode ``value`` as ``type_str``."""
    out = bytearray()
    type_codec(type_str)[0](value, out)
    return bytes(out)


def decode(type_str: str, data: bytes, *, exact: bool = True) -> Any:
    """Decode SCALE ``data`` as ``type_str``; with ``exact`` every byte must be consumed."""
    r = Reader(data)
    value = type_codec(type_str)[1](r)
    if exact and r.pos != r.size:
        raise CodecError(f"{r.size - r.pos} trailing bytes after {type_str}")
    return value


def decode_prefix(type_str: str, data: bytes, offset: int = 0) -> tuple[Any, int]:
    """Decode one ``type_str`` from ``data[offset:]``; returns ``(value, new_offset)``."""
    r = Reader(data, offset)
    return type_codec(type_str)[1](r), r.pos

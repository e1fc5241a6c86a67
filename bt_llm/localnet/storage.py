"""Raw Substrate storage keys: ``twox128(pallet) ++ twox128(item) ++ hasher(key)...``.

Example:
    >>> storage_key("SubtensorModule", "TotalStake").hex()
    '658faa385070e074c85bf6b568cf05554f85a3603259384a5fa5494b7d7fdb8c'
    >>> prefix_key("System", "Account").hex()
    '26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9'
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from typing import Any

import xxhash

from bt_llm.localnet.codec import CodecError, decode_prefix, encode
from bt_llm.localnet.schema import pallet, storage_item


def twox64(data: bytes) -> bytes:
    return xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")


def twox128(data: bytes) -> bytes:
    return twox64(data) + xxhash.xxh64_intdigest(data, seed=1).to_bytes(8, "little")


def twox256(data: bytes) -> bytes:
    return b"".join(xxhash.xxh64_intdigest(data, seed=s).to_bytes(8, "little") for s in range(4))


def blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


HASHERS = {
    "Identity": lambda b: b,
    "Blake2_128Concat": lambda b: blake2_128(b) + b,
    "Twox64Concat": lambda b: twox64(b) + b,
    "Blake2_128": blake2_128,
    "Blake2_256": blake2_256,
    "Twox128": twox128,
    "Twox256": twox256,
}
# bytes a hasher puts before the raw key (for the concat/identity hashers the key can be read back)
_CONCAT_PREFIX = {"Identity": 0, "Blake2_128Concat": 16, "Twox64Concat": 8}


@cache
def prefix_key(pallet_name: str, item: str) -> bytes:
    """``twox128(prefix) ++ twox128(item)``: the key of a plain item, the prefix of a map."""
    storage_item(pallet_name, item)  # validate
    return twox128(pallet(pallet_name).prefix.encode()) + twox128(item.encode())


def storage_key(pallet_name: str, item: str, *keys: Any) -> bytes:
    """The raw key of ``pallet.item[keys...]``; give fewer keys for an iteration prefix."""
    try:
        return _cached_key(pallet_name, item, *keys)
    except TypeError:  # an unhashable key (a list): compute it directly
        return _storage_key(pallet_name, item, *keys)


@lru_cache(maxsize=1 << 16)
def _cached_key(pallet_name: str, item: str, *keys: Any) -> bytes:
    return _storage_key(pallet_name, item, *keys)


def _storage_key(pallet_name: str, item: str, *keys: Any) -> bytes:
    s = storage_item(pallet_name, item)
    if len(keys) > len(s.keys):
        raise CodecError(f"{pallet_name}.{item} takes {len(s.keys)} keys, got {len(keys)}")
    out = prefix_key(pallet_name, item)
    for hasher, key_type, key in zip(s.hashers, s.keys, keys, strict=False):
        out += HASHERS[hasher](encode(key_type, key))
    return out


def decode_map_key(pallet_name: str, item: str, raw_key: bytes) -> tuple[Any, ...]:
    """Read the key values back from a raw key (only for concat/identity hashers)."""
    s = storage_item(pallet_name, item)
    pos = 32
    out = []
    for hasher, key_type in zip(s.hashers, s.keys, strict=True):
        if hasher not in _CONCAT_PREFIX:
            raise CodecError(f"cannot read back a {hasher} key")
        pos += _CONCAT_PREFIX[hasher]
        value, pos = decode_prefix(key_type, raw_key, pos)
        out.append(value)
    return tuple(out)

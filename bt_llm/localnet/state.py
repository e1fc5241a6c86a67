"""Storage as the pallets see it: typed reads and writes over raw SCALE key/values.

:class:`State` is the state of the block being built: the committed head (a dict kept in memory)
plus a stack of write layers. Layer 0 holds the block's writes; every dispatched call pushes a
layer that is merged on success and dropped on failure, which makes calls atomic.
:class:`ArchiveView` answers the same reads at any past block from the SQLite archive.

Example:
    >>> st = State({})
    >>> st.set("SubtensorModule", "Tempo", 1, 10)
    >>> st.get("SubtensorModule", "Tempo", 1), st.get("SubtensorModule", "Tempo", 2)
    (10, 99)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any, Protocol

from bt_llm.localnet.codec import decode
from bt_llm.localnet.db import ChainDB
from bt_llm.localnet.schema import storage_item
from bt_llm.localnet.storage import decode_map_key, prefix_key, storage_key


class Reader(Protocol):
    """Raw access every typed read is built on."""

    def get_raw(self, key: bytes) -> bytes | None: ...

    def items_raw(self, prefix: bytes) -> list[tuple[bytes, bytes]]: ...


class TypedReads:
    """Typed reads shared by the live state and the archive views."""

    def get_raw(self, key: bytes) -> bytes | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def items_raw(self, prefix: bytes) -> list[tuple[bytes, bytes]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def get(self, pallet: str, item: str, *keys: Any) -> Any:
        """The decoded value of ``pallet.item[keys]``; the default when absent (``None`` for optional items)."""
        s = storage_item(pallet, item)
        raw = self.get_raw(storage_key(pallet, item, *keys))
        if raw is None:
            if s.optional:
                return None
            raw = s.default
        return decode(s.value, raw)

    def contains(self, pallet: str, item: str, *keys: Any) -> bool:
        return self.get_raw(storage_key(pallet, item, *keys)) is not None

    def iter(self, pallet: str, item: str, *keys: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
        """``(remaining_keys, value)`` of the entries under ``pallet.item[keys...]``, in raw-key order."""
        s = storage_item(pallet, item)
        n = len(keys)
        for raw_key, raw_value in self.items_raw(storage_key(pallet, item, *keys)):
            yield decode_map_key(pallet, item, raw_key)[n:], decode(s.value, raw_value)


class State(TypedReads):
    """The pending block's state: committed head + write layers."""

    def __init__(self, head: dict[bytes, bytes]) -> None:
        self.head = head
        self._head_keys = sorted(head)
        self.layers: list[dict[bytes, bytes | None]] = [{}]

    # -------------------------------------------------------------- raw
    def get_raw(self, key: bytes) -> bytes | None:
        for layer in reversed(self.layers):
            if key in layer:
                return layer[key]
        return self.head.get(key)

    def set_raw(self, key: bytes, value: bytes | None) -> None:
        self.layers[-1][key] = value

    def items_raw(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        lo = bisect.bisect_left(self._head_keys, prefix)
        merged: dict[bytes, bytes | None] = {}
        for k in self._head_keys[lo:]:
            if not k.startswith(prefix):
                break
            merged[k] = self.head[k]
        for layer in self.layers:
            for k, v in layer.items():
                if k.startswith(prefix):
                    merged[k] = v
        return [(k, v) for k, v in sorted(merged.items()) if v is not None]

    # -------------------------------------------------------------- typed writes
    def set(self, pallet: str, item: str, *keys_and_value: Any) -> None:
        """``pallet.item[keys] = value`` (the value is the last argument)."""
        *keys, value = keys_and_value
        s = storage_item(pallet, item)
        from bt_llm.localnet.codec import encode

        self.set_raw(storage_key(pallet, item, *keys), encode(s.value, value))

    def remove(self, pallet: str, item: str, *keys: Any) -> None:
        self.set_raw(storage_key(pallet, item, *keys), None)

    def clear_prefix(self, pallet: str, item: str, *keys: Any) -> None:
        for k, _ in self.items_raw(storage_key(pallet, item, *keys)):
            self.set_raw(k, None)

    # -------------------------------------------------------------- transactions
    def begin(self) -> None:
        self.layers.append({})

    def commit(self) -> None:
        top = self.layers.pop()
        self.layers[-1].update(top)

    def rollback(self) -> None:
        self.layers.pop()

    @property
    def depth(self) -> int:
        return len(self.layers)

    def block_writes(self) -> dict[bytes, bytes | None]:
        """The pending block's writes (only valid with no open call layer), minus no-op writes."""
        if len(self.layers) != 1:
            raise RuntimeError("a call layer is still open")
        return {k: v for k, v in self.layers[0].items() if self.head.get(k) != v}

    def apply_block(self) -> dict[bytes, bytes | None]:
        """Fold the pending writes into the head; returns them. Opens an empty layer 0."""
        writes = self.block_writes()
        for k, v in writes.items():
            if v is None:
                if k in self.head:
                    del self.head[k]
                    i = bisect.bisect_left(self._head_keys, k)
                    del self._head_keys[i]
            else:
                if k not in self.head:
                    bisect.insort(self._head_keys, k)
                self.head[k] = v
        self.layers = [{}]
        return writes

    def discard_block(self) -> None:
        self.layers = [{}]


class ArchiveView(TypedReads):
    """Read-only state as of a sealed block ``number``."""

    def __init__(self, db: ChainDB, number: int) -> None:
        self.db = db
        self.number = number
        self._cache: dict[bytes, bytes | None] = {}  # a sealed block never changes

    def get_raw(self, key: bytes) -> bytes | None:
        if key not in self._cache:
            self._cache[key] = self.db.get_at(key, self.number)
        return self._cache[key]

    def items_raw(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        return self.db.items_at(prefix, self.number)


class HeadView(TypedReads):
    """Read-only state of the last sealed block, from memory."""

    def __init__(self, state: State) -> None:
        self._state = state

    def get_raw(self, key: bytes) -> bytes | None:
        return self._state.head.get(key)

    def items_raw(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        keys = self._state._head_keys
        lo = bisect.bisect_left(keys, prefix)
        out = []
        for k in keys[lo:]:
            if not k.startswith(prefix):
                break
            out.append((k, self._state.head[k]))
        return out


__all__ = ["ArchiveView", "HeadView", "Reader", "State", "TypedReads", "prefix_key"]

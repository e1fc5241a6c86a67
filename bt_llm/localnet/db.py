"""The SQLite archive behind the engine (WAL, one transaction per block).

Tables:

- ``blocks(number, hash, parent_hash, state_root, extrinsics_root)``: one row per sealed block.
- ``extrinsics(number, idx, data)``: the opaque extrinsic bytes of each block.
- ``history(key, block, value)``: every write of every block (``value`` NULL = deleted); the state at
  block ``N`` is, per key, the row with the greatest ``block <= N`` (an archive node).
- ``head(key, value)``: the state at the last sealed block (fast reads and a fast restart).

A block's rows in all four tables are written in ONE transaction (``commit_block``), so a ``kill -9``
at any moment leaves the database at the last committed block; ``synchronous=NORMAL`` in WAL mode is
durable against process crashes.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from bt_llm.errors import ChainError, ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    parent_hash BLOB NOT NULL,
    state_root BLOB NOT NULL,
    extrinsics_root BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS extrinsics (
    number INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (number, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    key BLOB NOT NULL,
    block INTEGER NOT NULL,
    value BLOB,
    PRIMARY KEY (key, block)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS head (
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB
);
"""


F = TypeVar("F", bound=Callable[..., Any])


def _translated(fn: F) -> F:
    """Re-raise SQLite errors as :class:`ChainError` (the boundary rule of ``bt_llm.errors``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise ChainError(f"chain database error in {fn.__name__}: {exc}") from exc

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class BlockRow:
    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    extrinsics_root: bytes


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    p = bytearray(prefix)
    while p and p[-1] == 0xFF:
        p.pop()
    if not p:
        return None
    p[-1] += 1
    return bytes(p)


def _lock_state(path: Path) -> IO[str]:
    """Hold ``<database>.lock`` for as long as this process serves the state (released by the kernel
    when it dies, ``kill -9`` included): a second node on the same state would serve a frozen head
    and lose what it accepted.

    Raises:
        ConfigError: another process holds it (its pid is named).
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held open for the database's lifetime
    except OSError as exc:
        raise ConfigError(f"cannot open the state lock {lock_path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ConfigError(f"the chain state in {path.parent} is in use by process {holder}: stop that node first, "
                          "or give this one another --state") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class ChainDB:
    """SQLite storage of blocks and archived state. ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | None) -> None:
        target = ":memory:" if path is None else str(path)
        self._lock = None if path is None else _lock_state(Path(path))
        try:
            self._conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            if path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ChainError(f"cannot open the chain database at {target}: {exc}") from exc

    @_translated
    def close(self) -> None:
        self._conn.close()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    # ------------------------------------------------------------------ writes

    @_translated
    def commit_block(
        self,
        block: BlockRow,
        extrinsics: list[bytes],
        writes: dict[bytes, bytes | None],
        meta: dict[str, bytes] | None = None,
    ) -> None:
        """Write one block, its extrinsics and its state writes atomically."""
        c = self._conn
        try:
            c.execute("BEGIN IMMEDIATE")
            c.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?)",
                (block.number, block.hash, block.parent_hash, block.state_root, block.extrinsics_root),
            )
            c.executemany(
                "INSERT INTO extrinsics VALUES (?, ?, ?)",
                [(block.number, i, x) for i, x in enumerate(extrinsics)],
            )
            c.executemany(
                "INSERT INTO history VALUES (?, ?, ?)", [(k, block.number, v) for k, v in writes.items()]
            )
            c.executemany(
                "INSERT OR REPLACE INTO head VALUES (?, ?)",
                [(k, v) for k, v in writes.items() if v is not None],
            )
            c.executemany("DELETE FROM head WHERE key = ?", [(k,) for k, v in writes.items() if v is None])
            for name, value in (meta or {}).items():
                c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ reads

    @_translated
    def meta(self, name: str) -> bytes | None:
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    @_translated
    def head_state(self) -> dict[bytes, bytes]:
        return dict(self._conn.execute("SELECT key, value FROM head"))

    @_translated
    def last_block(self) -> BlockRow | None:
        row = self._conn.execute("SELECT * FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        return None if row is None else BlockRow(*row)

    @_translated
    def block_by_number(self, number: int) -> BlockRow | None:
        row = self._conn.execute("SELECT * FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else BlockRow(*row)

    @_translated
    def block_by_hash(self, block_hash: bytes) -> BlockRow | None:
        row = self._conn.execute("SELECT * FROM blocks WHERE hash = ?", (bytes(block_hash),)).fetchone()
        return None if row is None else BlockRow(*row)

    @_translated
    def extrinsics(self, number: int) -> list[bytes]:
        rows = self._conn.execute("SELECT data FROM extrinsics WHERE number = ? ORDER BY idx", (number,))
        return [r[0] for r in rows]

    @_translated
    def get_at(self, key: bytes, number: int) -> bytes | None:
        row = self._conn.execute(
            "SELECT value FROM history WHERE key = ? AND block <= ? ORDER BY block DESC LIMIT 1",
            (bytes(key), number),
        ).fetchone()
        return None if row is None else row[0]

    @_translated
    def items_at(
        self, prefix: bytes, number: int, start_key: bytes | None = None, count: int | None = None
    ) -> list[tuple[bytes, bytes]]:
        """``(key, value)`` of the live keys starting with ``prefix`` at block ``number``, sorted, after ``start_key``."""
        lo = max(bytes(prefix), bytes(start_key) + b"\x00") if start_key is not None else bytes(prefix)
        hi = _prefix_end(bytes(prefix))
        sql = (
            "SELECT h.key, h.value FROM history h WHERE h.key >= ?"
            + (" AND h.key < ?" if hi is not None else "")
            + " AND h.block = (SELECT MAX(block) FROM history WHERE key = h.key AND block <= ?)"
            " AND h.value IS NOT NULL ORDER BY h.key" + (" LIMIT ?" if count is not None else "")
        )
        params: list[object] = [lo]
        if hi is not None:
            params.append(hi)
        params.append(number)
        if count is not None:
            params.append(count)
        return [(k, v) for k, v in self._conn.execute(sql, params)]


def iter_sorted_prefix(keys: Iterable[bytes], prefix: bytes) -> list[bytes]:
    """Sorted keys of ``keys`` that start with ``prefix`` (helper for in-memory layers)."""
    return sorted(k for k in keys if k.startswith(prefix))

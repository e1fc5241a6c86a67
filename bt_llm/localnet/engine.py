"""The chain engine: blocks, extrinsics, state and the archive, with no network code.

Block N is *opened* as soon as N-1 is sealed: its per-block step (``on_initialize``) runs first,
then :meth:`Engine.apply` adds extrinsics, and :meth:`Engine.seal_block` commits it in one SQLite
transaction and opens N+1. See ``CONTRACT.md`` beside this file for the node-facing contract.

Hashes: ``header = SCALE(parent_hash, Compact<u32> number, state_root, extrinsics_root, empty digest)``,
``block_hash = blake2_256(header)``; ``extrinsics_root = blake2_256(SCALE Vec<Vec<u8>>)`` of the
block's extrinsics; ``state_root = blake2_256(parent_state_root ++ SCALE Vec<(key, Option<value>)>)``
of the block's writes sorted by key (a hash chain over state changes, not a trie root).

Example:
    >>> from bt_llm.localnet.schema import Call
    >>> e = Engine.open(None)
    >>> alice, bob = e.dev_keys()["Alice"], e.dev_keys()["Bob"]
    >>> r = e.apply(Call("Balances", "transfer", {"dest": bob, "value": 10**9}), signer=alice, nonce=0, length=100)
    >>> r.success, e.seal_block().number
    (True, 1)
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bt_llm.errors import AddressError, ChainError, ExtrinsicFailedError
from bt_llm.localnet import info
from bt_llm.localnet.block import EpochFn, block_step
from bt_llm.localnet.calls import dispatch
from bt_llm.localnet.calls.balances import free_balance, withdraw
from bt_llm.localnet.calls.context import Ctx, Origin, dispatch_error_value
from bt_llm.localnet.codec import CodecError, encode
from bt_llm.localnet.db import BlockRow, ChainDB
from bt_llm.localnet.genesis import DEV_ACCOUNTS, GenesisConfig, build_genesis
from bt_llm.localnet.schema import (
    EXISTENTIAL_DEPOSIT,
    Call,
    Event,
    EventRecord,
    decode_event_records,
    encode_event_records,
)
from bt_llm.localnet.state import ArchiveView, HeadView, State, TypedReads
from bt_llm.localnet.storage import blake2_256, storage_key
from bt_llm.localnet.yuma import run_epoch

DB_FILE = "chain.sqlite"


class InvalidTransaction(ChainError):
    """The transaction cannot be included (nothing was changed). ``reason``: Stale, Future or Payment."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"invalid transaction: {reason}")


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    extrinsics_root: bytes

    def encode(self) -> bytes:
        """The SCALE header (what ``hash`` is the blake2_256 of)."""
        return encode_header(self.parent_hash, self.number, self.state_root, self.extrinsics_root)

    def as_json(self) -> dict[str, Any]:
        """The header as Substrate JSON-RPC returns it."""
        return {
            "parentHash": "0x" + self.parent_hash.hex(),
            "number": hex(self.number),
            "stateRoot": "0x" + self.state_root.hex(),
            "extrinsicsRoot": "0x" + self.extrinsics_root.hex(),
            "digest": {"logs": []},
        }


@dataclass(frozen=True)
class DispatchResult:
    """Outcome of one applied extrinsic: ``error`` is ``(pallet, error_name)`` (pallet ``None`` for
    non-module errors such as ``BadOrigin``); ``events`` are this extrinsic's records."""

    success: bool
    error: tuple[str | None, str] | None
    events: list[EventRecord] = field(default_factory=list)
    index: int = 0
    fee: int = 0


def encode_header(parent_hash: bytes, number: int, state_root: bytes, extrinsics_root: bytes) -> bytes:
    return encode(
        "Header",
        {
            "parent_hash": parent_hash,
            "number": number,
            "state_root": state_root,
            "extrinsics_root": extrinsics_root,
            "digest": {"logs": []},
        },
    )


def state_root(parent_root: bytes, writes: dict[bytes, bytes | None]) -> bytes:
    return blake2_256(parent_root + encode("Vec<(Vec<u8>, Option<Vec<u8>>)>", sorted(writes.items())))


def extrinsics_root(extrinsics: list[bytes]) -> bytes:
    return blake2_256(encode("Vec<Vec<u8>>", list(extrinsics)))


def _row_header(row: BlockRow) -> BlockHeader:
    return BlockHeader(row.number, row.hash, row.parent_hash, row.state_root, row.extrinsics_root)


class Engine:
    """A subtensor (spec 127) chain in one process. Thread-safe: every public method takes a lock."""

    def __init__(
        self, db: ChainDB, state: State, head: BlockHeader, genesis_hash: bytes, epoch: EpochFn
    ) -> None:
        self._db = db
        self.state = state
        self.head = head
        self.genesis_hash = genesis_hash
        self._epoch = epoch
        self._lock = threading.RLock()
        self._extrinsics: list[bytes] = []
        self._records: list[EventRecord] = []
        self._ctx: Ctx | None = None
        self._open_block()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, state_dir: Path | str | None, genesis: GenesisConfig | None = None, *, epoch: EpochFn = run_epoch
    ) -> Engine:
        """Open (or create) the chain in ``state_dir``; ``None`` keeps it in memory.

        ``genesis`` is used only when the database is empty (default: :meth:`GenesisConfig.localnet`).
        """
        path = None
        if state_dir is not None:
            directory = Path(state_dir)
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / DB_FILE
        db = ChainDB(path)
        last = db.last_block()
        if last is None:
            state = State({})
            ctx = Ctx(state, 0, lambda n: None, dispatch)
            build_genesis(ctx, genesis or GenesisConfig.localnet())
            writes = state.block_writes()
            s_root = state_root(bytes(32), writes)
            x_root = extrinsics_root([])
            h = blake2_256(encode_header(bytes(32), 0, s_root, x_root))
            db.commit_block(BlockRow(0, h, bytes(32), s_root, x_root), [], writes)
            state.apply_block()
            head = BlockHeader(0, h, bytes(32), s_root, x_root)
        else:
            state = State(db.head_state())
            head = _row_header(last)
        genesis_row = db.block_by_number(0)
        assert genesis_row is not None
        return cls(db, state, head, genesis_row.hash, epoch)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _open_block(self) -> None:
        """Start block head+1: System bookkeeping, then the per-block step."""
        n = self.head.number + 1
        st = self.state
        st.discard_block()
        self._extrinsics = []
        self._records = []
        self._ctx = Ctx(st, n, self._block_hash_for_seal, dispatch)
        st.set("System", "Number", n)
        st.set("System", "ParentHash", self.head.hash)
        st.set("System", "BlockHash", n - 1, self.head.hash)
        st.set("System", "Events", [])
        st.set("System", "EventCount", 0)
        block_step(self._ctx, self._epoch)
        self._take_events(("Initialization", None))

    def _block_hash_for_seal(self, number: int) -> bytes | None:
        if number == self.head.number + 1:
            return None  # the block being built has no hash yet (frame_system answers zero)
        return self.block_hash(number)

    def _take_events(self, phase: tuple[str, int | None]) -> list[EventRecord]:
        assert self._ctx is not None
        recs = [EventRecord(phase, ev) for ev in self._ctx.events]
        self._ctx.events.clear()
        self._records.extend(recs)
        return recs

    # ------------------------------------------------------------------ extrinsics

    @property
    def pending_number(self) -> int:
        return self.head.number + 1

    def fee_for(self, call: Call, length: int) -> int:
        """1 rao per encoded byte for Balances calls; subtensor and governance calls are free (Pays::No)."""
        return int(length) if call.pallet == "Balances" else 0

    def account_nonce(self, account: bytes) -> int:
        with self._lock:
            return self.state.get("System", "Account", bytes(account))["nonce"]

    def apply(
        self,
        call: Call,
        *,
        signer: bytes,
        nonce: int,
        fee: int | None = None,
        length: int = 0,
        extrinsic: bytes = b"",
    ) -> DispatchResult:
        """Include a signed extrinsic in the pending block (the node has checked signature and era).

        Raises:
            InvalidTransaction: ``Stale``/``Future`` nonce or ``Payment`` (cannot pay the fee); the
                state is untouched.
        """
        with self._lock:
            assert self._ctx is not None
            ctx, st, signer = self._ctx, self.state, bytes(signer)
            info_ = st.get("System", "Account", signer)
            if nonce < info_["nonce"]:
                raise InvalidTransaction("Stale", "Transaction is outdated")
            if nonce > info_["nonce"]:
                raise InvalidTransaction("Future", "Transaction will be valid in the future")
            fee = self.fee_for(call, length) if fee is None else int(fee)
            if fee and (free_balance(st, signer) < fee + EXISTENTIAL_DEPOSIT):
                raise InvalidTransaction(
                    "Payment", "Inability to pay some fees (e.g. account balance too low)"
                )
            index = len(self._extrinsics)
            self._extrinsics.append(bytes(extrinsic))
            info_["nonce"] += 1
            st.set("System", "Account", signer, info_)
            if fee:
                withdraw(ctx, signer, fee, keep_alive=True)
                ctx.deposit("Balances", "Withdraw", signer, fee)
            pays = "Yes" if call.pallet == "Balances" else "No"
            dispatch_info = {"weight": {"ref_time": 0, "proof_size": 0}, "class": "Normal", "pays_fee": pays}
            error: tuple[str | None, str] | None = None
            try:
                ctx.transactional(lambda: dispatch(ctx, Origin.signed(signer), call))
            except ExtrinsicFailedError as exc:
                error = (exc.module, exc.error_name)
                ctx.deposit("System", "ExtrinsicFailed", dispatch_error_value(exc), dispatch_info)
            except (CodecError, AddressError):
                error = (None, "Other")
                ctx.deposit("System", "ExtrinsicFailed", ("Other", None), dispatch_info)
            else:
                ctx.deposit("System", "ExtrinsicSuccess", dispatch_info)
            if fee:  # post-dispatch, as ChargeTransactionPayment does: before the final System event
                ctx.events.insert(
                    len(ctx.events) - 1, Event("TransactionPayment", "TransactionFeePaid", (signer, fee, 0))
                )
            recs = self._take_events(("ApplyExtrinsic", index))
            return DispatchResult(error is None, error, recs, index, fee)

    def set_timestamp(self, millis: int) -> None:
        """Set ``Timestamp.Now`` of the pending block (the node's timestamp inherent)."""
        with self._lock:
            self.state.set("Timestamp", "Now", int(millis))

    def seal_block(self) -> BlockHeader:
        """Commit the pending block (one SQLite transaction) and open the next; returns the new head."""
        with self._lock:
            st = self.state
            st.set_raw(storage_key("System", "Events"), encode_event_records(self._records))
            st.set("System", "EventCount", len(self._records))
            writes = st.block_writes()
            n = self.head.number + 1
            s_root = state_root(self.head.state_root, writes)
            x_root = extrinsics_root(self._extrinsics)
            h = blake2_256(encode_header(self.head.hash, n, s_root, x_root))
            self._db.commit_block(BlockRow(n, h, self.head.hash, s_root, x_root), self._extrinsics, writes)
            st.apply_block()
            self.head = BlockHeader(n, h, self.head.hash, s_root, x_root)
            self._open_block()
            return self.head

    # ------------------------------------------------------------------ blocks and raw state

    def block_hash(self, number: int) -> bytes | None:
        with self._lock:
            if number == self.head.number:
                return self.head.hash
            row = self._db.block_by_number(int(number))
            return None if row is None else row.hash

    def header(self, block_hash: bytes) -> BlockHeader | None:
        with self._lock:
            if bytes(block_hash) == self.head.hash:
                return self.head
            row = self._db.block_by_hash(bytes(block_hash))
            return None if row is None else _row_header(row)

    def number_of(self, block_hash: bytes) -> int | None:
        h = self.header(block_hash)
        return None if h is None else h.number

    def _number(self, block_hash: bytes | None) -> int:
        if block_hash is None:
            return self.head.number
        n = self.number_of(block_hash)
        if n is None:
            raise ChainError(f"unknown block hash 0x{bytes(block_hash).hex()}")
        return n

    def view(self, block_hash: bytes | None = None) -> TypedReads:
        """Typed read-only state at a sealed block (default: the head)."""
        with self._lock:
            n = self._number(block_hash)
            return HeadView(self.state) if n == self.head.number else ArchiveView(self._db, n)

    def storage_at(self, key: bytes, block_hash: bytes | None = None) -> bytes | None:
        """Raw SCALE value by raw key at a sealed block; ``None`` when absent."""
        with self._lock:
            return self.view(block_hash).get_raw(bytes(key))

    def storage_keys_paged(
        self, prefix: bytes, count: int, start_key: bytes | None = None, block_hash: bytes | None = None
    ) -> list[bytes]:
        """Up to ``count`` live keys starting with ``prefix``, sorted, strictly after ``start_key``."""
        with self._lock:
            prefix = bytes(prefix)
            n = self._number(block_hash)
            if n != self.head.number:
                return [k for k, _ in self._db.items_at(prefix, n, start_key, count)]
            keys = self.state._head_keys
            lo = bisect.bisect_left(keys, prefix)
            if start_key is not None:
                lo = max(lo, bisect.bisect_right(keys, bytes(start_key)))
            out = []
            for k in keys[lo:]:
                if not k.startswith(prefix) or len(out) >= count:
                    break
                out.append(k)
            return out

    def events_at(self, block_hash: bytes) -> list[EventRecord]:
        raw = self.storage_at(storage_key("System", "Events"), block_hash)
        return [] if raw is None else decode_event_records(raw)

    def extrinsics_at(self, block_hash: bytes) -> list[bytes]:
        with self._lock:
            return self._db.extrinsics(self._number(block_hash))

    # ------------------------------------------------------------------ typed readers (see info.py)

    def _read(self, fn: Any, block_hash: bytes | None, *args: Any, **kwargs: Any) -> Any:
        """Run a reader under the lock, so that a concurrent seal cannot change the state mid-read."""
        with self._lock:
            return fn(self.view(block_hash), *args, **kwargs)

    def neurons_lite(self, netuid: int, block_hash: bytes | None = None) -> list[dict[str, Any]]:
        return self._read(info.neurons, block_hash, netuid, lite=True)

    def neurons(self, netuid: int, block_hash: bytes | None = None) -> list[dict[str, Any]]:
        return self._read(info.neurons, block_hash, netuid, lite=False)

    def neuron_lite(self, netuid: int, uid: int, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return self._read(info.neuron, block_hash, netuid, uid, lite=True)

    def neuron(self, netuid: int, uid: int, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return self._read(info.neuron, block_hash, netuid, uid, lite=False)

    def subnet_info(self, netuid: int, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return self._read(info.subnet_info, block_hash, netuid)

    def subnets_info(self, block_hash: bytes | None = None) -> list[dict[str, Any] | None]:
        return self._read(info.subnets_info, block_hash)

    def subnet_hyperparams(self, netuid: int, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return self._read(info.subnet_hyperparams, block_hash, netuid)

    def delegates(self, block_hash: bytes | None = None) -> list[dict[str, Any]]:
        return self._read(info.delegates, block_hash)

    def delegate(self, hotkey: bytes, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return self._read(info.delegate, block_hash, bytes(hotkey))

    def delegated(self, coldkey: bytes, block_hash: bytes | None = None) -> list[tuple[dict[str, Any], int]]:
        return self._read(info.delegated, block_hash, bytes(coldkey))

    def stake_info(self, coldkey: bytes, block_hash: bytes | None = None) -> list[dict[str, Any]]:
        return self._read(info.stake_info, block_hash, bytes(coldkey))

    def stake_info_many(
        self, coldkeys: list[bytes], block_hash: bytes | None = None
    ) -> list[tuple[bytes, list[dict[str, Any]]]]:
        with self._lock:
            v = self.view(block_hash)
            return [(bytes(c), info.stake_info(v, bytes(c))) for c in coldkeys]

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def dev_keys() -> dict[str, bytes]:
        """Public keys of //Alice ... //Ferdie."""
        return dict(DEV_ACCOUNTS)

    def pending_events(self) -> list[EventRecord]:
        """Event records of the block being built so far."""
        with self._lock:
            return list(self._records)


__all__ = ["BlockHeader", "DispatchResult", "Engine", "Event", "InvalidTransaction"]

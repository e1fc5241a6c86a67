"""The node's core: the engine, the transaction pool, block sealing and subscription fan-out.

All engine access happens on the event loop's thread (the engine is synchronous and quick), serialised
by one lock, so concurrent clients see a consistent order: each submitted extrinsic is checked
(format, signature, era, nonce), applied to the block being built, and its watchers are told
``ready``, then ``inBlock`` and ``finalized`` (the localnet finalises instantly) when the block is sealed.
Extrinsics with a future nonce wait in the pool until the nonce gap closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bt_llm.errors import SignatureError
from bt_llm.localnet.node import extrinsic as xtmod
from bt_llm.localnet.node.rpc import POOL_INVALID_TX, RpcFailure, Session, new_subscription_id
from bt_llm.localnet.node.runtime import Runtime, runtime

if TYPE_CHECKING:
    from bt_llm.localnet.engine import Engine

log = logging.getLogger(__name__)

VERIFICATION_ERROR = 1002
MAX_FUTURE_PER_ACCOUNT = 64
MAX_EXPIRED_WINDOWS = 32  # how far back an expired mortal extrinsic is recognised as such
# The engine's refusal reasons, as Substrate words them.
INVALID_REASONS = {
    "Stale": "Transaction is outdated",
    "Future": "Transaction will be valid in the future",
    "Payment": "Inability to pay some fees (e.g. account balance too low)",
}


def invalid_tx(reason: str) -> RpcFailure:
    """Substrate's ``1010: Invalid Transaction`` with the reason as data."""
    return RpcFailure(POOL_INVALID_TX, "Invalid Transaction", reason)


def header_json(header: Any) -> dict[str, Any]:
    """A block header as Substrate's JSON-RPC renders it."""
    return {
        "parentHash": "0x" + bytes(header.parent_hash).hex(),
        "number": hex(header.number),
        "stateRoot": "0x" + bytes(header.state_root).hex(),
        "extrinsicsRoot": "0x" + bytes(header.extrinsics_root).hex(),
        "digest": {"logs": []},
    }


@dataclass
class _Watch:
    session: Session
    subscription: str


@dataclass
class _Pending:
    xt: xtmod.SignedExtrinsic
    call: Any
    watchers: list[_Watch] = field(default_factory=list)


class Node:
    """Wraps an engine with pool, sealing and notifications. Create it inside the running event loop."""

    def __init__(self, engine: Engine, *, block_time: float = 1.0, manual_seal: bool = False,
                 instant_seal: bool = False, rt: Runtime | None = None) -> None:
        self.engine = engine
        self.runtime = rt or runtime()
        self.block_time = block_time
        self.manual_seal = manual_seal
        self.instant_seal = instant_seal  # seal a block as soon as an extrinsic is ready
        self._background: set[asyncio.Task[Any]] = set()
        # Encoded answers of the bulk readers per (reader, args, sealed block): see custom_rpc.read.
        self.reader_cache: OrderedDict[Any, bytes] = OrderedDict()
        self._last_timestamp = 0
        self.genesis_hash: bytes = bytes(engine.block_hash(0))

        self._lock = asyncio.Lock()
        self._in_block: list[_Pending] = []  # applied to the block being built
        self._future: dict[tuple[bytes, int], _Pending] = {}
        self._head_subs: dict[str, Session] = {}
        self._finalized_subs: dict[str, Session] = {}
        self._storage_subs: dict[str, tuple[Session, dict[bytes, bytes | None]]] = {}
        self._producer: asyncio.Task[None] | None = None
        # The engine's "refused before touching state" exception (InvalidTransaction in its module).
        refusal = getattr(engine, "InvalidTransaction", None)
        if refusal is None:
            refusal = importlib.import_module(type(engine).__module__).InvalidTransaction
        self._refusal: type[Exception] = refusal

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Start timed block production unless sealing is manual."""
        if not self.manual_seal and self.block_time > 0 and self._producer is None:
            self._producer = asyncio.get_running_loop().create_task(self._produce())

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
            self._producer = None
        close = getattr(self.engine, "close", None)
        if close is not None:
            close()

    async def _produce(self) -> None:
        while True:
            await asyncio.sleep(self.block_time)
            try:
                await self.seal(1)
            except Exception:
                log.exception("block production failed")

    # -- reads --------------------------------------------------------------------------------------
    def resolve_hash(self, block_hash: bytes | None) -> bytes:
        """``block_hash`` or the head's; unknown hashes raise an RPC error."""
        if block_hash is None:
            return bytes(self.engine.head.hash)
        if self.engine.header(block_hash) is None:
            raise RpcFailure(4003, "Client error", f"UnknownBlock: header not found for 0x{block_hash.hex()}")
        return block_hash

    # -- submission ---------------------------------------------------------------------------------
    async def submit(self, raw: bytes, watch: _Watch | None = None) -> bytes:
        """Check and pool an extrinsic; returns its hash. Raises RpcFailure for invalid ones."""
        async with self._lock:
            pending = self._check(raw)
            if watch is not None:
                pending.watchers.append(watch)
            expected = int(self.engine.account_nonce(pending.xt.signer))
            if pending.xt.nonce < expected:
                raise invalid_tx("Transaction is outdated")
            if pending.xt.nonce > expected:
                key = (pending.xt.signer, pending.xt.nonce)
                if key in self._future:
                    raise RpcFailure(1013, "Transaction Already Imported")
                if sum(1 for s, _ in self._future if s == pending.xt.signer) >= MAX_FUTURE_PER_ACCOUNT:
                    raise RpcFailure(1014, "Priority is too low", "too many future transactions")
                self._future[key] = pending
                self._notify_soon(pending, "future")
                return pending.xt.hash
            self._apply(pending)
            self._notify_soon(pending, "ready")
            await self._release_future(pending.xt.signer)
        if self.instant_seal:
            self._background_task(self._seal_soon())
        return pending.xt.hash

    def _background_task(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _notify_soon(self, pending: _Pending, status: Any) -> None:
        """Notify after the submitter's answer (the subscription id) has gone out, as Substrate does."""
        if pending.watchers:
            self._background_task(self._notify_after_a_tick(pending, status))

    async def _notify_after_a_tick(self, pending: _Pending, status: Any) -> None:
        await asyncio.sleep(0)
        await self._notify(pending, status)

    async def _seal_soon(self) -> None:
        await asyncio.sleep(0)  # let the submitter's answer go out first
        if self._in_block:
            try:
                await self.seal(1)
            except Exception:  # a failed block must not kill the node
                log.exception("instant seal failed")

    def _check(self, raw: bytes) -> _Pending:
        from bt_llm.localnet import schema
        from bt_llm.localnet.codec import CodecError

        try:
            xt = xtmod.parse_extrinsic(raw)
        except (xtmod.ExtrinsicFormatError, IndexError) as exc:
            raise RpcFailure(VERIFICATION_ERROR, "Verification Error", f"Could not decode extrinsic: {exc}") from None
        try:
            call = schema.decode_call(xt.call)
        except (CodecError, IndexError, KeyError) as exc:
            raise RpcFailure(VERIFICATION_ERROR, "Verification Error", f"Could not decode call: {exc}") from None
        head = int(self.engine.head.number)
        candidates: list[bytes] = []
        if xt.era.is_immortal:
            candidates.append(self.genesis_hash)
        else:
            for current in (head + 1, head):
                birth = xt.era.birth(current)
                block_hash = self.engine.block_hash(birth) if birth <= head else None
                if block_hash is not None and bytes(block_hash) not in candidates:
                    candidates.append(bytes(block_hash))
            if not candidates:
                raise invalid_tx("Transaction has an ancient birth block")
        try:
            xtmod.check_signature(xt, spec_version=self.runtime.spec_version,
                                  transaction_version=self.runtime.transaction_version,
                                  genesis_hash=self.genesis_hash, era_block_hashes=candidates)
        except SignatureError:
            if self._signed_in_an_older_window(xt, head):
                raise invalid_tx("Transaction has an ancient birth block") from None
            raise invalid_tx("Transaction has a bad signature") from None
        return _Pending(xt=xt, call=call)

    def _signed_in_an_older_window(self, xt: xtmod.SignedExtrinsic, head: int) -> bool:
        """Whether a mortal extrinsic's signature is good for an earlier (expired) window."""
        if xt.era.is_immortal:
            return False
        hashes = []
        birth = xt.era.birth(head + 1) - xt.era.period
        while birth >= 0 and len(hashes) < MAX_EXPIRED_WINDOWS:
            block_hash = self.engine.block_hash(birth)
            if block_hash is not None:
                hashes.append(bytes(block_hash))
            birth -= xt.era.period
        if not hashes:
            return False
        try:
            xtmod.check_signature(xt, spec_version=self.runtime.spec_version,
                                  transaction_version=self.runtime.transaction_version,
                                  genesis_hash=self.genesis_hash, era_block_hashes=hashes)
        except SignatureError:
            return False
        return True

    def _apply(self, pending: _Pending) -> None:
        xt = pending.xt
        try:
            self.engine.apply(pending.call, signer=xt.signer, nonce=xt.nonce, length=xt.length, extrinsic=xt.raw)
        except self._refusal as exc:
            reason = str(getattr(exc, "reason", exc))
            raise invalid_tx(INVALID_REASONS.get(reason, reason)) from None
        self._in_block.append(pending)

    async def _release_future(self, signer: bytes) -> None:
        while True:
            expected = int(self.engine.account_nonce(signer))
            pending = self._future.pop((signer, expected), None)
            if pending is None:
                return
            try:
                self._apply(pending)
            except RpcFailure as failure:
                await self._notify(pending, "invalid")
                for watch in pending.watchers:
                    watch.session.remove_subscription(watch.subscription)
                log.info("future extrinsic dropped: %s", failure.data)
                continue
            await self._notify(pending, "ready")

    async def _notify(self, pending: _Pending, status: Any) -> None:
        for watch in pending.watchers:
            await watch.session.notify("author_extrinsicUpdate", watch.subscription, status)

    def watch(self, session: Session) -> _Watch:
        subscription = new_subscription_id()
        session.add_subscription(subscription, lambda: None)
        return _Watch(session=session, subscription=subscription)

    # -- sealing ------------------------------------------------------------------------------------
    async def seal(self, count: int = 1) -> list[bytes]:
        """Seal ``count`` blocks; returns their hashes."""
        hashes = []
        for _ in range(max(1, count)):
            async with self._lock:
                self._timestamp_inherent()
                header = self.engine.seal_block()
                included, self._in_block = self._in_block, []
            block_hash = "0x" + bytes(header.hash).hex()
            for pending in included:
                await self._notify(pending, {"inBlock": block_hash})
            for pending in included:
                await self._notify(pending, {"finalized": block_hash})
                for watch in pending.watchers:
                    watch.session.remove_subscription(watch.subscription)
            await self._notify_storage(bytes(header.hash))
            rendered = header_json(header)
            for subscription, session in list(self._head_subs.items()):
                await session.notify("chain_newHead", subscription, rendered)
            for subscription, session in list(self._finalized_subs.items()):
                await session.notify("chain_finalizedHead", subscription, rendered)
            hashes.append(bytes(header.hash))
        return hashes

    def pending_extrinsics(self) -> list[str]:
        """Extrinsics applied to the block being built, then those waiting for their nonce."""
        return ["0x" + p.xt.raw.hex() for p in [*self._in_block, *self._future.values()]]

    def _timestamp_inherent(self) -> None:
        """Set ``Timestamp.Now`` (ms, strictly increasing) of the block being sealed, as the inherent does."""
        set_timestamp = getattr(self.engine, "set_timestamp", None)
        if set_timestamp is None:
            return
        self._last_timestamp = max(int(time.time() * 1000), self._last_timestamp + 1)
        set_timestamp(self._last_timestamp)

    async def with_engine(self, fn: Any) -> Any:
        """Run ``fn(engine)`` between RPCs (under the node's lock), e.g. to set up state in a test."""
        async with self._lock:
            return fn(self.engine)

    # -- head subscriptions -------------------------------------------------------------------------
    def subscribe_heads(self, session: Session, *, finalized: bool) -> str:
        session.require_subscriptions()
        subscription = new_subscription_id()
        subs = self._finalized_subs if finalized else self._head_subs
        subs[subscription] = session
        session.add_subscription(subscription, lambda: subs.pop(subscription, None))
        return subscription

    # -- storage subscriptions ----------------------------------------------------------------------
    async def subscribe_storage(self, session: Session, keys: list[bytes]) -> str:
        """Watch ``keys``: their current values now, then each sealed block's changes (``state_storage``)."""
        session.require_subscriptions()
        subscription = new_subscription_id()
        head = bytes(self.engine.head.hash)
        values = {key: self.engine.storage_at(key, head) for key in keys}
        self._storage_subs[subscription] = (session, values)
        session.add_subscription(subscription, lambda: self._storage_subs.pop(subscription, None))
        await session.notify("state_storage", subscription, _changes(head, values))
        return subscription

    async def _notify_storage(self, block_hash: bytes) -> None:
        for subscription, (session, values) in list(self._storage_subs.items()):
            changed = {}
            for key, old in values.items():
                new = self.engine.storage_at(key, block_hash)
                if new != old:
                    values[key] = new
                    changed[key] = new
            if changed:
                await session.notify("state_storage", subscription, _changes(block_hash, changed))


def _changes(block_hash: bytes, values: dict[bytes, bytes | None]) -> dict[str, Any]:
    return {
        "block": "0x" + block_hash.hex(),
        "changes": [["0x" + k.hex(), None if v is None else "0x" + bytes(v).hex()] for k, v in values.items()],
    }

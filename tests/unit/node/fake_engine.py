"""A tiny in-memory engine with the Engine API shape, for node tests that need no real pallet logic.

It knows ``Balances.transfer`` / ``transfer_keep_alive`` only, keeps every block's state (archive),
and writes ``System.Account`` and ``System.Events`` with the schema's codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bt_llm.localnet import schema
from bt_llm.localnet.codec import decode, encode
from bt_llm.localnet.node.extrinsic import blake2_256, encode_compact
from bt_llm.localnet.storage import storage_key


class InvalidTransaction(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    extrinsics_root: bytes


def account_info(free: int, nonce: int = 0) -> dict[str, Any]:
    return {"nonce": nonce, "consumers": 0, "providers": 1, "sufficients": 0,
            "data": {"free": free, "reserved": 0, "misc_frozen": 0, "fee_frozen": 0}}


class FakeEngine:
    InvalidTransaction = InvalidTransaction

    def __init__(self, balances: dict[bytes, int]) -> None:
        self._pending: dict[bytes, bytes] = {
            storage_key("System", "Account", who): encode("AccountInfo", account_info(free))
            for who, free in balances.items()
        }
        self._pending_xts: list[bytes] = []
        self._events: list[schema.EventRecord] = []
        self._states: dict[bytes, dict[bytes, bytes]] = {}
        self._blocks: list[BlockHeader] = []
        self._xts: dict[bytes, list[bytes]] = {}
        self.seal_block()

    # -- reads
    @property
    def head(self) -> BlockHeader:
        return self._blocks[-1]

    @property
    def pending_number(self) -> int:
        return len(self._blocks)

    def block_hash(self, number: int) -> bytes | None:
        return self._blocks[number].hash if 0 <= number < len(self._blocks) else None

    def header(self, block_hash: bytes) -> BlockHeader | None:
        return next((h for h in self._blocks if h.hash == block_hash), None)

    def storage_at(self, key: bytes, block_hash: bytes | None = None) -> bytes | None:
        return self._states[block_hash or self.head.hash].get(bytes(key))

    def storage_keys_paged(self, prefix: bytes, count: int, start_key: bytes | None = None,
                           block_hash: bytes | None = None) -> list[bytes]:
        keys = sorted(k for k in self._states[block_hash or self.head.hash] if k.startswith(prefix))
        if start_key is not None:
            keys = [k for k in keys if k > start_key]
        return keys[:count]

    def extrinsics_at(self, block_hash: bytes) -> list[bytes]:
        return list(self._xts.get(block_hash, []))

    def _info(self, who: bytes) -> dict[str, Any]:
        raw = self._pending.get(storage_key("System", "Account", who))
        return decode("AccountInfo", raw) if raw else account_info(0)

    def account_nonce(self, who: bytes) -> int:
        return int(self._info(who)["nonce"])

    def fee_for(self, call: schema.Call, length: int) -> int:
        return length if call.pallet == "Balances" else 0

    # -- writes
    def apply(self, call: schema.Call, *, signer: bytes, nonce: int, length: int, extrinsic: bytes) -> None:
        info = self._info(signer)
        if nonce < info["nonce"]:
            raise InvalidTransaction("Stale")
        if nonce > info["nonce"]:
            raise InvalidTransaction("Future")
        fee = self.fee_for(call, length)
        if info["data"]["free"] < fee:
            raise InvalidTransaction("Payment")
        info["nonce"] += 1
        info["data"]["free"] -= fee
        self._put(signer, info)
        index = len(self._pending_xts)
        self._pending_xts.append(bytes(extrinsic))
        dispatch_info = {"weight": {"ref_time": 0, "proof_size": 0}, "class": "Normal", "pays_fee": "Yes"}
        events = []
        ok = False
        if call.pallet == "Balances" and call.name in ("transfer", "transfer_keep_alive"):
            dest = call.args["dest"][1]
            amount = call.args["value"]
            if info["data"]["free"] >= amount:
                info["data"]["free"] -= amount
                self._put(signer, info)
                other = self._info(dest)
                other["data"]["free"] += amount
                self._put(dest, other)
                events.append(schema.Event("Balances", "Transfer", (signer, dest, amount)))
                ok = True
            error = schema.error_index("Balances", "InsufficientBalance")
        else:
            error = schema.error_index("System", "CallFiltered")
        if ok:
            events.append(schema.Event("System", "ExtrinsicSuccess", (dispatch_info,)))
        else:
            module_error = ("Module", {"index": error[0], "error": bytes([error[1], 0, 0, 0])})
            events.append(schema.Event("System", "ExtrinsicFailed", (module_error, dispatch_info)))
        self._events += [schema.EventRecord(("ApplyExtrinsic", index), e) for e in events]
        self._pending[storage_key("System", "Events")] = schema.encode_event_records(self._events)

    def _put(self, who: bytes, info: dict[str, Any]) -> None:
        self._pending[storage_key("System", "Account", who)] = encode("AccountInfo", info)

    def seal_block(self) -> BlockHeader:
        parent = self._blocks[-1].hash if self._blocks else bytes(32)
        number = len(self._blocks)
        state_root = blake2_256(b"".join(k + v for k, v in sorted(self._pending.items())))
        xts_root = blake2_256(encode_compact(len(self._pending_xts)) + b"".join(self._pending_xts))
        body = parent + encode_compact(number) + state_root + xts_root + b"\x00"
        header = BlockHeader(number, blake2_256(body), parent, state_root, xts_root)
        self._blocks.append(header)
        self._states[header.hash] = dict(self._pending)
        self._xts[header.hash] = self._pending_xts
        self._pending_xts = []
        self._events = []
        self._pending.pop(storage_key("System", "Events"), None)
        return header

    reads = 0

    def neurons_lite(self, netuid: int, block_hash: bytes | None = None) -> list[Any]:
        self.reads += 1
        return []

    def neuron(self, netuid: int, uid: int, block_hash: bytes | None = None) -> dict[str, Any] | None:
        return None

    def close(self) -> None:
        pass

"""``author_*``: submitting extrinsics (with or without watching), and manual sealing (``engine_createBlock``)."""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.node.rpc import Dispatcher, Session, hex_param, invalid_params, param
from bt_llm.localnet.node.service import Node

MAX_SEAL_PER_CALL = 10_000


def register(dispatcher: Dispatcher, node: Node) -> None:
    async def submit(session: Session, params: list[Any]) -> str:
        raw = hex_param(params, 0, name="extrinsic")
        return "0x" + (await node.submit(raw)).hex()

    async def submit_and_watch(session: Session, params: list[Any]) -> str:
        session.require_subscriptions()
        raw = hex_param(params, 0, name="extrinsic")
        watch = node.watch(session)
        try:
            await node.submit(raw, watch)
        except BaseException:
            session.remove_subscription(watch.subscription)
            raise
        return watch.subscription

    async def unwatch(session: Session, params: list[Any]) -> bool:
        subscription = param(params, 0)
        return isinstance(subscription, str) and session.remove_subscription(subscription)

    async def pending(session: Session, params: list[Any]) -> list[str]:
        return node.pending_extrinsics()

    async def create_block(session: Session, params: list[Any]) -> dict[str, Any]:
        (block_hash,) = await node.seal(1)
        return {"hash": "0x" + block_hash.hex(), "aux": {"header_modified": False}}

    async def seal_blocks(session: Session, params: list[Any]) -> list[str]:
        count = param(params, 0, 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEAL_PER_CALL:
            raise invalid_params(f"count must be an integer in 1..{MAX_SEAL_PER_CALL}")
        return ["0x" + h.hex() for h in await node.seal(count)]

    # the method table, one dispatcher.add per RPC name: alike in every node module by design
    dispatcher.add("author_submitExtrinsic", submit)
    dispatcher.add("author_submitAndWatchExtrinsic", submit_and_watch)
    dispatcher.add("author_unwatchExtrinsic", unwatch)
    dispatcher.add("author_pendingExtrinsics", pending)
    dispatcher.add("engine_createBlock", create_block)
    dispatcher.add("localnet_sealBlocks", seal_blocks)

"""``chain_*``: heads, headers, blocks and head subscriptions."""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.node.rpc import Dispatcher, Session, hex_param, invalid_params, param
from bt_llm.localnet.node.service import Node, header_json

MAX_BLOCK_NUMBER = 2**32 - 1  # subtensor's BlockNumber is a u32


def block_number_param(value: Any) -> int | None:
    """A block number given as int, decimal or ``0x`` hex string; None for absent.

    Like Substrate's ``NumberOrHex``, a number beyond ``u32::MAX`` is an invalid parameter (not a missing block).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid_params("block number must be an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value.startswith("0x") else int(value)
        except ValueError as exc:
            raise invalid_params("block number is not a number") from exc
    else:
        raise invalid_params("block number must be an integer")
    if not 0 <= number <= MAX_BLOCK_NUMBER:
        raise invalid_params(f"block number must be in 0..{MAX_BLOCK_NUMBER} (u32)")
    return number


def register(dispatcher: Dispatcher, node: Node) -> None:
    engine = node.engine

    def one_hash(value: Any) -> str | None:
        number = block_number_param(value)
        if number is None:
            return "0x" + bytes(engine.head.hash).hex()
        block_hash = engine.block_hash(number)
        return None if block_hash is None else "0x" + bytes(block_hash).hex()

    async def get_block_hash(session: Session, params: list[Any]) -> str | list[str | None] | None:
        value = param(params, 0)
        if isinstance(value, list):  # Substrate also takes a list of numbers and answers a list
            if len(value) > 1000:
                raise invalid_params("at most 1000 block numbers")
            return [one_hash(v) for v in value]
        return one_hash(value)

    async def get_head(session: Session, params: list[Any]) -> str:
        return "0x" + bytes(engine.head.hash).hex()

    async def get_header(session: Session, params: list[Any]) -> dict[str, Any] | None:
        block_hash = hex_param(params, 0, name="hash", required=False)
        header = engine.head if block_hash is None else engine.header(block_hash)
        return None if header is None else header_json(header)

    async def get_block(session: Session, params: list[Any]) -> dict[str, Any] | None:
        block_hash = hex_param(params, 0, name="hash", required=False)
        header = engine.head if block_hash is None else engine.header(block_hash)
        if header is None:
            return None
        extrinsics = engine.extrinsics_at(bytes(header.hash))
        return {
            "block": {"header": header_json(header), "extrinsics": ["0x" + bytes(x).hex() for x in extrinsics]},
            "justifications": None,
        }

    async def subscribe_new_heads(session: Session, params: list[Any]) -> str:
        subscription = node.subscribe_heads(session, finalized=False)
        await session.notify("chain_newHead", subscription, header_json(engine.head))
        return subscription

    async def subscribe_finalized_heads(session: Session, params: list[Any]) -> str:
        subscription = node.subscribe_heads(session, finalized=True)
        await session.notify("chain_finalizedHead", subscription, header_json(engine.head))
        return subscription

    async def unsubscribe(session: Session, params: list[Any]) -> bool:
        subscription = param(params, 0)
        return isinstance(subscription, str) and session.remove_subscription(subscription)

    dispatcher.add("chain_getBlockHash", get_block_hash, "chain_getBlockHashes")
    dispatcher.add("chain_getHead", get_head, "chain_getFinalizedHead", "chain_getFinalisedHead")
    dispatcher.add("chain_getHeader", get_header)
    dispatcher.add("chain_getBlock", get_block)
    dispatcher.add("chain_subscribeNewHeads", subscribe_new_heads, "chain_subscribeNewHead",
                   "subscribe_newHead", "chain_subscribeAllHeads")
    dispatcher.add("chain_subscribeFinalizedHeads", subscribe_finalized_heads, "chain_subscribeFinalisedHeads")
    dispatcher.add("chain_unsubscribeNewHeads", unsubscribe, "chain_unsubscribeNewHead", "unsubscribe_newHead",
                   "chain_unsubscribeAllHeads", "chain_unsubscribeFinalizedHeads", "chain_unsubscribeFinalisedHeads")

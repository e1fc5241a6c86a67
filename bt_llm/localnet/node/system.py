"""``system_*`` and ``rpc_methods``: who the node is, and what it answers."""

from __future__ import annotations

from typing import Any

from bt_llm.errors import AddressError
from bt_llm.localnet.node.rpc import Dispatcher, Session, invalid_params, param
from bt_llm.localnet.node.runtime import CHAIN_NAME, NODE_NAME
from bt_llm.localnet.node.service import Node

PROPERTIES = {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}


def account_param(params: list[Any], index: int) -> bytes:
    """A 32-byte account from an ss58 string, ``0x`` hex or a list of ints."""
    from bt_llm.localnet.codec import account_bytes

    value = param(params, index)
    if isinstance(value, list):
        try:
            raw = bytes(value)
        except (TypeError, ValueError) as exc:
            raise invalid_params("account must be a list of byte values") from exc
        if len(raw) != 32:
            raise invalid_params("an account is 32 bytes")
        return raw
    if not isinstance(value, str):
        raise invalid_params("missing account")
    try:
        return account_bytes(value)
    except AddressError as exc:
        raise invalid_params(str(exc)) from exc


def register(dispatcher: Dispatcher, node: Node) -> None:
    from bt_llm import __version__

    async def chain(session: Session, params: list[Any]) -> str:
        return CHAIN_NAME

    async def name(session: Session, params: list[Any]) -> str:
        return NODE_NAME

    async def version(session: Session, params: list[Any]) -> str:
        return __version__

    async def properties(session: Session, params: list[Any]) -> dict[str, Any]:
        return dict(PROPERTIES)

    async def health(session: Session, params: list[Any]) -> dict[str, Any]:
        return {"peers": 0, "isSyncing": False, "shouldHavePeers": False}

    async def chain_type(session: Session, params: list[Any]) -> str:
        return "Development"

    async def peers(session: Session, params: list[Any]) -> list[Any]:
        return []

    async def next_index(session: Session, params: list[Any]) -> int:
        return int(node.engine.account_nonce(account_param(params, 0)))

    async def node_roles(session: Session, params: list[Any]) -> list[str]:
        return ["Authority"]

    async def sync_state(session: Session, params: list[Any]) -> dict[str, int]:
        number = int(node.engine.head.number)
        return {"startingBlock": 0, "currentBlock": number, "highestBlock": number}

    async def methods(session: Session, params: list[Any]) -> dict[str, Any]:
        return {"version": 1, "methods": sorted(dispatcher.methods)}

    # the method table, one dispatcher.add per RPC name: alike in every node module by design
    dispatcher.add("system_chain", chain)
    dispatcher.add("system_name", name)
    dispatcher.add("system_version", version)
    dispatcher.add("system_properties", properties)
    dispatcher.add("system_health", health)
    dispatcher.add("system_chainType", chain_type)
    dispatcher.add("system_peers", peers)
    dispatcher.add("system_accountNextIndex", next_index, "account_nextIndex")
    dispatcher.add("system_nodeRoles", node_roles)
    dispatcher.add("system_syncState", sync_state)
    dispatcher.add("rpc_methods", methods)

"""``state_*``: storage by raw key at any block, key paging, metadata, runtime version, ``state_call``."""

from __future__ import annotations

from typing import Any

from bt_llm.localnet.node.rpc import Dispatcher, RpcFailure, Session, hex_param, invalid_params, param
from bt_llm.localnet.node.service import Node

MAX_PAGE = 1000


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def register(dispatcher: Dispatcher, node: Node) -> None:
    from bt_llm.localnet.node.custom_rpc import call_runtime_api

    engine = node.engine

    async def get_storage(session: Session, params: list[Any]) -> str | None:
        key = hex_param(params, 0, name="key")
        block_hash = node.resolve_hash(hex_param(params, 1, name="block_hash", required=False))
        return _hex(engine.storage_at(key, block_hash))

    async def get_storage_hash(session: Session, params: list[Any]) -> str | None:
        from bt_llm.localnet.node.extrinsic import blake2_256

        key = hex_param(params, 0, name="key")
        block_hash = node.resolve_hash(hex_param(params, 1, name="block_hash", required=False))
        value = engine.storage_at(key, block_hash)
        return None if value is None else _hex(blake2_256(bytes(value)))

    async def get_storage_size(session: Session, params: list[Any]) -> int | None:
        key = hex_param(params, 0, name="key")
        block_hash = node.resolve_hash(hex_param(params, 1, name="block_hash", required=False))
        value = engine.storage_at(key, block_hash)
        return None if value is None else len(value)

    async def get_keys_paged(session: Session, params: list[Any]) -> list[str]:
        prefix = hex_param(params, 0, name="prefix", required=False) or b""
        count = param(params, 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise invalid_params("count must be a non-negative integer")
        start = hex_param(params, 2, name="start_key", required=False)
        block_hash = node.resolve_hash(hex_param(params, 3, name="block_hash", required=False))
        keys = engine.storage_keys_paged(prefix, min(count, MAX_PAGE), start or None, block_hash)
        return [_hex(k) for k in keys]

    async def get_keys(session: Session, params: list[Any]) -> list[str]:
        prefix = hex_param(params, 0, name="prefix", required=False) or b""
        block_hash = node.resolve_hash(hex_param(params, 1, name="block_hash", required=False))
        out: list[str] = []
        start: bytes | None = None
        while True:
            keys = engine.storage_keys_paged(prefix, MAX_PAGE, start, block_hash)
            out.extend(_hex(k) for k in keys)
            if len(keys) < MAX_PAGE:
                return out
            start = bytes(keys[-1])

    async def query_storage_at(session: Session, params: list[Any]) -> list[dict[str, Any]]:
        keys = param(params, 0)
        if not isinstance(keys, list):
            raise invalid_params("keys must be an array of hex strings")
        block_hash = node.resolve_hash(hex_param(params, 1, name="block_hash", required=False))
        changes = []
        for index in range(len(keys)):
            key = hex_param(keys, index, name="key")
            changes.append([_hex(key), _hex(engine.storage_at(key, block_hash))])
        return [{"block": _hex(block_hash), "changes": changes}]

    async def get_metadata(session: Session, params: list[Any]) -> str:
        node.resolve_hash(hex_param(params, 0, name="block_hash", required=False))
        return node.runtime.metadata_hex

    async def get_runtime_version(session: Session, params: list[Any]) -> dict[str, Any]:
        node.resolve_hash(hex_param(params, 0, name="block_hash", required=False))
        return node.runtime.version()

    async def state_call(session: Session, params: list[Any]) -> str:
        method = param(params, 0)
        if not isinstance(method, str):
            raise invalid_params("method must be a string")
        data = hex_param(params, 1, name="data", required=False) or b""
        block_hash = node.resolve_hash(hex_param(params, 2, name="block_hash", required=False))
        result = call_runtime_api(node, method, data, block_hash)
        if result is None:
            raise RpcFailure(4003, "Client error", f"Execution failed: Other: Exported method {method} is not found")
        return _hex(result)

    async def subscribe_storage(session: Session, params: list[Any]) -> str:
        keys = param(params, 0, [])
        if not isinstance(keys, list) or not keys or len(keys) > MAX_PAGE:
            raise invalid_params(f"keys must be an array of 1..{MAX_PAGE} hex strings")
        return await node.subscribe_storage(session, [hex_param(keys, i, name="key") for i in range(len(keys))])

    async def unsubscribe(session: Session, params: list[Any]) -> bool:
        subscription = param(params, 0)
        return isinstance(subscription, str) and session.remove_subscription(subscription)

    dispatcher.add("state_subscribeStorage", subscribe_storage)
    dispatcher.add("state_unsubscribeStorage", unsubscribe)
    dispatcher.add("state_getStorageAt", get_storage, "state_getStorage")
    dispatcher.add("state_getStorageHash", get_storage_hash, "state_getStorageHashAt")
    dispatcher.add("state_getStorageSize", get_storage_size, "state_getStorageSizeAt")
    dispatcher.add("state_getKeysPaged", get_keys_paged, "state_getKeysPagedAt")
    dispatcher.add("state_getKeys", get_keys)
    dispatcher.add("state_queryStorageAt", query_storage_at)
    dispatcher.add("state_getMetadata", get_metadata)
    dispatcher.add("state_getRuntimeVersion", get_runtime_version, "chain_getRuntimeVersion")
    dispatcher.add("state_call", state_call, "state_callAt")

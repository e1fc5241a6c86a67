"""Storage reads: every key is built by substrate-interface from the node's metadata.

Each function takes a :class:`ChainConnection` and an optional block hash (``None``: the head) and
returns plain Python values (ints in rao, ss58 strings), never scalecodec objects.
"""

from __future__ import annotations

from typing import Any

from bt_llm.chain.chain_data import ProposalVoteData
from bt_llm.chain.connection import ChainConnection

SUBTENSOR = "SubtensorModule"


def storage(conn: ChainConnection, module: str, item: str, params: list[Any] | None = None,
            block_hash: str | None = None) -> Any:
    """One storage value (the metadata default when unset), as a Python value."""
    def read(substrate: Any) -> Any:
        result = substrate.query(module, item, params or [], block_hash=block_hash)
        return None if result is None else result.value

    return conn.run(read)


def storage_map(conn: ChainConnection, module: str, item: str, params: list[Any] | None = None,
                block_hash: str | None = None, page_size: int = 1000) -> list[tuple[Any, Any]]:
    """Every ``(key, value)`` of a map (under the given leading keys), as Python values."""
    def read(substrate: Any) -> list[tuple[Any, Any]]:
        result = substrate.query_map(module, item, params or [], block_hash=block_hash, page_size=page_size)
        return [(key.value, value.value) for key, value in result]

    return conn.run(read)


def constant(conn: ChainConnection, module: str, name: str, block_hash: str | None = None) -> Any:
    def read(substrate: Any) -> Any:
        result = substrate.get_constant(module, name, block_hash=block_hash)
        return None if result is None else result.value

    return conn.run(read)


def subtensor(conn: ChainConnection, item: str, params: list[Any] | None = None,
              block_hash: str | None = None) -> Any:
    """A ``SubtensorModule`` storage value."""
    return storage(conn, SUBTENSOR, item, params, block_hash)


def free_balance(conn: ChainConnection, ss58: str, block_hash: str | None = None) -> int:
    """``System.Account[ss58].data.free`` in rao."""
    account = storage(conn, "System", "Account", [ss58], block_hash)
    return int(account["data"]["free"]) if account else 0


def subnet_netuids(conn: ChainConnection, block_hash: str | None = None) -> list[int]:
    """Every netuid in ``NetworksAdded``, ascending."""
    return sorted(int(k) for k, added in storage_map(conn, SUBTENSOR, "NetworksAdded", block_hash=block_hash)
                  if added)


def uid_for_hotkey(conn: ChainConnection, netuid: int, hotkey: str, block_hash: str | None = None) -> int | None:
    value = subtensor(conn, "Uids", [netuid, hotkey], block_hash)
    return None if value is None else int(value)


def stake(conn: ChainConnection, hotkey: str, coldkey: str, block_hash: str | None = None) -> int:
    return int(subtensor(conn, "Stake", [hotkey, coldkey], block_hash) or 0)


def owner(conn: ChainConnection, hotkey: str, block_hash: str | None = None) -> str | None:
    value = subtensor(conn, "Owner", [hotkey], block_hash)
    if not value or value == "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM":  # the zero account: unset
        return None
    return str(value)


def weights(conn: ChainConnection, netuid: int, block_hash: str | None = None) -> dict[int, list[tuple[int, int]]]:
    """``Weights[netuid]``: uid -> [(uid, u16)]."""
    return {int(uid): [(int(a), int(b)) for a, b in row]
            for uid, row in storage_map(conn, SUBTENSOR, "Weights", [netuid], block_hash)}


def bonds(conn: ChainConnection, netuid: int, block_hash: str | None = None) -> dict[int, list[tuple[int, int]]]:
    """``Bonds[netuid]``: uid -> [(uid, u16)]."""
    return {int(uid): [(int(a), int(b)) for a, b in row]
            for uid, row in storage_map(conn, SUBTENSOR, "Bonds", [netuid], block_hash)}


def senate_members(conn: ChainConnection, block_hash: str | None = None) -> list[str]:
    return list(storage(conn, "SenateMembers", "Members", [], block_hash) or [])


def proposal_hashes(conn: ChainConnection, block_hash: str | None = None) -> list[str]:
    return list(storage(conn, "Triumvirate", "Proposals", [], block_hash) or [])


def proposal_call(conn: ChainConnection, proposal_hash: str, block_hash: str | None = None) -> Any:
    return storage(conn, "Triumvirate", "ProposalOf", [proposal_hash], block_hash)


def proposal_votes(conn: ChainConnection, proposal_hash: str, block_hash: str | None = None) -> ProposalVoteData | None:
    value = storage(conn, "Triumvirate", "Voting", [proposal_hash], block_hash)
    if not value:
        return None
    return ProposalVoteData(index=int(value["index"]), threshold=int(value["threshold"]),
                            ayes=list(value["ayes"]), nays=list(value["nays"]), end=int(value["end"]))

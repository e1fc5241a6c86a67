"""Runtime APIs (``state_call``) and the 2023 custom RPCs, with their decoders.

Runtime APIs answer hex SCALE that wraps the struct in ``Vec<u8>``; custom RPCs answer the struct's
bytes as a JSON array of ints. Both are decoded by ``chain_data``'s fast readers. The methods and
layouts are those of ``specs/ref-bittensor6-chain-usage.md``.
"""

from __future__ import annotations

from typing import Any

from bt_llm.chain import chain_data as cd
from bt_llm.chain.connection import ChainConnection
from bt_llm.errors import ChainError, RpcProtocolError
from bt_llm.scale import encode_compact, ss58_decode, unwrap_bytes_vec


def _hex_to_bytes(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcProtocolError(f"state_call answered {value!r}, not hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise RpcProtocolError(f"state_call answered bad hex: {value[:40]!r}") from exc


def _ints_to_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str) and value.startswith("0x"):
        return bytes.fromhex(value[2:])
    if not isinstance(value, list):
        raise RpcProtocolError(f"a custom RPC answered {type(value).__name__}, not a byte array")
    try:
        return bytes(value)
    except (ValueError, TypeError) as exc:
        raise RpcProtocolError("a custom RPC answered values that are not bytes") from exc


def public_key(ss58: str) -> bytes:
    """The 32-byte public key of an address.

    Raises:
        AddressError: not a valid SS58 address (a :class:`~bt_llm.errors.ConfigError`).
    """
    return ss58_decode(ss58)


def state_call(conn: ChainConnection, method: str, params: bytes, block_hash: str | None = None) -> bytes:
    """``state_call`` of a runtime API; returns the raw SCALE answer."""
    args: list[Any] = [method, "0x" + params.hex()]
    if block_hash is not None:
        args.append(block_hash)
    return _hex_to_bytes(conn.rpc("state_call", args))


def partial_fee(conn: ChainConnection, xt: bytes, block_hash: str | None = None) -> int:
    """``TransactionPaymentApi_query_info(xt, len(xt))``'s ``partial_fee`` on the 2023 runtime (no metadata V15
    to type it): the last field of ``RuntimeDispatchInfo``, subtensor's ``u64`` balance (substrate-interface's
    generic decoder assumes u128). ``xt`` is the encoded extrinsic, its length prefix included."""
    raw = state_call(conn, "TransactionPaymentApi_query_info", xt + len(xt).to_bytes(4, "little"), block_hash)
    if len(raw) < 9:
        raise ChainError(f"TransactionPaymentApi_query_info answered {len(raw)} bytes")
    return int.from_bytes(raw[-8:], "little")


def runtime_api_bytes(conn: ChainConnection, method: str, params: bytes, block_hash: str | None) -> bytes:
    """A runtime API that answers ``Vec<u8>``: the inner bytes (``b""`` for the SDK's ``0x0400`` none)."""
    raw = state_call(conn, method, params, block_hash)
    inner = unwrap_bytes_vec(raw)
    return b"" if inner == b"\x00" else inner


def custom_rpc_bytes(conn: ChainConnection, method: str, params: list[Any], block_hash: str | None) -> bytes:
    """A 2023 custom RPC that answers ``Vec<u8>`` as JSON ints."""
    args = [*params, block_hash] if block_hash is not None else list(params)
    return _ints_to_bytes(conn.rpc(method, args))


def _u16(value: int) -> bytes:
    return int(value).to_bytes(2, "little")


def neurons_lite(conn: ChainConnection, netuid: int, block_hash: str | None = None) -> list[cd.NeuronInfoLite]:
    data = runtime_api_bytes(conn, "NeuronInfoRuntimeApi_get_neurons_lite", _u16(netuid), block_hash)
    return cd.decode_neurons_lite(data) if data else []


def neuron_lite(conn: ChainConnection, netuid: int, uid: int, block_hash: str | None = None) -> cd.NeuronInfoLite | None:
    data = runtime_api_bytes(conn, "NeuronInfoRuntimeApi_get_neuron_lite", _u16(netuid) + _u16(uid), block_hash)
    return cd.decode_neuron_lite(data)


def neurons(conn: ChainConnection, netuid: int, block_hash: str | None = None) -> list[cd.NeuronInfo]:
    data = custom_rpc_bytes(conn, "neuronInfo_getNeurons", [netuid], block_hash)
    return cd.decode_neurons(data) if data else []


def neuron(conn: ChainConnection, netuid: int, uid: int, block_hash: str | None = None) -> cd.NeuronInfo | None:
    return cd.decode_neuron(custom_rpc_bytes(conn, "neuronInfo_getNeuron", [netuid, uid], block_hash))


def delegates(conn: ChainConnection, block_hash: str | None = None) -> list[cd.DelegateInfo]:
    data = custom_rpc_bytes(conn, "delegateInfo_getDelegates", [], block_hash)
    return cd.decode_delegates(data) if data else []


def delegate(conn: ChainConnection, hotkey: str, block_hash: str | None = None) -> cd.DelegateInfo | None:
    return cd.decode_delegate(custom_rpc_bytes(conn, "delegateInfo_getDelegate", [list(public_key(hotkey))],
                                               block_hash))


def delegated(conn: ChainConnection, coldkey: str, block_hash: str | None = None) -> list[tuple[cd.DelegateInfo, int]]:
    data = custom_rpc_bytes(conn, "delegateInfo_getDelegated", [list(public_key(coldkey))], block_hash)
    return cd.decode_delegated(data) if data else []


def subnets_info(conn: ChainConnection, block_hash: str | None = None) -> list[cd.SubnetInfo]:
    data = custom_rpc_bytes(conn, "subnetInfo_getSubnetsInfo", [], block_hash)
    return cd.decode_subnets_info(data) if data else []


def subnet_info(conn: ChainConnection, netuid: int, block_hash: str | None = None) -> cd.SubnetInfo | None:
    return cd.decode_subnet_info(custom_rpc_bytes(conn, "subnetInfo_getSubnetInfo", [netuid], block_hash))


def subnet_hyperparameters(conn: ChainConnection, netuid: int,
                           block_hash: str | None = None) -> cd.SubnetHyperparameters | None:
    data = runtime_api_bytes(conn, "SubnetInfoRuntimeApi_get_subnet_hyperparams", _u16(netuid), block_hash)
    return cd.decode_subnet_hyperparameters(data)


def stake_info_for_coldkey(conn: ChainConnection, coldkey: str, block_hash: str | None = None) -> list[cd.StakeInfo]:
    key = public_key(coldkey)
    data = runtime_api_bytes(conn, "StakeInfoRuntimeApi_get_stake_info_for_coldkey",
                             encode_compact(len(key)) + key, block_hash)
    return cd.decode_stake_info(data) if data else []


def stake_info_for_coldkeys(conn: ChainConnection, coldkeys: list[str],
                            block_hash: str | None = None) -> dict[str, list[cd.StakeInfo]]:
    params = encode_compact(len(coldkeys)) + b"".join(encode_compact(32) + public_key(c) for c in coldkeys)
    data = runtime_api_bytes(conn, "StakeInfoRuntimeApi_get_stake_info_for_coldkeys", params, block_hash)
    return cd.decode_stake_info_for_coldkeys(data) if data else {}


def account_nonce(conn: ChainConnection, ss58: str) -> int:
    raw = state_call(conn, "AccountNonceApi_account_nonce", public_key(ss58))
    return int.from_bytes(raw[:4], "little")


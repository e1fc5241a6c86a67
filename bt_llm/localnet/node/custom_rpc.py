"""The 2023 subtensor's bulk reads: runtime APIs through ``state_call`` and the custom RPCs.

Both serve the same engine readers, SCALE-encoded with the schema's types (the layouts bittensor 6.x
declares). A runtime API answers ``Vec<u8>`` wrapping the value (hex); a custom RPC answers the inner
bytes as a JSON array of ints, as a real node's JSON serialises ``Vec<u8>``. Single-item getters answer
empty bytes when there is nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bt_llm.localnet.codec import CodecError, decode, decode_prefix, encode
from bt_llm.localnet.node.extrinsic import ExtrinsicFormatError
from bt_llm.localnet.node.rpc import Dispatcher, Session, hex_param, invalid_params, param
from bt_llm.localnet.node.service import Node

READER_CACHE_SIZE = 64


def _wrap(inner: bytes) -> bytes:
    """``Vec<u8>`` of ``inner``: what a 2023 runtime API returns."""
    return encode("Vec<u8>", inner)


def _maybe(type_str: str, value: Any) -> bytes:
    return b"" if value is None else encode(type_str, value)


# Readers: name -> (argument types, engine method, result type). A result type ending in "?" may be None.
READERS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "neurons_lite": (("u16",), "neurons_lite", "Vec<NeuronInfoLite>"),
    "neuron_lite": (("u16", "u16"), "neuron_lite", "NeuronInfoLite?"),
    "neurons": (("u16",), "neurons", "Vec<NeuronInfo>"),
    "neuron": (("u16", "u16"), "neuron", "NeuronInfo?"),
    "subnets_info": ((), "subnets_info", "Vec<Option<SubnetInfo>>"),
    "subnet_info": (("u16",), "subnet_info", "SubnetInfo?"),
    "subnet_hyperparams": (("u16",), "subnet_hyperparams", "SubnetHyperparameters?"),
    "delegates": ((), "delegates", "Vec<DelegateInfo>"),
    "delegate": (("Vec<u8>",), "delegate", "DelegateInfo?"),
    "delegated": (("Vec<u8>",), "delegated", "Vec<(DelegateInfo, Compact<u64>)>"),
    "stake_info": (("Vec<u8>",), "stake_info", "Vec<StakeInfo>"),
    "stake_info_many": (("Vec<Vec<u8>>",), "stake_info_many", "Vec<(AccountId, Vec<StakeInfo>)>"),
}

# Runtime API method -> reader.
RUNTIME_API_READERS: dict[str, str] = {
    "NeuronInfoRuntimeApi_get_neurons_lite": "neurons_lite",
    "NeuronInfoRuntimeApi_get_neuron_lite": "neuron_lite",
    "NeuronInfoRuntimeApi_get_neurons": "neurons",
    "NeuronInfoRuntimeApi_get_neuron": "neuron",
    "SubnetInfoRuntimeApi_get_subnets_info": "subnets_info",
    "SubnetInfoRuntimeApi_get_subnet_info": "subnet_info",
    "SubnetInfoRuntimeApi_get_subnet_hyperparams": "subnet_hyperparams",
    "DelegateInfoRuntimeApi_get_delegates": "delegates",
    "DelegateInfoRuntimeApi_get_delegate": "delegate",
    "DelegateInfoRuntimeApi_get_delegated": "delegated",
    "StakeInfoRuntimeApi_get_stake_info_for_coldkey": "stake_info",
    "StakeInfoRuntimeApi_get_stake_info_for_coldkeys": "stake_info_many",
}

# Custom RPC -> reader (parameters given as JSON: ints, or lists of byte values for accounts).
CUSTOM_RPC_READERS: dict[str, str] = {
    "neuronInfo_getNeuronsLite": "neurons_lite",
    "neuronInfo_getNeuronLite": "neuron_lite",
    "neuronInfo_getNeurons": "neurons",
    "neuronInfo_getNeuron": "neuron",
    "subnetInfo_getSubnetsInfo": "subnets_info",
    "subnetInfo_getSubnetInfo": "subnet_info",
    "subnetInfo_getSubnetHyperparams": "subnet_hyperparams",
    "delegateInfo_getDelegates": "delegates",
    "delegateInfo_getDelegate": "delegate",
    "delegateInfo_getDelegated": "delegated",
    "stakeInfo_getStakeInfoForColdkey": "stake_info",
    "stakeInfo_getStakeInfoForColdkeys": "stake_info_many",
}


def _engine_args(arg_types: tuple[str, ...], values: list[Any]) -> list[Any]:
    """Engine arguments: accounts (given as ``Vec<u8>``) become 32-byte keys."""
    out = []
    for arg_type, value in zip(arg_types, values, strict=True):
        if arg_type == "Vec<u8>":
            if len(value) != 32:
                raise ValueError("an account is 32 bytes")
            out.append(bytes(value))
        elif arg_type == "Vec<Vec<u8>>":
            accounts = [bytes(v) for v in value]
            if any(len(a) != 32 for a in accounts):
                raise ValueError("an account is 32 bytes")
            out.append(accounts)
        else:
            out.append(value)
    return out


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def read(node: Node, reader: str, values: list[Any], block_hash: bytes) -> bytes:
    """Run one reader and SCALE-encode its answer (empty bytes for a missing single item).

    A sealed block's state never changes, so answers are cached per ``(reader, args, block)``: the
    many clients polling the same metagraph pay for it once per block.
    """
    cache = node.reader_cache
    key = (reader, _hashable(values), bytes(block_hash))
    cached = cache.get(key)
    if cached is not None:
        cache.move_to_end(key)
        return cached
    arg_types, method, result_type = READERS[reader]
    value = getattr(node.engine, method)(*_engine_args(arg_types, values), block_hash=block_hash)
    data = _maybe(result_type[:-1], value) if result_type.endswith("?") else encode(result_type, value)
    cache[key] = data
    while len(cache) > READER_CACHE_SIZE:
        cache.popitem(last=False)
    return data


def _decode_args(arg_types: tuple[str, ...], data: bytes) -> list[Any]:
    values, offset = [], 0
    for arg_type in arg_types:
        value, offset = decode_prefix(arg_type, data, offset)
        values.append(value)
    if offset != len(data):
        raise CodecError("trailing bytes after the arguments")
    return values


def _account_nonce(node: Node, data: bytes, block_hash: bytes) -> bytes:
    # substrate-interface 1.8 sends the account as MultiAddress (its AccountId is the metadata's Address).
    account = data[1:] if len(data) == 33 and data[0] == 0 else data
    return int(node.engine.account_nonce(decode("AccountId", account))).to_bytes(4, "little")


def _query_info(node: Node, data: bytes, block_hash: bytes) -> bytes:
    """``TransactionPaymentApi_query_info(xt, len)`` -> RuntimeDispatchInfo {weight, class, partial_fee}."""
    from bt_llm.localnet import schema
    from bt_llm.localnet.node.extrinsic import parse_extrinsic

    length = int.from_bytes(data[-4:], "little")
    xt = parse_extrinsic(data[:-4])
    fee = int(node.engine.fee_for(schema.decode_call(xt.call), length))
    # partial_fee is a subtensor Balance (u64), as on the real chain: clients declare {"Balance": "u64"}
    # (bittensor's type registry does), since scalecodec's core types default Balance to u128.
    return encode("Weight", {"ref_time": 0, "proof_size": 0}) + b"\x00" + encode("u64", fee)


def _metadata(node: Node, data: bytes, block_hash: bytes) -> bytes:
    return _wrap(node.runtime.metadata.data)


def _metadata_versions(node: Node, data: bytes, block_hash: bytes) -> bytes:
    return encode("Vec<u32>", [14, 15])


def _metadata_at_version(node: Node, data: bytes, block_hash: bytes) -> bytes:
    version = decode("u32", data)
    if version == 14:
        return b"\x01" + _wrap(node.runtime.metadata.data)
    if version == 15:
        return b"\x01" + _wrap(node.runtime.metadata_v15)
    return b"\x00"


SPECIAL_APIS: dict[str, Callable[[Node, bytes, bytes], bytes]] = {
    "AccountNonceApi_account_nonce": _account_nonce,
    "TransactionPaymentApi_query_info": _query_info,
    "Metadata_metadata": _metadata,
    "Metadata_metadata_versions": _metadata_versions,
    "Metadata_metadata_at_version": _metadata_at_version,
}


def call_runtime_api(node: Node, method: str, data: bytes, block_hash: bytes) -> bytes | None:
    """Answer ``state_call(method, data)``; None when the runtime has no such API."""
    special = SPECIAL_APIS.get(method)
    reader = RUNTIME_API_READERS.get(method)
    if special is None and reader is None:
        return None
    try:
        if special is not None:
            return special(node, data, block_hash)
        arg_types = READERS[reader][0]  # type: ignore[index]
        return _wrap(read(node, reader, _decode_args(arg_types, data), block_hash))  # type: ignore[arg-type]
    except (CodecError, ExtrinsicFormatError, ValueError, IndexError) as exc:
        from bt_llm.localnet.node.rpc import RpcFailure

        raise RpcFailure(4003, "Client error", f"Execution failed: could not decode input: {exc}") from None


def _account_param(value: Any, name: str) -> bytes:
    """An account given as a JSON array of 32 byte values (how a real node takes ``Vec<u8>``)."""
    if (not isinstance(value, list) or len(value) != 32
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)):
        raise invalid_params(f"{name} must be an account: an array of 32 byte values")
    return bytes(value)


def register(dispatcher: Dispatcher, node: Node) -> None:
    def make(reader: str) -> Callable[[Session, list[Any]], Any]:
        arg_types = READERS[reader][0]

        async def handler(session: Session, params: list[Any]) -> list[int]:
            values: list[Any] = []
            for index, arg_type in enumerate(arg_types):
                value = param(params, index)
                if arg_type == "u16":
                    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 65536:
                        raise invalid_params(f"parameter {index} must be a u16")
                elif arg_type == "Vec<u8>":
                    value = _account_param(value, f"parameter {index}")
                else:  # Vec<Vec<u8>>: accounts
                    if not isinstance(value, list):
                        raise invalid_params(f"parameter {index} must be an array of accounts")
                    value = [_account_param(v, f"parameter {index}") for v in value]
                values.append(value)
            block_hash = node.resolve_hash(hex_param(params, len(arg_types), name="at", required=False))
            try:
                return list(read(node, reader, values, block_hash))
            except (ValueError, TypeError) as exc:
                raise invalid_params(str(exc)) from None

        return handler

    for rpc_name, reader in CUSTOM_RPC_READERS.items():
        dispatcher.add(rpc_name, make(reader))

    async def payment_query_info(session: Session, params: list[Any]) -> dict[str, Any]:
        """The legacy ``payment_queryInfo(xt)``: the fee as JSON (clients use it without state_call)."""
        from bt_llm.localnet import schema
        from bt_llm.localnet.node.extrinsic import parse_extrinsic

        raw = hex_param(params, 0, name="extrinsic")
        node.resolve_hash(hex_param(params, 1, name="at", required=False))
        try:
            call = schema.decode_call(parse_extrinsic(raw).call)
        except (CodecError, ExtrinsicFormatError, IndexError) as exc:
            raise invalid_params(f"could not decode the extrinsic: {exc}") from None
        fee = int(node.engine.fee_for(call, len(raw)))
        return {"weight": {"ref_time": 0, "proof_size": 0}, "class": "normal", "partialFee": str(fee)}

    dispatcher.add("payment_queryInfo", payment_query_info)

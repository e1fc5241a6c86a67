"""Signed transfers built by hand (no metadata round trip), for tests that submit many extrinsics fast.

The bytes are the v4 ``UncheckedExtrinsic`` the node's ``extrinsic`` module parses: immortal era, zero
tip, an sr25519 signature over :func:`~bt_llm.localnet.node.extrinsic.signing_payload`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bt_llm.localnet import schema
from bt_llm.localnet.node.extrinsic import Era, encode_compact, signing_payload


@dataclass(frozen=True)
class ChainParams:
    """What a signature commits to besides the call: the genesis hash and the runtime's versions."""

    genesis_hash: bytes
    spec_version: int
    transaction_version: int

    @classmethod
    def from_rpc(cls, rpc: Any) -> ChainParams:
        """Read them from a node; ``rpc(method, params) -> result``."""
        version = rpc("state_getRuntimeVersion", [])
        genesis = rpc("chain_getBlockHash", [0])
        return cls(bytes.fromhex(genesis[2:]), int(version["specVersion"]), int(version["transactionVersion"]))


def signed_transfer(keypair: Any, dest: bytes, value: int, nonce: int, chain: ChainParams) -> bytes:
    """A signed, immortal ``Balances.transfer(dest, value)`` from ``keypair`` (a substrate-interface Keypair)."""
    call = schema.encode_call(schema.Call("Balances", "transfer", {"dest": dest, "value": value}))
    era = Era()
    payload = signing_payload(call, era, nonce, 0, spec_version=chain.spec_version,
                              transaction_version=chain.transaction_version, genesis_hash=chain.genesis_hash,
                              era_block_hash=chain.genesis_hash)
    signature = keypair.sign(payload)
    body = (b"\x84" + b"\x00" + keypair.public_key + b"\x01" + signature + era.raw
            + encode_compact(nonce) + encode_compact(0) + call)
    return encode_compact(len(body)) + body

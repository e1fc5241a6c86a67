"""Against the live finney runtime's metadata (spec 343, the dynamic-TAO era), served by a fake websocket,
the client builds storage keys and signed extrinsics from metadata: nothing is hard-coded for our localnet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import xxhash
from scalecodec.base import ScaleBytes
from substrateinterface import Keypair, SubstrateInterface

from bt_llm.chain.connection import ChainConnection
from bt_llm.chain.subtensor import Subtensor

FIXTURE = Path("/work/shared/fixtures/subtensor-metadata/spec343-v14.hex")
pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason="the finney metadata fixture is absent")
HEAD = "0x" + "11" * 32


def twox128(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


class FakeFinney:
    """A websocket that answers like a finney node at spec 343 (one block, fixed state)."""

    def __init__(self, free: int) -> None:
        self.metadata = FIXTURE.read_text().strip()
        # AccountInfo: nonce, consumers, providers, sufficients (u32); AccountData: free, reserved,
        # frozen (u64: subtensor's Balance) and flags (u128)
        account = (7).to_bytes(4, "little") + bytes(12) + free.to_bytes(8, "little") + bytes(16 + 16)
        self.account = "0x" + account.hex()
        self.asked: list[tuple[str, list]] = []
        self.queue: list[str] = []

    def send(self, text: str) -> None:
        request = json.loads(text)
        method, params = request["method"], request["params"]
        self.asked.append((method, params))
        result = {
            "system_chain": "Bittensor",
            "rpc_methods": {"methods": [
                "state_getStorageAt", "state_call", "state_getRuntimeVersion", "state_getMetadata", "chain_getHead",
                "chain_getHeader", "chain_getBlockHash", "chain_getFinalizedHead", "author_submitExtrinsic"]},
            "chain_getHead": HEAD,
            "chain_getFinalizedHead": HEAD,
            "chain_getBlockHash": HEAD,
            "chain_getHeader": {"parentHash": HEAD, "number": "0x64", "stateRoot": HEAD, "extrinsicsRoot": HEAD,
                                "digest": {"logs": []}},
            "state_getRuntimeVersion": {"specVersion": 343, "transactionVersion": 1, "apis": []},
            "state_getMetadata": self.metadata,
            "state_getStorageAt": self.account,
            "state_call": "0x07000000",  # AccountNonceApi_account_nonce: 7
            "author_submitExtrinsic": "0x" + "22" * 32,
        }.get(method)
        self.queue.append(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}))

    def recv(self) -> str:
        return self.queue.pop(0)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def finney():
    fake = FakeFinney(free=123 * 10**9)
    sub = Subtensor("finney")
    conn = ChainConnection(sub.chain_endpoint, opener=lambda: SubstrateInterface(websocket=fake, ss58_format=42))
    sub._conn = sub._tx_conn = conn
    return sub, fake


def test_balance_key_comes_from_metadata(finney) -> None:
    sub, fake = finney
    alice = Keypair.create_from_uri("//Alice")
    assert sub.get_balance(alice.ss58_address).rao == 123 * 10**9
    (key, _), = [p for m, p in fake.asked if m == "state_getStorageAt"][-1:]
    expected = twox128(b"System") + twox128(b"Account") + hashlib.blake2b(alice.public_key, digest_size=16).digest()
    assert key == "0x" + (expected + alice.public_key).hex()


def test_transfer_is_signed_for_the_live_runtime(finney) -> None:
    sub, fake = finney

    class Wallet:
        coldkey = coldkeypub = Keypair.create_from_uri("//Alice")

    dest = Keypair.create_from_uri("//Bob").ss58_address
    result = sub.transfer(Wallet(), dest, 1.5, wait_for_inclusion=False)
    assert result.extrinsic_hash and not result.included
    (hex_xt,) = [p for m, p in fake.asked if m == "author_submitExtrinsic"][-1]
    decoded = sub.connection.run(
        lambda substrate: substrate.create_scale_object("Extrinsic", data=ScaleBytes(hex_xt)).decode())
    # spec 343 has no Balances.transfer: the client picked transfer_keep_alive from the metadata
    assert decoded["call"]["call_module"] == "Balances" and decoded["call"]["call_function"] == "transfer_keep_alive"
    args = {a["name"]: a["value"] for a in decoded["call"]["call_args"]}
    assert args["value"] == 1_500_000_000 and decoded["nonce"] == 7
    assert Keypair.create_from_uri("//Bob").public_key.hex() in hex_xt

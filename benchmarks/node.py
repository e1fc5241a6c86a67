"""The localnet node's JSON-RPC throughput, one client on loopback (a table, not a test).

Rows: raw ``state_getStorageAt`` over the WebSocket; ``SubstrateInterface.query`` (key building and
decoding included); signed transfers submitted without waiting; sealing a block holding them.

Run: ``.venv/bin/python benchmarks/node.py``
"""

from __future__ import annotations

import time

from substrateinterface import Keypair, SubstrateInterface

from bt_llm.localnet.node.app import LocalnetNode
from bt_llm.localnet.storage import storage_key

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")


def rate(n: int, fn) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    rows = []
    with LocalnetNode(port=0, manual_seal=True) as node:
        si = SubstrateInterface(url=node.url, ss58_format=42)
        key = "0x" + storage_key("System", "Account", ALICE.public_key).hex()
        si.query("System", "Account", [ALICE.ss58_address])  # metadata loaded once
        rows.append(("state_getStorageAt (raw)", "calls/s", rate(500, lambda: si.rpc_request(
            "state_getStorageAt", [key, None]))))
        rows.append(("SubstrateInterface.query", "calls/s", rate(200, lambda: si.query(
            "System", "Account", [ALICE.ss58_address]))))
        nonce = si.get_account_nonce(ALICE.ss58_address)
        call = si.compose_call("Balances", "transfer", {"dest": BOB.ss58_address, "value": 1})
        signed = [si.create_signed_extrinsic(call, ALICE, nonce=nonce + i) for i in range(300)]
        items = iter(signed)
        rows.append(("author_submitExtrinsic (signed transfer)", "xt/s",
                     rate(len(signed), lambda: si.submit_extrinsic(next(items), wait_for_inclusion=False))))
        start = time.perf_counter()
        node.seal(1)
        rows.append(("seal a block of 300 transfers", "s", time.perf_counter() - start))
        si.close()
    print("localnet node, one client on loopback")
    for name, unit, value in rows:
        print(f"  {name:<42} {value:>10.3f} {unit}" if unit == "s" else f"  {name:<42} {value:>10.0f} {unit}")


if __name__ == "__main__":
    main()

"""Unmodified substrate-interface against the localnet node: reads, query_map, signed extrinsics, refusals."""

from __future__ import annotations

import json
import threading
import time

import pytest
from substrateinterface import Keypair, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

from bt_llm.localnet.node.app import LocalnetNode

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
CHARLIE = Keypair.create_from_uri("//Charlie")
DAVE = Keypair.create_from_uri("//Dave")
EVE = Keypair.create_from_uri("//Eve")
TAO = 10**9


@pytest.fixture(scope="module")
def node():
    with LocalnetNode(port=0, manual_seal=True, instant_seal=True) as running:
        yield running


@pytest.fixture(scope="module")
def si(node):
    client = SubstrateInterface(url=node.url, ss58_format=42)
    yield client
    client.close()


def free(si: SubstrateInterface, who: Keypair, block_hash: str | None = None) -> int:
    return si.query("System", "Account", [who.ss58_address], block_hash=block_hash).value["data"]["free"]


def submit(si: SubstrateInterface, keypair: Keypair, pallet: str, name: str, args: dict, **kwargs):
    call = si.compose_call(pallet, name, args)
    extrinsic = si.create_signed_extrinsic(call, keypair, **kwargs)
    return si.submit_extrinsic(extrinsic, wait_for_inclusion=True)


def test_transfer_included_with_fee_burned_and_history_kept(si) -> None:
    before_hash = si.get_chain_head()
    alice_before, bob_before = free(si, ALICE), free(si, BOB)
    call = si.compose_call("Balances", "transfer", {"dest": BOB.ss58_address, "value": 3 * TAO})
    extrinsic = si.create_signed_extrinsic(call, ALICE)
    receipt = si.submit_extrinsic(extrinsic, wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    fee = len(extrinsic.data)  # 1 rao per encoded byte
    assert free(si, BOB) == bob_before + 3 * TAO
    assert free(si, ALICE) == alice_before - 3 * TAO - fee
    # the archive: the block before still answers as it was
    assert free(si, BOB, block_hash=before_hash) == bob_before
    events = [(e.value["module_id"], e.value["event_id"]) for e in receipt.triggered_events]
    assert ("Balances", "Transfer") in events and ("System", "ExtrinsicSuccess") in events
    assert si.get_block(receipt.block_hash)["extrinsics"][receipt.extrinsic_idx].extrinsic_hash.hex() \
        == receipt.extrinsic_hash.removeprefix("0x")


def test_query_map_lists_dev_accounts(si) -> None:
    accounts = {key.value: value.value["data"]["free"] for key, value in si.query_map("System", "Account")}
    for keypair in (ALICE, BOB, CHARLIE, DAVE):
        assert keypair.ss58_address in accounts
    networks = [key.value for key, value in si.query_map("SubtensorModule", "NetworksAdded") if value.value]
    assert 1 in networks


def test_pallet_error_decoded_by_name(si) -> None:
    receipt = submit(si, CHARLIE, "SubtensorModule", "add_stake",
                     {"hotkey": CHARLIE.ss58_address, "amount_staked": 5 * TAO})
    assert not receipt.is_success
    assert receipt.error_message == {"type": "Module", "name": "NotRegistered", "docs": ["NotRegistered"]}
    receipt = submit(si, CHARLIE, "Balances", "transfer", {"dest": DAVE.ss58_address, "value": 10**6 * TAO})
    assert not receipt.is_success
    assert receipt.error_message["name"] == "InsufficientBalance"


def test_burned_register_then_stake_and_serve(si) -> None:
    receipt = submit(si, BOB, "SubtensorModule", "burned_register", {"netuid": 1, "hotkey": EVE.ss58_address})
    assert receipt.is_success, receipt.error_message
    uid = si.query("SubtensorModule", "Uids", [1, EVE.ss58_address]).value
    assert uid is not None
    receipt = submit(si, BOB, "SubtensorModule", "add_stake", {"hotkey": EVE.ss58_address, "amount_staked": TAO})
    assert receipt.is_success, receipt.error_message
    assert si.query("SubtensorModule", "Stake", [EVE.ss58_address, BOB.ss58_address]).value == TAO
    receipt = submit(si, EVE, "SubtensorModule", "serve_axon",
                     {"netuid": 1, "version": 1, "ip": 2130706433, "port": 8091, "ip_type": 4, "protocol": 4,
                      "placeholder1": 0, "placeholder2": 0})
    assert receipt.is_success, receipt.error_message
    axon = si.query("SubtensorModule", "Axons", [1, EVE.ss58_address]).value
    assert axon["port"] == 8091 and axon["ip"] == 2130706433
    # mortal era (the SDK signs set_weights with period 5)
    receipt = submit(si, EVE, "SubtensorModule", "set_weights",
                     {"netuid": 1, "dests": [uid], "weights": [65535], "version_key": 0}, era={"period": 5})
    assert receipt.is_success, receipt.error_message
    lite = si.rpc_request("neuronInfo_getNeuronLite", [1, uid])["result"]
    assert isinstance(lite, list) and bytes(lite[:32]) == EVE.public_key


def test_replayed_extrinsic_is_refused(si) -> None:
    call = si.compose_call("Balances", "transfer", {"dest": CHARLIE.ss58_address, "value": TAO})
    extrinsic = si.create_signed_extrinsic(call, ALICE)
    assert si.submit_extrinsic(extrinsic, wait_for_inclusion=True).is_success
    with pytest.raises(SubstrateRequestException) as refused:
        si.submit_extrinsic(extrinsic, wait_for_inclusion=True)
    assert refused.value.args[0]["code"] == 1010
    assert refused.value.args[0]["data"] == "Transaction is outdated"


def test_wrong_signature_is_refused(si) -> None:
    call = si.compose_call("Balances", "transfer", {"dest": CHARLIE.ss58_address, "value": TAO})
    good = si.create_signed_extrinsic(call, ALICE)
    forged = si.create_signed_extrinsic(call, ALICE, signature=BOB.sign(b"something else"))
    with pytest.raises(SubstrateRequestException) as refused:
        si.submit_extrinsic(forged, wait_for_inclusion=True)
    assert refused.value.args[0] == {"code": 1010, "message": "Invalid Transaction",
                                     "data": "Transaction has a bad signature"}
    assert si.submit_extrinsic(good, wait_for_inclusion=True).is_success


def test_future_nonce_waits_for_the_gap(node, si) -> None:
    nonce = si.get_account_nonce(DAVE.ss58_address)
    call = si.compose_call("Balances", "transfer", {"dest": ALICE.ss58_address, "value": 1000})
    later = si.create_signed_extrinsic(call, DAVE, nonce=nonce + 1)
    first = si.create_signed_extrinsic(call, DAVE, nonce=nonce)
    si.submit_extrinsic(later, wait_for_inclusion=False)
    assert si.get_account_nonce(DAVE.ss58_address) == nonce
    assert si.submit_extrinsic(first, wait_for_inclusion=True).is_success
    node.seal(1)
    assert si.get_account_nonce(DAVE.ss58_address) == nonce + 2


def test_two_clients_submit_concurrently(node) -> None:
    results: dict[str, list[bool]] = {}

    # Each client loads the runtime here, one after the other: scalecodec's type registry is not
    # thread-safe while it is being built. The submissions below are what runs concurrently.
    clients = {}
    for keypair in (ALICE, BOB):
        clients[keypair.ss58_address] = SubstrateInterface(url=node.url, ss58_format=42)
        clients[keypair.ss58_address].init_runtime()

    def worker(keypair: Keypair, dest: Keypair) -> None:
        client = clients[keypair.ss58_address]
        try:
            outcomes = []
            for _ in range(3):
                call = client.compose_call("Balances", "transfer", {"dest": dest.ss58_address, "value": 1000})
                receipt = client.submit_extrinsic(client.create_signed_extrinsic(call, keypair),
                                                  wait_for_inclusion=True)
                outcomes.append(receipt.is_success)
            results[keypair.ss58_address] = outcomes
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(ALICE, DAVE)), threading.Thread(target=worker, args=(BOB, DAVE))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == {ALICE.ss58_address: [True] * 3, BOB.ss58_address: [True] * 3}


def test_garbage_on_the_websocket_never_kills_the_node(node, si) -> None:
    from websocket import create_connection

    raw = create_connection(node.url, timeout=10)
    try:
        for junk in ("", "{", "[1,2", "null", "[]", '{"id": 1}', '{"method": 5}', "\x00\xff", "9" * 5000,
                     json.dumps({"jsonrpc": "2.0", "id": 2, "method": "author_submitExtrinsic", "params": ["0x1234"]}),
                     json.dumps({"jsonrpc": "2.0", "id": 3, "method": "state_getStorageAt", "params": [{"a": 1}]})):
            raw.send(junk)
            reply = json.loads(raw.recv())
            assert "error" in reply
    finally:
        raw.close()
    assert si.get_block_number(None) >= 1
    assert free(si, ALICE) > 0


def test_http_transport_and_runtime_calls(node, si) -> None:
    http = SubstrateInterface(url=node.http_url, ss58_format=42)
    assert http.query("System", "Account", [ALICE.ss58_address]).value["data"]["free"] == free(si, ALICE)
    assert si.get_account_nonce(ALICE.ss58_address) == si.rpc_request(
        "system_accountNextIndex", [ALICE.ss58_address])["result"]
    # subtensor's Balance is u64 (scalecodec's core default is u128): declared as the bittensor SDKs do
    typed = SubstrateInterface(url=node.url, ss58_format=42, type_registry={"types": {"Balance": "u64"}})
    try:
        call = typed.compose_call("Balances", "transfer", {"dest": BOB.ss58_address, "value": 1})
        info = typed.get_payment_info(call, ALICE)
        assert info["partialFee"] == len(typed.create_signed_extrinsic(call, ALICE).data)
        xt = typed.create_signed_extrinsic(call, ALICE)
        legacy = typed.rpc_request("payment_queryInfo", [str(xt.data)])["result"]
        assert int(legacy["partialFee"]) == len(xt.data)
    finally:
        typed.close()
        http.close()


def test_block_header_subscription(node, si) -> None:
    seen: list[int] = []
    start = si.get_block_number(None)

    def handler(header, update_nr, subscription_id):
        seen.append(header["header"]["number"])
        if len(seen) == 3:
            return True
        return None

    sealer = threading.Timer(0.3, lambda: node.seal(2))
    sealer.start()
    si.subscribe_block_headers(handler)
    sealer.join()
    assert seen == [start, start + 1, start + 2]


def test_storage_subscription_sees_a_transfer(node, si) -> None:
    seen: list[int] = []

    def send() -> None:
        other = SubstrateInterface(url=node.url, ss58_format=42)
        try:
            submit(other, BOB, "Balances", "transfer", {"dest": CHARLIE.ss58_address, "value": 99})
        finally:
            other.close()

    sender = threading.Timer(0.5, send)

    def handler(account, update_nr, subscription_id):
        seen.append(account.value["data"]["free"])
        return True if update_nr == 1 else None

    sender.start()
    si.query("System", "Account", [CHARLIE.ss58_address], subscription_handler=handler)
    sender.join()
    assert seen[1] == seen[0] + 99


def test_unfunded_sender_cannot_pay_the_fee(si) -> None:
    nobody = Keypair.create_from_uri("//Nobody-with-no-funds")
    call = si.compose_call("Balances", "transfer", {"dest": ALICE.ss58_address, "value": 1})
    with pytest.raises(SubstrateRequestException) as refused:
        si.submit_extrinsic(si.create_signed_extrinsic(call, nobody), wait_for_inclusion=True)
    assert refused.value.args[0]["code"] == 1010
    assert refused.value.args[0]["data"].startswith("Inability to pay some fees")


def test_a_client_vanishing_mid_submit_leaves_the_node_consistent(node, si) -> None:
    from websocket import create_connection

    call = si.compose_call("Balances", "transfer", {"dest": CHARLIE.ss58_address, "value": 5})
    extrinsic = si.create_signed_extrinsic(call, DAVE)
    before, nonce = free(si, CHARLIE), si.get_account_nonce(DAVE.ss58_address)
    raw = create_connection(node.url, timeout=10)
    raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "author_submitAndWatchExtrinsic",
                         "params": [str(extrinsic.data)]}))
    raw.close()  # gone before any answer (the node may or may not have read the request)
    time.sleep(0.3)
    node.seal(1)
    included = free(si, CHARLIE) == before + 5
    assert si.get_account_nonce(DAVE.ss58_address) == nonce + int(included)
    if included:  # exactly once: the same bytes are now outdated
        with pytest.raises(SubstrateRequestException):
            si.submit_extrinsic(extrinsic, wait_for_inclusion=True)
    else:
        assert free(si, CHARLIE) == before
        assert si.submit_extrinsic(extrinsic, wait_for_inclusion=True).is_success
    assert free(si, CHARLIE) == before + 5

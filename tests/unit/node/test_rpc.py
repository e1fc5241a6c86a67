"""The JSON-RPC layer in process (Starlette's TestClient, no sockets), on a tiny fake engine."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bt_llm.localnet.node.app import create_node_app
from bt_llm.localnet.storage import storage_key
from tests.unit.node.fake_engine import FakeEngine

ALICE = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")


@pytest.fixture(scope="module")
def running():
    app, holder = create_node_app(lambda: FakeEngine({ALICE: 10**12}), manual_seal=True)
    with TestClient(app) as test_client:
        yield test_client, holder


@pytest.fixture(scope="module")
def client(running):
    return running[0]


def call(client: TestClient, method: str, params: list | None = None) -> dict:
    reply = client.post("/", json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params or []})
    assert reply.status_code == 200
    body = reply.json()
    assert body["id"] == 7
    return body


def test_rpc_methods_lists_what_substrate_interface_looks_for(client) -> None:
    methods = call(client, "rpc_methods")["result"]["methods"]
    for name in ("state_getStorageAt", "state_call", "system_accountNextIndex", "account_nextIndex",
                 "chain_getHead", "author_submitAndWatchExtrinsic", "state_getKeysPaged", "state_queryStorageAt",
                 "chain_getFinalizedHead", "neuronInfo_getNeuronsLite", "delegateInfo_getDelegates",
                 "subnetInfo_getSubnetsInfo", "engine_createBlock"):
        assert name in methods


def test_system_identity(client) -> None:
    assert call(client, "system_chain")["result"] == "Bittensor"
    assert call(client, "system_properties")["result"] == {"ss58Format": 42, "tokenDecimals": 9,
                                                          "tokenSymbol": "TAO"}
    assert call(client, "state_getRuntimeVersion")["result"]["specVersion"] == 127
    assert call(client, "state_getMetadata")["result"].startswith("0x6d6574610e")


def test_storage_at_head_and_missing_keys(client) -> None:
    key = "0x" + storage_key("System", "Account", ALICE).hex()
    assert call(client, "state_getStorageAt", [key])["result"] is not None
    assert call(client, "state_getStorageAt", ["0x" + "ab" * 32])["result"] is None
    keys = call(client, "state_getKeysPaged", ["0x" + storage_key("System", "Account").hex(), 10])["result"]
    assert keys == [key]
    changes = call(client, "state_queryStorageAt", [[key]])["result"][0]["changes"]
    assert changes[0][0] == key and changes[0][1].startswith("0x")


def test_sealing_advances_the_head_and_keeps_old_blocks(client) -> None:
    before = call(client, "chain_getHeader")["result"]
    sealed = call(client, "engine_createBlock", [True, True])["result"]["hash"]
    after = call(client, "chain_getHeader")["result"]
    assert int(after["number"], 16) == int(before["number"], 16) + 1
    assert after["parentHash"] == call(client, "chain_getBlockHash", [int(before["number"], 16)])["result"]
    assert call(client, "chain_getHead")["result"] == sealed
    assert call(client, "chain_getBlock", [sealed])["result"]["block"]["extrinsics"] == []
    assert call(client, "chain_getBlockHash", [10**6])["result"] is None
    assert call(client, "chain_getBlockHash", [[0, "0x0", 10**6]])["result"] == [
        call(client, "chain_getBlockHash", [0])["result"]] * 2 + [None]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", -32700),
        ("[]", -32600),
        ('{"jsonrpc":"2.0","id":1}', -32600),
        ('{"jsonrpc":"2.0","id":1,"method":"no_such_method"}', -32601),
        ('{"jsonrpc":"2.0","id":1,"method":"state_getStorageAt","params":["0xzz"]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"state_getStorageAt","params":[]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["abc"]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"state_getKeysPaged","params":["0x", -1]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"state_getStorageAt","params":["0x00", "0x' + "11" * 32 + '"]}', 4003),
        ('{"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0x00"]}', 1002),
        ('{"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0x1084"]}', 1002),
        ('{"jsonrpc":"2.0","id":1,"method":"state_call","params":["Nope_nope", "0x"]}', 4003),
        ('{"jsonrpc":"2.0","id":1,"method":"state_call","params":["AccountNonceApi_account_nonce", "0x01"]}', 4003),
        ('{"jsonrpc":"2.0","id":1,"method":"neuronInfo_getNeuronsLite","params":["x"]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"chain_subscribeNewHeads","params":[]}', -32090),
        # found by tests/integration/node/test_rpc_fuzz.py
        ("[" * 1500 + "]" * 1500, -32700),  # RecursionError out of json.loads: was an HTTP 500
        ('{"jsonrpc":"2.0","id":NaN,"method":"system_name"}', -32700),  # was echoed as NaN (no JSON)
        ('{"jsonrpc":"2.0","id":1e400,"method":"system_name"}', -32700),  # was echoed as Infinity
        ('{"jsonrpc":"2.0","id":{"a":[1]},"method":"system_name"}', -32600),
        ('{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":[18446744073709551616]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["-5"]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"system_accountNextIndex","params":["0x' + "g" * 64 + '"]}', -32602),
        ('{"jsonrpc":"2.0","id":1,"method":"stakeInfo_getStakeInfoForColdkeys","params":[[5]]}', -32602),
    ],
)
def test_malformed_requests_get_error_objects(client, body: str, code: int) -> None:
    reply = client.post("/", content=body, headers={"content-type": "application/json"})
    error = reply.json()["error"]
    assert error["code"] == code
    assert call(client, "system_health")["result"]["isSyncing"] is False


def test_batches_and_notifications(client) -> None:
    reply = client.post("/", json=[{"jsonrpc": "2.0", "id": 1, "method": "system_name"},
                                   {"jsonrpc": "2.0", "method": "system_name"},
                                   {"jsonrpc": "2.0", "id": 2, "method": "nope"}]).json()
    assert [r["id"] for r in reply] == [1, 2]
    assert "result" in reply[0] and reply[1]["error"]["code"] == -32601
    assert client.post("/", json={"jsonrpc": "2.0", "method": "system_name"}).content == b""


def test_websocket_head_subscription(client) -> None:
    with client.websocket_connect("/") as ws:
        ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "chain_subscribeNewHeads", "params": []}))
        messages = [json.loads(ws.receive_text()) for _ in range(2)]
        reply = next(m for m in messages if m.get("id") == 1)
        first = next(m for m in messages if m.get("method") == "chain_newHead")
        assert first["params"]["subscription"] == reply["result"]
        ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "engine_createBlock", "params": [True, True]}))
        messages = [json.loads(ws.receive_text()) for _ in range(2)]
        head = next(m for m in messages if m.get("method") == "chain_newHead")
        assert int(head["params"]["result"]["number"], 16) == int(first["params"]["result"]["number"], 16) + 1
        ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "chain_unsubscribeNewHeads",
                                 "params": [reply["result"]]}))
        assert json.loads(ws.receive_text())["result"] is True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["state_getStorageAt", "state_getKeysPaged", "chain_getBlockHash", "chain_getBlock",
                            "author_submitExtrinsic", "state_call", "system_accountNextIndex",
                            "neuronInfo_getNeuron", "state_queryStorageAt", "chain_getHeader"]),
    params=st.lists(st.one_of(st.none(), st.integers(-5, 2**70), st.text(max_size=20), st.booleans(),
                              st.binary(max_size=40).map(lambda b: "0x" + b.hex()),
                              st.lists(st.integers(-1, 300), max_size=40)), max_size=4),
)
def test_random_params_never_break_the_node(client, method: str, params: list) -> None:
    reply = client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    assert ("result" in reply) != ("error" in reply)
    if "error" in reply:
        assert reply["error"]["code"] != -32603, reply


def test_bulk_reads_are_cached_per_sealed_block(running) -> None:
    client, holder = running
    engine = holder["node"].engine
    before = engine.reads
    assert call(client, "neuronInfo_getNeuronsLite", [1])["result"] == [0]
    assert call(client, "state_call", ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100"])["result"] == "0x0400"
    assert engine.reads == before + 1
    call(client, "engine_createBlock", [True, True])
    assert call(client, "neuronInfo_getNeuronsLite", [1])["result"] == [0]
    assert engine.reads == before + 2


def test_metadata_at_version(client) -> None:
    assert call(client, "state_call", ["Metadata_metadata_versions", "0x"])["result"] == "0x080e0000000f000000"
    v14 = call(client, "state_call", ["Metadata_metadata_at_version", "0x0e000000"])["result"]
    v15 = call(client, "state_call", ["Metadata_metadata_at_version", "0x0f000000"])["result"]
    assert v14.startswith("0x01") and "6d6574610e" in v14[:24]
    assert v15.startswith("0x01") and "6d6574610f" in v15[:24]
    assert call(client, "state_call", ["Metadata_metadata_at_version", "0x10000000"])["result"] == "0x00"


def test_payment_query_with_a_malformed_extrinsic_is_an_error_object(client) -> None:
    reply = call(client, "state_call", ["TransactionPaymentApi_query_info", "0x0102030405060708"])
    assert reply["error"]["code"] == 4003


def test_watch_answers_the_subscription_id_before_any_status(client) -> None:
    from substrateinterface import Keypair

    from bt_llm.localnet.node.extrinsic import Era, encode_compact, signing_payload
    from bt_llm.localnet.schema import Call, encode_call

    alice = Keypair.create_from_uri("//Alice")
    genesis = bytes.fromhex(call(client, "chain_getBlockHash", [0])["result"][2:])
    nonce = call(client, "system_accountNextIndex", ["0x" + alice.public_key.hex()])["result"]
    body = encode_call(Call("Balances", "transfer", {"dest": ("Id", bytes(32)), "value": 1}))
    payload = signing_payload(body, Era(), nonce, 0, spec_version=127, transaction_version=1,
                              genesis_hash=genesis, era_block_hash=genesis)
    signed = (b"\x84\x00" + alice.public_key + b"\x01" + alice.sign(payload) + b"\x00" + encode_compact(nonce)
              + encode_compact(0) + body)
    xt = "0x" + (encode_compact(len(signed)) + signed).hex()
    with client.websocket_connect("/") as ws:
        ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "author_submitAndWatchExtrinsic",
                                 "params": [xt]}))
        first = json.loads(ws.receive_text())
        assert first["id"] == 9 and first["result"].startswith("0x")
        ready = json.loads(ws.receive_text())
        assert ready["method"] == "author_extrinsicUpdate" and ready["params"]["result"] == "ready"
        ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 10, "method": "engine_createBlock", "params": []}))
        messages = [json.loads(ws.receive_text()) for _ in range(3)]
        statuses = [m["params"]["result"] for m in messages if m.get("method") == "author_extrinsicUpdate"]
        assert [next(iter(s)) for s in statuses] == ["inBlock", "finalized"]


def test_a_dispatcher_bug_is_answered_and_logged_on_websocket(caplog) -> None:
    """A bug past the dispatcher's own error handling: over WebSocket the client gets -32603 (not silence,
    the request's task dying unseen) and the traceback is logged once."""
    from bt_llm.localnet.node.rpc import Dispatcher
    from bt_llm.localnet.node.server import create_app

    class Broken(Dispatcher):
        async def handle(self, text, session):
            raise RuntimeError("a bug")

    with TestClient(create_app(Broken())) as broken, broken.websocket_connect("/") as ws:
        ws.send_text('{"jsonrpc":"2.0","id":1,"method":"system_name"}')
        reply = json.loads(ws.receive_text())
    assert reply["error"]["code"] == -32603 and reply["id"] is None
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError]

"""The node as a process: the pytest fixture, sealing modes, eras, persistence, timed blocks, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from substrateinterface import Keypair, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

from bt_llm.localnet.node.app import LocalnetNode
from bt_llm.net import free_port

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")


def transfer(si: SubstrateInterface, value: int, **kwargs):
    call = si.compose_call("Balances", "transfer", {"dest": BOB.ss58_address, "value": value})
    return si.create_signed_extrinsic(call, ALICE, **kwargs)


def test_fixture_seals_and_hands_out_clients(localnet_node) -> None:
    assert localnet_node.url.startswith("ws://127.0.0.1:")
    hashes = localnet_node.seal(3)
    assert len(hashes) == 3
    assert localnet_node.rpc("chain_getHead") == hashes[-1]
    si = localnet_node.substrate()
    assert si.get_block_number(None) == 3
    receipt = si.submit_extrinsic(transfer(si, 10**9), wait_for_inclusion=True)
    assert receipt.is_success
    assert si.get_block_number(None) == 4  # instant seal: one block for the extrinsic
    now = si.query("Timestamp", "Now").value  # the timestamp inherent (ms)
    assert abs(now / 1000 - time.time()) < 60


def test_state_set_up_straight_on_the_engine(localnet_node) -> None:
    from bt_llm.localnet.schema import Call

    def register_many(engine) -> int:
        alice = engine.dev_keys()["Alice"]
        nonce = engine.account_nonce(alice)
        for i in range(20):
            hotkey = bytes([i + 1]) * 32
            inner = Call("SubtensorModule", "sudo_register",
                         {"netuid": 1, "hotkey": hotkey, "coldkey": alice, "stake": 0, "balance": 0})
            engine.apply(Call("Sudo", "sudo", {"call": inner}), signer=alice, nonce=nonce + i, length=0)
        return engine.seal_block().number

    number = localnet_node.with_engine(register_many)
    assert int(localnet_node.rpc("chain_getHeader")["number"], 16) == number
    assert len(localnet_node.rpc("neuronInfo_getNeuronsLite", [1])) > 20 * 32


def test_pure_manual_sealing_holds_extrinsics_until_sealed(localnet_node_factory) -> None:
    handle = localnet_node_factory(instant_seal=False)
    si = handle.substrate()
    before = si.query("System", "Account", [BOB.ss58_address]).value["data"]["free"]
    si.submit_extrinsic(transfer(si, 777), wait_for_inclusion=False)
    assert si.get_block_number(None) == 0
    assert handle.rpc("author_pendingExtrinsics")
    assert si.query("System", "Account", [BOB.ss58_address]).value["data"]["free"] == before
    handle.seal()
    assert si.query("System", "Account", [BOB.ss58_address]).value["data"]["free"] == before + 777
    assert handle.rpc("author_pendingExtrinsics") == []


def test_expired_mortal_extrinsic_is_refused(localnet_node) -> None:
    localnet_node.seal(2)
    si = localnet_node.substrate()
    stale = transfer(si, 1, era={"period": 4})
    localnet_node.seal(8)
    with pytest.raises(SubstrateRequestException) as refused:
        si.submit_extrinsic(stale, wait_for_inclusion=True)
    assert refused.value.args[0]["data"] == "Transaction has an ancient birth block"
    assert si.submit_extrinsic(transfer(si, 1, era={"period": 64}), wait_for_inclusion=True).is_success


def test_state_survives_a_restart(tmp_path) -> None:
    with LocalnetNode(port=0, manual_seal=True, instant_seal=True, state_dir=tmp_path) as node:
        si = SubstrateInterface(url=node.url, ss58_format=42)
        assert si.submit_extrinsic(transfer(si, 4242), wait_for_inclusion=True).is_success
        node.seal(2)
        head = si.get_chain_head()
        bob = si.query("System", "Account", [BOB.ss58_address]).value["data"]["free"]
        si.close()
    with LocalnetNode(port=0, manual_seal=True, instant_seal=True, state_dir=tmp_path) as node:
        si = SubstrateInterface(url=node.url, ss58_format=42)
        assert si.get_chain_head() == head
        assert si.get_block_number(head) == 3
        assert si.query("System", "Account", [BOB.ss58_address]).value["data"]["free"] == bob
        assert si.submit_extrinsic(transfer(si, 1), wait_for_inclusion=True).is_success
        si.close()


def test_timed_block_production() -> None:
    with LocalnetNode(port=0, block_time=0.2) as node:
        deadline = time.monotonic() + 10
        number = 0
        while time.monotonic() < deadline and number < 3:
            number = int(node.rpc("chain_getHeader")["number"], 16)
            time.sleep(0.1)
        assert number >= 3


def _rpc(url: str, method: str, params: list | None = None) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def test_python_dash_m_runs_a_node_with_a_genesis_file(tmp_path) -> None:
    from bt_llm.localnet.storage import storage_key

    genesis = tmp_path / "localnet.toml"
    genesis.write_text("[[subnets]]\nnetuid = 1\ntempo = 7\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bt_llm.localnet", "--port", str(port), "--manual-seal",
                             "--genesis", str(genesis)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _rpc(f"http://127.0.0.1:{port}", "system_chain") == "Bittensor"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert _rpc(f"http://127.0.0.1:{port}", "engine_createBlock")["hash"].startswith("0x")
        assert _rpc(f"http://127.0.0.1:{port}", "chain_getHeader")["number"] == "0x1"
        tempo_key = "0x" + storage_key("SubtensorModule", "Tempo", 1).hex()
        assert _rpc(f"http://127.0.0.1:{port}", "state_getStorageAt", [tempo_key]) == "0x0700"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"ws://127.0.0.1:{port}" in out


def test_kill_9_then_restart_resumes_with_the_same_hashes(tmp_path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "bt_llm.localnet", "--port", str(port), "--state", str(tmp_path),
               "--block_time", "0.2"]
    url = f"http://127.0.0.1:{port}"

    def wait_up(proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                _rpc(url, "system_health")
                return
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)

    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(proc)
        deadline = time.monotonic() + 20
        while int(_rpc(url, "chain_getHeader")["number"], 16) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        number = int(_rpc(url, "chain_getHeader")["number"], 16)
        seen = _rpc(url, "chain_getBlockHash", [number])
    finally:
        proc.kill()  # SIGKILL: no shutdown path runs
        proc.wait(10)
    proc = subprocess.Popen([*command[:-2], "--manual-seal"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(proc)
        after = int(_rpc(url, "chain_getHeader")["number"], 16)
        assert after >= number
        assert _rpc(url, "chain_getBlockHash", [number]) == seen
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_busy_port_is_a_clear_error() -> None:
    from bt_llm.errors import ConfigError

    first = LocalnetNode(port=0, manual_seal=True)
    with first, pytest.raises(ConfigError, match="Address already in use"):  # bound at construction now
        LocalnetNode(port=first.server.port, manual_seal=True).start()

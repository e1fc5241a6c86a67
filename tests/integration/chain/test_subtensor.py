"""The seed's Subtensor snippets and the client API against a real localnet node."""

from __future__ import annotations

import threading

import pytest

from bt_llm.balance import Balance
from bt_llm.chain.subtensor import Subtensor
from bt_llm.errors import ConfigError, ExtrinsicFailedError
from bt_llm.protocol.axon_info import AxonInfo


def test_current_block_follows_sealing(localnet_node, subtensor: Subtensor) -> None:
    start = subtensor.get_current_block()
    localnet_node.seal(3)
    assert subtensor.get_current_block() == start + 3 == subtensor.block
    assert subtensor.get_block_hash(start + 3) == subtensor.get_block_hash()


def test_transfer_moves_exactly_the_amount(subtensor: Subtensor, wallets) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    bob_before = subtensor.get_balance(bob.coldkeypub.ss58_address)
    alice_before = subtensor.get_balance(alice.coldkeypub.ss58_address)
    fee = subtensor.get_transfer_fee(alice, bob.coldkeypub.ss58_address, 10.0)
    assert 0 < fee < 1000  # the localnet burns 1 rao per extrinsic byte
    result = subtensor.transfer(wallet=alice, dest=bob.coldkeypub.ss58_address, amount=10.0)
    assert result.included and result.block_hash
    assert subtensor.get_balance(bob.coldkeypub.ss58_address) == bob_before + Balance.from_tao(10)
    spent = alice_before - subtensor.get_balance(alice.coldkeypub.ss58_address)
    assert spent == Balance.from_tao(10) + Balance.from_rao(fee)
    # history: the balance as of the block before the transfer
    block = subtensor.get_current_block()
    assert subtensor.get_balance(bob.coldkeypub.ss58_address, block=block - 1) == bob_before


def test_transfer_failures_are_named(subtensor: Subtensor, wallets) -> None:
    with pytest.raises(ExtrinsicFailedError) as info:
        subtensor.transfer(wallets["alice"], wallets["bob"].coldkeypub.ss58_address, 10**6)
    assert info.value.error_name  # the Balances pallet's error, by name
    with pytest.raises(ConfigError):
        subtensor.transfer(wallets["alice"], "not-an-address", 1)


def test_burned_register_stake_and_neurons(subtensor: Subtensor, wallets) -> None:
    alice = wallets["alice"]
    hotkey = alice.hotkey.ss58_address
    assert not subtensor.is_hotkey_registered(hotkey, netuid=1)
    burn = subtensor.burn(1)
    before = subtensor.get_balance(alice.coldkeypub.ss58_address)
    subtensor.burned_register(alice, netuid=1)
    uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, 1)
    assert uid == 0 and subtensor.is_hotkey_registered(hotkey) and subtensor.is_hotkey_registered(hotkey, 1)
    assert subtensor.get_balance(alice.coldkeypub.ss58_address) <= before - burn
    with pytest.raises(ExtrinsicFailedError) as info:
        subtensor.burned_register(alice, netuid=1)
    assert info.value.error_name == "AlreadyRegistered"

    subtensor.add_stake(alice, Balance.from_tao(25))
    stake = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, alice.coldkeypub.ss58_address)
    assert stake == Balance.from_tao(25)
    assert subtensor.get_total_stake_for_hotkey(hotkey) == stake
    subtensor.unstake(alice, 5)
    assert subtensor.get_stake_for_coldkey_and_hotkey(hotkey, alice.coldkeypub.ss58_address) == Balance.from_tao(20)
    with pytest.raises(ExtrinsicFailedError) as info:
        subtensor.add_stake(alice, 10**7)
    assert info.value.error_name == "NotEnoughBalanceToStake"

    (lite,) = subtensor.neurons_lite(1)
    assert lite.hotkey == hotkey and lite.coldkey == alice.coldkeypub.ss58_address
    assert lite.total_stake_rao == 20 * 10**9
    full = subtensor.neuron_for_uid(uid, 1)
    assert full is not None and full.hotkey == hotkey and full.weights == []
    assert subtensor.neuron_for_uid_lite(uid, 1).uid == uid
    assert subtensor.neuron_for_uid(7, 1) is None
    assert [s.stake_rao for s in subtensor.get_stake_info_for_coldkey(alice.coldkeypub.ss58_address)] == [20 * 10**9]


def test_subnets_and_hyperparameters(subtensor: Subtensor) -> None:
    assert subtensor.get_subnets() == [1] and subtensor.subnet_exists(1) and not subtensor.subnet_exists(9)
    (info,) = subtensor.get_all_subnets_info()
    assert info.netuid == 1 and info.owner_ss58
    assert subtensor.get_subnet_info(1) == info
    hp = subtensor.get_subnet_hyperparameters(1)
    assert hp is not None and hp.tempo == subtensor.tempo(1) and hp.difficulty == subtensor.difficulty(1)
    assert subtensor.get_existential_deposit() == Balance.from_rao(500)


def test_serve_axon_and_set_weights(localnet_node, subtensor: Subtensor, wallets) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    subtensor.burned_register(alice, 1)
    subtensor.burned_register(bob, 1)
    subtensor.serve_axon(1, wallet=alice, ip="127.0.0.1", port=8091)
    info = AxonInfo(version=1, ip="127.0.0.1", port=9000, ip_type=4, hotkey=bob.hotkey.ss58_address,
                    coldkey=bob.coldkeypub.ss58_address)
    subtensor.serve_axon(1, info, wallet=bob)
    neurons = {n.uid: n for n in subtensor.neurons_lite(1)}
    assert neurons[0].axon_info.port == 8091 and neurons[1].axon_info.port == 9000
    assert neurons[1].axon_info.ip == "127.0.0.1" and neurons[1].axon_info.is_serving

    # without a validator permit only a self-weight is allowed
    with pytest.raises(ExtrinsicFailedError) as info:
        subtensor.set_weights(alice, 1, uids=[0, 1], weights=[0.25, 0.75], wait_for_inclusion=True)
    assert info.value.error_name == "NoValidatorPermit"
    subtensor.set_weights(alice, 1, uids=[0], weights=[1.0], wait_for_inclusion=True)
    assert subtensor.weights(1) == {0: [(0, 65535)]}
    # the epoch (tempo 99 on netuid 1) hands out permits; then any weights go
    localnet_node.seal(100 - (subtensor.get_current_block() + 2) % 100)
    assert subtensor.neuron_for_uid_lite(0, 1).validator_permit
    subtensor.set_weights(alice, 1, uids=[0, 1], weights=[0.25, 0.75], wait_for_inclusion=True)
    assert subtensor.weights(1) == {0: [(0, 21845), (1, 65535)]}
    assert sorted(subtensor.neuron_for_uid(0, 1).weights) == [(0, 21845), (1, 65535)]


def test_delegation(subtensor: Subtensor, wallets) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    delegate = alice.hotkey.ss58_address
    subtensor.burned_register(alice, 1)
    assert not subtensor.is_hotkey_delegate(delegate)
    subtensor.nominate(alice)
    assert subtensor.is_hotkey_delegate(delegate)
    assert subtensor.get_delegate_take(delegate) == pytest.approx(0.18, abs=1e-3)
    subtensor.delegate(bob, delegate, 3)
    (info,) = subtensor.get_delegates()
    assert info.hotkey_ss58 == delegate and info.owner_ss58 == alice.coldkeypub.ss58_address
    assert dict(info.nominators)[bob.coldkeypub.ss58_address] == 3 * 10**9
    assert subtensor.get_delegate_by_hotkey(delegate) == info
    (mine,) = subtensor.get_delegated(bob.coldkeypub.ss58_address)
    assert mine[0].hotkey_ss58 == delegate and mine[1] == Balance.from_tao(3)
    subtensor.undelegate(bob, delegate)  # everything
    assert subtensor.get_stake_for_coldkey_and_hotkey(delegate, bob.coldkeypub.ss58_address) == Balance.from_rao(0)


def test_senate_join_and_leave(subtensor: Subtensor, wallets) -> None:
    alice = wallets["alice"]
    subtensor.burned_register(alice, 1)
    subtensor.nominate(alice)
    subtensor.add_stake(alice, 100)
    assert subtensor.get_senate_members() == []
    subtensor.join_senate(alice)
    assert subtensor.get_senate_members() == [alice.hotkey.ss58_address]
    assert subtensor.is_senate_member(alice.hotkey.ss58_address)
    subtensor.leave_senate(alice)
    assert subtensor.get_senate_members() == []
    assert subtensor.get_proposals() == {}


def test_two_threads_share_one_client(subtensor: Subtensor, wallets) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    errors: list[BaseException] = []

    def send(wallet, dest) -> None:
        try:
            for _ in range(3):
                subtensor.transfer(wallet, dest, 1)
        except BaseException as exc:  # reported below
            errors.append(exc)

    before = subtensor.get_balance(bob.hotkey.ss58_address)
    threads = [threading.Thread(target=send, args=(w, bob.hotkey.ss58_address)) for w in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert subtensor.get_balance(bob.hotkey.ss58_address) == before + Balance.from_tao(6)


def test_seed_serve_axon_with_an_axon(subtensor: Subtensor, wallets) -> None:
    import bt_llm as bt

    alice = wallets["alice"]
    subtensor.burned_register(alice, 1)
    axon = bt.axon(wallet=alice, port=8123)  # not started: announcing needs no socket
    subtensor.serve_axon(netuid=1, axon=axon)
    (neuron,) = subtensor.neurons_lite(1)
    assert neuron.axon_info.port == 8123 and neuron.axon_info.ip == "127.0.0.1"
    assert neuron.axon_info.hotkey == alice.hotkey.ss58_address


def test_a_stopped_node_is_an_rpc_error(localnet_node_factory) -> None:
    from bt_llm.errors import RpcError

    handle = localnet_node_factory()
    client = Subtensor(handle.url, timeout=5)
    assert client.get_current_block() == 0
    handle.node.stop()
    with pytest.raises(RpcError):
        client.get_current_block()
    with pytest.raises(RpcError):  # and again: the broken socket was dropped, reconnecting is refused
        client.get_balance("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
    client.close()


def test_proposal_and_senate_vote(subtensor: Subtensor, wallets) -> None:
    from bt_llm.chain import extrinsics

    alice = wallets["alice"]
    subtensor.burned_register(alice, 1)
    subtensor.nominate(alice)
    subtensor.add_stake(alice, 100)
    subtensor.join_senate(alice)
    # Alice's coldkey is a triumvirate member on the localnet: it proposes a call for the senate
    call = subtensor.connection.run(
        lambda substrate: substrate.compose_call("SubtensorModule", "sudo_set_tempo", {"netuid": 1, "tempo": 50}))
    extrinsics.submit(subtensor.connection, "Triumvirate", "propose",
                      {"proposal": call, "length_bound": 100, "duration": 3600}, alice.coldkey)
    ((proposal_hash, (proposed, votes)),) = subtensor.get_proposals().items()
    assert proposed["call_function"] == "sudo_set_tempo" and votes.ayes == [] and votes.threshold == 1
    subtensor.vote(alice, proposal_hash, votes.index, approve=True)
    assert subtensor.get_proposal_vote_data(proposal_hash).ayes == [alice.hotkey.ss58_address]
    with pytest.raises(ExtrinsicFailedError) as info:  # one vote per senator
        subtensor.vote(alice, proposal_hash, votes.index, approve=True)
    assert info.value.error_name


def test_reads_go_on_while_a_submit_waits_for_its_block(localnet_node_factory, wallets) -> None:
    handle = localnet_node_factory(instant_seal=False)  # blocks only when the test seals one
    client = Subtensor(handle.url)
    alice, bob = wallets["alice"], wallets["bob"]
    done = threading.Event()
    outcome: list[object] = []

    def submit() -> None:
        try:
            outcome.append(client.transfer(alice, bob.coldkeypub.ss58_address, 1))
        except BaseException as exc:  # reported below
            outcome.append(exc)
        done.set()

    client.get_balance(bob.coldkeypub.ss58_address)  # connected, metadata loaded
    worker = threading.Thread(target=submit)
    worker.start()
    try:
        assert not done.wait(1.0)  # waiting for inclusion...
        assert client.get_current_block() == 0  # ...while reads still answer
        for _ in range(20):  # seal until the extrinsic is in a block
            handle.seal(1)
            if done.wait(1.0):
                break
        assert done.is_set()
    finally:
        handle.seal(1)
        worker.join(30)
        client.close()
    assert getattr(outcome[0], "included", False), outcome

"""btcli chain commands end to end against a localnet node, with wallets on disk and --no_prompt."""

from __future__ import annotations

from click.testing import CliRunner

from bt_llm.balance import Balance
from bt_llm.cli.main import cli, main


def btcli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_btcli_stake_transfer_metagraph_overview(localnet_node, subtensor, wallets, capsys) -> None:
    alice, bob = wallets["alice"], wallets["bob"]
    net = ["--subtensor.chain_endpoint", localnet_node.url]
    who = ["--wallet.name", "alice", "--wallet.hotkey", "default", "--wallet.path", str(alice.path)]
    subtensor.burned_register(alice, 1)

    out = btcli("stake", *who, "--amount", "12.5", "--no_prompt", *net)
    assert "τ12.500000000" in out
    assert subtensor.get_stake_for_coldkey_and_hotkey(alice.hotkey.ss58_address,
                                                      alice.coldkeypub.ss58_address) == Balance.from_tao(12.5)
    btcli("unstake", *who, "--amount", "2.5", "--no_prompt", *net)
    assert subtensor.get_stake_for_coldkey_and_hotkey(alice.hotkey.ss58_address,
                                                      alice.coldkeypub.ss58_address) == Balance.from_tao(10)

    bob_before = subtensor.get_balance(bob.coldkeypub.ss58_address)
    btcli("transfer", *who, "--dest", bob.coldkeypub.ss58_address, "--amount", "3", "--no_prompt", *net)
    assert subtensor.get_balance(bob.coldkeypub.ss58_address) == bob_before + Balance.from_tao(3)

    out = btcli("metagraph", "--netuid", "1", *net)
    assert alice.hotkey.ss58_address in out and "N: 1" in out and "10.00000" in out
    out = btcli("overview", *who, "--no_prompt", *net)
    assert alice.hotkey.ss58_address in out and "Subnet: 1" in out
    out = btcli("list_subnets", *net)
    assert "NETUID" in out and "4096" in out

    btcli("nominate", *who, "--no_prompt", *net)
    out = btcli("list_delegates", *net)
    assert alice.hotkey.ss58_address in out
    bob_who = ["--wallet.name", "bob", "--wallet.path", str(bob.path)]
    btcli("delegate", *bob_who, "--delegate_ss58", alice.hotkey.ss58_address, "--amount", "1", "--no_prompt", *net)
    assert alice.hotkey.ss58_address in btcli("my_delegates", *bob_who, "--no_prompt", *net)
    btcli("undelegate", *bob_who, "--delegate_ss58", alice.hotkey.ss58_address, "--all", "--no_prompt", *net)
    assert subtensor.get_delegated(bob.coldkeypub.ss58_address) == []

    btcli("senate_register", *who, "--no_prompt", *net)
    assert alice.hotkey.ss58_address in btcli("senate", *net)
    btcli("senate_leave", *who, "--no_prompt", *net)
    assert alice.hotkey.ss58_address not in btcli("senate", *net)
    assert "HASH" in btcli("proposals", *net)

    # a refusal is one red line, exit code 1; too large a stake is refused before signing (no fee paid)
    balance = subtensor.get_balance(alice.coldkeypub.ss58_address)
    capsys.readouterr()
    assert main(["stake", *who, "--amount", "100000", "--no_prompt", *net]) == 1
    err = capsys.readouterr().err
    assert "not enough to stake" in err and len(err.strip().splitlines()) == 1
    assert subtensor.get_balance(alice.coldkeypub.ss58_address) == balance


def test_btcli_weights(localnet_node, subtensor, wallets) -> None:
    alice = wallets["alice"]
    subtensor.burned_register(alice, 1)
    subtensor.set_weights(alice, 1, [0], [1.0], wait_for_inclusion=True)
    out = btcli("weights", "--netuid", "1", "--subtensor.chain_endpoint", localnet_node.url)
    assert "65535" in out and "1.00000" in out

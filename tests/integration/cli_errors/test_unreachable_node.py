"""Every chain command of btcli against an unreachable node: one line, exit 1, no traceback."""

from __future__ import annotations

import pytest

from tests.integration.cli_errors.helpers import (
    ALICE,
    UNREACHABLE,
    assert_one_line_error,
    btcli,
    make_wallets,
)

PROPOSAL = "0x" + "ab" * 32
W = ["--wallet.name", "alice", "--wallet.hotkey", "default", "--no_prompt"]

COMMANDS = [
    ["overview", *W],
    ["metagraph", "--netuid", "1"],
    ["list_subnets"],
    ["weights", "--netuid", "1"],
    ["transfer", *W, "--dest", ALICE, "--amount", "1"],
    ["stake", *W, "--amount", "1"],
    ["unstake", *W, "--amount", "1"],
    ["nominate", *W],
    ["delegate", *W, "--delegate_ss58", ALICE, "--amount", "1"],
    ["undelegate", *W, "--delegate_ss58", ALICE, "--amount", "1"],
    ["list_delegates"],
    ["my_delegates", *W],
    ["register", *W, "--netuid", "1"],
    ["recycle_register", *W, "--netuid", "1"],
    ["senate"],
    ["proposals"],
    ["proposal_votes", "--proposal", PROPOSAL, "--no_prompt"],
    ["senate_register", *W],
    ["senate_leave", *W],
    ["senate_vote", *W, "--proposal", PROPOSAL, "--vote", "aye"],
    ["inspect", "--wallet.name", "alice", "--no_prompt"],
]


@pytest.fixture
def wallet_flags(tmp_path, monkeypatch) -> list[str]:
    monkeypatch.setenv("BT_WALLET_PATH", str(tmp_path))
    return make_wallets(str(tmp_path))


NO_WALLET = {"metagraph", "list_subnets", "weights", "list_delegates", "senate", "proposals", "proposal_votes"}


@pytest.mark.parametrize("argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_unreachable_node_is_one_line(argv: list[str], wallet_flags: list[str], capsys) -> None:
    flags = [] if argv[0] in NO_WALLET else wallet_flags
    result = btcli(capsys, [*argv, *flags, "--subtensor.chain_endpoint", UNREACHABLE])
    assert_one_line_error(result, "could not connect to ws://127.0.0.1:1")


def test_network_flag_as_url_is_one_line(capsys) -> None:
    result = btcli(capsys, ["metagraph", "--netuid", "1", "--subtensor.network", UNREACHABLE])
    assert_one_line_error(result, "could not connect")

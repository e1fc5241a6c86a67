"""btcli with bad input against a real localnet node: one clear line, exit != 0, no traceback, and the
chain unchanged (a refused call signs nothing, so not even a fee is paid)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.cli_errors.helpers import ALICE, BOB, assert_one_line_error, btcli, make_wallets

PROPOSAL = "0x" + "ab" * 32


@pytest.fixture
def env(localnet_node, tmp_path, monkeypatch) -> Iterator[tuple[list[str], object]]:
    from bt_llm.chain.subtensor import Subtensor

    monkeypatch.setenv("BT_WALLET_PATH", str(tmp_path))
    flags = [*make_wallets(str(tmp_path)), "--subtensor.chain_endpoint", localnet_node.url, "--no_prompt"]
    subtensor = Subtensor(chain_endpoint=localnet_node.url)
    yield flags, subtensor
    subtensor.close()


def _state(subtensor) -> tuple[int, int, int]:
    return (subtensor.get_balance(ALICE).rao, subtensor.get_current_block(),
            subtensor.get_stake_for_coldkey_and_hotkey(ALICE, ALICE).rao)


ALICE_W = ["--wallet.name", "alice", "--wallet.hotkey", "default"]
QA_W = ["--wallet.name", "qa", "--wallet.hotkey", "default"]

REFUSED = [
    # (argv, words the one line must hold)
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "abc"], ["Invalid amount", "abc"]),
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "nan"], ["Invalid amount", "nan"]),
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "inf"], ["Invalid amount", "inf"]),
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "-5"], ["must be positive"]),
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "0"], ["must be positive"]),
    (["transfer", *ALICE_W, "--dest", BOB, "--amount", "1e30"], ["not enough to transfer"]),
    (["transfer", *ALICE_W, "--dest", "notanaddress", "--amount", "1"], ["--dest", "not a valid ss58"]),
    (["transfer", *ALICE_W, "--dest", BOB[:-1] + "X", "--amount", "1"], ["--dest", "not a valid ss58"]),
    (["transfer", *ALICE_W, "--amount", "1"], ["--dest is required"]),
    (["transfer", *ALICE_W, "--dest", BOB], ["--amount is required"]),
    (["transfer", "--wallet.name", "nosuch", "--dest", BOB, "--amount", "1"], ["nosuch", "does not exist"]),
    (["stake", *ALICE_W, "--amount", "-1"], ["must be positive"]),
    (["stake", *QA_W, "--amount", "1"], ["not registered"]),
    (["stake", *ALICE_W, "--hotkey_ss58", "bogus", "--amount", "1"], ["--hotkey_ss58", "not a valid ss58"]),
    (["stake", "--wallet.name", "alice", "--wallet.hotkey", "nosuch", "--amount", "1"], ["nosuch", "does not exist"]),
    (["unstake", *ALICE_W, "--amount", "5"], ["not enough to unstake"]),
    (["unstake", *ALICE_W, "--all"], ["no stake"]),
    (["unstake", *ALICE_W, "--hotkey_ss58", "bogus", "--amount", "1"], ["--hotkey_ss58", "not a valid ss58"]),
    (["delegate", *ALICE_W, "--delegate_ss58", "bogus", "--amount", "1"], ["--delegate_ss58", "not a valid ss58"]),
    (["delegate", *ALICE_W, "--delegate_ss58", BOB, "--amount", "1"], ["is not a delegate"]),
    (["delegate", *ALICE_W, "--amount", "1"], ["--delegate_ss58 is required"]),
    (["undelegate", *ALICE_W, "--delegate_ss58", "bogus", "--amount", "1"], ["--delegate_ss58", "not a valid ss58"]),
    (["register", *ALICE_W, "--netuid", "99"], ["subnet 99 does not exist"]),
    (["recycle_register", *ALICE_W, "--netuid", "99"], ["subnet 99 does not exist"]),
    (["recycle_register", "--wallet.name", "alice", "--wallet.hotkey", "nosuch", "--netuid", "1"], ["does not exist"]),
    (["weights", "--netuid", "99"], ["subnet 99 does not exist"]),
    (["overview", *ALICE_W, "--netuid", "99"], ["subnet 99"]),
    (["proposal_votes", "--proposal", "0x00"], ["--proposal", "not a proposal hash"]),
    (["proposal_votes", "--proposal", PROPOSAL], ["no active proposal"]),
    (["proposal_votes"], ["--proposal is required"]),
    (["senate_vote", *ALICE_W, "--proposal", "zz", "--vote", "aye"], ["not a proposal hash"]),
    (["senate_vote", *ALICE_W, "--proposal", PROPOSAL], ["--vote aye|nay is required"]),
    (["senate_leave", *ALICE_W], ["is not a senate member"]),
    (["nominate", *QA_W], ["not registered"]),
    (["senate_register", *QA_W], ["not registered"]),
    (["inspect", "--wallet.name", "nosuch"], ["No wallet 'nosuch'"]),
]

USAGE = [
    ["register", *ALICE_W],  # --netuid missing (click 8.5 let an explicit default=None through)
    ["recycle_register", *ALICE_W],
    ["metagraph", "--netuid", "-1"],
    ["metagraph", "--netuid", "70000"],
    ["metagraph", "--netuid", "abc"],
    ["metagraph", "--netuid", "1", "--block", "-3"],
    ["transfer", "--bogus"],
]

NO_WALLET_FLAGS = {"weights", "proposal_votes", "metagraph"}


def _argv(argv: list[str], flags: list[str]) -> list[str]:
    if argv[0] in NO_WALLET_FLAGS:
        flags = [f for f in flags if f != "--wallet.path" and not f.startswith("/")]
        flags = [f for f in flags if f != "--no_prompt"] + (["--no_prompt"] if argv[0] == "proposal_votes" else [])
    return [*argv, *flags]


@pytest.mark.parametrize(("argv", "needles"), REFUSED, ids=[" ".join(a[:1] + a[-2:]) for a, _ in REFUSED])
def test_refused_with_one_line_and_chain_unchanged(env, argv, needles, capsys) -> None:
    flags, subtensor = env
    before = _state(subtensor)
    result = btcli(capsys, _argv(argv, flags))
    assert_one_line_error(result, *needles)
    assert _state(subtensor) == before  # no extrinsic, no fee, no block


@pytest.mark.parametrize("argv", USAGE, ids=[" ".join(a[-2:]) for a in USAGE])
def test_usage_errors_are_clicks_block(env, argv, capsys) -> None:
    flags, _ = env
    result = btcli(capsys, _argv(argv, flags))
    assert_one_line_error(result, usage=True)


def test_a_good_transfer_still_goes_through(env, capsys) -> None:
    flags, subtensor = env
    before = subtensor.get_balance(BOB).rao
    result = btcli(capsys, ["transfer", *ALICE_W, "--dest", BOB, "--amount", "1.5", *flags])
    assert result.code == 0, result.err
    assert subtensor.get_balance(BOB).rao == before + 1_500_000_000

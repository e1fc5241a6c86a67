"""Balances, sudo, the senate and Triumvirate proposals."""

from __future__ import annotations

import pytest

from bt_llm.localnet.schema import Call, encode_call
from bt_llm.localnet.storage import blake2_256
from tests.unit.localnet.conftest import ALICE, BOB, CHARLIE, DAVE, EVE, ST, TAO, Chain, acct

B = "Balances"
T = "Triumvirate"


# ----------------------------------------------------------------------------- balances


def test_transfer_moves_funds_and_endows_new_accounts(chain: Chain) -> None:
    new = acct(40)
    r = chain.ok(ALICE, B, "transfer", dest=new, value=5 * TAO)
    names = [rec.event.name for rec in r.events]
    assert "Endowed" in names and "Transfer" in names and names[-1] == "ExtrinsicSuccess"
    assert chain.get("System", "Account", new)["data"]["free"] == 5 * TAO


def test_transfer_insufficient_balance(chain: Chain) -> None:
    assert chain.err(DAVE, B, "transfer", dest=EVE, value=3 * TAO) == "InsufficientBalance"


def test_transfer_existential_deposit(chain: Chain) -> None:
    assert chain.err(ALICE, B, "transfer", dest=acct(41), value=499) == "ExistentialDeposit"


def test_transfer_keep_alive(chain: Chain) -> None:
    assert chain.err(DAVE, B, "transfer_keep_alive", dest=EVE, value=2 * TAO - 100) == "KeepAlive"
    chain.ok(DAVE, B, "transfer_keep_alive", dest=EVE, value=TAO)


def test_transfer_allow_death_reaps_and_destroys_dust(chain: Chain) -> None:
    issuance = chain.get(B, "TotalIssuance")
    r = chain.ok(DAVE, B, "transfer_allow_death", dest=EVE, value=2 * TAO - 100)
    assert any(rec.event.name == "DustLost" and rec.event.args[1] == 100 for rec in r.events)
    assert chain.get("System", "Account", DAVE)["data"]["free"] == 0
    assert chain.get(B, "TotalIssuance") == issuance - 100


def test_fees_are_one_rao_per_byte_for_balances_calls_and_burned(chain: Chain) -> None:
    e = chain.engine
    before = chain.get("System", "Account", ALICE)["data"]["free"]
    r = e.apply(Call(B, "transfer", {"dest": BOB, "value": TAO}), signer=ALICE, nonce=0, length=150)
    assert r.success and r.fee == 150
    assert chain.get("System", "Account", ALICE)["data"]["free"] == before - TAO - 150


def test_nonce_stale_future_and_payment(chain: Chain) -> None:
    from bt_llm.localnet.engine import InvalidTransaction

    e = chain.engine
    call = Call(B, "transfer", {"dest": BOB, "value": 1000})
    e.apply(call, signer=ALICE, nonce=0)
    with pytest.raises(InvalidTransaction) as stale:
        e.apply(call, signer=ALICE, nonce=0)
    assert stale.value.reason == "Stale"
    with pytest.raises(InvalidTransaction) as future:
        e.apply(call, signer=ALICE, nonce=5)
    assert future.value.reason == "Future"
    with pytest.raises(InvalidTransaction) as pay:
        e.apply(call, signer=acct(77), nonce=0, length=100)
    assert pay.value.reason == "Payment"
    assert e.account_nonce(ALICE) == 1 and e.account_nonce(acct(77)) == 0


# ----------------------------------------------------------------------------- sudo


def test_sudo_requires_the_sudo_key_and_runs_as_root(chain: Chain) -> None:
    inner = Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 7})
    assert chain.err(BOB, "Sudo", "sudo", call=inner) == "RequireSudo"
    assert chain.err(ALICE, ST, "sudo_set_tempo", netuid=1, tempo=7) == "BadOrigin"
    chain.sudo(ST, "sudo_set_tempo", netuid=1, tempo=7)
    assert chain.get(ST, "Tempo", 1) == 7


def test_sudo_reports_the_inner_error_in_sudid(chain: Chain) -> None:
    r = chain.ok(ALICE, "Sudo", "sudo", call=Call(ST, "sudo_set_tempo", {"netuid": 9, "tempo": 7}))
    sudid = next(rec.event for rec in r.events if rec.event.name == "Sudid")
    assert sudid.args[0][0] == "Err" and sudid.args[0][1][0] == "Module"


def test_sudo_network_and_emission_values(chain: Chain) -> None:
    r = chain.ok(
        ALICE, "Sudo", "sudo", call=Call(ST, "sudo_add_network", {"netuid": 1, "tempo": 1, "modality": 0})
    )
    assert (
        next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0][0] == "Err"
    )  # NetworkExist
    chain.sudo(ST, "sudo_add_network", netuid=2, tempo=5, modality=0)
    assert chain.get(ST, "TotalNetworks") == 2
    chain.sudo(ST, "sudo_set_emission_values", netuids=[1, 2], emission=[600_000_000, 400_000_000])
    assert chain.get(ST, "EmissionValues", 2) == 400_000_000
    bad = Call(ST, "sudo_set_emission_values", {"netuids": [1, 2], "emission": [1, 2]})
    r = chain.ok(ALICE, "Sudo", "sudo", call=bad)
    err = next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0]
    from bt_llm.localnet.schema import error_index

    assert err == (
        "Err",
        ("Module", {"index": 7, "error": bytes([error_index(ST, "InvalidEmissionValues")[1], 0, 0, 0])}),
    )


def test_sudo_set_max_allowed_uids_must_exceed_n(chain: Chain) -> None:
    chain.register(acct(1))
    chain.register(acct(2))
    r = chain.ok(
        ALICE,
        "Sudo",
        "sudo",
        call=Call(ST, "sudo_set_max_allowed_uids", {"netuid": 1, "max_allowed_uids": 2}),
    )
    assert next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0][0] == "Err"


# ----------------------------------------------------------------------------- senate


@pytest.fixture
def senate(chain: Chain) -> Chain:
    """Bob's hotkey is a registered delegate holding all the stake."""
    chain.register(acct(5), coldkey=BOB)
    chain.ok(BOB, ST, "become_delegate", hotkey=acct(5))
    chain.ok(BOB, ST, "add_stake", hotkey=acct(5), amount_staked=100 * TAO)
    return chain


def test_join_senate_errors_in_order(senate: Chain) -> None:
    hk = acct(5)
    assert senate.err(ALICE, ST, "join_senate", hotkey=hk) == "NonAssociatedColdKey"
    senate.register(acct(6), coldkey=CHARLIE)
    assert senate.err(CHARLIE, ST, "join_senate", hotkey=acct(6)) == "NotDelegate"
    senate.ok(CHARLIE, ST, "become_delegate", hotkey=acct(6))
    assert senate.err(CHARLIE, ST, "join_senate", hotkey=acct(6)) == "BelowStakeThreshold"
    senate.ok(BOB, ST, "join_senate", hotkey=hk)
    assert senate.get("SenateMembers", "Members") == [hk]
    assert senate.err(BOB, ST, "join_senate", hotkey=hk) == "AlreadySenateMember"


def test_join_senate_not_registered(chain: Chain) -> None:
    # deregister by replacement: max uids 1, immunity 0
    chain.sudo(ST, "sudo_set_max_allowed_uids", netuid=1, max_allowed_uids=1)
    chain.sudo(ST, "sudo_set_immunity_period", netuid=1, immunity_period=0)
    chain.register(acct(5), coldkey=BOB)
    chain.register(acct(9), coldkey=ALICE)
    assert chain.err(BOB, ST, "join_senate", hotkey=acct(5)) == "NotRegistered"


def test_leave_senate_and_unstaking_below_threshold(senate: Chain) -> None:
    hk = acct(5)
    assert senate.err(BOB, ST, "leave_senate", hotkey=hk) == "NotSenateMember"
    senate.ok(BOB, ST, "join_senate", hotkey=hk)
    senate.ok(BOB, ST, "leave_senate", hotkey=hk)
    assert senate.get("SenateMembers", "Members") == []
    senate.ok(BOB, ST, "join_senate", hotkey=hk)
    senate.register(acct(6), coldkey=CHARLIE)
    senate.ok(CHARLIE, ST, "add_stake", hotkey=acct(6), amount_staked=900 * TAO)
    senate.ok(BOB, ST, "remove_stake", hotkey=hk, amount_unstaked=95 * TAO)  # 5 TAO of 905: < 1%
    assert senate.get("SenateMembers", "Members") == []


def _propose(chain: Chain, call: Call, duration: int = 3600, who: bytes = ALICE) -> bytes:
    chain.ok(who, T, "propose", proposal=call, length_bound=1000, duration=duration)
    return blake2_256(encode_call(call))


def test_proposal_approved_by_the_senate_runs_as_root(senate: Chain) -> None:
    senate.ok(BOB, ST, "join_senate", hotkey=acct(5))
    call = Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 42})
    h = _propose(senate, call)
    voting = senate.get(T, "Voting", h)
    assert voting["threshold"] == 1 and voting["end"] == senate.block + 3600
    senate.ok(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=0, approve=True)
    r = senate.ok(
        EVE,
        T,
        "close",
        proposal_hash=h,
        index=0,
        proposal_weight_bound={"ref_time": 0, "proof_size": 0},
        length_bound=1000,
    )
    names = [rec.event.name for rec in r.events]
    assert names[:4] == ["Closed", "Approved", "TempoSet", "Executed"]
    assert r.events[3].event.args[1] == ("Ok", None)
    assert senate.get(ST, "Tempo", 1) == 42
    assert senate.get(T, "Proposals") == []


def test_proposal_errors(senate: Chain) -> None:
    call = Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 42})
    assert senate.err(DAVE, T, "propose", proposal=call, length_bound=1000, duration=3600) == "NotMember"
    assert senate.err(ALICE, T, "propose", proposal=call, length_bound=1000, duration=10) == "WrongDuration"
    assert (
        senate.err(ALICE, T, "propose", proposal=call, length_bound=2, duration=3600) == "WrongProposalLength"
    )
    h = _propose(senate, call)
    assert (
        senate.err(ALICE, T, "propose", proposal=call, length_bound=1000, duration=3600)
        == "DuplicateProposal"
    )
    # votes go through SubtensorModule.vote, by a senator's coldkey
    assert senate.err(ALICE, T, "vote", proposal=h, index=0, approve=True) == "NotMember"
    assert senate.err(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=0, approve=True) == "NotSenateMember"
    senate.ok(BOB, ST, "join_senate", hotkey=acct(5))
    assert senate.err(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=1, approve=True) == "WrongIndex"
    assert (
        senate.err(BOB, ST, "vote", hotkey=acct(5), proposal=bytes(32), index=0, approve=True)
        == "ProposalMissing"
    )
    senate.ok(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=0, approve=False)
    assert senate.err(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=0, approve=False) == "DuplicateVote"


def test_close_too_early_then_abstentions_count_as_nay(senate: Chain) -> None:
    senate.ok(BOB, ST, "join_senate", hotkey=acct(5))
    senate.register(acct(6), coldkey=CHARLIE)
    senate.ok(CHARLIE, ST, "become_delegate", hotkey=acct(6))
    senate.ok(CHARLIE, ST, "add_stake", hotkey=acct(6), amount_staked=100 * TAO)
    senate.ok(CHARLIE, ST, "join_senate", hotkey=acct(6))
    call = Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 42})
    h = _propose(senate, call)  # threshold 2 of 2
    senate.ok(BOB, ST, "vote", hotkey=acct(5), proposal=h, index=0, approve=True)
    close = {
        "proposal_hash": h,
        "index": 0,
        "proposal_weight_bound": {"ref_time": 0, "proof_size": 0},
        "length_bound": 1000,
    }
    assert senate.err(EVE, T, "close", **close) == "TooEarly"
    senate.engine.state.set(T, "Voting", h, {**senate.get(T, "Voting", h), "end": senate.block})
    r = senate.ok(EVE, T, "close", **close)
    assert [rec.event.name for rec in r.events][:2] == ["Closed", "Disapproved"]
    assert senate.get(ST, "Tempo", 1) == 99

"""The remaining named errors: root setters, networks, emission values, connection requirements, proposals."""

from __future__ import annotations

from typing import Any

import pytest

from bt_llm.localnet.schema import Call, encode_call
from bt_llm.localnet.storage import blake2_256
from tests.unit.localnet.conftest import ALICE, BOB, ST, TAO, Chain, acct


def _sudo_error(chain: Chain, name: str, **args: Any) -> str | None:
    r = chain.ok(ALICE, "Sudo", "sudo", call=Call(ST, name, args))
    result = next(
        rec.event for rec in r.events if rec.event.pallet == "Sudo" and rec.event.name == "Sudid"
    ).args[0]
    if result[0] == "Ok":
        return None
    kind, detail = result[1]
    assert kind == "Module" and detail["index"] == 7
    from bt_llm.localnet.schema import pallet

    return pallet(ST).errors[detail["error"][0]].name


@pytest.mark.parametrize(
    ("name", "args", "error"),
    [
        ("sudo_add_network", {"netuid": 2, "tempo": 10, "modality": 3}, "InvalidModality"),
        ("sudo_add_network", {"netuid": 2, "tempo": 65535, "modality": 0}, "InvalidTempo"),
        ("sudo_add_network", {"netuid": 1, "tempo": 10, "modality": 0}, "NetworkExist"),
        ("sudo_remove_network", {"netuid": 4}, "NetworkDoesNotExist"),
        ("sudo_set_tempo", {"netuid": 1, "tempo": 65535}, "InvalidTempo"),
        ("sudo_set_scaling_law_power", {"netuid": 1, "scaling_law_power": 101}, "StorageValueOutOfRange"),
        ("sudo_set_kappa", {"netuid": 3, "kappa": 1}, "NetworkDoesNotExist"),
        ("sudo_set_emission_values", {"netuids": [1], "emission": [1, 2]}, "WeightVecNotEqualSize"),
        ("sudo_set_emission_values", {"netuids": [1, 1], "emission": [1, 2]}, "IncorrectNetuidsLength"),
        ("sudo_set_emission_values", {"netuids": [2], "emission": [10**9]}, "InvalidUid"),
        ("sudo_set_emission_values", {"netuids": [1], "emission": [10**9 - 1]}, "InvalidEmissionValues"),
        ("sudo_add_network_connection_requirement", {"netuid_a": 1, "netuid_b": 1, "requirement": 1},
         "InvalidConnectionRequirement"),
        ("sudo_add_network_connection_requirement", {"netuid_a": 1, "netuid_b": 2, "requirement": 1},
         "NetworkDoesNotExist"),
        ("sudo_remove_votes", {"who": BOB}, None),
    ],
)  # fmt: skip
def test_root_call_errors(chain: Chain, name: str, args: dict[str, Any], error: str | None) -> None:
    assert _sudo_error(chain, name, **args) == error


def test_emission_values_duplicate_uids(chain: Chain) -> None:
    chain.sudo(ST, "sudo_add_network", netuid=2, tempo=10, modality=0)
    assert _sudo_error(chain, "sudo_set_emission_values", netuids=[1, 1], emission=[1, 2]) == "DuplicateUids"


def test_connection_requirement_gates_registration(chain: Chain) -> None:
    chain.sudo(ST, "sudo_add_network", netuid=2, tempo=10, modality=0)
    chain.sudo(ST, "sudo_set_registration_allowed", netuid=2, registration_allowed=True)
    chain.sudo(ST, "sudo_add_network_connection_requirement", netuid_a=2, netuid_b=1, requirement=65535)
    hk = acct(4)
    assert (
        chain.err(ALICE, ST, "burned_register", netuid=2, hotkey=hk)
        == "DidNotPassConnectedNetworkRequirement"
    )
    chain.register(hk, netuid=1)
    chain.ok(ALICE, ST, "burned_register", netuid=2, hotkey=hk)
    chain.sudo(ST, "sudo_remove_network_connection_requirement", netuid_a=2, netuid_b=1)
    assert chain.get(ST, "NetworkConnect", 2, 1) is None


def test_remove_network_erases_it(chain: Chain) -> None:
    chain.register(acct(1))
    chain.sudo(ST, "sudo_remove_network", netuid=1)
    assert not chain.get(ST, "NetworksAdded", 1) and chain.get(ST, "TotalNetworks") == 0
    assert chain.get(ST, "Keys", 1, 0) == bytes(32) and chain.get(ST, "Uids", 1, acct(1)) is None


def test_sudo_remove_votes_refuses_a_senator(chain: Chain) -> None:
    chain.register(acct(5), coldkey=BOB)
    chain.ok(BOB, ST, "become_delegate", hotkey=acct(5))
    chain.ok(BOB, ST, "add_stake", hotkey=acct(5), amount_staked=TAO)
    chain.ok(BOB, ST, "join_senate", hotkey=acct(5))
    assert _sudo_error(chain, "sudo_remove_votes", who=acct(5)) == "SenateMember"


def test_a_full_senate_swaps_out_its_weakest_member_only_for_more_stake(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_senate_required_stake_perc", required_percent=0)
    for i in range(13):
        hk = acct(30 + i)
        chain.register(hk, coldkey=ALICE)
        chain.ok(ALICE, ST, "become_delegate", hotkey=hk)
        chain.ok(ALICE, ST, "add_stake", hotkey=hk, amount_staked=(i + 1) * 1000)
    for i in range(12):
        chain.ok(ALICE, ST, "join_senate", hotkey=acct(30 + i))
    assert len(chain.get("SenateMembers", "Members")) == 12
    newcomer = acct(42)  # stake 13000 > the weakest (1000)
    chain.ok(ALICE, ST, "join_senate", hotkey=newcomer)
    members = chain.get("SenateMembers", "Members")
    assert newcomer in members and acct(30) not in members and len(members) == 12
    # acct(30) (stake 1000) now cannot beat the weakest member (2000)
    assert chain.err(ALICE, ST, "join_senate", hotkey=acct(30)) == "BelowStakeThreshold"


def test_too_many_proposals_and_close_errors(chain: Chain) -> None:
    for tempo in range(10):
        chain.ok(ALICE, "Triumvirate", "propose", proposal=Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": tempo}),
                 length_bound=100, duration=3600)  # fmt: skip
    extra = Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 77})
    assert (
        chain.err(BOB, "Triumvirate", "propose", proposal=extra, length_bound=100, duration=3600)
        == "TooManyProposals"
    )
    h = blake2_256(encode_call(Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 3})))
    w = {"ref_time": 0, "proof_size": 0}
    assert chain.err(BOB, "Triumvirate", "close", proposal_hash=h, index=9, proposal_weight_bound=w,
                     length_bound=100) == "WrongIndex"  # fmt: skip
    assert chain.err(BOB, "Triumvirate", "close", proposal_hash=bytes(32), index=0, proposal_weight_bound=w,
                     length_bound=100) == "ProposalMissing"  # fmt: skip
    # an empty senate: a threshold of 1 can never be reached, so close disapproves at once
    r = chain.ok(
        BOB, "Triumvirate", "close", proposal_hash=h, index=3, proposal_weight_bound=w, length_bound=100
    )
    assert [rec.event.name for rec in r.events][:2] == ["Closed", "Disapproved"]


def test_membership_pallets_are_root_only_and_bounded(chain: Chain) -> None:
    tri = "TriumvirateMembers"
    assert chain.err(ALICE, tri, "add_member", who=BOB) == "BadOrigin"
    r = chain.ok(ALICE, "Sudo", "sudo", call=Call(tri, "add_member", {"who": BOB}))
    assert (
        next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0][0] == "Err"
    )  # AlreadyMember
    chain.sudo(tri, "remove_member", who=BOB)
    assert BOB not in chain.get("Triumvirate", "Members") and BOB not in chain.get(tri, "Members")
    chain.sudo(tri, "add_member", who=acct(70))
    r = chain.ok(ALICE, "Sudo", "sudo", call=Call(tri, "add_member", {"who": acct(71)}))
    sudid = next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0]
    assert sudid[1] == ("Module", {"index": 9, "error": bytes([2, 0, 0, 0])})  # TooManyMembers
    r = chain.ok(ALICE, "Sudo", "sudo", call=Call("SenateMembers", "remove_member", {"who": acct(70)}))
    sudid = next(rec.event for rec in r.events if rec.event.name == "Sudid").args[0]
    assert sudid[1] == ("Module", {"index": 10, "error": bytes([1, 0, 0, 0])})  # NotMember


def test_calls_the_runtime_does_not_serve_are_filtered(chain: Chain) -> None:
    r = chain.call(ALICE, "Timestamp", "set", now=5)
    assert r.error == ("System", "CallFiltered")
    assert chain.engine.account_nonce(ALICE) == 1  # included all the same


def test_sudo_set_key_and_sudo_as(chain: Chain) -> None:
    chain.ok(
        ALICE, "Sudo", "sudo_as", who=BOB, call=Call("Balances", "transfer", {"dest": acct(80), "value": TAO})
    )
    assert chain.get("System", "Account", acct(80))["data"]["free"] == TAO
    chain.ok(ALICE, "Sudo", "set_key", new=BOB)
    assert chain.get("Sudo", "Key") == BOB
    assert (
        chain.err(ALICE, "Sudo", "sudo", call=Call(ST, "sudo_set_tempo", {"netuid": 1, "tempo": 3}))
        == "RequireSudo"
    )

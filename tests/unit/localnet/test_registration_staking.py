"""register / burned_register / add_stake / remove_stake / become_delegate: each named error, in the pallet's order."""

from __future__ import annotations

import pytest

from bt_llm.localnet.calls.registration import meets_difficulty, seal_hash
from tests.unit.localnet.conftest import ALICE, BOB, DAVE, ST, TAO, Chain, acct

HOT = acct(7)


def _pow(
    chain: Chain,
    hotkey: bytes,
    coldkey: bytes = ALICE,
    *,
    block: int | None = None,
    nonce: int = 0,
    work: bytes | None = None,
    signer: bytes | None = None,
    netuid: int = 1,
) -> str | None:
    block = chain.engine.head.number if block is None else block
    block_hash = chain.engine.block_hash(block) or bytes(32)
    seal = seal_hash(block_hash, hotkey, nonce) if work is None else work
    r = chain.call(
        signer or hotkey,
        ST,
        "register",
        netuid=netuid,
        block_number=block,
        nonce=nonce,
        work=seal,
        hotkey=hotkey,
        coldkey=coldkey,
    )
    return None if r.success else r.error[1]


# ----------------------------------------------------------------------------- the seal


def test_seal_matches_the_pallet_formula_and_difficulty_is_a_u256_overflow_check() -> None:
    import hashlib

    from Crypto.Hash import keccak

    bh, hk = bytes(range(32)), bytes(range(32, 64))
    pre = keccak.new(data=bh + hk, digest_bits=256).digest()
    expected = keccak.new(
        data=hashlib.sha256((5).to_bytes(8, "little") + pre).digest(), digest_bits=256
    ).digest()
    assert seal_hash(bh, hk, 5) == expected
    assert meets_difficulty(b"\xff" * 32, 1)
    assert not meets_difficulty(b"\xff" * 32, 2)
    assert meets_difficulty((2**255 - 1).to_bytes(32, "big"), 2)


# ----------------------------------------------------------------------------- register (PoW)


def test_register_success(chain: Chain) -> None:
    assert _pow(chain, HOT) is None
    assert chain.get(ST, "Uids", 1, HOT) == 0
    assert chain.get(ST, "Owner", HOT) == ALICE
    assert chain.get(ST, "POWRegistrationsThisInterval", 1) == 1
    assert chain.get(ST, "SubnetworkN", 1) == 1


def test_register_hotkey_origin_mismatch(chain: Chain) -> None:
    assert _pow(chain, HOT, signer=BOB) == "HotkeyOriginMismatch"


def test_register_network_does_not_exist(chain: Chain) -> None:
    assert _pow(chain, HOT, netuid=9) == "NetworkDoesNotExist"


def test_register_registration_disabled(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_registration_allowed", netuid=1, registration_allowed=False)
    assert _pow(chain, HOT) == "RegistrationDisabled"


def test_register_too_many_this_block(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_max_registrations_per_block", netuid=1, max_registrations_per_block=1)
    assert _pow(chain, acct(1)) is None
    assert _pow(chain, HOT) == "TooManyRegistrationsThisBlock"


def test_register_too_many_this_interval(chain: Chain) -> None:
    chain.sudo(
        ST, "sudo_set_target_registrations_per_interval", netuid=1, target_registrations_per_interval=1
    )
    for i in range(3):
        assert _pow(chain, acct(10 + i)) is None
    assert _pow(chain, HOT) == "TooManyRegistrationsThisInterval"


def test_register_already_registered(chain: Chain) -> None:
    assert _pow(chain, HOT) is None
    assert _pow(chain, HOT, nonce=1) == "AlreadyRegistered"


def test_register_work_block_in_the_future_or_stale(chain: Chain) -> None:
    chain.seal(5)
    assert _pow(chain, HOT, block=chain.block + 1, work=bytes(32)) == "InvalidWorkBlock"
    assert _pow(chain, HOT, block=chain.block - 3) == "InvalidWorkBlock"
    assert _pow(chain, HOT, block=chain.block - 2) is None


def test_register_invalid_difficulty(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_difficulty", netuid=1, difficulty=2**64 - 1)
    assert _pow(chain, HOT, work=b"\xff" * 32) == "InvalidDifficulty"


def test_register_invalid_seal(chain: Chain) -> None:
    assert _pow(chain, HOT, work=bytes(31) + b"\x01") == "InvalidSeal"


def test_register_non_associated_coldkey(chain: Chain) -> None:
    assert _pow(chain, HOT, coldkey=ALICE) is None
    # the same hotkey on a second subnet with another coldkey
    chain.sudo(ST, "sudo_add_network", netuid=2, tempo=10, modality=0)
    chain.sudo(ST, "sudo_set_registration_allowed", netuid=2, registration_allowed=True)
    chain.sudo(ST, "sudo_set_difficulty", netuid=2, difficulty=1)
    assert _pow(chain, HOT, coldkey=BOB, netuid=2, nonce=3) == "NonAssociatedColdKey"


# ----------------------------------------------------------------------------- burned_register


def test_burned_register_success_burns_from_issuance(chain: Chain) -> None:
    issuance = chain.get(ST, "TotalIssuance")
    free = chain.get("System", "Account", ALICE)["data"]["free"]
    chain.register(HOT)
    assert chain.get(ST, "TotalIssuance") == issuance - TAO
    assert chain.get("System", "Account", ALICE)["data"]["free"] == free - TAO
    assert chain.get(ST, "BurnRegistrationsThisInterval", 1) == 1
    assert chain.get(ST, "RAORecycledForRegistration", 1) == TAO


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("netuid", "NetworkDoesNotExist"),
        ("disabled", "RegistrationDisabled"),
        ("block", "TooManyRegistrationsThisBlock"),
        ("interval", "TooManyRegistrationsThisInterval"),
        ("already", "AlreadyRegistered"),
        ("poor", "NotEnoughBalanceToStake"),
        ("keepalive", "BalanceWithdrawalError"),
        ("owner", "NonAssociatedColdKey"),
    ],
)
def test_burned_register_errors(chain: Chain, setup: str, error: str) -> None:
    netuid, coldkey = 1, ALICE
    if setup == "netuid":
        netuid = 5
    elif setup == "disabled":
        chain.sudo(ST, "sudo_set_registration_allowed", netuid=1, registration_allowed=False)
    elif setup == "block":
        chain.sudo(ST, "sudo_set_max_registrations_per_block", netuid=1, max_registrations_per_block=1)
        chain.register(acct(1))
    elif setup == "interval":
        chain.sudo(
            ST, "sudo_set_target_registrations_per_interval", netuid=1, target_registrations_per_interval=1
        )
        for i in range(3):
            chain.register(acct(20 + i))
    elif setup == "already":
        chain.register(HOT)
    elif setup == "poor":
        coldkey = acct(99)
    elif setup == "keepalive":
        chain.sudo(ST, "sudo_set_burn", netuid=1, burn=2 * TAO)
        coldkey = DAVE  # exactly 2 TAO: paying would reap the account
    elif setup == "owner":
        chain.register(HOT, coldkey=ALICE)
        chain.sudo(ST, "sudo_add_network", netuid=2, tempo=10, modality=0)
        chain.sudo(ST, "sudo_set_registration_allowed", netuid=2, registration_allowed=True)
        netuid, coldkey = 2, BOB
    assert chain.err(coldkey, ST, "burned_register", netuid=netuid, hotkey=HOT) == error


# ----------------------------------------------------------------------------- stake


def test_add_and_remove_stake(chain: Chain) -> None:
    chain.register(HOT)
    chain.ok(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=5 * TAO)
    assert chain.get(ST, "Stake", HOT, ALICE) == 5 * TAO
    assert chain.get(ST, "TotalHotkeyStake", HOT) == 5 * TAO
    assert chain.get(ST, "TotalColdkeyStake", ALICE) == 5 * TAO
    assert chain.get(ST, "TotalStake") == 5 * TAO
    chain.ok(ALICE, ST, "remove_stake", hotkey=HOT, amount_unstaked=2 * TAO)
    assert chain.get(ST, "Stake", HOT, ALICE) == 3 * TAO
    assert chain.get(ST, "TotalStake") == 3 * TAO


def test_add_stake_not_enough_balance(chain: Chain) -> None:
    chain.register(HOT)
    assert (
        chain.err(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=10**6 * TAO) == "NotEnoughBalanceToStake"
    )


def test_add_stake_not_registered(chain: Chain) -> None:
    assert chain.err(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO) == "NotRegistered"


def test_add_stake_non_associated_coldkey(chain: Chain) -> None:
    chain.register(HOT)
    assert chain.err(BOB, ST, "add_stake", hotkey=HOT, amount_staked=TAO) == "NonAssociatedColdKey"


def test_add_stake_to_a_delegate_is_open_to_anyone(chain: Chain) -> None:
    chain.register(HOT)
    chain.ok(ALICE, ST, "become_delegate", hotkey=HOT)
    chain.ok(BOB, ST, "add_stake", hotkey=HOT, amount_staked=TAO)
    assert chain.get(ST, "Stake", HOT, BOB) == TAO


def test_add_stake_tx_rate_limit(chain: Chain) -> None:
    chain.register(HOT)
    chain.sudo(ST, "sudo_set_tx_rate_limit", tx_rate_limit=10)
    chain.ok(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO)
    chain.seal(10)
    assert chain.err(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO) == "TxRateLimitExceeded"
    chain.seal(1)
    chain.ok(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO)


def test_add_stake_balance_withdrawal_error_keeps_the_account_alive(chain: Chain) -> None:
    chain.register(HOT, coldkey=DAVE)  # Dave: 2 TAO - 1 TAO burn = 1 TAO left
    free = chain.get("System", "Account", DAVE)["data"]["free"]
    assert chain.err(DAVE, ST, "add_stake", hotkey=HOT, amount_staked=free) == "BalanceWithdrawalError"


def test_remove_stake_errors_in_order(chain: Chain) -> None:
    assert chain.err(ALICE, ST, "remove_stake", hotkey=HOT, amount_unstaked=1) == "NotRegistered"
    chain.register(HOT)
    assert chain.err(BOB, ST, "remove_stake", hotkey=HOT, amount_unstaked=1) == "NonAssociatedColdKey"
    assert chain.err(ALICE, ST, "remove_stake", hotkey=HOT, amount_unstaked=0) == "NotEnoughStaketoWithdraw"
    assert chain.err(ALICE, ST, "remove_stake", hotkey=HOT, amount_unstaked=1) == "NotEnoughStaketoWithdraw"
    chain.ok(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO)
    chain.sudo(ST, "sudo_set_tx_rate_limit", tx_rate_limit=5)
    assert chain.err(ALICE, ST, "remove_stake", hotkey=HOT, amount_unstaked=1) == "TxRateLimitExceeded"


def test_become_delegate_errors_in_order(chain: Chain) -> None:
    assert chain.err(ALICE, ST, "become_delegate", hotkey=HOT) == "NotRegistered"
    chain.register(HOT)
    assert chain.err(BOB, ST, "become_delegate", hotkey=HOT) == "NonAssociatedColdKey"
    chain.sudo(ST, "sudo_set_tx_rate_limit", tx_rate_limit=5)
    chain.ok(ALICE, ST, "add_stake", hotkey=HOT, amount_staked=TAO)
    assert chain.err(ALICE, ST, "become_delegate", hotkey=HOT) == "TxRateLimitExceeded"
    chain.sudo(ST, "sudo_set_tx_rate_limit", tx_rate_limit=0)
    chain.ok(ALICE, ST, "become_delegate", hotkey=HOT)
    assert chain.get(ST, "Delegates", HOT) == 11796
    assert chain.err(ALICE, ST, "become_delegate", hotkey=HOT) == "AlreadyDelegate"


def test_replacing_a_pruned_neuron_returns_its_stake(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_max_allowed_uids", netuid=1, max_allowed_uids=1)
    chain.sudo(ST, "sudo_set_immunity_period", netuid=1, immunity_period=0)
    chain.register(HOT, coldkey=BOB)
    chain.ok(BOB, ST, "add_stake", hotkey=HOT, amount_staked=3 * TAO)
    bob_free = chain.get("System", "Account", BOB)["data"]["free"]
    uid = chain.register(acct(8), coldkey=ALICE)
    assert uid == 0
    assert chain.get(ST, "Uids", 1, HOT) is None
    assert chain.get(ST, "Keys", 1, 0) == acct(8)
    assert chain.get(ST, "Stake", HOT, BOB) == 0
    assert chain.get("System", "Account", BOB)["data"]["free"] == bob_free + 3 * TAO


def test_a_full_subnet_replaces_the_lowest_pruning_score_outside_immunity(chain: Chain) -> None:
    chain.sudo(ST, "sudo_set_max_allowed_uids", netuid=1, max_allowed_uids=3)
    for i in range(3):
        chain.register(acct(30 + i))
    chain.sudo(ST, "sudo_set_immunity_period", netuid=1, immunity_period=5)
    chain.seal(2)
    chain.register(acct(33))  # uid 3 does not exist: all three are immune, the lowest immune score goes
    assert chain.get(ST, "SubnetworkN", 1) == 3
    chain.seal(6)
    # nobody immune any more: uid 1 holds the lowest score
    chain.engine.state.set(ST, "PruningScores", 1, [500, 100, 300])
    uid = chain.register(acct(34))
    assert uid == 1 and chain.get(ST, "Keys", 1, 1) == acct(34)
    assert chain.get(ST, "PruningScores", 1)[1] == 65535  # marked by get_neuron_to_prune
    assert chain.get(ST, "BlockAtRegistration", 1, 1) == chain.block

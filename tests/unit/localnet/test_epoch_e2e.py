"""Yuma Consensus driven end to end by extrinsics and the block loop (storage plumbing around the epoch)."""

from __future__ import annotations

from bt_llm.localnet.block import pay_out
from bt_llm.localnet.engine import Engine
from bt_llm.localnet.genesis import GenesisConfig, SubnetConfig
from bt_llm.localnet.yuma import blocks_until_next_epoch
from tests.unit.localnet.conftest import ALICE, BOB, CHARLIE, ST, TAO, Chain, acct

HK = [acct(i + 1) for i in range(4)]


def _run_to_epoch(c: Chain, netuid: int = 1, tempo: int = 1) -> None:
    """Seal until the open block is an epoch block (its step has run)."""
    c.seal()
    while blocks_until_next_epoch(netuid, tempo, c.block) != 0:
        c.seal()


def test_four_uids_two_validators_pallet_vector() -> None:
    """Pallet vector: 4 uids with stake 1, uids 0 and 1 weight uids 2 and 3 equally, 10^9 rao per epoch:
    dividends 32767 for the validators and E = 250000000 for everyone."""
    cfg = GenesisConfig.localnet(
        block_emission=500_000_000,
        subnets=(
            SubnetConfig(netuid=1, tempo=1, hyperparameters={"Difficulty": 1, "MaxRegistrationsPerBlock": 8}),
        ),
    )
    e = Engine.open(None, cfg)
    c = Chain(e)
    for hk in HK:
        c.register(hk, coldkey=ALICE)
        c.ok(ALICE, ST, "add_stake", hotkey=hk, amount_staked=1)
    _run_to_epoch(c)  # first epoch: hands out the validator permits
    assert c.get(ST, "ValidatorPermit", 1) == [True] * 4
    c.seal()
    for v in (HK[0], HK[1]):
        c.ok(v, ST, "set_weights", netuid=1, dests=[2, 3], weights=[1, 1], version_key=0)
    _run_to_epoch(c)
    _run_to_epoch(c)  # a full tempo of pending emission: 2 blocks x 5e8
    assert c.get(ST, "Emission", 1) == [250_000_000] * 4
    assert c.get(ST, "Dividends", 1)[:2] == [32767, 32767]
    assert c.get(ST, "Incentive", 1)[2:] == [32767, 32767]
    loaded = c.get(ST, "LoadedEmission", 1)
    assert [(hk, s + v) for hk, s, v in loaded] == [(hk, 250_000_000) for hk in HK]
    before = [c.get(ST, "TotalHotkeyStake", hk) for hk in HK]
    c.seal()  # paid out in the next block
    assert [c.get(ST, "TotalHotkeyStake", hk) - b for hk, b in zip(HK, before, strict=True)] == [
        250_000_000
    ] * 4
    bonds = c.get(ST, "Bonds", 1, 0)
    assert [j for j, _ in bonds] == [2, 3]


def test_delegate_payout_pallet_vectors(chain: Chain) -> None:
    """Take 0, stakes 200 and 300, (0, 1000) -> 601 and 899 (dust to the owner); take 32767, three stakes
    of 1000 -> owner 1668, the others 1166 each."""
    st = chain.engine.state
    hk = acct(9)
    chain.register(hk, coldkey=ALICE)
    chain.ok(ALICE, ST, "become_delegate", hotkey=hk)
    st.set(ST, "Delegates", hk, 0)
    chain.ok(ALICE, ST, "add_stake", hotkey=hk, amount_staked=200)
    chain.ok(BOB, ST, "add_stake", hotkey=hk, amount_staked=300)
    pay_out(st, hk, 0, 1000)
    assert (st.get(ST, "Stake", hk, ALICE), st.get(ST, "Stake", hk, BOB)) == (601, 899)

    hk2 = acct(10)
    chain.register(hk2, coldkey=ALICE)
    chain.ok(ALICE, ST, "become_delegate", hotkey=hk2)
    st.set(ST, "Delegates", hk2, 32767)
    for ck in (ALICE, BOB, CHARLIE):
        chain.ok(ck, ST, "add_stake", hotkey=hk2, amount_staked=1000)
    pay_out(st, hk2, 0, 1000)
    assert [st.get(ST, "Stake", hk2, ck) for ck in (ALICE, BOB, CHARLIE)] == [1668, 1166, 1166]
    assert st.get(ST, "TotalHotkeyStake", hk2) == 4000 and st.get(ST, "TotalStake") == 1500 + 4000


def test_non_delegate_payout_goes_to_the_owner(chain: Chain) -> None:
    st = chain.engine.state
    hk = acct(11)
    chain.register(hk, coldkey=BOB)
    pay_out(st, hk, 7 * TAO, 3)
    assert st.get(ST, "Stake", hk, BOB) == 7 * TAO + 3

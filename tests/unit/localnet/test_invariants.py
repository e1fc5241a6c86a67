"""Property test: random call sequences (with real epochs and pruning) never break the chain's invariants.

- ``Balances.TotalIssuance`` equals the sum of free balances;
- ``SubtensorModule.TotalIssuance`` equals free balances + ``TotalStake`` + fees burned + dust destroyed
  (burned registrations leave both sides);
- ``TotalStake``, ``TotalHotkeyStake`` and ``TotalColdkeyStake`` agree with the ``Stake`` map;
- uids are dense: ``Keys``/``Uids``/``IsNetworkMember`` are inverse maps over ``0..SubnetworkN`` and every
  per-uid vector has length ``SubnetworkN``.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bt_llm.localnet.engine import Engine
from bt_llm.localnet.genesis import GenesisConfig, SubnetConfig
from bt_llm.localnet.schema import Call
from tests.unit.localnet.conftest import ALICE, BOB, DAVE, EVE, ST, TAO, acct

COLD = [ALICE, BOB, DAVE, EVE, acct(200)]
HOT = [acct(i) for i in range(1, 7)]
VECTORS = ("Active", "Rank", "Trust", "Consensus", "Incentive", "Dividends", "Emission", "LastUpdate",
           "ValidatorTrust", "PruningScores", "ValidatorPermit")  # fmt: skip

cold = st.sampled_from(range(len(COLD)))
hot = st.sampled_from(range(len(HOT)))
amount = st.one_of(st.integers(0, 2000), st.integers(0, 5 * TAO), st.sampled_from([TAO, 2 * TAO - 400]))
op = st.one_of(
    st.tuples(st.just("transfer"), cold, cold, amount, st.booleans(), st.integers(0, 300)),
    st.tuples(st.just("register"), cold, hot),
    st.tuples(st.just("add_stake"), cold, hot, amount),
    st.tuples(st.just("remove_stake"), cold, hot, amount),
    st.tuples(st.just("delegate"), cold, hot),
    st.tuples(st.just("weights"), hot, st.lists(st.integers(0, 3), max_size=4), st.integers(0, 65535)),
    st.tuples(st.just("seal"), st.integers(1, 3)),
)


def _check(e: Engine, burned: int) -> None:
    s = e.state
    free = sum(info["data"]["free"] for _, info in s.iter("System", "Account"))
    assert s.get("Balances", "TotalIssuance") == free
    stakes = [(hk, ck, v) for (hk, ck), v in s.iter(ST, "Stake")]
    total = sum(v for _, _, v in stakes)
    assert s.get(ST, "TotalStake") == total
    assert s.get(ST, "TotalIssuance") == free + total + burned
    by_hot: dict[bytes, int] = defaultdict(int)
    by_cold: dict[bytes, int] = defaultdict(int)
    for hk, ck, v in stakes:
        by_hot[hk] += v
        by_cold[ck] += v
    for hk in HOT:
        assert s.get(ST, "TotalHotkeyStake", hk) == by_hot[hk]
    for ck in COLD:
        assert s.get(ST, "TotalColdkeyStake", ck) == by_cold[ck]
    n = s.get(ST, "SubnetworkN", 1)
    keys = {uid: hk for (uid,), hk in s.iter(ST, "Keys", 1)}
    assert sorted(keys) == list(range(n))
    uids = {hk: uid for (hk,), uid in s.iter(ST, "Uids", 1)}
    assert uids == {hk: uid for uid, hk in keys.items()}
    for hk in HOT:
        assert s.get(ST, "IsNetworkMember", hk, 1) == (hk in uids)
    for item in VECTORS:
        assert len(s.get(ST, item, 1)) == n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=25))
def test_random_call_sequences_keep_the_invariants(ops: list[tuple]) -> None:
    cfg = GenesisConfig.localnet(
        subnets=(
            SubnetConfig(
                netuid=1, tempo=2,
                hyperparameters={"Difficulty": 1, "MaxAllowedUids": 3, "ImmunityPeriod": 2, "Burn": TAO // 2,
                                 "MinBurn": 1, "MaxRegistrationsPerBlock": 64},
            ),
        ),
        balances={"//Alice": 100 * TAO, "//Bob": 5 * TAO, "//Dave": 2 * TAO, "//Eve": 700},
    )  # fmt: skip
    e = Engine.open(None, cfg)
    burned = 0

    def apply(signer: bytes, pallet: str, name: str, length: int = 0, **args: object) -> None:
        nonlocal burned
        try:
            r = e.apply(Call(pallet, name, args), signer=signer, nonce=e.account_nonce(signer), length=length)
        except Exception as exc:  # only InvalidTransaction (cannot pay the fee) is acceptable
            from bt_llm.localnet.engine import InvalidTransaction

            assert isinstance(exc, InvalidTransaction) and exc.reason == "Payment"
            return
        burned += r.fee + sum(rec.event.args[1] for rec in r.events if rec.event.name == "DustLost")

    def seal() -> None:
        nonlocal burned
        e.seal_block()
        burned += sum(rec.event.args[1] for rec in e.pending_events() if rec.event.name == "DustLost")

    # a populated subnet with stake, so that epochs really emit and payouts really happen
    apply(ALICE, ST, "burned_register", netuid=1, hotkey=HOT[0])
    apply(BOB, ST, "burned_register", netuid=1, hotkey=HOT[1])
    apply(ALICE, ST, "add_stake", hotkey=HOT[0], amount_staked=10 * TAO)
    apply(ALICE, ST, "become_delegate", hotkey=HOT[0])
    apply(BOB, ST, "add_stake", hotkey=HOT[0], amount_staked=TAO)
    apply(BOB, ST, "add_stake", hotkey=HOT[1], amount_staked=TAO)
    _check(e, burned)
    for o in ops:
        kind = o[0]
        if kind == "transfer":
            _, a, b, value, keep, length = o
            apply(
                COLD[a],
                "Balances",
                "transfer_keep_alive" if keep else "transfer",
                length,
                dest=COLD[b],
                value=value,
            )
        elif kind == "register":
            apply(COLD[o[1]], ST, "burned_register", netuid=1, hotkey=HOT[o[2]])
        elif kind == "add_stake":
            apply(COLD[o[1]], ST, "add_stake", hotkey=HOT[o[2]], amount_staked=o[3])
        elif kind == "remove_stake":
            apply(COLD[o[1]], ST, "remove_stake", hotkey=HOT[o[2]], amount_unstaked=o[3])
        elif kind == "delegate":
            apply(COLD[o[1]], ST, "become_delegate", hotkey=HOT[o[2]])
        elif kind == "weights":
            _, h, dests, w = o
            apply(HOT[h], ST, "set_weights", netuid=1, dests=dests, weights=[w] * len(dests), version_key=0)
        else:
            for _ in range(o[1]):
                seal()
        _check(e, burned)

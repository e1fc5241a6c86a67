"""The pallet's own epoch tests (subtensor d2218440f ``pallets/subtensor/tests/epoch.rs``), bit-exact."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bt_llm.localnet.yuma import EpochInput, EpochOutput, pruning_candidate, run_epoch
from bt_llm.localnet.yuma.fixed import u16_max_upscale

U16 = 65535


class Subnet:
    """The slice of subnet state the epoch reads, carried from one epoch to the next like the pallet."""

    def __init__(self, stake: list[int], *, max_validators: int, permits: list[bool] | None = None) -> None:
        n = len(stake)
        self.stake = list(stake)
        self.last_update = [0] * n
        self.registered = [0] * n
        self.permit = list(permits) if permits is not None else [False] * n
        self.weights: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.bonds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.max_validators = max_validators

    def set_weights(self, uid: int, block: int, dests: list[int], values: list[int]) -> None:
        self.weights[uid] = list(zip(dests, u16_max_upscale(values), strict=True))
        self.last_update[uid] = block

    def epoch(self, block: int, rao: int = 1_000_000_000) -> EpochOutput:
        out = run_epoch(
            EpochInput(
                current_block=block,
                stake=np.array(self.stake, dtype=np.uint64),
                last_update=np.array(self.last_update, dtype=np.uint64),
                block_at_registration=np.array(self.registered, dtype=np.uint64),
                validator_permit=np.array(self.permit, dtype=bool),
                weights=self.weights,
                bonds=self.bonds,
                activity_cutoff=5000,
                kappa=32767,
                bonds_moving_average=900_000,
                max_allowed_validators=self.max_validators,
                rao_emission=rao,
            )
        )
        self.permit = out.validator_permit.tolist()
        self.bonds = out.bonds
        return out

    def bond(self, i: int, j: int) -> int:
        return dict(self.bonds[i]).get(j, 0)


def test_bonds_sequence_blocks_1_to_8() -> None:
    """``test_bonds``: 4 validators (stake 1..4) weight 4 servers; validators switch to self-weights."""
    net = Subnet([1, 2, 3, 4, 0, 0, 0, 0], max_validators=8)
    net.epoch(0)  # issues the permits
    assert net.permit == [True] * 8
    for uid in range(4):
        net.set_weights(uid, 1, [4, 5, 6, 7], [U16 // 4, U16 // 2, (U16 // 4) * 3, U16])
    assert net.weights[0] == [(4, 16383), (5, 32767), (6, 49149), (7, 65535)]

    out = net.epoch(1)
    assert out.emission.tolist() == [
        49999998,
        99999999,
        150000000,
        200000001,
        49998779,
        100000610,
        149996337,
        200004272,
    ]
    assert [net.bond(i, 4) for i in range(4)] == [16383, 32767, 49151, 65535]

    net.set_weights(0, 1, [0], [U16])
    out = net.epoch(2)
    assert out.emission.tolist() == [
        44998351,
        101110561,
        151667215,
        202223870,
        49998779,
        100000610,
        149996337,
        200004272,
    ]
    assert [net.bond(i, 4) for i in range(4)] == [14582, 32767, 49151, 65535]

    net.set_weights(1, 2, [1], [U16])
    out = net.epoch(3)
    assert out.emission.tolist() == [
        40496805,
        90999783,
        157929636,
        210573773,
        49998779,
        100000610,
        149996337,
        200004272,
    ]
    assert [net.bond(i, 4) for i in range(4)] == [12603, 28321, 49151, 65535]

    net.set_weights(2, 3, [2], [U16])
    out = net.epoch(4)
    assert out.emission.tolist() == [99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
    assert [net.bond(i, 7) for i in range(4)] == [12602, 28320, 49150, 65535]
    assert out.incentive.tolist() == [0] * 8 and out.consensus.tolist() == [0] * 8

    net.set_weights(2, 4, [7], [U16])
    out = net.epoch(5)
    assert out.emission.tolist() == [36443733, 81898628, 163565493, 218092144, 0, 0, 0, 500000000]
    assert [net.bond(i, 7) for i in range(4)] == [10951, 24609, 49150, 65535]

    out = net.epoch(6)
    assert out.emission.tolist() == [32799427, 73706612, 168638129, 224855830, 0, 0, 0, 500000000]
    assert [net.bond(i, 7) for i in range(4)] == [9559, 21482, 49150, 65535]

    out = net.epoch(7)
    assert out.emission.tolist() == [29518068, 66336137, 173203134, 230942659, 0, 0, 0, 500000000]
    assert [net.bond(i, 7) for i in range(4)] == [8376, 18824, 49150, 65535]

    out = net.epoch(8)
    assert out.emission.tolist() == [26565175, 59701871, 177311856, 236421095, 0, 0, 0, 500000000]


def test_bonds_block_1_full_state() -> None:
    """The logged state of ``test_bonds`` at block 1: trust, validator trust, bonds rows, tuples."""
    net = Subnet([1, 2, 3, 4, 0, 0, 0, 0], max_validators=8)
    net.epoch(0)
    for uid in range(4):
        net.set_weights(uid, 1, [4, 5, 6, 7], [U16 // 4, U16 // 2, (U16 // 4) * 3, U16])
    out = net.epoch(1)
    assert out.trust.tolist() == [0, 0, 0, 0, 65535, 65535, 65535, 65535]
    assert out.validator_trust.tolist()[:4] == [65534] * 4  # floor(0.9999999995 * 65535)
    assert out.active.tolist() == [True] * 8
    # Tuples: servers get incentive, validators dividends; their sum never exceeds the pending emission.
    assert out.server_emission.tolist()[:4] == [0, 0, 0, 0]
    assert out.validator_emission.tolist()[4:] == [0, 0, 0, 0]
    assert int(out.server_emission.sum() + out.validator_emission.sum()) <= 1_000_000_000
    assert (out.server_emission + out.validator_emission).tolist() == out.emission.tolist()
    assert net.bonds[3] == [(4, 65535), (5, 65535), (6, 65535), (7, 65535)]
    assert net.bonds[4:] == [[], [], [], []]


def _active_stake_net() -> Subnet:
    net = Subnet([1, 1, 1, 1], max_validators=4)
    net.epoch(0)
    for uid in range(2):
        net.set_weights(uid, 1, [2, 3], [U16 // 2, U16 // 2])
    return net


def test_active_stake_four_uids_dividends() -> None:
    """``test_active_stake``: uids 0, 1 weight uids 2, 3 equally; then activity cutoff bites."""
    net = _active_stake_net()
    out = net.epoch(1)
    assert out.dividends.tolist()[:2] == [32767, 32767]
    assert out.emission.tolist() == [250000000] * 4
    assert [net.bond(v, s) for v in range(2) for s in (2, 3)] == [65535] * 4
    assert [net.bond(v, o) for v in range(2) for o in range(2)] == [0] * 4

    net.set_weights(0, 5002, [2, 3], [U16 // 2, U16 // 2])  # uid 1 is now inactive
    out = net.epoch(5002)
    assert out.active.tolist() == [True, False, False, False]
    assert int(out.dividends[0]) == 36044
    assert int(out.emission[0]) == 274999999
    assert int(out.dividends[1]) == 29490
    assert int(out.emission[1]) == 224999999
    assert [net.bond(0, s) for s in (2, 3)] == [65535, 65535]
    assert [net.bond(1, s) for s in (2, 3)] == [53619, 53619]

    net.set_weights(1, 5002, [2, 3], [U16 // 2, U16 // 2])
    out = net.epoch(5003)
    assert int(out.dividends[0]) == 35716
    assert int(out.emission[0]) == 272501132
    assert int(out.dividends[1]) == 29818
    assert int(out.emission[1]) == 227498866
    assert out.emission.tolist()[2:] == [250000000, 250000000]
    assert [net.bond(1, s) for s in (2, 3)] == [54712, 54712]


def test_outdated_weights_after_reregistration() -> None:
    """``test_outdated_weights``: uid 3 is pruned and re-registered; stale weights and bonds on it drop."""
    net = Subnet([1, 1, 1, 1], max_validators=4)
    net.epoch(0)
    for uid in range(2):
        net.set_weights(uid, 1, [2, 3], [2 * (U16 // 3), U16 // 3])
    for uid in (2, 3):
        net.set_weights(uid, 1, [uid], [U16])
    assert net.weights[0] == [(2, 65535), (3, 32768)]
    out = net.epoch(1)
    assert out.emission.tolist() == [250000000, 250000000, 333331637, 166668361]
    # The test's log comment shows [49151, 49151, 65535, 32767]: it predates #95, which added the
    # rounding in vec_max_upscale_to_u16 that the pinned commit has (0.750004 * 65535 = 49151.78).
    assert out.pruning_scores.tolist() == [49152, 49152, 65535, 32768]
    prune = pruning_candidate(
        pruning_scores=out.pruning_scores.tolist(), block_at_registration=[0, 0, 0, 0],
        current_block=1, immunity_period=2,
    )  # fmt: skip
    assert prune == 3
    # Registration at block 1 replaces uid 3: a new hotkey without stake or permit.
    net.stake[3] = 0
    net.registered[3] = 1
    net.permit[3] = False
    net.set_weights(0, 2, [2, 3], [2 * (U16 // 3), U16 // 3])
    out = net.epoch(2)
    assert int(out.dividends[0]) == 32767
    assert out.emission.tolist() == [250000000, 250000000, 500000000, 0]
    assert net.bond(0, 2) == 65535 and net.bond(0, 3) == 65535
    assert net.bonds[1] == [(2, 65535)]
    assert out.pruning_scores.tolist() == [32768, 32768, 65535, 0]  # log (pre-#95): 32767


def test_zero_weights_fall_back_to_stake() -> None:
    """``test_zero_weights``: no weights, self-weights only and outdated weights all emit by stake."""
    net = Subnet([1, 0], max_validators=64)
    out = net.epoch(0)  # no permits yet: active stake is zero, so raw stake
    assert out.emission.tolist() == [1_000_000_000, 0]
    net.set_weights(1, 1, [1], [U16])
    out = net.epoch(1)
    assert out.emission.tolist() == [1_000_000_000, 0]
    net.set_weights(0, 2, [1], [U16])
    net.registered[1] = 2  # uid 1 re-registered in the same block: uid 0's weight is outdated
    net.weights[1] = []
    out = net.epoch(2)
    assert out.emission.tolist() == [1_000_000_000, 0]
    net.set_weights(0, 3, [1], [U16])
    out = net.epoch(3)
    assert out.emission.tolist() == [500_000_000, 500_000_000]


def test_one_self_weighting_neuron() -> None:
    """``test_1_graph``: a lone neuron with a self-weight gets everything, all u16 vectors 0."""
    net = Subnet([1], max_validators=64)
    net.set_weights(0, 1, [0], [U16])
    out = net.epoch(1)
    assert out.emission.tolist() == [1_000_000_000]
    for vec in (out.rank, out.trust, out.consensus, out.incentive, out.dividends):
        assert vec.tolist() == [0]


def test_ten_self_weighting_neurons() -> None:
    """``test_10_graph``: ten equal neurons with self-weights get 99999999 each."""
    net = Subnet([1] * 10, max_validators=64)
    for uid in range(10):
        net.set_weights(uid, 1, [uid], [U16])
    out = net.epoch(1)
    assert out.emission.tolist() == [99999999] * 10
    assert out.dividends.tolist() == [0] * 10 and out.rank.tolist() == [0] * 10


def test_empty_subnet_epoch() -> None:
    """``test_nill_epoch_subtensor``: an epoch with no uids is a no-op."""
    out = Subnet([], max_validators=64).epoch(0, rao=0)
    assert out.emission.tolist() == [] and out.bonds == []


def test_validator_permits_follow_stake() -> None:
    """``test_validator_permits``: the top-k stakes hold permits; servers that overtake take them."""
    for n, k in ((2, 1), (4, 2), (8, 4)):
        for interleave in (0, 1):
            validators = list(range(0, 2 * k, 2)) if interleave else list(range(k))
            servers = [u for u in range(n) if u not in validators]
            stake = [0] * n
            for v in validators:
                stake[v] = v + n
            for s in servers:
                stake[s] = s
            net = Subnet(stake, max_validators=k)
            net.epoch(0)
            assert [net.permit[v] for v in validators] == [True] * k
            assert [net.permit[s] for s in servers] == [False] * (n - k)
            for s in servers:
                net.stake[s] += 2 * n
            net.epoch(1)
            assert [net.permit[v] for v in validators] == [False] * k
            assert [net.permit[s] for s in servers] == [True] * (n - k)
            # Rows that lost their permit are cleared; rows of new holders written.
            assert all(net.bonds[v] == [] for v in validators)


def test_permit_ties_lower_uid_loses() -> None:
    """Equal stakes: the stable ascending sort hands the permit to the higher uids."""
    net = Subnet([5, 5, 5, 5], max_validators=2)
    net.epoch(0)
    assert net.permit == [False, False, True, True]


@pytest.mark.parametrize("interleave", [0, 1, 2])
@pytest.mark.parametrize("server_self", [False, True])
def test_512_graph(interleave: int, server_self: bool) -> None:
    """``test_512_graph``: 64 validators with 21M TAO / 64 each weight all 448 servers equally, 3 epochs."""
    n, v = 512, 64
    if interleave == 0:
        validators = list(range(v))
    elif interleave == 1:
        validators = [u for u in range(n) if u % (n // v) == 0]
    else:
        perm = list(range(n))
        random.Random(7).shuffle(perm)
        validators = sorted(perm[:v])
    servers = [u for u in range(n) if u not in set(validators)]
    stake_each = 328_125_000_000_000
    net = Subnet([stake_each if u in set(validators) else 0 for u in range(n)], max_validators=v)
    net.epoch(0)
    for uid in validators:
        net.set_weights(uid, 1, servers, [U16 // n] * len(servers))
    if server_self:
        for uid in servers:
            net.set_weights(uid, 1, [uid], [U16])
    for _ in range(3):
        out = net.epoch(1)
    vi, si = np.array(validators), np.array(servers)
    assert set(out.dividends[vi].tolist()) == {1023}
    assert set(out.emission[vi].tolist()) == {7812500}
    assert set(out.rank[vi].tolist()) == set(out.trust[vi].tolist()) == {0}
    assert set(out.consensus[vi].tolist()) == set(out.incentive[vi].tolist()) == {0}
    assert (
        set(out.rank[si].tolist())
        == set(out.consensus[si].tolist())
        == set(out.incentive[si].tolist())
        == {146}
    )
    assert set(out.trust[si].tolist()) == {65535}
    assert set(out.dividends[si].tolist()) == {0}
    assert set(out.emission[si].tolist()) == {1116071}
    validator, server = validators[0], servers[0]
    for uid in validators:
        assert net.bond(uid, validator) == 0 and net.bond(uid, server) == 65535
    for uid in servers:
        assert net.bond(uid, validator) == 0 and net.bond(uid, server) == 0

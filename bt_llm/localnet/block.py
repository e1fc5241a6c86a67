"""The per-block step (``block_step.rs``), run when a block opens, before its extrinsics.

Order, as in the pallet: (1) registration-term adjustment per subnet, (2) payout of the emission
tuples loaded by the last epoch (``drain_emission``), (3) pending emission and, when
``blocks_until_next_epoch == 0``, the Yuma epoch whose tuples are loaded for the next block's payout.
The arithmetic is the Yuma package's (``bt_llm.localnet.yuma``); this module only reads and writes
storage around it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bt_llm.localnet.calls import staking
from bt_llm.localnet.calls.context import ST, Ctx
from bt_llm.localnet.state import State
from bt_llm.localnet.yuma import (
    EpochInput,
    EpochOutput,
    blocks_until_next_epoch,
    delegate_payout,
    run_epoch,
)
from bt_llm.localnet.yuma.adjust import adjust_registration_terms

EpochFn = Callable[[EpochInput], EpochOutput]


def _netuids(st: State, item: str) -> list[int]:
    """Netuids with an entry in ``item``, in raw-key order (how the pallet's map iteration runs)."""
    return [k[0] for k, _ in st.iter(ST, item)]


def adjust_registration(ctx: Ctx) -> None:
    st, block = ctx.state, ctx.block
    for netuid in _netuids(st, "NetworksAdded"):
        last = st.get(ST, "LastAdjustmentBlock", netuid)
        if block - last >= st.get(ST, "AdjustmentInterval", netuid):
            terms = adjust_registration_terms(
                difficulty=st.get(ST, "Difficulty", netuid),
                burn=st.get(ST, "Burn", netuid),
                registrations=st.get(ST, "RegistrationsThisInterval", netuid),
                pow_registrations=st.get(ST, "POWRegistrationsThisInterval", netuid),
                burn_registrations=st.get(ST, "BurnRegistrationsThisInterval", netuid),
                target=st.get(ST, "TargetRegistrationsPerInterval", netuid),
                alpha=st.get(ST, "AdjustmentAlpha", netuid),
                min_difficulty=st.get(ST, "MinDifficulty", netuid),
                max_difficulty=st.get(ST, "MaxDifficulty", netuid),
                min_burn=st.get(ST, "MinBurn", netuid),
                max_burn=st.get(ST, "MaxBurn", netuid),
            )
            if terms.difficulty != st.get(ST, "Difficulty", netuid):
                st.set(ST, "Difficulty", netuid, terms.difficulty)
            if terms.burn != st.get(ST, "Burn", netuid):
                st.set(ST, "Burn", netuid, terms.burn)
            st.set(ST, "LastAdjustmentBlock", netuid, block)
            for item in (
                "RegistrationsThisInterval",
                "POWRegistrationsThisInterval",
                "BurnRegistrationsThisInterval",
            ):
                st.set(ST, item, netuid, 0)
        st.set(ST, "RegistrationsThisBlock", netuid, 0)


def pay_out(st: State, hotkey: bytes, server: int, validator: int) -> None:
    """``emit_inflation_through_hotkey_account``."""
    take = st.get(ST, "Delegates", hotkey) if staking.is_delegate(st, hotkey) else None
    stakes = [(ck, s) for (ck,), s in st.iter(ST, "Stake", hotkey)] if take is not None else []
    credit = delegate_payout(
        take=take,
        server=server,
        validator=validator,
        owner=staking.owner(st, hotkey),
        stakes=stakes,
        total_stake=st.get(ST, "TotalHotkeyStake", hotkey),
    )
    for coldkey, amount in credit.items():
        staking.increase_stake(st, coldkey, hotkey, amount)


def drain_emission(ctx: Ctx) -> None:
    st = ctx.state
    for netuid in _netuids(st, "Tempo"):
        tuples = st.get(ST, "LoadedEmission", netuid)
        if tuples is None:
            continue
        total = 0
        for hotkey, server, validator in tuples:
            if server or validator:  # a zero tuple changes nothing (every write would be a no-op)
                pay_out(st, hotkey, server, validator)
            total += server + validator
        st.remove(ST, "LoadedEmission", netuid)
        st.set(ST, "TotalIssuance", min(2**64 - 1, st.get(ST, "TotalIssuance") + total))


def epoch_input(st: State, netuid: int, block: int, rao_emission: int) -> tuple[EpochInput, list[bytes]]:
    """Read everything one epoch needs; also returns the hotkeys by uid."""
    n = st.get(ST, "SubnetworkN", netuid)
    hotkeys = [st.get(ST, "Keys", netuid, uid) for uid in range(n)]
    rows = {k[0]: v for k, v in st.iter(ST, "Weights", netuid)}
    bonds = {k[0]: v for k, v in st.iter(ST, "Bonds", netuid)}

    def vec(item: str, dtype: type, fill: object = 0) -> np.ndarray:
        v = list(st.get(ST, item, netuid))[:n]
        v += [fill] * (n - len(v))
        return np.array(v, dtype=dtype)

    inp = EpochInput(
        current_block=block,
        stake=np.array([st.get(ST, "TotalHotkeyStake", hk) for hk in hotkeys], dtype=np.uint64),
        last_update=vec("LastUpdate", np.uint64),
        block_at_registration=np.array(
            [st.get(ST, "BlockAtRegistration", netuid, uid) for uid in range(n)], dtype=np.uint64
        ),
        validator_permit=vec("ValidatorPermit", np.bool_, False),
        weights=[rows.get(uid, []) for uid in range(n)],
        bonds=[bonds.get(uid, []) for uid in range(n)],
        activity_cutoff=st.get(ST, "ActivityCutoff", netuid),
        kappa=st.get(ST, "Kappa", netuid),
        bonds_moving_average=st.get(ST, "BondsMovingAverage", netuid),
        max_allowed_validators=st.get(ST, "MaxAllowedValidators", netuid),
        rao_emission=rao_emission,
    )
    return inp, hotkeys


def store_epoch(st: State, netuid: int, out: EpochOutput) -> None:
    def ints(a: np.ndarray) -> list[int]:
        return [int(x) for x in a]

    st.set(ST, "Active", netuid, [bool(x) for x in out.active])
    st.set(ST, "Emission", netuid, ints(out.emission))
    st.set(ST, "Rank", netuid, ints(out.rank))
    st.set(ST, "Trust", netuid, ints(out.trust))
    st.set(ST, "Consensus", netuid, ints(out.consensus))
    st.set(ST, "Incentive", netuid, ints(out.incentive))
    st.set(ST, "Dividends", netuid, ints(out.dividends))
    st.set(ST, "PruningScores", netuid, ints(out.pruning_scores))
    st.set(ST, "ValidatorTrust", netuid, ints(out.validator_trust))
    st.set(ST, "ValidatorPermit", netuid, [bool(x) for x in out.validator_permit])
    for uid, row in enumerate(out.bonds):
        if out.validator_permit[uid]:
            st.set(ST, "Bonds", netuid, uid, [(int(j), int(v)) for j, v in row])
        else:
            st.remove(ST, "Bonds", netuid, uid)


def generate_emission(ctx: Ctx, epoch: EpochFn = run_epoch) -> None:
    st, block = ctx.state, ctx.block
    for netuid in _netuids(st, "Tempo"):
        if st.get(ST, "SubnetworkN", netuid) == 0:
            continue
        tempo = st.get(ST, "Tempo", netuid)
        st.set(
            ST,
            "PendingEmission",
            netuid,
            st.get(ST, "PendingEmission", netuid) + st.get(ST, "EmissionValues", netuid),
        )
        if blocks_until_next_epoch(netuid, tempo, block) != 0:
            st.set(ST, "BlocksSinceLastStep", netuid, st.get(ST, "BlocksSinceLastStep", netuid) + 1)
            continue
        pending = st.get(ST, "PendingEmission", netuid)
        st.set(ST, "PendingEmission", netuid, 0)
        inp, hotkeys = epoch_input(st, netuid, block, pending)
        out = epoch(inp)
        store_epoch(st, netuid, out)
        tuples = [
            (hk, int(s), int(v))
            for hk, s, v in zip(hotkeys, out.server_emission, out.validator_emission, strict=True)
        ]
        if sum(s + v for _, s, v in tuples) > pending:
            continue  # the pallet's safety check
        st.set(ST, "LoadedEmission", netuid, tuples + (st.get(ST, "LoadedEmission", netuid) or []))
        st.set(ST, "BlocksSinceLastStep", netuid, 0)
        st.set(ST, "LastMechansimStepBlock", netuid, block)


def block_step(ctx: Ctx, epoch: EpochFn = run_epoch) -> None:
    """``on_initialize``: the three steps in the pallet's order."""
    adjust_registration(ctx)
    drain_emission(ctx)
    generate_emission(ctx, epoch)

"""Yuma Consensus and the chain's pure arithmetic, bit-exact with subtensor d2218440f (Sept 2023).

Pure functions, no chain state, no I/O; the chain engine (``bt_llm.localnet``) calls them:

- ``run_epoch(inp: EpochInput) -> EpochOutput``: one Yuma Consensus epoch of a subnet
  (``epoch.rs::epoch``) in I32F32/I64F64 fixed point.
- ``delegate_payout(*, take, server, validator, owner, stakes) -> dict[coldkey, rao]``: how one
  ``(hotkey, server, validator)`` emission tuple is credited (``emit_inflation_through_hotkey_account``).
- ``adjust_registration_term(*, value, registrations, target, alpha, minimum, maximum) -> int``: the
  difficulty/burn adjustment (``block_step.rs``).
- ``blocks_until_next_epoch(netuid, tempo, block) -> int``.
- ``pruning_candidate(*, pruning_scores, block_at_registration, current_block, immunity_period) -> int``:
  the uid a registration replaces on a full subnet (``registration.rs::get_neuron_to_prune``); the
  caller then sets ``PruningScores[uid] = 65535`` as the pallet does.
- ``adjust_registration_terms(...) -> RegistrationTerms``: which of difficulty and burn move at an
  adjustment block (over/under target, PoW vs burned registrations) and their new values.
- ``u16_max_upscale(values) -> list[int]`` and ``check_max_limited(values, max_limit) -> bool``: how
  ``set_weights`` stores weights (max-upscaled to 65535) and its ``MaxWeightsLimit`` check.

Arrays in :class:`EpochInput` may be any integer/bool sequences numpy accepts; sparse rows are lists
of ``(uid, u16)`` pairs without duplicate uids (``set_weights`` rejects duplicates). Everything is
exact integer arithmetic: no floats anywhere, so results are identical on every machine.

Example:
    >>> from bt_llm.localnet.yuma import delegate_payout
    >>> delegate_payout(take=32767, server=0, validator=1000, owner="A",
    ...                 stakes=[("A", 1000), ("B", 1000), ("C", 1000)])
    {'A': 668, 'B': 166, 'C': 166}
"""

from __future__ import annotations

from bt_llm.localnet.yuma.adjust import (
    RegistrationTerms,
    adjust_registration_term,
    adjust_registration_terms,
    blocks_until_next_epoch,
)
from bt_llm.localnet.yuma.epoch import run_epoch
from bt_llm.localnet.yuma.fixed import check_max_limited, u16_max_upscale
from bt_llm.localnet.yuma.payout import delegate_payout
from bt_llm.localnet.yuma.pruning import pruning_candidate
from bt_llm.localnet.yuma.types import EpochInput, EpochOutput, SparseRows

__all__ = [
    "EpochInput",
    "EpochOutput",
    "RegistrationTerms",
    "SparseRows",
    "adjust_registration_term",
    "adjust_registration_terms",
    "blocks_until_next_epoch",
    "check_max_limited",
    "delegate_payout",
    "pruning_candidate",
    "run_epoch",
    "u16_max_upscale",
]

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
  the uid a registration replaces on a full subnet (``registration.rs::get_neuron_to_prune``).
"""

from __future__ import annotations

from bt_llm.localnet.yuma.adjust import adjust_registration_term, blocks_until_next_epoch
from bt_llm.localnet.yuma.epoch import run_epoch
from bt_llm.localnet.yuma.payout import delegate_payout
from bt_llm.localnet.yuma.pruning import pruning_candidate
from bt_llm.localnet.yuma.types import EpochInput, EpochOutput, SparseRows

__all__ = [
    "EpochInput",
    "EpochOutput",
    "SparseRows",
    "adjust_registration_term",
    "blocks_until_next_epoch",
    "delegate_payout",
    "pruning_candidate",
    "run_epoch",
]

"""Input and output records of one Yuma Consensus epoch (pure data, no chain state)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SparseRows = list[list[tuple[int, int]]]
"""Per uid ``i``: the sparse row ``[(j, raw_u16), ...]`` as stored in ``Weights``/``Bonds``."""


@dataclass(frozen=True)
class EpochInput:
    """Everything the epoch reads for one subnet.

    Args:
        current_block: the block number the epoch runs at.
        stake: ``TotalHotkeyStake`` in rao per uid (uint64, length n).
        last_update: ``LastUpdate`` per uid (uint64).
        block_at_registration: ``BlockAtRegistration`` per uid (uint64).
        validator_permit: ``ValidatorPermit`` per uid as stored by the previous epoch (bool).
        weights: ``Weights`` rows, sparse ``[(uid, u16)]`` per uid.
        bonds: ``Bonds`` rows, sparse ``[(uid, u16)]`` per uid.
        activity_cutoff: ``ActivityCutoff`` (blocks).
        kappa: ``Kappa`` as the raw u16 (32767 means 0.5).
        bonds_moving_average: ``BondsMovingAverage`` (parts per million).
        max_allowed_validators: ``MaxAllowedValidators``.
        rao_emission: the pending emission (rao) this epoch distributes.
    """

    current_block: int
    stake: np.ndarray
    last_update: np.ndarray
    block_at_registration: np.ndarray
    validator_permit: np.ndarray
    weights: SparseRows
    bonds: SparseRows
    activity_cutoff: int
    kappa: int
    bonds_moving_average: int
    max_allowed_validators: int
    rao_emission: int

    @property
    def n(self) -> int:
        """Number of uids in the subnet."""
        return len(self.stake)


@dataclass(frozen=True)
class EpochOutput:
    """What the epoch writes back, in storage units (every array has length n).

    - ``server_emission``/``validator_emission`` (uint64 rao): the emission tuples
      ``(hotkey_of_uid, server, validator)`` to load for payout; their total never exceeds
      ``rao_emission`` (the rounding dust is never minted).
    - ``emission`` (uint64 rao): the ``Emission`` storage, ``floor(normalize(I + D) * rao_emission)``
      (stake-based when there is no incentive); it can differ from ``server + validator`` by rounding.
    - ``active`` (bool): the ``Active`` storage.
    - ``rank``, ``trust``, ``consensus``, ``incentive``, ``dividends``, ``validator_trust``,
      ``pruning_scores`` (uint16): the storage vectors of the same names.
    - ``validator_permit`` (bool): the NEW permits, the ``ValidatorPermit`` storage.
    - ``bonds``: the full new ``Bonds`` rows ``[(uid, u16)]`` sorted by uid. As in the pallet, a uid
      holding a new permit gets its new row; a uid that held a permit and lost it gets ``[]``; a uid
      that held none and gets none keeps its input row unchanged (returned as is), so writing every
      row back is always correct.
    """

    active: np.ndarray
    emission: np.ndarray
    server_emission: np.ndarray
    validator_emission: np.ndarray
    rank: np.ndarray
    trust: np.ndarray
    consensus: np.ndarray
    incentive: np.ndarray
    dividends: np.ndarray
    validator_trust: np.ndarray
    pruning_scores: np.ndarray
    validator_permit: np.ndarray
    bonds: SparseRows

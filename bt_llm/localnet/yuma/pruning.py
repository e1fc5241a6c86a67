"""Which uid a registration replaces on a full subnet (``get_neuron_to_prune``)."""

from __future__ import annotations

from collections.abc import Sequence


def pruning_candidate(
    *,
    pruning_scores: Sequence[int],
    block_at_registration: Sequence[int],
    current_block: int,
    immunity_period: int,
) -> int:
    """Return the uid to prune."""
    raise NotImplementedError

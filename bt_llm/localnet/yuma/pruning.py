"""Which uid a registration replaces on a full subnet (``registration.rs::get_neuron_to_prune``).

Example:
    >>> pruning_candidate(pruning_scores=[5, 3, 3, 9], block_at_registration=[0, 0, 0, 90],
    ...                   current_block=100, immunity_period=20)
    2
"""

from __future__ import annotations

from collections.abc import Sequence

from bt_llm.errors import ConfigError

U16_MAX = 65535


def pruning_candidate(
    *,
    pruning_scores: Sequence[int],
    block_at_registration: Sequence[int],
    current_block: int,
    immunity_period: int,
) -> int:
    """Return the uid to prune, scanning uids in ascending order exactly like the pallet.

    A uid is immune while ``current_block - block_at_registration < immunity_period``. The lowest
    score among non-immune uids wins, ties going to the later uid; an immune uid is only remembered
    when its score is at most the running non-immune minimum (ties to the earlier immune uid). When
    that minimum is still ``u16::MAX`` at the end (every uid immune, or every non-immune score is
    65535) the remembered immune uid (default 0) is returned. An empty subnet gives 0.

    The pallet also sets ``PruningScores[uid] = u16::MAX`` for the returned uid; the caller does that.
    """
    min_score = U16_MAX
    min_immune = U16_MAX
    uid_min = 0
    uid_min_immune = 0
    if len(pruning_scores) != len(block_at_registration):
        raise ConfigError("pruning_scores and block_at_registration differ in length")
    for uid, (score, registered) in enumerate(zip(pruning_scores, block_at_registration, strict=True)):
        score = int(score)
        if min_score < score:
            continue
        if int(current_block) - int(registered) < int(immunity_period):
            if min_immune > score:
                min_immune = score
                uid_min_immune = uid
        else:
            min_score = score
            uid_min = uid
    return uid_min_immune if min_score == U16_MAX else uid_min

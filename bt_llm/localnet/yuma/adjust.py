"""Registration-term adjustment and epoch scheduling (``block_step.rs``)."""

from __future__ import annotations


def adjust_registration_term(
    *, value: int, registrations: int, target: int, alpha: int, minimum: int, maximum: int
) -> int:
    """Return the next difficulty or burn."""
    raise NotImplementedError


def blocks_until_next_epoch(netuid: int, tempo: int, block: int) -> int:
    """Blocks until the subnet's next epoch (0: it runs in this block)."""
    raise NotImplementedError

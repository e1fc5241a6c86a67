"""One Yuma Consensus epoch (``epoch.rs::epoch``), bit-exact."""

from __future__ import annotations

from bt_llm.localnet.yuma.types import EpochInput, EpochOutput


def run_epoch(inp: EpochInput) -> EpochOutput:
    """Run one epoch of Yuma Consensus on ``inp``."""
    raise NotImplementedError

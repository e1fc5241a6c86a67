"""Pipeline step 2: the blacklist (403 ``Forbidden. Key is blacklisted: {reason}.``).

A blacklist function takes the synapse and returns ``(blacklisted, reason)`` or a plain bool, sync
or async. With a metagraph and no function, hotkeys not in ``metagraph.hotkeys`` are refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from bt_llm.axon.refusal import Refusal
from bt_llm.protocol.synapse import Synapse
from bt_llm.seams import Metagraph

__all__ = ["BlacklistFn", "metagraph_blacklist", "run_blacklist"]

BlacklistFn = Callable[[Synapse], Any]


def metagraph_blacklist(metagraph: Metagraph) -> BlacklistFn:
    """A blacklist refusing hotkeys not registered in ``metagraph.hotkeys`` (read at each call)."""

    def blacklist(synapse: Synapse) -> tuple[bool, str]:
        hotkey = synapse.dendrite.hotkey if synapse.dendrite is not None else None
        if hotkey is None or hotkey not in set(metagraph.hotkeys):
            return True, "Unrecognized hotkey"
        return False, "Hotkey recognized"

    return blacklist


async def run_blacklist(fn: BlacklistFn | None, synapse: Synapse) -> None:
    """Raise a 403 :class:`Refusal` when ``fn`` blacklists the synapse's caller."""
    if fn is None:
        return
    result = fn(synapse)
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, tuple):
        blacklisted, reason = bool(result[0]), str(result[1]) if len(result) > 1 else ""
    else:
        blacklisted, reason = bool(result), ""
    if blacklisted:
        raise Refusal(403, f"Forbidden. Key is blacklisted: {reason}.")

"""Who may call a miner, and who goes first: blacklist and priority from a metagraph snapshot.

Pure logic over ``hotkeys``, ``validator_permit`` and stake (``S``) lists; :meth:`CallerPolicy.refresh`
takes a new snapshot after each metagraph sync, so lookups are a dict read per request.

Example:
    >>> from types import SimpleNamespace
    >>> mg = SimpleNamespace(hotkeys=["5A", "5B"], validator_permit=[True, False], S=[100.0, 5.0])
    >>> policy = CallerPolicy(mg, force_validator_permit=True)
    >>> policy.check("5A"), policy.check("5B"), policy.check("5Z")
    ((False, 'Validator 5A'), (True, 'No validator permit'), (True, 'Unrecognized hotkey'))
    >>> policy.stake_of("5A"), policy.uid_of("5B")
    (100.0, 1)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from bt_llm.protocol.synapse import Synapse
from bt_llm.seams import Metagraph


def _floats(values: Any) -> list[float]:
    if values is None:
        return []
    if hasattr(values, "tolist"):
        values = values.tolist()
    return [float(getattr(v, "tao", v)) for v in values]


@dataclass(frozen=True)
class Caller:
    """What the metagraph says about a hotkey (``uid`` None: not registered)."""

    hotkey: str | None
    uid: int | None = None
    stake: float = 0.0
    validator_permit: bool = False


class CallerPolicy:
    """Blacklists unregistered callers and (optionally) callers without a validator permit.

    Args:
        metagraph: anything with ``hotkeys`` and optionally ``validator_permit`` and ``S``/``stake``.
        allow_non_registered: serve hotkeys that are not on the subnet.
        force_validator_permit: refuse registered callers without a validator permit.
    """

    def __init__(self, metagraph: Metagraph | None = None, *, allow_non_registered: bool = False,
                 force_validator_permit: bool = False) -> None:
        self.allow_non_registered = allow_non_registered
        self.force_validator_permit = force_validator_permit
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()
        if metagraph is not None:
            self.refresh(metagraph)

    def refresh(self, metagraph: Metagraph) -> None:
        """Take a new snapshot of ``metagraph`` (call after each sync).

        ``metagraph`` may also be a list of neuron records (``hotkey``, ``uid``, ``stake``,
        ``validator_permit``), as ``Subtensor.neurons_lite`` returns.
        """
        if isinstance(metagraph, (list, tuple)):
            callers = {n.hotkey: Caller(n.hotkey, int(n.uid), float(n.stake), bool(n.validator_permit))
                       for n in metagraph if not getattr(n, "is_null", False)}
            with self._lock:
                self._callers = callers
            return
        hotkeys = list(getattr(metagraph, "hotkeys", None) or [])
        permit_values = getattr(metagraph, "validator_permit", None)
        permits = [bool(p) for p in (permit_values if permit_values is not None else [])]
        stake_values = getattr(metagraph, "S", None)
        if stake_values is None:
            stake_values = getattr(metagraph, "stake", None)
        stakes = _floats(stake_values)
        callers = {
            hotkey: Caller(hotkey, uid, stakes[uid] if uid < len(stakes) else 0.0,
                           bool(permits[uid]) if uid < len(permits) else False)
            for uid, hotkey in enumerate(hotkeys)
        }
        with self._lock:
            self._callers = callers

    def caller(self, hotkey: str | None) -> Caller:
        """The snapshot's view of ``hotkey``."""
        with self._lock:
            known = self._callers.get(hotkey) if hotkey else None
        return known or Caller(hotkey)

    def uid_of(self, hotkey: str | None) -> int | None:
        """The caller's uid on the subnet, or None."""
        return self.caller(hotkey).uid

    def stake_of(self, hotkey: str | None) -> float:
        """The caller's stake in TAO (0 when unknown)."""
        return self.caller(hotkey).stake

    def check(self, hotkey: str | None) -> tuple[bool, str]:
        """``(blacklisted, reason)`` for a caller hotkey."""
        caller = self.caller(hotkey)
        if caller.uid is None:
            if self.allow_non_registered and hotkey:
                return False, "Allowing non-registered hotkey"
            return True, "Unrecognized hotkey"
        if self.force_validator_permit and not caller.validator_permit:
            return True, "No validator permit"
        return False, f"{'Validator' if caller.validator_permit else 'Registered'} {hotkey}"

    # -- the axon's hooks -----------------------------------------------------------------------

    def blacklist(self, synapse: Synapse) -> tuple[bool, str]:
        """The axon's blacklist hook."""
        return self.check(_hotkey(synapse))

    def priority(self, synapse: Synapse) -> float:
        """The axon's priority hook: the caller's stake (higher first)."""
        return self.stake_of(_hotkey(synapse))


def _hotkey(synapse: Synapse) -> str | None:
    return synapse.dendrite.hotkey if synapse.dendrite is not None else None

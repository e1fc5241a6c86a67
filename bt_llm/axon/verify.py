"""Pipeline step 3: verification (401 ``Not Verified with error: {reason}``).

The signature is required and must cover the axon's own hotkey; the body hash is recomputed from
the received body; nonces per ``f"{hotkey}:{uuid}"`` must be fresh the first time and strictly
increasing afterwards. A custom verify function runs after these checks, never instead of them.
"""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bt_llm.axon.refusal import Refusal
from bt_llm.protocol import signing
from bt_llm.protocol.synapse import Synapse

__all__ = ["ALLOWED_DELTA_NS", "NonceStore", "VerifyFn", "run_verify", "verify_signature"]

ALLOWED_DELTA_NS = 4_000_000_000
VerifyFn = Callable[[Synapse], Any]


class NonceStore:
    """The last accepted nonce per ``hotkey:uuid``, with a bounded freshness window and bounded memory.

    A key's first nonce must be newer than ``now - 4 s - min(timeout, max_timeout)``: the caller's
    timeout header is not signed, so it may widen the window by ``max_timeout`` at most (bittensor
    9.12.2 lets it widen without bound). Every later nonce of a key must be greater than the last.
    A nonce more than 4 s ahead of this clock is refused too (nothing could expire it).

    The store also keeps a *floor*: no first nonce at or below it is accepted. It starts at the
    moment the store was made (the axon's start), so requests captured before a restart cannot be
    replayed after it, without persisting anything. Memory is bounded: entries are kept in order of
    acceptance and the oldest are dropped once their nonce has left the window (any replay of them
    fails the freshness check), each accept doing O(1) work on average. Past ``max_entries`` (a flood
    of fresh keys) the oldest entry is dropped early and the floor rises to its nonce, which keeps
    its replays out. The O(n) rebuild this replaces cost 8 ms per accept at 100,000 keys
    (``benchmarks/nonces.py`` has the figures).
    """

    def __init__(self, *, max_timeout: float = 12.0, max_entries: int = 1_000_000,
                 floor_ns: int | None = None) -> None:
        if max_timeout < 0 or max_entries < 1:
            raise ValueError("max_timeout >= 0 and max_entries >= 1 are required")
        self.max_timeout = max_timeout
        self.max_entries = max_entries
        self.floor_ns = time.time_ns() if floor_ns is None else floor_ns
        self._last: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def window_start(self, timeout: float | None, now_ns: int) -> int:
        """The newest nonce a key's first request may not have: the window's edge, or the floor."""
        seconds = min(max(float(timeout or 0.0), 0.0), self.max_timeout)
        return max(now_ns - ALLOWED_DELTA_NS - int(seconds * 1e9), self.floor_ns)

    def check(self, key: str, nonce: int, timeout: float | None, now_ns: int) -> None:
        """Raise :class:`Refusal` (401) unless ``nonce`` is acceptable for ``key``."""
        if nonce > now_ns + ALLOWED_DELTA_NS:
            raise Refusal(401, "Not Verified with error: Nonce is from the future")
        last = self._last.get(key)
        if last is None:
            if nonce <= self.window_start(timeout, now_ns):
                raise Refusal(401, "Not Verified with error: Nonce is too old")
        elif nonce <= last:
            raise Refusal(401, "Not Verified with error: Nonce is too old, a newer one was last processed")

    def accept(self, key: str, nonce: int, now_ns: int) -> None:
        """Record ``nonce`` as the last accepted one for ``key``, and forget what cannot matter any more."""
        self._last[key] = nonce
        self._last.move_to_end(key)
        horizon = now_ns - ALLOWED_DELTA_NS - int(self.max_timeout * 1e9)
        last = self._last
        while last:
            oldest_key, oldest = next(iter(last.items()))
            if oldest > horizon and len(last) <= self.max_entries:
                break
            del last[oldest_key]
            if oldest > self.floor_ns and oldest > horizon:
                self.floor_ns = oldest  # dropped while still fresh: its replays must stay out


def verify_signature(synapse: Synapse, axon_hotkey: str) -> None:
    """Check the dendrite's signature and the body hash; raise a 401 :class:`Refusal` otherwise."""
    dendrite = synapse.dendrite
    if dendrite is None or not dendrite.hotkey:
        raise Refusal(401, "Not Verified with error: Missing dendrite hotkey")
    if dendrite.nonce is None:
        raise Refusal(401, "Not Verified with error: Missing Nonce")
    if not dendrite.uuid:
        raise Refusal(401, "Not Verified with error: Missing uuid")
    if not dendrite.signature:
        raise Refusal(401, "Not Verified with error: Missing signature")
    claimed = synapse.computed_body_hash or ""
    if claimed != synapse.body_hash:
        raise Refusal(401, "Not Verified with error: Body hash mismatch")
    message = signing.request_message(dendrite.nonce, dendrite.hotkey, axon_hotkey, dendrite.uuid, claimed)
    if not signing.verify(dendrite.hotkey, message, dendrite.signature):
        raise Refusal(401, "Not Verified with error: Signature mismatch")


async def run_verify(
    synapse: Synapse, axon_hotkey: str, nonces: NonceStore, custom: VerifyFn | None = None
) -> None:
    """The whole verification step; the nonce is recorded only when everything passed."""
    verify_signature(synapse, axon_hotkey)
    dendrite = synapse.dendrite
    if dendrite is None or dendrite.nonce is None:  # pragma: no cover - verify_signature refused these
        raise Refusal(401, "Not Verified with error: Missing Nonce")
    key = f"{dendrite.hotkey}:{dendrite.uuid}"
    now_ns = time.time_ns()
    nonces.check(key, dendrite.nonce, synapse.timeout, now_ns)
    if custom is not None:
        try:
            result = custom(synapse)
            if inspect.isawaitable(result):
                await result
        except Refusal:
            raise
        except Exception as exc:
            raise Refusal(401, f"Not Verified with error: {exc}") from exc
    # Re-check after an await: another request with the same key may have been accepted meanwhile.
    nonces.check(key, dendrite.nonce, synapse.timeout, now_ns)
    nonces.accept(key, dendrite.nonce, now_ns)

"""Pipeline step 3: verification (401 ``Not Verified with error: {reason}``).

The signature is required and must cover the axon's own hotkey; the body hash is recomputed from
the received body; nonces per ``f"{hotkey}:{uuid}"`` must be fresh the first time and strictly
increasing afterwards. A custom verify function runs after these checks, never instead of them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from bt_llm.axon.refusal import Refusal
from bt_llm.protocol import signing
from bt_llm.protocol.synapse import Synapse

__all__ = ["ALLOWED_DELTA_NS", "NonceStore", "VerifyFn", "run_verify", "verify_signature"]

ALLOWED_DELTA_NS = 4_000_000_000
VerifyFn = Callable[[Synapse], Any]


class NonceStore:
    """The last accepted nonce per ``hotkey:uuid``; forgets only entries too old to matter.

    ``max_timeout`` caps the caller-chosen timeout in the freshness window, so an entry older than
    ``now - 4 s - max_timeout`` can be dropped: any replay of it would fail the freshness check.
    """

    def __init__(self, *, max_timeout: float = 3600.0, soft_limit: int = 100_000) -> None:
        self.max_timeout = max_timeout
        self.soft_limit = soft_limit
        self._last: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._last)

    def window_start(self, timeout: float | None, now_ns: int) -> int:
        """The oldest acceptable first nonce: ``now - 4 s - timeout`` (timeout capped)."""
        seconds = min(float(timeout or 0.0), self.max_timeout)
        return now_ns - ALLOWED_DELTA_NS - int(seconds * 1e9)

    def check(self, key: str, nonce: int, timeout: float | None, now_ns: int) -> None:
        """Raise :class:`Refusal` (401) unless ``nonce`` is acceptable for ``key``."""
        last = self._last.get(key)
        if last is None:
            if nonce <= self.window_start(timeout, now_ns):
                raise Refusal(401, "Not Verified with error: Nonce is too old")
        elif nonce <= last:
            raise Refusal(401, "Not Verified with error: Nonce is too old, a newer one was last processed")

    def accept(self, key: str, nonce: int, now_ns: int) -> None:
        """Record ``nonce`` as the last accepted one for ``key``."""
        self._last[key] = nonce
        if len(self._last) > self.soft_limit:
            horizon = now_ns - ALLOWED_DELTA_NS - int(self.max_timeout * 1e9)
            self._last = {k: v for k, v in self._last.items() if v > horizon}


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

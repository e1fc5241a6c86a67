"""Bearer API keys and a per-key rate limit (token bucket)."""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import AuthenticationFailed, RateLimited
from bt_llm.errors import ConfigError


def load_api_keys(path: Path) -> frozenset[str]:
    """Keys from a file: one per line; blank lines and ``#`` comments are ignored."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the API keys file {path}: {exc.strerror}") from exc
    keys = frozenset(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))
    if not keys:
        raise ConfigError(f"the API keys file {path} holds no key")
    return keys


class Authenticator:
    """Checks ``Authorization: Bearer <key>``; with no keys configured every caller is let in."""

    def __init__(self, keys: frozenset[str] = frozenset()) -> None:
        self._keys = keys

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, authorization: str | None, client_host: str) -> str:
        """The caller's identity for rate limiting: its key, or its address when auth is off."""
        if not self.enabled:
            return f"ip:{client_host}"
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed("Missing API key: send 'Authorization: Bearer <key>'.", code="invalid_api_key")
        if not any(hmac.compare_digest(token, key) for key in self._keys):
            raise AuthenticationFailed("Incorrect API key provided.", code="invalid_api_key")
        return f"key:{token}"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests a minute with bursts of ``burst``."""

    def __init__(self, per_minute: float, burst: int | None = None) -> None:
        self.per_minute = per_minute
        self.burst = burst if burst is not None else max(1, int(per_minute))
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, caller: str) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(caller, _Bucket(tokens=float(self.burst), updated=now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            retry_after = (1.0 - bucket.tokens) / rate
        raise RateLimited(f"Rate limit reached: {self.per_minute:g} requests per minute.", retry_after=retry_after)

"""Bearer API keys and a per-key rate limit (token bucket)."""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bt_llm.bridge.errors import AuthenticationFailed, RateLimited
from bt_llm.errors import ConfigError


def load_api_keys(path: Path) -> dict[str, float | None]:
    """Keys from a file: one per line, optionally followed by that key's requests per minute.

    Blank lines and ``#`` comments are ignored. A key without a number gets the bridge's default
    rate limit (``None`` here).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the API keys file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the API keys file {path} is not UTF-8 text") from exc
    keys: dict[str, float | None] = {}
    for number, line in enumerate(lines, 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 2:
            raise ConfigError(f"{path}:{number}: expected 'KEY [REQUESTS_PER_MINUTE]'")
        try:
            keys[fields[0]] = float(fields[1]) if len(fields) == 2 else None
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: the rate limit {fields[1]!r} is not a number") from exc
    if not keys:
        raise ConfigError(f"the API keys file {path} holds no key")
    return keys


class Authenticator:
    """Checks ``Authorization: Bearer <key>``; with no keys configured every caller is let in."""

    def __init__(self, keys: frozenset[str] | dict[str, float | None] = frozenset()) -> None:
        self._keys = frozenset(keys)

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

    def __init__(self, per_minute: float, *, per_caller: dict[str, float] | None = None) -> None:
        self.per_minute = per_minute
        self.per_caller = per_caller or {}
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, caller: str) -> None:
        limit = self.per_caller.get(caller, self.per_minute)
        if limit <= 0:
            return
        rate, burst = limit / 60.0, max(1.0, float(int(limit)))
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(caller, _Bucket(tokens=burst, updated=now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            retry_after = (1.0 - bucket.tokens) / rate
        raise RateLimited(f"Rate limit reached: {limit:g} requests per minute.", retry_after=retry_after)

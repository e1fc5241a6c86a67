"""The bridge's configuration: a frozen object built from defaults, a config file, then flags.

A config file is YAML or TOML with the same keys as :class:`BridgeConfig` (nested tables such as
``[wallet]`` are flattened with dots: ``wallet.name``). Flags win over the file.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from bt_llm.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class BridgeConfig:
    netuid: int = 1
    wallet_name: str = "default"
    wallet_hotkey: str = "default"
    wallet_path: str | None = None  # None: $BT_WALLET_PATH, else ~/.bittensor/wallets/
    network: str = "local"
    chain_endpoint: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    axon_port: int = 8092  # the miners' default is 8091: both run on one machine
    axon_ip: str = "127.0.0.1"
    api_keys_file: str | None = None
    rate_limit_per_minute: float = 600.0
    max_body_bytes: int = 1_000_000
    k: int = 8
    timeout: float = 12.0
    stream_stall: float = 2.0
    grace: float = 0.05  # after the n answers asked for, seconds to wait for better ones
    score_queue: int = 1024  # answers waiting to be scored; past it they go unscored (counted)
    weights_interval: int = 100
    score_alpha: float = 0.1
    scorer: str = "embedding"  # or "lexical": the quality signal for answers that cannot be verified
    verify: bool = True  # recompute a sample of answers with the claimed model (bridge/incentives.py)
    verify_rate: float = 0.1  # the share of a known miner's answers checked (its first ones all are)
    verify_penalty: float = 600.0  # seconds a failed check zeroes a miner's score
    unverified_weight: float = 0.02  # what an answer no one can check is worth, against a verified one
    challenge_interval: float = 60.0  # seconds between the validator's own prompts (0: none)
    metagraph_refresh: float = 12.0
    set_weights: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    # file/flag keys with dots map to these attribute names
    ALIASES = {"wallet.name": "wallet_name", "wallet.hotkey": "wallet_hotkey", "wallet.path": "wallet_path",
               "subtensor.network": "network", "subtensor.chain_endpoint": "chain_endpoint",
               "axon.port": "axon_port", "axon.ip": "axon_ip"}

    def __post_init__(self) -> None:
        _check_types(self)
        for name in ("netuid", "port", "axon_port"):
            if not 0 <= getattr(self, name) <= 65535:
                raise ConfigError(f"bridge setting {name} must be 0 to 65535, got {getattr(self, name)}")
        if self.rate_limit_per_minute < 0:
            raise ConfigError("rate_limit_per_minute must be >= 0 (0: no limit)")
        if self.k < 1:
            raise ConfigError("k must be at least 1")
        if self.timeout <= 0:
            raise ConfigError("timeout must be positive")
        if not 0 <= self.grace < self.timeout:
            raise ConfigError("grace must be >= 0 and below timeout")
        if self.score_queue < 1:
            raise ConfigError("score_queue must be at least 1")
        if self.scorer not in ("embedding", "lexical"):
            raise ConfigError(f"unknown scorer {self.scorer!r}: use 'embedding' or 'lexical'")
        if not 0 < self.score_alpha <= 1:
            raise ConfigError("score_alpha must be in (0, 1]")
        if not 0 <= self.verify_rate <= 1 or not 0 <= self.unverified_weight <= 1:
            raise ConfigError("verify_rate and unverified_weight must be in [0, 1]")
        if self.verify_penalty < 0 or self.challenge_interval < 0:
            raise ConfigError("verify_penalty and challenge_interval must be >= 0")

    @classmethod
    def from_sources(cls, file: str | Path | None = None, **overrides: Any) -> BridgeConfig:
        """Defaults, then the file, then the non-None ``overrides``."""
        values: dict[str, Any] = {}
        if file is not None:
            values.update(_flatten(_read(Path(file))))
        values.update({k: v for k, v in overrides.items() if v is not None})
        names = {f.name for f in fields(cls)}
        known: dict[str, Any] = {}
        for key, value in values.items():
            name = cls.ALIASES.get(key, key.replace(".", "_"))
            if name not in names:
                raise ConfigError(f"unknown bridge setting {key!r}")
            known[name] = value
        try:
            return cls(**known)
        except TypeError as exc:
            raise ConfigError(f"bad bridge settings: {exc}") from exc

    def replace(self, **changes: Any) -> BridgeConfig:
        return dataclasses.replace(self, **changes)


def _check_types(config: BridgeConfig) -> None:
    """Each setting has its default's type (ints for floats too; ``None`` where the default is None).

    Raises:
        ConfigError: naming the setting and the value, e.g. ``port: abc`` in a config file.
    """
    for f in fields(config):
        value = getattr(config, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.name == "extra":
            ok, kind = isinstance(value, dict), "a mapping"
        elif default is None:
            ok, kind = value is None or isinstance(value, str), "a string"
        elif isinstance(default, bool):
            ok, kind = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, kind = isinstance(value, int) and not isinstance(value, bool), "a whole number"
        elif isinstance(default, float):
            ok, kind = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
        else:
            ok, kind = isinstance(value, str), "a string"
        if not ok:
            raise ConfigError(f"bridge setting {f.name} must be {kind}, got {value!r}")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the bridge config {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the bridge config {path} is not UTF-8 text") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        kind = path.suffix.lstrip(".") or "YAML"
        raise ConfigError(f"the bridge config {path} is not valid {kind}: {_one_line(exc)}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"the bridge config {path} must be a mapping")
    return data


def _one_line(exc: Exception) -> str:
    """A parser error in one line: YAML's problem and where, or the first line of anything else."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name != "extra":
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out

"""bittensor 5.x names that scripts use besides the network ones: ``bt.logging``, ``bt.config``,
``bt.trace()``, ``bt.debug()``, and the ``--config FILE`` YAML loader btcli shares.

``bt.logging`` is 5.x's class: ``bt.logging(debug=True)`` configures, ``bt.logging.info("prefix",
"suffix")`` (also ``success``, ``warning``, ``error``, ``debug``, ``trace``) logs through Python's
``logging`` (logger ``bittensor``), ``set_debug``/``set_trace`` change the level, ``add_args`` adds
``--logging.debug``/``--logging.trace``/``--logging.record_log``/``--logging.logging_dir``.

``bt.config(parser=None, args=None, strict=False)`` parses like 5.x's: the parser gains ``--config``
(a YAML file of defaults, nested as ``wallet: {name: ...}``) and ``--strict`` (unknown arguments are an
error); the result is a :class:`Config`, a dict whose dotted names are nested attributes
(``config.wallet.name``).
"""

from __future__ import annotations

import argparse
import logging as _std_logging
import sys
from pathlib import Path
from typing import Any

from bt_llm.errors import ConfigError

__all__ = ["Config", "config", "debug", "flatten", "load_yaml_config", "logging", "trace"]

TRACE = 5  # below DEBUG, as loguru's trace was
_std_logging.addLevelName(TRACE, "TRACE")
SUCCESS = 25
_std_logging.addLevelName(SUCCESS, "SUCCESS")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"wallet": {"name": "a"}}`` as ``{"wallet.name": "a"}``."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def load_yaml_config(path: str, flag: str = "--config") -> dict[str, Any]:
    """A YAML config file as dotted keys (``{"wallet.name": "alice", ...}``).

    Raises:
        ConfigError: a missing file, bad YAML, or not a mapping (named after ``flag``).
    """
    import yaml

    file = Path(path).expanduser()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{flag}: cannot read {file}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{flag}: {file} is not valid YAML{line}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{flag}: {file} must hold a mapping (wallet: {{name: ...}}), not {type(data).__name__}")
    return flatten(data)


class Config(dict):  # type: ignore[type-arg]
    """5.x's config: a dict whose keys are also attributes, nested by dotted names."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        import copy

        return Config({k: copy.deepcopy(v, memo) for k, v in self.items()})

    def copy(self) -> Config:
        import copy

        return copy.deepcopy(self)

    def get(self, key: str, d: Any = None, default: Any = None) -> Any:  # type: ignore[override]
        """5.x's ``config.get("name", d=...)``, also dotted (``get("wallet.name")``)."""
        fallback = d if d is not None else default
        node: Any = self
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return fallback
            node = dict.__getitem__(node, part)
        return node

    def is_set(self, key: str) -> bool:
        return self.get(key) is not None

    def set(self, key: str, value: Any) -> None:
        """Set a dotted name, making the nested configs it needs."""
        parts = key.split(".")
        node = self
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, Config):
                child = Config()
                dict.__setitem__(node, part, child)
            node = child
        dict.__setitem__(node, parts[-1], value)

    def to_dict(self) -> dict[str, Any]:
        return {k: v.to_dict() if isinstance(v, Config) else v for k, v in self.items()}


def config(parser: argparse.ArgumentParser | None = None, args: list[str] | None = None,
           strict: bool = False) -> Config:
    """5.x's ``bittensor.config``: parse ``args`` (default ``sys.argv[1:]``) with ``parser``.

    ``--config FILE`` gives defaults (flags win); ``--strict`` (or ``strict=True``) makes unknown
    arguments an error, else they are ignored as 5.x ignored them.

    Raises:
        ConfigError: a bad ``--config`` file; under strict, unknown arguments (named).
    """
    parser = parser if parser is not None else argparse.ArgumentParser()
    args = list(sys.argv[1:] if args is None else args)
    known = {opt for action in parser._actions for opt in action.option_strings}
    if "--config" not in known:
        parser.add_argument("--config", type=str, default=None, help="A YAML file of defaults (flags win).")
    if "--strict" not in known:
        parser.add_argument("--strict", action="store_true", default=False,
                            help="Unknown arguments are an error.")
    first, _ = parser.parse_known_args(args)
    strict = strict or bool(getattr(first, "strict", False))
    if getattr(first, "config", None):
        from_file = load_yaml_config(first.config)
        dests = {action.dest for action in parser._actions}
        unknown = [k for k in from_file if k not in dests]
        if strict and unknown:
            raise ConfigError(f"--strict: unknown keys in {first.config}: {', '.join(unknown)}")
        parser.set_defaults(**from_file)  # every key, as 5.x: those no argument takes land in the config too
    namespace, extra = parser.parse_known_args(args)
    if strict and extra:
        raise ConfigError(f"--strict: unknown arguments: {' '.join(extra)}")
    out = Config()
    for key, value in vars(namespace).items():
        out.set(key, value)
    return out


class _LoggingMeta(type):
    def __repr__(cls) -> str:
        return "<bt.logging>"


class logging(metaclass=_LoggingMeta):  # 5.x's name, lower case
    """5.x's ``bittensor.logging`` on Python's ``logging`` (logger ``bittensor``)."""

    __has_been_inited__ = False
    __debug_on__ = False
    __trace_on__ = False
    _handler: _std_logging.Handler | None = None
    _file_handler: _std_logging.Handler | None = None
    logger = _std_logging.getLogger("bittensor")

    def __new__(cls, config: Any = None, debug: bool | None = None, trace: bool | None = None,  # type: ignore[misc]
                record_log: bool | None = None, logging_dir: str | None = None) -> type[logging]:
        section = getattr(config, "logging", None) if config is not None else None

        def pick(value: Any, name: str, default: Any) -> Any:
            if value is not None:
                return value
            found = getattr(section, name, None) if section is not None else None
            return default if found is None else found

        cls.__has_been_inited__ = True
        if cls._handler is None:
            cls._handler = _std_logging.StreamHandler(sys.stdout)
            cls._handler.setFormatter(_std_logging.Formatter("%(asctime)s | %(levelname)8s | %(message)s"))
            cls.logger.addHandler(cls._handler)
            cls.logger.propagate = False
        if pick(record_log, "record_log", False) and cls._file_handler is None:
            folder = Path(pick(logging_dir, "logging_dir", "~/.bittensor/miners")).expanduser()
            folder.mkdir(parents=True, exist_ok=True)
            cls._file_handler = _std_logging.FileHandler(folder / "logs.log")
            cls.logger.addHandler(cls._file_handler)
        cls.set_debug(bool(pick(debug, "debug", cls.__debug_on__)))
        cls.set_trace(bool(pick(trace, "trace", cls.__trace_on__)))
        return cls

    @classmethod
    def set_debug(cls, debug_on: bool = True) -> None:
        cls.__debug_on__ = debug_on
        cls._level()

    @classmethod
    def set_trace(cls, trace_on: bool = True) -> None:
        cls.__trace_on__ = trace_on
        cls._level()

    @classmethod
    def _level(cls) -> None:
        cls.logger.setLevel(TRACE if cls.__trace_on__ else _std_logging.DEBUG if cls.__debug_on__ else
                            _std_logging.INFO)

    @classmethod
    def get_level(cls) -> int:
        return cls.logger.level

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, prefix: str | None = None) -> None:
        """``--logging.debug``, ``--logging.trace``, ``--logging.record_log``, ``--logging.logging_dir``."""
        p = f"{prefix}." if prefix else ""
        try:
            parser.add_argument(f"--{p}logging.debug", action="store_true", default=False, help="Turn on debug.")
            parser.add_argument(f"--{p}logging.trace", action="store_true", default=False, help="Turn on trace.")
            parser.add_argument(f"--{p}logging.record_log", action="store_true", default=False,
                                help="Also write logs to logging_dir/logs.log.")
            parser.add_argument(f"--{p}logging.logging_dir", type=str, default="~/.bittensor/miners",
                                help="Where logs are written. (default: ~/.bittensor/miners)")
        except argparse.ArgumentError:
            pass  # already added

    @classmethod
    def config(cls) -> Config:
        parser = argparse.ArgumentParser()
        cls.add_args(parser)
        return config(parser, args=[])

    @classmethod
    def _log(cls, level: int, prefix: object, sufix: object = None) -> None:
        if not cls.__has_been_inited__:
            cls()
        text = str(prefix) if sufix is None else str(prefix).ljust(30) + str(sufix)
        cls.logger.log(level, text)

    @classmethod
    def success(cls, prefix: object, sufix: object = None) -> None:
        cls._log(SUCCESS, prefix, sufix)

    @classmethod
    def info(cls, prefix: object, sufix: object = None) -> None:
        cls._log(_std_logging.INFO, prefix, sufix)

    @classmethod
    def warning(cls, prefix: object, sufix: object = None) -> None:
        cls._log(_std_logging.WARNING, prefix, sufix)

    @classmethod
    def error(cls, prefix: object, sufix: object = None) -> None:
        cls._log(_std_logging.ERROR, prefix, sufix)

    @classmethod
    def debug(cls, prefix: object, sufix: object = None) -> None:
        cls._log(_std_logging.DEBUG, prefix, sufix)

    @classmethod
    def trace(cls, prefix: object, sufix: object = None) -> None:
        cls._log(TRACE, prefix, sufix)


def trace() -> None:
    """5.x's ``bittensor.trace()``: log everything from here on."""
    logging.set_trace(True)


def debug() -> None:
    """5.x's ``bittensor.debug()``: debug logging from here on."""
    logging.set_debug(True)

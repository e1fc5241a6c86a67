"""Miner configuration: a frozen typed object, and the command-line flags that templates parse.

The library never reads ``sys.argv``: a template builds a parser, adds its own flags, and calls
:func:`parse_config` with ``argv`` (``None`` means ``sys.argv[1:]``, read by argparse in the template's
process).

Example:
    >>> cfg, _ = parse_config(["--netuid", "3", "--wallet.name", "miner", "--axon.port", "9000"])
    >>> cfg.netuid, cfg.wallet_name, cfg.axon_port, cfg.sync_every
    (3, 'miner', 9000, 10)
    >>> cfg.blacklist_force_validator_permit
    False
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from bt_llm.errors import ConfigError

DEFAULT_AXON_PORT = 8091


@dataclass(frozen=True, kw_only=True)
class NeuronConfig:
    """Everything the shared miner runtime needs; templates keep their own flags beside it.

    Args:
        netuid: the subnet to serve on.
        wallet_name, wallet_hotkey, wallet_path: which wallet signs (``~/.bittensor/wallets/<name>``).
        axon_ip: address the axon binds to; axon_port: its port (0 picks a free one).
        axon_external_ip, axon_external_port: what is announced on chain (``serve_axon``); default to
            the bind address and port, and to 127.0.0.1 when binding every interface.
        subtensor_network: a network name (``finney``, ``test``, ``local``) or URL.
        subtensor_chain_endpoint: an explicit endpoint, winning over the network.
        logging_debug: debug-level logs.
        blacklist_allow_non_registered: serve callers that are not registered on the subnet.
        blacklist_force_validator_permit: serve only callers holding a validator permit.
        sync_every: resync the metagraph every this many blocks.
        max_workers: requests handled at once by the axon.
    """

    netuid: int = 1
    wallet_name: str = "default"
    wallet_hotkey: str = "default"
    wallet_path: str | None = None  # None: $BT_WALLET_PATH, else ~/.bittensor/wallets
    axon_ip: str = "127.0.0.1"
    axon_port: int = DEFAULT_AXON_PORT
    axon_external_ip: str | None = None
    axon_external_port: int | None = None
    subtensor_network: str | None = None
    subtensor_chain_endpoint: str | None = None
    logging_debug: bool = False
    blacklist_allow_non_registered: bool = False
    blacklist_force_validator_permit: bool = False
    sync_every: int = 10
    max_workers: int = 4

    def __post_init__(self) -> None:
        if self.netuid < 0:
            raise ConfigError(f"--netuid must be >= 0, got {self.netuid}")
        if not 0 <= self.axon_port < 65536:
            raise ConfigError(f"--axon.port must be in 0..65535, got {self.axon_port}")
        if self.sync_every < 1:
            raise ConfigError(f"--neuron.sync_every must be >= 1 block, got {self.sync_every}")
        if self.max_workers < 1:
            raise ConfigError(f"--axon.max_workers must be >= 1, got {self.max_workers}")

    @property
    def announced_ip(self) -> str:
        """The ip written on chain: the external ip, else the bind ip (127.0.0.1 for 0.0.0.0/::)."""
        if self.axon_external_ip:
            return self.axon_external_ip
        return "127.0.0.1" if self.axon_ip in ("0.0.0.0", "::", "") else self.axon_ip

    def with_changes(self, **changes: Any) -> NeuronConfig:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)


# flag → (field, type, help). Booleans are store_true flags.
_FLAGS: tuple[tuple[str, str, Any, str], ...] = (
    ("--netuid", "netuid", int, "subnet to serve on"),
    ("--wallet.name", "wallet_name", str, "wallet (coldkey) name"),
    ("--wallet.hotkey", "wallet_hotkey", str, "hotkey name"),
    ("--wallet.path", "wallet_path", str, "folder holding the wallets (default: $BT_WALLET_PATH or ~/.bittensor/wallets)"),
    ("--axon.ip", "axon_ip", str, "address the axon binds to"),
    ("--axon.port", "axon_port", int, "port the axon listens on (0: any free port)"),
    ("--axon.external_ip", "axon_external_ip", str, "ip announced on chain (default: the bind ip)"),
    ("--axon.external_port", "axon_external_port", int, "port announced on chain (default: the bind port)"),
    ("--axon.max_workers", "max_workers", int, "requests served at once"),
    ("--subtensor.network", "subtensor_network", str, "finney, test, local, or a ws:// URL"),
    ("--subtensor.chain_endpoint", "subtensor_chain_endpoint", str, "explicit chain endpoint (wins over network)"),
    ("--neuron.sync_every", "sync_every", int, "resync the metagraph every N blocks"),
    ("--logging.debug", "logging_debug", bool, "debug logging"),
    ("--blacklist.allow_non_registered", "blacklist_allow_non_registered", bool,
     "serve callers not registered on the subnet"),
    ("--blacklist.force_validator_permit", "blacklist_force_validator_permit", bool,
     "serve only callers holding a validator permit"),
)


def add_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the shared miner flags to ``parser``.

    Defaults come from :class:`NeuronConfig`, except where the template already set one with
    ``parser.set_defaults(field=value)`` (e.g. ``max_workers=1`` for a one-generation-at-a-time model).
    """
    defaults = NeuronConfig()
    group = parser.add_argument_group("neuron")
    for flag, dest, kind, help_text in _FLAGS:
        template_default = parser.get_default(dest)
        default = template_default if template_default is not None else getattr(defaults, dest)
        if kind is bool:
            group.add_argument(flag, dest=dest, action="store_true", default=default, help=help_text)
        else:
            shown = f" (default: {default})" if default is not None else ""
            group.add_argument(flag, dest=dest, type=kind, default=default, help=help_text + shown)
    return parser


def config_from_namespace(namespace: argparse.Namespace) -> NeuronConfig:
    """The :class:`NeuronConfig` part of parsed arguments (other attributes are ignored)."""
    names = {f.name for f in fields(NeuronConfig)}
    return NeuronConfig(**{k: v for k, v in vars(namespace).items() if k in names})


def parse_config(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None,
                 ) -> tuple[NeuronConfig, argparse.Namespace]:
    """Parse ``argv`` with the shared flags (plus any already on ``parser``).

    Returns:
        The typed config and the whole namespace (for the template's own flags).

    Raises:
        ConfigError: a value is out of range (argparse itself exits on unknown flags).
    """
    parser = parser or argparse.ArgumentParser()
    add_args(parser)
    namespace = parser.parse_args(argv)
    return config_from_namespace(namespace), namespace

"""Network names and chain endpoints.

``resolve_network`` turns what a user gives (a name, a ``ws(s)://`` URL, ``host:port``, a config, the
environment) into ``(network_name, endpoint)``. An explicit chain endpoint wins over a network name,
as in the bittensor SDK; the environment (``BT_SUBTENSOR_CHAIN_ENDPOINT``, ``BT_SUBTENSOR_NETWORK``)
only fills what the caller left out. The default is ``local``, the embedded localnet
(``btcli localnet node``): bt-llm runs on one machine with no setup; say ``finney`` for the main network.

Example:
    >>> resolve_network("local", env={})
    ('local', 'ws://127.0.0.1:9944')
    >>> resolve_network("ws://127.0.0.1:9955", env={})
    ('local', 'ws://127.0.0.1:9955')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bt_llm import settings
from bt_llm.errors import ConfigError

ENDPOINTS: dict[str, str] = {
    "finney": "wss://entrypoint-finney.opentensor.ai:443",
    "test": "wss://test.finney.opentensor.ai:443",
    "archive": "wss://archive.chain.opentensor.ai:443",
    "local": "ws://127.0.0.1:9944",
}
DEFAULT_NETWORK = "local"
ENV_NETWORK = settings.SUBTENSOR_NETWORK
ENV_ENDPOINT = settings.CHAIN_ENDPOINT
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "0.0.0.0")


@dataclass(frozen=True)
class SubtensorConfig:
    """Where to connect: ``network`` (a name or URL) and/or an explicit ``chain_endpoint``."""

    network: str | None = None
    chain_endpoint: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SubtensorConfig:
        return cls(network=settings.get(ENV_NETWORK, env), chain_endpoint=settings.get(ENV_ENDPOINT, env))


def normalize_endpoint(url: str) -> str:
    """Add ``ws://`` to a bare ``host:port``; keep ``ws://``, ``wss://``, ``http(s)://`` URLs.

    Raises:
        ConfigError: the text is neither.
    """
    url = url.strip()
    if re.match(r"^(wss?|https?)://", url):
        return url
    if re.match(r"^[\w.\-\[\]:]+:\d+$", url):
        return f"ws://{url}"
    raise ConfigError(f"not a chain endpoint: {url!r} (want ws://host:port, wss://host:port or a network name)")


def network_name_for(endpoint: str) -> str:
    """The network a URL points at: a known name, ``local`` for loopback, else ``custom``."""
    for name, known in ENDPOINTS.items():
        if endpoint.rstrip("/") == known:
            return name
    host = re.sub(r"^\w+://", "", endpoint)
    if host.startswith(_LOOPBACK):
        return "local"
    return "custom"


def resolve_network(
    network: str | None = None,
    chain_endpoint: str | None = None,
    *,
    config: SubtensorConfig | object | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Decide ``(network_name, endpoint)``.

    Args:
        network: ``finney``, ``test``, ``local``, ``archive`` or a URL / ``host:port``.
        chain_endpoint: an explicit URL; wins over ``network``.
        config: anything with ``network`` / ``chain_endpoint`` attributes (a ``SubtensorConfig``, or a
            bittensor-style config whose ``subtensor`` attribute has them).
        env: the environment (default ``os.environ``).

    Raises:
        ConfigError: an unknown network name or a malformed URL.
    """
    if config is not None:
        inner = getattr(config, "subtensor", config)
        network = network or getattr(inner, "network", None)
        chain_endpoint = chain_endpoint or getattr(inner, "chain_endpoint", None)
    if network is None and chain_endpoint is None:
        from_env = SubtensorConfig.from_env(env)
        network, chain_endpoint = from_env.network, from_env.chain_endpoint
    if chain_endpoint:
        endpoint = normalize_endpoint(chain_endpoint)
        name = network if network in ENDPOINTS else network_name_for(endpoint)
        return name, endpoint
    network = network or DEFAULT_NETWORK
    if network in ENDPOINTS:
        return network, ENDPOINTS[network]
    if "://" in network or ":" in network:
        endpoint = normalize_endpoint(network)
        return network_name_for(endpoint), endpoint
    raise ConfigError(f"unknown network {network!r}: use one of {', '.join(ENDPOINTS)} or a ws(s):// URL")

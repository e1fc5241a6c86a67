"""Network names, URLs, config and environment resolve as the SDK does."""

from __future__ import annotations

import pytest

from bt_llm.chain.networks import ENDPOINTS, SubtensorConfig, resolve_network
from bt_llm.errors import ConfigError


def test_names() -> None:
    assert resolve_network("finney", env={}) == ("finney", ENDPOINTS["finney"])
    assert resolve_network("test", env={}) == ("test", ENDPOINTS["test"])
    assert resolve_network(env={}) == ("local", ENDPOINTS["local"])  # the embedded localnet is the default


def test_urls() -> None:
    assert resolve_network("127.0.0.1:9946", env={}) == ("local", "ws://127.0.0.1:9946")
    assert resolve_network("wss://example.org:443", env={}) == ("custom", "wss://example.org:443")
    assert resolve_network("ws://localhost:1", env={})[0] == "local"


def test_endpoint_wins_and_env() -> None:
    assert resolve_network("finney", "ws://127.0.0.1:5", env={}) == ("finney", "ws://127.0.0.1:5")
    env = {"BT_SUBTENSOR_CHAIN_ENDPOINT": "ws://127.0.0.1:7", "BT_SUBTENSOR_NETWORK": "local"}
    assert resolve_network(env=env) == ("local", "ws://127.0.0.1:7")
    assert resolve_network("test", env=env) == ("test", ENDPOINTS["test"])
    cfg = SubtensorConfig(network="local")
    assert resolve_network(config=cfg, env=env) == ("local", ENDPOINTS["local"])


def test_bad_values() -> None:
    with pytest.raises(ConfigError, match="unknown network"):
        resolve_network("nakamoto", env={})
    with pytest.raises(ConfigError, match="not a chain endpoint"):
        resolve_network(chain_endpoint="not a url", env={})


def test_bittensor_style_config() -> None:
    from types import SimpleNamespace

    from bt_llm.chain.subtensor import Subtensor

    config = SimpleNamespace(subtensor=SimpleNamespace(network="local", chain_endpoint="ws://127.0.0.1:9950"))
    sub = Subtensor(config=config)  # nothing is sent before the first call
    assert (sub.network, sub.chain_endpoint) == ("local", "ws://127.0.0.1:9950")

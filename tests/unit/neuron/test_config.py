"""Miner flags: the shared set parses into a frozen NeuronConfig; templates add their own."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from bt_llm.errors import ConfigError
from bt_llm.neuron.config import NeuronConfig, add_args, parse_config


def test_defaults() -> None:
    cfg, ns = parse_config([])
    assert cfg == NeuronConfig()
    assert (cfg.netuid, cfg.axon_port, cfg.wallet_name, cfg.wallet_hotkey) == (1, 8091, "default", "default")
    assert not cfg.blacklist_allow_non_registered and not cfg.blacklist_force_validator_permit
    assert cfg.subtensor_network is None and ns.netuid == 1


def test_every_flag() -> None:
    argv = [
        "--netuid", "7", "--wallet.name", "w", "--wallet.hotkey", "h", "--wallet.path", "/tmp/wallets",
        "--axon.ip", "0.0.0.0", "--axon.port", "9000", "--axon.external_ip", "10.0.0.5", "--axon.external_port",
        "9100", "--axon.max_workers", "2", "--subtensor.network", "local", "--subtensor.chain_endpoint",
        "ws://127.0.0.1:9955", "--neuron.sync_every", "5", "--logging.debug", "--blacklist.allow_non_registered",
        "--blacklist.force_validator_permit",
    ]
    cfg, _ = parse_config(argv)
    assert cfg == NeuronConfig(
        netuid=7, wallet_name="w", wallet_hotkey="h", wallet_path="/tmp/wallets", axon_ip="0.0.0.0", axon_port=9000,
        axon_external_ip="10.0.0.5", axon_external_port=9100, max_workers=2, subtensor_network="local",
        subtensor_chain_endpoint="ws://127.0.0.1:9955", sync_every=5, logging_debug=True,
        blacklist_allow_non_registered=True, blacklist_force_validator_permit=True,
    )
    assert cfg.announced_ip == "10.0.0.5"


def test_announced_ip_falls_back_to_loopback_for_any_address() -> None:
    assert NeuronConfig(axon_ip="0.0.0.0").announced_ip == "127.0.0.1"
    assert NeuronConfig(axon_ip="192.168.1.4").announced_ip == "192.168.1.4"


def test_template_flags_live_beside_the_shared_ones() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model.path", dest="model_path")
    cfg, ns = parse_config(["--model.path", "/m", "--netuid", "2"], parser)
    assert ns.model_path == "/m" and cfg.netuid == 2


def test_bad_values() -> None:
    with pytest.raises(ConfigError, match="sync_every"):
        parse_config(["--neuron.sync_every", "0"])
    with pytest.raises(ConfigError, match=r"axon\.port"):
        NeuronConfig(axon_port=70000)
    with pytest.raises(SystemExit):
        parse_config(["--netuid", "one"], argparse.ArgumentParser(exit_on_error=True))


def test_config_is_frozen() -> None:
    cfg = NeuronConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.netuid = 3  # type: ignore[misc]
    assert cfg.with_changes(netuid=3).netuid == 3


def test_help_lists_every_flag() -> None:
    text = add_args(argparse.ArgumentParser()).format_help()
    for flag in ("--netuid", "--wallet.name", "--wallet.hotkey", "--wallet.path", "--axon.port", "--axon.ip",
                 "--axon.external_ip", "--subtensor.network", "--subtensor.chain_endpoint", "--logging.debug",
                 "--blacklist.allow_non_registered", "--blacklist.force_validator_permit", "--neuron.sync_every"):
        assert flag in text


def test_a_template_can_change_a_shared_default() -> None:
    parser = argparse.ArgumentParser()
    parser.set_defaults(max_workers=1)
    cfg, _ = parse_config([], parser)
    assert cfg.max_workers == 1
    parser = argparse.ArgumentParser()
    parser.set_defaults(max_workers=1)
    assert parse_config(["--axon.max_workers", "3"], parser)[0].max_workers == 3

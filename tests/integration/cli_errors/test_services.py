"""``btcli bridge serve`` and ``btcli localnet node`` with bad input: one line, exit != 0, nothing left
listening, and the secrets of a run never in its logs."""

from __future__ import annotations

import logging
import socket

import pytest

from bt_llm.bridge.config import BridgeConfig
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.errors import ConfigError
from bt_llm.net import listen_socket
from tests.integration.cli_errors.helpers import assert_one_line_error, btcli, make_wallets


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.mark.parametrize(("text", "suffix", "needle"), [
    ("netuid: [1\n  bad", ".yaml", "is not valid yaml: expected ',' or ']'"),
    ("netuid = \n", ".toml", "is not valid toml"),
    ("bogus_key: 1\n", ".yaml", "unknown bridge setting 'bogus_key'"),
    ("port: abc\n", ".yaml", "port must be a whole number, got 'abc'"),
    ("port: 70000\n", ".yaml", "port must be 0 to 65535"),
    ("timeout: fast\n", ".yaml", "timeout must be a number"),
    ("set_weights: 3\n", ".yaml", "set_weights must be true or false"),
    ("rate_limit_per_minute: -1\n", ".yaml", "rate_limit_per_minute must be >= 0"),
    ("- 1\n- 2\n", ".yaml", "must be a mapping"),
])
def test_bad_bridge_config_file_is_one_line(tmp_path, capsys, text, suffix, needle) -> None:
    config = tmp_path / f"bridge{suffix}"
    config.write_text(text)
    result = btcli(capsys, ["bridge", "serve", "--config", str(config), "--subtensor.chain_endpoint", "ws://127.0.0.1:1"])
    assert_one_line_error(result, needle)


def test_unreadable_files_are_one_line(tmp_path, capsys) -> None:
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert_one_line_error(btcli(capsys, ["bridge", "serve", "--config", str(binary)]), "not UTF-8 text")
    assert_one_line_error(btcli(capsys, ["bridge", "serve", "--config", str(tmp_path / "absent.yaml")]),
                          "cannot read the bridge config", "No such file")
    make_wallets(str(tmp_path))
    for keys, needle in [(tmp_path / "absent.txt", "No such file"), (tmp_path, "Is a directory"), (binary, "UTF-8")]:
        result = btcli(capsys, ["bridge", "serve", "--api_keys_file", str(keys), "--wallet.path", str(tmp_path),
                                "--wallet.name", "qa", "--subtensor.chain_endpoint", "ws://127.0.0.1:1"])
        assert_one_line_error(result, "API keys file", needle)


def test_bridge_config_types_pinned() -> None:
    assert BridgeConfig.from_sources(None, port=0, timeout=3).timeout == 3
    with pytest.raises(ConfigError, match="netuid must be a whole number"):
        BridgeConfig(netuid="1")  # type: ignore[arg-type]


def test_busy_or_foreign_address_is_a_config_error(busy_port) -> None:
    with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{busy_port}: Address already in use"):
        listen_socket("127.0.0.1", busy_port)
    with pytest.raises(ConfigError, match=r"cannot listen on 10\.255\.255\.1"):
        ServerThread(lambda *a: None, host="10.255.255.1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="0 to 65535"):
        listen_socket("127.0.0.1", 70000)


def test_bridge_serve_busy_port_is_one_line(busy_port, tmp_path, capsys) -> None:
    make_wallets(str(tmp_path))
    result = btcli(capsys, ["bridge", "serve", "--port", str(busy_port), "--wallet.path", str(tmp_path), "--wallet.name", "qa",
                            "--subtensor.chain_endpoint", "ws://127.0.0.1:1"])
    assert_one_line_error(result, "Address already in use")


def test_bridge_unregistered_hotkey_refused_and_ports_released(localnet_node, tmp_path, caplog) -> None:
    from bt_llm.bridge.scoring import LexicalScorer
    from bt_llm.bridge.service import BridgeService

    make_wallets(str(tmp_path))
    port = listen_socket("127.0.0.1", 0)
    http_port = port.getsockname()[1]
    port.close()
    config = BridgeConfig(wallet_name="qa", wallet_path=str(tmp_path), chain_endpoint=localnet_node.url,
                          port=http_port, axon_port=0, api_keys_file=None)
    service = BridgeService(config, scorer=LexicalScorer())
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError, match="is not registered on subnet 1"):
        service.start()
    assert _bindable(http_port)  # the failed start let its port go
    assert localnet_node.rpc("chain_getHeader")["number"] == "0x0"  # no serve_axon was submitted (no fee)
    service.subtensor.close()


def test_localnet_node_busy_port_and_foreign_host_are_one_line(busy_port, capsys) -> None:
    assert_one_line_error(btcli(capsys, ["localnet", "node", "--port", str(busy_port)]), "Address already in use")
    assert_one_line_error(btcli(capsys, ["localnet", "node", "--host", "10.255.255.1", "--port", "0"]),
                          "cannot listen on 10.255.255.1")


def test_no_secret_in_logs_of_a_signed_run(localnet_node, tmp_path, monkeypatch, caplog, capsys) -> None:
    """A transfer from an encrypted coldkey, with debug logging on: neither the password, the
    mnemonic, the seed nor the private key appear in the logs or on stderr."""
    from bt_llm.wallet.wallet import Wallet

    monkeypatch.setenv("BT_COLD_PW_SECRETIVE", "pw-Very-Secret-123")
    wallet = Wallet(name="secretive", hotkey="default", path=str(tmp_path))
    wallet.create_coldkey_from_uri("//Alice", use_password=True, password="pw-Very-Secret-123", suppress=True)
    from bt_llm.wallet.keypair import Keypair

    keypair = Keypair.create_from_uri("//Alice")
    with caplog.at_level(logging.DEBUG):
        result = btcli(capsys, ["transfer", "--wallet.name", "secretive", "--wallet.path", str(tmp_path),
                                "--dest", "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty", "--amount", "1",
                                "--no_prompt", "--subtensor.chain_endpoint", localnet_node.url])
    assert result.code == 0, result.err
    logs = caplog.text + result.err + result.out
    assert len(caplog.records) > 5  # the run did log (RPC requests), so the check means something
    for secret in ("pw-Very-Secret-123", keypair.private_key.hex(), keypair.seed_hex.removeprefix("0x")
                   if isinstance(keypair.seed_hex, str) else ""):
        if secret:
            assert secret not in logs


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "sNaN"])
def test_non_finite_amounts_are_config_errors(text: str) -> None:
    from bt_llm.balance import Balance

    with pytest.raises(ConfigError, match="Invalid amount of TAO"):
        Balance.from_tao(text)
    with pytest.raises(ConfigError, match="Invalid amount of TAO"):
        Balance.from_tao(float(text.replace("sNaN", "nan")))


def test_a_second_node_on_one_state_is_one_line_naming_the_holder(tmp_path, capsys) -> None:
    import os

    from bt_llm.localnet.engine import Engine

    first = Engine.open(tmp_path / "state")  # this process serves the state now
    try:
        assert_one_line_error(btcli(capsys, ["localnet", "node", "--state", str(tmp_path / "state"), "--port", "0"]),
                              f"in use by process {os.getpid()}")
    finally:
        first.close()
    again = Engine.open(tmp_path / "state")  # released on close: the state opens again
    again.close()

"""A localnet with a funded coldkey, a registered validator, and miner templates run as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0


class MinerProcess:
    """``python miners/<template>/neuron.py ...`` with its stderr collected line by line."""

    def __init__(self, template: str, args: list[str], env: dict[str, str] | None = None) -> None:
        self.template = template
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "miners" / template / "neuron.py"), *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._serving = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if " serving on " in line:
                self._serving.set()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_serving(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self._serving.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._reader.join(2)
                raise AssertionError(f"{self.template} miner did not start (rc={self.proc.poll()}):\n{self.log}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return rc

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.wait_exit(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.wait_exit(10)
            raise AssertionError(f"{self.template} miner ignored {signal.Signals(sig).name}:\n{self.log}") from None

    def requests(self, name: str, outcome: str = "ok") -> list[str]:
        """The request log lines of synapse ``name`` that ended with ``outcome``."""
        return [line for line in self.lines
                if f"bt_llm.neuron.requests: {name} " in line and line.rstrip().endswith(outcome)]


class MinerNet:
    """The chain side of a miner test."""

    def __init__(self, node: Any, wallet_path: Path) -> None:
        from bt_llm.chain.subtensor import Subtensor

        self.node = node
        self.wallet_path = str(wallet_path)
        self.subtensor = Subtensor(chain_endpoint=node.url)
        self.validator = self.wallet("validator", "//Bob", "//bt-llm-test-validator")
        self.register(self.validator)
        self._procs: list[MinerProcess] = []

    def wallet(self, name: str, coldkey_uri: str, hotkey_uri: str) -> Any:
        from bt_llm.wallet.wallet import Wallet

        w = Wallet(name, "default", self.wallet_path)
        w.create_coldkey_from_uri(coldkey_uri, use_password=False, suppress=True, overwrite=True)
        w.create_hotkey_from_uri(hotkey_uri, suppress=True, overwrite=True)
        return w

    def register(self, wallet: Any, netuid: int = 1) -> int:
        self.subtensor.burned_register(wallet, netuid)
        uid = self.subtensor.get_uid_for_hotkey_on_subnet(wallet.hotkey.ss58_address, netuid)
        assert uid is not None
        return uid

    def miner_wallet(self, name: str, register: bool = True) -> Any:
        w = self.wallet(name, "//Alice", f"//bt-llm-test-{name}")
        if register:
            self.register(w)
        return w

    def start(self, template: str, wallet: Any, *extra: str, env: dict[str, str] | None = None,
              wait: bool = True) -> MinerProcess:
        args = ["--netuid", "1", "--wallet.name", wallet.name, "--wallet.hotkey", "default",
                "--wallet.path", self.wallet_path, "--subtensor.chain_endpoint", self.node.url,
                "--axon.port", "0", *extra]
        proc = MinerProcess(template, args, env)
        self._procs.append(proc)
        if wait:
            proc.wait_serving()
        return proc

    def axon_of(self, wallet: Any) -> Any:
        """Where the chain says the miner serves (proves serve_axon landed)."""
        uid = self.subtensor.get_uid_for_hotkey_on_subnet(wallet.hotkey.ss58_address, 1)
        info = self.subtensor.neuron_for_uid_lite(uid, 1).axon_info
        assert info.port > 0, "the miner never announced its axon"
        return info

    def dendrite(self, wallet: Any = None) -> Any:
        from bt_llm.dendrite.client import Dendrite

        return Dendrite(wallet or self.validator)

    def close(self) -> None:
        for proc in self._procs:
            if proc.proc.poll() is None:
                proc.proc.kill()
                proc.wait_exit(10)
        self.subtensor.close()


@pytest.fixture
def miner_net(localnet_node: Any, tmp_path: Path) -> Iterator[MinerNet]:
    net = MinerNet(localnet_node, tmp_path / "wallets")
    yield net
    net.close()

"""Metagraph arrays, full sync matrices, save/load and torch, from neurons decoded off scalecodec bytes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bt_llm.chain import chain_data as cd
from bt_llm.chain.metagraph import Metagraph
from bt_llm.errors import ChainError, ConfigError

from .factories import address, neuron
from .scale_types import encode


class FakeSubtensor:
    """Serves neurons decoded from scalecodec-encoded bytes, remembering which block was asked."""

    network = "unit"

    def __init__(self, n: int = 6, head: int = 100) -> None:
        self.n, self.head = n, head
        self.asked: list[tuple[str, int | None]] = []

    def get_current_block(self) -> int:
        return self.head

    def subnet_exists(self, netuid: int, block: int | None = None) -> bool:
        return netuid == 1

    def neurons_lite(self, netuid: int, block: int | None = None) -> list[cd.NeuronInfoLite]:
        self.asked.append(("lite", block))
        return cd.decode_neurons_lite(encode("Vec<NeuronInfoLite>", [neuron(u) for u in range(self.n)]))

    def neurons(self, netuid: int, block: int | None = None) -> list[cd.NeuronInfo]:
        self.asked.append(("full", block))
        values = [neuron(u, full=True, n=self.n) for u in range(self.n)]
        return cd.decode_neurons(encode("Vec<NeuronInfo>", values))


def test_lite_sync_arrays() -> None:
    sub = FakeSubtensor()
    mg = Metagraph(1, subtensor=sub)
    assert sub.asked == [("lite", 100)]
    assert mg.n == 6 and mg.block == 100 and mg.network == "unit"
    assert mg.uids.tolist() == list(range(6))
    assert mg.hotkeys[3] == address("hot3") and mg.coldkeys[4] == address("cold1")
    assert mg.S.dtype == np.float32
    assert mg.S[2] == pytest.approx(3.0000005)
    assert mg.total_stake is not None and np.array_equal(mg.S, mg.stake)
    assert mg.I[0] == 1.0 and mg.R[2] == pytest.approx(200 / 65535)
    assert mg.E[1] == pytest.approx(0.123456789)
    assert mg.C[1] == pytest.approx(2 / 65535) and mg.T[1] == pytest.approx(3 / 65535)
    assert mg.Tv[1] == pytest.approx(4 / 65535) and mg.D[1] == pytest.approx(5 / 65535)
    assert mg.active.tolist() == [1, 0, 1, 0, 1, 0]
    assert mg.validator_permit.tolist() == [True] * 4 + [False] * 2
    assert mg.last_update.tolist() == [1000 + u for u in range(6)]
    assert mg.axons[5].port == 8096 and mg.axons[5].ip == "127.0.0.1" and mg.axons[5].hotkey == mg.hotkeys[5]
    assert mg.addresses[0] == "/ipv4/127.0.0.1:8091"
    assert mg.W.shape == (0,) and mg.B.shape == (0,)
    assert "n:6" in repr(mg)


def test_full_sync_at_block_builds_matrices() -> None:
    sub = FakeSubtensor(n=4)
    mg = Metagraph(1, lite=False, sync=False, subtensor=sub)
    mg.sync(block=42)
    assert sub.asked == [("full", 42)] and mg.block == 42 and not mg.lite
    assert mg.W.shape == (4, 4) and mg.B.shape == (4, 4)
    # uid 1 weights uid 2 (65535) and itself (1000): rows normalised to 1
    assert mg.W[1, 2] == pytest.approx(65535 / 66535) and mg.W[1, 1] == pytest.approx(1000 / 66535)
    assert np.allclose(mg.W.sum(axis=1), 1.0)
    assert mg.B[3, 1] == 21.0 and mg.B[0, 2] == 0.0


def test_missing_subnet_is_an_error() -> None:
    mg = Metagraph(2, sync=False, subtensor=FakeSubtensor())
    with pytest.raises(ChainError, match="subnet 2"):
        mg.sync()
    with pytest.raises(ConfigError):
        Metagraph(-1, sync=False)


def test_save_and_load_roundtrip(tmp_path) -> None:
    mg = Metagraph(1, lite=False, subtensor=FakeSubtensor(n=5))
    path = mg.save(root=tmp_path)
    assert path == tmp_path / "network-unit" / "netuid1" / "block-100.npz"
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["format"] == "bt-llm-metagraph" and meta["n"] == 5 and meta["hotkeys"][0] == address("hot0")
    loaded = Metagraph(1, network="unit", sync=False).load(root=tmp_path)
    assert loaded.block == 100 and loaded.n == 5 and not loaded.lite
    for name in ("S", "R", "I", "E", "C", "T", "Tv", "D", "W", "B", "uids", "active", "last_update",
                 "validator_permit"):
        assert np.array_equal(getattr(loaded, name), getattr(mg, name)), name
    assert loaded.hotkeys == mg.hotkeys and loaded.coldkeys == mg.coldkeys and loaded.axons == mg.axons
    # a later block is what load() picks by default; an explicit block still loads the older one
    sub = FakeSubtensor(n=2, head=150)
    Metagraph(1, subtensor=sub).save(root=tmp_path)
    assert Metagraph(1, network="unit", sync=False).load(root=tmp_path).block == 150
    assert Metagraph(1, network="unit", sync=False).load(root=tmp_path, block=100).n == 5


def test_load_nothing_saved(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no saved metagraph"):
        Metagraph(1, network="unit", sync=False).load(root=tmp_path)


@pytest.mark.slow
def test_torch_only_when_asked() -> None:
    code = (
        "import sys\n"
        "from tests.unit.chain.test_metagraph import FakeSubtensor\n"
        "from bt_llm.chain.metagraph import Metagraph\n"
        "mg = Metagraph(1, subtensor=FakeSubtensor())\n"
        "assert 'torch' not in sys.modules, 'numpy mode imported torch'\n"
        "mg.use_torch = True\n"
        "import torch\n"
        "assert isinstance(mg.S, torch.Tensor) and mg.S.shape == (6,)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_network_name_from_url() -> None:
    assert Metagraph(1, network="ws://127.0.0.1:9999", sync=False).network == "local"
    assert Metagraph(1, network="test", sync=False).network == "test"

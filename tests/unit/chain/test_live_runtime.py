"""Runtime recognition refuses what it cannot serve with errors that name the spec and what is missing
(the replay-node tests of the live runtime are in ``tests/integration/chain/test_live_replay.py``)."""

from __future__ import annotations

import pytest


def test_a_missing_runtime_api_names_spec_and_api() -> None:
    from bt_llm.chain.live import KIND_DTAO, RuntimeApis, RuntimeProfile, UnsupportedRuntimeError

    bare = RuntimeProfile(KIND_DTAO, 343, frozenset({"SubtensorModule"}), frozenset({"SubnetAlphaIn"}), frozenset())
    with pytest.raises(UnsupportedRuntimeError, match=r"spec 343\) serves no metadata V15.*get_neurons_lite"):
        bare.require_api("NeuronInfoRuntimeApi", "get_neurons_lite")
    bare.apis = RuntimeApis({"NeuronInfoRuntimeApi": {"get_neuron": ([], 0)}}, config=None)
    with pytest.raises(UnsupportedRuntimeError, match=r"has no runtime API NeuronInfoRuntimeApi_get_neurons_lite "
                                                      r"\(it has: get_neuron\)"):
        bare.require_api("NeuronInfoRuntimeApi", "get_neurons_lite")


def test_not_a_subtensor_runtime_is_refused() -> None:
    from bt_llm.chain.live import UnsupportedRuntimeError, detect_runtime

    class Pallet:
        def __init__(self, name: str) -> None:
            self.name, self.storage, self.calls = name, [], []

    class Substrate:
        runtime_version = 1000

        def init_runtime(self) -> None:
            self.metadata = type("M", (), {"pallets": [Pallet("System"), Pallet("Balances")]})()

    class Conn:
        endpoint = "ws://polkadot"

        def run(self, fn):
            return fn(Substrate())

    with pytest.raises(UnsupportedRuntimeError, match=r"spec 1000\) has no SubtensorModule pallet"):
        detect_runtime(Conn())

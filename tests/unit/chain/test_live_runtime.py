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


def test_transfer_fee_asks_the_runtime_api_it_has() -> None:
    """``query_info``'s ``partial_fee``; a runtime with only ``query_fee_details`` gives the inclusion fee; one
    with neither is refused by name. The extrinsic goes as ``uxt`` (its bytes) with ``len`` its encoded length."""
    from bt_llm.chain.live import (
        KIND_DTAO,
        AdapterDynamicTao,
        RuntimeApis,
        RuntimeProfile,
        UnsupportedRuntimeError,
    )

    class Apis(RuntimeApis):
        def encode(self, api, method, args):
            sent.append((f"{api}_{method}", args))
            return b""

        def decode(self, api, method, data):
            return answers[method]

    class Conn:
        def rpc(self, method, params):
            return "0x"

    sent: list = []
    answers = {"query_info": {"weight": {}, "class": "Normal", "partial_fee": 2**40},
               "query_fee_details": {"inclusion_fee": {"base_fee": 1, "len_fee": 20, "adjusted_weight_fee": 300},
                                     "tip": 0}}
    both = {"query_info": ([], 0), "query_fee_details": ([], 0)}
    profile = RuntimeProfile(KIND_DTAO, 343, frozenset(), frozenset(), frozenset(),
                             apis=Apis({"TransactionPaymentApi": both}, config=None))
    adapter = AdapterDynamicTao(Conn(), profile)
    xt = b"\x0c\x84\x01\x02"
    assert adapter.transfer_fee(xt) == 2**40
    assert sent == [("TransactionPaymentApi_query_info", ["0x840102", 4])]
    del both["query_info"]
    assert adapter.transfer_fee(xt) == 321
    answers["query_fee_details"] = {"inclusion_fee": None, "tip": 0}  # an unsigned/free call
    assert adapter.transfer_fee(xt) == 0
    del both["query_fee_details"]
    with pytest.raises(UnsupportedRuntimeError, match=r"no runtime API TransactionPaymentApi_query_info"):
        adapter.transfer_fee(xt)

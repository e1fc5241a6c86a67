"""Error translation, extrinsic receipts, amounts and weights: the client's logic without a node."""

from __future__ import annotations

import pytest
from substrateinterface.exceptions import StorageFunctionNotFound, SubstrateRequestException
from websocket import WebSocketConnectionClosedException, WebSocketTimeoutException

from bt_llm.balance import Balance
from bt_llm.chain import extrinsics, runtime
from bt_llm.chain.connection import ChainConnection, translate
from bt_llm.chain.operations import normalize_weights, to_rao
from bt_llm.errors import (
    ChainError,
    ConfigError,
    ExtrinsicFailedError,
    RpcConnectError,
    RpcProtocolError,
    RpcRemoteError,
    RpcTimeoutError,
)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (SubstrateRequestException({"code": -32601, "message": "Method not found"}), RpcRemoteError),
        (WebSocketTimeoutException("slow"), RpcTimeoutError),
        (WebSocketConnectionClosedException("gone"), RpcProtocolError),
        (ConnectionRefusedError(111, "refused"), RpcConnectError),
        (StorageFunctionNotFound("no such item"), ChainError),
    ],
)
def test_translate(exc: Exception, expected: type) -> None:
    assert type(translate(exc, "ws://x")) is expected


def _raise_inside_substrate_interface() -> None:
    code = compile("raise KeyError('result')", "/site-packages/substrateinterface/base.py", "exec")
    exec(code)


def test_a_dependency_failing_on_an_answer_is_a_protocol_error_but_our_bug_propagates() -> None:
    with pytest.raises(KeyError) as inside:
        _raise_inside_substrate_interface()
    assert type(translate(inside.value, "ws://x")) is RpcProtocolError
    with pytest.raises(KeyError) as ours:
        {}["weird"]
    assert translate(ours.value, "ws://x") is None
    conn = ChainConnection("ws://x", opener=lambda: object())
    with pytest.raises(KeyError), conn.session():  # a bug in our code inside a session is not re-wrapped
        {}["weird"]


def test_remote_error_keeps_code_and_data() -> None:
    err = translate(SubstrateRequestException({"code": 1010, "message": "Invalid Transaction", "data": "Stale"}), "u")
    assert isinstance(err, RpcRemoteError) and err.code == 1010 and err.data == "Stale"
    assert "Invalid Transaction: Stale" in str(err)


class FakeReceipt:
    def __init__(self, ok: bool, error: dict | None = None) -> None:
        self.is_success, self.error_message = ok, error
        self.extrinsic_hash, self.block_hash, self.finalized = "0xaa", "0xbb", False
        self.triggered_events = []


class FakeSubstrate:
    def __init__(self, receipt: FakeReceipt | Exception) -> None:
        self.receipt, self.calls = receipt, []

    def compose_call(self, call_module: str, call_function: str, call_params: dict) -> tuple:
        if "bad" in call_params:
            raise ValueError("Parameter 'bad' not found")
        return (call_module, call_function, call_params)

    def create_signed_extrinsic(self, call, keypair, era=None):
        self.calls.append((call, keypair, era))
        return "xt"

    def submit_extrinsic(self, xt, wait_for_inclusion=False, wait_for_finalization=False):
        if isinstance(self.receipt, Exception):
            raise self.receipt
        return self.receipt

    def close(self) -> None:
        pass


def _conn(substrate: FakeSubstrate) -> ChainConnection:
    conn = ChainConnection("ws://fake")
    conn._substrate = substrate
    return conn


def test_submit_success_and_era() -> None:
    fake = FakeSubstrate(FakeReceipt(True))
    result = extrinsics.submit(_conn(fake), "SubtensorModule", "set_weights", {"netuid": 1}, "KEY",
                               era={"period": 5})
    assert result.included and result.block_hash == "0xbb"
    assert fake.calls == [(("SubtensorModule", "set_weights", {"netuid": 1}), "KEY", {"period": 5})]


def test_submit_failure_carries_pallet_error_name() -> None:
    error = {"type": "Module", "name": "NotEnoughBalanceToStake", "docs": ["The caller lacks balance"]}
    fake = FakeSubstrate(FakeReceipt(False, error))
    with pytest.raises(ExtrinsicFailedError) as info:
        extrinsics.submit(_conn(fake), "SubtensorModule", "add_stake", {}, "KEY")
    assert info.value.error_name == "NotEnoughBalanceToStake"
    assert "lacks balance" in str(info.value)


def test_submit_pool_refusal_and_bad_params() -> None:
    fake = FakeSubstrate(SubstrateRequestException({"code": 1010, "message": "Invalid Transaction",
                                                    "data": "Transaction is outdated"}))
    with pytest.raises(ExtrinsicFailedError) as info:
        extrinsics.submit(_conn(fake), "Balances", "transfer", {}, "KEY")
    assert info.value.error_name == "InvalidTransaction" and "outdated" in str(info.value)
    with pytest.raises(ConfigError, match="cannot build"):
        extrinsics.submit(_conn(FakeSubstrate(FakeReceipt(True))), "Balances", "transfer", {"bad": 1}, "KEY")


def test_no_wait_returns_without_receipt() -> None:
    result = extrinsics.submit(_conn(FakeSubstrate(FakeReceipt(False))), "Balances", "transfer", {}, "KEY",
                               wait_for_inclusion=False)
    assert not result.included and result.block_hash is None


def test_amounts() -> None:
    assert to_rao(Balance.from_tao(1.5)) == 1_500_000_000
    assert to_rao(2) == 2_000_000_000 and to_rao(0.000000001) == 1
    with pytest.raises(ConfigError):
        to_rao(-1)
    with pytest.raises(ConfigError):
        to_rao("lots")


def test_normalize_weights() -> None:
    assert normalize_weights([3, 1], [1.0, 3.0]) == ([3, 1], [21845, 65535])
    assert normalize_weights([0], [0.0]) == ([], [])
    with pytest.raises(ConfigError):
        normalize_weights([1, 2], [1.0])
    with pytest.raises(ConfigError):
        normalize_weights([1], [-1.0])


class RpcStub:
    def __init__(self, answer: object) -> None:
        self.answer, self.asked = answer, []

    def rpc(self, method: str, params: list) -> object:
        self.asked.append((method, params))
        return self.answer


def test_runtime_call_shapes() -> None:
    stub = RpcStub("0x0400")  # Vec<u8> = [0]: "none" for the SDK
    assert runtime.neuron_lite(stub, 1, 5) is None  # type: ignore[arg-type]
    assert stub.asked == [("state_call", ["NeuronInfoRuntimeApi_get_neuron_lite", "0x01000500"])]
    stub = RpcStub([])
    assert runtime.delegates(stub, "0xhash") == []  # type: ignore[arg-type]
    assert stub.asked == [("delegateInfo_getDelegates", ["0xhash"])]
    with pytest.raises(RpcProtocolError):
        runtime.neurons_lite(RpcStub("nothex"), 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        runtime.delegate(RpcStub(None), "not-an-address")  # type: ignore[arg-type]

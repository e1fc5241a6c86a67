"""The dendrite's cheaper request/answer helpers give exactly what the base recipes give."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field
from substrateinterface import Keypair

from bt_llm.dendrite.request import _merge_headers, _terminal, build_request
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapse import Synapse, TerminalInfo, parse_header_inputs, terminal_values
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting

BOB = Keypair.create_from_uri("//Bob")
ALICE = Keypair.create_from_uri("//Alice")
TARGET = AxonInfo(version=0, ip="10.0.0.1", port=8091, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")


class Needs(Synapse):
    """Required inputs travel as empty-value hints."""

    items: list[int]
    label: str
    table: dict[str, int]
    count: int
    maybe: str | None = Field(default=None)
    required_hash_fields = ("items", "label")


class OwnHeaders(TextPrompting):
    def to_headers(self) -> dict[str, str]:
        return {**super().to_headers(), "x-own": "1"}


SYNAPSES: list[Any] = [
    TextPrompting(roles=["user"], messages=["hi"]),
    TextPrompting(roles=["system", "user"], messages=["be nice", "d\u00e9j\u00e0"], max_tokens=5, temperature=0.5),
    StreamingTextPrompting(roles=["user"], messages=["x"]),
    Embedding(texts=["a", "b"]),
    Needs(items=[1, 2], label="l", table={"a": 1}, count=3),
    Synapse(),
]


@pytest.mark.parametrize("synapse", SYNAPSES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("external_ip", [None, "1.2.3.4"])
def test_headers_are_to_headers(synapse: Synapse, external_ip: str | None) -> None:
    synapse = synapse.model_copy(deep=True)
    request = build_request(synapse, TARGET, BOB, "u-1", 3.5, external_ip)
    assert request.headers == {**synapse.to_headers(), "content-type": "application/json"}
    assert list(request.headers) == [*synapse.to_headers(), "content-type"]  # same order, so same header_size
    for info in (synapse.axon, synapse.dendrite):  # the fast dump is pydantic's
        assert terminal_values(info) == info.model_dump(exclude_none=True)
    assert request.url == f"http://10.0.0.1:8091/{type(synapse).__name__}"
    assert (request.host, request.port, request.path) == ("10.0.0.1", 8091, f"/{type(synapse).__name__}")


def test_headers_of_bare_synapses() -> None:
    synapse = TextPrompting()
    synapse.__dict__.update(axon=None, dendrite=None, name=None, total_size=None)
    headers = synapse.to_headers()
    assert headers["name"] == "TextPrompting" and headers["total_size"] == "0"
    assert not any(k.startswith(("bt_header_axon_", "bt_header_dendrite_")) for k in headers)
    assert headers["computed_body_hash"] == synapse.body_hash


def test_an_own_to_headers_is_called() -> None:
    request = build_request(OwnHeaders(roles=["u"], messages=["m"]), TARGET, BOB, "u-1", 3.0)
    assert request.headers["x-own"] == "1"


def test_terminal_is_model_construct() -> None:
    for values in ({}, {"ip": None, "nonce": 5}, {"status_code": 200, "hotkey": "h", "signature": "0x"}):
        fast, slow = _terminal(dict(values)), TerminalInfo.model_construct(**values)
        assert fast == slow and fast.model_fields_set == slow.model_fields_set
    assert _terminal({"nonce": 1}).model_fields_set == {"nonce"}
    assert TerminalInfo().model_fields_set == set()  # the blank it copies is untouched


def _old_merge(synapse: Synapse, headers: dict[str, str]) -> None:
    """The merge as it was: model_dump / model_construct / validated setattr."""
    inputs = parse_header_inputs(headers)
    for side in ("dendrite", "axon"):
        values = inputs.get(side) or {}
        if not values:
            continue
        try:
            remote = TerminalInfo.model_validate(values)
        except ValueError:
            continue
        local = getattr(synapse, side) or TerminalInfo()
        merged = {**local.model_dump(exclude_none=True), **remote.model_dump(exclude_none=True)}
        setattr(synapse, side, TerminalInfo.model_construct(**merged))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"bt_header_axon_status_code": "200", "bt_header_axon_status_message": "Success", "bt_header_axon_nonce": "9"},
        {"bt_header_axon_status_code": "many"},
        {"bt_header_dendrite_ip": "5.6.7.8", "bt_header_dendrite_process_time": "0.5", "other": "x"},
        {"bt_header_axon_hotkey": "h", "bt_header_dendrite_uuid": "new", "bt_header_axon_port": "99"},
    ],
)
@pytest.mark.parametrize("sides", ["filled", "none"])
def test_merge_headers_is_the_old_merge(headers: dict[str, str], sides: str) -> None:
    fast = TextPrompting(roles=["u"], messages=["m"])
    build_request(fast, TARGET, BOB, "u-1", 3.0)
    if sides == "none":
        fast.__dict__.update(axon=None, dendrite=None)
    slow = fast.model_copy(deep=True)
    _merge_headers(fast, headers)
    _old_merge(slow, headers)
    for side in ("axon", "dendrite"):
        a, b = getattr(fast, side), getattr(slow, side)
        assert a == b
        if a is not None:
            assert a.model_fields_set == b.model_fields_set

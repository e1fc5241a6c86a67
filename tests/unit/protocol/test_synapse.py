"""Synapse: names, headers, body hash, status helpers."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from bt_llm.errors import ProtocolError
from bt_llm.protocol.signing import body_hash
from bt_llm.protocol.synapse import StreamingSynapse, Synapse, TerminalInfo

SPEC_VECTOR = "ae06397d08f30f75c91395c59f05c62ac3b62b88250eb78b109213258e6ced0c"


class Vector(Synapse):
    a: int = 1
    b: int = 2
    c: str = "not hashed"
    d: list[str] = ["foobar"]
    required_hash_fields = ("a", "b", "d")


class NeedsInput(Synapse):
    text: str
    items: list[int]
    out: str = ""


def test_name_is_the_class_name_whatever_is_passed() -> None:
    assert Vector().name == "Vector"
    assert Vector(name="Other").name == "Vector"
    assert Vector.model_validate({"name": "x"}).name == "Vector"


def test_body_hash_matches_the_spec_vector() -> None:
    assert Vector().body_hash == SPEC_VECTOR
    assert Vector(c="changed").body_hash == SPEC_VECTOR
    assert Vector(a=3).body_hash != SPEC_VECTOR
    assert Synapse().body_hash == body_hash({}, ())


def test_headers_carry_terminal_infos_hash_and_sizes() -> None:
    s = Vector(timeout=3.5)
    s.dendrite = TerminalInfo(nonce=123, hotkey="5D", uuid="u", signature="0xab")
    s.axon = TerminalInfo(hotkey="5A", port=9)
    headers = s.to_headers()
    assert headers["name"] == "Vector"
    assert headers["timeout"] == "3.5"
    assert headers["bt_header_dendrite_nonce"] == "123"
    assert headers["bt_header_dendrite_signature"] == "0xab"
    assert headers["bt_header_axon_port"] == "9"
    assert "bt_header_axon_ip" not in headers  # None fields are left out
    assert headers["computed_body_hash"] == SPEC_VECTOR
    assert int(headers["header_size"]) > 0 and "total_size" in headers
    assert all(isinstance(v, str) for v in headers.values())


def test_required_fields_get_an_empty_type_hint_header() -> None:
    s = NeedsInput(text="secret", items=[1, 2])
    headers = s.to_headers()
    assert json.loads(base64.b64decode(headers["bt_header_input_obj_text"])) == ""
    assert json.loads(base64.b64decode(headers["bt_header_input_obj_items"])) == []
    assert "bt_header_input_obj_out" not in headers
    assert "secret" not in json.dumps(headers)


def test_from_headers_roundtrip() -> None:
    s = NeedsInput(text="x", items=[3], timeout=5.0)
    s.dendrite = TerminalInfo(nonce=42, hotkey="5D", status_code=200, process_time=0.25)
    back = NeedsInput.from_headers(s.to_headers())
    assert back.text == "" and back.items == []
    assert back.timeout == 5.0
    assert back.dendrite is not None
    assert (back.dendrite.nonce, back.dendrite.hotkey, back.dendrite.status_code) == (42, "5D", 200)
    assert back.dendrite.process_time == 0.25
    assert back.computed_body_hash == s.body_hash


def test_from_headers_refuses_malformed_values() -> None:
    with pytest.raises(ProtocolError):
        Synapse.from_headers({"bt_header_dendrite_nonce": "not a number"})
    with pytest.raises(ProtocolError):
        NeedsInput.from_headers({"bt_header_input_obj_text": "!!!not base64"})
    with pytest.raises(ProtocolError):
        Synapse.from_headers({"timeout": "-1"})


def test_terminal_info_coerces_header_strings() -> None:
    info = TerminalInfo.model_validate({"status_code": "408", "port": "8091", "nonce": "17", "process_time": "0.5"})
    assert (info.status_code, info.port, info.nonce, info.process_time) == (408, 8091, 17, 0.5)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_timeout_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValidationError):
        Synapse(timeout=bad)


@pytest.mark.parametrize(
    ("code", "flags"),
    [
        (200, (True, False, False, False, False)),
        (408, (False, True, True, False, False)),
        (403, (False, True, False, True, False)),
        (401, (False, True, False, False, True)),
        (500, (False, True, False, False, False)),
    ],
)
def test_status_helpers(code: int, flags: tuple[bool, ...]) -> None:
    s = Synapse()
    assert s.dendrite is not None
    s.dendrite.status_code = code
    assert (s.is_success, s.is_failure, s.is_timeout, s.is_blacklist, s.failed_verification) == flags


def test_defaults_and_deserialize() -> None:
    s = Synapse()
    assert s.timeout == 12.0
    assert s.deserialize() is s
    assert s.dendrite is not Synapse().dendrite  # no shared mutable default


def test_streaming_synapse_default_hook_keeps_nothing() -> None:
    s = StreamingSynapse()
    s.on_chunk("x")
    assert s.model_dump()["name"] == "StreamingSynapse"


def test_dump_roundtrips_through_json() -> None:
    s = Vector(a=9)
    s.dendrite = TerminalInfo(nonce=1)
    again = Vector.model_validate_json(s.model_dump_json())
    assert again.a == 9 and again.dendrite is not None and again.dendrite.nonce == 1
    assert again.body_hash == s.body_hash

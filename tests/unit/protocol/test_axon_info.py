"""AxonInfo and the version encoding."""

from __future__ import annotations

import pytest

from bt_llm.errors import ProtocolError
from bt_llm.protocol.axon_info import AxonInfo, int_to_ip, ip_to_int, ip_version
from bt_llm.protocol.version import PROTOCOL_VERSION, version_as_int, version_to_int


def _info(**kw: object) -> AxonInfo:
    fields: dict[str, object] = {"version": 1, "ip": "10.0.0.2", "port": 8091, "ip_type": 4, "hotkey": "5H", "coldkey": "5C"}
    fields.update(kw)
    return AxonInfo(**fields)  # type: ignore[arg-type]


def test_ip_str_and_serving() -> None:
    assert _info().ip_str() == "/ipv4/10.0.0.2:8091"
    assert _info(ip="::1", ip_type=6).ip_str() == "/ipv6/::1:8091"
    assert _info().is_serving
    assert not _info(ip="0.0.0.0").is_serving


def test_string_roundtrip_and_dict_with_integer_ip() -> None:
    info = _info(protocol=4, placeholder1=1)
    assert AxonInfo.from_string(info.to_string()) == info
    as_int = {**info.__dict__, "ip": ip_to_int("10.0.0.2")}
    assert AxonInfo.from_dict(as_int) == info
    assert str(info).startswith("AxonInfo( /ipv4/10.0.0.2:8091")


@pytest.mark.parametrize("text", ["", "[]", '{"ip": "1.2.3.4"}', '{"version":1,"ip":"nope","port":1,"ip_type":4,"hotkey":"","coldkey":""}'])
def test_from_string_refuses_junk(text: str) -> None:
    with pytest.raises(ProtocolError):
        AxonInfo.from_string(text)


def test_ip_helpers() -> None:
    assert int_to_ip(ip_to_int("1.2.3.4")) == "1.2.3.4"
    assert ip_version("1.2.3.4") == 4 and ip_version("::1") == 6


def test_version_encoding() -> None:
    assert version_to_int("7.2.0") == 7002000
    assert version_to_int("9.12.2") == 9012002
    assert PROTOCOL_VERSION == "7.2.0" and version_as_int == 7002000
    for bad in ("", "a.b", "1.1000.0", "-1.0.0"):
        with pytest.raises(ProtocolError):
            version_to_int(bad)


def test_public_names_resolve() -> None:
    import bt_llm as bt

    assert bt.AxonInfo is AxonInfo
    for name in ("Synapse", "StreamingSynapse", "TerminalInfo", "TextPrompting", "StreamingTextPrompting",
                 "TextPromptingBackward", "Embedding", "Axon", "Dendrite", "text_prompting", "TextPromptingSynapse"):
        assert isinstance(getattr(bt, name), type), name


def test_equality_ignores_protocol_and_placeholders() -> None:
    assert _info(protocol=0, placeholder1=7) == _info()
    assert _info(port=1) != _info()
    assert _info() != "AxonInfo"

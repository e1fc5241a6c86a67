"""The signing formats and body-hash recipe of the wire spec."""

from __future__ import annotations

import hashlib

import pytest
from substrateinterface import Keypair

from bt_llm.errors import SignatureError
from bt_llm.protocol import signing

SPEC_VECTOR = "ae06397d08f30f75c91395c59f05c62ac3b62b88250eb78b109213258e6ced0c"


def test_spec_body_hash_vector() -> None:
    assert signing.body_hash({"a": 1, "b": 2, "d": ["foobar"]}, ("a", "b", "d")) == SPEC_VECTOR


def test_empty_hash_fields_hash_the_empty_string() -> None:
    assert signing.body_hash({"a": 1}, ()) == hashlib.sha3_256(b"").hexdigest()


def test_hash_depends_on_field_order_and_values() -> None:
    values = {"a": 1, "b": 2}
    assert signing.body_hash(values, ("a", "b")) != signing.body_hash(values, ("b", "a"))
    assert signing.body_hash(values, ("a",)) != signing.body_hash({"a": 2}, ("a",))


def test_messages_have_the_spec_layout() -> None:
    assert signing.request_message(5, "D", "A", "U", "H") == "5.D.A.U.H"
    assert signing.response_message(7, "D", "A", "U") == "7.D.A.U"


def test_sign_and_verify_roundtrip() -> None:
    alice = Keypair.create_from_uri("//Alice")
    signature = signing.sign(alice, "hello")
    assert signature.startswith("0x") and len(signature) == 130
    assert signing.verify(alice.ss58_address, "hello", signature)
    assert not signing.verify(alice.ss58_address, "hellO", signature)
    bob = Keypair.create_from_uri("//Bob")
    assert not signing.verify(bob.ss58_address, "hello", signature)


@pytest.mark.parametrize(
    ("address", "signature"),
    [
        ("not-an-address", "0x" + "00" * 64),
        (None, "0x" + "00" * 64),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "0x1234"),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "0x" + "zz" * 64),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "00" * 65),
        ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", None),
    ],
)
def test_verify_never_raises_on_junk(address: object, signature: object) -> None:
    assert signing.verify(address, "m", signature) is False  # type: ignore[arg-type]


def test_require_valid() -> None:
    alice = Keypair.create_from_uri("//Alice")
    signing.require_valid(alice.ss58_address, "m", signing.sign(alice, "m"))
    with pytest.raises(SignatureError, match="Missing"):
        signing.require_valid(alice.ss58_address, "m", None)
    with pytest.raises(SignatureError, match="mismatch"):
        signing.require_valid(alice.ss58_address, "x", signing.sign(alice, "m"))

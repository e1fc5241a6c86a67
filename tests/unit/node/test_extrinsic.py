"""Extrinsic parsing and signature checks, against extrinsics scalecodec builds from our metadata."""

from __future__ import annotations

import pytest
from scalecodec.base import RuntimeConfigurationObject as RuntimeConfiguration
from scalecodec.base import ScaleBytes
from scalecodec.type_registry import load_type_registry_preset
from substrateinterface import Keypair

from bt_llm.errors import SignatureError
from bt_llm.localnet import schema
from bt_llm.localnet.node.extrinsic import (
    Era,
    ExtrinsicFormatError,
    check_signature,
    encode_compact,
    parse_extrinsic,
    read_compact,
    signing_payload,
)
from bt_llm.localnet.node.runtime import runtime

GENESIS = bytes(range(32))
BIRTH = bytes(range(32, 64))
SPEC = {"spec_version": 127, "transaction_version": 1, "genesis_hash": GENESIS}


@pytest.fixture(scope="module")
def codec():
    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("core"))
    metadata = config.create_scale_object("MetadataVersioned", data=ScaleBytes(runtime().metadata.data))
    metadata.decode()
    config.add_portable_registry(metadata)
    return config, metadata


def build(codec, keypair: Keypair, call: schema.Call, *, nonce: int, era: Era, era_hash: bytes,
          args: dict, sign_with: Keypair | None = None, era_value: object = "00") -> bytes:
    config, metadata = codec
    payload = signing_payload(schema.encode_call(call), era, nonce, 0, era_block_hash=era_hash, **SPEC)
    signature = (sign_with or keypair).sign(payload)
    obj = config.create_scale_object("Extrinsic", metadata=metadata)
    obj.encode({
        "account_id": "0x" + keypair.public_key.hex(), "signature_version": 1, "signature": "0x" + signature.hex(),
        "call_module": call.pallet, "call_function": call.name, "call_args": args,
        "nonce": nonce, "era": era_value, "tip": 0,
    })
    return bytes(obj.data.data)


ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
STAKE = schema.Call("SubtensorModule", "add_stake", {"hotkey": BOB.public_key, "amount_staked": 7})
STAKE_ARGS = {"hotkey": "0x" + BOB.public_key.hex(), "amount_staked": 7}


def test_compact_round_trip() -> None:
    for value in (0, 1, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**64 - 1):
        data = encode_compact(value)
        assert read_compact(data, 0) == (value, len(data))
    with pytest.raises(ExtrinsicFormatError):
        read_compact(b"\x01", 0)


def test_signed_immortal_extrinsic_parses_and_verifies(codec) -> None:
    raw = build(codec, ALICE, STAKE, nonce=3, era=Era(), era_hash=GENESIS, args=STAKE_ARGS)
    xt = parse_extrinsic(raw)
    assert (xt.signer, xt.nonce, xt.tip, xt.era.is_immortal) == (ALICE.public_key, 3, 0, True)
    assert schema.decode_call(xt.call) == STAKE
    check_signature(xt, era_block_hashes=[GENESIS], spec_version=127, transaction_version=1, genesis_hash=GENESIS)


def test_wrong_signer_key_is_refused(codec) -> None:
    raw = build(codec, ALICE, STAKE, nonce=0, era=Era(), era_hash=GENESIS, args=STAKE_ARGS, sign_with=BOB)
    with pytest.raises(SignatureError):
        check_signature(parse_extrinsic(raw), era_block_hashes=[GENESIS], spec_version=127, transaction_version=1,
                        genesis_hash=GENESIS)


def test_signature_covers_spec_version_and_era_hash(codec) -> None:
    xt = parse_extrinsic(build(codec, ALICE, STAKE, nonce=0, era=Era(), era_hash=GENESIS, args=STAKE_ARGS))
    with pytest.raises(SignatureError):
        check_signature(xt, era_block_hashes=[GENESIS], spec_version=128, transaction_version=1, genesis_hash=GENESIS)
    with pytest.raises(SignatureError):
        check_signature(xt, era_block_hashes=[BIRTH], spec_version=127, transaction_version=1, genesis_hash=GENESIS)


def test_mortal_era_matches_scalecodec(codec) -> None:
    config, _ = codec
    era_obj = config.create_scale_object("Era")
    era_obj.encode({"period": 64, "current": 1000})
    era = Era.decode(bytes(era_obj.data.data))
    assert era.period == 64
    assert era.birth(1000) == era_obj.birth(1000)
    assert era.birth(1000) <= 1000 < era.death(1000)
    raw = build(codec, ALICE, STAKE, nonce=1, era=era, era_hash=BIRTH, args=STAKE_ARGS,
                era_value={"period": 64, "current": 1000})
    xt = parse_extrinsic(raw)
    assert xt.era == era
    check_signature(xt, era_block_hashes=[GENESIS, BIRTH], spec_version=127, transaction_version=1,
                    genesis_hash=GENESIS)


def test_long_payloads_are_hashed_before_signing(codec) -> None:
    weights = schema.Call("SubtensorModule", "set_weights",
                          {"netuid": 1, "dests": list(range(200)), "weights": [1] * 200, "version_key": 0})
    args = {"netuid": 1, "dests": list(range(200)), "weights": [1] * 200, "version_key": 0}
    raw = build(codec, ALICE, weights, nonce=0, era=Era(), era_hash=GENESIS, args=args)
    xt = parse_extrinsic(raw)
    assert len(xt.signing_payload(era_block_hash=GENESIS, **SPEC)) == 32
    check_signature(xt, era_block_hashes=[GENESIS], spec_version=127, transaction_version=1, genesis_hash=GENESIS)


@pytest.mark.parametrize("raw", [b"", b"\x00", b"\x04\x04", b"\x08\x84\x00", b"\xff" * 40, b"\x10\x04\x07\x02\x00"])
def test_malformed_extrinsics_raise_format_errors(raw: bytes) -> None:
    with pytest.raises(ExtrinsicFormatError):
        parse_extrinsic(raw)

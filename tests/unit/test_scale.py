"""One SCALE and SS58 core (``bt_llm.scale``): the client, the node and the wallet use it, and nothing else."""

from __future__ import annotations

import pytest
from scalecodec.utils.ss58 import ss58_encode as reference_ss58_encode

from bt_llm import scale
from bt_llm.chain import runtime
from bt_llm.chain import scale as chain_scale
from bt_llm.errors import AddressError, ConfigError, RpcProtocolError, WalletError
from bt_llm.localnet import codec, schema
from bt_llm.localnet.node import extrinsic
from bt_llm.wallet import keypair

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # //Alice
BAD = [ALICE[:-1] + "Z", "not-an-address", "", ALICE + "1", "0x" + "00" * 32, None, b"\x00" * 32]


def test_the_old_homes_hold_the_core_objects_or_nothing() -> None:
    assert codec.encode_compact is extrinsic.encode_compact is chain_scale.encode_compact is scale.encode_compact
    for name in ("ScaleReader", "ss58_encode", "ss58_decode", "is_valid_ss58", "unwrap_bytes_vec"):
        assert getattr(chain_scale, name) is getattr(scale, name)
    assert issubclass(codec.Reader, scale.ScaleReader) and issubclass(extrinsic._Reader, scale.ScaleReader)
    for cls in (codec.Reader, extrinsic._Reader):  # they choose their error, and no method of their own
        assert set(vars(cls)) <= {"__module__", "__doc__", "__slots__", "error", "__annotations__"}
    for gone in ("_read_compact", "_Reader", "_codec", "_registry", "ss58"):
        assert not hasattr(codec, gone)
    assert keypair.ss58_decode is scale.ss58_decode and keypair.SS58_FORMAT == scale.SS58_FORMAT == 42
    assert not hasattr(keypair, "is_valid_ss58_address")  # scalecodec's SS58 is no longer the wallet's


def test_readers_raise_their_boundary_error() -> None:
    with pytest.raises(RpcProtocolError, match="ends early"):
        scale.ScaleReader(b"\x01").compact()
    with pytest.raises(codec.CodecError, match="ends early"):
        codec.decode("Compact<u32>", b"\x01")
    with pytest.raises(extrinsic.ExtrinsicFormatError, match="ends early"):
        extrinsic.read_compact(b"\x01", 0)


@pytest.mark.parametrize("value", [0, 63, 64, 2**14 - 1, 2**14, 2**30 - 1, 2**30, 2**64 - 1, 2**536 - 1])
def test_compact_round_trip(value: int) -> None:
    data = scale.encode_compact(value)
    assert scale.ScaleReader(data).compact() == value
    assert codec.decode("Compact<u128>", data) == value
    assert extrinsic.read_compact(data, 0) == (value, len(data))


def test_compact_range() -> None:
    for value in (-1, 2**536):
        with pytest.raises(ValueError, match="compact"):
            scale.encode_compact(value)
        with pytest.raises(codec.CodecError, match="does not fit"):
            codec.encode("Compact<u128>", value)


def test_ss58_matches_scalecodec() -> None:
    for key in (bytes(32), bytes(range(32)), b"\xff" * 32):
        for fmt in (0, 42, 63):
            assert scale.ss58_encode(key, fmt) == reference_ss58_encode(key, fmt)
            assert scale.ss58_decode(scale.ss58_encode(key, fmt)) == key


@pytest.mark.parametrize("address", BAD)
def test_one_error_for_a_bad_address_everywhere(address: object) -> None:
    if isinstance(address, bytes):
        with pytest.raises(AddressError):
            codec.account_bytes(address[:31])
        return
    for decode in (scale.ss58_decode, runtime.public_key, keypair.public_key_from_ss58, codec.account_bytes):
        if decode is codec.account_bytes and address == "0x" + "00" * 32:
            continue  # the node also takes an account as hex
        with pytest.raises(AddressError, match="SS58"):
            decode(address)  # type: ignore[arg-type]
    assert not scale.is_valid_ss58(address)  # type: ignore[arg-type]
    assert not keypair.is_valid_ss58(address)  # type: ignore[arg-type]
    assert issubclass(AddressError, ConfigError) and issubclass(AddressError, WalletError)
    assert issubclass(AddressError, ValueError)


def test_the_wallet_takes_format_42_only_the_node_any() -> None:
    key = bytes(range(32))
    polkadot = scale.ss58_encode(key, 0)
    assert codec.account_bytes(polkadot) == key and scale.ss58_decode(polkadot) == key
    assert not keypair.is_valid_ss58(polkadot)
    with pytest.raises(AddressError, match="format 0, expected 42"):
        keypair.public_key_from_ss58(polkadot)
    assert keypair.public_key_from_ss58(ALICE) == codec.account_bytes(ALICE)


def test_the_codec_gets_the_runtime_enums_from_the_schema() -> None:
    call = schema.Call("Balances", "transfer", {"dest": ("Id", bytes(32)), "value": 5})
    assert codec.decode("Call", codec.encode("Call", call)) == call
    assert codec.decode("Call", schema.encode_call(call)) == schema.decode_call(schema.encode_call(call))

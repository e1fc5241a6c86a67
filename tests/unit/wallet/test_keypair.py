"""Keypairs, mnemonics, addresses and signatures."""

from __future__ import annotations

import pytest

from bt_llm.errors import MnemonicError, SignatureError, WalletError
from bt_llm.wallet.keypair import (
    MNEMONIC_WORD_COUNTS,
    Keypair,
    check_mnemonic,
    is_valid_ss58,
    public_key_from_ss58,
)
from tests.unit.wallet.conftest import SPEC_ADDRESS, SPEC_MNEMONIC

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def test_spec_vector() -> None:
    keypair = Keypair.create_from_mnemonic(SPEC_MNEMONIC)
    assert keypair.ss58_address == SPEC_ADDRESS
    assert keypair.ss58_format == 42 and len(keypair.ss58_address) == 48
    assert keypair.mnemonic == SPEC_MNEMONIC
    assert isinstance(keypair, Keypair)


def test_mnemonic_is_normalized() -> None:
    messy = "  " + SPEC_MNEMONIC.upper().replace(" ", "   ") + "\n"
    assert Keypair.create_from_mnemonic(messy).ss58_address == SPEC_ADDRESS
    assert Keypair.create_from_mnemonic(SPEC_MNEMONIC.split()).ss58_address == SPEC_ADDRESS


@pytest.mark.parametrize("words", MNEMONIC_WORD_COUNTS)
def test_generate_each_length(words: int) -> None:
    mnemonic = Keypair.generate_mnemonic(words)
    assert len(mnemonic.split()) == words
    assert check_mnemonic(mnemonic) == mnemonic
    assert is_valid_ss58(Keypair.create_from_mnemonic(mnemonic).ss58_address)


def test_generate_rejects_bad_length() -> None:
    with pytest.raises(MnemonicError, match="13"):
        Keypair.generate_mnemonic(13)


def test_bad_word_is_named() -> None:
    words = SPEC_MNEMONIC.split()
    words[3] = "ribbbon"
    with pytest.raises(MnemonicError, match=r"word 4 \('ribbbon'\) is not in the BIP39"):
        Keypair.create_from_mnemonic(" ".join(words))


def test_bad_checksum() -> None:
    words = SPEC_MNEMONIC.split()
    words[-1], words[-2] = words[-2], words[-1]  # all valid words, checksum broken
    with pytest.raises(MnemonicError, match="checksum"):
        check_mnemonic(words)


def test_wrong_word_count() -> None:
    with pytest.raises(MnemonicError, match="11 words"):
        check_mnemonic(SPEC_MNEMONIC.split()[:11])


def test_sign_and_verify() -> None:
    keypair = Keypair.create_from_mnemonic(SPEC_MNEMONIC)
    signature = keypair.sign(b"hello")
    assert len(signature) == 64
    assert keypair.verify(b"hello", signature)
    assert keypair.verify("hello", "0x" + signature.hex())
    assert not keypair.verify(b"hellO", signature)
    assert not keypair.verify(b"hello", b"\x00" * 64)
    assert not keypair.verify(b"hello", b"short")
    other = Keypair.create_from_uri("//Bob")
    assert not other.verify(b"hello", signature)


def test_public_only_keypair_verifies_but_cannot_sign() -> None:
    full = Keypair.create_from_uri("//Alice")
    public = Keypair(ss58_address=full.ss58_address)
    assert public.verify(b"m", full.sign(b"m"))
    with pytest.raises(SignatureError, match="public key"):
        public.sign(b"m")


def test_dev_uri() -> None:
    alice = Keypair.create_from_uri("//Alice")
    assert alice.ss58_address == ALICE
    assert isinstance(alice, Keypair)
    assert Keypair.create_from_uri("//Alice//stash").ss58_address != ALICE


def test_seed_and_private_key_round_trip() -> None:
    keypair = Keypair.create_from_mnemonic(SPEC_MNEMONIC)
    seed = keypair.seed_hex if isinstance(keypair.seed_hex, str) else keypair.seed_hex.hex()
    assert Keypair.create_from_seed("0x" + seed.removeprefix("0x")).ss58_address == SPEC_ADDRESS
    assert Keypair.create_from_private_key(keypair.private_key).ss58_address == SPEC_ADDRESS


@pytest.mark.parametrize("seed", ["0x1234", "zz" * 32, b"\x01" * 31])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(WalletError, match="Invalid seed"):
        Keypair.create_from_seed(seed)  # type: ignore[arg-type]


def test_ss58_helpers() -> None:
    assert public_key_from_ss58(ALICE).hex().startswith("d43593c7")
    assert not is_valid_ss58(ALICE[:-1] + "Z")
    with pytest.raises(WalletError, match="Invalid SS58"):
        public_key_from_ss58("not-an-address")
    with pytest.raises(WalletError, match="Invalid key material"):
        Keypair(public_key=b"\x00" * 31)

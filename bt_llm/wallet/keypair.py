"""sr25519 keypairs: a thin layer over substrate-interface's ``Keypair``.

Our :class:`Keypair` *is* a ``substrateinterface.Keypair`` (a subclass), so it can be handed to
substrate-interface directly; it adds checked constructors that raise errors of our hierarchy
(:class:`~bt_llm.errors.MnemonicError`, :class:`~bt_llm.errors.WalletError`) instead of bare
``ValueError`` and always returns instances of this class.

Example:
    >>> from bt_llm.wallet.keypair import Keypair
    >>> kp = Keypair.create_from_mnemonic(
    ...     "old leopard transfer rib spatial phone calm indicate online fire caution review")
    >>> kp.ss58_address
    '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX'
    >>> kp.verify(b"hello", kp.sign(b"hello"))
    True
"""

from __future__ import annotations

from typing import Any

from bip39 import bip39_validate
from substrateinterface.keypair import Keypair as _SubstrateKeypair
from substrateinterface.keypair import KeypairType

from bt_llm.errors import MnemonicError, SignatureError, WalletError
from bt_llm.scale import SS58_FORMAT, ss58_decode
from bt_llm.scale import is_valid_ss58 as _is_valid_ss58

MNEMONIC_WORD_COUNTS = (12, 15, 18, 21, 24)

__all__ = [
    "MNEMONIC_WORD_COUNTS",
    "SS58_FORMAT",
    "Keypair",
    "check_mnemonic",
    "is_valid_ss58",
    "normalize_mnemonic",
    "public_key_from_ss58",
]


def normalize_mnemonic(mnemonic: str | list[str] | tuple[str, ...]) -> str:
    """Join a mnemonic given as words or one string into single-spaced lower-case words."""
    if isinstance(mnemonic, (list, tuple)):
        mnemonic = " ".join(mnemonic)
    return " ".join(str(mnemonic).lower().split())


def check_mnemonic(mnemonic: str | list[str] | tuple[str, ...]) -> str:
    """Validate a BIP39 English mnemonic and return it normalized.

    Raises:
        MnemonicError: wrong number of words, a word outside the BIP39 list, or a bad checksum.
    """
    phrase = normalize_mnemonic(mnemonic)
    words = phrase.split()
    if len(words) not in MNEMONIC_WORD_COUNTS:
        raise MnemonicError(
            f"Invalid mnemonic: {len(words)} words; a mnemonic has 12, 15, 18, 21 or 24 words"
        )
    if bip39_validate(phrase, "en"):
        return phrase
    # Find the reason: an unknown word, or known words with a bad checksum. The validator gives only a
    # bool, so ask it once per word with that word in a known-good context.
    for index, word in enumerate(words):
        if not _is_bip39_word(word):
            raise MnemonicError(f"Invalid mnemonic: word {index + 1} ({word!r}) is not in the BIP39 English list")
    raise MnemonicError("Invalid mnemonic: the checksum does not match (a word is wrong or out of order)")


# The first 16 words of the BIP39 English list (indices 0..15). In a 12-word phrase the last word's low 4
# bits are the checksum, so for any 11 valid words exactly one of these 16 endings validates; if none
# does, one of the 11 is not a BIP39 word. This keeps the word list out of the repo and needs no parsing
# of the validator's error text.
_CHECKSUM_ENDINGS = ["abandon", "ability", "able", "about", "above", "absent", "absorb", "abstract", "absurd", "abuse", "access", "accident", "account", "accuse", "achieve", "acid"]


def _is_bip39_word(word: str) -> bool:
    body = " ".join([word, *(["abandon"] * 10)])
    return any(bip39_validate(f"{body} {last}", "en") for last in _CHECKSUM_ENDINGS)


def is_valid_ss58(address: str) -> bool:
    """Whether ``address`` is a well-formed 32-byte SS58 address of format 42."""
    return _is_valid_ss58(address, SS58_FORMAT)


def public_key_from_ss58(address: str) -> bytes:
    """Decode an SS58 address of format 42 into its 32-byte public key.

    Raises:
        AddressError: the address is malformed (a :class:`~bt_llm.errors.WalletError`); the message says how.
    """
    return ss58_decode(address, SS58_FORMAT)


class Keypair(_SubstrateKeypair):
    """An sr25519 keypair (substrate-interface's ``Keypair`` with checked constructors).

    ``sign(data)`` returns a 64-byte signature; ``verify(data, signature)`` returns a bool. As in
    substrate-interface and bittensor, a ``str`` starting with ``0x`` is read as hex.
    """

    def __init__(
        self, ss58_address: str | None = None, public_key: bytes | str | None = None,
        private_key: bytes | str | None = None, ss58_format: int | None = SS58_FORMAT,
        seed_hex: str | bytes | None = None, crypto_type: int = KeypairType.SR25519,
    ) -> None:
        try:
            super().__init__(
                ss58_address=ss58_address, public_key=public_key, private_key=private_key,
                ss58_format=SS58_FORMAT if ss58_format is None else ss58_format, seed_hex=seed_hex,
                crypto_type=crypto_type,
            )
        except (ValueError, TypeError) as exc:
            raise WalletError(f"Invalid key material: {exc}") from exc

    @classmethod
    def generate_mnemonic(cls, words: int = 12, language_code: str = "en") -> str:
        """A fresh BIP39 mnemonic of ``words`` words (12, 15, 18, 21 or 24)."""
        if words not in MNEMONIC_WORD_COUNTS:
            raise MnemonicError(f"A mnemonic has 12, 15, 18, 21 or 24 words, not {words}")
        return super().generate_mnemonic(words, language_code)

    @classmethod
    def create_from_mnemonic(  # type: ignore[override]
        cls, mnemonic: str | list[str], ss58_format: int = SS58_FORMAT, **kwargs: Any
    ) -> Keypair:
        """Derive the keypair of a BIP39 mnemonic (checked first: :class:`MnemonicError` if invalid)."""
        phrase = check_mnemonic(mnemonic)
        keypair = super().create_from_mnemonic(phrase, ss58_format=ss58_format, **kwargs)
        return cls._adopt(keypair)

    @classmethod
    def create_from_seed(  # type: ignore[override]
        cls, seed_hex: bytes | str, ss58_format: int | None = SS58_FORMAT, **kwargs: Any
    ) -> Keypair:
        """The keypair of a 32-byte mini-secret seed (bytes or hex, ``0x`` optional)."""
        try:
            seed = bytes.fromhex(seed_hex.removeprefix("0x")) if isinstance(seed_hex, str) else bytes(seed_hex)
        except ValueError as exc:
            raise WalletError(f"Invalid seed: not hex ({exc})") from exc
        if len(seed) != 32:
            raise WalletError(f"Invalid seed: {len(seed)} bytes, expected 32")
        try:
            keypair = super().create_from_seed(seed, ss58_format=ss58_format, **kwargs)
        except ValueError as exc:
            raise WalletError(f"Invalid seed: {exc}") from exc
        return cls._adopt(keypair)

    @classmethod
    def create_from_uri(  # type: ignore[override]
        cls, suri: str, ss58_format: int | None = SS58_FORMAT, **kwargs: Any
    ) -> Keypair:
        """A keypair from a secret URI such as ``//Alice`` (the dev phrase) or ``<mnemonic>//hard/soft``."""
        try:
            keypair = super().create_from_uri(suri, ss58_format=ss58_format, **kwargs)
        except ValueError as exc:
            raise WalletError(f"Invalid secret URI: {exc}") from exc
        return cls._adopt(keypair)

    @classmethod
    def create_from_private_key(  # type: ignore[override]
        cls, private_key: bytes | str, public_key: bytes | str | None = None, ss58_address: str | None = None,
        ss58_format: int | None = SS58_FORMAT, **kwargs: Any,
    ) -> Keypair:
        """A keypair from a 64-byte sr25519 secret (bytes or hex)."""
        return cls._adopt(
            super().create_from_private_key(
                private_key, public_key=public_key, ss58_address=ss58_address, ss58_format=ss58_format, **kwargs
            )
        )

    @classmethod
    def _adopt(cls, keypair: _SubstrateKeypair) -> Keypair:
        """Return ``keypair`` as an instance of this class (substrate-interface sometimes builds its own)."""
        if isinstance(keypair, cls):
            return keypair
        adopted = cls(
            ss58_address=keypair.ss58_address, public_key=keypair.public_key, private_key=keypair.private_key,
            ss58_format=keypair.ss58_format, seed_hex=keypair.seed_hex, crypto_type=keypair.crypto_type,
        )
        adopted.mnemonic = keypair.mnemonic
        adopted.derive_path = keypair.derive_path
        return adopted

    def sign(self, data: Any) -> bytes:
        """Sign ``data`` (bytes, str, or ``0x``-hex str); :class:`SignatureError` without a private key."""
        if not self.private_key:
            raise SignatureError(f"Cannot sign with {self.ss58_address}: only its public key is loaded")
        return super().sign(data)

    def verify(self, data: Any, signature: bytes | str) -> bool:
        """Whether ``signature`` is this key's signature of ``data``; malformed signatures give False."""
        try:
            return bool(super().verify(data, signature))
        except (TypeError, ValueError):
            return False

    def __repr__(self) -> str:
        return f"<Keypair (address={self.ss58_address})>"

    def __str__(self) -> str:
        return f"Keypair ({self.ss58_address})"

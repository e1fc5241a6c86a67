"""Signed extrinsics as a node receives them: envelope parsing, era arithmetic, signature checks.

Pure functions, no I/O. The layout is the v4 ``UncheckedExtrinsic`` with the signed extensions our
metadata declares (only ``CheckMortality``, ``CheckNonce`` and ``ChargeTransactionPayment`` carry bytes
in the extrinsic; ``CheckSpecVersion``, ``CheckTxVersion``, ``CheckGenesis`` and ``CheckMortality`` add
to the signed payload)::

    Compact<len> ++ 0x84 ++ MultiAddress::Id(32) ++ MultiSignature ++ Era ++ Compact<nonce> ++ Compact<tip> ++ call

The signing payload is ``call ++ era ++ Compact<nonce> ++ Compact<tip> ++ spec_version (u32 LE) ++
transaction_version (u32 LE) ++ genesis_hash ++ era_block_hash``, blake2_256-hashed first when longer
than 256 bytes.

Example:
    >>> Era.decode(b"\\x00").is_immortal
    True
    >>> Era.decode(bytes.fromhex("4502")).period, Era.decode(bytes.fromhex("4502")).phase
    (64, 36)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bt_llm.errors import ChainError, SignatureError
from bt_llm.scale import ScaleReader, encode_compact

SIGNED_BIT = 0x80
EXTRINSIC_VERSION = 4


class ExtrinsicFormatError(ChainError):
    """The bytes are not a well-formed extrinsic."""


def blake2_256(data: bytes) -> bytes:
    """The 32-byte blake2b digest Substrate uses for hashes."""
    return hashlib.blake2b(data, digest_size=32).digest()


class _Reader(ScaleReader):
    __slots__ = ()
    error = ExtrinsicFormatError


def read_compact(data: bytes, offset: int) -> tuple[int, int]:
    """Decode a compact integer at ``offset`` (the core's decoder); returns ``(value, next_offset)``.

    Raises:
        ExtrinsicFormatError: the bytes end inside it.
    """
    reader = _Reader(data, offset)
    return reader.compact(), reader.pos


@dataclass(frozen=True)
class Era:
    """A transaction's validity window: immortal, or ``period`` blocks starting at a ``phase``."""

    period: int = 0
    phase: int = 0
    raw: bytes = b"\x00"

    @property
    def is_immortal(self) -> bool:
        return self.period == 0

    @classmethod
    def decode(cls, data: bytes) -> Era:
        """Decode the one or two bytes of an era."""
        if data[:1] == b"\x00":
            return cls()
        if len(data) < 2:
            raise ExtrinsicFormatError("truncated era")
        encoded = data[0] + (data[1] << 8)
        period = 2 << (encoded % (1 << 4))
        quantize = max(period >> 12, 1)
        phase = (encoded >> 4) * quantize
        if period < 4 or phase >= period:
            raise ExtrinsicFormatError("invalid era")
        return cls(period=period, phase=phase, raw=bytes(data[:2]))

    def birth(self, current: int) -> int:
        """The first block of the window that contains ``current``."""
        if self.is_immortal:
            return 0
        return (max(current, self.phase) - self.phase) // self.period * self.period + self.phase

    def death(self, current: int) -> int:
        """The first block at which the window containing ``current`` has ended."""
        if self.is_immortal:
            return 2**64 - 1
        return self.birth(current) + self.period


@dataclass(frozen=True)
class SignedExtrinsic:
    """The parts of a signed v4 extrinsic."""

    raw: bytes  # the whole extrinsic, with its length prefix, as submitted
    signer: bytes  # 32-byte public key
    signature_kind: int  # 0 ed25519, 1 sr25519, 2 ecdsa
    signature: bytes
    era: Era
    nonce: int
    tip: int
    call: bytes  # pallet index ++ call index ++ SCALE args

    @property
    def hash(self) -> bytes:
        """The extrinsic hash clients compute: blake2_256 of the submitted bytes."""
        return blake2_256(self.raw)

    @property
    def length(self) -> int:
        """Encoded length, the basis of the fee."""
        return len(self.raw)

    def signing_payload(self, *, spec_version: int, transaction_version: int, genesis_hash: bytes,
                        era_block_hash: bytes) -> bytes:
        """The bytes the signer signed (hashed when longer than 256 bytes)."""
        return signing_payload(
            self.call, self.era, self.nonce, self.tip, spec_version=spec_version,
            transaction_version=transaction_version, genesis_hash=genesis_hash, era_block_hash=era_block_hash,
        )


def signing_payload(call: bytes, era: Era, nonce: int, tip: int, *, spec_version: int, transaction_version: int,
                    genesis_hash: bytes, era_block_hash: bytes) -> bytes:
    """Build the signing payload of an extrinsic (the single place this format is written)."""
    payload = (
        call + era.raw + encode_compact(nonce) + encode_compact(tip)
        + spec_version.to_bytes(4, "little") + transaction_version.to_bytes(4, "little")
        + genesis_hash + era_block_hash
    )
    return blake2_256(payload) if len(payload) > 256 else payload


_SIGNATURE_LENGTHS = {0: 64, 1: 64, 2: 65}


def parse_extrinsic(raw: bytes) -> SignedExtrinsic:
    """Split a submitted extrinsic into its parts.

    Raises:
        ExtrinsicFormatError: the bytes are not a signed v4 extrinsic with a ``MultiAddress::Id`` signer.
    """
    length, offset = read_compact(raw, 0)
    if length != len(raw) - offset:
        raise ExtrinsicFormatError(f"length prefix says {length} bytes, {len(raw) - offset} follow")
    if offset >= len(raw):
        raise ExtrinsicFormatError("empty extrinsic")
    version = raw[offset]
    offset += 1
    if version & 0x7F != EXTRINSIC_VERSION:
        raise ExtrinsicFormatError(f"unsupported extrinsic version {version & 0x7F}")
    if not version & SIGNED_BIT:
        raise ExtrinsicFormatError("unsigned extrinsics are not accepted")
    if raw[offset : offset + 1] != b"\x00":
        raise ExtrinsicFormatError("only MultiAddress::Id signers are supported")
    signer = raw[offset + 1 : offset + 33]
    offset += 33
    if len(signer) != 32 or offset >= len(raw):
        raise ExtrinsicFormatError("truncated signer")
    kind = raw[offset]
    sig_len = _SIGNATURE_LENGTHS.get(kind)
    if sig_len is None:
        raise ExtrinsicFormatError(f"unknown signature kind {kind}")
    signature = raw[offset + 1 : offset + 1 + sig_len]
    offset += 1 + sig_len
    if len(signature) != sig_len:
        raise ExtrinsicFormatError("truncated signature")
    era = Era.decode(raw[offset : offset + 2])
    offset += len(era.raw)
    nonce, offset = read_compact(raw, offset)
    tip, offset = read_compact(raw, offset)
    call = raw[offset:]
    if len(call) < 2:
        raise ExtrinsicFormatError("missing call")
    return SignedExtrinsic(raw=bytes(raw), signer=bytes(signer), signature_kind=kind, signature=bytes(signature),
                           era=era, nonce=nonce, tip=tip, call=bytes(call))


def verify_signature(kind: int, signature: bytes, message: bytes, public_key: bytes) -> bool:
    """Check an sr25519 or ed25519 signature; ecdsa is not accepted (no ecdsa accounts on the localnet)."""
    if kind == 1:
        import sr25519

        try:
            return bool(sr25519.verify(signature, message, public_key))
        except (ValueError, TypeError):
            return False
    if kind == 0:
        from nacl.exceptions import BadSignatureError
        from nacl.signing import VerifyKey

        try:
            VerifyKey(public_key).verify(message, signature)
        except (BadSignatureError, ValueError):
            return False
        return True
    return False


def check_signature(xt: SignedExtrinsic, *, spec_version: int, transaction_version: int, genesis_hash: bytes,
                    era_block_hashes: list[bytes]) -> None:
    """Verify ``xt``'s signature against each candidate era block hash.

    Raises:
        SignatureError: no candidate makes the signature verify.
    """
    for block_hash in era_block_hashes:
        payload = xt.signing_payload(spec_version=spec_version, transaction_version=transaction_version,
                                     genesis_hash=genesis_hash, era_block_hash=block_hash)
        if verify_signature(xt.signature_kind, xt.signature, payload, xt.signer):
            return
    raise SignatureError("Transaction has a bad signature")

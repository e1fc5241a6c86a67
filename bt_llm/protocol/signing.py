"""The one module that knows the signing messages and the body-hash recipe of the wire protocol.

* body hash: ``sha3_256("".join(sha3_256(str(value)).hexdigest() for each required hash field))``,
  then for each optional hash field that is set (not None), in the class's order (no field → ``sha3_256("")``);
* request message, signed by the dendrite's hotkey:
  ``f"{nonce}.{dendrite_hotkey}.{axon_hotkey}.{dendrite_uuid}.{body_hash}"``;
* response message, signed by the axon's hotkey: ``f"{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}"``;
* a signature travels as ``"0x" + hex`` of the 64 sr25519 bytes.

Example:
    >>> body_hash({"a": 1, "b": 2, "d": ["foobar"]}, ("a", "b", "d"))
    'ae06397d08f30f75c91395c59f05c62ac3b62b88250eb78b109213258e6ced0c'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from bt_llm.errors import SignatureError

__all__ = [
    "Signer",
    "body_hash",
    "request_message",
    "require_valid",
    "response_message",
    "sha3_hex",
    "sign",
    "verify",
]


class Signer(Protocol):
    """Anything that can sign: a substrate-interface ``Keypair`` or our wallet's hotkey."""

    ss58_address: str

    def sign(self, data: str | bytes) -> bytes: ...


def sha3_hex(text: str) -> str:
    """``sha3_256(text.encode()).hexdigest()``."""
    return hashlib.sha3_256(text.encode()).hexdigest()


def body_hash(values: Mapping[str, Any], fields: Iterable[str]) -> str:
    """Hash the required fields of a synapse's dumped body (python values, as ``model_dump`` gives them).

    Args:
        values: the field values, e.g. ``synapse.model_dump()``.
        fields: the names the signature protects, in order (``required_hash_fields``).

    Returns:
        The hex digest that travels in the ``computed_body_hash`` header.

    Raises:
        KeyError: a field named in ``fields`` is missing from ``values``.
    """
    return sha3_hex("".join(sha3_hex(str(values[field])) for field in fields))


def request_message(nonce: int, dendrite_hotkey: str, axon_hotkey: str, dendrite_uuid: str, body_hash_: str) -> str:
    """The message a dendrite signs for a request."""
    return f"{nonce}.{dendrite_hotkey}.{axon_hotkey}.{dendrite_uuid}.{body_hash_}"


def response_message(axon_nonce: int, dendrite_hotkey: str | None, axon_hotkey: str, axon_uuid: str) -> str:
    """The message an axon signs for its response."""
    return f"{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}"


def sign(signer: Signer, message: str) -> str:
    """Sign ``message`` with ``signer`` and return ``"0x" + hex``."""
    return "0x" + signer.sign(message).hex()


@lru_cache(maxsize=4096)
def _verifier(ss58_address: str) -> Any:
    from substrateinterface import Keypair

    return Keypair(ss58_address=ss58_address)


def verify(ss58_address: str, message: str, signature: str) -> bool:
    """Whether ``signature`` (``"0x"`` + 128 hex digits) is ``ss58_address``'s sr25519 signature of ``message``.

    Never raises for malformed input: a bad address or signature is simply not valid.
    """
    if not isinstance(signature, str) or not signature.startswith("0x") or len(signature) != 130:
        return False
    try:
        raw = bytes.fromhex(signature[2:])
        keypair = _verifier(ss58_address)
        return bool(keypair.verify(message, raw))
    except (ValueError, TypeError, IndexError):
        return False
    except Exception:
        return False


def require_valid(ss58_address: str, message: str, signature: str | None) -> None:
    """Raise :class:`SignatureError` unless the signature is present and valid."""
    if not signature:
        raise SignatureError("Missing signature")
    if not verify(ss58_address, message, signature):
        raise SignatureError("Signature mismatch")

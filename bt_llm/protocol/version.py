"""The wire-protocol version our terminals announce in ``bt_header_*_version``.

We speak the HTTP synapse protocol of the bittensor SDK from 7.2 on (the nonce rules changed there),
so that is the version we announce.

Example:
    >>> version_to_int("7.2.0")
    7002000
"""

from __future__ import annotations

from bt_llm.errors import ProtocolError

__all__ = ["PROTOCOL_VERSION", "V_7_2_0", "version_as_int", "version_to_int"]

PROTOCOL_VERSION = "7.2.0"


def version_to_int(version: str) -> int:
    """Encode ``"major.minor.patch"`` as ``sum(part * 1000**i)`` over the reversed parts.

    Args:
        version: a dotted version such as ``"7.2.0"``.

    Returns:
        The integer form, e.g. ``7002000``.

    Raises:
        ProtocolError: a part is not a non-negative integer below 1000.
    """
    try:
        parts = [int(part) for part in version.split(".")]
    except ValueError as exc:
        raise ProtocolError(f"not a dotted version: {version!r}") from exc
    if not parts or any(part < 0 or part >= 1000 for part in parts):
        raise ProtocolError(f"not a dotted version: {version!r}")
    return sum(part * 1000**i for i, part in enumerate(reversed(parts)))


V_7_2_0 = version_to_int("7.2.0")
version_as_int = version_to_int(PROTOCOL_VERSION)

"""``AxonInfo``: where a neuron serves its axon, as the chain stores it and the metagraph lists it.

Example:
    >>> info = AxonInfo(version=7002000, ip="127.0.0.1", port=8091, ip_type=4, hotkey="5H", coldkey="5C")
    >>> info.ip_str(), info.is_serving
    ('/ipv4/127.0.0.1:8091', True)
    >>> AxonInfo.from_string(info.to_string()) == info
    True
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass
from typing import Any

from bt_llm.errors import ProtocolError

__all__ = ["AxonInfo", "int_to_ip", "ip_to_int", "ip_version"]


@dataclass
class AxonInfo:
    """An axon's endpoint: protocol version, address, transport and the keys that own it."""

    version: int
    ip: str
    port: int
    ip_type: int
    hotkey: str
    coldkey: str
    protocol: int = 4
    placeholder1: int = 0
    placeholder2: int = 0

    def __eq__(self, other: object) -> bool:
        """Same endpoint and keys (``protocol`` and the placeholders are not compared, as in bittensor)."""
        if not isinstance(other, AxonInfo):
            return NotImplemented
        return (self.version, self.ip, self.port, self.ip_type, self.hotkey, self.coldkey) == (
            other.version, other.ip, other.port, other.ip_type, other.hotkey, other.coldkey
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass default

    @property
    def is_serving(self) -> bool:
        """Whether the axon announced a real address (``0.0.0.0`` means "not serving")."""
        return self.ip not in ("0.0.0.0", "", "::")

    def ip_str(self) -> str:
        """``/ipv4/1.2.3.4:8091`` (or ``/ipv6/...``)."""
        return f"/ipv{self.ip_type}/{self.ip}:{self.port}"

    def to_string(self) -> str:
        """A JSON string of every field."""
        return json.dumps(asdict(self))

    @classmethod
    def from_string(cls, text: str) -> AxonInfo:
        """Parse :meth:`to_string`'s output.

        Raises:
            ProtocolError: the text is not such a JSON object.
        """
        try:
            return cls.from_dict(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ProtocolError(f"not an AxonInfo string: {text[:80]!r}") from exc

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AxonInfo:
        """Build from a mapping; ``ip`` may be a string or the chain's integer form.

        Raises:
            ProtocolError: a field is missing or has the wrong type.
        """
        try:
            ip = data["ip"]
            ip_text = int_to_ip(ip) if isinstance(ip, int) else str(ipaddress.ip_address(ip))
            return cls(
                version=int(data["version"]),
                ip=ip_text,
                port=int(data["port"]),
                ip_type=int(data["ip_type"]),
                hotkey=str(data["hotkey"]),
                coldkey=str(data["coldkey"]),
                protocol=int(data.get("protocol", 4)),
                placeholder1=int(data.get("placeholder1", 0)),
                placeholder2=int(data.get("placeholder2", 0)),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProtocolError(f"bad AxonInfo fields: {exc}") from exc

    def __str__(self) -> str:
        return f"AxonInfo( {self.ip_str()}, {self.hotkey}, {self.coldkey}, {self.version} )"


def ip_to_int(ip: str) -> int:
    """``"1.2.3.4"`` → its integer form (as the chain stores it)."""
    return int(ipaddress.ip_address(ip))


def int_to_ip(value: int) -> str:
    """The chain's integer form → ``"1.2.3.4"`` (or an IPv6 text)."""
    return str(ipaddress.ip_address(value))


def ip_version(ip: str) -> int:
    """4 or 6."""
    return ipaddress.ip_address(ip).version

"""Listening sockets for the servers bt-llm runs (localnet node, bridge, test servers).

Example:
    >>> with listen_socket("127.0.0.1", 0) as sock:
    ...     sock.getsockname()[1] > 0
    True
"""

from __future__ import annotations

import socket

from bt_llm.errors import ConfigError


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) and listening.

    Raises:
        ConfigError: the address cannot be bound (in use, not this machine's, bad port).
    """
    if not 0 <= int(port) <= 65535:
        raise ConfigError(f"cannot listen on {host}:{port}: a port is 0 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, OverflowError) as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except (OSError, OverflowError) as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with listen_socket(host, 0) as sock:
        return int(sock.getsockname()[1])

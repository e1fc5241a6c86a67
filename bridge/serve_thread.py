"""Run an ASGI app under uvicorn in a background thread (tests, examples, embedded use).

``ServerThread`` is :class:`bt_llm.http_server.HttpServer` with the bridge's defaults (uvicorn's log
config, lifespan ``auto``, 2 s graceful shutdown, slow-client bounds); it stays importable from here.
The listening socket is bound when the ``ServerThread`` is built, so a busy port or an address this
machine does not have is a ``ConfigError`` naming it, before anything else starts.
"""

from __future__ import annotations

import socket
from typing import Any

from bt_llm.http_server import HttpServer

__all__ = ["ServerThread"]


class ServerThread(HttpServer):
    """``start()`` returns once the server accepts connections; ``stop()`` shuts it down.

    Raises (at construction):
        ConfigError: ``host:port`` cannot be bound.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning",
                 sock: socket.socket | None = None, **options: Any) -> None:
        """``sock``: an already listening socket (from :func:`listen_socket`) to serve on instead of binding;
        ``options``: any other :class:`HttpServer` option (``header_timeout``, ``body_timeout``, ...)."""
        options.setdefault("name", "uvicorn")
        options.setdefault("timeout_graceful_shutdown", 2)
        super().__init__(app, host=host, port=port, sock=sock, log_level=log_level, **options)

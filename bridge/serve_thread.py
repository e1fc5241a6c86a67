"""Run an ASGI app under uvicorn in a background thread (tests, examples, embedded use).

The listening socket is bound when the ``ServerThread`` is built, so a busy port or an address this
machine does not have is a ``ConfigError`` naming it, before anything else starts.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from bt_llm.errors import ConfigError
from bt_llm.net import listen_socket


class ServerThread:
    """``start()`` returns once the server accepts connections; ``stop()`` shuts it down.

    Raises (at construction):
        ConfigError: ``host:port`` cannot be bound.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning",
                 sock: socket.socket | None = None) -> None:
        """``sock``: an already listening socket (from :func:`listen_socket`) to serve on instead of binding."""
        self.host = host
        self._sock = sock if sock is not None else listen_socket(host, port)
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(app, host=host, port=self.port, log_level=log_level, access_log=False,
                                lifespan="auto", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigError(f"the HTTP server could not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""One home for serving an ASGI app: :class:`HttpServer` runs it under uvicorn (the axon, the localnet
node and the bridge all use it).

* The listening socket is bound when the server is built (:func:`bt_llm.net.listen_socket`), so a busy
  port or an address this machine does not have is the same one-line ``ConfigError`` for every server
  ("cannot listen on HOST:PORT: Address already in use"), before anything else starts.
* ``start()`` serves in a background thread and returns once connections are accepted; ``stop()``
  shuts down gracefully, then cancels and awaits what is still running on the server's loop, so no
  "Task was destroyed but it is pending!" is logged; ``serve_forever()`` serves in the calling thread.
* Slow clients are bounded (:func:`bounded_protocol`): a request's headers must be complete within
  ``header_timeout`` seconds and its body within ``body_timeout`` seconds of the request's start.

Importing this module is light: uvicorn is imported only when a server is built.

Example:
    >>> async def app(scope, receive, send):
    ...     await send({"type": "http.response.start", "status": 204, "headers": []})
    ...     await send({"type": "http.response.body", "body": b""})
    >>> with HttpServer(app, lifespan="off", log_config=None) as server:
    ...     server.port > 0 and server.url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
import time
from typing import Any, Self

from bt_llm.errors import ConfigError
from bt_llm.net import listen_socket


class _QuietUvicornErrors(logging.Filter):
    """uvicorn logs two expected events with a traceback at ERROR: a request its graceful shutdown
    cancelled (every axon request still queued when it stops: 99 tracebacks in one benchmark run), and a
    client's WebSocket text frame that is not UTF-8 (any client could fill a log with them). The first
    is dropped (the server's own stop says it cancelled them), the second becomes one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if str(record.msg).startswith("Exception in ASGI application") and isinstance(exc, asyncio.CancelledError):
            return False
        if record.msg == "Invalid UTF-8 sequence received from client.":
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_QUIET = _QuietUvicornErrors()

__all__ = ["BODY_TIMEOUT", "HEADER_TIMEOUT", "HttpServer", "bounded_protocol"]

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
"""Seconds a request's headers may take, from the connection's opening or the previous response's end."""
BODY_TIMEOUT = 30.0
"""Seconds a request's body may take, counted from the same start as its headers."""
CANCEL_GRACE = 1.0
"""Seconds a task still running at shutdown gets to honour its cancellation."""


class HttpServer:
    """An ASGI app served by uvicorn on an already bound socket, in a background thread or the foreground.

    Args:
        app: the ASGI application.
        host, port: where to listen (``port=0`` picks a free one; ``server.port`` tells which).
        sock: an already listening socket (from :func:`listen_socket`) to serve on instead of binding.
        name: names the server thread (``{name}-{port}``) and the server in errors.
        log_level, lifespan, loop: as uvicorn's (``loop="asyncio"`` for the stdlib loop, ``"auto"``
            for uvloop when installed).
        http: ``"auto"`` (httptools when installed, else h11), ``"httptools"`` or ``"h11"``.
        header_timeout, body_timeout: the slow-client bounds (see :func:`bounded_protocol`);
            ``header_timeout=None`` turns both off, ``body_timeout=None`` only the body's.
        timeout_graceful_shutdown: seconds ``stop()`` lets running requests finish before cancelling them.
        **uvicorn_options: any other ``uvicorn.Config`` option (``log_config``, ``ws``, ``ws_max_size``,
            ``ws_ping_interval``, ``proxy_headers``, ``server_header``, ``date_header``, ``timeout_keep_alive``, ...).

    Raises (at construction):
        ConfigError: ``host:port`` cannot be bound, or ``http`` is not one of the choices above.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sock: socket.socket | None = None,
        name: str = "http",
        log_level: str | int | None = "warning",
        lifespan: str = "auto",
        loop: str = "auto",
        http: str = "auto",
        header_timeout: float | None = HEADER_TIMEOUT,
        body_timeout: float | None = BODY_TIMEOUT,
        timeout_graceful_shutdown: float = 2.0,
        access_log: bool = False,
        **uvicorn_options: Any,
    ) -> None:
        if (header_timeout is not None and header_timeout <= 0) or (body_timeout is not None and body_timeout <= 0):
            raise ConfigError("header_timeout and body_timeout must be > 0 (or None for no bound)")
        protocol = bounded_protocol(http, header_timeout, body_timeout)  # checks ``http`` before binding
        self.name = name
        self.host = host
        # Bound now: a busy port is a ConfigError before anything runs. listen_socket's getaddrinfo gives
        # proto=IPPROTO_TCP (6), which matters: asyncio sets TCP_NODELAY on accepted sockets only for that
        # proto, and without it Nagle plus delayed ACKs add ~40 ms to every answer (headers and body are
        # separate writes).
        self._sock = sock if sock is not None else listen_socket(host, port)
        self.port = int(self._sock.getsockname()[1])
        try:
            import uvicorn

            config = uvicorn.Config(
                app, host=host, port=self.port, log_level=log_level, lifespan=lifespan, loop=loop, http=protocol,
                access_log=access_log, timeout_graceful_shutdown=timeout_graceful_shutdown,  # type: ignore[arg-type]
                **uvicorn_options,
            )
            self._server = uvicorn.Server(config)
            logging.getLogger("uvicorn.error").addFilter(_QUIET)  # one object: added once however many servers
        except BaseException:
            if sock is None:
                self._sock.close()  # ours: not left bound
            raise
        self._thread: threading.Thread | None = None
        self._exit_code: object = None

    # -- where ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def started(self) -> bool:
        """Serving in a background thread (between ``start()`` and ``stop()``)."""
        return self._thread is not None and self._thread.is_alive() and self._server.started

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Self:
        """Serve in a background thread; returns once connections are accepted.

        Raises:
            ConfigError: the server did not come up within ``timeout`` seconds (e.g. the app's lifespan
                startup failed; uvicorn logged why), or it was already stopped (build a new one).
        """
        if self._thread is not None:
            if self._thread.is_alive():
                return self
            raise ConfigError(f"the {self.name} server on {self.host}:{self.port} was stopped: build a new one")
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                why = f" (exit code {self._exit_code})" if self._exit_code is not None else ""
                self.stop()
                raise ConfigError(f"the {self.name} server did not start on {self.host}:{self.port}{why}")
            time.sleep(0.005)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C, SIGTERM) or ``stop()`` from another thread."""
        self._serve(foreground=True)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the server thread (up to ``timeout`` seconds, then force it)."""
        self._server.should_exit = True
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                self._server.force_exit = True
                thread.join(2.0)
        self._sock.close()  # uvicorn closes it at shutdown; this one is for a server never started

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._serve(foreground=False)

    def _serve(self, *, foreground: bool) -> None:
        factory = self._server.config.get_loop_factory()
        loop = factory() if factory is not None else asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except SystemExit as exc:  # uvicorn exits when the app's lifespan startup fails (it logged why)
            self._exit_code = exc.code
            if foreground:
                raise
        finally:
            _close_loop(loop)
            self._sock.close()

    def __repr__(self) -> str:
        state = "started" if self.started else "stopped"
        return f"HttpServer({self.name}, {self.url}, {state})"


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await the tasks still on ``loop`` (handlers past their deadline), then close it.

    Without this, closing the loop leaves them to the garbage collector, which logs
    "Task was destroyed but it is pending!" for each. A task that ignores its cancellation gets
    ``CANCEL_GRACE`` seconds (``asyncio.run`` would wait for it forever).
    """
    with contextlib.suppress(Exception):
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            done, _ = loop.run_until_complete(asyncio.wait(tasks, timeout=CANCEL_GRACE))
            for task in done:
                if not task.cancelled():
                    task.exception()  # retrieved: an error on the way out is not "never retrieved"
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_asyncgens())
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


# -- slow clients ----------------------------------------------------------------------------------
#
# Written here rather than taken from a library: uvicorn (0.55) has no header or body read timeout (its
# timeout_keep_alive is cancelled by any byte received, and a fresh connection that sends nothing is never
# timed out at all), and no ASGI middleware can help, since the app is only called once the headers are
# complete; putting a proxy such as nginx (client_header_timeout / client_body_timeout) in front of every
# miner's axon and every localnet node is not an option. The hardening review found 100 slowloris
# connections holding 100 of 100 connections open for its whole 30 s run. Measured again (100 connections
# sending a header line every 2 s): uvicorn alone, 100 of 100 still open after 12 s; with these bounds
# (defaults), all 100 closed by 10.0 s. tests/integration/test_http_server.py runs 50 at once against the
# axon, the node and the bridge with 0.5 s / 1.0 s bounds, all closed on time. The cost is one timer
# per request (call_later + cancel: ~3 µs measured), under 1% of the ~450 µs of server CPU an axon
# request takes (benchmarks/axon.py).


class _RequestTimeouts:
    """Mixin over uvicorn's HTTP/1.1 protocols (``HttpToolsProtocol``, ``H11Protocol``).

    A request starts when its connection opens, or when the previous response on the connection ends.
    Its headers must be complete ``header_timeout`` seconds after that, its body ``body_timeout``
    seconds after that; otherwise the connection is closed (an app reading the body then receives
    ``http.disconnect``). Time the app takes to answer is not bounded here.
    """

    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float | None = BODY_TIMEOUT

    # set by uvicorn's protocol classes
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    _request_timer: asyncio.TimerHandle | None = None
    _request_start: float = 0.0
    _request_cycle: Any = None  # the cycle when the timer was armed: the previous request's, or None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_request_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm_request_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def handle_websocket_upgrade(self, *args: Any) -> None:
        self._cancel_request_timer()  # the WebSocket protocol takes the connection over
        super().handle_websocket_upgrade(*args)  # type: ignore[misc]

    def _arm_request_timer(self) -> None:
        self._cancel_request_timer()
        self._request_start = self.loop.time()
        self._request_cycle = self.cycle
        self._request_timer = self.loop.call_later(self.header_timeout, self._request_timer_fired)

    def _cancel_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timer_fired(self) -> None:
        self._request_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        # uvicorn makes a new cycle once a request's headers are complete. The same cycle as at arming
        # and already answered (or none yet): no new request's headers arrived in time. The same cycle
        # but unanswered: a pipelined request, whose headers were complete when the timer was armed.
        if cycle is None or (cycle is self._request_cycle and cycle.response_complete):
            self._close("request headers", self.header_timeout)
            return
        if self.body_timeout is None or not cycle.more_body or cycle.response_complete:
            return
        remaining = self._request_start + self.body_timeout - self.loop.time()
        if remaining > 0:
            self._request_timer = self.loop.call_later(remaining, self._request_timer_fired)
        else:
            self._close("request body", self.body_timeout)

    def _close(self, what: str, seconds: float) -> None:
        log.debug("closing a connection: %s not complete within %g s", what, seconds)
        if self.transport.get_write_buffer_size():
            self.transport.abort()  # a client that does not read either would hold close() open
        else:
            self.transport.close()


_BASES = {"httptools": "uvicorn.protocols.http.httptools_impl:HttpToolsProtocol",
          "h11": "uvicorn.protocols.http.h11_impl:H11Protocol"}


@functools.cache
def bounded_protocol(http: str = "auto", header_timeout: float | None = HEADER_TIMEOUT,
                     body_timeout: float | None = BODY_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol class (``uvicorn.Config(http=...)``) with the slow-client bounds.

    ``http``: ``"auto"`` (httptools when installed, else h11), ``"httptools"`` or ``"h11"``.
    ``header_timeout=None``: uvicorn's own class, unbounded.

    Raises:
        ConfigError: another ``http``.
    """
    if http == "auto":
        try:
            import httptools  # noqa: F401
        except ImportError:
            http = "h11"
        else:
            http = "httptools"
    if http not in _BASES:
        raise ConfigError(f"http must be 'auto', 'httptools' or 'h11', got {http!r}")
    from uvicorn.importer import import_from_string

    base = import_from_string(_BASES[http])
    if header_timeout is None:
        return base
    return type(f"Bounded{base.__name__}", (_RequestTimeouts, base),
                {"header_timeout": float(header_timeout),
                 "body_timeout": None if body_timeout is None else float(body_timeout),
                 "__module__": __name__})

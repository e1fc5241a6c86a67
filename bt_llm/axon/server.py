"""``Axon``: serve attached synapse handlers over HTTP (uvicorn in a background thread).

Example:
    >>> from substrateinterface import Keypair
    >>> from bt_llm.protocol.synapses import TextPrompting
    >>> def forward(synapse: TextPrompting) -> TextPrompting:
    ...     synapse.completion = "hello"
    ...     return synapse
    >>> axon = Axon(wallet=Keypair.create_from_uri("//Alice"), ip="127.0.0.1", port=0).attach(forward)
    >>> _ = axon.start(); axon.port > 0
    True
    >>> _ = axon.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import threading
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bt_llm.axon.app import Pipeline, PriorityFn, Route, create_app
from bt_llm.axon.blacklist import BlacklistFn, metagraph_blacklist
from bt_llm.axon.forward import ForwardFn
from bt_llm.axon.gate import PriorityGate
from bt_llm.axon.verify import VerifyFn
from bt_llm.errors import ConfigError, ProtocolError
from bt_llm.protocol.axon_info import AxonInfo, ip_version
from bt_llm.protocol.synapse import Synapse
from bt_llm.protocol.version import version_as_int

__all__ = ["Axon"]

_START_TIMEOUT = 10.0
_CANCEL_GRACE = 1.0


def _keys_of(wallet: Any) -> tuple[Any, str]:
    """(hotkey keypair, coldkey ss58) from a bt Wallet, or a bare Keypair (its own coldkey then)."""
    hotkey = getattr(wallet, "hotkey", None)
    if hotkey is not None and hasattr(hotkey, "sign"):
        coldkeypub = getattr(wallet, "coldkeypub", None)
        coldkey = getattr(coldkeypub, "ss58_address", None) or hotkey.ss58_address
        return hotkey, coldkey
    if hasattr(wallet, "sign") and hasattr(wallet, "ss58_address"):
        return wallet, wallet.ss58_address
    raise ConfigError("wallet must be a bt Wallet (with .hotkey) or a Keypair")


def _synapse_class(forward_fn: ForwardFn) -> type[Synapse]:
    """The synapse type from the annotation of ``forward_fn``'s first parameter."""
    params = list(inspect.signature(forward_fn).parameters.values())
    if not params:
        raise ConfigError("forward_fn must take the synapse as its first argument")
    try:
        hints = typing.get_type_hints(forward_fn)
    except Exception:  # unresolvable forward references: fall back to the raw annotation
        hints = {}
    annotation = hints.get(params[0].name, params[0].annotation)
    if not (isinstance(annotation, type) and issubclass(annotation, Synapse)):
        raise ConfigError("the first parameter of forward_fn must be annotated with a Synapse subclass")
    return annotation


class Axon:
    """A miner's HTTP endpoint: ``attach`` handlers, ``start()``, announce ``info()``, ``stop()``.

    Args:
        wallet: a bt Wallet (its ``.hotkey`` signs, ``.coldkeypub`` is announced) or a Keypair.
        port: the port to bind; 0 picks a free one (``axon.port`` tells which after ``start()``).
        ip: the address to bind (``"0.0.0.0"`` to serve the world; the default stays on loopback).
        external_ip, external_port: what ``info()`` announces on chain (default: ``ip``/``port``).
        metagraph: with one and no blacklist of its own, a route refuses hotkeys not in
            ``metagraph.hotkeys`` (403).
        max_workers: handlers running at once (sync ones in as many threads).
        max_queue: requests waiting for a worker before new ones get 503.
        max_body_bytes: larger request bodies get 413.
    """

    def __init__(
        self,
        wallet: Any = None,
        port: int = 8091,
        ip: str = "127.0.0.1",
        external_ip: str | None = None,
        external_port: int | None = None,
        metagraph: Any = None,
        max_workers: int = 10,
        max_queue: int = 256,
        max_body_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        if wallet is None:
            raise ConfigError("an axon needs a wallet or a hotkey Keypair")
        if max_workers < 1 or max_queue < 0 or max_body_bytes < 1:
            raise ConfigError("max_workers >= 1, max_queue >= 0 and max_body_bytes >= 1 are required")
        self.wallet = wallet
        self.hotkey, self.coldkey = _keys_of(wallet)
        self.ip = ip
        self.port = port
        self.external_ip = external_ip
        self.external_port = external_port
        self.metagraph = metagraph
        self.max_workers = max_workers
        self.max_queue = max_queue
        self.max_body_bytes = max_body_bytes
        self.routes: dict[str, Route] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.pipeline: Pipeline | None = None
        self.attach(_ping)

    # -- registration ---------------------------------------------------------------------------
    def attach(
        self,
        forward_fn: ForwardFn,
        blacklist_fn: BlacklistFn | None = None,
        priority_fn: PriorityFn | None = None,
        verify_fn: VerifyFn | None = None,
    ) -> Axon:
        """Serve ``forward_fn`` at ``/{SynapseName}`` (the type of its first parameter's annotation).

        ``forward_fn`` fills the synapse and returns it (or ``None``); for a ``StreamingSynapse`` it
        returns an iterator (sync or async) of text chunks. ``blacklist_fn(synapse) -> (bool, str)``,
        ``priority_fn(synapse) -> float`` (higher first) and ``verify_fn(synapse) -> None`` (raise to
        refuse; runs after the built-in signature and nonce checks) may be sync or async. A handler
        that raises ``bt_llm.axon.refusal.Refusal(status, message)`` answers that status; any other
        exception answers 500 without details.

        Returns:
            The axon, for chaining.

        Raises:
            ConfigError: ``forward_fn``'s first parameter is not annotated with a Synapse subclass.
        """
        cls = _synapse_class(forward_fn)
        self.routes[cls.__name__] = Route(cls, forward_fn, blacklist_fn, priority_fn, verify_fn)
        return self

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Axon:
        """Bind and serve in a background thread; returns once it accepts connections.

        Raises:
            ProtocolError: the address cannot be bound or the server did not come up.
        """
        if self.started:
            return self
        import uvicorn

        sock = self._bind()
        self.port = sock.getsockname()[1]
        self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="axon-worker")
        default_blacklist = metagraph_blacklist(self.metagraph) if self.metagraph is not None else None
        self.pipeline = Pipeline(
            keypair=self.hotkey,
            routes=self.routes,
            gate=PriorityGate(self.max_workers, self.max_queue),
            executor=self._executor,
            max_body_bytes=self.max_body_bytes,
            default_blacklist=default_blacklist,
        )
        config = uvicorn.Config(
            create_app(self.pipeline),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="auto",  # httptools when installed (about 30% less CPU per request than h11), else h11
            proxy_headers=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,), name=f"axon-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ProtocolError(f"the axon did not start on {self.ip}:{self.port}")
            time.sleep(0.005)
        return self

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.ip else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only then; without it
        # Nagle and delayed ACKs add ~40 ms to every answer (headers and body are separate writes).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.ip, self.port))
        except OSError as exc:
            sock.close()
            raise ProtocolError(f"cannot bind the axon to {self.ip}:{self.port}: {exc}") from exc
        sock.set_inheritable(True)
        return sock

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        finally:
            with contextlib.suppress(Exception):
                _cancel_pending(loop)
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def stop(self) -> Axon:
        """Stop serving and wait for the server thread (running async handlers are cancelled and awaited)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=2.0)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._thread = None
        self._server = None
        self._executor = None
        return self

    def __enter__(self) -> Axon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- announcing -----------------------------------------------------------------------------
    def info(self) -> AxonInfo:
        """The endpoint to announce on chain."""
        ip = self.external_ip or self.ip
        return AxonInfo(
            version=version_as_int,
            ip=ip,
            port=self.external_port or self.port,
            ip_type=ip_version(ip),
            hotkey=self.hotkey.ss58_address,
            coldkey=self.coldkey,
        )

    def serve(self, netuid: int, subtensor: Any = None) -> Axon:
        """Announce this axon on subnet ``netuid`` through ``subtensor.serve_axon`` (if a subtensor is given)."""
        if subtensor is not None:
            subtensor.serve_axon(netuid=netuid, axon=self)
        return self

    def __repr__(self) -> str:
        state = "started" if self.started else "stopped"
        return f"Axon({self.ip}:{self.port}, {self.hotkey.ss58_address}, {state}, {sorted(self.routes)})"


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still running on the server's loop (handlers past their deadline) and await them.

    Without this, closing the loop leaves them to the garbage collector, which logs
    "Task was destroyed but it is pending!" for each. A handler that ignores its cancellation gets
    ``_CANCEL_GRACE`` seconds.
    """
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    done, _ = loop.run_until_complete(asyncio.wait(tasks, timeout=_CANCEL_GRACE))
    for task in done:
        if not task.cancelled():
            task.exception()  # retrieved: an error on the way out is not "never retrieved"


async def _ping(synapse: Synapse) -> Synapse:
    """The ``/Synapse`` route every axon answers."""
    return synapse

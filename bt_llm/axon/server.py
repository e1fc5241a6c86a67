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

import inspect
import typing
from concurrent.futures import ThreadPoolExecutor

from bt_llm.axon.app import Pipeline, PriorityFn, Route, create_app
from bt_llm.axon.blacklist import BlacklistFn, metagraph_blacklist
from bt_llm.axon.forward import ForwardFn
from bt_llm.axon.gate import PriorityGate
from bt_llm.axon.verify import VerifyFn
from bt_llm.errors import ConfigError, ProtocolError
from bt_llm.http_server import BODY_TIMEOUT, HEADER_TIMEOUT, HttpServer
from bt_llm.protocol.axon_info import AxonInfo, ip_version
from bt_llm.protocol.synapse import Synapse
from bt_llm.protocol.version import version_as_int
from bt_llm.seams import ChainClient, Keypair, Metagraph, Wallet, coldkey_ss58, signer_of

__all__ = ["Axon"]

_START_TIMEOUT = 10.0


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
        header_timeout, body_timeout: seconds a request's headers, and its body, may take to arrive
            (from the connection's opening or the previous answer's end); a slower client is
            disconnected (see :class:`bt_llm.http_server.HttpServer`).
    """

    def __init__(
        self,
        wallet: Wallet | Keypair | None = None,
        port: int = 8091,
        ip: str = "127.0.0.1",
        external_ip: str | None = None,
        external_port: int | None = None,
        metagraph: Metagraph | None = None,
        max_workers: int = 10,
        max_queue: int = 256,
        max_body_bytes: int = 16 * 1024 * 1024,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        if wallet is None:
            raise ConfigError("an axon needs a wallet or a hotkey Keypair")
        if max_workers < 1 or max_queue < 0 or max_body_bytes < 1:
            raise ConfigError("max_workers >= 1, max_queue >= 0 and max_body_bytes >= 1 are required")
        self.wallet = wallet
        self.hotkey = signer_of(wallet)
        self.coldkey = coldkey_ss58(wallet) or self.hotkey.ss58_address
        self.ip = ip
        self.port = port
        self.external_ip = external_ip
        self.external_port = external_port
        self.metagraph = metagraph
        self.max_workers = max_workers
        self.max_queue = max_queue
        self.max_body_bytes = max_body_bytes
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.routes: dict[str, Route] = {}
        self._server: HttpServer | None = None
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
        return self._server is not None and self._server.started

    def start(self) -> Axon:
        """Bind and serve in a background thread; returns once it accepts connections.

        Raises:
            ProtocolError: the address cannot be bound (the message is ``listen_socket``'s, as for every
                server: "cannot listen on HOST:PORT: ..."), or the server did not come up.
        """
        if self.started:
            return self
        executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="axon-worker")  # threads start lazily
        default_blacklist = metagraph_blacklist(self.metagraph) if self.metagraph is not None else None
        pipeline = Pipeline(
            keypair=self.hotkey,
            routes=self.routes,
            gate=PriorityGate(self.max_workers, self.max_queue),
            executor=executor,
            max_body_bytes=self.max_body_bytes,
            default_blacklist=default_blacklist,
        )
        try:
            server = HttpServer(
                create_app(pipeline), host=self.ip, port=self.port, name="axon", log_config=None, lifespan="off",
                loop="asyncio", http="auto",  # httptools when installed (about 30% less CPU per request than h11)
                proxy_headers=False, server_header=False, date_header=False, timeout_graceful_shutdown=1,
                header_timeout=self.header_timeout, body_timeout=self.body_timeout,
            )
        except ConfigError as exc:  # a busy port: the same message as every server's, as the axon's error type
            executor.shutdown(wait=False)
            raise ProtocolError(str(exc)) from exc
        self.port = server.port
        self._server, self._executor, self.pipeline = server, executor, pipeline
        try:
            server.start(_START_TIMEOUT)
        except ConfigError as exc:
            self.stop()
            raise ProtocolError(f"the axon did not start on {self.ip}:{self.port}") from exc
        return self

    def stop(self) -> Axon:
        """Stop serving and wait for the server thread (running async handlers are cancelled and awaited)."""
        if self._server is not None:
            self._server.stop(timeout=5.0)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
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

    def serve(self, netuid: int, subtensor: ChainClient | None = None) -> Axon:
        """Announce this axon on subnet ``netuid`` through ``subtensor.serve_axon`` (if a subtensor is given)."""
        if subtensor is not None:
            subtensor.serve_axon(netuid=netuid, axon=self)
        return self

    def __repr__(self) -> str:
        state = "started" if self.started else "stopped"
        return f"Axon({self.ip}:{self.port}, {self.hotkey.ss58_address}, {state}, {sorted(self.routes)})"


async def _ping(synapse: Synapse) -> Synapse:
    """The ``/Synapse`` route every axon answers."""
    return synapse

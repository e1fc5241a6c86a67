"""Wiring: engine + :class:`Node` + RPC methods + transport, and :class:`LocalnetNode`, the runnable whole.

Example (a node on a free port, sealed by hand)::

    node = LocalnetNode(port=0, manual_seal=True)
    node.start()
    ...  # SubstrateInterface(url=node.url)
    node.seal(2)
    node.stop()
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bt_llm.errors import RpcError
from bt_llm.localnet.node import author, chain, custom_rpc, state, system
from bt_llm.localnet.node.rpc import Dispatcher
from bt_llm.localnet.node.server import NodeServer, create_app
from bt_llm.localnet.node.service import Node

EngineFactory = Callable[[], Any]


def build_dispatcher(node: Node) -> Dispatcher:
    """Every RPC method of the node, bound to ``node``."""
    dispatcher = Dispatcher()
    for module in (system, chain, state, author, custom_rpc):
        module.register(dispatcher, node)
    return dispatcher


def create_node_app(engine_factory: EngineFactory, *, block_time: float = 1.0, manual_seal: bool = False,
                    instant_seal: bool = False) -> tuple[Any, dict[str, Any]]:
    """The ASGI app; the engine is opened at startup (on the server's thread: SQLite connections are per thread).

    Returns ``(app, holder)``: ``holder["node"]`` is the running :class:`Node` once started.
    """
    dispatcher = Dispatcher()  # filled at startup, once the engine is open
    holder: dict[str, Any] = {}

    async def startup() -> None:
        node = Node(engine_factory(), block_time=block_time, manual_seal=manual_seal, instant_seal=instant_seal)
        dispatcher.methods.update(build_dispatcher(node).methods)
        holder["node"] = node
        holder["loop"] = asyncio.get_running_loop()
        node.start()

    async def shutdown() -> None:
        node = holder.pop("node", None)
        if node is not None:
            await node.stop()

    return create_app(dispatcher, on_startup=startup, on_shutdown=shutdown), holder


def default_engine_factory(state_dir: Path | None, genesis: Any = None) -> EngineFactory:
    """Open the chain engine on ``state_dir`` (None: in memory) with an optional genesis config."""

    def factory() -> Any:
        from bt_llm.localnet.engine import Engine

        if genesis is None:
            return Engine.open(state_dir)
        return Engine.open(state_dir, genesis)

    return factory


class LocalnetNode:
    """A localnet node: engine, JSON-RPC on ``host:port`` (WebSocket and HTTP), block production.

    Args:
        state_dir: SQLite state directory; None keeps the chain in memory.
        port: TCP port; 0 picks a free one.
        block_time: seconds between blocks when sealing is not manual.
        manual_seal: no timed blocks: only ``engine_createBlock`` / :meth:`seal` (and ``instant_seal``) make them.
        instant_seal: seal a block as soon as an extrinsic is ready (so ``wait_for_inclusion`` returns at once).
        genesis: a ``GenesisConfig`` for a new chain (default: the localnet genesis).
        engine_factory: opens the engine (tests may pass their own).
    """

    def __init__(self, *, state_dir: Path | None = None, host: str = "127.0.0.1", port: int = 9944,
                 block_time: float = 1.0, manual_seal: bool = False, instant_seal: bool = False, genesis: Any = None,
                 engine_factory: EngineFactory | None = None, log_level: str = "warning") -> None:
        opened = None
        if engine_factory is None and state_dir is not None:
            # Opened now, not at server start: a state another node holds is a ConfigError here (one
            # line from btcli), not a failed uvicorn startup.
            opened = default_engine_factory(state_dir, genesis)()
            factory: EngineFactory = lambda: opened  # noqa: E731
        else:
            factory = engine_factory or default_engine_factory(state_dir, genesis)
        self.app, self._holder = create_node_app(factory, block_time=block_time, manual_seal=manual_seal,
                                                instant_seal=instant_seal)
        try:
            self.server = NodeServer(self.app, host=host, port=port, log_level=log_level)
        except BaseException:
            if opened is not None:
                opened.close()  # releases the state for the next try
            raise

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def node(self) -> Node:
        """The running :class:`Node` (only between start and stop)."""
        return self._holder["node"]

    def start(self) -> LocalnetNode:
        """Serve in a background thread; returns once it accepts connections."""
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def rpc(self, method: str, params: list[Any] | None = None, *, timeout: float = 60.0) -> Any:
        """Call one JSON-RPC method over HTTP; raises :class:`RpcError` on an error answer."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        request = urllib.request.Request(self.http_url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            from bt_llm.errors import RpcRemoteError

            error = reply["error"]
            raise RpcRemoteError(error.get("message", "error"), code=error.get("code"), data=error.get("data"))
        return reply.get("result")

    def with_engine(self, fn: Callable[[Any], Any], timeout: float = 300.0) -> Any:
        """Run ``fn(engine)`` on the node's thread between RPCs and return its result.

        For tests and benchmarks that set up state straight on the engine (``engine.apply(...)``,
        ``engine.seal_block()``); blocks sealed this way are served like any other, but subscribers are
        not told about them: use :meth:`seal` once extrinsics have been submitted over RPC.
        """
        loop = self._holder["loop"]
        future = asyncio.run_coroutine_threadsafe(self.node.with_engine(fn), loop)
        return future.result(timeout)

    def seal(self, n: int = 1) -> list[str]:
        """Seal ``n`` blocks now; returns their hashes (``0x`` hex)."""
        result = self.rpc("localnet_sealBlocks", [n])
        if not isinstance(result, list):
            raise RpcError("unexpected answer to localnet_sealBlocks")
        return result

    def __enter__(self) -> LocalnetNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

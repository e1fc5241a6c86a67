"""pytest plugin: a localnet node on a free port, for any test that needs a chain.

Fixtures:

- ``localnet_node``: a fresh in-memory chain (the localnet genesis: //Alice.. funded, subnet 1) served on
  ``127.0.0.1:<free port>`` with manual sealing: blocks are made by ``.seal(n)``, and one block is sealed
  as soon as an extrinsic is accepted (so ``wait_for_inclusion``/``wait_for_finalization`` return).
  Attributes: ``.url`` (``ws://127.0.0.1:PORT``), ``.http_url``, ``.seal(n=1) -> [hash]``,
  ``.rpc(method, params)``, ``.substrate()`` (a connected ``SubstrateInterface``, closed at teardown),
  ``.with_engine(fn)`` (runs ``fn(engine)`` on the node's thread: fast state set-up),
  ``.node`` (the ``LocalnetNode``).
- ``localnet_node_factory``: ``factory(**kwargs)`` starts more nodes with ``LocalnetNode`` options
  (``state_dir``, ``genesis``, ``instant_seal=False``, ``engine_factory``...); all stopped at teardown.

Register with ``pytest_plugins = ["tests.localnet_fixture"]`` (done in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


class LocalnetHandle:
    """What a test gets: where the node is, and how to drive it."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self._clients: list[Any] = []

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def http_url(self) -> str:
        return self.node.http_url

    def seal(self, n: int = 1) -> list[str]:
        """Seal ``n`` blocks now; returns their hashes."""
        return self.node.seal(n)

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """One JSON-RPC call over HTTP; returns ``result`` or raises ``bt_llm.errors.RpcRemoteError``."""
        return self.node.rpc(method, params)

    def with_engine(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(engine)`` on the node's thread between RPCs (state set-up straight on the engine)."""
        return self.node.with_engine(fn)

    def substrate(self) -> Any:
        """A new ``substrateinterface.SubstrateInterface`` connected to this node (closed at teardown)."""
        from substrateinterface import SubstrateInterface

        client = SubstrateInterface(url=self.url, ss58_format=42)
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:  # a client already closed by its test
                pass
        self.node.stop()


@pytest.fixture
def localnet_node_factory() -> Iterator[Callable[..., LocalnetHandle]]:
    from bt_llm.localnet.node.app import LocalnetNode

    handles: list[LocalnetHandle] = []

    def start(**kwargs: Any) -> LocalnetHandle:
        options: dict[str, Any] = {"port": 0, "manual_seal": True, "instant_seal": True}
        options.update(kwargs)
        handle = LocalnetHandle(LocalnetNode(**options).start())
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.close()


@pytest.fixture
def localnet_node(localnet_node_factory: Callable[..., LocalnetHandle]) -> LocalnetHandle:
    return localnet_node_factory()

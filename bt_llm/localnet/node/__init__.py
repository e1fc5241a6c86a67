"""The localnet node: the chain engine behind a Substrate-compatible JSON-RPC endpoint.

``LocalnetNode`` runs it (WebSocket and HTTP on one port); unmodified substrate-interface and the
bittensor 6.x SDK talk to it as to a subtensor node. Modules: ``rpc`` (JSON-RPC plumbing),
``server`` (transport), ``service`` (pool, sealing, subscriptions), ``system``/``chain``/``state``/
``author``/``custom_rpc`` (methods), ``extrinsic`` (parsing and signature checks), ``registry`` and
``metadata`` (metadata V14 with scalecodec), ``runtime`` (our runtime's metadata and version).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalnetNode", "Node"]


def __getattr__(name: str) -> Any:
    if name == "LocalnetNode":
        from bt_llm.localnet.node.app import LocalnetNode

        return LocalnetNode
    if name == "Node":
        from bt_llm.localnet.node.service import Node

        return Node
    raise AttributeError(name)

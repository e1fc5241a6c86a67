"""A node that is not there: the client says so with its connection error, not a decoding one."""

from __future__ import annotations

import socket

import pytest

from bt_llm.chain.subtensor import Subtensor
from bt_llm.errors import RpcConnectError


def test_unreachable_node_is_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sub = Subtensor(f"ws://127.0.0.1:{port}", timeout=5)
    with pytest.raises(RpcConnectError):
        sub.get_current_block()

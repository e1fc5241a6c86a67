"""Starting, stopping and restarting axons; a taken port is a clear error."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from bt_llm.axon.server import Axon
from bt_llm.errors import ProtocolError

from .conftest import ALICE


def _answers(port: int) -> bool:
    try:
        return httpx.post(f"http://127.0.0.1:{port}/Synapse", timeout=2).status_code == 401
    except httpx.ConnectError:
        return False


def test_start_stop_restart_and_context_manager() -> None:
    axon = Axon(wallet=ALICE, port=0)
    assert not axon.started
    assert axon.start() is axon.start()  # a second start is a no-op
    port = axon.port
    assert port > 0 and _answers(port)
    axon.stop()
    assert not axon.started and not _answers(port)
    assert not any(t.name == f"axon-{port}" for t in threading.enumerate())  # the server thread ended
    axon.port = 0
    with axon:
        assert _answers(axon.port)
    assert not axon.started


def test_a_taken_port_is_a_protocol_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # the message every server gives for a busy port (listen_socket's), as the axon's error type
        with pytest.raises(ProtocolError, match=rf"^cannot listen on 127\.0\.0\.1:{port}: Address already in use$"):
            Axon(wallet=ALICE, port=port).start()


def test_repr_and_routes() -> None:
    axon = Axon(wallet=ALICE, port=0)
    assert "stopped" in repr(axon) and "Synapse" in repr(axon)

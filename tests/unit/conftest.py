"""The unit lane: no sockets (pytest-socket refuses any but AF_UNIX, which asyncio's own wakeup pipe uses)
and no pretrained model. Tests that need a server, a node or SmolLM2 live in ``tests/integration``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()

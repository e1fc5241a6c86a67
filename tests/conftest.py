"""Shared pytest plugins."""

import signal
from collections.abc import Iterator

# Import hypothesis while the stack is shallow. Its pytest plugin otherwise imports it during the
# terminal summary, where CPython 3.11.7's AST validator (gh-106905) can fail with "AST constructor
# recursion depth mismatch" while pytest rewrites the module's asserts.
import hypothesis  # noqa: F401
import pytest

pytest_plugins = ["tests.localnet_fixture", "tests.devnet_fixture"]

# Scripts run with the reference SDK's venv (they import bittensor), not modules of the suite; --doctest-modules
# would import them.
collect_ignore = ["unit/wallet/data/make_vectors.py"]


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    """Each test leaves SIGINT and SIGTERM as it found them: code under test that serves until a signal
    (the bridge, a miner, the supervisor) installs its own handlers, and a later test simulating Ctrl-C
    needs Python's."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        if signal.getsignal(sig) is not handler and handler is not None:
            signal.signal(sig, handler)


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own SIGINT handler (KeyboardInterrupt) while a test simulates Ctrl-C."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

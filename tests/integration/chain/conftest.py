"""Wallets on disk for the chain integration tests: dev keys, no passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from bt_llm.wallet.wallet import Wallet


def make_wallet(root: Path, name: str, cold_uri: str, hot_uri: str) -> Wallet:
    wallet = Wallet(name=name, hotkey="default", path=str(root))
    wallet.create_coldkey_from_uri(cold_uri, use_password=False, suppress=True)
    wallet.create_hotkey_from_uri(hot_uri, suppress=True)
    return wallet


@pytest.fixture
def wallets(tmp_path: Path) -> dict[str, Wallet]:
    """``alice`` (coldkey //Alice, 1000 τ) and ``bob`` (//Bob), each with a fresh hotkey."""
    root = tmp_path / "wallets"
    return {
        "alice": make_wallet(root, "alice", "//Alice", "//Alice//hot"),
        "bob": make_wallet(root, "bob", "//Bob", "//Bob//hot"),
    }


@pytest.fixture
def subtensor(localnet_node):
    from bt_llm.chain.subtensor import Subtensor

    client = Subtensor(localnet_node.url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def sub(node):
    """A finney client of the module's replay ``node`` (``made_answers.replay_with``)."""
    from tests.integration.chain.made_answers import finney_client

    with finney_client(node) as client:
        yield client

"""Fixtures for wallet tests: a temporary wallet folder, coldkey passwords in the environment, and a
cheap argon2i (the real ``SENSITIVE`` limits take seconds and 512 MiB; tests that check bittensor
compatibility ask for ``real_kdf``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl import pwhash

from bt_llm.wallet import keyfile, passwords

DATA = Path(__file__).parent / "data"
SPEC_MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review"
SPEC_ADDRESS = "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX"
VECTOR_PASSWORD = "vector-password-1"  # see data/make_vectors.py


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in list(os.environ):
        if var.startswith(passwords.ENV_PREFIX) or var == "BT_WALLET_PATH":
            monkeypatch.delenv(var)
    monkeypatch.setattr(
        keyfile, "KDF", keyfile.KdfLimits(pwhash.argon2i.OPSLIMIT_MIN, pwhash.argon2i.MEMLIMIT_MIN)
    )
    monkeypatch.setattr(keyfile, "_warned_paths", set())  # permission warnings are once per path and process
    passwords.forget_unlocked()
    yield
    passwords.forget_unlocked()


@pytest.fixture
def real_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use bittensor's real argon2i limits (slow: a few seconds per encrypt or decrypt)."""
    monkeypatch.setattr(keyfile, "KDF", keyfile.KdfLimits())


@pytest.fixture
def wallet_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh wallet folder, also set as ``BT_WALLET_PATH``."""
    path = tmp_path / "wallets"
    monkeypatch.setenv("BT_WALLET_PATH", str(path))
    return path


@pytest.fixture
def cold_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """``BT_COLD_PW_ALICE`` set: the coldkey password of the wallet named ``alice``."""
    monkeypatch.setenv("BT_COLD_PW_ALICE", "alice-pw")
    return "alice-pw"

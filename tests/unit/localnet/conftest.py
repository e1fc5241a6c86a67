"""Helpers for driving the localnet engine by hand in tests."""

from __future__ import annotations

from typing import Any

import pytest

from bt_llm.localnet.engine import DispatchResult, Engine
from bt_llm.localnet.genesis import DEV_ACCOUNTS, GenesisConfig, SubnetConfig
from bt_llm.localnet.schema import Call

ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE = (
    DEV_ACCOUNTS[n] for n in ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
)
TAO = 10**9
ST = "SubtensorModule"


def acct(i: int) -> bytes:
    """A deterministic throwaway account (no key needed: the engine trusts the node's signature check)."""
    return bytes([i]) * 32


class Chain:
    """Thin test driver: nonces handled, results asserted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def call(self, signer: bytes, pallet: str, name: str, **args: Any) -> DispatchResult:
        return self.engine.apply(
            Call(pallet, name, args), signer=signer, nonce=self.engine.account_nonce(signer), length=0
        )

    def ok(self, signer: bytes, pallet: str, name: str, **args: Any) -> DispatchResult:
        r = self.call(signer, pallet, name, **args)
        assert r.success, r.error
        return r

    def err(self, signer: bytes, pallet: str, name: str, **args: Any) -> str:
        r = self.call(signer, pallet, name, **args)
        assert not r.success, f"{pallet}.{name} unexpectedly succeeded"
        assert r.error is not None
        return r.error[1]

    def sudo(self, pallet: str, name: str, **args: Any) -> None:
        r = self.ok(ALICE, "Sudo", "sudo", call=Call(pallet, name, args))
        sudid = [rec.event for rec in r.events if rec.event.name == "Sudid"]
        assert sudid and sudid[0].args[0] == ("Ok", None), sudid

    def get(self, pallet: str, item: str, *keys: Any) -> Any:
        return self.engine.state.get(pallet, item, *keys)

    def seal(self, n: int = 1) -> None:
        for _ in range(n):
            self.engine.seal_block()

    @property
    def block(self) -> int:
        return self.engine.pending_number

    def register(self, hotkey: bytes, coldkey: bytes = ALICE, netuid: int = 1) -> int:
        self.ok(coldkey, ST, "burned_register", netuid=netuid, hotkey=hotkey)
        return self.get(ST, "Uids", netuid, hotkey)


def make_genesis(**hyper: Any) -> GenesisConfig:
    params = {"Difficulty": 1, "MaxRegistrationsPerBlock": 64, **hyper}
    return GenesisConfig.localnet(subnets=(SubnetConfig(netuid=1, tempo=99, hyperparameters=params),))


@pytest.fixture
def chain() -> Chain:
    return Chain(Engine.open(None, make_genesis()))

"""Axon and dendrite driven by real bt wallets (hotkey signs; coldkeypub is announced)."""

from __future__ import annotations

from pathlib import Path

import bt_llm as bt
from bt_llm.protocol.synapses import TextPrompting


def echo(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = synapse.dendrite.hotkey or ""
    return synapse


async def test_wallets_on_both_ends(tmp_path: Path) -> None:
    miner = bt.wallet(name="miner", path=str(tmp_path))
    miner.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    miner.create_hotkey_from_uri("//Alice//hot", suppress=True)
    validator = bt.wallet(name="validator", path=str(tmp_path))
    validator.create_coldkey_from_uri("//Bob", use_password=False, suppress=True)
    validator.create_hotkey_from_uri("//Bob//hot", suppress=True)

    axon = bt.axon(wallet=miner, port=0).attach(echo)
    info = axon.info()
    assert info.hotkey == miner.hotkey.ss58_address and info.coldkey == miner.coldkeypub.ss58_address
    axon.start()
    try:
        async with bt.dendrite(validator) as dendrite:
            assert await dendrite.forward(axon, TextPrompting(roles=["u"], messages=["x"])) == validator.hotkey.ss58_address
    finally:
        axon.stop()

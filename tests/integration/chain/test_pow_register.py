"""The seed's ``subtensor.register(wallet=wallet, netuid=1)``: proof of work through ``registration``."""

from __future__ import annotations

import pytest

from bt_llm.errors import ExtrinsicFailedError

pytest.importorskip("bt_llm.registration.solver", reason="the registration package's solver is not built")


@pytest.mark.slow
def test_pow_register(subtensor, wallets) -> None:
    bob = wallets["bob"]
    assert subtensor.difficulty(1) <= 1_000_000  # the localnet keeps PoW cheap
    seen = []
    result = subtensor.register(wallet=bob, netuid=1, processes=1, update_interval=20_000, progress=seen.append)
    assert result.included
    uid = subtensor.get_uid_for_hotkey_on_subnet(bob.hotkey.ss58_address, 1)
    assert uid is not None
    assert subtensor.neuron_for_uid(uid, 1).coldkey == bob.coldkeypub.ss58_address
    with pytest.raises(ExtrinsicFailedError) as info:
        subtensor.register(wallet=bob, netuid=1)
    assert info.value.error_name == "AlreadyRegistered"

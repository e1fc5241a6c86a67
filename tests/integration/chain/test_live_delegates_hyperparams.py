"""Delegates and subnet hyperparameters on the live (dynamic-TAO) runtime, end to end through ``Subtensor``.

The finney recording holds no readable answers for these (the bittensor 10 SDK fails on them too, see
``SDK_CANNOT_READ`` in ``tests/interop/test_bt10_replay_parity.py``), so the answers here are made: values of
each runtime API's output type, SCALE-encoded with the spec-343 metadata V15's own type registry, served by the
replay node (the recording, that runtime's V14 and V15 metadata) in a scenario of their own, at the requests the
client must send for them. The
2023 path of the same reads is covered against the localnet (``test_subtensor.py -k delegate``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bt_llm.localnet.replay import METADATA_V15
from bt_llm.scale import ss58_decode
from tests.integration.chain.made_answers import REPLAY_MARKS, replay_with

pytestmark = REPLAY_MARKS

DELEGATE = "5DkzsviNQr4ZePXMmEfNPDcE7cQ9cVyepmQbgUw6YT3odcwh"
OTHER = "5Cf4LPRv6tiyuFsfLRQaFYEEn3zJRGi4bAE9DwbbKmbCSHpV"
OWNER = "5CKhH8nKAhXLmqxwaXzFtVFgxqwwnyckXG8qLpmGtzVJH9Ri"
NOMINATOR = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
NOBODY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

FIRST = {"delegate_ss58": DELEGATE, "take": 11796, "owner_ss58": OWNER,
         "nominators": [(OWNER, [(0, 7 * 10**9), (14, 293_397_769_457_395)]),
                        (NOMINATOR, [(14, 5 * 10**9), (0, 10**9), (3, 12345)])],
         "registrations": [0, 3, 14], "validator_permits": [0, 14],
         "return_per_1000": 1_234_567, "total_daily_return": 987_654_321}
SECOND = {"delegate_ss58": OTHER, "take": 0, "owner_ss58": NOMINATOR, "nominators": [],
          "registrations": [], "validator_permits": [], "return_per_1000": 0, "total_daily_return": 0}
HYPER_V2 = {"rho": 10, "kappa": 32767, "immunity_period": 5000, "min_allowed_weights": 1,
            "max_weights_limit": 65535, "tempo": 360, "min_difficulty": 10**7, "max_difficulty": 2**64 - 1,
            "weights_version": 2013, "weights_rate_limit": 100, "adjustment_interval": 360,
            "activity_cutoff": 5000, "registration_allowed": True, "target_regs_per_interval": 2,
            "min_burn": 500_000, "max_burn": 100 * 10**9, "bonds_moving_avg": 900_000, "max_regs_per_block": 1,
            "serving_rate_limit": 50, "max_validators": 64, "adjustment_alpha": 58000, "difficulty": 10**12,
            "commit_reveal_period": 3, "commit_reveal_weights_enabled": True, "alpha_high": 58982,
            "alpha_low": 45875, "liquid_alpha_enabled": False, "alpha_sigmoid_steepness": {"bits": 10 << 32 | 1 << 31},
            "yuma_version": 3, "subnet_is_active": True, "transfers_enabled": False, "bonds_reset_enabled": False,
            "user_liquidity_enabled": True}


@pytest.fixture(scope="module")
def apis():
    from bt_llm.chain.live import parse_metadata_v15

    return parse_metadata_v15(METADATA_V15.read_text())


def answer(apis, api: str, method: str, value: Any) -> str:
    """``value`` SCALE-encoded as ``api_method``'s V15 output type, as the node's ``state_call`` answers it."""
    _, output = apis.methods[api][method]
    return "0x" + bytes(apis.config.create_scale_object(f"v15::{output}").encode(value).data).hex()


@pytest.fixture(scope="module")
def node(apis):
    netuid = (23).to_bytes(2, "little").hex()
    calls = {
        ("DelegateInfoRuntimeApi_get_delegates", ""): [FIRST, SECOND],
        ("DelegateInfoRuntimeApi_get_delegate", ss58_decode(DELEGATE).hex()): FIRST,
        ("DelegateInfoRuntimeApi_get_delegate", ss58_decode(NOBODY).hex()): None,
        ("DelegateInfoRuntimeApi_get_delegated", ss58_decode(NOMINATOR).hex()): [(FIRST, (14, 5 * 10**9)),
                                                                                 (FIRST, (0, 10**9))],
        ("DelegateInfoRuntimeApi_get_delegated", ss58_decode(NOBODY).hex()): [],
        ("SubnetInfoRuntimeApi_get_subnet_hyperparams_v2", netuid): HYPER_V2,
        ("SubnetInfoRuntimeApi_get_subnet_hyperparams_v2", (99).to_bytes(2, "little").hex()): None,
    }
    state_call = {}
    for (name, args), value in calls.items():
        api, method = name.split("_", 1)
        state_call[json.dumps([name, "0x" + args])] = {"result": answer(apis, api, method, value)}
    with replay_with(state_call) as replay:
        yield replay



def check_first(d) -> None:
    assert (d.hotkey_ss58, d.owner_ss58, d.take) == (DELEGATE, OWNER, 11796 / 65535)
    assert d.nominator_stakes == {OWNER: {0: 7 * 10**9, 14: 293_397_769_457_395},
                                  NOMINATOR: {14: 5 * 10**9, 0: 10**9, 3: 12345}}
    assert d.nominators == [(OWNER, 7 * 10**9 + 293_397_769_457_395), (NOMINATOR, 6 * 10**9 + 12345)]
    assert d.total_stake_by_netuid == {0: 8 * 10**9, 3: 12345, 14: 293_397_769_457_395 + 5 * 10**9}
    assert (d.registrations, d.validator_permits) == ([0, 3, 14], [0, 14])
    assert (d.return_per_1000_rao, d.total_daily_return_rao) == (1_234_567, 987_654_321)


def test_delegates_from_the_runtime_api(sub, node) -> None:
    first, second = sub.get_delegates()
    check_first(first)
    assert first.netuid is None
    assert (second.hotkey_ss58, second.owner_ss58, second.take, second.nominators) == (OTHER, NOMINATOR, 0.0, [])
    assert second.total_stake_rao == 0 and second.total_stake_by_netuid == {}
    assert sub.is_hotkey_delegate(OTHER) and not sub.is_hotkey_delegate(NOBODY)
    sent = [params[0] for _, method, params in node.requests if method == "state_call"]
    assert "DelegateInfoRuntimeApi_get_delegates" in sent
    assert not any(method.startswith("delegateInfo_") for _, method, _ in node.requests)  # no 2023 custom RPC


def test_delegate_by_hotkey(sub) -> None:
    check_first(sub.get_delegate_by_hotkey(DELEGATE))
    assert sub.get_delegate_by_hotkey(NOBODY) is None


def test_delegated_one_entry_per_subnet(sub) -> None:
    rows = sub.get_delegated(NOMINATOR)
    assert [(d.hotkey_ss58, d.netuid, stake.rao) for d, stake in rows] == [(DELEGATE, 14, 5 * 10**9),
                                                                           (DELEGATE, 0, 10**9)]
    check_first(rows[0][0])
    assert sub.get_delegated(NOBODY) == []


def test_hyperparameters_v2(sub, node) -> None:
    hp = sub.get_subnet_hyperparameters(23)
    expected = {**HYPER_V2, "alpha_sigmoid_steepness": 10.5}
    assert hp.to_dict() == expected
    assert hp.max_difficulty == 2**64 - 1 and hp.commit_reveal_weights_enabled is True and hp.yuma_version == 3
    assert sub.get_subnet_hyperparameters(99) is None
    sent = [params[0] for _, method, params in node.requests if method == "state_call"]
    assert "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2" in sent
    assert "SubnetInfoRuntimeApi_get_subnet_hyperparams" not in sent


def test_hyperparameters_v1_leave_the_v2_fields_unset(apis) -> None:
    """A runtime with only ``get_subnet_hyperparams``: its 27 fields, the v2-only ones None."""
    from bt_llm.chain.live import hyperparameters_from_value

    v1 = {k: v for k, v in HYPER_V2.items() if k not in (
        "alpha_sigmoid_steepness", "yuma_version", "subnet_is_active", "transfers_enabled", "bonds_reset_enabled",
        "user_liquidity_enabled")}
    raw = bytes.fromhex(answer(apis, "SubnetInfoRuntimeApi", "get_subnet_hyperparams", v1)[2:])
    hp = hyperparameters_from_value(apis.decode("SubnetInfoRuntimeApi", "get_subnet_hyperparams", raw))
    assert hp.to_dict() == v1
    assert hp.yuma_version is None and hp.alpha_sigmoid_steepness is None and hp.commit_reveal_period == 3

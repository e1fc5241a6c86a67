"""set_weights / serve_axon / serve_prometheus: each named error in the pallet's order, and what is stored."""

from __future__ import annotations

import pytest

from tests.unit.localnet.conftest import ALICE, ST, Chain, acct

V, M1, M2 = acct(1), acct(2), acct(3)  # a validator and two miners


@pytest.fixture
def net(chain: Chain) -> Chain:
    for hk in (V, M1, M2):
        chain.register(hk)
    # give uid 0 a validator permit (as an epoch would)
    chain.engine.state.set(ST, "ValidatorPermit", 1, [True, False, False])
    return chain


def _sw(chain: Chain, signer: bytes = V, **kw: object) -> str | None:
    args = {"netuid": 1, "dests": [1, 2], "weights": [1, 3], "version_key": 0, **kw}
    r = chain.call(signer, ST, "set_weights", **args)
    return None if r.success else r.error[1]


def test_set_weights_stores_max_upscaled_pairs_and_last_update(net: Chain) -> None:
    assert _sw(net) is None
    assert net.get(ST, "Weights", 1, 0) == [(1, 21845), (2, 65535)]
    assert net.get(ST, "LastUpdate", 1)[0] == net.block


def test_weight_vec_not_equal_size(net: Chain) -> None:
    assert _sw(net, weights=[1]) == "WeightVecNotEqualSize"


def test_network_does_not_exist(net: Chain) -> None:
    assert _sw(net, netuid=3) == "NetworkDoesNotExist"


def test_too_many_uids(net: Chain) -> None:
    assert _sw(net, dests=[0, 1, 2, 3], weights=[1, 1, 1, 1]) == "TooManyUids"


def test_not_registered(net: Chain) -> None:
    assert _sw(net, signer=acct(50)) == "NotRegistered"


def test_incorrect_version_key(net: Chain) -> None:
    net.sudo(ST, "sudo_set_weights_version_key", netuid=1, weights_version_key=5)
    assert _sw(net, version_key=4) == "IncorrectNetworkVersionKey"
    assert _sw(net, version_key=5) is None


def test_setting_weights_too_fast(net: Chain) -> None:
    net.sudo(ST, "sudo_set_weights_set_rate_limit", netuid=1, weights_set_rate_limit=3)
    net.seal(3)
    assert _sw(net) is None
    net.seal(2)
    assert _sw(net) == "SettingWeightsTooFast"
    net.seal(1)
    assert _sw(net) is None


def test_no_validator_permit_but_self_weight_is_allowed(net: Chain) -> None:
    assert _sw(net, signer=M1) == "NoValidatorPermit"
    assert _sw(net, signer=M1, dests=[1], weights=[7]) is None


def test_duplicate_uids(net: Chain) -> None:
    assert _sw(net, dests=[1, 1], weights=[1, 1]) == "DuplicateUids"


def test_invalid_uid(net: Chain) -> None:
    assert _sw(net, dests=[1, 9], weights=[1, 1]) == "InvalidUid"


def test_not_setting_enough_weights(net: Chain) -> None:
    net.sudo(ST, "sudo_set_min_allowed_weights", netuid=1, min_allowed_weights=3)
    assert _sw(net) == "NotSettingEnoughWeights"


def test_max_weight_exceeded(net: Chain) -> None:
    net.sudo(ST, "sudo_set_max_weight_limit", netuid=1, max_weight_limit=40000)
    assert _sw(net) == "MaxWeightExceeded"  # 3/4 of the weight on one uid > 40000/65535
    assert _sw(net, weights=[1, 1]) is None


# ----------------------------------------------------------------------------- serving

LOCAL = 0x7F000001


def _axon(chain: Chain, signer: bytes = V, **kw: object) -> str | None:
    args = {
        "netuid": 1,
        "version": 1,
        "ip": LOCAL,
        "port": 8091,
        "ip_type": 4,
        "protocol": 4,
        "placeholder1": 0,
        "placeholder2": 0,
        **kw,
    }
    r = chain.call(signer, ST, "serve_axon", **args)
    return None if r.success else r.error[1]


def test_serve_axon_stores_the_axon_and_accepts_loopback(net: Chain) -> None:
    assert _axon(net) is None
    axon = net.get(ST, "Axons", 1, V)
    assert axon["ip"] == LOCAL and axon["port"] == 8091 and axon["block"] == net.block
    assert net.engine.neurons_lite(1) == []  # readers answer for sealed blocks
    net.seal()
    assert net.engine.neurons_lite(1)[0]["axon_info"]["port"] == 8091


def test_serve_axon_errors_in_order(net: Chain) -> None:
    assert _axon(net, signer=acct(60)) == "NotRegistered"
    assert _axon(net, ip_type=5) == "InvalidIpType"
    assert _axon(net, ip=0) == "InvalidIpAddress"
    assert _axon(net, ip=2**32 - 1) == "InvalidIpAddress"
    assert _axon(net, port=0) == "InvalidPort"
    net.sudo(ST, "sudo_set_serving_rate_limit", netuid=1, serving_rate_limit=2)
    assert _axon(net) is None
    net.seal(1)
    assert _axon(net) == "ServingRateLimitExceeded"
    net.seal(1)
    assert _axon(net) is None


def test_serve_prometheus(net: Chain) -> None:
    r = net.call(V, ST, "serve_prometheus", netuid=1, version=1, ip=LOCAL, port=0, ip_type=4)
    assert r.error == (ST, "InvalidPort")
    net.ok(V, ST, "serve_prometheus", netuid=1, version=1, ip=LOCAL, port=9100, ip_type=4)
    assert net.get(ST, "Prometheus", 1, V)["port"] == 9100
    r = net.call(acct(61), ST, "serve_prometheus", netuid=1, version=1, ip=LOCAL, port=1, ip_type=4)
    assert r.error == (ST, "NotRegistered")


def test_alice_is_untouched_by_free_subtensor_calls(net: Chain) -> None:
    before = net.get("System", "Account", ALICE)["data"]["free"]
    r = net.call(ALICE, ST, "become_delegate", hotkey=V)
    assert r.success and r.fee == 0
    assert net.get("System", "Account", ALICE)["data"]["free"] == before

"""Runs under ``.interop-venv-bt10`` (bittensor 10.0.0): each recorded SDK method against a replay node.

Usage: ``python bt10_replay_driver.py BASE_URL [SCENARIO ...]``; prints one JSON line
``{scenario: {"value": ...} | {"error": "..."}}``. Values are made JSON-plain: a ``Balance`` becomes
its rao, dataclasses their fields, numpy/torch arrays lists.
"""

from __future__ import annotations

import dataclasses
import json
import sys

HOTKEY = "5DkzsviNQr4ZePXMmEfNPDcE7cQ9cVyepmQbgUw6YT3odcwh"
HOTKEY_14 = "5Cf4LPRv6tiyuFsfLRQaFYEEn3zJRGi4bAE9DwbbKmbCSHpV"
BALANCE_OWNER = "5CUkpcUWSSMKMdNUW23sfUke6WCkoYXixR4CPBDCLpvxLmSi"

# scenario -> the SDK call recorded in it (arguments read from the recorded storage keys and params)
CALLS = {
    "blocks_since_last_update": lambda s: s.blocks_since_last_update(1, 0),
    "bonds": lambda s: s.bonds(23),
    "difficulty": lambda s: s.difficulty(23),
    "get_all_subnets_info": lambda s: s.get_all_subnets_info(),
    "get_balance": lambda s: s.get_balance(BALANCE_OWNER),
    "get_block_hash": lambda s: s.get_block_hash(6522038),
    "get_current_block": lambda s: s.get_current_block(),
    "get_delegate_take": lambda s: s.get_delegate_take(HOTKEY),
    "get_existential_deposit": lambda s: s.get_existential_deposit(),
    "get_netuids_for_hotkey": lambda s: s.get_netuids_for_hotkey(HOTKEY_14),
    "get_neuron_for_pubkey_and_subnet": lambda s: s.get_neuron_for_pubkey_and_subnet(HOTKEY_14, 14),
    "get_subnet_burn_cost": lambda s: s.get_subnet_burn_cost(),
    "get_subnet_hyperparameters": lambda s: s.get_subnet_hyperparameters(23),
    "get_all_subnets_netuid": lambda s: s.get_all_subnets_netuid(),
    "get_total_subnets": lambda s: s.get_total_subnets(),
    "get_uid_for_hotkey_on_subnet": lambda s: s.get_uid_for_hotkey_on_subnet(HOTKEY, 23),
    "immunity_period": lambda s: s.immunity_period(23),
    "is_hotkey_registered": lambda s: s.is_hotkey_registered(HOTKEY_14),
    "is_hotkey_registered_any": lambda s: s.is_hotkey_registered_any(HOTKEY_14),
    "is_hotkey_registered_on_subnet": lambda s: s.is_hotkey_registered_on_subnet(HOTKEY_14, 14),
    "max_weight_limit": lambda s: s.max_weight_limit(23),
    "metagraph": lambda s: s.metagraph(1),
    "min_allowed_weights": lambda s: s.min_allowed_weights(23),
    "neurons": lambda s: s.neurons(23),
    "neurons_lite": lambda s: s.neurons_lite(23),
    "recycle": lambda s: s.recycle(23),
    "subnet_exists": lambda s: s.subnet_exists(23),
    "subnetwork_n": lambda s: s.subnetwork_n(1),
    "tempo": lambda s: s.tempo(23),
    "weights": lambda s: s.weights(23),
    "get_commitment": lambda s: s.get_commitment(23, 5),
    "get_prometheus_info": lambda s: s.get_prometheus_info(23, HOTKEY),
    "get_transfer_fee": lambda s: s.get_transfer_fee(
        type("W", (), {"coldkeypub": type("K", (), {"ss58_address": BALANCE_OWNER})()})(), HOTKEY, 1.0),
    "get_delegate_by_hotkey": lambda s: s.get_delegate_by_hotkey(HOTKEY),
    "neuron_for_uid": lambda s: s.neuron_for_uid(5, 23),
}


def plain(value, depth=0):
    from bittensor.utils.balance import Balance

    if isinstance(value, Balance):
        return {"rao": int(value.rao)}
    if hasattr(value, "tolist"):
        return plain(value.tolist(), depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if type(value).__name__ == "Metagraph":
        return {"n": int(value.n.item()), "netuid": int(value.netuid), "block": int(value.block.item()),
                "hotkeys": list(value.hotkeys), "coldkeys": list(value.coldkeys),
                "stake": plain(value.S), "alpha_stake": plain(value.alpha_stake), "tao_stake": plain(value.tao_stake),
                "ranks": plain(value.R), "incentive": plain(value.I), "emission": plain(value.E),
                "dividends": plain(value.D), "consensus": plain(value.C), "trust": plain(value.T),
                "validator_trust": plain(value.Tv), "last_update": plain(value.last_update),
                "validator_permit": plain(value.validator_permit), "active": plain(value.active),
                "uids": plain(value.uids), "axons": [plain(a) for a in value.axons]}
    return repr(value)


def main() -> None:
    import bittensor as bt


    base = sys.argv[1].rstrip("/")
    names = sys.argv[2:] or list(CALLS)
    out = {}
    sub = None
    for name in names:
        try:
            url = f"{base}/{name}"
            if sub is None:
                sub = bt.Subtensor(network=url)
            else:  # the same client on the next scenario's replay URL: its decoded runtime is reused
                substrate = sub.substrate  # (decoding the metadata again costs seconds per scenario)
                substrate.ws.close()
                substrate.chain_endpoint = substrate.url = url
                substrate.ws = substrate.connect(init=True)
            out[name] = {"value": plain(CALLS[name](sub))}
        except Exception as exc:  # each method's failure is reported, not raised
            out[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

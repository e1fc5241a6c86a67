"""Plain-dict chain values for tests, encodable with ``scale_types.encode``."""

from __future__ import annotations

import hashlib

from bt_llm.chain.scale import ss58_encode


def key(seed: str) -> bytes:
    return hashlib.blake2b(seed.encode(), digest_size=32).digest()


def hexkey(seed: str) -> str:
    return "0x" + key(seed).hex()


def address(seed: str) -> str:
    return ss58_encode(key(seed))


def neuron(uid: int, netuid: int = 1, *, full: bool = False, n: int = 8) -> dict:
    value = {
        "hotkey": hexkey(f"hot{uid}"), "coldkey": hexkey(f"cold{uid % 3}"), "uid": uid, "netuid": netuid,
        "active": uid % 2 == 0,
        "axon_info": {"block": 10 + uid, "version": 724, "ip": 2130706433, "port": 8091 + uid, "ip_type": 4,
                      "protocol": 4, "placeholder1": 0, "placeholder2": 0},
        "prometheus_info": {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0},
        "stake": [(hexkey(f"cold{uid % 3}"), 1_000_000_000 * (uid + 1)), (hexkey("nominator"), 500)],
        "rank": 100 * uid, "emission": 123_456_789 * uid, "incentive": 65535 if uid == 0 else uid,
        "consensus": 2 * uid, "trust": 3 * uid, "validator_trust": 4 * uid, "dividends": 5 * uid,
        "last_update": 1000 + uid, "validator_permit": uid < 4,
    }
    if full:
        value["weights"] = [((uid + 1) % n, 65535), (uid, 1000)]
        value["bonds"] = [((uid + 2) % n, 7 * uid)]
    value["pruning_score"] = 65535 - uid
    return value

"""Signed extrinsics for the live runtime (spec 343, dynamic TAO), built by the client against a replay node
that serves finney's metadata: each decodes back to the intended call, carries the runtime's signed
extensions (the list in the metadata) and a valid sr25519 signature over the payload the runtime checks."""

from __future__ import annotations

import hashlib

import pytest
from scalecodec.base import ScaleBytes
from substrateinterface import Keypair

from bt_llm.localnet.replay import ReplayNode
from tests.integration.chain.made_answers import REPLAY_MARKS

pytestmark = REPLAY_MARKS

SCENARIO = "metagraph"  # recorded at spec 343, the metadata's own version
# CheckMortality and CheckNonce, ChargeTransactionPayment carry data; CheckMetadataHash a mode byte
EXPECTED_EXTENSIONS = ["CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality",
                       "CheckNonce", "CheckWeight", "ChargeTransactionPayment", "SubtensorTransactionExtension",
                       "DrandPriority", "CheckMetadataHash"]


class Wallet:
    coldkey = coldkeypub = Keypair.create_from_uri("//Alice")
    hotkey = Keypair.create_from_uri("//Alice//hot")


@pytest.fixture(scope="module")
def chain():
    from bt_llm.chain.subtensor import Subtensor

    with ReplayNode.from_fixtures(absent_storage=True) as node:
        sub = Subtensor("finney", chain_endpoint=node.url(SCENARIO))
        assert sub.runtime_profile.is_dynamic_tao
        yield sub, node
        sub.close()


def submitted(chain, action) -> tuple[dict, bytes]:
    sub, node = chain
    before = len(node.submitted)
    result = action(sub)
    assert result is not None and not result.included
    (hex_xt,) = node.submitted[before:]
    decoded = sub.connection.run(
        lambda substrate: substrate.create_scale_object("Extrinsic", data=ScaleBytes(hex_xt)).decode())
    return decoded, bytes.fromhex(hex_xt[2:])


def verify(chain, raw: bytes, signer: Keypair) -> None:
    """Parse the signed extrinsic by hand against the metadata's signed extensions and check the signature."""
    sub, node = chain

    def context(substrate):
        ext = substrate.metadata.value[1]["V14"]["extrinsic"]
        return ext["signed_extensions"], substrate.runtime_config, int(substrate.runtime_version), \
            int(substrate.transaction_version)

    extensions, config, spec, tx_version = sub.connection.run(context)
    assert [e["identifier"] for e in extensions] == EXPECTED_EXTENSIONS
    reader = ScaleBytes(raw)
    length_obj = config.create_scale_object("Compact<u32>", reader)
    assert length_obj.decode(check_remaining=False) == len(raw) - reader.offset
    body = raw[reader.offset:]
    assert body[0] == 0x84  # signed, version 4
    assert body[1] == 0 and body[2:34] == signer.public_key  # MultiAddress::Id
    assert body[34] == 1  # MultiSignature::Sr25519
    signature, rest = body[35:99], ScaleBytes(body[99:])
    for ext in extensions:  # each extension's extra, typed by the metadata
        config.create_scale_object(f"scale_info::{ext['ty']}", rest).decode(check_remaining=False)
    extra, call = body[99:99 + rest.offset], body[99 + rest.offset:]
    scenario = node.scenarios[SCENARIO]
    genesis = bytes.fromhex(node.answer(scenario, "chain_getBlockHash", [0])["result"][2:])
    candidates = [genesis] + [bytes.fromhex(str(node.answer(scenario, "chain_getBlockHash", [p[0]])["result"])[2:])
                              for _, m, p in node.requests if m == "chain_getBlockHash" and p and p[0]]
    for era_hash in candidates:  # CheckMortality signs the era's birth block (genesis when immortal)
        additional = spec.to_bytes(4, "little") + tx_version.to_bytes(4, "little") + genesis + era_hash + b"\x00"
        payload = call + extra + additional
        if len(payload) > 256:
            payload = hashlib.blake2b(payload, digest_size=32).digest()
        if signer.verify(payload, signature):
            return
    raise AssertionError("no valid signature over call + extensions + (spec, tx version, genesis, era, no metadata hash)")


def args_of(decoded: dict) -> dict:
    return {a["name"]: a["value"] for a in decoded["call"]["call_args"]}


def test_transfer(chain) -> None:
    dest = Keypair.create_from_uri("//Bob")
    decoded, raw = submitted(chain, lambda s: s.transfer(Wallet(), dest.ss58_address, 1.5, wait_for_inclusion=False))
    assert (decoded["call"]["call_module"], decoded["call"]["call_function"]) == ("Balances", "transfer_keep_alive")
    assert args_of(decoded)["value"] == 1_500_000_000
    assert args_of(decoded)["dest"] in (dest.ss58_address, "0x" + dest.public_key.hex(), {"Id": dest.ss58_address})
    verify(chain, raw, Wallet.coldkey)


def test_add_and_remove_stake_on_a_subnet(chain) -> None:
    decoded, raw = submitted(chain, lambda s: s.add_stake(Wallet(), 2, netuid=1, wait_for_inclusion=False))
    assert decoded["call"]["call_function"] == "add_stake"
    assert args_of(decoded) == {"hotkey": Wallet.hotkey.ss58_address, "netuid": 1, "amount_staked": 2 * 10**9}
    verify(chain, raw, Wallet.coldkey)
    decoded, raw = submitted(chain, lambda s: s.unstake(Wallet(), 0.5, netuid=1, wait_for_inclusion=False))
    assert decoded["call"]["call_function"] == "remove_stake"
    assert args_of(decoded) == {"hotkey": Wallet.hotkey.ss58_address, "netuid": 1, "amount_unstaked": 5 * 10**8}
    verify(chain, raw, Wallet.coldkey)


def test_staking_without_a_netuid_is_refused_on_dynamic_tao(chain) -> None:
    from bt_llm.errors import ConfigError

    with pytest.raises(ConfigError, match=r"stakes per subnet.*needs a netuid"):
        chain[0].add_stake(Wallet(), 1, wait_for_inclusion=False)


def test_burned_register_and_serve_axon(chain) -> None:
    decoded, raw = submitted(chain, lambda s: s.burned_register(Wallet(), 1, wait_for_finalization=False))
    assert decoded["call"]["call_function"] == "burned_register"
    assert args_of(decoded) == {"netuid": 1, "hotkey": Wallet.hotkey.ss58_address}
    verify(chain, raw, Wallet.coldkey)
    decoded, raw = submitted(chain, lambda s: s.serve_axon(1, wallet=Wallet(), ip="8.8.4.4", port=8091,
                                                            wait_for_finalization=False))
    assert decoded["call"]["call_function"] == "serve_axon"
    args = args_of(decoded)
    assert (args["netuid"], args["ip"], args["port"], args["ip_type"]) == (1, 0x08080404, 8091, 4)
    verify(chain, raw, Wallet.hotkey)


def set_storage(sub, node: ReplayNode, item: str, params: list, value_hex: str) -> None:
    """Add one storage value to the replayed scenario."""
    from bt_llm.localnet.replay import Scenario

    key = sub.connection.run(lambda s: s.create_storage_key("SubtensorModule", item, params).to_hex())
    records = {m: dict(v) for m, v in node.scenarios[SCENARIO].records.items()}
    records.setdefault("state_getStorageAt", {})[f'["{key}"]'] = {"result": value_hex}
    node.scenarios[SCENARIO] = Scenario(SCENARIO, records)


def test_set_weights_mortal(chain) -> None:
    set_storage(*chain, "CommitRevealWeightsEnabled", [1], "0x00")  # the runtime's default is on
    decoded, raw = submitted(chain, lambda s: s.set_weights(Wallet(), 1, [0, 3, 7], [0.5, 0.25, 0.0]))
    assert decoded["call"]["call_function"] == "set_weights"
    assert args_of(decoded) == {"netuid": 1, "dests": [0, 3], "weights": [65535, 32768], "version_key": 0}
    assert decoded["era"] != "00"  # mortal
    verify(chain, raw, Wallet.hotkey)


def test_set_weights_where_commit_reveal_is_required_says_so() -> None:
    from bt_llm.chain.subtensor import Subtensor
    from bt_llm.errors import UnsupportedFeatureError

    with ReplayNode.from_fixtures(absent_storage=True) as node:
        sub = Subtensor("finney", chain_endpoint=node.url(SCENARIO))
        set_storage(sub, node, "CommitRevealWeightsEnabled", [1], "0x01")
        assert sub.commit_reveal_enabled(1)
        with pytest.raises(UnsupportedFeatureError, match=r"subnet 1 requires commit-reveal.*not supported"):
            sub.set_weights(Wallet(), 1, [0], [1.0])
        assert not node.submitted
        sub.close()

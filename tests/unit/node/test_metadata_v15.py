"""Metadata V15 (runtime APIs): our encoding, checked with the V15 structures against finney's blob."""

from __future__ import annotations

from pathlib import Path

import pytest
from scalecodec.base import ScaleBytes

from bt_llm.localnet.node.extrinsic import read_compact
from bt_llm.localnet.node.metadata_v15 import RUNTIME_APIS, v15_config
from bt_llm.localnet.node.runtime import runtime

FIXTURE = "/work/shared/fixtures/subtensor-metadata/spec343-v15-at-version.hex"


def test_our_v15_lists_the_runtime_apis_with_typed_inputs() -> None:
    data = runtime().metadata_v15
    assert data[:5] == b"meta\x0f"
    value = v15_config().create_scale_object("OpaqueMetadataV15", ScaleBytes(data)).decode()
    v15 = value[2]
    apis = {api["name"]: api for api in v15["apis"]}
    assert set(apis) == {name for name, _ in RUNTIME_APIS}
    types = {t["id"]: t["type"] for t in v15["types"]["types"]}
    (lite,) = [m for m in apis["NeuronInfoRuntimeApi"]["methods"] if m["name"] == "get_neurons_lite"]
    assert [(p["name"], types[p["type"]]["def"]) for p in lite["inputs"]] == [("netuid", {"primitive": "u16"})]
    nonce = apis["AccountNonceApi"]["methods"][0]
    assert types[nonce["inputs"][0]["type"]]["path"] == ["sp_core", "crypto", "AccountId32"]
    outer = v15["outer_enums"]
    assert types[outer["call_type"]]["path"][-1] == "RuntimeCall"
    assert types[outer["error_type"]]["path"][-1] == "RuntimeError"
    assert [p["name"] for p in v15["pallets"]] == [p["name"] for p in runtime().metadata.value[1]["V14"]["pallets"]]


@pytest.mark.slow
def test_v15_structures_round_trip_finneys_metadata() -> None:
    raw = bytes.fromhex(Path(FIXTURE).read_text().strip().removeprefix("0x"))
    assert raw[0] == 1  # Option::Some
    length, offset = read_compact(raw, 1)
    inner = raw[offset:offset + length]
    config = v15_config()
    value = config.create_scale_object("OpaqueMetadataV15", ScaleBytes(inner)).decode()
    assert "NeuronInfoRuntimeApi" in {api["name"] for api in value[2]["apis"]}
    assert bytes(config.create_scale_object("OpaqueMetadataV15").encode(value).data) == inner

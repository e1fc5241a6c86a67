"""A replay node that serves answers a test made (encoded with the spec-343 registry) beside the finney
recording, and a finney client of it: for what the recording holds in an older form or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bt_llm.localnet.replay import METADATA_V14, METADATA_V15, RECORDING, ReplayNode

REPLAY_MARKS = [pytest.mark.slow, pytest.mark.heavy, pytest.mark.skipif(
    not (RECORDING.exists() and METADATA_V14.exists() and METADATA_V15.exists()),
    reason="the finney recording or metadata fixtures are absent")]
"""The marks of every test module that replays the finney recording (its ``pytestmark``)."""


@contextmanager
def replay_with(state_call: dict[str, Any]) -> Iterator[ReplayNode]:
    """The recording (its rpc_methods, runtime version ...) plus a scenario "made" of ``state_call`` answers."""
    recording = {**json.loads(RECORDING.read_text()), "made": {"state_call": state_call}}
    with ReplayNode(recording, METADATA_V14.read_text(), METADATA_V15.read_text(), scenario="made") as replay:
        yield replay


@contextmanager
def finney_client(node: ReplayNode) -> Iterator[Any]:
    from bt_llm.chain.subtensor import Subtensor

    with Subtensor("finney", chain_endpoint=node.url()) as client:
        assert client.runtime_profile.is_dynamic_tao
        yield client

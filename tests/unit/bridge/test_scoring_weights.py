"""Scorers and weight computation."""

from __future__ import annotations

import pytest

from bt_llm.bridge.backend import MinerAnswer, PromptSpec
from bt_llm.bridge.scoring import EmbeddingScorer, LexicalScorer
from bt_llm.bridge.weights import ScoreBook, WeightRules, compute_weights

PROMPT = PromptSpec(roles=("system", "user"), messages=("be brief", "What is the capital of Texas?"))


def answer(uid: int, text: str, status: int = 200) -> MinerAnswer:
    return MinerAnswer(uid=uid, hotkey=f"hk{uid}", completion=text, latency_s=0.1, status_code=status)


@pytest.mark.parametrize("scorer", [LexicalScorer()])
def test_good_answers_beat_bad_ones(scorer: LexicalScorer) -> None:
    answers = [
        answer(0, "The capital of Texas is Austin."),
        answer(1, "Austin is the capital of Texas."),
        answer(2, "I'm sorry, I cannot help with that."),
        answer(3, ""),
        answer(4, "The capital of Texas is Austin.", status=408),
        answer(5, "purple monkey dishwasher"),
    ]
    scores = scorer.score(PROMPT, answers)
    assert scores[3] == 0.0 and scores[4] == 0.0
    assert min(scores[0], scores[1]) > scores[5] > 0.0
    assert scores[0] > scores[2]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_embedding_scorer_uses_cosine() -> None:
    table = {"What is the capital of Texas?": [1.0, 0.0], "Austin": [0.9, 0.1], "Austin, TX": [0.95, 0.05],
             "bananas": [0.0, 1.0]}
    scorer = EmbeddingScorer(lambda texts: [table[t] for t in texts])
    scores = scorer.score(PROMPT, [answer(0, "Austin"), answer(1, "Austin, TX"), answer(2, "bananas")])
    assert min(scores[0], scores[1]) > 0.7 > 0.2 > scores[2]


def test_score_book_moving_average() -> None:
    book = ScoreBook(alpha=0.5)
    book.update(1, 1.0)
    book.update(1, 0.0)
    book.update(2, 0.4)
    assert book.snapshot() == {1: 0.5, 2: 0.4}
    book.forget({1})
    assert book.snapshot() == {2: 0.4}


def test_weights_normalised_capped_and_padded() -> None:
    uids, weights = compute_weights({0: 3.0, 2: 1.0, 7: 0.0}, n=5, rules=WeightRules(min_allowed_weights=3))
    assert uids == [0, 1, 2] and weights == [0.75, 0.0, 0.25]
    uids, weights = compute_weights({0: 9.0, 1: 1.0, 2: 1.0}, n=3,
                                    rules=WeightRules(max_weight_limit=65535 // 2))
    assert max(weights) <= 0.5 + 1e-9 and abs(sum(weights) - 1.0) < 1e-9
    assert compute_weights({}, n=3, rules=WeightRules()) == ([], [])

"""Reward models: score miners' answers to one prompt, each in [0, 1].

The default (:class:`EmbeddingScorer`) embeds the prompt and the answers with a sentence-embedding
model and rewards relevance to the prompt and agreement with the other answers. Empty, refused and
failed answers are penalised. :class:`LexicalScorer` does the same with word overlap and needs no
model; it is used when the embedding model is not installed. Both are pluggable through
:class:`Scorer`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from bt_llm.bridge.backend import MinerAnswer, PromptSpec

REFUSAL = re.compile(r"^\s*(i'?m sorry|i cannot|i can'?t|as an ai\b|i am unable|i'm unable)", re.IGNORECASE)
REFUSAL_FACTOR = 0.3
RELEVANCE_WEIGHT = 0.5


Job = tuple[PromptSpec, Sequence[MinerAnswer]]


class Scorer(Protocol):
    """Scores each answer to one prompt in [0, 1] (a plug-in: this is all a scorer must do)."""

    def score(self, prompt: PromptSpec, answers: Sequence[MinerAnswer]) -> list[float]: ...


@runtime_checkable
class BatchScorer(Scorer, Protocol):
    """A scorer that also scores many prompts' answers at once (one embedding batch)."""

    def score_many(self, jobs: Sequence[Job]) -> list[list[float]]: ...


@runtime_checkable
class InlineScorer(Scorer, Protocol):
    """A scorer that says whether it blocks: ``blocking = False`` (model-free) may run on the event loop."""

    blocking: bool


def score_jobs(scorer: Scorer, jobs: Sequence[Job]) -> list[list[float]]:
    """Each job's scores: in one batch when the scorer can."""
    if isinstance(scorer, BatchScorer):
        return scorer.score_many(jobs)
    return [scorer.score(prompt, answers) for prompt, answers in jobs]


INLINE_MAX_ANSWERS = 8


def scores_inline(scorer: Scorer, answers: int) -> bool:
    """Whether scoring ``answers`` answers is cheap enough to run on the event loop (no thread hop).

    A scorer says so with ``blocking = False`` (a model-free one); its cost grows with the square of
    the answers, so only small sets qualify (8 lexical answers: about 0.1 ms).
    """
    return isinstance(scorer, InlineScorer) and not scorer.blocking and answers <= INLINE_MAX_ANSWERS


def _penalise(answer: MinerAnswer, raw: float) -> float:
    if not answer.useful:  # failed, rejected (off the requested schema) or empty
        return 0.0
    value = min(1.0, max(0.0, raw))
    return value * REFUSAL_FACTOR if REFUSAL.match(answer.text) else value


def _combine(relevance: list[float], similarity: list[list[float]], answers: Sequence[MinerAnswer]) -> list[float]:
    good = [i for i, a in enumerate(answers) if a.useful]
    scores = []
    for i, answer in enumerate(answers):
        others = [similarity[i][j] for j in good if j != i]
        agreement = sum(others) / len(others) if others else relevance[i]
        raw = RELEVANCE_WEIGHT * relevance[i] + (1 - RELEVANCE_WEIGHT) * agreement
        scores.append(_penalise(answer, raw))
    return scores


def _prompt_text(prompt: PromptSpec) -> str:
    users = [m for r, m in zip(prompt.roles, prompt.messages, strict=False) if r == "user"]
    return users[-1] if users else (prompt.messages[-1] if prompt.messages else "")


class LexicalScorer:
    """Relevance and agreement by word-set overlap (Jaccard); no model needed."""

    blocking = False  # pure Python on a few words: cheap enough for the event loop (see scores_inline)

    @staticmethod
    def _words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.lower()))

    def score(self, prompt: PromptSpec, answers: Sequence[MinerAnswer]) -> list[float]:
        words = [self._words(a.text) for a in answers]
        asked = self._words(_prompt_text(prompt))

        def jaccard(a: set[str], b: set[str]) -> float:
            return len(a & b) / len(a | b) if a and b else 0.0

        # An answer that shares no word with the prompt may still be right: floor relevance at 0.2.
        relevance = [0.2 + 0.8 * jaccard(asked, w) for w in words]
        similarity = [[jaccard(a, b) for b in words] for a in words]
        return _combine(relevance, similarity, answers)


class EmbeddingScorer:
    """Cosine relevance and agreement of sentence embeddings (all-MiniLM-L6-v2 by default)."""

    def __init__(self, embed: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed = embed

    def score(self, prompt: PromptSpec, answers: Sequence[MinerAnswer]) -> list[float]:
        return self.score_many([(prompt, answers)])[0]

    def score_many(self, jobs: Sequence[tuple[PromptSpec, Sequence[MinerAnswer]]]) -> list[list[float]]:
        """Score several prompts' answers with one embedding call (the model runs one batch, not one
        per prompt: the bridge scores everything that waited in one go)."""
        texts: list[str] = []
        for prompt, answers in jobs:
            if answers:
                texts += [_prompt_text(prompt)] + [a.text or " " for a in answers]
        vectors = self._embed(texts) if texts else []
        out, at = [], 0
        for _, answers in jobs:
            if not answers:
                out.append([])
                continue
            out.append(self._from_vectors(vectors[at:at + 1 + len(answers)], answers))
            at += 1 + len(answers)
        return out

    @staticmethod
    def _from_vectors(vectors: list[list[float]], answers: Sequence[MinerAnswer]) -> list[float]:
        def cosine(a: list[float], b: list[float]) -> float:
            dot = sum(x * y for x, y in zip(a, b, strict=True))
            norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
            return dot / norm if norm else 0.0

        asked, rest = vectors[0], vectors[1:]
        relevance = [max(0.0, cosine(asked, v)) for v in rest]
        similarity = [[max(0.0, cosine(a, b)) for b in rest] for a in rest]
        return _combine(relevance, similarity, answers)


def default_scorer() -> Scorer:
    """The embedding scorer when its model is installed, else the lexical one."""
    try:
        from bt_llm.models.embedding import default_embedder
    except ImportError:
        return LexicalScorer()
    try:
        embedder = default_embedder()
    except Exception:  # the model package is absent or unreadable: fall back, the bridge still works
        return LexicalScorer()
    return EmbeddingScorer(embedder.embed)

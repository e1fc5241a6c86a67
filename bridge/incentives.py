"""Scores that reward work: verified correctness first, then completeness, then speed.

:class:`WorkScorer` is the bridge's :class:`~bridge.scoring.Scorer`. For each answer:

- **correctness**: when the miner's signed claim names a model this validator holds, a sample of its
  answers is recomputed (:mod:`bridge.verification`): every answer of a miner until its last
  ``first_checks`` checks passed (a new miner, and one on probation after a failure), every answer to
  the validator's own challenges, and ``rate`` of the rest (miners cannot tell which). A pass counts 1;
  an answer not checked counts the miner's record of passes (a moving average); a failure counts 0
  and zeroes the miner's record, and a second failure within its last 10 checks zeroes its score for
  ``penalty_seconds``, its running average included (``on_penalty``): weights set while it is
  penalized give it nothing, whatever it earned before. A miner saying it stopped where the model
  would go on fails like a wrong token (:mod:`bridge.verification`). An answer the verifier cannot
  recompute from the model alone (a grammar constrained it, or the conversation holds tool calls:
  ``PromptSpec.checkable``) counts the miner's record, like an answer not sampled. An answer whose
  claim cannot be checked (no claim, a model the validator does not hold, not verifiable) is scored
  on the other signals only (the quality scorer's relevance and agreement), times
  ``unverified_weight``: words that no one checked are worth little on a subnet that verifies (set
  it to 1 to score unverifiable models on their words alone).
- **completeness**: a checked answer that stops where the model would go on (or says it was cut to
  answer in time) counts 0; an unchecked one counts the miner's record of complete answers.
- **speed**: tokens per second against the fastest answer to the same prompt, weighing
  ``speed_weight`` (0.2) of the score: two honest miners of one model stay within 20% of each other.

``score = correctness * completeness * (1 - speed_weight + speed_weight * speed)``; failed and empty
answers score 0 (availability). The bridge keeps the running average (``ScoreBook``) and sets it as
weights. Bridge-side failures and prompts that every miner refused never reach here as scores
(``NetworkBackend._record``).
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bt_llm.bridge.backend import MinerAnswer, PromptSpec
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.scoring import Scorer, score_jobs
from bt_llm.bridge.verification import Verdict, Verifier
from bt_llm.tokens import count_tokens

__all__ = ["MinerRecord", "WorkScorer"]

RECENT_CHECKS, PENALTY_AFTER = 10, 2
"""A failed check zeroes that answer and the miner's trust; a second one within its last 10 checks
zeroes the miner for ``penalty_seconds``. One failure alone can be an honest miner's bad luck (its
int8 weights against the validator's fp32 copy, at a near tie); a miner that games fails again."""
DECAY = 0.98  # per check: the running test remembers about the last 50 sampled answers
UNTRUSTED = 0.5  # a verifiable miner's record before its first check (its first answers are all checked)


@dataclass
class MinerRecord:
    """What the validator knows of one miner (per uid and hotkey)."""

    hotkey: str
    checks: int = 0
    passes: int = 0
    failures: int = 0
    trust: float | None = None  # moving average of passed checks
    completeness: float | None = None  # moving average of complete checked answers
    penalized_until: float = 0.0  # time.monotonic()
    excess: float = 0.0  # sampled answers' Σ(surprise - entropy), decaying: the running test
    spread: float = 0.0  # its variance under honest sampling
    model: str | None = None
    last_verdict: str = ""
    last_failure: str = ""
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=RECENT_CHECKS))  # failed, per check
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def streak(self) -> int:
        """Checks passed in a row since the last failure (within the last ``RECENT_CHECKS``): under
        ``first_checks``, every answer is checked."""
        passed = 0
        for failed in reversed(self.recent):
            if failed:
                break
            passed += 1
        return passed


class WorkScorer:
    """See the module docstring; ``quality`` scores unverifiable answers (and is the tie-breaker nowhere else)."""

    blocking = True  # verification runs a model: never on the event loop

    def __init__(self, verifier: Verifier, quality: Scorer, *, rate: float = 0.1, first_checks: int = 3,
                 penalty_seconds: float = 600.0, unverified_weight: float = 0.02, speed_weight: float = 0.2,
                 alpha: float = 0.3, budget: float = 0.25, metrics: BridgeMetrics | None = None,
                 seed: int | None = None, on_penalty: Callable[[int], None] | None = None) -> None:
        self.verifier = verifier
        self.on_penalty = on_penalty  # called with the uid when a miner is penalized (the bridge zeroes its average)
        self.quality = quality
        if not 0 <= first_checks <= RECENT_CHECKS:  # a streak is counted within the recent checks
            raise ValueError(f"first_checks must be within 0..{RECENT_CHECKS}, got {first_checks}")
        self.rate, self.first_checks, self.penalty_seconds = rate, first_checks, penalty_seconds
        self.unverified_weight, self.speed_weight, self.alpha = unverified_weight, speed_weight, alpha
        self.metrics = metrics
        self.records: dict[int, MinerRecord] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.checked = self.answers = 0  # for the share of traffic verified
        self.check_seconds = 0.0
        # Sampled checks spend at most ``budget`` seconds per second (a token bucket, 10 s deep): one
        # check of SmolLM2-135M over ~80 tokens takes ~0.3 s on 2 cores, so under heavy traffic the
        # sampled share falls while first checks and challenges are always made.
        self.budget = budget
        self._bucket, self._refilled = 10 * budget, time.monotonic()

    def score(self, prompt: PromptSpec, answers: Sequence[MinerAnswer]) -> list[float]:
        return self.score_many([(prompt, answers)])[0]

    def score_many(self, jobs: Sequence[tuple[PromptSpec, Sequence[MinerAnswer]]]) -> list[list[float]]:
        quality = score_jobs(self.quality, jobs)
        return [self._job(prompt, answers, words) for (prompt, answers), words in zip(jobs, quality, strict=True)]

    def _job(self, prompt: PromptSpec, answers: Sequence[MinerAnswer], words: list[float]) -> list[float]:
        judged = [self._judge(prompt, a, w) for a, w in zip(answers, words, strict=True)]
        # Speed counts among answers worth something: an instant echo sets no pace for real work.
        rates = [_tokens_per_second(a) if c * k > 0 else 0.0 for a, (_, c, k, _) in zip(answers, judged, strict=True)]
        fastest = max(rates, default=0.0)
        return [self._parts(a, record, c, k, rate / fastest if fastest > 0 else 1.0, now)
                for a, (record, c, k, now), rate in zip(answers, judged, rates, strict=True)]

    def _judge(self, prompt: PromptSpec, answer: MinerAnswer, words: float,
               ) -> tuple[MinerRecord, float, float, float | None]:
        """The miner's record, the answer's correctness and completeness, and when (None: no penalty applies)."""
        record = self._record(answer)
        now = time.monotonic()
        self.answers += 1
        if not answer.useful:
            return record, 0.0, 0.0, None
        if not (answer.verifiable and self.verifier.holds(answer.model)):
            why = "no claim" if answer.model is None else (
                "not verifiable" if not answer.verifiable else f"model {answer.model} not held")
            self._count(answer.uid, "unverifiable")
            record.last_verdict = f"unverifiable: {why}"
            return record, self.unverified_weight * words, 0.0 if answer.cut else 1.0, now
        if now < record.penalized_until:  # its score is 0 whatever it sent: no check to spend
            return record, 0.0, 0.0, now
        due = prompt.checkable and self._due(prompt, record)
        verdict = self._check(prompt, answer, record) if due else None
        if verdict is None or verdict.outcome == "skipped":
            trust = record.trust if record.trust is not None else UNTRUSTED
            complete = 0.0 if answer.cut else (record.completeness if record.completeness is not None else UNTRUSTED)
            return record, trust, complete, now
        if verdict.outcome == "fail":
            return record, 0.0, 0.0, now
        return record, 1.0, 1.0 if verdict.complete else 0.0, now

    def _record(self, answer: MinerAnswer) -> MinerRecord:
        with self._lock:
            record = self.records.get(answer.uid)
            if record is None or record.hotkey != answer.hotkey:  # a new miner in this uid: a new record
                record = self.records[answer.uid] = MinerRecord(answer.hotkey)
            if answer.model is not None:
                record.model = answer.model
            return record

    def _due(self, prompt: PromptSpec, record: MinerRecord) -> bool:
        if prompt.challenge or record.streak < self.first_checks:
            return True
        now = time.monotonic()
        self._bucket = min(10 * self.budget, self._bucket + (now - self._refilled) * self.budget)
        self._refilled = now
        return self._bucket > 0 and self._random.random() < self.rate

    def _check(self, prompt: PromptSpec, answer: MinerAnswer, record: MinerRecord) -> Verdict:
        assert answer.model is not None  # holds() checked it
        verdict = self.verifier.check(answer.model, prompt, answer.completion, answer.finish_reason)
        self.check_seconds += verdict.seconds
        self._bucket -= verdict.seconds
        self._count(answer.uid, verdict.outcome)
        record.last_verdict = f"{verdict.outcome}: {verdict.detail}"
        if verdict.outcome == "skipped":
            return verdict
        self.checked += 1
        record.checks += 1
        if verdict.outcome == "pass" and verdict.variance > 0 and self._drifts(record, verdict):
            verdict = dataclasses.replace(verdict, outcome="fail", detail=f"{verdict.detail}; over its recent "
                                          "sampled answers, unlike the model's samples")
            record.last_verdict = f"fail: {verdict.detail}"
        record.recent.append(verdict.outcome == "fail")
        if verdict.outcome == "fail":
            record.failures += 1
            record.last_failure = verdict.detail
            record.trust = 0.0
            record.excess = record.spread = 0.0
            if sum(record.recent) >= PENALTY_AFTER:
                record.penalized_until = time.monotonic() + self.penalty_seconds
                if self.on_penalty is not None:
                    self.on_penalty(answer.uid)
        else:
            record.passes += 1
            record.trust = _average(record.trust, 1.0, self.alpha)
            record.completeness = _average(record.completeness, 1.0 if verdict.complete else 0.0, self.alpha)
        return verdict

    def _drifts(self, record: MinerRecord, verdict: Verdict) -> bool:
        """The running test over a miner's sampled answers: one short answer says little (a model
        often restates a question), many of them unlike the model's samples say it all. The sums
        decay by ``DECAY`` per check, so an honest miner's small int8-versus-fp32 bias cannot pile up."""
        record.excess = DECAY * record.excess + verdict.excess
        record.spread = DECAY * record.spread + verdict.variance
        return record.excess / math.sqrt(record.spread + 1e-6) > self.verifier.thresholds.z_max

    def _parts(self, answer: MinerAnswer, record: MinerRecord, correctness: float, completeness: float,
               speed: float, now: float | None = None) -> float:
        penalized = now is not None and now < record.penalized_until
        score = 0.0 if penalized else correctness * completeness * (1 - self.speed_weight + self.speed_weight * speed)
        record.parts = {"correctness": correctness, "completeness": completeness, "speed": speed, "score": score,
                        "penalized": float(penalized)}
        if self.metrics is not None:
            self.metrics.record_score_parts(answer.uid, record.parts)
        return score

    def _count(self, uid: int, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.record_verification(uid, outcome)

    def share_checked(self) -> float:
        """The share of answers verified so far."""
        return self.checked / self.answers if self.answers else 0.0


def _average(old: float | None, new: float, alpha: float) -> float:
    return new if old is None else (1 - alpha) * old + alpha * new


def _tokens_per_second(answer: MinerAnswer) -> float:
    if not answer.ok or not answer.completion:
        return 0.0
    return count_tokens(answer.completion) / max(answer.latency_s, 1e-3)

"""The work scorer's rules with a scripted verifier: probation after a failure, the penalty zeroing
the running average, answers the verifier cannot recompute. The real verifier against SmolLM2's own
answers and against gaming ones is in ``tests/integration/incentives``."""

from __future__ import annotations

from collections.abc import Sequence

from bt_llm.bridge.backend import MinerAnswer, PromptSpec
from bt_llm.bridge.incentives import WorkScorer
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.verification import Thresholds, Verdict
from bt_llm.bridge.weights import ScoreBook

MODEL = "SmolLM2-135M-Instruct"
PROMPT = PromptSpec(roles=("user",), messages=("What is the capital of Texas?",), max_tokens=24, temperature=0.7)
CHALLENGE = PromptSpec(roles=("user",), messages=("Name a fruit.",), max_tokens=24, temperature=0.0, challenge=True)


class ScriptedVerifier:
    """Answers each check with the next outcome of its script, and counts the checks."""

    thresholds = Thresholds()

    def __init__(self, outcomes: Sequence[str]) -> None:
        self.outcomes = list(outcomes)
        self.checked: list[str] = []

    def holds(self, model: str | None) -> bool:
        return model == MODEL

    def check(self, model: str, prompt: PromptSpec, completion: str, finish_reason: str | None) -> Verdict:
        self.checked.append(completion)
        outcome = self.outcomes.pop(0) if self.outcomes else "pass"
        return Verdict(outcome, outcome == "pass", "scripted", tokens=5, seconds=0.0)


def answer(text: str = "The capital of Texas is Austin.") -> MinerAnswer:
    return MinerAnswer(uid=3, hotkey="hk3", completion=text, latency_s=0.5, finish_reason="stop", model=MODEL,
                       verifiable=True)


def scorer(verifier: ScriptedVerifier, book: ScoreBook | None = None) -> WorkScorer:
    return WorkScorer(verifier, LexicalScorer(), rate=0.0, first_checks=3, seed=1,  # type: ignore[arg-type]
                      on_penalty=book.zero if book is not None else None)


def test_a_failure_puts_the_miner_back_on_probation_every_answer_checked() -> None:
    verifier = ScriptedVerifier(["pass", "pass", "pass"])
    work = scorer(verifier)
    for _ in range(6):  # three first checks, then sampling at rate 0: no check
        work.score(PROMPT, [answer()])
    assert len(verifier.checked) == 3
    verifier.outcomes = ["fail", "pass", "pass", "pass"]
    assert work.score(CHALLENGE, [answer()]) == [0.0]  # the validator's own prompts are always checked
    scores = [work.score(PROMPT, [answer()])[0] for _ in range(6)]
    assert len(verifier.checked) == 4 + 3  # after the failure, each answer until three passes in a row
    assert all(s > 0 for s in scores)
    assert work.records[3].failures == 1 and work.records[3].penalized_until == 0.0  # one failure: bad luck


def test_a_second_failure_zeroes_the_running_average_and_stops_spending_checks() -> None:
    book = ScoreBook(alpha=0.1)
    verifier = ScriptedVerifier(["pass", "pass", "pass"])
    work = scorer(verifier, book)
    for _ in range(5):
        book.update(3, work.score(PROMPT, [answer()])[0])
    assert book.snapshot()[3] > 0.5
    verifier.outcomes = ["fail", "pass", "fail"]
    book.update(3, work.score(CHALLENGE, [answer()])[0])
    for _ in range(2):  # on probation: checked
        book.update(3, work.score(PROMPT, [answer()])[0])
    assert book.snapshot()[3] == 0.0  # not a decayed remainder of what it earned before
    checked = len(verifier.checked)
    assert [work.score(PROMPT, [answer()])[0] for _ in range(5)] == [0.0] * 5
    assert len(verifier.checked) == checked  # penalized: its answers are worth 0 unchecked
    assert work.records[3].penalized_until > 0


def test_answers_a_grammar_constrained_are_not_recomputed_but_count_the_record() -> None:
    verifier = ScriptedVerifier(["pass", "pass", "pass"])
    work = scorer(verifier)
    schema = PromptSpec(roles=("user",), messages=("Give JSON.",), response_format={"type": "json_object"})
    assert not schema.checkable and PROMPT.checkable
    first = work.score(schema, [answer('{"city": "Austin"}')])[0]
    assert verifier.checked == [] and 0 < first < 1  # an untried miner: half trusted
    for _ in range(3):
        work.score(PROMPT, [answer()])
    assert work.score(schema, [answer('{"city": "Austin"}')])[0] > first
    assert len(verifier.checked) == 3

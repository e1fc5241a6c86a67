"""Verify that an answer is what the claimed model produces: one teacher-forced pass over prompt + answer.

The validator holds the claimed model (SmolLM2-135M-Instruct ships with the project) and recomputes,
for each token of the answer, the model's distribution at that point, as the subnets that carry LLM
traffic on Bittensor do (Targon recomputes the log-probabilities of returned tokens and fails answers
under 0.75; Nineteen gives full credit within a per-token log-probability distance of 0.125 and none
past 0.25; Apex checks that sampled tokens are in the top 10 at least 90% of the time):

- **temperature 0** (greedy): each token must be the model's top choice, or within ``greedy_margin``
  nats of it (the miner's int8 weights and this fp32 pass differ by a few hundredths of a nat; near
  ties may flip). At least ``greedy_match`` of the tokens must pass: 0.9, Apex's containment bar.
- **temperature T > 0**: each token's surprise ``-log q_T(token)`` is compared with what an honest
  sample's would be, the entropy ``H(q_T)``: over the answer, ``z = Σ(surprise - H) / sqrt(Σ var)`` is
  about N(0, 1) for an honest miner (lower with top_p < 1, which only cuts unlikely tokens) and grows
  with the length of an answer the model would not write. ``z > z_max`` (5: one honest answer in
  millions) fails. Per-token surprise is clipped at 20 nats so one odd token cannot fail an answer.
- **completeness**: an answer that is not cut by ``max_tokens`` must end where the model would stop:
  its end-of-sequence token (or a stop string's first token) among the top ``end_rank`` choices (10, as
  Apex) or at least ``end_prob`` (1e-3) likely. A miner that returns the first words of a real answer
  passes the token check and fails this one. A miner saying "deadline" (cut to answer in time) gave a
  partial answer.

The answer is re-tokenized from its text (a miner need not send token ids). One pass of SmolLM2-135M
over ~80 tokens takes ~0.3 s on 2 cores (``benchmarks/verification.py``); the scorer budgets it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bt_llm.bridge.backend import DEFAULT_TEMPERATURE, PromptSpec

if TYPE_CHECKING:
    from bt_llm.models.text_generation import TextGenerator

__all__ = ["Thresholds", "Verdict", "Verifier"]



LENGTH_SHARE = 0.75  # an answer cut by max_tokens re-tokenizes to fewer tokens (37 of 40 seen; more on short ones)


@dataclass(frozen=True)
class Thresholds:
    greedy_margin: float = 0.5
    greedy_match: float = 0.9
    z_max: float = 5.0
    surprise_clip: float = 20.0
    end_rank: int = 10
    end_prob: float = 1e-3
    max_tokens: int = 2048  # prompt + answer; longer answers are not verified (cost)


@dataclass(frozen=True)
class Verdict:
    """``outcome``: "pass" (the claimed model wrote it), "fail" (it did not), "skipped" (not checked:
    too long); ``complete``: whether the answer ends where it should (None when unknown)."""

    outcome: str
    complete: bool | None
    detail: str
    tokens: int = 0
    seconds: float = 0.0
    excess: float = 0.0  # sampled answers: Σ(surprise - entropy), for a miner's running test
    variance: float = 0.0  # and its variance under honest sampling


class Verifier:
    """Checks answers against local copies of the models miners claim."""

    def __init__(self, models: dict[str, TextGenerator], thresholds: Thresholds | None = None) -> None:
        self.models = models
        self.thresholds = thresholds or Thresholds()

    @classmethod
    def default(cls, thresholds: Thresholds | None = None) -> Verifier:
        """A verifier for SmolLM2-135M-Instruct when its package is installed, else one holding nothing."""
        from bt_llm.models import smollm2

        if not smollm2.is_available():
            return cls({}, thresholds)
        from bt_llm.models.text_generation import TextGenerator

        generator = TextGenerator.from_path(smollm2.smollm2_path(), device="cpu", dtype="float32",
                                            name=smollm2.MODEL_NAME, batching=False)
        return cls({smollm2.MODEL_NAME: generator}, thresholds)

    def holds(self, model: str | None) -> bool:
        return model is not None and model in self.models

    def check(self, model: str, prompt: PromptSpec, completion: str, finish_reason: str | None) -> Verdict:
        import torch

        started = time.perf_counter()
        generator = self.models[model]
        tokenizer, t = generator.tokenizer, self.thresholds
        messages = [{"role": r, "content": m} for r, m in zip(prompt.roles, prompt.messages, strict=True)]
        prompt_ids = tokenizer(generator.render(messages), add_special_tokens=not generator.has_chat_template,
                               )["input_ids"]
        answer_ids = tokenizer.encode(completion, add_special_tokens=False)
        if len(prompt_ids) + len(answer_ids) > t.max_tokens:
            return Verdict("skipped", None, f"{len(prompt_ids) + len(answer_ids)} tokens: over the verification limit")
        with torch.inference_mode():
            ids = torch.tensor([prompt_ids + answer_ids])
            logits = generator.model(ids, logits_to_keep=len(answer_ids) + 1).logits[0].float()
        temperature = DEFAULT_TEMPERATURE if prompt.temperature is None else float(prompt.temperature)
        steps, end = logits[:-1], logits[-1]
        chosen = torch.tensor(answer_ids, dtype=torch.long)
        excess = spread = 0.0
        if not answer_ids:
            ok, why = True, "empty answer"
        elif temperature < 1e-5:
            logp = torch.log_softmax(steps, dim=-1)
            gap = logp.max(dim=-1).values - logp.gather(1, chosen[:, None])[:, 0]
            rate = float((gap <= t.greedy_margin).float().mean())
            ok, why = rate >= t.greedy_match, f"{rate:.0%} of {len(answer_ids)} tokens are the model's greedy choice"
        else:
            logq = torch.log_softmax(steps / temperature, dim=-1)
            q = logq.exp()
            entropy = -(q * logq).sum(-1)
            variance = (q * logq.square()).sum(-1) - entropy.square()
            surprise = (-logq.gather(1, chosen[:, None])[:, 0]).clamp(max=t.surprise_clip)
            excess, spread = float((surprise - entropy).sum()), float(variance.sum())
            z = excess / math.sqrt(spread + 1e-6)
            ok, why = z <= t.z_max, f"z = {z:.1f} over {len(answer_ids)} tokens at temperature {temperature:g}"
        complete, ending = self._complete(generator, prompt, end, len(answer_ids), finish_reason, temperature)
        if ok and not complete and finish_reason == "stop" and not prompt.stop:
            # The miner says the model stopped here and the model would go on: a claim as false as a
            # wrong token, and the one a truncating miner makes to be paid for a part of the work.
            ok, why = False, f"{why}, but it said it stopped where the model would not"
        return Verdict("pass" if ok else "fail", complete, f"{why}; {ending}", len(answer_ids),
                       time.perf_counter() - started, excess, spread)

    def _complete(self, generator: TextGenerator, prompt: PromptSpec, end: Any, tokens: int,
                  finish_reason: str | None, temperature: float) -> tuple[bool, str]:
        import torch

        t = self.thresholds
        if finish_reason == "deadline":
            return False, "cut by the miner to answer in time"
        limit = prompt.max_tokens
        if limit is not None and tokens >= LENGTH_SHARE * limit - 1:  # re-tokenizing the text merges some of the miner's tokens
            return True, "ended at max_tokens"
        enders = set(_eos_ids(generator))
        for stop in prompt.stop:
            first = generator.tokenizer.encode(stop, add_special_tokens=False)[:1]
            enders.update(first)
        logp = torch.log_softmax(end / max(temperature, 1.0), dim=-1)
        rank = {e: int((logp > logp[e]).sum()) for e in enders if 0 <= e < logp.shape[0]}
        best = min(rank, key=rank.__getitem__) if rank else None
        if best is not None and (rank[best] < t.end_rank or math.exp(float(logp[best])) >= t.end_prob):
            return True, "ends where the model stops"
        said = f" (the miner said {finish_reason!r})" if finish_reason else ""
        return False, f"stops {tokens} tokens in, where the model would go on{said}"


def _eos_ids(generator: TextGenerator) -> list[int]:
    eos = generator.model.generation_config.eos_token_id
    if eos is None:
        eos = generator.tokenizer.eos_token_id
    return [e for e in (eos if isinstance(eos, list) else [eos]) if e is not None]

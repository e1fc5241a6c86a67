"""Miners that game the incentives, for the end-to-end test (run as processes like real miners).

    python tests/integration/incentives/adversary.py --kind echo|fixed|impostor|truncate|unclaimed ...

- ``echo``: returns the prompt, claiming SmolLM2;
- ``fixed``: one reply to everything, claiming SmolLM2;
- ``impostor``: another model (a tiny random one) whose answers claim to be SmolLM2's;
- ``truncate``: real SmolLM2 answers cut to their first four words, saying they are complete;
- ``unclaimed``: the echo, claiming nothing (scored on the other signals only).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bt_llm.miners.transformers.neuron import TransformersMiner
from bt_llm.models.engine import Completion
from bt_llm.models.smollm2 import MODEL_NAME
from bt_llm.neuron import Miner, SamplingParams, parse_config, run_miner


class Echo(Miner):
    name = "echo"

    def __init__(self, claim: bool = True) -> None:
        super().__init__()
        self.claimed = claim

    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return messages[-1]["content"]

    def claim(self) -> tuple[str, bool] | None:
        return (MODEL_NAME, True) if self.claimed else None


class Fixed(Echo):
    name = "fixed"

    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return "I am a helpful assistant and the answer is yes."


class Truncate(TransformersMiner):
    name = "truncate"

    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> Completion:
        answer = super().forward(messages, params)
        return Completion(" ".join(answer.text.split()[:4]), answer.prompt_tokens, 4, "stop")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="an adversarial miner")
    parser.add_argument("--kind", required=True, choices=["echo", "fixed", "impostor", "truncate", "unclaimed"])
    parser.add_argument("--tiny_model", default=None, help="the impostor's model folder")
    config, args = parse_config(argv, parser)
    factories = {
        "echo": Echo, "fixed": Fixed, "unclaimed": lambda: Echo(claim=False),
        "impostor": lambda: TransformersMiner(args.tiny_model, device="cpu", claim=MODEL_NAME),
        "truncate": lambda: Truncate(None, device="cpu", max_seqs=4),
    }
    return run_miner(factories[args.kind], config)


if __name__ == "__main__":
    raise SystemExit(main())

"""A miner backed by any causal LM that transformers loads (default: SmolLM2-135M-Instruct).

    python miners/transformers/neuron.py --netuid 1 --wallet.name miner --wallet.hotkey default
    python miners/transformers/neuron.py --netuid 1 --model.path /models/Qwen2.5-0.5B-Instruct --model.device cuda

``--model.path`` takes a model folder, a ``.gguf`` file (converted once into the bt-llm cache) or an
installed model package. Llama-family models (Llama, Mistral, Qwen2, SmolLM) generate on the
continuous-batching engine (:mod:`bt_llm.models.engine`): up to ``--model.max_seqs`` requests share
each forward pass, a request over capacity is refused at once with 503 and a retry hint, and a prompt
over ``--model.max_prompt_tokens`` with 413. Other architectures generate one request at a time.

On the engine, ``response_format`` (JSON object, JSON schema) and tool calls are enforced while
generating (constrained decoding), and ``logprobs`` answered: the miner declares these capabilities.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from bt_llm.neuron import Miner, SamplingParams, parse_config, run_miner

if TYPE_CHECKING:
    from bt_llm.models.engine import Completion


class TransformersMiner(Miner):
    """Answers with a local transformers model.

    Args:
        model_path: a model folder, .gguf file or model package; None loads SmolLM2-135M-Instruct.
        device: ``auto``, ``cpu`` or ``cuda``.
        max_tokens_limit: the most new tokens one request may ask for.
        defaults: sampling for parameters a request leaves unset.
        engine_options: for the batching engine: ``max_seqs``, ``max_prompt_tokens``, ``quantize``,
            ``batching`` (False: one request at a time).
    """

    name = "transformers"

    def __init__(self, model_path: str | None = None, *, device: str = "auto", max_tokens_limit: int = 512,
                 defaults: SamplingParams | None = None, claim: str | None = None,
                 **engine_options: object) -> None:
        super().__init__()
        self.claimed_model = claim
        self.defaults = defaults or SamplingParams(max_tokens=256, temperature=0.7)
        options = {"max_new_tokens": max_tokens_limit, **engine_options}
        if model_path:
            from bt_llm.models.text_generation import TextGenerator

            self.generator = TextGenerator.from_path(model_path, device=device, defaults=self.defaults, **options)
        else:
            from bt_llm.models.smollm2 import load_smollm2

            self.generator = load_smollm2(device=device, defaults=self.defaults, **options)
        self.max_tokens_limit = max_tokens_limit
        self.rewards: deque[float] = deque(maxlen=1000)
        engine = self.generator.engine
        self.log.info("model %s on %s, %s", self.generator.name, self.generator.device,
                      f"batching up to {engine.max_seqs} sequences, prompts up to {engine.max_prompt_tokens} "
                      f"tokens, KV cache {engine.memory_bytes / 2**20:.0f} MiB" if engine else "one request at a time")

    def _clamp(self, params: SamplingParams) -> SamplingParams:
        return params.with_overrides(max_tokens=min(params.max_tokens, self.max_tokens_limit))

    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> Completion:
        return self.generator.complete(messages, self._clamp(params))  # the text and why it ended

    def stream(self, messages: list[dict[str, str]], params: SamplingParams) -> Iterator[str]:
        if self.generator.engine is None:
            return self.generator.stream(messages, self._clamp(params))
        # Submitted now, so a refusal (413, 503) is the answer's status rather than a broken stream.
        return iter(self.generator.submit(messages, self._clamp(params)))

    def backward(self, messages: list[dict[str, str]], response: str, rewards: Sequence[float]) -> bool:
        # Keep score; a miner that fine-tunes would store (messages, response, reward) here.
        self.rewards.extend(float(r) for r in rewards)
        self.log.info("reward %s (running mean %.4f over %d)", list(rewards), statistics.fmean(self.rewards),
                      len(self.rewards))
        return True

    def claim(self) -> tuple[str, bool]:
        # Raw outputs of the named model under the request's sampling: a validator holding the same
        # model recomputes them (bridge/verification.py).
        return self.claimed_model or self.generator.name, True

    def capabilities(self) -> frozenset[str]:
        # The batching engine enforces response_format and tool calls while generating (xgrammar, see
        # bt_llm/models/grammar.py) and computes log-probabilities; model.generate does neither.
        if self.generator.engine is None:
            return frozenset()
        if importlib.util.find_spec("xgrammar") is None:
            return frozenset({"logprobs"})
        return frozenset({"json_object", "json_schema", "tools", "logprobs"})

    def count_tokens(self, text: str) -> int:
        return self.generator.count_tokens(text)

    def close(self) -> None:
        self.generator.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bt-llm transformers miner")
    parser.add_argument("--model.path", dest="model_path", default=None,
                        help="model folder, .gguf file or model package (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--model.device", dest="model_device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--model.max_tokens", dest="model_max_tokens", type=int, default=256,
                        help="new tokens when a request does not say")
    parser.add_argument("--model.max_tokens_limit", dest="model_max_tokens_limit", type=int, default=512,
                        help="the most new tokens a request may ask for")
    parser.add_argument("--model.temperature", dest="model_temperature", type=float, default=0.7,
                        help="temperature when a request does not say")
    parser.add_argument("--model.max_seqs", dest="model_max_seqs", type=int, default=16,
                        help="requests generated at once (continuous batching)")
    parser.add_argument("--model.max_prompt_tokens", dest="model_max_prompt_tokens", type=int, default=1024,
                        help="the longest prompt accepted, in tokens (longer: 413)")
    parser.add_argument("--model.quantize", dest="model_quantize", default="auto", choices=["auto", "int8", "none"],
                        help="weights: auto (int8 on the CPU, dense on CUDA), int8 or none")
    parser.add_argument("--model.claim", dest="model_claim", default=None,
                        help="the model name announced to validators (default: the model's own name)")
    parser.add_argument("--model.no_batching", dest="model_batching", action="store_false",
                        help="generate one request at a time (model.generate)")
    # The engine decides admission, so the axon hands it every request it can hold: the running batch,
    # as many waiting, and a few more to refuse quickly with a 503.
    parser.set_defaults(max_workers=40)
    config, args = parse_config(argv, parser)
    defaults = SamplingParams(max_tokens=args.model_max_tokens, temperature=args.model_temperature)
    return run_miner(lambda: TransformersMiner(
        args.model_path, device=args.model_device, max_tokens_limit=args.model_max_tokens_limit, defaults=defaults,
        claim=args.model_claim,
        max_seqs=args.model_max_seqs, max_prompt_tokens=args.model_max_prompt_tokens, quantize=args.model_quantize,
        batching=args.model_batching), config)


if __name__ == "__main__":
    raise SystemExit(main())

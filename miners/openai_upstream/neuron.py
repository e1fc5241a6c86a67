"""A miner that forwards prompts to any OpenAI-compatible server (vLLM, Ollama, llama.cpp, a hosted API).

    export UPSTREAM_API_KEY=...        # or OPENAI_API_KEY; none for a local server
    python miners/openai_upstream/neuron.py --netuid 1 --wallet.name miner --wallet.hotkey default \
        --upstream.base_url http://127.0.0.1:8000/v1 --upstream.model Qwen/Qwen2.5-7B-Instruct

Streaming requests stream from the upstream chunk by chunk. When the upstream fails, the caller gets
a clear error (502 with the upstream's status and message, 503 unreachable, 504 timed out).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any

from bt_llm.models.openai_upstream import OpenAIUpstream, api_key_from_env
from bt_llm.neuron import Miner, SamplingParams, parse_config, run_miner
from bt_llm.neuron.miner import Answer


class UpstreamMiner(Miner):
    """Answers by asking an upstream OpenAI-compatible server."""

    name = "openai_upstream"

    def __init__(self, upstream: OpenAIUpstream, *, max_tokens_limit: int = 1024,
                 defaults: SamplingParams | None = None) -> None:
        super().__init__()
        self.upstream = upstream
        self.max_tokens_limit = max_tokens_limit
        self.defaults = defaults or SamplingParams(max_tokens=256, temperature=0.7)
        self.log.info("forwarding to %s (model %s)", upstream.base_url, upstream.model)

    def _clamp(self, params: SamplingParams) -> SamplingParams:
        return params.with_overrides(max_tokens=min(params.max_tokens, self.max_tokens_limit))

    def forward(self, messages: list[dict[str, Any]], params: SamplingParams) -> str | Answer:
        if params.response_format or params.tools or params.logprobs or any(len(m) > 2 for m in messages):
            return self.upstream.answer(messages, self._clamp(params))  # tool calls, log-probabilities
        return self.upstream.generate(messages, self._clamp(params))

    def capabilities(self) -> frozenset[str]:
        """The upstream takes OpenAI's response_format, tools and logprobs: they pass through."""
        return frozenset({"json_schema", "tools", "logprobs"})

    def stream(self, messages: list[dict[str, str]], params: SamplingParams) -> Iterator[str]:
        return self.upstream.stream(messages, self._clamp(params))

    def backward(self, messages: list[dict[str, str]], response: str, rewards: Sequence[float]) -> bool:
        self.log.info("reward %s for an answer of %s", list(rewards), self.upstream.model)
        return True

    def close(self) -> None:
        self.upstream.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bt-llm miner forwarding to an OpenAI-compatible server")
    parser.add_argument("--upstream.base_url", dest="upstream_base_url", required=True,
                        help="e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--upstream.model", dest="upstream_model", required=True, help="the upstream model name")
    parser.add_argument("--upstream.timeout", dest="upstream_timeout", type=float, default=60.0,
                        help="seconds to connect and between received bytes")
    parser.add_argument("--upstream.max_tokens_limit", dest="upstream_max_tokens_limit", type=int, default=1024,
                        help="the most new tokens a request may ask for")
    config, args = parse_config(argv, parser)

    def make() -> UpstreamMiner:
        upstream = OpenAIUpstream(args.upstream_base_url, args.upstream_model, api_key=api_key_from_env(),
                                  timeout=args.upstream_timeout)
        return UpstreamMiner(upstream, max_tokens_limit=args.upstream_max_tokens_limit)

    return run_miner(make, config)


if __name__ == "__main__":
    raise SystemExit(main())

"""Constrained decoding's cost: SmolLM2-135M tokens/s with and without a JSON schema, in the same run.

The 50 schemas of the SmolLM2 end-to-end test (``tests/integration/bridge/schemas.py``: nested objects,
arrays, enums, required fields), one chat prompt each (``Describe a city as a JSON object with the
fields name, year.``), temperature 0, at most 192 new tokens, on the continuous-batching engine (int8
weights, CPU). Each prompt runs twice: ``json_schema`` (strict: the engine masks the logits with xgrammar
every step) and ``free`` (no ``response_format``), the free twin making exactly as many tokens as the
constrained answer did (its end of text ignored): same prompts, same lengths, same batch over time, so
the difference is the constraint's cost. A pool of ``concurrency`` callers keeps that many requests in
flight. The CPU is shared (other processes come and go): each pair runs ``--repeat`` times in
alternating order and each mode keeps its fastest run. For each: aggregate tokens/s, the ratio to ``free``, the time the mask took per decode step
(filling the bitmask rows and applying them to the batch's logits), and the share of constrained
answers that parse and validate against their schema (``jsonschema``).

Run: ``.venv/bin/python benchmarks/structured.py [--concurrency 1 16] [--requests 10 50] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_TOKENS = 192


def valid(text: str, schema: dict[str, Any]) -> bool:
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def run(gen: Any, cases: list[tuple[str, dict[str, Any]]], concurrency: int,
        lengths: list[int] | None = None) -> dict[str, Any]:
    """Constrained answers (``lengths`` None), or free ones of exactly ``lengths`` tokens each."""
    from bt_llm.models.sampling import SamplingParams
    from tests.integration.bridge.schemas import schema_prompt

    engine = gen.engine
    eos = engine.eos
    mask_seconds, steps = [0.0], [0]
    mask = engine.grammars.mask

    def timed_mask(logits: Any, matchers: Any) -> None:
        started = time.perf_counter()
        mask(logits, matchers)
        mask_seconds[0] += time.perf_counter() - started
        steps[0] += 1

    def one(i: int) -> tuple[int, bool]:
        topic, schema = cases[i]
        if lengths is None:
            fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
            params = SamplingParams(max_tokens=MAX_TOKENS, temperature=0, response_format=fmt)
        else:
            params = SamplingParams(max_tokens=lengths[i], temperature=0)
        done = gen.complete(schema_prompt(topic, schema), params)
        return done.completion_tokens, valid(done.text, schema)

    engine.grammars.mask = timed_mask
    if lengths is not None:
        engine.eos = set()  # the free twin makes as many tokens as the constrained answer
    start = time.perf_counter()
    try:
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, range(len(cases))))
    finally:
        engine.eos = eos
        engine.grammars.mask = mask
    seconds = time.perf_counter() - start
    return {"tokens": sum(t for t, _ in results), "seconds": seconds, "valid": sum(v for _, v in results),
            "requests": len(results), "lengths": [t for t, _ in results],
            "mask_ms": mask_seconds[0] * 1000 / max(steps[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--requests", type=int, nargs="+", default=[10, 50],
                        help="requests per concurrency level (the first schemas)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each mode (the fastest is kept)")
    args = parser.parse_args()

    from bt_llm.models.smollm2 import load_smollm2
    from tests.integration.bridge.schemas import SCHEMAS

    gen = load_smollm2(device="cpu", max_seqs=max(args.concurrency))
    assert gen.engine is not None
    started = time.perf_counter()
    for _, schema in SCHEMAS:  # compile every grammar once, as a miner does on first sight (the compiler caches)
        gen.engine.grammars.matcher(gen.params(response_format={"type": "json_schema", "json_schema": {
            "name": "answer", "schema": schema}}))
    compile_ms = (time.perf_counter() - started) * 1000 / len(SCHEMAS)
    run(gen, SCHEMAS[:2], 2)  # warm-up
    table = Table(title=f"SmolLM2-135M, {len(SCHEMAS)} JSON schemas, temperature 0, <= {MAX_TOKENS} new tokens, "
                        f"CPU (grammar compile: {compile_ms:.1f} ms a schema)")
    for col in ("concurrency", "requests", "decoding", "tokens", "tokens/s", "x free", "mask ms/step",
                "valid JSON"):
        table.add_column(col, justify="right" if col != "decoding" else "left")
    for concurrency, count in zip(args.concurrency, args.requests, strict=True):
        cases = SCHEMAS[:count]
        runs: dict[str, list[dict[str, Any]]] = {"json_schema": [], "free": []}
        for i in range(args.repeat):  # constrained first (the free twins need its lengths), then alternating
            for mode in ("json_schema", "free") if i % 2 == 0 else ("free", "json_schema"):
                lengths = runs["json_schema"][0]["lengths"] if mode == "free" else None
                runs[mode].append(run(gen, cases, concurrency, lengths))
        constrained, free = (min(runs[mode], key=lambda m: m["seconds"]) for mode in ("json_schema", "free"))
        base = free["tokens"] / free["seconds"]
        for name, m in (("free", free), ("json_schema", constrained)):
            rate = m["tokens"] / m["seconds"]
            share = f"{m['valid']}/{m['requests']} ({m['valid'] / m['requests']:.0%})" if m is constrained else "-"
            table.add_row(str(concurrency), str(m["requests"]), name, str(m["tokens"]), f"{rate:.1f}",
                          f"{rate / base:.2f}", f"{m['mask_ms']:.2f}" if m is constrained else "-", share)
    gen.close()
    Console(width=120).print(table)


if __name__ == "__main__":
    main()

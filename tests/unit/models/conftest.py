"""Shared fixtures: one tiny model per session (building it takes well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bt_llm.models.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session", params=["engine", "serial"])
def tiny_generator(request: pytest.FixtureRequest, tiny_model_path: Path):
    """The continuous-batching engine (dense weights: bit-exact with transformers) and the serial
    ``model.generate`` path: every behaviour holds on both."""
    from bt_llm.models.text_generation import TextGenerator

    gen = TextGenerator.from_path(tiny_model_path, device="cpu", batching=request.param == "engine",
                                  quantize="none", max_seqs=4)
    yield gen
    gen.close()

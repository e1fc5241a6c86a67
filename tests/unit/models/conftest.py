"""Shared fixtures: one tiny model per session (building it takes well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bt_llm.models.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_generator(tiny_model_path: Path):
    from bt_llm.models.text_generation import TextGenerator

    return TextGenerator.from_path(tiny_model_path, device="cpu")

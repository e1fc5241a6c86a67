"""The package stays light to import and its public surface is pinned."""

from __future__ import annotations

import json
import subprocess
import sys

import bt_llm
from bt_llm.errors import BtLlmError

HEAVY = ("torch", "transformers", "fastapi", "uvicorn", "numba", "starlette", "langchain_core")


def test_import_does_not_load_heavy_dependencies() -> None:
    code = (
        "import json, sys, bt_llm; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_all_is_sorted_and_resolves_errors() -> None:
    assert bt_llm.__all__ == sorted(bt_llm.__all__)
    for name in bt_llm.__all__:
        if name.endswith("Error"):
            assert issubclass(getattr(bt_llm, name), BtLlmError)


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        bt_llm.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover - the assertion is the test
        raise AssertionError("expected AttributeError")

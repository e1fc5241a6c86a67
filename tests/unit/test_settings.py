"""Settings come from the environment in one place (``bt_llm/settings.py``): no other module of the
package reads ``os.environ`` or ``os.getenv`` (copying it for a child process is not reading a setting)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bt_llm import settings

ROOT = Path(__file__).resolve().parents[2]


def _reads(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "getenv"):
            lines.append(node.lineno)
    return lines


def test_only_settings_reads_the_environment() -> None:
    allowed = {ROOT / "bt_llm" / "settings.py", ROOT / "bridge" / "devnet.py"}  # devnet: a child's environment
    found = {str(p.relative_to(ROOT)): _reads(p) for package in ("bt_llm", "bridge", "miners", "registration")
             for p in (ROOT / package).rglob("*.py") if p not in allowed}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("env", "expected"), [({}, None), ({"BT_WALLET_PATH": ""}, None),
                                               ({"BT_WALLET_PATH": "/w"}, "/w")])
def test_unset_and_empty_read_alike(env: dict[str, str], expected: str | None) -> None:
    assert settings.get(settings.WALLET_PATH, env) == expected


def test_a_password_may_be_empty() -> None:
    assert settings.get_exact("BT_COLD_PW_X", {"BT_COLD_PW_X": ""}) == ""

"""``import bt_llm`` and ``btcli --help`` stay as light as today: pinned by what they import (a count and
the heavy packages absent), not by a clock. Measured at this change: ``import bt_llm`` adds 7 modules
(6 ms), ``btcli --help`` 66 (click and the standard library)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "fastapi", "uvicorn", "starlette", "numba", "numpy", "substrateinterface",
         "scalecodec", "rich", "pydantic", "httpx", "yaml", "websocket")


def _imported(code: str) -> list[str]:
    probe = f"import json, sys\nbefore = set(sys.modules)\n{code}\nprint(json.dumps(sorted(set(sys.modules) - before)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_bt_llm_stays_light() -> None:
    modules = _imported("import bt_llm")
    assert len(modules) <= 12, modules
    assert not [m for m in modules if m.split(".")[0] in HEAVY]


def test_btcli_help_loads_no_command_module() -> None:
    modules = _imported(
        "from bt_llm.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert len(modules) <= 90, len(modules)
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert not [m for m in modules if m.startswith("bt_llm.cli.") and m not in ("bt_llm.cli.main", "bt_llm.cli.shared")]

"""What the wheel installs: every package folder under the project's name (``pyproject.toml`` lists them,
since the bridge, the miner templates and the solvers live at the top of the repository), and the old
top-level names handing out the same modules (``bt_llm/old_names.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[2]
MOVED = {"bridge": "bt_llm.bridge", "miners": "bt_llm.miners", "registration": "bt_llm.registration"}


def test_every_package_folder_is_installed_under_bt_llm() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = set()
    for top in ("bt_llm", *MOVED):
        for path in (ROOT / top).rglob("*"):
            if (path.is_dir() and "__pycache__" not in path.parts and any(path.glob("*.py"))) or path == ROOT / top:
                name = ".".join(path.relative_to(ROOT).parts)
                folders.add(MOVED.get(top, top) + name[len(top):] if top in MOVED else name)
    listed = set(setuptools["packages"])
    assert folders - listed == set()
    assert {name for name in listed if name.split(".")[0] in MOVED} == set(MOVED)  # the old names: shims only
    assert all(setuptools["package-dir"][old] == f"compat/{old}" for old in MOVED)


def test_the_old_names_are_the_new_modules_outside_the_checkout(tmp_path: Path) -> None:
    probe = ("import warnings\nwarnings.simplefilter('error')\nimport bt_llm.bridge.weights as new\n"
             "with warnings.catch_warnings(record=True) as caught:\n    warnings.simplefilter('always')\n"
             "    import bridge.weights as old\n    from registration import seal\n"
             "import bt_llm.registration.seal as seal2\nimport sys\n"
             "print(old is new, seal is seal2, sys.modules['bridge'] is sys.modules['bt_llm.bridge'])\n"
             "print(*sorted({type(w.message).__name__ for w in caught}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "DeprecationWarning"], out.stderr

"""The old top-level import names of the bridge, the miner templates and the solvers (until the next
release): ``bridge``, ``miners`` and ``registration`` are ``bt_llm.bridge``, ``bt_llm.miners`` and
``bt_llm.registration``, the same module objects (each module is loaded once, under its new name).

Their folders stay at the top of the repository; the wheel installs them under ``bt_llm`` and, for
the old names, one-file packages (``compat/``) whose ``__init__`` calls :func:`old_name`, as the
folders' own ``__init__`` does when a checkout's root is on ``sys.path``.

Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the old name's DeprecationWarning
    ...     import bridge.weights as old
    >>> import bt_llm.bridge.weights as new
    >>> old is new, new.__name__
    (True, 'bt_llm.bridge.weights')
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

OLD_NAMES = {"bridge": "bt_llm.bridge", "miners": "bt_llm.miners", "registration": "bt_llm.registration"}


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``bridge.x`` with the module ``bt_llm.bridge.x`` itself (never a second copy of it)."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        top, dot, rest = fullname.partition(".")
        if not dot or top not in OLD_NAMES or sys.modules.get(top) is not sys.modules.get(OLD_NAMES[top]):
            return None
        new = f"{OLD_NAMES[top]}.{rest}"
        found = importlib.util.find_spec(new)
        if found is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=found.submodule_search_locations is not None)
        spec.loader_state = found
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(spec.loader_state.name)
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self._specs.pop(module.__name__)  # the import machinery set the old name's spec

    def get_code(self, fullname: str) -> Any:  # ``python -m bridge``: runpy runs the new module's code
        spec = self.find_spec(fullname)
        assert spec is not None
        return spec.loader_state.loader.get_code(spec.loader_state.name)


_old_names = _OldNames()


def old_name(name: str) -> None:
    """Called by each of those packages' ``__init__``: imported under its old ``name``, the package
    becomes the new one (a DeprecationWarning says so) and its submodules follow it."""
    new = OLD_NAMES.get(name)
    if new is None:  # imported under its own name: nothing to do
        return
    import warnings

    warnings.warn(f"import {name!r} is deprecated: it is {new!r} (the old name goes in the next release)",
                  DeprecationWarning, stacklevel=3)
    sys.modules[name] = importlib.import_module(new)
    if _old_names not in sys.meta_path:
        sys.meta_path.insert(0, _old_names)

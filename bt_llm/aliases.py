"""The names packages hand out: loaded on first use (:func:`lazy`, PEP 562), and packages that stand in
for a class (:func:`stand_in`).

``bt.wallet``, ``bt.axon`` and ``bt.dendrite``: bittensor's names for classes, and the names of this
package's subpackages too. Python binds ``bt_llm.wallet`` to the subpackage as soon as any module in it is
imported, so these names always are the subpackages (the same object whatever was imported first, and
``import bt_llm.wallet.keypair as keypair`` keeps working), and each subpackage stands in for its class:
calling it builds one, and ``isinstance`` and ``issubclass`` test against the class. (It does not hand
out the class's other attributes: during ``from bt_llm.wallet import keyfile`` Python probes the package
for that name, and loading the class then would import the package's modules in a circle.)

Example:
    >>> import bt_llm.axon.gate  # a submodule first
    >>> import bt_llm as bt
    >>> from bt_llm.axon.server import Axon
    >>> bt.axon is bt_llm.axon, issubclass(Axon, bt.axon), bt.axon.__name__
    (True, True, 'bt_llm.axon')
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


class ClassPackage(types.ModuleType):
    """A package that stands in for one class (``__stand_in_for__``: ``"module:Class"``)."""

    def _class(self) -> type:
        module_name, attribute = self.__dict__["__stand_in_for__"].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._class()(*args, **kwargs)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self._class())

    def __subclasscheck__(self, subclass: type) -> bool:
        return issubclass(subclass, self._class())


def stand_in(package: str, target: str) -> None:
    """Make the package ``package`` stand in for the class ``target`` (``"module:Class"``)."""
    module = sys.modules[package]
    module.__dict__["__stand_in_for__"] = target
    module.__class__ = ClassPackage


def lazy(package: str, targets: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports each name of ``targets`` on first use:
    ``"module:attribute"``, or ``"module"`` for a whole module. The value is then kept in the package."""

    def __getattr__(name: str) -> Any:
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


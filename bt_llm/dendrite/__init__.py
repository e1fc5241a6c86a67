"""The dendrite: an HTTP client that signs synapses and sends them to axons.

``from bt_llm.dendrite.client import Dendrite`` (or ``bt.dendrite``); the seed's
``bt.text_prompting(keypair=..., axon=...)`` lives in :mod:`.text_prompting`.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    """Importing a submodule makes ``bt_llm.dendrite`` this package; calling it still builds a Dendrite."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from bt_llm.dendrite.client import Dendrite

        return Dendrite(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

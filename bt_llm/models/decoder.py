"""A lean batched forward pass for Llama-family decoders, with quantized weights on the CPU.

This is the compute half of the miners' continuous-batching engine (:mod:`bt_llm.models.engine`): it
reads the weights of a model that transformers loaded (``llama``, ``mistral``, ``qwen2``: the families
the small instruct models ship in) and runs two kinds of pass over one preallocated KV cache of
``slots`` sequences:

- :meth:`Decoder.prefill` — a chunk of one sequence's prompt, written into its slot;
- :meth:`Decoder.decode` — one new token for each of the first ``B`` slots at once, each at its own
  position (the batch's shared forward pass).

Why not transformers' own forward or its continuous batching: measured on this project's 2-core
machines with SmolLM2-135M (float32), ``model.generate`` makes 13 tokens/s, a cached forward step costs
76 ms at batch 1 and 160 ms at batch 16, of which the float32 matmuls are 51/118 ms (memory bound:
540 MB of weights read per step) and the rest is Python; ``generate_batch`` (transformers 5.25, paged
attention on the CPU) made 3.7 tokens/s at concurrency 1 and 55 tokens/s at 16. OpenVINO GenAI's
continuous batching needs optimum-intel to convert a model, which pulls a CUDA torch 2.14 and an older
transformers; CTranslate2 has no step-level batching; llama-cpp-python, whose llama.cpp batches
sequences, ships as source only (a 10-minute compile). So this module runs the model itself with
PyTorch's CPU kernels, weight-only quantized: int8 per output channel (``_weight_int8pack_mm``),
activations in bfloat16.

Measured on SmolLM2 per decode step: 31 ms at batch 1, 35 ms at 4, 97 ms at 16 (165 tokens/s); a
41-token prompt in 153 ms. Rejected, with their figures:
- fbgemm's dynamic int8 linear (24 ms at 1, 54 ms at 16) quantizes activations per tensor and, even
  SmoothQuant-smoothed, changed the greedy answer from its first token in 5 of 6 prompts (weight-only
  int8: 2 of 6, after 1 and 137 characters agreed); a validator that recomputes answers needs the
  model's own tokens.
- PyTorch's 4-bit kernel (``_weight_int4pack_mm_for_cpu``, GGUF Q4_1's layout) for calls of 1-2 rows
  took batch 1 from 32 to 24 ms, but a row's logits then depended on the batch it ran in (0.56 apart):
  a seeded answer alone and the same answer in a batch differed.
On CUDA (or with ``quantize="none"``, exact with transformers' forward) the weights stay dense in the
model's dtype.

Example:
    >>> from transformers import AutoModelForCausalLM
    >>> from bt_llm.models.tiny import create_tiny_model
    >>> model = AutoModelForCausalLM.from_pretrained(create_tiny_model())
    >>> dec = Decoder.from_model(model, slots=2, max_len=64)
    >>> logits = dec.prefill(torch.tensor([1, 5, 7]), slot=0, start=0)
    >>> tuple(logits.shape) == (model.config.vocab_size,)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F

from bt_llm.errors import ConfigError

SUPPORTED = ("llama", "mistral", "qwen2")


class _Linear(Protocol):
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


class DenseLinear:
    """``x @ w.T (+ b)`` in the weights' dtype."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.weight = weight.detach().contiguous()
        self.bias = None if bias is None else bias.detach().contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.to(self.weight.dtype), self.weight, self.bias).to(x.dtype)


class QuantLinear:
    """``x @ w.T (+ b)`` with the weight in int8 per output channel and the activations in bfloat16
    (``_weight_int8pack_mm``: weight-only quantization, nothing lost on the activations' side). A row's
    result does not depend on how many rows share the call (tested bit-exact), so a seeded answer is
    the same alone or in a batch of 16."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        w = weight.detach().float()
        scale = (w.abs().amax(dim=1) / 127).clamp(min=1e-8)
        self.weight = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        self.scale = scale.to(torch.bfloat16)
        self.bias = None if bias is None else bias.detach().float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
        out = torch.ops.aten._weight_int8pack_mm(flat, self.weight, self.scale).float()
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], out.shape[-1])


@dataclass
class _Layer:
    ln1: torch.Tensor
    qkv: _Linear
    o: _Linear
    ln2: torch.Tensor
    gate_up: _Linear
    down: _Linear
    width: int  # the MLP's intermediate size


class Decoder:
    """Weights and a KV cache for ``slots`` sequences of up to ``max_len`` tokens each.

    Build with :meth:`from_model`. Not thread safe: one engine thread drives it.
    """

    def __init__(self, *, layers: list[_Layer], embed: torch.Tensor, norm: torch.Tensor, head: _Linear,
                 inv_freq: torch.Tensor, rope_scale: float, eps: float, heads: int, kv_heads: int,
                 head_dim: int, slots: int, max_len: int, device: torch.device, dtype: torch.dtype) -> None:
        self.layers = layers
        self.embed = embed
        self.norm = norm
        self.head = head
        self.eps = eps
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.group = heads // kv_heads
        self.slots, self.max_len = slots, max_len
        self.device, self.dtype = device, dtype
        positions = torch.arange(max_len, device=device, dtype=torch.float32)
        freqs = torch.outer(positions, inv_freq.float().to(device))
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos = (emb.cos() * rope_scale).to(dtype)
        # rotate_half(x) * sin == roll(x, half) * sin with the first half's sign flipped: one roll
        # instead of slice, neg and cat.
        half = head_dim // 2
        self.sin = torch.cat([-emb[:, :half].sin(), emb[:, half:].sin()], dim=-1).mul(rope_scale).to(dtype)
        shape = (len(layers), slots, kv_heads, max_len, head_dim)
        self.k_cache = torch.zeros(shape, dtype=dtype, device=device)
        self.v_cache = torch.zeros(shape, dtype=dtype, device=device)
        self.q_size = heads * head_dim
        self.kv_size = kv_heads * head_dim

    @property
    def cache_bytes(self) -> int:
        """Memory held by the KV cache."""
        return 2 * self.k_cache.numel() * self.k_cache.element_size()

    @classmethod
    def supports(cls, model: torch.nn.Module) -> bool:
        """True when ``model`` is a decoder this module can run."""
        return getattr(getattr(model, "config", None), "model_type", None) in SUPPORTED

    @classmethod
    def from_model(cls, model: torch.nn.Module, *, slots: int, max_len: int, quantize: str = "auto",
) -> Decoder:
        """Read a transformers Llama-family causal LM into a :class:`Decoder`.

        Args:
            model: ``LlamaForCausalLM`` or a sibling (see ``SUPPORTED``), already on its device.
            slots: sequences decoded at once (the KV cache's batch dimension).
            max_len: prompt plus new tokens, per sequence.
            quantize: ``"auto"`` (int8 on the CPU, dense elsewhere), ``"int8"`` or ``"none"``.

        Raises:
            ConfigError: an architecture or setting this decoder does not handle.
        """
        cfg = model.config
        if cfg.model_type not in SUPPORTED:
            raise ConfigError(f"the batching engine runs {', '.join(SUPPORTED)} models, not {cfg.model_type!r}")
        if quantize not in ("auto", "int8", "none"):
            raise ConfigError(f"quantize must be auto, int8 or none, not {quantize!r}")
        device = next(model.parameters()).device
        quantized = quantize == "int8" or (quantize == "auto" and device.type == "cpu")
        dtype = torch.float32 if quantized else next(model.parameters()).dtype

        def linear(*mods: torch.nn.Linear) -> _Linear:
            weight = torch.cat([m.weight for m in mods])
            biases = [m.bias for m in mods]
            bias = None if all(b is None for b in biases) else torch.cat(
                [b if b is not None else torch.zeros(m.out_features, device=device) for b, m in zip(biases, mods,
                                                                                                       strict=True)])
            return QuantLinear(weight, bias) if quantized else DenseLinear(weight, bias)

        inner = model.model
        layers = []
        with torch.no_grad():
            for block in inner.layers:
                att, mlp = block.self_attn, block.mlp
                layers.append(_Layer(
                    ln1=block.input_layernorm.weight.detach().to(dtype), ln2=block.post_attention_layernorm.weight
                    .detach().to(dtype), qkv=linear(att.q_proj, att.k_proj, att.v_proj), o=linear(att.o_proj),
                    gate_up=linear(mlp.gate_proj, mlp.up_proj), down=linear(mlp.down_proj),
                    width=mlp.gate_proj.out_features))
            rotary = inner.rotary_emb
            head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
            return cls(layers=layers, embed=inner.embed_tokens.weight.detach().to(dtype), norm=inner.norm.weight
                       .detach().to(dtype), head=linear(model.lm_head), inv_freq=rotary.inv_freq,
                       rope_scale=float(getattr(rotary, "attention_scaling", 1.0)), eps=float(cfg.rms_norm_eps),
                       heads=cfg.num_attention_heads, kv_heads=cfg.num_key_value_heads, head_dim=head_dim,
                       slots=slots, max_len=max_len, device=device, dtype=dtype)

    # -- passes ---------------------------------------------------------------------------------

    def _rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, weight.shape, weight, self.eps)

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(x * cos, x.roll(x.shape[-1] // 2, dims=-1), sin)

    def _mlp(self, layer: _Layer, x: torch.Tensor) -> torch.Tensor:
        gate, up = layer.gate_up(self._rms(x, layer.ln2)).split(layer.width, dim=-1)
        return layer.down(F.silu(gate) * up)

    @torch.inference_mode()
    def prefill(self, tokens: torch.Tensor, *, slot: int, start: int) -> torch.Tensor:
        """Run ``tokens`` (1-D) at positions ``start..`` of ``slot``; return the last position's logits."""
        n = tokens.shape[0]
        end = start + n
        if end > self.max_len:
            raise ConfigError(f"{end} tokens exceed this engine's {self.max_len} per sequence")
        x = self.embed[tokens.to(self.device)]
        cos, sin = self.cos[start:end][None], self.sin[start:end][None]
        # Causal within the chunk, everything before it visible.
        mask = torch.ones(n, end, dtype=torch.bool, device=self.device).tril(diagonal=start)
        for i, layer in enumerate(self.layers):
            qkv = layer.qkv(self._rms(x, layer.ln1))
            q, k, v = qkv.split([self.q_size, self.kv_size, self.kv_size], dim=-1)
            q = self._rope(q.view(n, self.heads, self.head_dim).transpose(0, 1), cos, sin)
            k = self._rope(k.view(n, self.kv_heads, self.head_dim).transpose(0, 1), cos, sin)
            self.k_cache[i, slot, :, start:end] = k
            self.v_cache[i, slot, :, start:end] = v.view(n, self.kv_heads, self.head_dim).transpose(0, 1)
            keys, values = self.k_cache[i, slot, :, :end], self.v_cache[i, slot, :, :end]
            att = F.scaled_dot_product_attention(q[None], keys[None], values[None], attn_mask=mask,
                                                 enable_gqa=self.group > 1)[0]
            x = x + layer.o(att.transpose(0, 1).reshape(n, self.q_size))
            x = x + self._mlp(layer, x)
        return self.head(self._rms(x[-1:], self.norm))[0].float()

    @torch.inference_mode()
    def decode(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """One step for slots ``0..B-1``: ``tokens[b]`` at ``positions[b]``; returns ``[B, vocab]`` logits."""
        b = tokens.shape[0]
        length = int(positions.max()) + 1
        positions = positions.to(self.device)
        x = self.embed[tokens.to(self.device)]
        cos, sin = self.cos[positions][:, None], self.sin[positions][:, None]
        rows = torch.arange(b, device=self.device)
        visible = torch.arange(length, device=self.device)[None] <= positions[:, None]  # [B, L]
        mask = visible[:, None, None, :]
        single = b == 1  # one sequence sees every cached position: no mask, no scatter
        for i, layer in enumerate(self.layers):
            qkv = layer.qkv(self._rms(x, layer.ln1))
            qk = self._rope(qkv[:, :self.q_size + self.kv_size].reshape(b, self.heads + self.kv_heads,
                                                                         self.head_dim), cos, sin)
            q, k = qk[:, :self.heads], qk[:, self.heads:]
            v = qkv[:, self.q_size + self.kv_size:].reshape(b, self.kv_heads, self.head_dim)
            if single:  # a plain copy into a view: a third of index_put's cost
                self.k_cache[i, 0, :, length - 1] = k[0]
                self.v_cache[i, 0, :, length - 1] = v[0]
            else:
                self.k_cache[i, rows, :, positions] = k
                self.v_cache[i, rows, :, positions] = v
            # The query heads that share a KV head ride along as that head's "query length".
            q = q.reshape(b, self.kv_heads, self.group, self.head_dim)
            att = F.scaled_dot_product_attention(q, self.k_cache[i, :b, :, :length], self.v_cache[i, :b, :, :length],
                                                 attn_mask=None if single else mask)
            x = x + layer.o(att.reshape(b, self.q_size))
            x = x + self._mlp(layer, x)
        return self.head(self._rms(x, self.norm)).float()

    def move(self, source: int, target: int, length: int) -> None:
        """Copy slot ``source``'s first ``length`` cache positions to slot ``target`` (keeps slots dense)."""
        self.k_cache[:, target, :, :length] = self.k_cache[:, source, :, :length]
        self.v_cache[:, target, :, :length] = self.v_cache[:, source, :, :length]


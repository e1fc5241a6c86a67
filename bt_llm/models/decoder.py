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

Measured on SmolLM2 per decode step (2 cores): 17-19 ms at batch 1, 24 ms at 4, 75-80 ms at 16; a
1,024-token prompt in 3.3 s. At batch 1 the int8 matmuls take 14.4 ms of a step: the kernel is compute
bound there (about 9.5 GB/s of weights where these machines read 25 GB/s), so the rest of the step is
what could be cut: ~1,000 small tensor ops at 3-6 us each (Python, dispatch, allocation), 25 ms a step
before. The passes below spend them sparingly (see ``_Scratch``, ``_norm``, ``_rope_``): 24 to 17-19 ms.
Rejected, with their figures:
- fbgemm's dynamic int8 linear (24 ms at 1, 54 ms at 16) quantizes activations per tensor and, even
  SmoothQuant-smoothed, changed the greedy answer from its first token in 5 of 6 prompts (weight-only
  int8: 2 of 6, after 1 and 137 characters agreed); a validator that recomputes answers needs the
  model's own tokens.
- PyTorch's 4-bit kernel (``_weight_int4pack_mm_for_cpu``, GGUF Q4_1's layout) for calls of 1-2 rows
  took batch 1 from 32 to 24 ms, but a row's logits then depended on the batch it ran in (0.56 apart):
  a seeded answer alone and the same answer in a batch differed.
- float32 or float16 activations for ``_weight_int8pack_mm``: its AVX2 path is bfloat16 only, the
  others run scalar loops (10x slower); dense float16/bfloat16 weights (``F.linear``) at batch 1: 8.4 ms
  for 30 layers' gate/up projections against int8's 5.7 ms.
- Attention as ``matmul``/``softmax``/``matmul`` at batch 1: 46 us a layer against SDPA's 19 us.
- TorchScript for the per-layer ops (1.7 us less per op): deprecated, warns; ``torch.compile`` needs a
  C++ compiler at run time.
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

import math
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F

from bt_llm.errors import ConfigError

SUPPORTED = ("llama", "mistral", "qwen2")


class _Linear(Protocol):
    bias: torch.Tensor | None

    def mm(self, x: torch.Tensor) -> torch.Tensor: ...  # x @ w.T

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...  # x @ w.T + b


class DenseLinear:
    """``x @ w.T (+ b)`` in the weights' dtype (``x`` comes in that dtype)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.weight = weight.detach().contiguous()
        self.bias = None if bias is None else bias.detach().contiguous()

    def mm(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class QuantLinear:
    """``x @ w.T (+ b)`` with the weight in int8 per output channel and the activations in bfloat16
    (``_weight_int8pack_mm``: weight-only quantization, nothing lost on the activations' side). A row's
    result does not depend on how many rows share the call (tested bit-exact), so a seeded answer is
    the same alone or in a batch of 16.

    ``x`` comes in bfloat16, 2-D; the result stays in bfloat16 (float32 with a bias): the decoder adds it
    into its float32 stream, which promotes it exactly, so no separate conversion op is spent on it.
    (float32 activations, which the kernel also takes, run its scalar path: 10x slower.)"""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        w = weight.detach().float()
        scale = (w.abs().amax(dim=1) / 127).clamp(min=1e-8)
        self.weight = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        self.scale = scale.to(torch.bfloat16)
        self.bias = None if bias is None else bias.detach().float()

    def mm(self, x: torch.Tensor) -> torch.Tensor:
        return torch._weight_int8pack_mm(x, self.weight, self.scale)  # 2 us less a call than torch.ops.aten's

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.mm(x)
        return out if self.bias is None else torch.add(out, self.bias)


@dataclass
class _Layer:
    ln1: torch.Tensor  # the RMSNorms' weights times sqrt(hidden size) (see Decoder._norm)
    qkv: _Linear
    o: _Linear
    ln2: torch.Tensor
    gate_up: _Linear
    down: _Linear
    width: int  # the MLP's intermediate size


class _Scratch:
    """Preallocated activations, and views into them, for passes over ``rows`` tokens (a decode step of
    that batch size is given one made once; a prefill chunk makes its own).

    A decode step at batch 1 was about 1,000 small tensor ops around the matmuls, each 3-6 us of
    Python, dispatch and allocation on these cores. Writing into buffers made once, through views made
    once, drops the per-layer casts, slices and views: about 20 ops a layer instead of 45.
    """

    def __init__(self, dec: Decoder, rows: int) -> None:
        q, kv_size, hd, width = dec.q_size, dec.kv_size, dec.head_dim, dec.width
        kw = {"device": dec.device}
        # The residual stream, with one more column that holds sqrt(hidden * eps) (see Decoder._norm).
        self.x_eps = torch.full((rows, dec.hidden + 1), dec.eps_column, dtype=dec.dtype, **kw)
        self.x = self.x_eps[:, :dec.hidden]
        self.h = torch.empty(rows, dec.hidden, dtype=dec.act_dtype, **kw)  # a norm's output, the matmuls' input
        self.qkv = torch.empty(rows, q + 2 * kv_size, dtype=dec.dtype, **kw)
        self.qk = dec.pairs(self.qkv[:, :q + kv_size])  # RoPE's complex view of q and k (see Decoder.pairs)
        self.q = self.qkv[:, :q].view(rows, dec.kv_heads, dec.group, hd)
        self.kv = self.qkv[:, q:].view(rows, 2, dec.kv_heads, hd)  # the new K and V, one cache write
        self.att = torch.empty(rows, q, dtype=dec.act_dtype, **kw)
        self.att_heads = self.att.view(rows, dec.kv_heads, dec.group, hd)
        self.gate_up = torch.empty(rows, 2 * width, dtype=dec.dtype, **kw)
        self.gate, self.up = self.gate_up[:, :width], self.gate_up[:, width:]
        self.act = torch.empty(rows, width, dtype=dec.act_dtype, **kw)
        # Each layer's cache of K and V for these rows (slots 0..rows-1), sliced to a length per step.
        self.keys = [kv[0, :rows] for kv in dec.kv_layers]
        self.values = [kv[1, :rows] for kv in dec.kv_layers]


class Decoder:
    """Weights and a KV cache for ``slots`` sequences of up to ``max_len`` tokens each.

    Build with :meth:`from_model`. Not thread safe: one engine thread drives it.

    Query and key heads are stored with their two rotary halves interleaved (``q_proj``'s and
    ``k_proj``'s rows permuted at load: ``0, half, 1, half + 1, ...``), so RoPE is one complex multiply
    in place; attention's dot products do not see the order.
    """

    def __init__(self, *, layers: list[_Layer], embed: torch.Tensor, norm: torch.Tensor, head: _Linear,
                 inv_freq: torch.Tensor, rope_scale: float, eps: float, heads: int, kv_heads: int,
                 head_dim: int, slots: int, max_len: int, device: torch.device, dtype: torch.dtype,
                 act_dtype: torch.dtype | None = None) -> None:
        self.layers = layers
        self.embed = embed
        self.norm = norm
        self.head = head
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.group = heads // kv_heads
        self.hidden = embed.shape[1]
        self.width = layers[0].width if layers else 0
        self.slots, self.max_len = slots, max_len
        self.device, self.dtype = device, dtype  # the stream's and the KV cache's dtype
        self.act_dtype = act_dtype or dtype  # the matmuls' input dtype
        self.norm_dtype = torch.promote_types(dtype, torch.float32)  # RMSNorm's, as transformers'
        self.eps_column = math.sqrt(self.hidden * eps)
        positions = torch.arange(max_len, device=device, dtype=torch.float32)
        angles = torch.outer(positions, inv_freq.float().to(device))  # [max_len, head_dim / 2]
        self.rotary = torch.polar(torch.full_like(angles, rope_scale), angles)  # complex64
        # K and V side by side, so that one copy writes both; a view per layer, made once.
        self.kv_cache = torch.zeros((len(layers), 2, slots, kv_heads, max_len, head_dim), dtype=dtype, device=device)
        self.k_cache, self.v_cache = self.kv_cache[:, 0], self.kv_cache[:, 1]
        self.kv_layers = list(self.kv_cache)
        self.q_size = heads * head_dim
        self.kv_size = kv_heads * head_dim
        self._scratch: dict[int, _Scratch] = {}

    @property
    def cache_bytes(self) -> int:
        """Memory held by the KV cache."""
        return self.kv_cache.numel() * self.kv_cache.element_size()

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
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        interleave = torch.arange(head_dim).view(2, head_dim // 2).t().flatten()  # 0, half, 1, half + 1, ...

        def rows(t: torch.Tensor | None, heads: int, rotary: bool) -> torch.Tensor | None:
            if t is None or not rotary:
                return t
            return t.view(heads, head_dim, *t.shape[1:])[:, interleave].flatten(0, 1)

        def linear(*mods: torch.nn.Linear, rotary: tuple[int, ...] = ()) -> _Linear:
            # rotary: the head count of each module whose output heads RoPE rotates (0: none)
            heads = rotary or (0,) * len(mods)
            weight = torch.cat([rows(m.weight, h, h > 0) for m, h in zip(mods, heads, strict=True)])
            bias = None if all(m.bias is None for m in mods) else torch.cat(
                [rows(m.bias, h, h > 0) if m.bias is not None else torch.zeros(m.out_features, device=device)
                 for m, h in zip(mods, heads, strict=True)])
            return QuantLinear(weight, bias) if quantized else DenseLinear(weight, bias)

        def norm(module: torch.nn.Module) -> torch.Tensor:  # see Decoder._norm
            return (module.weight.detach().float() * math.sqrt(cfg.hidden_size)).to(dtype)

        inner = model.model
        layers = []
        with torch.no_grad():
            for block in inner.layers:
                att, mlp = block.self_attn, block.mlp
                layers.append(_Layer(
                    ln1=norm(block.input_layernorm), ln2=norm(block.post_attention_layernorm), o=linear(att.o_proj),
                    qkv=linear(att.q_proj, att.k_proj, att.v_proj,
                               rotary=(cfg.num_attention_heads, cfg.num_key_value_heads, 0)),
                    gate_up=linear(mlp.gate_proj, mlp.up_proj), down=linear(mlp.down_proj),
                    width=mlp.gate_proj.out_features))
            rotary = inner.rotary_emb
            return cls(layers=layers, embed=inner.embed_tokens.weight.detach().to(dtype), norm=norm(inner.norm),
                       head=linear(model.lm_head), inv_freq=rotary.inv_freq,
                       rope_scale=float(getattr(rotary, "attention_scaling", 1.0)), eps=float(cfg.rms_norm_eps),
                       heads=cfg.num_attention_heads, kv_heads=cfg.num_key_value_heads, head_dim=head_dim,
                       slots=slots, max_len=max_len, device=device, dtype=dtype,
                       act_dtype=torch.bfloat16 if quantized else dtype)

    # -- passes ---------------------------------------------------------------------------------

    def _scratch_for(self, rows: int) -> _Scratch:
        s = self._scratch.get(rows)
        if s is None:
            s = self._scratch[rows] = _Scratch(self, rows)
        return s

    def pairs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (``[rows, n * head_dim]``) as ``[rows, n, head_dim / 2]`` complex pairs; in a half
        precision cache (no complex type for bfloat16) as real pairs ``[rows, n, head_dim / 2, 2]``."""
        x = x.unflatten(-1, (-1, self.head_dim // 2, 2))
        return x if x.dtype in (torch.bfloat16, torch.float16) else torch.view_as_complex(x)

    def _rope_(self, qk: torch.Tensor, rotary: torch.Tensor) -> None:
        """Rotate the pairs ``qk`` (see :meth:`pairs`) in place by ``rotary`` (``[rows, 1, head_dim / 2]``):
        one complex multiply, where ``q * cos + rotate_half(q) * sin`` takes four ops and a slice or a
        flip (0.8 ms of a 22 ms step at batch 1). Exact with transformers' float32 RoPE: each product is
        rounded, then summed, as there."""
        if qk.is_complex():
            torch.mul(qk, rotary, out=qk)
        else:  # half precision: rotate in float32
            qk.copy_(torch.view_as_real(torch.view_as_complex(qk.float()) * rotary))

    def _norm(self, x: torch.Tensor, x_eps: torch.Tensor, weight: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """RMSNorm less its division, which :meth:`_project` applies to the matmul's output instead.

        ``rmsnorm(x) = x * w / sqrt(mean(x^2) + eps) = x * (w * sqrt(n)) / sqrt(sum(x^2) + n * eps)``
        (``n`` the hidden size). The weights are stored times ``sqrt(n)`` and the stream ``x`` is the
        first ``n`` columns of ``x_eps``, whose last column holds ``sqrt(n * eps)``: so ``out = x * w'``
        is one op and the divisor ``|x_eps|`` one reduction, where F.rms_norm runs nine ops (pow, mean,
        add, rsqrt, casts...) and its cast to bfloat16 one more: 2 ops instead of 10, 61 times a step
        (F.rms_norm and the cast took 2.9 ms of a 24 ms step at batch 1; this about 1 ms). The divisor
        is a scalar per row, so dividing the matmul's output by it is the same math, and it takes the
        place of the cast that output needed anyway. Greedy answers agree with float32 transformers as
        often as before (26 of 48 tokens on average over 40 prompts, against 24)."""
        torch.mul(x, weight, out=out)
        return torch.linalg.vector_norm(x_eps, dim=-1, keepdim=True, dtype=self.norm_dtype)

    @staticmethod
    def _project(linear: _Linear, h: torch.Tensor, norm: torch.Tensor, out: torch.Tensor | None = None,
) -> torch.Tensor:
        """``linear(h / norm)``, written into ``out`` (see :meth:`_norm`)."""
        y = linear.mm(h)
        if linear.bias is None:
            return torch.div(y, norm, out=out)
        return torch.addcdiv(linear.bias, y, norm, out=out)

    def _mlp_(self, layer: _Layer, s: _Scratch) -> None:
        """``x += down(silu(gate) * up)``, silu in the cache's dtype."""
        self._project(layer.gate_up, s.h, self._norm(s.x, s.x_eps, layer.ln2, s.h), out=s.gate_up)
        F.silu(s.gate, inplace=True)
        s.x.add_(layer.down(torch.mul(s.gate, s.up, out=s.act)))

    def _logits(self, s: _Scratch) -> torch.Tensor:
        return self._project(self.head, s.h, self._norm(s.x, s.x_eps, self.norm, s.h)).float()

    @torch.inference_mode()
    def prefill(self, tokens: torch.Tensor, *, slot: int, start: int) -> torch.Tensor:
        """Run ``tokens`` (1-D) at positions ``start..`` of ``slot``; return the last position's logits."""
        n = tokens.shape[0]
        end = start + n
        if end > self.max_len:
            raise ConfigError(f"{end} tokens exceed this engine's {self.max_len} per sequence")
        s = _Scratch(self, n)
        s.x.copy_(self.embed[tokens.to(self.device)])
        rotary = self.rotary[start:end, None]
        # Causal within the chunk, everything before it visible.
        mask = torch.ones(n, end, dtype=torch.bool, device=self.device).tril(diagonal=start)
        q = s.qkv[:, :self.q_size].view(n, self.heads, self.head_dim).transpose(0, 1)[None]
        new = s.kv.permute(1, 2, 0, 3)  # [2, kv_heads, n, head_dim]
        att = s.att.view(n, self.heads, self.head_dim).transpose(0, 1)
        for layer, kv in zip(self.layers, self.kv_layers, strict=True):
            self._project(layer.qkv, s.h, self._norm(s.x, s.x_eps, layer.ln1, s.h), out=s.qkv)
            self._rope_(s.qk, rotary)
            kv[:, slot, :, start:end] = new
            att.copy_(F.scaled_dot_product_attention(q, kv[0, slot, None, :, :end], kv[1, slot, None, :, :end],
                                                     attn_mask=mask, enable_gqa=self.group > 1)[0])
            s.x.add_(layer.o(s.att))
            self._mlp_(layer, s)
        last = self._scratch_for(1)
        last.x.copy_(s.x[-1:])
        return self._logits(last)[0]

    @torch.inference_mode()
    def decode(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """One step for slots ``0..B-1``: ``tokens[b]`` at ``positions[b]``; returns ``[B, vocab]`` logits."""
        b = tokens.shape[0]
        s = self._scratch_for(b)
        length = int(positions.max()) + 1
        positions = positions.to(self.device)
        s.x.copy_(self.embed[tokens.to(self.device)])
        rotary = self.rotary[positions, None]  # [B, 1, head_dim / 2]
        single = b == 1  # one sequence sees every cached position: no mask, no scatter
        if not single:
            rows = torch.arange(b, device=self.device)
            mask = (torch.arange(length, device=self.device)[None] <= positions[:, None])[:, None, None, :]
        for layer, kv, keys, values in zip(self.layers, self.kv_layers, s.keys, s.values, strict=True):
            self._project(layer.qkv, s.h, self._norm(s.x, s.x_eps, layer.ln1, s.h), out=s.qkv)
            self._rope_(s.qk, rotary)
            if single:  # a plain copy into a view: a third of index_put's cost
                kv[:, 0, :, length - 1] = s.kv[0]
            else:
                kv[:, rows, :, positions] = s.kv
            # The query heads that share a KV head ride along as that head's "query length".
            s.att_heads.copy_(F.scaled_dot_product_attention(s.q, keys.narrow(2, 0, length),
                                                             values.narrow(2, 0, length),
                                                             attn_mask=None if single else mask))
            s.x.add_(layer.o(s.att))
            self._mlp_(layer, s)
        return self._logits(s)

    def move(self, source: int, target: int, length: int) -> None:
        """Copy slot ``source``'s first ``length`` cache positions to slot ``target`` (keeps slots dense)."""
        self.kv_cache[:, :, target, :, :length] = self.kv_cache[:, :, source, :, :length]

"""Constrained decoding for the engine: ``response_format`` and tool calls enforced token by token.

Built on xgrammar (https://github.com/mlc-ai/xgrammar): a request's JSON schema, or its tools, is
compiled once into a grammar over the tokenizer's vocabulary (cached by the compiler), each request
gets its own matcher, and every decode step the engine fills one bitmask row per constrained request
and masks the batch's logits in place (:meth:`Grammars.mask`); unconstrained rows are left alone.

Why xgrammar: measured with SmolLM2-135M's tokenizer (49,152 tokens) on a 4-property schema, a
39-token answer: computing a token's mask took 0.012 ms with xgrammar 0.2.9 against 0.25 ms with
llguidance 1.9.1 (whose CPU mask application also took far longer through its torch helper), and
the compile 8 ms. In the engine (``benchmarks/structured.py``, SmolLM2, 50 schemas, 2 shared cores) the
mask takes 0.5 ms of a ~23 ms decode step at 1 request and 2.3 ms at 16, the constrained throughput is
0.96x and 1.10x that of the same requests unconstrained (the spread is the shared CPU's), and 50 of 50
answers validate.

Formats:
    * ``{"type": "json_object"}``: any JSON object.
    * ``{"type": "json_schema", "json_schema": {"schema": ...}}``: JSON valid against the schema (strict or
      not: the answer is always held to it).
    * ``tools`` with ``tool_choice`` ``"auto"`` (text, or calls once the model opens one), ``"required"``
      (calls only), ``{"type": "function", "function": {"name"}}`` (that tool, once). Several calls in
      one answer only with ``parallel_tool_calls=True``: unset, OpenAI's models may make several, and a
      small model allowed to repeats its call until max_tokens (SmolLM2-135M made the same call 4 times
      in 128 tokens, in langchain-tests' tool tests), so one call it is. The call syntax is
      :mod:`bt_llm.models.tools`'.

Importing this module is cheap; xgrammar (and torch) load when a :class:`Grammars` is created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from bt_llm.errors import MinerError
from bt_llm.models import tools as tool_format
from bt_llm.models.sampling import SamplingParams

if TYPE_CHECKING:
    import torch

__all__ = ["GrammarError", "Grammars", "Matcher", "is_constrained"]

_SOURCE = re.compile(r"^\[[\d:]+\] \S+:\d+: ")


class Matcher(Protocol):
    """One request's position in its grammar (an ``xgrammar.GrammarMatcher``)."""

    def fill_next_token_bitmask(self, bitmask: torch.Tensor, index: int = 0) -> bool: ...

    def accept_token(self, token_id: int) -> bool: ...

    def is_terminated(self) -> bool: ...


class GrammarError(MinerError):
    """A schema or a tool's parameters that cannot be compiled into a grammar (HTTP 400)."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"{param}: {problem}", status_code=400)
        self.param = param


def is_constrained(params: SamplingParams) -> bool:
    """True when ``params`` ask for JSON or offer tools: decoding follows a grammar."""
    kind = (params.response_format or {}).get("type")
    return kind in ("json_object", "json_schema") or tool_format.uses_tools(params.tools, params.tool_choice)


def _json_schema(response_format: Mapping[str, Any]) -> Mapping[str, Any]:
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, Mapping):
            raise GrammarError("response_format", "'json_schema' must be an object with a 'schema'")
        schema = spec.get("schema")
        if schema is not None:
            if not isinstance(schema, Mapping):
                raise GrammarError("response_format", "'json_schema.schema' must be a JSON Schema object")
            return schema
    return {"type": "object"}


def _parameters(tool: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    function = tool.get("function") if isinstance(tool, Mapping) else None
    if tool.get("type") != "function" or not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise GrammarError("tools", "each tool must be {'type': 'function', 'function': {'name', 'parameters'}}")
    parameters = function.get("parameters") or {"type": "object"}
    if not isinstance(parameters, Mapping):
        raise GrammarError("tools", f"the parameters of {function['name']!r} must be a JSON Schema object")
    return function["name"], parameters


def _tool_tag(tools: Sequence[Mapping[str, Any]], tool_choice: object, *, parallel: bool) -> dict[str, Any]:
    """The structural tag (xgrammar's JSON form) of the calls ``tool_choice`` allows."""
    offered = dict(_parameters(t) for t in tools)
    if isinstance(tool_choice, Mapping):
        name = (tool_choice.get("function") or {}).get("name")
        if name not in offered:
            raise GrammarError("tool_choice", f"names no tool given in 'tools': {json.dumps(tool_choice)[:100]}")
        offered = {name: offered[name]}
        parallel = False
    tags = [{"type": "tag", "begin": f"{tool_format.CALL_BEGIN}{name}{tool_format.ARGUMENTS}",
             "content": {"type": "json_schema", "json_schema": dict(schema), "max_whitespace_cnt": 1},
             "end": tool_format.CALL_END}
            for name, schema in offered.items()]
    if tool_choice in (None, "auto"):
        fmt = {"type": "triggered_tags", "triggers": [tool_format.CALL_TRIGGER], "tags": tags,
               "stop_after_first": not parallel}
    else:  # "required" or a named tool: calls from the first token, nothing else
        fmt = {"type": "tags_with_separator", "tags": tags, "separator": "\n", "at_least_one": True,
               "stop_after_first": not parallel}
    return {"type": "structural_tag", "format": fmt}


def _printable_tokens(vocab: Sequence[bytes], words: int) -> torch.Tensor:
    """A bitmask row (xgrammar's layout: bit ``j % 32`` of word ``j // 32``) allowing the tokens without
    a raw control character other than tab, newline and carriage return. xgrammar 0.2.9's JSON strings
    refuse those three but admit the others (seen with the tiny model: ``"ain\x14"``), which JSON, and
    ``json.loads``, refuse; no answer needs them (JSON escapes them)."""
    import torch

    allowed = torch.zeros(words * 32, dtype=torch.long)
    allowed[:len(vocab)] = torch.tensor([not any(b < 32 and b not in (9, 10, 13) for b in token) for token in vocab])
    packed = (allowed.view(words, 32) << torch.arange(32)).sum(1)
    return torch.where(packed >= 2**31, packed - 2**32, packed).to(torch.int32)


class Grammars:
    """The grammars of one tokenizer: compiles (and caches) a request's grammar, masks a batch's logits.

    Args:
        tokenizer: the model's transformers tokenizer.
        vocab_size: the model's logits width (may exceed the tokenizer's: padding rows are masked).
        stop_ids: the token ids that end an answer; a matcher allows them once its grammar is complete.
        rows: the most requests masked at once (the engine's batch).
    """

    def __init__(self, tokenizer: object, vocab_size: int, stop_ids: Collection[int], rows: int) -> None:
        import xgrammar

        self._xgr = xgrammar
        info = xgrammar.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size,
                                                       stop_token_ids=sorted(stop_ids))
        self._compiler = xgrammar.GrammarCompiler(info, max_threads=1)  # the engine owns the other core
        self.vocab_size = vocab_size
        self._bitmask = xgrammar.allocate_token_bitmask(rows, vocab_size)
        self._printable = _printable_tokens(info.decoded_vocab, self._bitmask.shape[1])

    def matcher(self, params: SamplingParams) -> Matcher | None:
        """A fresh matcher for ``params``' constraint, or None when they set none.

        Raises:
            GrammarError: the schema (or a tool's parameters) cannot be compiled.
        """
        fmt = params.response_format or {}
        tools = tool_format.uses_tools(params.tools, params.tool_choice)
        if not tools and fmt.get("type") not in ("json_object", "json_schema"):
            return None
        param = "tools" if tools else "response_format"
        try:
            if tools:
                assert params.tools is not None
                tag = _tool_tag(params.tools, params.tool_choice, parallel=params.parallel_tool_calls is True)
                compiled = self._compiler.compile_structural_tag(json.dumps(tag))
            else:
                compiled = self._compiler.compile_json_schema(json.dumps(_json_schema(fmt)), any_whitespace=False)
        except (RuntimeError, ValueError, TypeError) as exc:  # xgrammar's errors derive from these
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            detail = _SOURCE.sub("", lines[-1])  # "[09:37:57] /project/cpp/x.cc:94: " off the message
            raise GrammarError(param, f"the schema cannot be compiled into a grammar: {detail[:300]}") from exc
        return self._xgr.GrammarMatcher(compiled)

    def mask(self, logits: torch.Tensor, matchers: Sequence[Matcher | None]) -> None:
        """Set to -inf, in place, each constrained row's logits that its grammar forbids next."""
        rows = [i for i, m in enumerate(matchers) if m is not None and not m.is_terminated()]
        if not rows:
            return
        for i in rows:
            matchers[i].fill_next_token_bitmask(self._bitmask, i)  # type: ignore[union-attr]
        self._bitmask[rows] &= self._printable
        bitmask = self._bitmask[:logits.shape[0]]  # filled on the CPU (xgrammar's matchers), applied where the logits are
        self._xgr.apply_token_bitmask_inplace(logits, bitmask.to(logits.device, non_blocking=True),
                                              vocab_size=self.vocab_size, indices=rows)

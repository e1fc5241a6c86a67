"""The miners' generation engine: continuous batching over one :class:`~bt_llm.models.decoder.Decoder`.

One thread owns the model. Each iteration it (1) drops requests that were cancelled or ran past their
deadline, (2) runs at most ``prefill_tokens`` prompt tokens of the requests waiting for a slot (chunked
prefill: a long prompt is split over several iterations, so the running streams keep producing tokens
while it is admitted), then (3) runs one decode step for every running request together: a request
joins the batch at the next step after its prompt is in and leaves when it finishes, each with its own
sampling parameters, stop strings, seed and stream.

Admission is decided when a request arrives, never by a time-out later: a prompt over
``max_prompt_tokens`` is refused (:class:`PromptTooLong`, HTTP 413 at the axon), and when every slot is
busy a request that cannot start before its deadline, or that finds the queue full, is refused at once
(:class:`Overloaded`, 503 with a retry hint). Memory is fixed when the engine starts: the KV cache holds
``max_seqs`` sequences of ``max_prompt_tokens + max_new_tokens`` tokens, whatever the prompts.

Constrained decoding (:mod:`bt_llm.models.grammar`, xgrammar): a request with ``response_format`` JSON or
``tools`` gets a grammar matcher when submitted (a schema that cannot be compiled is refused there, HTTP
400); each step, the constrained rows of the batch's logits are masked in place before sampling, so
requests with and without constraints share the batch. A constrained request ends when its grammar is
complete and the model samples end-of-sequence (the only token the grammar then allows); its stop strings
are not applied (the grammar decides the end). A request offering tools answers its calls parsed out of
the text (``Completion.tool_calls``, finish reason ``"tool_calls"``). With ``logprobs`` each answer
token carries the model's log-probability (before any constraint) and its ``top_logprobs`` alternatives.

Streams are detokenized incrementally (the offsets scheme of vLLM and TGI): text is released only when
it no longer ends in an incomplete UTF-8 sequence, so a multi-byte character is never split across
chunks, and ``completion_tokens`` counts the tokens behind the text that was sent.

Example:
    >>> from transformers import AutoModelForCausalLM, AutoTokenizer
    >>> from bt_llm.models.tiny import create_tiny_model
    >>> path = create_tiny_model()
    >>> engine = Engine(AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path), max_seqs=2)
    >>> done = engine.submit(engine.encode("hello"), SamplingParams(max_tokens=3, temperature=0)).result()
    >>> done.completion_tokens <= 3
    True
    >>> engine.close()
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from bt_llm.errors import ConfigError, MinerError
from bt_llm.models import tools as tool_format
from bt_llm.models.decoder import Decoder
from bt_llm.models.grammar import Grammars, Matcher, is_constrained
from bt_llm.models.sampling import SamplingParams
from bt_llm.stops import StopCutter

log = logging.getLogger("bt_llm.models.engine")

@dataclass(frozen=True)
class Completion:
    """A finished completion with its token counts.

    ``finish_reason``: ``"stop"`` (the model ended it, or a stop string), ``"length"`` (``max_tokens``),
    ``"deadline"`` (cut to answer the caller in time, or cancelled) or ``"tool_calls"`` (it ended with
    calls). ``tool_calls`` (OpenAI's shape) when a request offering tools got calls, ``text`` then being
    the prose around them; ``logprobs`` (``[{"token", "logprob", "bytes", "top_logprobs"}]``, one per
    answer token) when asked for.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    tool_calls: list[dict[str, Any]] | None = None
    logprobs: list[dict[str, Any]] | None = None


class PromptTooLong(MinerError):
    """The prompt has more tokens than this miner takes (HTTP 413)."""

    def __init__(self, tokens: int, limit: int) -> None:
        super().__init__(f"Prompt too long: {tokens} tokens, this miner takes at most {limit}.", status_code=413)
        self.tokens, self.limit = tokens, limit


class Overloaded(MinerError):
    """No capacity for the request before its deadline (HTTP 503); ``retry_after`` in seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        self.retry_after = max(retry_after, 0.1)
        super().__init__(f"Service unavailable: {reason}; retry after {self.retry_after:.1f}s.", status_code=503)


class EngineClosed(MinerError):
    """The engine stopped before the request finished (HTTP 503)."""

    def __init__(self) -> None:
        super().__init__("Service unavailable: the miner is shutting down.", status_code=503)


@dataclass(eq=False)
class _Request:
    ids: list[int]
    params: SamplingParams
    max_new: int
    generator: torch.Generator | None
    events: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    out: list[int] = field(default_factory=list)
    cancelled: bool = False
    # incremental detokenization
    prefix_offset: int = 0
    read_offset: int = 0
    stop: StopCutter | None = None
    sent_tokens: int = 0  # tokens behind the text released so far
    finished: bool = False
    filled: int = 0  # prompt tokens in the cache so far (chunked prefill)
    matcher: Matcher | None = None  # the grammar a constrained request follows
    logprobs: list[dict[str, Any]] = field(default_factory=list)  # one per generated token, when asked

    @property
    def position(self) -> int:
        """Tokens in the cache for this request (prompt plus generated, less the last sampled one)."""
        return len(self.ids) + len(self.out) - 1


class Generation:
    """A submitted request: iterate for text deltas as they are produced; :meth:`result` for the end.

    Closing it (or leaving a ``for`` loop early and dropping it) cancels the generation at its next step.
    """

    def __init__(self, engine: Engine, request: _Request) -> None:
        self._engine = engine
        self._request = request
        self._completion: Completion | None = None
        self._error: BaseException | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            while self._completion is None and self._error is None:
                kind, value = self._request.events.get()
                if kind == "text":
                    yield value
                elif kind == "done":
                    self._completion = value
                else:
                    self._error = value
        except GeneratorExit:  # the consumer went away
            self.cancel()
            raise
        if self._error is not None:
            raise self._error

    def result(self) -> Completion:
        """Wait for the whole completion."""
        for _ in self:
            pass
        assert self._completion is not None
        return self._completion

    def cancel(self) -> None:
        """Stop generating at the next step (the completion ends as it is)."""
        self._request.cancelled = True
        self._engine._wake()

    close = cancel


class Engine:
    """Continuous batching for a Llama-family model that transformers loaded.

    Args:
        model: the causal LM (``Decoder.supports(model)`` must hold).
        tokenizer: its tokenizer.
        max_seqs: sequences generated at once (cache slots).
        max_prompt_tokens: the longest prompt accepted.
        max_new_tokens: the most new tokens per request.
        max_waiting: requests queued beyond ``max_seqs`` (default: ``max_seqs``).
        prefill_tokens: prompt tokens run per iteration before the running batch steps again (the
            prefill chunk: it bounds the running streams' inter-token gap while a long prompt is
            admitted; see ``_fill``). With 128, SmolLM2 on 2 cores: a 1,000-token prompt holds 4
            running streams up 0.47-0.50 s at most instead of 3.3 s, and itself takes 3.4 s instead of
            3.3. Chunks of 64 to 256 run a 1,024-token prompt in the same time within 5%; smaller
            chunks mean more decode steps before a burst of short prompts is all in.
        quantize: ``"auto"``, ``"int8"`` or ``"none"`` (see :class:`Decoder`).
    """

    def __init__(self, model: torch.nn.Module, tokenizer: object, *, max_seqs: int = 16,
                 max_prompt_tokens: int = 1024, max_new_tokens: int = 512, max_waiting: int | None = None,
                 prefill_tokens: int = 128, quantize: str = "auto") -> None:
        if min(max_seqs, max_prompt_tokens, max_new_tokens, prefill_tokens) < 1:
            raise ConfigError("max_seqs, max_prompt_tokens, max_new_tokens and prefill_tokens must be at least 1")
        self.tokenizer = tokenizer
        self.max_seqs = max_seqs
        self.max_prompt_tokens = max_prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.max_waiting = max_seqs if max_waiting is None else max_waiting
        self.prefill_tokens = prefill_tokens
        # One slot more than the batch: prompts are run there, and it keeps the KV of the last one, whose
        # prefix the next prompts usually share (the chat template's system prompt); see _fill.
        self.decoder = Decoder.from_model(model, slots=max_seqs + 1, max_len=max_prompt_tokens + max_new_tokens,
                                          quantize=quantize)
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.vocab_size = int(model.config.vocab_size)
        self._grammars: Grammars | None = None  # xgrammar loads with the first constrained request
        self._grammars_lock = threading.Lock()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._waiting: deque[_Request] = deque()
        self._running: list[_Request] = []
        self._filling: _Request | None = None  # the prompt being run into the spare slot
        self._closed = False
        self._prefix: list[int] = []  # the prompt whose KV the spare slot holds
        self.step_seconds = 0.05  # moving average of one decode step, for admission estimates
        self._thread = threading.Thread(target=self._loop, name="bt-llm-engine", daemon=True)
        self._thread.start()

    # -- public -----------------------------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        """The KV cache's size, fixed at start."""
        return self.decoder.cache_bytes

    def encode(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of ``text`` (with the tokenizer's special tokens when ``special``)."""
        return list(self.tokenizer.encode(text, add_special_tokens=special))

    def check_prompt_text(self, text: str) -> None:
        """Refuse at once a prompt so long in characters that it cannot fit in tokens (no tokenization)."""
        if len(text) > 32 * self.max_prompt_tokens:  # no tokenizer packs 32 characters a token on average
            raise PromptTooLong(len(text) // 32, self.max_prompt_tokens)

    @property
    def grammars(self) -> Grammars:
        """The tokenizer's grammar compiler and batch mask (created on first use: it imports xgrammar)."""
        with self._grammars_lock:
            if self._grammars is None:
                self._grammars = Grammars(self.tokenizer, self.vocab_size, self.eos, rows=self.max_seqs + 1)
            return self._grammars

    def submit(self, ids: list[int], params: SamplingParams) -> Generation:
        """Queue a prompt (token ids) for generation.

        Raises:
            PromptTooLong: more than ``max_prompt_tokens`` tokens (or none).
            GrammarError: its JSON schema or tools cannot be compiled into a grammar (HTTP 400).
            Overloaded: it could not start before ``params.deadline``, or the queue is full.
            EngineClosed: the engine has stopped.
        """
        if len(ids) > self.max_prompt_tokens:
            raise PromptTooLong(len(ids), self.max_prompt_tokens)
        if not ids:
            raise ConfigError("empty prompt")
        matcher = self.grammars.matcher(params) if is_constrained(params) else None
        generator = None
        if not params.greedy:
            generator = torch.Generator()
            generator.manual_seed(params.seed if params.seed is not None else int.from_bytes(os.urandom(7), "little"))
        request = _Request(ids=list(ids), params=params, max_new=min(params.max_tokens, self.max_new_tokens),
                           generator=generator, stop=StopCutter(() if matcher else params.stop), matcher=matcher)
        with self._lock:
            if self._closed:
                raise EngineClosed()
            self._admit_or_refuse(request)
            self._waiting.append(request)
            self._wakeup.notify()
        return Generation(self, request)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the engine thread; every unfinished request ends with :class:`EngineClosed`."""
        with self._lock:
            self._closed = True
            self._wakeup.notify()
        self._thread.join(timeout)

    # -- admission --------------------------------------------------------------------------------

    def _admit_or_refuse(self, request: _Request) -> None:
        """Called with the lock held."""
        # queued beyond the free slots
        ahead = len(self._running) + (self._filling is not None) + len(self._waiting) - self.max_seqs
        if ahead < 0:
            return
        if ahead >= self.max_waiting:
            raise Overloaded(f"miner at capacity ({len(self._running)} generating, {len(self._waiting)} waiting)",
                             self._estimate_start(ahead))
        start = self._estimate_start(ahead)
        if request.params.deadline is not None and time.monotonic() + start > request.params.deadline:
            raise Overloaded(f"miner busy, a slot frees in about {start:.1f}s, after this request's deadline", start)

    def _estimate_start(self, ahead: int) -> float:
        """Seconds until the request after ``ahead`` waiting ones gets a slot (lock held)."""
        now = time.monotonic()
        remaining = sorted(
            min(r.max_new - len(r.out), (r.params.deadline - now) / self.step_seconds if r.params.deadline else 1e9)
            for r in self._running)
        if not remaining:
            return 0.0
        k = min(ahead, len(remaining) - 1)
        return max(remaining[k], 0) * self.step_seconds

    # -- the loop ---------------------------------------------------------------------------------

    def _wake(self) -> None:
        with self._lock:
            self._wakeup.notify()

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._waiting and not self._running and self._filling is None:
                    self._wakeup.wait()
                if self._closed:
                    break
            try:
                self._drop_finished()
                self._fill()
                self._drop_finished()  # answers that ended on their first token
                if self._running:
                    self._step()
            except Exception as exc:  # a bug or out of memory: those requests fail, the engine goes on
                failed = [*self._running, *([self._filling] if self._filling else [])]
                log.exception("generation step failed; %d requests end with an error", len(failed))
                error = MinerError(f"generation failed: {type(exc).__name__}: {exc}", status_code=500)
                self._running, self._filling, self._prefix = [], None, []
                for r in failed:
                    self._fail(r, error)
        self._fail_all(EngineClosed())

    @staticmethod
    def _fail(r: _Request, error: BaseException) -> None:
        if not r.finished:
            r.finished = True
            r.events.put(("error", error))

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            self._closed = True
            pending = [*self._running, *([self._filling] if self._filling else []), *self._waiting]
            self._running.clear()
            self._filling = None
            self._waiting.clear()
        for r in pending:
            self._fail(r, error)

    def _drop_finished(self) -> None:
        now = time.monotonic()
        for r in list(self._running):
            if r.finished:
                self._release(r)
            elif r.cancelled or (r.params.deadline is not None and now >= r.params.deadline):
                self._finish(r, "deadline")
                self._release(r)
        r = self._filling
        if r is not None and (r.cancelled or (r.params.deadline is not None and now >= r.params.deadline)):
            self._filling = None  # the spare slot keeps what was run of it, as a prefix for the next
            self._finish(r, "deadline")
        with self._lock:
            for r in [r for r in self._waiting if r.cancelled]:
                self._waiting.remove(r)
                self._finish(r, "deadline")

    def _release(self, r: _Request) -> None:
        """Free ``r``'s slot; the last running request moves into it so slots stay ``0..B-1``."""
        slot = self._running.index(r)
        last = self._running.pop()
        if last is not r:
            self.decoder.move(len(self._running), slot, last.position)
            self._running[slot] = last

    def _fill(self) -> None:
        """Run up to ``prefill_tokens`` prompt tokens, taking waiting requests in turn while slots are free.

        Chunked prefill: a prompt is run into the spare slot over as many iterations as it needs, one
        decode step of the running batch between two chunks, so a 1,024-token prompt no longer stops
        the running streams for its whole prefill (about 3.3 s on 2 cores) but for one chunk at a time.
        When its last chunk is in, it moves into the next batch slot and samples its first token. A
        chunk's logits can differ from the whole prompt's in the last bits (attention's blocks follow
        the chunk's shape); greedy answers stay the same (tested on the tiny model; SmolLM2: 5 of 5
        prompts of 150 to 1,000 tokens, 32 new tokens each, in chunks of 64 and 128).

        Prefix caching (as vLLM's and llama.cpp's servers do): the spare slot keeps the KV of the last
        prompt run there; the tokens a new prompt shares with it are not recomputed (positions match,
        so they are exact). With SmolLM2's chat template the shared system prompt is 31 of a typical
        prompt's 41 tokens.
        """
        budget = self.prefill_tokens
        spare = self.max_seqs
        while budget > 0:
            r = self._filling
            if r is None:
                with self._lock:
                    if not self._waiting or len(self._running) >= self.max_seqs:
                        return
                    r = self._filling = self._waiting.popleft()
                r.filled = 0
                for a, b in zip(r.ids[:-1], self._prefix, strict=False):  # at least one token is computed
                    if a != b:
                        break
                    r.filled += 1
            n = min(budget, len(r.ids) - r.filled)
            logits = self.decoder.prefill(torch.tensor(r.ids[r.filled:r.filled + n]), slot=spare, start=r.filled)
            r.filled += n
            budget -= n
            self._prefix = r.ids[:r.filled]
            if r.filled == len(r.ids):
                self._filling = None
                self.decoder.move(spare, len(self._running), len(r.ids))
                self._running.append(r)
                self._accept(r, self._sample(logits[None], [r])[0])

    def _step(self) -> None:
        batch = self._running
        tokens = torch.tensor([r.out[-1] for r in batch])
        positions = torch.tensor([r.position for r in batch])
        started = time.perf_counter()
        logits = self.decoder.decode(tokens, positions)
        self.step_seconds = 0.9 * self.step_seconds + 0.1 * (time.perf_counter() - started)
        for r, token in zip(batch, self._sample(logits, batch), strict=True):
            self._accept(r, token)

    # -- sampling and text ------------------------------------------------------------------------

    def _sample(self, logits: torch.Tensor, batch: list[_Request]) -> list[int]:
        wanted = [i for i, r in enumerate(batch) if r.params.logprobs]
        # the model's own distribution, before any constraint (as OpenAI's logprobs)
        raw = torch.log_softmax(logits[wanted], dim=-1) if wanted else None
        if any(r.matcher is not None for r in batch):
            self.grammars.mask(logits, [r.matcher for r in batch])
        picks = logits.argmax(-1).tolist()
        for i, r in enumerate(batch):
            p = r.params
            if p.greedy:
                continue
            probs = torch.softmax(logits[i].float() / p.temperature, dim=-1)
            if p.top_p < 1.0:
                sorted_probs, order = probs.sort(descending=True)
                keep = sorted_probs.cumsum(-1) - sorted_probs < p.top_p
                probs = torch.zeros_like(probs).scatter_(0, order[keep], sorted_probs[keep])
            picks[i] = int(torch.multinomial(probs, 1, generator=r.generator))
        if raw is not None:
            for row, i in enumerate(wanted):
                if picks[i] not in self.eos:
                    batch[i].logprobs.append(self._logprob_entry(raw[row], picks[i], batch[i].params.top_logprobs or 0))
        return picks

    def _logprob_entry(self, logprobs: torch.Tensor, token: int, top: int) -> dict[str, Any]:
        """OpenAI's ``ChatCompletionTokenLogprob`` for ``token`` under ``logprobs`` (one row)."""
        def item(t: int, value: float) -> dict[str, Any]:
            text = self.tokenizer.decode([t])
            return {"token": text, "logprob": value, "bytes": list(text.encode())}

        entry = item(token, float(logprobs[token]))
        values, ids = logprobs.topk(top) if top else (torch.empty(0), torch.empty(0, dtype=torch.long))
        entry["top_logprobs"] = [item(t, v) for t, v in zip(ids.tolist(), values.tolist(), strict=True)]
        return entry

    def _accept(self, r: _Request, token: int) -> None:
        """Record one sampled token for ``r``: release text, finish on eos/stop/length."""
        if r.finished:
            return
        if r.matcher is not None and not r.matcher.accept_token(token):  # never, the mask forbids it
            log.error("token %d is off its request's grammar; the answer ends there", token)
            self._finish(r, "stop")
            return
        if token in self.eos:
            self._finish(r, "stop")
            return
        r.out.append(token)
        self._release_text(r)
        if r.finished:
            return
        if len(r.out) >= r.max_new or r.position + 1 >= self.decoder.max_len:
            self._finish(r, "length")

    def _release_text(self, r: _Request, final: bool = False) -> None:
        decode = self.tokenizer.decode
        prefix = decode(r.out[r.prefix_offset:r.read_offset], skip_special_tokens=True)
        text = decode(r.out[r.prefix_offset:], skip_special_tokens=True)
        if final:  # bytes of a character the model never finished are dropped, not sent as U+FFFD
            text = text.rstrip("\ufffd")
        if len(text) <= len(prefix) or text.endswith("\ufffd"):
            return
        delta = text[len(prefix):]
        r.prefix_offset, r.read_offset = r.read_offset, len(r.out)
        assert r.stop is not None
        piece = r.stop.feed(delta)
        if not r.stop.stopped or piece:
            r.sent_tokens = len(r.out)
        if piece:
            r.events.put(("text", piece))
        if r.stop.stopped:
            self._finish(r, "stop")

    def _finish(self, r: _Request, reason: str) -> None:
        if r.finished:
            return
        assert r.stop is not None
        if not r.stop.stopped:
            self._release_text(r, final=True)
        if r.finished:  # a stop string in the final text finished it
            return
        r.finished = True
        tail = r.stop.flush()
        if tail:
            r.events.put(("text", tail))
        text, calls = r.stop.text, None
        if tool_format.uses_tools(r.params.tools, r.params.tool_choice):
            text, calls = tool_format.parse_tool_calls(text)
            if calls and reason == "stop":
                reason = "tool_calls"
        logprobs = r.logprobs[:r.sent_tokens] if r.params.logprobs else None
        r.events.put(("done", Completion(text, len(r.ids), r.sent_tokens, reason, tool_calls=calls or None,
                                         logprobs=logprobs)))


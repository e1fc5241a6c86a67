"""Text generation with any causal LM that transformers loads from a local folder.

``TextGenerator`` wraps a model and its tokenizer: chat template when the tokenizer has one (else a
plain ``role: content`` prompt), sampling parameters, stop strings, a seed, blocking ``generate`` and
streaming ``stream``, and async twins that run in a worker thread.

Llama-family models (``Decoder.supports``) generate on the continuous-batching :class:`Engine`:
concurrent callers share forward passes. Other architectures, or ``batching=False`` (the serial
baseline of ``benchmarks/serving.py``), run ``model.generate`` one request at a time under a lock,
streaming through ``TextIteratorStreamer``. Importing this module imports torch and transformers;
``bt_llm.models`` itself does not.

Example:
    >>> from bt_llm.models.tiny import create_tiny_model
    >>> gen = TextGenerator.from_path(create_tiny_model())
    >>> text = gen.generate("hello", max_tokens=4, temperature=0)
    >>> isinstance(text, str)
    True
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from bt_llm.errors import ConfigError
from bt_llm.models.decoder import Decoder
from bt_llm.models.engine import Completion, Engine, Generation
from bt_llm.models.files import quiet_progress_bars, resolve_model_path
from bt_llm.models.sampling import (
    Message,
    SamplingParams,
    normalize_messages,
    plain_prompt,
)
from bt_llm.models.tools import tool_messages, uses_tools
from bt_llm.stops import StopCutter, cut_at_stop

Messages = str | Iterable[Message | tuple[str, str]]


def pick_device(device: str = "auto") -> str:
    """``"auto"`` → ``"cuda"`` when a GPU is visible, else ``"cpu"``; anything else is returned as is."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def pick_dtype(device: str, dtype: str | torch.dtype = "auto") -> torch.dtype:
    """float32 on CPU; bfloat16 (or float16 without bf16 support) on CUDA; or the named dtype."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype != "auto":
        value = getattr(torch, dtype, None)
        if not isinstance(value, torch.dtype):
            raise ConfigError(f"unknown dtype {dtype!r}")
        return value
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


class _StopCriteria(StoppingCriteria):
    """Ends generation on a stop string in the new text, or when the caller cancels."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, prompt_len: int, stop: tuple[str, ...],
                 cancel: threading.Event, deadline: float | None = None) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stop = stop
        self.cancel = cancel
        self.deadline = deadline

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        done = self.cancel.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline)
        if not done and self.stop:
            text = self.tokenizer.decode(input_ids[0, self.prompt_len :], skip_special_tokens=True)
            done = cut_at_stop(text, self.stop)[1]
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class TextGenerator:
    """A causal LM ready to answer chat messages: on the batching :class:`Engine` when the model's
    family allows, else one generation at a time.

    Args:
        model: a loaded transformers causal LM (already on its device).
        tokenizer: its tokenizer.
        defaults: sampling used where a request leaves a parameter unset.
        name: a label for logs and the synapse's model field.
    """

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, *,
                 defaults: SamplingParams | None = None, name: str = "model", batching: bool = True,
                 **engine_options: Any) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.defaults = defaults or SamplingParams()
        self.name = name
        self._lock = threading.Lock()
        self.engine: Engine | None = None
        if batching and Decoder.supports(self.model):
            self.engine = Engine(self.model, tokenizer, **engine_options)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], *, device: str = "auto", dtype: str | torch.dtype = "auto",
                  defaults: SamplingParams | None = None, name: str | None = None, batching: bool = True,
                  **engine_options: Any) -> TextGenerator:
        """Load a model folder (``config.json`` + weights + tokenizer) onto ``device``.

        ``path`` may also be a ``.gguf`` file or an installed model package (see :func:`resolve_model_path`).

        Raises:
            ConfigError: the folder does not exist or transformers cannot load it.
        """
        folder = resolve_model_path(path)
        if not (folder / "config.json").is_file():
            raise ConfigError(f"no transformers model at {folder} (config.json missing)")
        dev = pick_device(device)
        quiet_progress_bars()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
            model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=pick_dtype(dev, dtype))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"transformers could not load {folder}: {exc}") from exc
        return cls(model.to(dev), tokenizer, defaults=defaults, name=name or folder.name, batching=batching,
                   **engine_options)

    @property
    def device(self) -> torch.device:
        """Where the model's weights live."""
        return self.model.device

    @property
    def has_chat_template(self) -> bool:
        """True when the tokenizer formats chats itself."""
        return bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, messages: Messages, params: SamplingParams | None = None) -> str:
        """The exact prompt text the model sees for ``messages``: with the tools ``params`` offer in the
        system message, and earlier tool calls and results written out (:func:`~bt_llm.models.tools.tool_messages`)."""
        if not isinstance(messages, str):
            offered = params.tools if params is not None and uses_tools(params.tools, params.tool_choice) else None
            messages = tool_messages([m if isinstance(m, Mapping) else {"role": m[0], "content": m[1]}
                                      for m in messages], offered)
        chat = normalize_messages(messages)
        if self.has_chat_template:
            return self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        return plain_prompt(chat)

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` encodes to (no special tokens)."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def params(self, params: SamplingParams | None = None, **overrides: Any) -> SamplingParams:
        """Merge ``params`` (or the defaults) with non-None keyword overrides."""
        return (params or self.defaults).with_overrides(**overrides)

    # -- blocking -------------------------------------------------------------------------------

    def complete(self, messages: Messages, params: SamplingParams | None = None, **overrides: Any) -> Completion:
        """Generate a whole completion and report token counts."""
        p = self.params(params, **overrides)
        if self.engine is not None:
            return self.submit(messages, p).result()
        inputs = self._encode(messages)
        prompt_len = inputs["input_ids"].shape[1]
        with self._lock:
            output = self._generate(inputs, p, threading.Event(), streamer=None)
        new_tokens = output[0, prompt_len:]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        cut, stopped = cut_at_stop(text, p.stop)
        if stopped:
            return Completion(cut, prompt_len, len(new_tokens), "stop")
        n = len(new_tokens)
        if n > 0 and self._is_eos(int(new_tokens[-1])):
            return Completion(text, prompt_len, n, "stop")
        return Completion(text, prompt_len, n, "length" if n >= p.max_tokens else "deadline")

    def generate(self, messages: Messages, params: SamplingParams | None = None, **overrides: Any) -> str:
        """The completion text for ``messages``."""
        return self.complete(messages, params, **overrides).text

    def stream(self, messages: Messages, params: SamplingParams | None = None, *,
               on_finish: Callable[[Completion], None] | None = None, **overrides: Any) -> Iterator[str]:
        """Yield the completion in pieces as the model produces them.

        ``on_finish`` receives the whole :class:`Completion` once the stream ends. Closing the iterator
        early cancels the generation at its next token.
        """
        p = self.params(params, **overrides)
        if self.engine is not None:
            yield from self._engine_stream(messages, p, on_finish)
            return
        inputs = self._encode(messages)
        prompt_len = inputs["input_ids"].shape[1]
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                result["output"] = self._generate(inputs, p, cancel, streamer=streamer)
            except BaseException as exc:  # re-raised in the consumer's thread
                result["error"] = exc
                streamer.end()
            finally:
                self._lock.release()

        self._lock.acquire()
        worker = threading.Thread(target=run, name=f"generate-{self.name}", daemon=True)
        worker.start()
        stop = StopCutter(p.stop)
        try:
            for chunk in streamer:
                piece = stop.feed(chunk)
                if piece:
                    yield piece
                if stop.stopped:
                    cancel.set()
                    break
            tail = stop.flush()
            if tail:
                yield tail
        finally:
            cancel.set()
            worker.join()
        if "error" in result:
            raise result["error"]
        if on_finish is not None:
            output = result["output"][0]
            n = int(output.shape[0] - prompt_len)
            reason = "stop" if stop.stopped or (n > 0 and self._is_eos(int(output[-1]))) else "length"
            on_finish(Completion(stop.text, prompt_len, n, reason))

    def submit(self, messages: Messages, params: SamplingParams) -> Generation:
        """Queue ``messages`` on the batching engine (see :meth:`Engine.submit` for the refusals)."""
        assert self.engine is not None
        text = self.render(messages, params)
        self.engine.check_prompt_text(text)
        return self.engine.submit(self.engine.encode(text, special=not self.has_chat_template), params)

    def _engine_stream(self, messages: Messages, params: SamplingParams,
                       on_finish: Callable[[Completion], None] | None) -> Iterator[str]:
        generation = self.submit(messages, params)
        try:
            yield from generation
        finally:
            generation.cancel()
        if on_finish is not None:
            on_finish(generation.result())

    def close(self) -> None:
        """Stop the batching engine (requests still running end with a 503)."""
        if self.engine is not None:
            self.engine.close()

    # -- async twins ----------------------------------------------------------------------------

    async def acomplete(self, messages: Messages, params: SamplingParams | None = None, **overrides: Any) -> Completion:
        """:meth:`complete` in a worker thread."""
        return await asyncio.to_thread(self.complete, messages, params, **overrides)

    async def agenerate(self, messages: Messages, params: SamplingParams | None = None, **overrides: Any) -> str:
        """:meth:`generate` in a worker thread."""
        return (await self.acomplete(messages, params, **overrides)).text

    async def astream(self, messages: Messages, params: SamplingParams | None = None, *,
                      on_finish: Callable[[Completion], None] | None = None, **overrides: Any) -> AsyncIterator[str]:
        """:meth:`stream` driven from a worker thread; chunks arrive on the event loop."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        closed = threading.Event()

        def pump() -> None:
            try:
                it = self.stream(messages, params, on_finish=on_finish, **overrides)
                try:
                    for chunk in it:
                        if closed.is_set():
                            break
                        loop.call_soon_threadsafe(queue.put_nowait, ("chunk", chunk))
                finally:
                    it.close()
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

        task = loop.run_in_executor(None, pump)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "chunk":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            closed.set()
            await task

    # -- internals ------------------------------------------------------------------------------

    def _encode(self, messages: Messages) -> dict[str, torch.Tensor]:
        text = self.render(messages)
        add_special = not self.has_chat_template
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=add_special)
        return {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}

    def _is_eos(self, token: int) -> bool:
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        return token in eos if isinstance(eos, list) else token == eos

    def _generation_config(self, p: SamplingParams) -> GenerationConfig:
        base = self.model.generation_config
        eos = base.eos_token_id if base.eos_token_id is not None else self.tokenizer.eos_token_id
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = eos[0] if isinstance(eos, list) else eos
        kwargs: dict[str, Any] = {"max_new_tokens": p.max_tokens, "eos_token_id": eos, "pad_token_id": pad,
                                  "bos_token_id": base.bos_token_id}
        if p.greedy:
            kwargs["do_sample"] = False
        else:
            kwargs.update(do_sample=True, temperature=p.temperature, top_p=p.top_p, top_k=0)
        return GenerationConfig(**kwargs)

    def _generate(self, inputs: dict[str, torch.Tensor], p: SamplingParams, cancel: threading.Event,
                  streamer: TextIteratorStreamer | None) -> torch.Tensor:
        """Run ``model.generate``; the caller holds the lock."""
        if p.seed is not None:
            torch.manual_seed(p.seed)
        criteria = StoppingCriteriaList(
            [_StopCriteria(self.tokenizer, inputs["input_ids"].shape[1], p.stop, cancel, p.deadline)])
        with torch.inference_mode():
            return self.model.generate(**inputs, generation_config=self._generation_config(p),
                                       stopping_criteria=criteria, streamer=streamer)

"""``Miner``: the class a miner author subclasses, shaped like the seed's synapse class.

Override :meth:`Miner.forward` to answer a conversation; optionally :meth:`Miner.stream` (chunks as
they are produced), :meth:`Miner.backward` (a validator's reward for an earlier answer),
:meth:`Miner.embed` (the ``Embedding`` synapse), :meth:`Miner.blacklist` and :meth:`Miner.priority`
(on top of the runtime's registration/permit/stake policy). The runtime
(:class:`bt_llm.neuron.runtime.Neuron`) turns these methods into axon handlers.

Example:
    >>> class Echo(Miner):
    ...     def forward(self, messages, params):
    ...         return messages[-1]["content"]
    >>> m = Echo()
    >>> m.forward([{"role": "user", "content": "hi"}], SamplingParams())
    'hi'
    >>> m.serves_text, m.serves_embeddings
    (True, False)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bt_llm.models.sampling import SamplingParams
from bt_llm.protocol.synapse import Synapse

__all__ = ["Answer", "Miner", "SamplingParams"]


class Finished(Protocol):
    """An answer that says why it ended (``bt_llm.models.engine.Completion`` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def finish_reason(self) -> str: ...


@runtime_checkable
class Structured(Finished, Protocol):
    """A finished answer that may call tools or carry log-probabilities (:class:`Answer`, and the
    engine's ``Completion``)."""

    @property
    def tool_calls(self) -> list[dict[str, Any]] | None: ...

    @property
    def logprobs(self) -> list[dict[str, Any]] | None: ...


@dataclass(frozen=True)
class Answer:
    """A whole answer beyond plain text: what :meth:`Miner.forward` returns to call tools or send
    log-probabilities (OpenAI's shapes: ``tool_calls`` as ``[{"id", "type": "function", "function":
    {"name", "arguments"}}]``, ``logprobs`` as ``[{"token", "logprob", "top_logprobs"}]``)."""

    text: str = ""
    finish_reason: str = "stop"
    tool_calls: list[dict[str, Any]] | None = None
    logprobs: list[dict[str, Any]] | None = None


class Miner:
    """Base class of every miner; each method runs in an axon worker thread.

    Attributes:
        name: a label for logs.
        defaults: sampling used where a request leaves a parameter unset.
        neuron: the running :class:`~bt_llm.neuron.runtime.Neuron` (its ``wallet``, ``subtensor``,
            ``metagraph``, ``uid``), set when the runtime starts.
    """

    name: str = "miner"
    defaults: SamplingParams = SamplingParams()

    def __init__(self) -> None:
        self.neuron: Any = None
        self.log = logging.getLogger(f"bt_llm.miner.{self.name}")

    # -- what a miner serves --------------------------------------------------------------------

    def forward(self, messages: list[dict[str, Any]], params: SamplingParams) -> str | Finished:
        """Answer a conversation (``[{"role", "content"}]``) with sampling ``params``: the text, or an
        object with ``text`` and ``finish_reason`` (``"stop"``, ``"length"``, ``"deadline"``) so that
        callers know a cut answer from a complete one (a model's ``Completion`` is one). A miner that
        declares :meth:`capabilities` reads ``params.response_format``/``tools``/``logprobs`` and returns
        an :class:`Answer` with ``tool_calls`` (finish reason ``"tool_calls"``) or ``logprobs``. A message
        may carry OpenAI's ``tool_calls`` (assistant) or ``tool_call_id`` (role ``tool``)."""
        raise NotImplementedError

    def stream(self, messages: list[dict[str, str]], params: SamplingParams) -> Iterable[str]:
        """Answer in chunks; the default sends :meth:`forward`'s whole answer as one chunk."""
        answer = self.forward(messages, params)
        yield answer if isinstance(answer, str) else answer.text

    def backward(self, messages: list[dict[str, str]], response: str, rewards: Sequence[float]) -> bool:
        """Receive a validator's rewards for ``response``; return True when the feedback was used.

        The default ignores it. A miner may log it, keep a running score per prompt type, or collect
        (messages, response, reward) triples to fine-tune on later.
        """
        return False

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text (serves the ``Embedding`` synapse when overridden)."""
        raise NotImplementedError

    # -- who may call, and in what order --------------------------------------------------------

    def blacklist(self, synapse: Synapse) -> tuple[bool, str]:
        """Extra refusals after the runtime's policy let a caller through; ``(True, reason)`` refuses."""
        return False, ""

    def priority(self, synapse: Synapse) -> float | None:
        """A priority for the request (higher first); None keeps the runtime's: the caller's stake."""
        return None

    def claim(self) -> tuple[str, bool] | None:
        """``(model, verifiable)`` announced to validators with every answer (signed by the runtime with
        the hotkey), or None to claim nothing. ``verifiable`` says the answers are that model's raw
        outputs under the request's sampling, which a validator holding the model recomputes (see
        :mod:`bt_llm.protocol.claims`). A validator that verifies scores unverifiable answers low."""
        return None

    def capabilities(self) -> frozenset[str]:
        """What this miner does beyond free text, announced with every answer: some of
        :data:`~bt_llm.protocol.synapses.CAPABILITIES` (``json_object``, ``json_schema``, ``tools``,
        ``logprobs``). A validator sends such requests only to miners that declare them, checks each
        answer (an answer off the requested schema scores 0), and sends the others none."""
        return frozenset()

    # -- helpers --------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` for the request log (whitespace words unless a miner knows better)."""
        return len(text.split())

    def close(self) -> None:
        """Release models or connections when the neuron stops."""

    @property
    def serves_text(self) -> bool:
        """True when :meth:`forward` is overridden."""
        return type(self).forward is not Miner.forward

    @property
    def serves_stream(self) -> bool:
        """True when the miner can stream (always, given :meth:`forward`)."""
        return self.serves_text or type(self).stream is not Miner.stream

    @property
    def serves_embeddings(self) -> bool:
        """True when :meth:`embed` is overridden."""
        return type(self).embed is not Miner.embed

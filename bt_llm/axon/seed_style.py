"""The seed README's miner style: subclass ``TextPromptingSynapse`` and construct it with the axon.

Example:
    >>> from substrateinterface import Keypair
    >>> from bt_llm.axon.server import Axon
    >>> class Chat(TextPromptingSynapse):
    ...     def forward(self, messages: list[dict[str, str]]) -> str:
    ...         return "hello im a chat bot."
    >>> axon = Axon(wallet=Keypair.create_from_uri("//Alice"), port=0)
    >>> _ = Chat(axon=axon)
    >>> sorted(axon.routes)
    ['Synapse', 'TextPrompting', 'TextPromptingBackward']
"""

from __future__ import annotations

import inspect
from typing import Any

from bt_llm.axon.server import Axon
from bt_llm.protocol.synapses import TextPrompting, TextPromptingBackward

__all__ = ["TextPromptingSynapse"]

_SAMPLING = ("max_tokens", "temperature", "top_p", "stop", "seed")


class TextPromptingSynapse:
    """Override ``forward`` (and optionally ``backward``, ``blacklist``, ``priority``); it attaches itself.

    ``forward(messages)`` gets ``[{"role", "content"}]`` (plus any of ``max_tokens``, ``temperature``,
    ``top_p``, ``stop``, ``seed`` that its signature names) and returns the completion text.
    ``backward(messages, response, rewards)`` receives a validator's rewards.
    ``blacklist(forward_call)`` returns a bool or ``(bool, reason)``; ``priority(forward_call)`` a float
    (higher first). ``forward_call`` is the received synapse.
    """

    def __init__(self, axon: Axon) -> None:
        self.axon = axon
        params = inspect.signature(self.forward).parameters
        self._takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self._accepted = {name for name in _SAMPLING if name in params}
        axon.attach(self._forward_call, self._blacklist_call, self._priority_call)
        axon.attach(self._backward_call, self._blacklist_call, self._priority_call)

    # -- override these -----------------------------------------------------------------------
    def priority(self, forward_call: Any) -> float:
        """Larger numbers are served first."""
        return 0.0

    def blacklist(self, forward_call: Any) -> bool | tuple[bool, str]:
        """True (or ``(True, reason)``) refuses the request."""
        return False

    def backward(self, messages: list[dict[str, str]], response: str, rewards: list[float]) -> Any:
        """Accept (and optionally apply) a validator's feedback."""
        return None

    def forward(self, messages: list[dict[str, str]]) -> str:
        """Return the completion for ``messages``."""
        raise NotImplementedError("subclass TextPromptingSynapse and implement forward(messages)")

    # -- the adapters the axon calls ---------------------------------------------------------------
    def _forward_call(self, synapse: TextPrompting) -> TextPrompting:
        kwargs = {
            name: getattr(synapse, name)
            for name in _SAMPLING
            if (self._takes_all or name in self._accepted) and getattr(synapse, name) is not None
        }
        synapse.completion = str(self.forward(synapse.chat(), **kwargs))
        return synapse

    def _backward_call(self, synapse: TextPromptingBackward) -> TextPromptingBackward:
        self.backward(synapse.chat(), synapse.completion, list(synapse.rewards))
        synapse.accepted = True
        return synapse

    def _blacklist_call(self, synapse: TextPrompting) -> tuple[bool, str]:
        verdict = self.blacklist(synapse)
        if isinstance(verdict, tuple):
            return bool(verdict[0]), str(verdict[1]) if len(verdict) > 1 else ""
        return bool(verdict), ""

    def _priority_call(self, synapse: TextPrompting) -> float:
        return float(self.priority(synapse))

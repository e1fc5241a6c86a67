"""The seed README's validator-side helper: ``bt.text_prompting(keypair=..., axon=...)``.

Example (against a running axon ``axon``)::

    dendrite = bt.text_prompting(keypair=wallet.hotkey, axon=metagraph.axons[10])
    dendrite.forward(roles=["user"], messages=["what are you?"]).completion
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from bt_llm.dendrite.client import Dendrite
from bt_llm.errors import ConfigError
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting, TextPromptingBackward

__all__ = ["TextPromptingClient"]


class TextPromptingClient:
    """Prompt one axon: ``forward`` (sync) / ``async_forward``, ``stream``, ``backward``.

    Args:
        keypair: the signing hotkey (a Keypair), or pass ``wallet``.
        axon: the target (an AxonInfo, e.g. ``metagraph.axons[uid]``, or a running Axon).
        wallet: a bt Wallet instead of ``keypair``.
        dendrite: share an existing Dendrite (its pool) instead of making one.
        timeout: default seconds per call.
    """

    def __init__(
        self,
        keypair: Any = None,
        axon: Any = None,
        *,
        wallet: Any = None,
        dendrite: Dendrite | None = None,
        timeout: float = 12.0,
    ) -> None:
        if axon is None:
            raise ConfigError("text_prompting needs an axon to talk to")
        if dendrite is None:
            signer = keypair if keypair is not None else wallet
            if signer is None:
                raise ConfigError("text_prompting needs a keypair or a wallet")
            dendrite = Dendrite(signer)
        self.dendrite = dendrite
        self.axon = axon
        self.timeout = timeout

    @staticmethod
    def _prompt(cls: type[Any], roles: Sequence[str], messages: Sequence[str], **fields: Any) -> Any:
        return cls(roles=list(roles), messages=list(messages), **{k: v for k, v in fields.items() if v is not None})

    async def async_forward(
        self, roles: Sequence[str], messages: Sequence[str], timeout: float | None = None, **sampling: Any
    ) -> TextPrompting:
        """Send the conversation; returns the filled :class:`TextPrompting` (``.completion``, ``.is_success``)."""
        synapse = self._prompt(TextPrompting, roles, messages, **sampling)
        return await self.dendrite.call(self.axon, synapse, timeout or self.timeout, deserialize=False)

    def forward(
        self, roles: Sequence[str], messages: Sequence[str], timeout: float | None = None, **sampling: Any
    ) -> TextPrompting:
        """The sync shell of :meth:`async_forward`."""
        return self.dendrite.run_sync(self.async_forward(roles, messages, timeout, **sampling))

    async def stream(
        self, roles: Sequence[str], messages: Sequence[str], timeout: float | None = None, **sampling: Any
    ) -> AsyncIterator[str]:
        """Yield the completion's text chunks as the miner produces them."""
        synapse = self._prompt(StreamingTextPrompting, roles, messages, **sampling)
        async for item in self.dendrite.call_stream(self.axon, synapse, timeout or self.timeout, deserialize=False):
            if isinstance(item, str):
                yield item

    async def async_backward(
        self,
        roles: Sequence[str],
        messages: Sequence[str],
        response: str,
        rewards: Sequence[float],
        timeout: float | None = None,
    ) -> TextPromptingBackward:
        """Send a reward for ``response`` back to the miner (the seed's ``backward``)."""
        synapse = self._prompt(TextPromptingBackward, roles, messages, completion=response, rewards=list(rewards))
        return await self.dendrite.call(self.axon, synapse, timeout or self.timeout, deserialize=False)

    def backward(
        self,
        roles: Sequence[str],
        messages: Sequence[str],
        response: str,
        rewards: Sequence[float],
        timeout: float | None = None,
    ) -> TextPromptingBackward:
        """The sync shell of :meth:`async_backward`."""
        return self.dendrite.run_sync(self.async_backward(roles, messages, response, rewards, timeout))

    def close(self) -> None:
        """Release the sync shell's loop and connections."""
        self.dendrite.close()

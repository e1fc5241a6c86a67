"""The seed README's validator-side helper: ``bt.text_prompting(keypair=..., axon=...)``.

Example (against a running axon ``axon``)::

    dendrite = bt.text_prompting(keypair=wallet.hotkey, axon=metagraph.axons[10])
    dendrite.forward(roles=["user"], messages=["what are you?"]).completion
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from bt_llm.dendrite.client import Dendrite
from bt_llm.errors import ConfigError
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting, TextPromptingBackward
from bt_llm.seams import AxonAddress, Keypair, Metagraph, Wallet

__all__ = ["TextPromptingClient", "TextPromptingPool"]


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
        keypair: Keypair | None = None,
        axon: AxonAddress | None = None,
        *,
        wallet: Wallet | None = None,
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

    # Each async method has a sync shell of the same signature (by design: the SDK's names, typed).
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


class TextPromptingPool:
    """5.x's ``bt.text_prompting_pool(keypair, metagraph)``: prompt many of a metagraph's axons at once.

    ``forward(roles, messages, uids=None, timeout=12)`` asks every uid (default: all of them) and returns
    one filled :class:`TextPrompting` per uid, in order (``.completion``, ``.is_success``); ``backward``
    sends each of them its reward. One signing dendrite (and its connection pool) serves them all.
    """

    def __init__(self, keypair: Keypair | None = None, metagraph: Metagraph | None = None, *,
                 wallet: Wallet | None = None) -> None:
        if metagraph is None:
            raise ConfigError("text_prompting_pool needs a metagraph (its axons are the ones asked)")
        signer = keypair if keypair is not None else wallet
        if signer is None:
            raise ConfigError("text_prompting_pool needs a keypair or a wallet")
        self.metagraph = metagraph
        self.keypair = signer
        self.dendrite = Dendrite(signer)
        self.dendrites = [TextPromptingClient(axon=axon, dendrite=self.dendrite) for axon in metagraph.axons]
        self._uid_of: dict[int, int] = {}

    def _uids(self, uids: Any) -> list[int]:
        if uids is None:
            return list(range(len(self.dendrites)))
        return [int(u) for u in (uids.tolist() if hasattr(uids, "tolist") else uids)]

    async def async_forward(self, roles: Sequence[str], messages: Sequence[str], uids: Any = None,
                            return_call: bool = True, timeout: float = 12.0) -> list[TextPrompting]:
        """Every uid's answer (a :class:`TextPrompting`), in the order of ``uids``."""
        asked = self._uids(uids)
        answers = list(await asyncio.gather(*(self.dendrites[uid].async_forward(roles, messages, timeout)
                                              for uid in asked)))
        self._uid_of = {id(answer): uid for answer, uid in zip(answers, asked, strict=True)}  # for backward
        return answers

    def forward(self, roles: Sequence[str], messages: Sequence[str], uids: Any = None, return_call: bool = True,
                timeout: float = 12.0, priority: int = 1) -> list[TextPrompting]:
        """The sync shell of :meth:`async_forward` (``priority`` is accepted as 5.x's, and unused)."""
        return self.dendrite.run_sync(self.async_forward(roles, messages, uids, return_call, timeout))

    async def async_backward(self, forward_calls: Sequence[Any], rewards: Sequence[float],
                             timeout: float = 12.0) -> list[TextPromptingBackward]:
        """Send each answer in ``forward_calls`` (from :meth:`forward`) its reward."""
        values = rewards.tolist() if hasattr(rewards, "tolist") else list(rewards)

        async def one(call: Any, reward: float) -> TextPromptingBackward:
            uid = self._uid_of.get(id(call))
            if uid is None:
                raise ConfigError("backward takes the answers of this pool's last forward")
            return await self.dendrites[uid].async_backward(call.roles, call.messages, call.completion, [reward],
                                                            timeout)

        return list(await asyncio.gather(*(one(c, r) for c, r in zip(forward_calls, values, strict=False))))

    def backward(self, forward_calls: Sequence[Any], rewards: Sequence[float], timeout: float = 12.0,
                 priority: int = 1) -> list[TextPromptingBackward]:
        return self.dendrite.run_sync(self.async_backward(forward_calls, rewards, timeout))

    def close(self) -> None:
        self.dendrite.close()

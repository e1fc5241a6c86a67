"""``bt.prompt``: ask the network through a delegate endpoint, as the seed's ``bittensor.prompt`` did.

``bt.prompt("Heraclitus was a ")`` signs a ``TextPrompting`` request with your wallet's hotkey and
sends it to a delegate's axon (``hotkey=`` picks one). The delegate fans the prompt out to its
subnet's miners and returns the best answer, or every answer with ``return_all=True``.

Across delegates the call is hedged (:mod:`bt_llm.fanout`): the best delegate is asked first, and when
it has not answered (streaming: produced its first chunk) within a hedge delay learned from its past
latency, the next one too, up to ``max_in_flight``; the first good answer wins and the others are
cancelled. ``timeout`` is one budget for the whole call. Delegates' latency and failures are
remembered (in the process and the bt-llm cache folder), so a hung or failing delegate is asked last
next time. ``return_all`` asks the best ``max_in_flight`` delegates at once and merges their answers,
one per miner, best first, each an :class:`Answer` naming its miner and delegate.

Example (with a running localnet and bridge: `btcli localnet up`)::

    import bt_llm as bt
    print(bt.prompt("Heraclitus was a "))
    answers = bt.prompt("Heraclitus was a ", return_all=True)
    for chunk in bt.prompt("Tell me a story", stream=True):
        print(chunk, end="")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bt_llm import settings
from bt_llm.errors import BtLlmError, ConfigError, PromptError
from bt_llm.fanout import DelegateMemory, Outcome, hedged
from bt_llm.seams import AxonAddress, ChainClient, Wallet

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
DEFAULT_TIMEOUT = 24.0
DELEGATE_CACHE_SECONDS = 12.0
PROMPT_HOTKEY_ENV = settings.PROMPT_HOTKEY

Content = str | Sequence[str] | Sequence[dict[str, str]]

SAMPLING_KEYS = ("max_tokens", "temperature", "top_p", "stop", "seed", "tools", "tool_choice", "parallel_tool_calls",
                 "response_format", "logprobs", "top_logprobs", "message_fields")
"""The keyword arguments :func:`prompt` sends to the miners as they are; any other is a ``TypeError``."""


def check_keywords(function: str, sampling: dict[str, Any]) -> None:
    """Refuse keyword arguments ``function`` does not take, naming them (as Python does for a fixed signature).

    Raises:
        TypeError: ``prompt() got unexpected keyword arguments: foo (...)``.
    """
    unknown = sorted(k for k in sampling if k not in SAMPLING_KEYS)
    if unknown:
        word = "argument" if len(unknown) == 1 else "arguments"
        raise TypeError(f"{function}() got unexpected keyword {word}: {', '.join(unknown)} (it takes content, "
                        "wallet_name, hotkey, subtensor_, axon_, return_all, roles, messages, netuid, timeout, "
                        f"wallet, network, stream, max_in_flight and {', '.join(SAMPLING_KEYS)})")


def build_conversation(
    content: Content | None, roles: Sequence[str] | None = None, messages: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """The ``(roles, messages)`` the miners receive.

    A string becomes ``[system: the default system prompt, user: content]``; a list of strings, all
    user turns; a list of ``{"role", "content"}`` dicts is taken as it is; ``roles``/``messages``
    given explicitly are used as they are (and ``content``, if given too, is appended as a user turn).

    Example:
        >>> build_conversation("hi")
        (['system', 'user'], ['You are a helpful assistant.', 'hi'])
        >>> build_conversation([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}])
        (['user', 'assistant'], ['a', 'b'])
    """
    if roles is not None or messages is not None:
        if roles is None or messages is None or len(roles) != len(messages):
            raise ConfigError("roles and messages must be given together, with the same length")
        out_roles, out_messages = list(roles), list(messages)
        if content is not None:
            extra_roles, extra_messages = build_conversation(content)
            keep = 1 if isinstance(content, str) else 0  # don't repeat the default system prompt
            out_roles += extra_roles[keep:]
            out_messages += extra_messages[keep:]
        return out_roles, out_messages
    if content is None:
        raise ConfigError("nothing to prompt: give content, or roles and messages")
    if isinstance(content, str):
        return ["system", "user"], [DEFAULT_SYSTEM_PROMPT, content]
    items = list(content)
    if not items:
        raise ConfigError("the prompt is empty")
    if all(isinstance(item, str) for item in items):
        return ["user"] * len(items), [str(item) for item in items]
    if all(isinstance(item, dict) and "role" in item and "content" in item for item in items):
        return [str(item["role"]) for item in items], [str(item["content"]) for item in items]  # type: ignore[index]
    raise ConfigError("content must be a string, a list of strings, or a list of {'role', 'content'} dicts")


@dataclass(frozen=True)
class DelegateEndpoint:
    """A delegate's hotkey and the axon it serves on the subnet."""

    hotkey: str
    axon: AxonAddress
    stake: float = 0.0


class DelegateFinder:
    """Finds delegates' axons on a subnet from the chain, with a short cache."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], tuple[float, dict[str, Any], list[DelegateEndpoint]]] = {}
        self._lock = threading.Lock()

    def _load(self, network: str | None, netuid: int,
              subtensor: ChainClient | None = None) -> tuple[dict[str, Any], list[DelegateEndpoint]]:
        from bt_llm.chain.metagraph import Metagraph

        own = subtensor is None
        if own:
            from bt_llm.chain.subtensor import Subtensor

            subtensor = Subtensor(network=network) if network is not None else Subtensor()
        try:
            metagraph = Metagraph(netuid, subtensor=subtensor, lite=True, sync=True)
            axons = {hotkey: axon for hotkey, axon in zip(metagraph.hotkeys, metagraph.axons, strict=False)}
            delegates = sorted(subtensor.get_delegates(), key=lambda d: -d.total_stake_rao)
        finally:
            if own:
                subtensor.close()
        endpoints = [
            DelegateEndpoint(hotkey=d.hotkey_ss58, axon=axons[d.hotkey_ss58], stake=d.total_stake_rao / 1e9)
            for d in delegates
            if d.hotkey_ss58 in axons and axons[d.hotkey_ss58].is_serving
        ]
        return axons, endpoints

    def lookup(self, network: str | None, netuid: int,
               subtensor: ChainClient | None = None) -> tuple[dict[str, Any], list[DelegateEndpoint]]:
        if subtensor is not None:  # the caller's client (5.x's subtensor_=): read through it, not cached
            return self._load(network, netuid, subtensor)
        key = (network or "", netuid)
        with self._lock:
            cached = self._cache.get(key)
            if cached and time.monotonic() - cached[0] < DELEGATE_CACHE_SECONDS:
                return cached[1], cached[2]
        axons, endpoints = self._load(network, netuid)
        with self._lock:
            self._cache[key] = (time.monotonic(), axons, endpoints)
        return axons, endpoints

    def endpoints(self, *, hotkey: str | None, network: str | None, netuid: int, subtensor: ChainClient | None = None,
                  axon: AxonAddress | None = None) -> list[DelegateEndpoint]:
        """The delegates to try, in order: ``axon`` alone when given (no chain read, as 5.x's ``axon_=``)."""
        if axon is not None:
            if not getattr(axon, "is_serving", True):
                raise PromptError(f"axon_ {axon} serves nothing (ip 0.0.0.0)")
            return [DelegateEndpoint(hotkey=str(getattr(axon, "hotkey", "") or hotkey or ""), axon=axon)]
        axons, delegates = self.lookup(network, netuid, subtensor)
        hotkey = hotkey or settings.get(PROMPT_HOTKEY_ENV)
        if hotkey is not None:
            axon = axons.get(hotkey)
            if axon is None:
                raise PromptError(f"hotkey {hotkey} is not registered on subnet {netuid}")
            if not axon.is_serving:
                raise PromptError(f"hotkey {hotkey} serves no axon on subnet {netuid}")
            return [DelegateEndpoint(hotkey=hotkey, axon=axon)]
        if not delegates:
            raise PromptError(f"no delegate serves an axon on subnet {netuid}: nominate one with `btcli nominate`")
        return delegates

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


_finder = DelegateFinder()
memory = DelegateMemory()  # what this process (and, through the cache folder, the last ones) learned


def _default_wallet(wallet: Wallet | None, wallet_name: str | None = None) -> Wallet | None:
    """``wallet``, else the wallet named ``wallet_name`` (default: ``default``) with a hotkey to sign with."""
    if wallet is not None:
        if wallet_name is not None and getattr(wallet, "name", wallet_name) != wallet_name:
            raise ConfigError(f"wallet_name={wallet_name!r} and wallet={wallet!r} disagree: give one of them")
        return wallet
    from bt_llm.wallet.wallet import Wallet as WalletFiles

    default = WalletFiles(name=wallet_name) if wallet_name is not None else WalletFiles()
    # As the seed did: a client without keys gets a fresh, unencrypted hotkey to sign with.
    if not _has_hotkey(default):
        default.create_new_hotkey(use_password=False, overwrite=False, suppress=True)
    return default


def _has_hotkey(wallet: Wallet) -> bool:
    try:
        wallet.hotkey  # noqa: B018 - loading is the check
    except BtLlmError:
        return False
    return True


def _synapse(roles: list[str], messages: list[str], *, return_all: bool, timeout: float, stream: bool,
             sampling: dict[str, Any]) -> Any:
    if stream:
        from bt_llm.protocol.synapses import StreamingTextPrompting

        return StreamingTextPrompting(roles=roles, messages=messages, timeout=timeout, **sampling)
    from bt_llm.protocol.delegate import DelegatedTextPrompting

    return DelegatedTextPrompting(roles=roles, messages=messages, return_all=return_all, timeout=timeout, **sampling)


def _describe(response: Any) -> str:
    terminal = getattr(response, "dendrite", None)
    code = getattr(terminal, "status_code", None)
    message = getattr(terminal, "status_message", None) or "no answer"
    return f"{code} {message}"


def _status(response: Any) -> int | None:
    return getattr(getattr(response, "dendrite", None), "status_code", None)


class Answer(str):
    """One miner's answer: a ``str`` (as in 5.x) that also names who produced it and, for a structured
    request, carries its tool calls and log-probabilities.

    Attributes:
        hotkey: the miner's hotkey ("" when the delegate did not say). uid: its uid on the subnet.
        delegate: the hotkey of the delegate that relayed it. score: the delegate's score for it.
        tool_calls: OpenAI's ``[{'id', 'type': 'function', 'function': {'name', 'arguments'}}]`` when the
            answer calls tools (asked with ``tools=``), else None. logprobs: per token ``{'token',
            'logprob', 'top_logprobs'}`` when asked with ``logprobs=True``. finish_reason: the
            delegate's (``stop``, ``length``, ``tool_calls``), None when it did not say.
    """

    hotkey: str
    uid: int | None
    delegate: str
    score: float | None
    tool_calls: list[dict[str, Any]] | None
    logprobs: list[dict[str, Any]] | None
    finish_reason: str | None

    def __new__(cls, text: str, *, hotkey: str = "", uid: int | None = None, delegate: str = "",
                score: float | None = None, tool_calls: list[dict[str, Any]] | None = None,
                logprobs: list[dict[str, Any]] | None = None, finish_reason: str | None = None) -> Answer:
        self = super().__new__(cls, text)
        self.hotkey, self.uid, self.delegate, self.score = hotkey, uid, delegate, score
        self.tool_calls, self.logprobs, self.finish_reason = tool_calls, logprobs, finish_reason
        return self

    @property
    def useful(self) -> bool:
        """Says something: text, or tool calls."""
        return bool(self.strip() or self.tool_calls)


def _answers(response: Any, delegate: str) -> list[Answer]:
    texts = list(response.completions) or ([response.completion] if response.completion or response.tool_calls
                                           else [])
    uids, hotkeys, scores = list(response.uids), list(response.hotkeys), list(response.scores)
    calls = list(getattr(response, "all_tool_calls", None) or ())
    out = []
    for i, text in enumerate(texts):
        answer = Answer(text, uid=uids[i] if i < len(uids) else None,
                        hotkey=hotkeys[i] if i < len(hotkeys) else "", delegate=delegate,
                        score=scores[i] if i < len(scores) else None,
                        tool_calls=calls[i] if i < len(calls) else (response.tool_calls if i == 0 else None),
                        logprobs=response.logprobs_content if i == 0 else None,
                        finish_reason=response.finish_reason if i == 0 else None)
        if answer.useful:
            out.append(answer)
    return out


def _best(response: Any, delegate: str) -> Answer:
    return Answer(response.completion, delegate=delegate, tool_calls=response.tool_calls,
                  logprobs=response.logprobs_content, finish_reason=response.finish_reason)


def merge_answers(groups: Sequence[Sequence[Answer]]) -> list[Answer]:
    """Answers from several delegates as one list: one per miner (its best-scored answer), best first;
    answers each delegate ranked without scores keep their delegate's order after the scored ones."""
    best: dict[Any, Answer] = {}
    order: list[Any] = []
    for group in groups:
        for rank, answer in enumerate(group):
            key = answer.hotkey or (answer.delegate, answer.uid if answer.uid is not None else rank)
            kept = best.get(key)
            if kept is None:
                order.append(key)
                best[key] = answer
            elif (answer.score or 0.0) > (kept.score or 0.0):
                best[key] = answer
    merged = list(enumerate(best[k] for k in order))
    return [a for _, a in sorted(merged, key=lambda p: (p[1].score is None, -(p[1].score or 0.0), p[0]))]


async def _resolve(hotkey: str | None, network: str | None, netuid: int, subtensor_: ChainClient | None, axon_: AxonAddress | None, wallet: Wallet | None,
                   wallet_name: str | None) -> tuple[list[DelegateEndpoint], Any]:
    """The delegates and the signing wallet, read on a worker thread: the chain and key files are
    blocking reads, which must not hold the caller's event loop."""
    def work() -> tuple[list[DelegateEndpoint], Any]:
        endpoints = _finder.endpoints(hotkey=hotkey, network=network, netuid=netuid, subtensor=subtensor_,
                                      axon=axon_)
        return endpoints, _default_wallet(wallet, wallet_name)

    return await asyncio.to_thread(work)


# aprompt, prompt and the stream helpers take the same keyword list by design (``duplicates`` pairs
# them): each is a public signature (5.x's names first), and ``**kwargs`` would hide them from help().
async def aprompt(
    content: Content | None = None,
    wallet_name: str | None = None,
    hotkey: str | None = None,
    subtensor_: ChainClient | None = None,
    axon_: AxonAddress | None = None,
    return_all: bool = False,
    *,
    roles: Sequence[str] | None = None,
    messages: Sequence[str] | None = None,
    netuid: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    wallet: Wallet | None = None,
    network: str | None = None,
    max_in_flight: int = 3,
    **sampling: Any,
) -> str | list[str]:
    """The async twin of :func:`prompt` (without ``stream``; see :func:`astream_prompt`). Chain and
    key-file reads run on a worker thread: the event loop is never blocked."""
    from bt_llm.dendrite.client import Dendrite

    check_keywords("aprompt", sampling)
    conversation = build_conversation(content, roles, messages)
    endpoints, signer = await _resolve(hotkey, network, netuid, subtensor_, axon_, wallet, wallet_name)
    async with Dendrite(signer) as dendrite:

        async def attempt(endpoint: DelegateEndpoint, budget: float) -> Outcome[Any]:
            synapse = _synapse(*conversation, return_all=return_all, timeout=budget, stream=False, sampling=sampling)
            response = await dendrite.call(endpoint.axon, synapse, timeout=budget, deserialize=False)
            if not response.is_success:
                return Outcome(failure=_describe(response), not_delegate=_status(response) == 404)
            if return_all:
                answers = _answers(response, endpoint.hotkey)
                return Outcome(answers) if answers else Outcome(failure="an empty answer")
            answer = _best(response, endpoint.hotkey)
            return Outcome(answer) if answer.useful else Outcome(failure="an empty answer")

        if return_all:
            return await _gather_all(endpoints, attempt, timeout=timeout, count=max_in_flight)
        return (await _hedge(endpoints, attempt, timeout=timeout, max_in_flight=max_in_flight))[1]


async def _hedge(endpoints: Sequence[DelegateEndpoint], attempt: Callable[..., Awaitable[Outcome[Any]]], *,
                 timeout: float, max_in_flight: int) -> tuple[DelegateEndpoint, Any]:
    try:
        endpoint, value, _ = await hedged(endpoints, attempt, timeout=timeout, memory=memory,
                                          max_in_flight=max_in_flight)
    except TimeoutError as exc:
        raise PromptError(f"no delegate answered within {timeout:g} s: " + "; ".join(exc.args[0])) from None
    except LookupError as exc:
        raise PromptError("every delegate failed: " + "; ".join(exc.args[0])) from None
    return endpoint, value


async def _gather_all(endpoints: Sequence[DelegateEndpoint], attempt: Callable[..., Awaitable[Outcome[Any]]], *,
                      timeout: float, count: int) -> list[str]:
    """``return_all``: the best ``count`` delegates at once; once one has answered the others get as
    long again (at least its hedge delay) to add theirs; every answer merged by miner, best first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    chosen = memory.order(endpoints)[:max(count, 1)]
    started = loop.time()
    tasks = {asyncio.ensure_future(attempt(e, timeout)): e for e in chosen}
    groups: list[list[Answer]] = []
    failures: list[str] = []
    until = deadline
    try:
        pending = set(tasks)
        while pending and loop.time() < until:
            done, pending = await asyncio.wait(pending, timeout=until - loop.time(),
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                endpoint = tasks[task]
                try:
                    outcome = task.result()
                except Exception as exc:
                    outcome = Outcome(failure=f"{type(exc).__name__}: {exc}")
                if outcome.value is not None:
                    memory.record_success(endpoint.hotkey, loop.time() - started)
                    if not groups:
                        grace = max(loop.time() - started, memory.hedge_delay(endpoint.hotkey))
                        until = min(deadline, loop.time() + grace)
                    groups.append(outcome.value)
                else:
                    memory.record_failure(endpoint.hotkey, not_delegate=outcome.not_delegate)
                    failures.append(f"{endpoint.hotkey}: {outcome.failure}")
        for task in pending:
            memory.record_slow(tasks[task].hotkey, loop.time() - started)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if groups:
        return merge_answers(groups)
    if not failures:
        failures = [f"{e.hotkey}: no answer within {timeout:g} s" for e in chosen]
    raise PromptError("every delegate failed: " + "; ".join(failures))


async def astream_prompt(
    content: Content | None = None,
    wallet_name: str | None = None,
    hotkey: str | None = None,
    subtensor_: ChainClient | None = None,
    axon_: AxonAddress | None = None,
    *,
    roles: Sequence[str] | None = None,
    messages: Sequence[str] | None = None,
    netuid: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    wallet: Wallet | None = None,
    network: str | None = None,
    max_in_flight: int = 3,
    **sampling: Any,
) -> AsyncIterator[str]:
    """Text chunks of the answer as the delegate streams them; hedged until the first chunk."""
    from bt_llm.dendrite.client import Dendrite

    check_keywords("astream_prompt", sampling)
    conversation = build_conversation(content, roles, messages)
    endpoints, signer = await _resolve(hotkey, network, netuid, subtensor_, axon_, wallet, wallet_name)
    async with Dendrite(signer) as dendrite:

        async def attempt(endpoint: DelegateEndpoint, budget: float) -> Outcome[Any]:
            synapse = _synapse(*conversation, return_all=False, timeout=budget, stream=True, sampling=sampling)
            chunks = dendrite.call_stream(endpoint.axon, synapse, timeout=budget, deserialize=False)
            final: Any = None
            try:
                async for item in chunks:
                    if isinstance(item, str):
                        if item:
                            return Outcome((item, chunks))  # the winner's stream goes on being read
                    else:
                        final = item
            except BaseException:
                await chunks.aclose()
                raise
            await chunks.aclose()
            if final is None:
                return Outcome(failure="no answer")
            return Outcome(failure=_describe(final), not_delegate=_status(final) == 404)

        _, (first, chunks) = await _hedge(endpoints, attempt, timeout=timeout, max_in_flight=max_in_flight)
        try:
            yield first
            async for item in chunks:
                if isinstance(item, str) and item:
                    yield item
        finally:
            await chunks.aclose()


def _run(coro: Any) -> Any:
    """Run ``coro`` to completion from sync code, also where an event loop already runs (Jupyter).

    Inside a running loop it runs on a private loop in a worker thread: the caller's loop is blocked
    meanwhile, as any sync call blocks it (``await bt.aprompt(...)`` does not).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bt-prompt") as pool:
        return pool.submit(asyncio.run, coro).result()


def _iterate(agen: AsyncIterator[str]) -> Iterator[str]:
    """Drive an async generator from sync code on a private event loop in a worker thread, so that it
    also works where the caller's thread already runs a loop (Jupyter)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bt-prompt-stream", daemon=True)
    thread.start()
    try:
        while True:
            try:
                yield asyncio.run_coroutine_threadsafe(agen.__anext__(), loop).result()  # type: ignore[attr-defined]
            except StopAsyncIteration:
                return
    finally:
        try:
            asyncio.run_coroutine_threadsafe(agen.aclose(), loop).result()  # type: ignore[attr-defined]
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


def prompt(
    content: Content | None = None,
    wallet_name: str | None = None,
    hotkey: str | None = None,
    subtensor_: ChainClient | None = None,
    axon_: AxonAddress | None = None,
    return_all: bool = False,
    *,
    roles: Sequence[str] | None = None,
    messages: Sequence[str] | None = None,
    netuid: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    wallet: Wallet | None = None,
    network: str | None = None,
    stream: bool = False,
    max_in_flight: int = 3,
    **sampling: Any,
) -> str | list[str] | Iterator[str]:
    """Ask the network and return the best answer (``return_all``: every answer, best first).

    Args:
        content: a string (a user turn after the default system prompt), a list of strings (user
            turns) or a list of ``{"role", "content"}`` dicts.
        wallet_name: the wallet that signs the request (5.x's name; default ``default``; a hotkey is
            created in it when it has none, as 5.x did). ``wallet`` gives a ``Wallet`` instead.
        hotkey: the delegate (5.x: the validator) to ask; default: ``BT_PROMPT_HOTKEY``, else the
            delegates by stake.
        subtensor_: a ``Subtensor`` to read the delegates through (5.x's name; default: one for ``network``).
        axon_: an ``AxonInfo`` to ask directly, without reading the chain (5.x's name).
        return_all: return every miner's successful answer as a list, best first.
        roles, messages: the conversation given as two lists (the seed's ``text_prompting`` style).
        netuid: the subnet. timeout: seconds for the whole call, every delegate included. wallet:
            signs the request (default wallet; a hotkey is created if it has none). network:
            ``local``, ``finney``... or a URL.
        stream: return an iterator of text chunks instead.
        max_in_flight: delegates asked at once at most (hedging; ``return_all``: merged).
        **sampling: ``max_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed``; and OpenAI's
            structured-output fields, sent as they are: ``tools``, ``tool_choice``,
            ``parallel_tool_calls``, ``response_format``, ``logprobs``, ``top_logprobs``,
            ``message_fields`` (per message: ``tool_calls``, ``tool_call_id``, ``name``). The answer
            is then an :class:`Answer` carrying ``tool_calls`` and ``logprobs`` (not with ``stream``).

    These 5.x positions and names keep their meaning: ``prompt(content, wallet_name, hotkey,
    subtensor_, axon_, return_all)``. Works inside a running event loop (a notebook): the call then
    runs on a worker thread; ``await bt.aprompt(...)`` does not block the loop at all.

    Raises:
        TypeError: a keyword argument it does not take (named).
        PromptError: an unknown hotkey, no delegate, or every delegate failed (each one named).
    """
    check_keywords("prompt", sampling)
    kwargs = dict(wallet_name=wallet_name, hotkey=hotkey, subtensor_=subtensor_, axon_=axon_, roles=roles,
                  messages=messages, netuid=netuid, timeout=timeout, wallet=wallet, network=network,
                  max_in_flight=max_in_flight, **sampling)
    if stream:
        if return_all:
            raise ConfigError("stream and return_all cannot be combined")
        return _iterate(astream_prompt(content, **kwargs))
    return _run(aprompt(content, return_all=return_all, **kwargs))

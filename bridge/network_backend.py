"""The bridge's :class:`~bridge.backend.Backend` on the real network: fan-out through a dendrite.

One prompt goes to the top-k serving miners (ranked by :class:`~bridge.directory.MinerDirectory`) at
once, under one deadline; the answers are scored, the scores feed the per-uid moving average that
becomes the bridge's weights, and the best ``n`` are returned. A model name picks the subnet
(``bittensor/subnet-1``) or one miner (``bittensor/subnet-1/uid-5``); with one miner the scoring runs
in the background, off the answer's path, batched (:class:`~bridge.score_queue.ScoreQueue`).

The deadline is the bridge's, not each call's: whatever has not answered ``timeout`` seconds after the
fan-out began counts as timed out (408) and is cancelled, so signing many requests one after another
does not stretch it. A miner whose axon does not serve the reward synapse (404) is not sent rewards
again for ``NO_BACKWARD_RETRY`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from bt_llm.bridge.backend import MinerAnswer, ModelInfo, PromptSpec, StreamEnd, StreamStart, StreamText
from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
from bt_llm.bridge.errors import (
    CapabilityUnavailable,
    InvalidRequest,
    MinersTimedOut,
    ModelNotFound,
    NoMinerAvailable,
)
from bt_llm.bridge.health import Check
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.score_queue import ScoreQueue
from bt_llm.bridge.scoring import LexicalScorer, Scorer, score_jobs, scores_inline
from bt_llm.bridge.structured import CapabilityBook, check_answer, needs
from bt_llm.bridge.weights import ScoreBook
from bt_llm.neuron.handlers import answer_budget
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting, TextPromptingBackward
from bt_llm.tokens import count_tokens

if TYPE_CHECKING:
    from bt_llm.dendrite.client import Dendrite

log = logging.getLogger("bridge.network")

_MODEL = re.compile(r"^bittensor/subnet-(\d+)(?:/uid-(\d+))?$")
NO_BACKWARD_RETRY = 600.0
SCORE_WINDOW = 0.1  # seconds answers gather before a model scorer runs (one embedding batch for them all)
STREAM_CUT_MARGIN = 0.05  # seconds: a stream this close to the miner's answer budget was cut by it
REFUSED = (429, 503)  # a busy miner: the request goes to the next one
MIN_RETRY_BUDGET = 0.05  # seconds of deadline a replacement request needs at least
_INPUT_REFUSALS = (400, 413, 422)  # a miner refused the request as given (not 401/403: those are about the bridge)

_ScoreJob = tuple[PromptSpec, Sequence[Miner], list[MinerAnswer]]


class NetworkBackend:
    def __init__(
        self,
        *,
        netuid: int,
        directory: MinerDirectory,
        dendrite: Dendrite,
        scorer: Scorer,
        scores: ScoreBook,
        metrics: BridgeMetrics,
        k: int = 8,
        timeout: float = 12.0,
        stream_stall: float = 2.0,
        grace: float = 0.05,
        score_queue: int = 1024,
        send_rewards: bool = True,
    ) -> None:
        self.netuid = netuid
        self.directory = directory
        self.dendrite = dendrite
        self.scorer = scorer
        self.scores = scores
        self.metrics = metrics
        self.k = k
        self.timeout = timeout
        self.stream_stall = stream_stall
        self.grace = grace
        self._ranker = LexicalScorer()  # ranks answers on the answer's path: ~0.1 ms for 8 answers
        self.send_rewards = send_rewards
        self._background: set[asyncio.Future[Any]] = set()
        self._later: ScoreQueue[_ScoreJob, list[MinerAnswer]] = ScoreQueue(
            lambda job: self._score(job[0], job[2]), self._after_scoring, inline=scores_inline(scorer, 1),
            max_pending=score_queue, on_drop=metrics.record_scoring_dropped, score_batch=self._score_jobs,
            window=SCORE_WINDOW)
        self._no_backward: dict[tuple[str, str, int], float] = {}  # axon -> when it answered 404 to a reward
        self._created = int(time.time())
        self._models: tuple[Snapshot, list[ModelInfo], frozenset[str]] | None = None
        self.capabilities = CapabilityBook()  # what each hotkey declared in its latest answer

    # ---- models ------------------------------------------------------------------------------
    @property
    def subnet_model(self) -> str:
        return f"bittensor/subnet-{self.netuid}"

    def _model_table(self) -> tuple[list[ModelInfo], frozenset[str]]:
        """The models of the current snapshot, built once per snapshot (every request resolves a name)."""
        snapshot = self.directory.snapshot
        cached = self._models
        if cached is not None and cached[0] is snapshot:
            return cached[1], cached[2]
        models = [ModelInfo(id=self.subnet_model, created=self._created)]
        models += [ModelInfo(id=f"{self.subnet_model}/uid-{m.uid}", created=self._created, owned_by=m.hotkey)
                   for m in sorted(snapshot.miners, key=lambda m: m.uid)]
        self._models = (snapshot, models, frozenset(m.id for m in models))
        return models, self._models[2]

    def health(self) -> list[Check]:
        return self.directory.checks()

    def models(self) -> list[ModelInfo]:
        return [dataclasses.replace(m, extra=dict(m.extra)) for m in self._model_table()[0]]

    def resolve_model(self, model: str | None) -> str:
        models, names = self._model_table()
        if model in names:
            return model  # type: ignore[return-value]  # in names, so a str
        known = [m.id for m in models]
        shown = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
        if not model:
            raise ModelNotFound(f"No model given. Known models: {shown}.", param="model", code="model_not_found")
        raise ModelNotFound(f"The model '{model}' does not exist. Known models: {shown}.", param="model",
                            code="model_not_found")

    def _targets(self, model: str, prompt: PromptSpec | None = None) -> list[Miner]:
        match = _MODEL.match(model)
        wanted = needs(prompt) if prompt is not None else frozenset()
        if match and match.group(2) is not None:
            miner = self.directory.snapshot.by_uid(int(match.group(2)))
            targets = [miner] if miner else []
        elif wanted:  # only miners that declared what the request needs, best first
            targets = [m for m in self.directory.ranked() if self.capabilities.can(m.hotkey, wanted)][: self.k]
        else:
            targets = self.directory.ranked(self.k)
        if not targets and not wanted:
            raise NoMinerAvailable(f"No miner serves an axon on subnet {self.netuid}.")
        # a named miner not heard from yet is asked (its answer is checked); a known one must have declared
        known = [self.capabilities.get(m.hotkey) for m in targets]
        if wanted and (not targets or any(c is not None and not wanted <= c for c in known)):
            missing = ", ".join(sorted(wanted))
            param = {"tools": "tools", "logprobs": "logprobs"}.get(min(wanted), "response_format")
            raise CapabilityUnavailable(f"No miner on subnet {self.netuid} has declared {missing} (needed by this "
                                        "request); miners declare what they can do in their answers.",
                                        param=param, code="capability_unavailable")
        return targets

    # ---- completions ---------------------------------------------------------------------------
    @staticmethod
    def _synapse(prompt: PromptSpec, cls: type[TextPrompting] | type[StreamingTextPrompting], timeout: float) -> Any:
        structured: dict[str, Any] = {}
        if prompt.structured or prompt.message_fields:
            structured = dict(
                message_fields=[dict(m) for m in prompt.message_fields] if prompt.message_fields else None,
                response_format=dict(prompt.response_format) if prompt.response_format else None,
                tools=[dict(t) for t in prompt.tools] if prompt.tools else None, tool_choice=prompt.tool_choice,
                parallel_tool_calls=prompt.parallel_tool_calls, logprobs=prompt.logprobs or None,
                top_logprobs=prompt.top_logprobs)
        return cls(
            roles=list(prompt.roles), messages=list(prompt.messages), max_tokens=prompt.max_tokens,
            temperature=prompt.temperature, top_p=prompt.top_p, stop=list(prompt.stop) or None, seed=prompt.seed,
            timeout=timeout, **structured,
        )

    def _answer(self, miner: Miner, response: TextPrompting | StreamingTextPrompting, fallback_latency: float,
                prompt: PromptSpec | None = None) -> MinerAnswer:
        # The dendrite validated the miner's fields against the synapse's model (apply_fields): their
        # types hold here; a streamed answer carries its text only.
        terminal = response.dendrite
        status = int(terminal.status_code or 500) if terminal else 500
        latency = float(terminal.process_time) if terminal and terminal.process_time else fallback_latency
        whole = response if isinstance(response, TextPrompting) else None
        claim = whole.claim() if whole is not None else None
        if claim is not None and not claim.valid_for(miner.hotkey):
            claim = None  # not signed by the miner that answered: no claim
        tool_calls = whole.tool_calls if whole is not None else None
        logprobs = whole.logprobs_content if whole is not None else None
        capabilities = whole.capabilities if whole is not None and status == 200 else None
        answer = MinerAnswer(uid=miner.uid, hotkey=miner.hotkey, completion=response.completion, latency_s=latency,
                             status_code=status, status_message=(terminal.status_message or "") if terminal else "",
                             finish_reason=whole.finish_reason if whole is not None else None,
                             model=claim.model if claim else None, verifiable=bool(claim and claim.verifiable),
                             tool_calls=tuple(tool_calls) if tool_calls is not None else None,
                             logprobs=tuple(logprobs) if logprobs is not None else None,
                             capabilities=frozenset(capabilities or ()))
        if status == 200:
            self.capabilities.record(miner.hotkey, answer.capabilities)
        if prompt is not None and prompt.structured and (why := check_answer(prompt, answer)):
            log.info("uid %s answered off the request: %s", miner.uid, why)
            answer = dataclasses.replace(answer, rejected=why)
            self.metrics.record_rejected(miner.uid)
        self.metrics.record_miner(miner.uid, status, latency, tokens=count_tokens(answer.text) if answer.useful else None)
        if answer.useful:
            self.directory.record_latency(miner.uid, latency)
        elif (status == 408 or status >= 500) and not answer.bridge_fault:
            self.directory.record_failure(miner.uid)
        return answer

    async def query(self, targets: Sequence[Miner], prompt: PromptSpec) -> list[MinerAnswer]:
        """Ask every target at once under one deadline; one answer (or failure) per target."""
        started = time.perf_counter()
        if len(targets) == 1:  # no fan-out: no tasks to spread it over
            synapse = self._synapse(prompt, TextPrompting, self.timeout)
            response = await self.dendrite.call(targets[0].axon, synapse, timeout=self.timeout, deserialize=False)
            return [self._answer(targets[0], response, time.perf_counter() - started, prompt)]
        asked, answers, late = await self._first_answers(targets, prompt, need=len(targets), grace=0.0)
        by_uid = {a.uid: a for a in [*answers, *(await late if late is not None else [])]}
        return [by_uid[m.uid] for m in asked]

    async def _first_answers(self, targets: Sequence[Miner], prompt: PromptSpec, *, need: int, grace: float,
                             ) -> tuple[list[Miner], list[MinerAnswer], asyncio.Future[list[MinerAnswer]] | None]:
        """Ask every target at once; return as soon as ``need`` good answers are in (plus ``grace``
        seconds for better ones), never later than the deadline. A miner that refuses (busy: 503, 429)
        is replaced by the next-ranked one not asked yet, while the deadline allows.

        Returns the miners asked, the answers so far (in that order) and, when some calls are still
        running, a future of the rest: it resolves by the deadline, with a 408 for each silent call.
        """
        started = time.perf_counter()
        deadline = until = started + self.timeout
        synapse = self._synapse(prompt, TextPrompting, self.timeout)
        asked: list[Miner] = []
        calls: dict[asyncio.Future[Any], Miner] = {}
        pending: set[asyncio.Future[Any]] = set()

        def launch(miner: Miner) -> None:
            asked.append(miner)
            self.directory.begin(miner.uid)
            call = asyncio.ensure_future(self.dendrite.call(miner.axon, synapse.model_copy(), deserialize=False,
                                                            timeout=max(deadline - time.perf_counter(), 0.01)))
            call.add_done_callback(lambda _, uid=miner.uid: self.directory.end(uid))
            calls[call] = miner
            pending.add(call)

        for miner in targets:
            launch(miner)
        answers: dict[int, MinerAnswer] = {}
        good: list[MinerAnswer] = []
        enough_at: float | None = None
        try:
            while pending:
                now = time.perf_counter()
                if now >= until:
                    break
                done, _ = await asyncio.wait(pending, timeout=until - now, return_when=asyncio.FIRST_COMPLETED)
                pending.difference_update(done)
                for call in done:
                    miner = calls[call]
                    answer = self._answer(miner, call.result(), time.perf_counter() - started, prompt)
                    answers[miner.uid] = answer
                    if answer.useful:
                        good.append(answer)
                    elif answer.status_code in REFUSED and time.perf_counter() < deadline - MIN_RETRY_BUDGET:
                        spare = self.directory.ranked(1, exclude=frozenset(m.uid for m in asked))
                        if spare:
                            launch(spare[0])
                if len(good) >= need:
                    enough_at = enough_at or time.perf_counter()
                    until = min(deadline, max(enough_at + grace,
                                              self._worth_waiting(good, need, [calls[c] for c in pending], started)))
        except BaseException:  # the caller went away: the calls close their connections
            for call in pending:
                call.cancel()
            raise
        ordered = [answers[m.uid] for m in asked if m.uid in answers]
        if not pending:
            return asked, ordered, None
        return asked, ordered, asyncio.ensure_future(self._rest({c: calls[c] for c in pending}, started, prompt))

    def _worth_waiting(self, good: list[MinerAnswer], need: int, pending: list[Miner], started: float) -> float:
        """Until when to wait for the miners still working whose running score beats one of the ``need``
        answers in hand (or that has answered well before but is not scored yet): each for 4x its usual
        latency and a second (answers vary in length). A miner that never answered well, a worse one,
        or one cooling down after failures is not waited for (a hung miner never costs the deadline
        twice: its 408 scores it 0 and cools it down)."""
        book = self.scores.snapshot()
        have = sorted((book.get(a.uid, 0.0) for a in good), reverse=True)[:need]
        floor = min(have) if have else 0.0
        until = 0.0
        for miner in pending:
            latency = self.directory.latency(miner.uid)
            better = miner.uid not in book or book[miner.uid] > floor  # not scored yet: it may well be
            if latency is not None and better and not self.directory.cooling(miner.uid):
                until = max(until, started + 4 * latency + 1.0)
        return until

    async def _rest(self, calls: dict[asyncio.Future[Any], Miner], started: float,
                    prompt: PromptSpec | None = None) -> list[MinerAnswer]:
        """The calls still running after the answer went out, collected until the deadline."""
        remaining = started + self.timeout - time.perf_counter()
        done, late = await asyncio.wait(calls, timeout=max(remaining, 0.0)) if remaining > 0 else (set(), set(calls))
        for call in late:
            call.cancel()
        elapsed = time.perf_counter() - started
        out = []
        for call, miner in calls.items():
            if call in done and not call.cancelled():
                out.append(self._answer(miner, call.result(), elapsed, prompt))
            else:
                self.metrics.record_miner(miner.uid, 408, elapsed)
                self.directory.record_failure(miner.uid)
                out.append(MinerAnswer(uid=miner.uid, hotkey=miner.hotkey, completion="", latency_s=elapsed,
                                       status_code=408, status_message=f"Request timeout after {self.timeout} seconds"))
        return out

    def _score_jobs(self, jobs: list[_ScoreJob]) -> list[list[MinerAnswer]]:
        """Every waiting job scored at once: one embedding batch where the scorer can."""
        scored = score_jobs(self.scorer, [(prompt, answers) for prompt, _, answers in jobs])
        return [self._record(answers, scores) for (_, _, answers), scores in zip(jobs, scored, strict=True)]

    def _score(self, prompt: PromptSpec, answers: list[MinerAnswer]) -> list[MinerAnswer]:
        return self._record(answers, self.scorer.score(prompt, answers))

    def _record(self, answers: list[MinerAnswer], scores: list[float]) -> list[MinerAnswer]:
        # What the bridge could not send counts against no miner; nor does a prompt no miner could
        # take (each refused it with a 4xx, e.g. a 413 over its token limit): the client chose it. A
        # miner refusing what another one answered is scored like any failure.
        answered = any(a.ok for a in answers)
        for answer, score in zip(answers, scores, strict=True):
            if not (answer.bridge_fault or (answer.refused_input and not answered)):
                self.metrics.record_score(answer.uid, self.scores.update(answer.uid, score))
        return [MinerAnswer(**{**a.__dict__, "score": s}) for a, s in zip(answers, scores, strict=True)]

    async def _after_scoring(self, job: _ScoreJob, scored: list[MinerAnswer]) -> None:
        if self.send_rewards:
            await self._reward(job[0], job[1], scored)

    async def _reward(self, prompt: PromptSpec, targets: Sequence[Miner], scored: Sequence[MinerAnswer]) -> None:
        """Send each miner that answered its score (the seed's ``backward``); failures are ignored."""
        now = time.monotonic()
        calls, called = [], []
        for miner, answer in zip(targets, scored, strict=True):
            axon_key = (miner.hotkey, miner.axon.ip, miner.axon.port)
            if not answer.ok or now - self._no_backward.get(axon_key, -NO_BACKWARD_RETRY) < NO_BACKWARD_RETRY:
                continue
            synapse = TextPromptingBackward(roles=list(prompt.roles), messages=list(prompt.messages),
                                            completion=answer.completion, rewards=[float(answer.score or 0.0)],
                                            timeout=self.timeout)
            calls.append(self.dendrite.call(miner.axon, synapse, timeout=self.timeout, deserialize=False))
            called.append(axon_key)
        if not calls:
            return
        for axon_key, response in zip(called, await asyncio.gather(*calls, return_exceptions=True), strict=True):
            terminal = getattr(response, "dendrite", None)
            if terminal is not None and terminal.status_code == 404:  # the axon does not serve rewards
                self._no_backward[axon_key] = now

    async def join_background(self) -> None:
        """Wait for the scoring and rewards still running off the answers' path (tests, shutdown)."""
        await self._later.join()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop the work off the answers' path (rewards, late calls), then close this loop's connections."""
        await self._later.cancel()
        running = [t for t in self._background if t.get_loop() is asyncio.get_running_loop()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await self.dendrite.aclose()

    def _in_background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def complete(self, model: str, prompt: PromptSpec, n: int) -> list[MinerAnswer]:
        """The best ``n`` answers, as soon as ``n`` good ones are in (plus the grace window).

        Answers are ranked by this request's scores when the scorer is cheap enough to run inline,
        else by each miner's running score: an expensive scorer never sits on the answer's path. The
        calls still running go on in the background; when they end (by the deadline) every answer
        is scored, for weights and rewards, off the answer's path.
        """
        targets = self._targets(model, prompt)
        started = time.perf_counter()
        late: asyncio.Future[list[MinerAnswer]] | None = None
        if len(targets) == 1:
            answers = await self.query(targets, prompt)
            # One named miner: nothing to choose, so score (and reward) off the answer's path.
            self._later.submit((prompt, targets, answers))
            good = [a for a in answers if a.useful]
        else:
            asked, answers, late = await self._first_answers(targets, prompt, need=min(n, len(targets)),
                                                             grace=self.grace)
            good = self._rank(prompt, answers)
            if late is None:
                self._later.submit((prompt, asked, answers))
            else:
                self._in_background(self._score_when_done(prompt, asked, answers, late))
        if not good:
            if late is not None:  # the deadline passed: the silent ones are named too
                answers = [*answers, *await late]
            raise self._failure(answers)
        if len(good) < n:  # n choices always: distinct miners first, then more samples from the best
            good += await self._more_samples(targets, good, prompt, n - len(good), started + self.timeout)
        return good[:n]

    async def _more_samples(self, targets: Sequence[Miner], good: list[MinerAnswer], prompt: PromptSpec, count: int,
                            deadline: float) -> list[MinerAnswer]:
        """``count`` more answers from the best miners, round robin (a given seed is varied per sample)."""
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return []
        miners = {m.uid: m for m in targets}
        asks = []
        for k in range(count):
            best = good[k % len(good)]
            seed = None if prompt.seed is None else prompt.seed + 1 + k
            synapse = self._synapse(dataclasses.replace(prompt, seed=seed), TextPrompting, remaining)
            asks.append((best, self.dendrite.call(miners[best.uid].axon, synapse, timeout=remaining,
                                                  deserialize=False)))
        started = time.perf_counter()
        responses = await asyncio.gather(*(call for _, call in asks), return_exceptions=True)
        extra = []
        for (best, _), response in zip(asks, responses, strict=True):
            if isinstance(response, BaseException):
                continue
            answer = self._answer(miners[best.uid], response, time.perf_counter() - started, prompt)
            if answer.useful:
                extra.append(dataclasses.replace(answer, score=best.score))
        return extra

    def _rank(self, prompt: PromptSpec, answers: list[MinerAnswer]) -> list[MinerAnswer]:
        good = [a for a in answers if a.useful]
        whole = [a for a in good if not a.cut]
        good = whole or good  # answers cut at the deadline only when nothing complete came
        if scores_inline(self.scorer, len(good)):
            scores = self.scorer.score(prompt, good)
        else:  # the configured scorer is too slow for the answer's path: word overlap and track record
            book = self.scores.snapshot()
            quick = self._ranker.score(prompt, good)
            scores = [0.5 * q + 0.5 * book.get(a.uid, q) for a, q in zip(good, quick, strict=True)]
        ranked = [dataclasses.replace(a, score=s) for a, s in zip(good, scores, strict=True)]
        return sorted(ranked, key=lambda a: (-(a.score or 0.0), a.latency_s))

    async def _score_when_done(self, prompt: PromptSpec, targets: Sequence[Miner], answers: list[MinerAnswer],
                               late: asyncio.Future[list[MinerAnswer]]) -> None:
        rest = await late
        by_uid = {a.uid: a for a in [*answers, *rest]}
        self._later.submit((prompt, targets, [by_uid[m.uid] for m in targets]))

    def _failure(self, answers: Sequence[MinerAnswer]) -> InvalidRequest | NoMinerAvailable | MinersTimedOut:
        def reason(a: MinerAnswer) -> str:
            if a.rejected:
                return f"answer rejected: {a.rejected}"
            if a.status_code == 200:  # a success with nothing in it
                return "empty answer"
            return f"{a.status_code} {a.status_message or 'no message'}"

        reasons = "; ".join(f"uid {a.uid}: {reason(a)}" for a in answers)
        if answers and all(a.status_code in _INPUT_REFUSALS and not a.rejected for a in answers):
            # every miner asked refused the request as given (a schema it cannot compile, a prompt over its
            # limit): the client's to fix, so a 400 that says why, not a 503
            return InvalidRequest(f"Every miner asked refused this request ({reasons}).", code="refused_by_miners")
        if answers and all(a.status_code == 408 for a in answers):
            return MinersTimedOut(f"No miner answered within {self.timeout:g} s ({reasons}).")
        return NoMinerAvailable(f"No miner gave an answer ({reasons}).")

    # ---- streaming -----------------------------------------------------------------------------
    async def stream(self, model: str, prompt: PromptSpec) -> AsyncIterator[StreamStart | StreamText | StreamEnd]:
        """Follow the first miner that produces a token; start the next one whenever all stall.

        A miner gets ``stream_stall`` seconds to produce its first chunk before the next-ranked one
        is started too; whichever speaks first is followed and the others are cancelled. The stream
        ends with a ``StreamEnd``: ``"deadline"`` when it lasted the miner's whole answer budget (the
        miner cut it) or the bridge's deadline cut it, else ``"stop"``.
        """
        targets = self._targets(model)
        queue: asyncio.Queue[tuple[int, object]] = asyncio.Queue()
        tasks: dict[int, asyncio.Task[None]] = {}
        deadline = time.monotonic() + self.timeout
        failures: list[MinerAnswer] = []
        launched: dict[int, float] = {}
        texts: list[str] = []  # the followed stream's text, counted in tokens at its end

        async def pump(index: int, miner: Miner) -> None:
            synapse = self._synapse(prompt, StreamingTextPrompting, self.timeout)
            started = time.perf_counter()
            try:
                async for item in self.dendrite.call_stream(miner.axon, synapse, timeout=self.timeout,
                                                                 deserialize=False):
                    await queue.put((index, item))
            except Exception as exc:  # a failing miner is one failure among several, never the bridge's
                await queue.put((index, exc))
            finally:
                await queue.put((index, _Done(time.perf_counter() - started)))

        def launch(index: int) -> None:
            launched[index] = time.perf_counter()
            tasks[index] = asyncio.ensure_future(pump(index, targets[index]))

        launch(0)
        chosen: int | None = None
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = remaining if chosen is not None else min(remaining, self.stream_stall)
                try:
                    index, item = await asyncio.wait_for(queue.get(), timeout=wait)
                except TimeoutError:
                    if chosen is None and len(tasks) < len(targets):
                        launch(len(tasks))
                        continue
                    if chosen is not None:
                        break
                    continue
                if chosen is not None and index != chosen:
                    continue
                if isinstance(item, str):
                    if chosen is None:
                        if not item:
                            continue
                        chosen = index
                        self.metrics.record_ttft(targets[index].uid, time.perf_counter() - launched[index])
                        for other, task in tasks.items():
                            if other != index:
                                task.cancel()
                        yield StreamStart(uid=targets[index].uid, hotkey=targets[index].hotkey)
                    texts.append(item)
                    yield StreamText(item)
                elif isinstance(item, _Done):
                    if chosen == index:
                        self.metrics.record_miner(targets[index].uid, 200, item.latency,
                                                  tokens=count_tokens("".join(texts)))
                        cut = item.latency >= answer_budget(self.timeout) - STREAM_CUT_MARGIN
                        yield StreamEnd("deadline" if cut else "stop")
                        return
                    failures.append(MinerAnswer(uid=targets[index].uid, hotkey=targets[index].hotkey,
                                                completion="", latency_s=item.latency, status_code=503,
                                                status_message="stream ended before its first token"))
                    self.metrics.record_miner(targets[index].uid, 503, item.latency)
                    if len(tasks) < len(targets):
                        launch(len(tasks))
                    elif all(t.done() for t in tasks.values()) and queue.empty():
                        break
                elif isinstance(item, Exception):
                    log.info("stream from uid %s failed: %s", targets[index].uid, item)
                else:  # the completed synapse at the end of the stream
                    terminal = getattr(item, "dendrite", None)
                    code = int(getattr(terminal, "status_code", 200) or 200)
                    if chosen is None and code != 200:
                        failures.append(MinerAnswer(uid=targets[index].uid, hotkey=targets[index].hotkey,
                                                    completion="", latency_s=0.0, status_code=code,
                                                    status_message=getattr(terminal, "status_message", "") or ""))
            if chosen is None:
                if failures:
                    raise self._failure(failures)
                raise MinersTimedOut(f"No miner started streaming within {self.timeout:g} s.")
            yield StreamEnd("deadline")  # the bridge's deadline (or a stalled miner) ended it
        finally:
            for task in tasks.values():
                task.cancel()
            for task in tasks.values():
                with contextlib.suppress(BaseException):
                    await task

    # ---- embeddings ----------------------------------------------------------------------------
    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        targets = self._targets(model)
        synapse = Embedding(texts=texts, timeout=self.timeout)
        responses = await self.dendrite.forward([m.axon for m in targets], synapse, timeout=self.timeout,
                                                deserialize=False)
        reasons = []
        for miner, response in zip(targets, responses, strict=True):
            vectors = getattr(response, "embeddings", None)
            code = int(response.dendrite.status_code or 500) if response.dendrite else 500
            if code == 200 and isinstance(vectors, list) and len(vectors) == len(texts) and all(vectors):
                return [list(map(float, v)) for v in vectors]
            reasons.append(f"uid {miner.uid}: {code}")
        raise NoMinerAvailable(f"No miner returned embeddings ({'; '.join(reasons)}).")


class _Done:
    def __init__(self, latency: float) -> None:
        self.latency = latency

"""The validator's own prompts: sent like a client's, always verified, so gaming organic traffic only does not pay.

Miners cannot tell a challenge from a client's request: the same synapse from the same hotkey, a
question drawn from templates with random parts (a fixed list would be learnt by heart), at
temperature 0 (the strictest check: each token must be the model's greedy choice). The answers go
through the bridge's usual path (fan-out to ``k`` miners, ranking, background scoring); only their
``PromptSpec.challenge`` flag differs, and it never leaves the bridge.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable

from bt_llm.bridge.backend import PromptSpec
from bt_llm.bridge.errors import BridgeError
from bt_llm.bridge.network_backend import NetworkBackend

__all__ = ["ChallengeLoop", "challenge_prompt"]

log = logging.getLogger(__name__)

_TEMPLATES = (
    "What is {a} plus {b}?",
    "Name {n} animals that live in the {place}.",
    "Write one sentence about a {color} {thing}.",
    "What is the capital of {country}?",
    "Give a short tip for {activity}.",
    "Explain in one sentence what a {tool} is used for.",
    "List {n} words that rhyme with {word}.",
    "Describe the {season} in {country} in two sentences.",
)
_FILL = {
    "a": [str(i) for i in range(2, 99)], "b": [str(i) for i in range(2, 99)], "n": ["two", "three", "four"],
    "place": ["ocean", "desert", "forest", "mountains", "arctic", "city"],
    "color": ["red", "blue", "green", "yellow", "purple", "black", "white"],
    "thing": ["car", "bird", "house", "boat", "flower", "cat", "river", "book"],
    "country": ["France", "Japan", "Brazil", "Kenya", "Canada", "India", "Norway", "Peru", "Egypt"],
    "activity": ["sleeping well", "running", "studying", "cooking rice", "saving money", "learning a language"],
    "tool": ["hammer", "compass", "thermometer", "microscope", "ladder", "spreadsheet"],
    "word": ["cat", "light", "tree", "day", "sing", "blue"],
    "season": ["winter", "summer", "spring", "autumn"],
}


def challenge_prompt(rng: random.Random, max_tokens: int = 32) -> PromptSpec:
    """One question from the templates, at temperature 0, flagged as the validator's own."""
    template = rng.choice(_TEMPLATES)
    text = template.format(**{k: rng.choice(v) for k, v in _FILL.items()})
    return PromptSpec(roles=("user",), messages=(text,), max_tokens=max_tokens, temperature=0.0, challenge=True)


class ChallengeLoop:
    """Every ``interval`` seconds, one challenge to the subnet, on a thread and event loop of its own."""

    def __init__(self, make_backend: Callable[[], NetworkBackend], model: str, interval: float,
                 seed: int | None = None) -> None:
        self._make_backend = make_backend
        self.model, self.interval = model, interval
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-challenges", daemon=True)
        self.sent = 0

    def start(self) -> ChallengeLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # a challenge in flight may wait for its answers' scoring: not for long
            self._thread.join(timeout=5)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        backend = self._make_backend()
        try:
            # The first one goes out at once: it also tells the bridge what each miner declares it can
            # do (tools, schemas), before a client asks for it.
            wait = min(1.0, self.interval)
            while not self._stop.wait(wait):
                loop.run_until_complete(self._once(backend))
                wait = self.interval
        finally:
            loop.run_until_complete(backend.aclose())
            loop.close()

    async def _once(self, backend: NetworkBackend) -> None:
        self.sent += 1
        try:
            await backend.complete(self.model, challenge_prompt(self._rng), 1)
        except BridgeError as exc:  # no miner answered: their failures are scored all the same
            log.debug("challenge unanswered: %s", exc)
        await backend.join_background()  # every answer, the late ones too, is scored before the next

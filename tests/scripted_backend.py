"""A bridge backend that answers from a script: the test double for the bridge's HTTP layer (unit tests
drive the app in-process through ASGI; integration tests serve it over a real socket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from bt_llm.bridge.backend import MinerAnswer, ModelInfo, PromptSpec, StreamStart, StreamText
from bt_llm.bridge.errors import ModelNotFound, NoMinerAvailable
from bt_llm.bridge.health import Check

MODEL = "bittensor/subnet-1"


class ScriptedBackend:
    def __init__(self) -> None:
        self.prompts: list[PromptSpec] = []

    def models(self) -> list[ModelInfo]:
        return [ModelInfo(id=MODEL, created=1_700_000_000)]

    def resolve_model(self, model: str | None) -> str:
        if model in (None, MODEL):
            return MODEL
        if model == "bittensor/subnet-9":
            return model
        raise ModelNotFound(f"The model '{model}' does not exist. Known models: {MODEL}.", param="model",
                            code="model_not_found")

    async def complete(self, model: str, prompt: PromptSpec, n: int) -> list[MinerAnswer]:
        self.prompts.append(prompt)
        if model == "bittensor/subnet-9":
            raise NoMinerAvailable("no miner serves subnet 9")
        last = prompt.messages[-1]
        return [
            MinerAnswer(uid=uid, hotkey=f"hk{uid}", completion=f"answer {uid} to {last}. END more", latency_s=0.01,
                        score=1.0 - uid / 10)
            for uid in range(n)
        ]

    async def stream(self, model: str, prompt: PromptSpec) -> AsyncIterator[StreamStart | StreamText]:
        self.prompts.append(prompt)
        yield StreamStart(uid=3, hotkey="hk3")
        for word in ["Hello", " wor", "ld", " STO", "P never"]:
            await asyncio.sleep(0)
            yield StreamText(word)

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        return [[float(len(t)), 0.5, -1.0] for t in texts]

    def health(self) -> list[Check]:
        return [Check("miners", True, "scripted")]

"""Fuzzed requests against the bridge on uvicorn, over real axons: never a 5xx, never a score hurt.

A seeded generator (bounded: ~400 requests, a few seconds) mutates valid chat, completion and
embedding bodies field by field with hostile values (wrong types, huge numbers, lone surrogates,
deep nesting, invalid UTF-8, odd content types, chunked bodies) and sends them with the real
httpx client. Every answer must be a 2xx or a 4xx carrying an OpenAI error object; no traceback is
logged; afterwards the bridge still answers, is ready, and no miner was blamed for what the
clients sent.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.bridge.app import HttpSettings, create_app
from bt_llm.bridge.directory import Miner, MinerDirectory, Snapshot
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.network_backend import NetworkBackend
from bt_llm.bridge.scoring import LexicalScorer
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.bridge.weights import ScoreBook
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting

SEED, CASES = 20261206, 400
MODEL = "bittensor/subnet-1"


def forward(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "Austin is the capital of Texas."
    return synapse


def embed(synapse: Embedding) -> Embedding:
    synapse.embeddings = [[float(len(t)), 1.0] for t in synapse.texts]
    return synapse


def stream(synapse: StreamingTextPrompting):  # type: ignore[no-untyped-def]
    yield from ("Austin ", "is ", "the ", "capital.")


@pytest.fixture(scope="module")
def bridge() -> Iterator[tuple[ServerThread, MinerDirectory]]:
    axons, miners = [], []
    for uid in range(2):
        key = Keypair.create_from_uri(f"//fuzz-miner{uid}")
        axons.append(Axon(wallet=key, ip="127.0.0.1", port=0).attach(forward).attach(stream).attach(embed).start())
        miners.append(Miner(uid=uid, hotkey=key.ss58_address, axon=axons[-1].info(), incentive=0.0))
    scores = ScoreBook()
    directory = MinerDirectory(lambda: Snapshot(block=1, n=2, miners=tuple(miners)), scores)
    directory.refresh()
    backend = NetworkBackend(netuid=1, directory=directory, dendrite=Dendrite(Keypair.create_from_uri("//bridge")),
                             scorer=LexicalScorer(), scores=scores, metrics=BridgeMetrics(), timeout=3.0)
    try:
        with ServerThread(create_app(backend, HttpSettings(max_body_bytes=200_000))) as server:
            yield server, directory
    finally:
        for axon in axons:
            axon.stop()


HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1, 2**63, -(2**63), 10**400, 1e308, -1e308, 0.5, "", " ", "x" * 5000, "\ud800",
    "a\udfffb", "\x00", "\u202e", "☃" * 50, [], [None], [[[]]], {}, {"a": {"b": {"c": None}}}, ["\ud83d"],
    [1, "two", None], {"role": "user"}, {"type": "image_url", "image_url": {"url": "x"}}, "NaN",
]
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "capital of Texas?"}], "max_tokens": 8}
COMPLETION = {"model": MODEL, "prompt": "capital of Texas?", "max_tokens": 8}
EMBEDDING = {"model": MODEL, "input": "capital of Texas"}
CHAT_FIELDS = ["model", "messages", "max_tokens", "temperature", "top_p", "n", "stream", "stop", "seed",
               "stream_options", "tools", "tool_choice", "response_format", "logprobs", "user", "max_completion_tokens",
               "presence_penalty", "frequency_penalty", "logit_bias", "metadata", "unknown_field"]
COMPLETION_FIELDS = ["model", "prompt", "max_tokens", "temperature", "n", "stream", "stop", "echo", "best_of",
                     "suffix", "seed", "logprobs", "unknown_field"]
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id", "refusal"]


def deep(depth: int) -> str:
    return '{"model": ' + "[" * depth + "]" * depth + "}"


def hostile(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(HOSTILE))


def mutate(rng: random.Random, base: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    body = json.loads(json.dumps(base))
    for _ in range(rng.randint(1, 3)):
        field = rng.choice(fields)
        if rng.random() < 0.15:
            body.pop(field, None)
        else:
            body[field] = hostile(rng)
    if "messages" in body and isinstance(body["messages"], list) and body["messages"] and rng.random() < 0.5:
        message = body["messages"][0] = dict(body["messages"][0]) if isinstance(body["messages"][0], dict) else {}
        message[rng.choice(MESSAGE_FIELDS)] = hostile(rng)
    return body


def encode(body: dict[str, Any]) -> bytes:
    # surrogates pass through as escapes (what a JavaScript client may send); huge ints as digits
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


def cases(rng: random.Random) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
    json_headers = {"content-type": "application/json"}
    raw = [
        b"", b"{", b"[]", b"null", b"123", b'"text"', b"\xff\xfe\xfd", b'{"model": "\xff"}', deep(1_000).encode(),
        deep(100_000).encode()[:150_000], b'{"model": NaN}', b'{"messages": [' + b"{}," * 5000 + b"{}]}",
        json.dumps({**CHAT, "messages": [{"role": "user", "content": "\ud800"}]}).encode(),
        json.dumps({**CHAT, "model": "\udfff"}).encode(), b"x" * 250_000,
    ]
    for path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        for body in raw:
            yield "POST", path, body, json_headers
        yield "POST", path, encode(CHAT), {"content-type": "text/plain"}
        yield "POST", path, encode(CHAT), {}
    for method, path in [("GET", "/v1/chat/completions"), ("PUT", "/v1/completions"), ("DELETE", "/v1/models"),
                         ("GET", "/v1/nope"), ("POST", "/v1/models"), ("GET", "/%ff%fe"), ("GET", "/v1/models/x/y")]:
        yield method, path, b"", {}
    while True:
        kind = rng.random()
        if kind < 0.5:
            yield "POST", "/v1/chat/completions", encode(mutate(rng, CHAT, CHAT_FIELDS)), json_headers
        elif kind < 0.85:
            yield "POST", "/v1/completions", encode(mutate(rng, COMPLETION, COMPLETION_FIELDS)), json_headers
        else:
            yield "POST", "/v1/embeddings", encode(mutate(rng, EMBEDDING, ["model", "input", "encoding_format",
                                                                            "dimensions", "user"])), json_headers


def test_fuzzed_requests_never_5xx_and_blame_no_miner(bridge: tuple[ServerThread, MinerDirectory],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    server, directory = bridge
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    caplog.set_level(logging.WARNING)
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        for count, (method, path, body, headers) in enumerate(cases(rng)):
            if count >= CASES:
                break
            response = client.request(method, path, content=body, headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case = f"{method} {path} {body[:200]!r}"
            # 503 and 504 say the miners could not answer: never for these healthy miners
            assert response.status_code < 500, f"{response.status_code} for {case}: {response.text[:300]}"
            if response.status_code >= 400:
                error = response.json()["error"]
                assert isinstance(error["message"], str) and error["message"], case
                assert set(error) >= {"message", "type", "param", "code"}, case
            elif path != "/v1/models" and "stream" not in response.headers.get("content-type", ""):
                assert response.json()["object"] in ("chat.completion", "text_completion", "list"), case
        assert statuses.get(200, 0) > 20 and sum(v for k, v in statuses.items() if 400 <= k < 500) > 200, statuses
        # healthy afterwards: a plain request answers and every miner is still serving
        answer = client.post("/v1/chat/completions", json=CHAT)
        assert answer.status_code == 200 and "Austin" in answer.json()["choices"][0]["message"]["content"]
        assert client.get("/readyz").status_code == 200
    assert not any(directory.cooling(uid) for uid in (0, 1)), "a client's input was counted against a miner"
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]

"""Bodies, stream chunks and errors of the bridge validated against OpenAI's OpenAPI description
(``../shared/fixtures/openai-openapi/openapi.yaml``, OpenAPI 3.0: ``nullable`` becomes JSON Schema's
``null`` type; everything else is read as it is)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

from bt_llm.bridge.app import create_app  # noqa: E402
from tests.scripted_backend import ScriptedBackend  # noqa: E402
from tests.unit.bridge.test_hot_path import GOOD, client_of  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "openai-openapi" / "openapi.yaml"


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema: ``nullable: true`` admits null."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "discriminator", "example")
           and not k.startswith("x-")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def validate():
    if not FIXTURE.is_file():
        pytest.skip(f"{FIXTURE} is absent (the shared fixtures sit beside the repository)")
    document = yaml.load(FIXTURE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C: 10x faster
    components = {"schemas": _json_schema(document["components"]["schemas"])}

    def check(name: str, body: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])

    return check


def _events(text: str) -> list[Any]:
    lines = [line[len("data: "):] for line in text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


async def test_chat_bodies_and_chunks_match_the_schema(validate) -> None:
    async with client_of(create_app(ScriptedBackend())) as api:
        body = (await api.post("/v1/chat/completions", json={**GOOD, "max_tokens": 1})).json()
        stream = await api.post("/v1/chat/completions",
                                json={**GOOD, "stream": True, "stream_options": {"include_usage": True}})
    validate("CreateChatCompletionResponse", body)
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == 1
    chunks = _events(stream.text)
    assert len(chunks) >= 3
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)


async def test_completion_bodies_chunks_models_embeddings_and_errors_match_the_schema(validate) -> None:
    async with client_of(create_app(ScriptedBackend())) as api:
        body = (await api.post("/v1/completions", json={"model": "bittensor/subnet-1", "prompt": "hi"})).json()
        stream = await api.post("/v1/completions", json={"model": "bittensor/subnet-1", "prompt": "hi", "stream": True})
        models = (await api.get("/v1/models")).json()
        error = (await api.post("/v1/chat/completions", json={**GOOD, "tools": [{"type": "function"}]})).json()
        broken = (await api.post("/v1/chat/completions", content=b"{", headers={"content-type": "application/json"})
                  ).json()
    validate("CreateCompletionResponse", body)
    chunks = _events(stream.text)
    for chunk in chunks[:-1]:
        # OpenAI's API (and vLLM) stream "finish_reason": null until the last chunk, which the schema,
        # written for whole bodies, does not foresee: the rest of the chunk is checked.
        assert chunk["choices"][0]["finish_reason"] is None
        validate("CreateCompletionResponse", {**chunk, "choices": [{**chunk["choices"][0], "finish_reason": "stop"}]})
    validate("CreateCompletionResponse", chunks[-1])
    assert "usage" not in chunks[0]  # an object or nothing, never null
    validate("ListModelsResponse", models)
    validate("ErrorResponse", error)
    validate("ErrorResponse", broken)


class StructuredBackend(ScriptedBackend):
    """Answers tool calls when tools are offered, else JSON text with log-probabilities."""

    async def complete(self, model: str, prompt: Any, n: int) -> list[Any]:
        from bt_llm.bridge.backend import MinerAnswer

        calls = ({"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},)
        logprobs = ({"token": "{}", "logprob": -0.5, "top_logprobs": [{"token": "{}", "logprob": -0.5}]},)
        return [MinerAnswer(uid=0, hotkey="hk0", completion="" if prompt.tools else "{}", latency_s=0.01,
                            tool_calls=calls if prompt.tools else None, logprobs=logprobs)]


async def test_tool_calls_logprobs_bodies_and_chunks_match_the_schema(validate) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    conversation = [{"role": "user", "content": "hi"},
                    {"role": "assistant", "content": None, "tool_calls": [
                        {"id": "call_0", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                    {"role": "tool", "tool_call_id": "call_0", "content": "42"}]
    async with client_of(create_app(StructuredBackend())) as api:
        called = (await api.post("/v1/chat/completions", json={**GOOD, "messages": conversation,
                                                               "tools": tools})).json()
        streamed = await api.post("/v1/chat/completions", json={**GOOD, "tools": tools, "stream": True})
        logprobs = (await api.post("/v1/chat/completions", json={**GOOD, "logprobs": True, "top_logprobs": 1,
                                                                 "response_format": {"type": "json_object"}})).json()
        legacy = (await api.post("/v1/completions", json={"model": "bittensor/subnet-1", "prompt": "hi",
                                                          "logprobs": 1})).json()
        bad_schema = (await api.post("/v1/chat/completions", json={**GOOD, "response_format": {
            "type": "json_schema", "json_schema": {"name": "n", "schema": {"type": 5}}}})).json()
    validate("CreateChatCompletionResponse", called)
    assert called["choices"][0]["finish_reason"] == "tool_calls"
    assert called["choices"][0]["message"]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"x": 1}'}
    chunks = _events(streamed.text)
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
    assert [c["choices"][0]["delta"].get("tool_calls") for c in chunks[1:3]] == [
        [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}],
        [{"index": 0, "function": {"arguments": '{"x": 1}'}}]]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    validate("CreateChatCompletionResponse", logprobs)
    assert logprobs["choices"][0]["logprobs"]["content"][0]["top_logprobs"][0]["token"] == "{}"
    validate("CreateCompletionResponse", legacy)
    assert legacy["choices"][0]["logprobs"]["token_logprobs"] == [-0.5]
    validate("ErrorResponse", bad_schema)
    assert bad_schema["error"]["param"] == "response_format"

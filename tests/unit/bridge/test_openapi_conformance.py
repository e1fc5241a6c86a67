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

from bridge.app import create_app  # noqa: E402
from tests.unit.bridge.test_hot_path import GOOD, client_of  # noqa: E402
from tests.unit.bridge.test_openai_api import ScriptedBackend  # noqa: E402

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

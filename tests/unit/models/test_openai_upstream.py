"""The OpenAI-compatible upstream backend against httpx.MockTransport: bodies, streaming, error mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from bt_llm.errors import ConfigError, MinerError
from bt_llm.models.openai_upstream import OpenAIUpstream, api_key_from_env, request_body
from bt_llm.models.sampling import SamplingParams

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "capital of Texas?"}]


def sse(*events: object) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


def delta(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


def upstream(handler, **kwargs) -> OpenAIUpstream:
    return OpenAIUpstream("http://up.test/v1", "smol", transport=httpx.MockTransport(handler), **kwargs)


def test_request_body_leaves_out_unset_options() -> None:
    body = request_body("m", MESSAGES, SamplingParams(max_tokens=5, temperature=0), stream=False)
    assert body == {"model": "m", "messages": MESSAGES, "max_tokens": 5, "temperature": 0, "top_p": 1.0,
                    "stream": False}
    body = request_body("m", MESSAGES, SamplingParams(stop=["\n"], seed=3), stream=True)
    assert body["stop"] == ["\n"] and body["seed"] == 3 and body["stream"] is True


def test_generate_posts_and_authenticates() -> None:
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["auth"] = request.headers.get("authorization")
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "Austin."}}]})

    up = upstream(handler, api_key="sk-test")
    assert up.generate(MESSAGES, SamplingParams(max_tokens=7, seed=1)) == "Austin."
    assert seen["url"] == "http://up.test/v1/chat/completions"
    assert seen["auth"] == "Bearer sk-test"
    assert seen["body"]["model"] == "smol" and seen["body"]["max_tokens"] == 7 and seen["body"]["seed"] == 1


def test_stream_passes_deltas_through() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["stream"] is True
        body = sse({"choices": [{"delta": {"role": "assistant"}}]}, delta("The capital"), delta(" is"),
                   delta(" Austin."), {"choices": [{"delta": {}, "finish_reason": "stop"}]}, "[DONE]")
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    assert list(upstream(handler).stream(MESSAGES, SamplingParams())) == ["The capital", " is", " Austin."]


@pytest.mark.parametrize(
    ("response", "status", "text"),
    [
        (httpx.Response(429, json={"error": {"message": "Rate limit reached", "type": "rate_limit"}}), 502,
         "answered 429: Rate limit reached"),
        (httpx.Response(500, text="boom"), 502, "answered 500: boom"),
        (httpx.Response(200, json={"nothing": True}), 502, "unreadable completion"),
    ],
)
def test_upstream_errors_are_clear(response: httpx.Response, status: int, text: str) -> None:
    up = upstream(lambda request: response)
    with pytest.raises(MinerError) as info:
        up.generate(MESSAGES, SamplingParams())
    assert info.value.status_code == status and text in info.value.message
    assert "http://up.test/v1" in info.value.message


def test_transport_failures_map_to_503_and_504() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(MinerError) as info:
        upstream(refuse).generate(MESSAGES, SamplingParams())
    assert info.value.status_code == 503 and "unreachable" in info.value.message
    with pytest.raises(MinerError) as info:
        list(upstream(slow).stream(MESSAGES, SamplingParams()))
    assert info.value.status_code == 504


def test_stream_errors_before_and_during() -> None:
    def rejected(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}})

    with pytest.raises(MinerError, match="401: Incorrect API key"):
        list(upstream(rejected).stream(MESSAGES, SamplingParams()))

    def midway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse(delta("part"), {"error": {"message": "model crashed"}}),
                              headers={"content-type": "text/event-stream"})

    chunks = upstream(midway).stream(MESSAGES, SamplingParams())
    assert next(chunks) == "part"
    with pytest.raises(MinerError, match="model crashed"):
        next(chunks)


def test_config_checks_and_key_from_env() -> None:
    with pytest.raises(ConfigError):
        OpenAIUpstream("127.0.0.1:8000", "m")
    with pytest.raises(ConfigError):
        OpenAIUpstream("http://x", "")
    assert api_key_from_env({"OPENAI_API_KEY": "a"}) == "a"
    assert api_key_from_env({"OPENAI_API_KEY": "a", "UPSTREAM_API_KEY": "b"}) == "b"
    assert api_key_from_env({}) is None


def test_a_deadline_bounds_the_upstream_wait() -> None:
    import time

    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["timeout"] = request.extensions["timeout"]
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}}]})

    up = upstream(handler, timeout=60)
    assert up.generate(MESSAGES, SamplingParams(deadline=time.monotonic() + 3)) == "ok"
    assert 2 < seen["timeout"]["read"] <= 3
    up.generate(MESSAGES, SamplingParams())
    assert seen["timeout"]["read"] == 60

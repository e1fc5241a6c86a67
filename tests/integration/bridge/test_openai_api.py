"""The OpenAI HTTP layer with the real openai client, over a real server, on a scripted backend.

The backend here is a stand-in for the network (a unit test of the HTTP layer); the end-to-end proof
with miners is in tests/integration/bridge/.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator

import httpx
import openai
import pytest

from bt_llm.bridge.app import HttpSettings, create_app
from bt_llm.bridge.serve_thread import ServerThread
from tests.scripted_backend import MODEL, ScriptedBackend


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
def server(backend: ScriptedBackend) -> Iterator[ServerThread]:
    app = create_app(backend, HttpSettings(api_keys=frozenset({"sk-good"}), rate_limit_per_minute=600,
                                           max_body_bytes=20_000))
    with ServerThread(app) as srv:
        yield srv


@pytest.fixture
def client(server: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="sk-good", max_retries=0)


def test_chat_completion_with_n_and_miner_info(client: openai.OpenAI, backend: ScriptedBackend) -> None:
    result = client.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        n=3, stop=["END"], max_completion_tokens=50, temperature=0.3,
    )
    assert [c.message.content for c in result.choices] == ["answer 0 to hi. ", "answer 1 to hi. ", "answer 2 to hi. "]
    assert [c.finish_reason for c in result.choices] == ["stop"] * 3
    assert result.choices[0].message.refusal is None
    assert result.choices[1].model_extra["miner"]["uid"] == 1
    assert result.usage.completion_tokens == 3 * 5
    assert backend.prompts[0].roles == ("system", "user")
    assert backend.prompts[0].max_tokens == 50
    assert backend.prompts[0].temperature == 0.3


def test_text_completion(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt="Heraclitus was a ", stop="END", echo=True)
    assert result.choices[0].text == "Heraclitus was a answer 0 to Heraclitus was a . "
    assert result.object == "text_completion"


def test_openai_sampling_edges_reach_the_miners_in_their_range(client: openai.OpenAI, backend: ScriptedBackend) -> None:
    client.completions.create(model=MODEL, prompt="hi", top_p=0, seed=-(2**63))
    assert 0 < backend.prompts[-1].top_p < 1e-6 and backend.prompts[-1].seed == -(2**63)  # top_p 0: the top token
    with pytest.raises(openai.BadRequestError, match="seed"):
        client.completions.create(model=MODEL, prompt="hi", seed=2**63)


def test_chat_stream_cuts_at_stop_and_reports_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True, stop=["STOP"],
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello world "
    assert chunks[0].choices[0].model_extra["miner"]["uid"] == 3
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 2


def test_models_and_embeddings_float_and_base64(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    result = client.embeddings.create(model=MODEL, input=["abc", "hello"])  # the client asks for base64
    assert [d.embedding for d in result.data] == [[3.0, 0.5, -1.0], [5.0, 0.5, -1.0]]
    raw = httpx.post(str(client.base_url) + "embeddings", headers={"Authorization": "Bearer sk-good"},
                     json={"model": MODEL, "input": "ab", "encoding_format": "base64"}).json()
    assert struct.unpack("<3f", base64.b64decode(raw["data"][0]["embedding"])) == (2.0, 0.5, -1.0)


def test_errors_are_openai_objects(server: ServerThread, client: openai.OpenAI) -> None:
    bad = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-bad", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        bad.models.list()
    assert auth.value.body["message"] == "Incorrect API key provided."
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
    assert "Known models: bittensor/subnet-1" in missing.value.body["message"]
    assert missing.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as invalid:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], temperature=7)
    assert invalid.value.body["param"] == "temperature"
    with pytest.raises(openai.InternalServerError) as unavailable:
        client.chat.completions.create(model="bittensor/subnet-9", messages=[{"role": "user", "content": "x"}])
    assert unavailable.value.status_code == 503
    too_big = httpx.post(server.url + "/v1/chat/completions", headers={"Authorization": "Bearer sk-good"},
                         json={"model": MODEL, "messages": [{"role": "user", "content": "x" * 30_000}]})
    assert too_big.status_code == 413 and "error" in too_big.json()
    not_json = httpx.post(server.url + "/v1/chat/completions", headers={"Authorization": "Bearer sk-good"},
                          content=b"{not json")
    assert not_json.status_code == 400 and set(not_json.json()["error"]) == {"message", "type", "param", "code"}


def test_rate_limit_answers_429_with_retry_after(backend: ScriptedBackend) -> None:
    app = create_app(backend, HttpSettings(api_keys=frozenset({"k"}), rate_limit_per_minute=2))
    with ServerThread(app) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="k", max_retries=0)
        client.models.list()
        client.models.list()
        with pytest.raises(openai.RateLimitError) as limited:
            client.models.list()
        assert int(limited.value.response.headers["retry-after"]) >= 1


def test_health_and_metrics(server: ServerThread, client: openai.OpenAI) -> None:
    client.models.list()
    health = httpx.get(server.url + "/healthz").json()
    assert health["status"] == "ok" and health["checks"]["miners"]["ok"] is True
    assert httpx.get(server.url + "/readyz").status_code == 200
    metrics = httpx.get(server.url + "/metrics").text
    assert 'bridge_requests_total{route="/v1/models",status="200"} 1.0' in metrics

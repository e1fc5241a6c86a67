"""Constrained decoding in the batching engine (xgrammar): JSON schemas, JSON objects and tool calls are
enforced token by token per request, next to unconstrained requests in the same batch; log-probabilities.

The tiny model has random weights: whatever it "wants", its answers must parse and validate. Its
schemas bound strings, numbers and arrays (maxLength, minimum/maximum, maxItems), so that a model that
never closes a string on its own still ends within max_tokens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bt_llm.models.sampling import SamplingParams
from bt_llm.models.tools import parse_tool_calls, tool_messages

torch = pytest.importorskip("torch")
pytest.importorskip("xgrammar")
jsonschema = pytest.importorskip("jsonschema")

WORD = {"type": "string", "maxLength": 6}
SCHEMAS = [
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 99}, "s": WORD,
                                      "color": {"enum": ["red", "blue", "green"]}, "ok": {"type": "boolean"}},
     "required": ["n", "s", "color", "ok"], "additionalProperties": False},
    {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                            "maximum": 9}, "minItems": 1,
                                                "maxItems": 3},
                                      "inner": {"type": "object", "properties": {"x": WORD, "y": {"type": "null"}},
                                                "required": ["x", "y"]}},
     "required": ["items", "inner"]},
    {"type": "array", "items": {"type": "object", "properties": {"k": {"enum": ["a", "b"]}}, "required": ["k"]},
     "maxItems": 2},
    {"type": "object", "properties": {"only": {"const": "this"}}, "required": ["only"]},
]
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"enum": ["austin", "paris"]}, "days": {"type": "integer", "minimum": 1,
                                                                                     "maximum": 7}},
    "required": ["city", "days"]}}}
OTHER = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"zone": {"enum": ["utc", "cst"]}}, "required": ["zone"]}}}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bt_llm.models.engine import Engine
    from bt_llm.models.tiny import create_tiny_model

    path = create_tiny_model(tmp_path_factory.mktemp("tiny-bytes"), byte_level=True)
    engine = Engine(AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path), max_seqs=4,
                    quantize="none")
    yield engine
    engine.close()


def _json_format(schema: dict) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_every_answer_parses_and_fits_its_schema(engine, temperature: float) -> None:
    runs = [engine.submit(engine.encode(f"hello {i}"), SamplingParams(
        max_tokens=150, temperature=temperature, seed=i, response_format=_json_format(schema)))
        for i, schema in enumerate(SCHEMAS * 2)]
    for schema, run in zip(SCHEMAS * 2, runs, strict=True):
        done = run.result()
        assert done.finish_reason == "stop", done  # the grammar completed, then end-of-sequence
        jsonschema.validate(json.loads(done.text), schema)


def test_json_object_answers_an_object(engine) -> None:
    done = engine.submit(engine.encode("hello"), SamplingParams(
        max_tokens=60, temperature=0, response_format={"type": "json_object"})).result()
    if done.finish_reason == "stop":  # a random model may fill the object past 60 tokens
        assert isinstance(json.loads(done.text), dict)
    assert done.text.startswith("{")


def test_unconstrained_requests_in_a_mixed_batch_get_their_solo_answer(engine) -> None:
    prompts = [engine.encode(t) for t in ("the capital of texas", "one two three")]
    plain = SamplingParams(max_tokens=24, temperature=0)
    alone = [engine.submit(p, plain).result().text for p in prompts]
    runs = []
    for i, p in enumerate(prompts):  # interleaved: constrained and free rows share each decode step
        runs.append(engine.submit(p, SamplingParams(max_tokens=150, temperature=0,
                                                    response_format=_json_format(SCHEMAS[i]))))
        runs.append(engine.submit(p, plain))
    results = [r.result() for r in runs]
    assert [results[1].text, results[3].text] == alone
    for i in (0, 2):
        jsonschema.validate(json.loads(results[i].text), SCHEMAS[i // 2])


@pytest.mark.parametrize(("choice", "parallel"), [("required", False), ("required", None), ("required", True),
                                                  ({"type": "function", "function": {"name": "get_time"}}, None)])
def test_tool_calls_follow_tool_choice(engine, choice, parallel) -> None:
    params = SamplingParams(max_tokens=200, temperature=1.0, seed=7, tools=(TOOL, OTHER), tool_choice=choice,
                            parallel_tool_calls=parallel)
    done = engine.submit(engine.encode("weather ?"), params).result()
    assert done.tool_calls, done
    names = {"get_weather": TOOL, "get_time": OTHER}
    for call in done.tool_calls:
        assert call["type"] == "function" and call["id"].startswith("call_")
        function = names[call["function"]["name"]]["function"]
        jsonschema.validate(json.loads(call["function"]["arguments"]), function["parameters"])
    if parallel is not True:  # several calls only when asked for
        assert len(done.tool_calls) == 1 and done.finish_reason == "tool_calls"
    if isinstance(choice, dict):
        assert done.tool_calls[0]["function"]["name"] == "get_time"
    assert done.text == ""  # nothing but calls


def test_a_schema_the_grammar_cannot_compile_is_a_400_naming_the_problem(engine) -> None:
    from bt_llm.models.grammar import GrammarError

    with pytest.raises(GrammarError) as refused:
        engine.submit(engine.encode("x"), SamplingParams(response_format=_json_format(
            {"type": "string", "pattern": "(?<=a)b"})))
    assert refused.value.status_code == 400
    assert refused.value.message.startswith("response_format: ") and "Lookbehind" in refused.value.message
    with pytest.raises(GrammarError, match=r"^tools: .*Unsupported type"):
        engine.submit(engine.encode("x"), SamplingParams(tools=(
            {"type": "function", "function": {"name": "f", "parameters": {"type": "nonsense"}}},)))


def test_tool_choice_none_is_free_text(engine) -> None:
    plain = SamplingParams(max_tokens=8, temperature=0)
    free = engine.submit(engine.encode("hello"), plain).result()
    none = engine.submit(engine.encode("hello"), SamplingParams(max_tokens=8, temperature=0, tools=(TOOL,),
                                                                tool_choice="none")).result()
    assert none.text == free.text and none.tool_calls is None


def test_logprobs_match_the_returned_tokens(engine) -> None:
    done = engine.submit(engine.encode("hello"), SamplingParams(max_tokens=12, temperature=0, logprobs=True,
                                                                top_logprobs=3)).result()
    assert done.logprobs is not None and len(done.logprobs) == done.completion_tokens
    assert "".join(t["token"] for t in done.logprobs) == done.text
    for item in done.logprobs:
        tops = item["top_logprobs"]
        assert len(tops) == 3 and tops[0]["logprob"] >= tops[1]["logprob"] >= tops[2]["logprob"]
        assert item["logprob"] == tops[0]["logprob"] <= 0  # greedy: the chosen token is the likeliest
        assert bytes(item["bytes"]) == item["token"].encode()
    assert engine.submit(engine.encode("hello"), SamplingParams(max_tokens=3)).result().logprobs is None


def test_tool_messages_and_parse() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "x"}'}}
    messages = tool_messages([{"role": "user", "content": "weather?"},
                              {"role": "assistant", "content": None, "tool_calls": [call]},
                              {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}], [TOOL])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert '"name": "get_weather"' in messages[0]["content"] and "<tools>" in messages[0]["content"]
    content, calls = parse_tool_calls(messages[2]["content"] + "\n<tool_call>\n{\"name\": \"get_w")
    assert content == "" and [c["function"] for c in calls] == [{"name": "get_weather", "arguments": '{"city": "x"}'}]
    assert messages[3]["content"] == "<tool_response>\nsunny\n</tool_response>"
    assert parse_tool_calls("just text") == ("just text", [])


def test_importing_the_engine_path_leaves_xgrammar_unloaded() -> None:
    code = ("import sys, bt_llm, bt_llm.models.grammar, bt_llm.models.tools; "
            "assert 'xgrammar' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])

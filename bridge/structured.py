"""Structured requests (a JSON schema, tools, log-probabilities): what they need of a miner, and the
check every answer passes before a client sees it.

A miner declares what it can do (``TextPrompting.capabilities``) in each answer; the bridge remembers
it per hotkey (:class:`CapabilityBook`) and sends a structured request only to miners that declared
what it needs. An answer off the request (JSON that does not parse or fit the schema, a call to an
unknown tool, arguments off the tool's parameters) is rejected: never returned, and scored 0.

Example:
    >>> prompt = PromptSpec(roles=("user",), messages=("hi",), response_format={"type": "json_object"})
    >>> sorted(needs(prompt))
    ['json_object']
    >>> check_answer(prompt, MinerAnswer(0, "k", '{"a": 1}', 0.1, capabilities=frozenset({"json_schema"})))
    >>> check_answer(prompt, MinerAnswer(0, "k", 'a: 1', 0.1, capabilities=frozenset({"json_object"})))
    'the answer is not JSON: Expecting value at 1:1'
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from bt_llm.bridge.backend import MinerAnswer, PromptSpec

__all__ = ["CapabilityBook", "check_answer", "check_request", "needs"]

_IMPLIED = {"json_schema": frozenset({"json_object"})}  # a miner that fits any schema answers any JSON object


def needs(prompt: PromptSpec) -> frozenset[str]:
    """The capabilities a miner must declare to be sent ``prompt`` (empty for free text)."""
    out = set()
    kind = (prompt.response_format or {}).get("type")
    if kind in ("json_object", "json_schema"):
        out.add(kind)
    if prompt.tools and prompt.tool_choice != "none":
        out.add("tools")
    if prompt.logprobs:
        out.add("logprobs")
    return frozenset(out)


def declared(capabilities: Iterable[str]) -> frozenset[str]:
    """``capabilities`` with what they imply (``json_schema`` → ``json_object``)."""
    have = frozenset(capabilities)
    return have.union(*(_IMPLIED.get(c, frozenset()) for c in have))


class CapabilityBook:
    """What each hotkey declared in its latest answer (thread-safe; answers arrive on the bridge's loop,
    scoring reads it from workers)."""

    def __init__(self) -> None:
        self._by_hotkey: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def record(self, hotkey: str, capabilities: Iterable[str]) -> None:
        with self._lock:
            self._by_hotkey[hotkey] = declared(capabilities)

    def get(self, hotkey: str) -> frozenset[str] | None:
        """What ``hotkey`` declared, or None before it answered this bridge."""
        with self._lock:
            return self._by_hotkey.get(hotkey)

    def can(self, hotkey: str, wanted: frozenset[str]) -> bool:
        return wanted <= (self.get(hotkey) or frozenset())


def _schema_errors(instance: Any, schema: Mapping[str, Any]) -> str | None:
    import jsonschema  # lazily: only structured requests need it

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where + ': ' if where else ''}{error.message[:200]}"


def _check_schema(schema: Any, param: str) -> tuple[str, str] | None:
    import jsonschema

    if not isinstance(schema, dict):
        return param, "must be a JSON Schema object"
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        return param, f"is not a valid JSON Schema: {exc.message[:200]}"
    return None


def check_request(prompt: PromptSpec) -> tuple[str, str] | None:
    """``(param, problem)`` for a structured request no answer could satisfy (a schema that is not one,
    a ``tool_choice`` naming an unknown tool), or None."""
    fmt = prompt.response_format or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            return "response_format", "'response_format.json_schema' needs a 'name' (and a 'schema')"
        if "schema" in spec and (bad := _check_schema(spec["schema"], "response_format")):
            return bad
    names = set()
    for tool in prompt.tools or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return "tools", "each tool must be {'type': 'function', 'function': {'name': ..., 'parameters': ...}}"
        names.add(function["name"])
        if "parameters" in function and (bad := _check_schema(function["parameters"], "tools")):
            return bad
    choice = prompt.tool_choice
    if choice not in (None, "none", "auto", "required"):
        name = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        if name not in names:
            return "tool_choice", f"'tool_choice' names no tool given in 'tools': {json.dumps(choice)[:100]}"
    elif choice == "required" and not names:
        return "tool_choice", "'tool_choice' is 'required' but no tools are given"
    return None


def _json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        detail = f"{exc.msg} at {exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        return None, detail


def _check_calls(prompt: PromptSpec, calls: tuple[Mapping[str, Any], ...]) -> str | None:
    if not prompt.tools or prompt.tool_choice == "none":
        return "the answer calls tools, which the request did not offer"
    if prompt.parallel_tool_calls is False and len(calls) > 1:
        return f"the answer makes {len(calls)} tool calls, but parallel_tool_calls is false"
    functions = {t["function"]["name"]: t["function"] for t in prompt.tools}
    forced = prompt.tool_choice.get("function", {}).get("name") if isinstance(prompt.tool_choice, dict) else None
    for call in calls:
        function = call.get("function") if isinstance(call, Mapping) else None
        if (not isinstance(call.get("id"), str) or call.get("type") != "function" or not isinstance(function, Mapping)
                or not isinstance(function.get("arguments"), str)):
            return "a tool call is not {'id', 'type': 'function', 'function': {'name', 'arguments'}}"
        name = function.get("name")
        if name not in functions or (forced is not None and name != forced):
            return f"the answer calls {str(name)[:60]!r}, which the request did not offer"
        arguments, error = _json(function["arguments"])
        if error is not None or not isinstance(arguments, dict):
            return f"the arguments of {name!r} are not a JSON object"
        parameters = functions[name].get("parameters")
        if parameters and (error := _schema_errors(arguments, parameters)):
            return f"the arguments of {name!r} do not fit its parameters: {error}"
    return None


def _check_logprobs(logprobs: tuple[Mapping[str, Any], ...]) -> str | None:
    for item in logprobs:
        if (not isinstance(item, Mapping) or not isinstance(item.get("token"), str)
                or not isinstance(item.get("logprob"), int | float) or isinstance(item.get("logprob"), bool)
                or not isinstance(item.get("top_logprobs", []), list)):
            return "the log-probabilities are not [{'token', 'logprob', 'top_logprobs'}]"
        for top in item.get("top_logprobs", []):
            if not isinstance(top, Mapping) or not isinstance(top.get("token"), str) or not isinstance(
                    top.get("logprob"), int | float):
                return "the top log-probabilities are not [{'token', 'logprob'}]"
    return None


def check_answer(prompt: PromptSpec, answer: MinerAnswer) -> str | None:
    """Why ``answer`` does not satisfy the structured ``prompt`` (the miner is at fault), or None.

    Checks that the miner declared what the request needs, tool calls against the offered tools and
    ``tool_choice`` (arguments against the tool's parameters), the text against ``response_format``
    (a JSON object; the schema), and the shape of log-probabilities.
    """
    if not answer.ok:
        return None  # a failure counts as one already
    missing = needs(prompt) - declared(answer.capabilities)
    if missing:
        return f"the miner does not declare {', '.join(sorted(missing))}"
    if answer.tool_calls:
        if problem := _check_calls(prompt, answer.tool_calls):
            return problem
    elif prompt.tools and (prompt.tool_choice == "required" or isinstance(prompt.tool_choice, dict)):
        return "the request requires a tool call and the answer makes none"
    else:
        fmt = prompt.response_format or {}
        if fmt.get("type") in ("json_object", "json_schema"):
            value, error = _json(answer.completion)
            if error is not None:
                return f"the answer is not JSON: {error}"
            schema = (fmt.get("json_schema") or {}).get("schema")
            if fmt["type"] == "json_object" or schema is None:
                if not isinstance(value, dict):
                    return "the answer is JSON but not an object"
            elif error := _schema_errors(value, schema):
                return f"the answer does not fit the schema: {error}"
    if answer.logprobs is not None:
        return _check_logprobs(answer.logprobs)
    return None

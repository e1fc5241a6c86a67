"""How a local model sees tools and writes tool calls: the one home of the tool-call text format.

The format is the Hermes one that Qwen2.5/Qwen3 and many small instruct models were trained on: the
tools are listed in the system message, a call is ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n
</tool_call>``, and a tool's result comes back in a user turn as ``<tool_response>...</tool_response>``.
:mod:`bt_llm.models.grammar` builds the decoding grammar from the markers here, and :func:`parse_tool_calls`
reads the calls back out of the generated text into OpenAI's shape. Pure Python: no torch, no xgrammar.

Example:
    >>> text = 'Sure.<tool_call>\\n{"name": "get_weather", "arguments": {"city": "Austin"}}\\n</tool_call>'
    >>> content, calls = parse_tool_calls(text)
    >>> content, calls[0]["function"]
    ('Sure.', {'name': 'get_weather', 'arguments': '{"city": "Austin"}'})
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ARGUMENTS",
    "CALL_BEGIN",
    "CALL_END",
    "CALL_TRIGGER",
    "parse_tool_calls",
    "tool_messages",
    "uses_tools",
]

CALL_TRIGGER = "<tool_call>"
CALL_BEGIN = '<tool_call>\n{"name": "'
"""A call opens with this, then the tool's name, then :data:`ARGUMENTS`, then its arguments object."""
ARGUMENTS = '", "arguments": '
CALL_END = "}\n</tool_call>"

_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)

_SYSTEM = """# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tools}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> \
XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""


def uses_tools(tools: Sequence[Mapping[str, Any]] | None, tool_choice: object) -> bool:
    """True when a request offers tools the answer may call (``tool_choice`` other than ``"none"``)."""
    return bool(tools) and tool_choice != "none"


def _call_text(call: Mapping[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments") or "{}"
    try:
        arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        pass  # shown as the caller sent it
    return f"{CALL_TRIGGER}\n{json.dumps({'name': function.get('name'), 'arguments': arguments})}\n</tool_call>"


def tool_messages(messages: Sequence[Mapping[str, Any]],
                  tools: Sequence[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    """``messages`` (OpenAI's, with ``tool_calls`` and ``tool`` roles) as plain ``{"role", "content"}``
    messages a chat template without tool support renders: the ``tools`` described in the system
    message, an assistant's calls written out as the model writes them, a tool's result as a user turn."""
    out: list[dict[str, str]] = []
    for m in messages:
        role, content = str(m["role"]), m.get("content")
        text = "" if content is None else str(content)
        if role == "assistant" and m.get("tool_calls"):
            text = "\n".join([*([text] if text else []), *(_call_text(c) for c in m["tool_calls"])])
        elif role == "tool":
            role, text = "user", f"<tool_response>\n{text}\n</tool_response>"
        out.append({"role": role, "content": text})
    if tools:
        described = _SYSTEM.format(tools="\n".join(json.dumps(t.get("function", t)) for t in tools))
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{described}"}
        else:
            out.insert(0, {"role": "system", "content": described})
    return out


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Split generated ``text`` into its prose and its complete tool calls in OpenAI's shape
    (``[{"id", "type": "function", "function": {"name", "arguments": a JSON text}}]``); a call left
    unfinished after the complete ones is dropped."""
    calls: list[dict[str, Any]] = []
    for match in _CALL.finditer(text):
        try:
            call = json.loads(match.group(1))
        except ValueError:
            continue
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            continue
        calls.append({"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
                      "function": {"name": call["name"], "arguments": json.dumps(call.get("arguments", {}))}})
    if not calls:
        return text, calls
    content = _CALL.sub("", text)
    unfinished = content.find(CALL_TRIGGER)  # a call cut by max_tokens or the deadline is dropped
    return (content if unfinished < 0 else content[:unfinished]).strip(), calls

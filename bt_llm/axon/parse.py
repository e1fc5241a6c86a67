"""Pipeline step 1: read the body under a size limit and build the synapse from headers and body.

Unknown route → 404; a body over the limit → 413; malformed headers or body → 400.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import ValidationError

from bt_llm.axon.refusal import Refusal
from bt_llm.errors import ProtocolError
from bt_llm.protocol.synapse import Synapse, parse_header_inputs

__all__ = ["build_synapse", "check_content_length", "read_body"]

# Fields whose values come from the headers, never from the body.
_HEADER_FIELDS = ("name", "timeout", "dendrite", "axon", "computed_body_hash")


def check_content_length(headers: Mapping[str, str], limit: int) -> None:
    """Refuse early (413) when the declared body size is over ``limit``; 400 when it is not a number."""
    declared = headers.get("content-length")
    if declared is None:
        return
    try:
        size = int(declared)
    except ValueError as exc:
        raise Refusal(400, "Improperly formatted request. Bad content-length.") from exc
    if size > limit:
        raise Refusal(413, f"Request body too large: {size} bytes, the limit is {limit}.")


async def read_body(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Collect the body, refusing (413) as soon as it grows past ``limit`` bytes."""
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise Refusal(413, f"Request body too large: more than {limit} bytes.")
        parts.append(chunk)
    return b"".join(parts)


def build_synapse(cls: type[Synapse], headers: Mapping[str, str], body: bytes) -> Synapse:
    """The synapse of a request: inputs from the JSON body, terminal infos and timeout from the headers.

    Raises:
        Refusal: 400 when the headers or body cannot make a ``cls``.
    """
    try:
        inputs = parse_header_inputs(headers)
    except ProtocolError as exc:
        raise Refusal(400, f"Improperly formatted request. {exc}") from exc
    data: Any
    if body.strip():
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal(400, "Improperly formatted request. The body is not JSON.") from exc
        except RecursionError as exc:  # the standard library's reader recurses per nesting level
            raise Refusal(400, "Improperly formatted request. The body is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise Refusal(400, "Improperly formatted request. The body is not a JSON object.")
    else:
        data = {}
    for field in _HEADER_FIELDS:
        data.pop(field, None)
    data.update(inputs)
    data.setdefault("computed_body_hash", "")
    if "timeout" not in inputs:
        data.pop("timeout", None)
    try:
        return cls.model_validate(data)
    except (ValidationError, ValueError, TypeError, RecursionError) as exc:
        raise Refusal(400, f"Improperly formatted request. Could not parse it into a {cls.__name__}: {_summary(exc)}") from exc


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
    return type(exc).__name__

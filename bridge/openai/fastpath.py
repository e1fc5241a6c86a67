"""Request bodies validated from raw bytes and answers sent pre-serialised, with FastAPI's semantics.

FastAPI's generic body handling (``json.loads``, then validating the Python objects, then
``jsonable_encoder`` and ``json.dumps`` on the way out) costs several hundred microseconds per request.
pydantic validates JSON bytes and serialises models in one native pass each. What a client sees stays
FastAPI's: a body is JSON only under a JSON content type, malformed JSON is a ``json_invalid`` error at
``("body", pos)`` raised before the caller is admitted, and field errors are located under ``"body"``
and raised after it (so a bad key still gets 401 rather than a validation error). A body refused by
the fast pass is decided again by FastAPI's own way, so error messages are word for word the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_NOT_AN_OBJECT = {"type": "model_attributes_type", "loc": ("body",),
                  "msg": "Input should be a valid dictionary or object to extract fields from", "input": None}
_MISSING = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse a body of this content type as JSON (``application/json``, ``*+json``)."""
    if not content_type:
        return False
    kind = content_type.partition(";")[0].strip().lower()
    maintype, _, subtype = kind.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]


def validate(raw: bytes, content_type: str | None, model: type[M]) -> tuple[M | None, RequestValidationError | None]:
    """``(parsed, None)`` or ``(None, error)`` for field errors; malformed JSON raises at once."""
    if not raw:
        return None, RequestValidationError([_MISSING])
    if not is_json(content_type):
        return None, RequestValidationError([{**_NOT_AN_OBJECT, "input": raw}])
    try:
        return model.model_validate_json(raw), None
    except ValidationError:
        pass
    # Refused: find out why as FastAPI does (the standard library's JSON reader, then the Python objects),
    # so that errors read as before. Only failing requests pay for the second pass.
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": exc.msg}}]) from exc
    try:
        return model.model_validate(data, from_attributes=True), None  # as FastAPI validates bodies
    except ValidationError as exc:
        return None, RequestValidationError(_body_errors(exc))


async def parse_body(request: Request, model: type[M], admit: Callable[[Request], object]) -> M:
    """The request's body as ``model``, with ``admit(request)`` (auth, rate limit) run where FastAPI runs it."""
    parsed, error = validate(await request.body(), request.headers.get("content-type"), model)
    admit(request)
    if error is not None:
        raise error
    return cast(M, parsed)


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as a JSON answer, serialised once by pydantic (what ``JSONResponse(model.model_dump())`` sends)."""
    return Response(model.__pydantic_serializer__.to_json(model), status_code=status_code,
                    media_type="application/json")


def request_schema(model: type[BaseModel], path: str) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON request body of ``POST path``.

    The model's nested definitions stay inside the schema; their references point there by JSON pointer.
    """
    here = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/post/requestBody/content/application~1json/schema"
    schema = model.model_json_schema(ref_template=here + "/$defs/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}

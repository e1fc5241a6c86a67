"""``Synapse``: the typed message a dendrite sends and an axon fills, and its HTTP header scheme.

A synapse is a pydantic model. The caller fills the inputs, the axon's handler fills the outputs;
``dendrite`` and ``axon`` carry each terminal's :class:`TerminalInfo` (status, nonce, hotkey,
signature, ...). On the wire the body is ``synapse.model_dump()`` as JSON and the headers come from
:meth:`Synapse.to_headers` (see ``specs/wire-protocol.md``).

Example:
    >>> class Echo(Synapse):
    ...     text: str = ""
    ...     required_hash_fields = ("text",)
    >>> e = Echo(text="hi")
    >>> e.name, e.timeout, e.to_headers()["name"]
    ('Echo', 12.0, 'Echo')
"""

from __future__ import annotations

import base64
import json
import math
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bt_llm.errors import ProtocolError
from bt_llm.protocol import signing

__all__ = ["StreamingSynapse", "Synapse", "TerminalInfo", "parse_header_inputs"]

_AXON_PREFIX = "bt_header_axon_"
_DENDRITE_PREFIX = "bt_header_dendrite_"
_INPUT_PREFIX = "bt_header_input_obj_"
_MAX_INPUT_HEADER = 4096


class TerminalInfo(BaseModel):
    """One end of a call: the dendrite (caller) or the axon (server).

    Header values arrive as strings; numeric fields are coerced (``"200"`` → ``200``).
    """

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    status_code: int | None = None
    status_message: str | None = None
    process_time: float | None = None
    ip: str | None = None
    port: int | None = None
    version: int | None = None
    nonce: int | None = None
    uuid: str | None = None
    hotkey: str | None = None
    signature: str | None = None


class Synapse(BaseModel):
    """Base of every wire message; subclass it and add fields.

    ``required_hash_fields`` (a class-level tuple) names the fields the dendrite's signature
    protects through ``computed_body_hash``. ``deserialize()`` is what ``dendrite.forward(...,
    deserialize=True)`` returns; override it to return the useful output.
    """

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    required_hash_fields: ClassVar[tuple[str, ...]] = ()
    optional_hash_fields: ClassVar[tuple[str, ...]] = ()
    """Fields hashed after the required ones, each only when set (not None): a field added to the
    protocol later is protected without changing the hash of a request that leaves it unset."""

    name: str | None = Field(default=None, repr=False)
    timeout: float | None = Field(default=12.0, repr=False)
    total_size: int | None = Field(default=0, repr=False)
    header_size: int | None = Field(default=0, repr=False)
    dendrite: TerminalInfo | None = Field(default_factory=TerminalInfo, repr=False)
    axon: TerminalInfo | None = Field(default_factory=TerminalInfo, repr=False)
    computed_body_hash: str | None = Field(default="", repr=False)

    @model_validator(mode="before")
    @classmethod
    def _set_name(cls, values: Any) -> Any:
        if isinstance(values, dict):
            values = {**values, "name": cls.__name__}
        return values

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError("timeout must be a positive finite number of seconds")
        return value

    def deserialize(self) -> Any:
        """What a dendrite returns with ``deserialize=True``; the synapse itself unless overridden."""
        return self

    # -- status helpers (the dendrite's view of the call) ------------------------------------
    @property
    def is_success(self) -> bool:
        """The call answered 200."""
        return self.dendrite is not None and self.dendrite.status_code == 200

    @property
    def is_failure(self) -> bool:
        """The call did not answer 200."""
        return self.dendrite is not None and self.dendrite.status_code != 200

    @property
    def is_timeout(self) -> bool:
        """The call timed out (408)."""
        return self.dendrite is not None and self.dendrite.status_code == 408

    @property
    def is_blacklist(self) -> bool:
        """The axon refused the caller's key (403)."""
        return self.dendrite is not None and self.dendrite.status_code == 403

    @property
    def failed_verification(self) -> bool:
        """The axon could not verify the request (401)."""
        return self.dendrite is not None and self.dendrite.status_code == 401

    # -- hashing and headers ------------------------------------------------------------------
    @property
    def body_hash(self) -> str:
        """The hash of ``required_hash_fields`` (then the set ``optional_hash_fields``) as the spec defines it
        (``sha3_256("")`` for none)."""
        cls = type(self)
        fields = cls.required_hash_fields
        if cls.optional_hash_fields:
            fields = (*fields, *(f for f in cls.optional_hash_fields if getattr(self, f, None) is not None))
        values = self.model_dump(include=set(fields)) if fields else {}
        return signing.body_hash(values, fields)

    def to_headers(self) -> dict[str, str]:
        """The HTTP headers of this synapse (all strings)."""
        return headers_of(self, self.body_hash)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Synapse:
        """Build a synapse from headers alone (required inputs get the empty value their hint names).

        Raises:
            ProtocolError: the headers are malformed.
        """
        inputs = parse_header_inputs(headers)
        for key, value in headers.items():
            if key.startswith(_INPUT_PREFIX):
                field = key[len(_INPUT_PREFIX) :]
                if field in cls.model_fields and field not in inputs:
                    inputs[field] = _decode_hint(value)
        try:
            return cls.model_validate(inputs)
        except ValueError as exc:
            raise ProtocolError(f"headers do not describe a {cls.__name__}") from exc


class StreamingSynapse(Synapse):
    """A synapse whose axon answers ``text/event-stream``: chunks as produced, then the filled synapse.

    The attached forward function returns an async iterator (or iterable) of string chunks;
    the dendrite feeds each received chunk to :meth:`on_chunk` and yields it.
    """

    def on_chunk(self, chunk: str) -> None:
        """Fold one received chunk into this synapse (the default keeps nothing)."""


def parse_header_inputs(headers: Mapping[str, str]) -> dict[str, Any]:
    """The terminal infos, name, timeout and sizes that the headers carry, as model inputs.

    Raises:
        ProtocolError: a header value is not a string.
    """
    dendrite: dict[str, str] = {}
    axon: dict[str, str] = {}
    inputs: dict[str, Any] = {"dendrite": dendrite, "axon": axon}
    for key, value in headers.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ProtocolError("header names and values must be strings")
        if key.startswith(_DENDRITE_PREFIX):
            dendrite[key[len(_DENDRITE_PREFIX) :]] = value
        elif key.startswith(_AXON_PREFIX):
            axon[key[len(_AXON_PREFIX) :]] = value
        elif key in ("timeout", "name", "header_size", "total_size", "computed_body_hash"):
            inputs[key] = value
    return inputs


@cache
def _required_fields(cls: type[Synapse]) -> tuple[str, ...]:
    return tuple(name for name, info in cls.model_fields.items() if info.is_required())


def _empty_hint(value: Any) -> str | None:
    try:
        empty = type(value)()
        return base64.b64encode(json.dumps(empty).encode()).decode()
    except (TypeError, ValueError):
        return None


def _decode_hint(value: str) -> Any:
    if len(value) > _MAX_INPUT_HEADER:
        raise ProtocolError("input hint header too long")
    try:
        return json.loads(base64.b64decode(value.encode(), validate=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed input hint header") from exc


_TERMINAL_FIELDS = tuple(TerminalInfo.model_fields)


def terminal_values(info: TerminalInfo | None) -> dict[str, Any]:
    """``info.model_dump(exclude_none=True)`` for a TerminalInfo (whose fields are all plain values), at a
    fraction of its cost: the dendrite builds headers for every request."""
    if info is None:
        return {}
    values = info.__dict__
    return {name: values[name] for name in _TERMINAL_FIELDS if values.get(name) is not None}


def headers_of(synapse: Synapse, body_hash: str) -> dict[str, str]:
    """The headers of :meth:`Synapse.to_headers`, with ``body_hash`` given (the dendrite has it already).

    ``header_size`` is ``sys.getsizeof`` of the dict as built here, in this order, as the SDK does.
    """
    values = synapse.__dict__
    headers: dict[str, str] = {"name": str(values["name"] or type(synapse).__name__), "timeout": str(values["timeout"])}
    for prefix, info in ((_AXON_PREFIX, values["axon"]), (_DENDRITE_PREFIX, values["dendrite"])):
        for key, value in terminal_values(info).items():
            headers[prefix + key] = str(value)
    required = _required_fields(type(synapse))
    if required:
        for field, value in synapse.model_dump(include=set(required)).items():
            if value is None:
                continue
            hint = _empty_hint(value)
            if hint is not None:
                headers[_INPUT_PREFIX + field] = hint
    headers["header_size"] = str(sys.getsizeof(headers))
    headers["total_size"] = str(values["total_size"] or 0)
    headers["computed_body_hash"] = body_hash
    return headers

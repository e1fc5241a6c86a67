"""Sans-I/O halves of a dendrite call: build the signed request, fold the answer into the synapse.

Example:
    >>> from substrateinterface import Keypair
    >>> from bt_llm.protocol.axon_info import AxonInfo
    >>> from bt_llm.protocol.synapses import TextPrompting
    >>> kp = Keypair.create_from_uri("//Alice")
    >>> target = AxonInfo(version=0, ip="127.0.0.1", port=8091, ip_type=4, hotkey=kp.ss58_address, coldkey="")
    >>> req = build_request(TextPrompting(roles=["user"], messages=["hi"]), target, kp, "u-1", 12.0)
    >>> req.url, req.headers["name"], req.headers["bt_header_dendrite_signature"][:2]
    ('http://127.0.0.1:8091/TextPrompting', 'TextPrompting', '0x')
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bt_llm.dendrite.errors import ResponseParseError
from bt_llm.protocol import signing
from bt_llm.protocol.synapse import (
    Synapse,
    TerminalInfo,
    headers_of,
    parse_header_inputs,
    terminal_values,
)
from bt_llm.protocol.version import version_as_int
from bt_llm.seams import AxonAddress

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon

__all__ = [
    "PreparedRequest",
    "apply_error",
    "apply_fields",
    "apply_response",
    "apply_stream_start",
    "build_request",
    "finish_status",
    "target_of",
]


@dataclass(frozen=True)
class PreparedRequest:
    """What to POST: the URL, the headers and the JSON body (``host``, ``port``, ``path`` spell out the URL)."""

    url: str
    headers: dict[str, str]
    body: bytes
    host: str = ""
    port: int = 0
    path: str = ""


def target_of(axon: AxonAddress | Axon) -> AxonAddress:
    """An ``AxonInfo``-like target (``ip``, ``port``, ``hotkey``) from an AxonInfo or a running Axon."""
    info = getattr(axon, "info", None)
    if callable(info):
        return info()
    return axon


def _url_host(ip: str) -> str:
    if ip in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{ip}]" if ":" in ip else ip


_BLANK = TerminalInfo()


def _terminal(values: dict[str, Any]) -> TerminalInfo:
    """``TerminalInfo.model_construct(**values)`` at a third of its cost (a copy of a blank one)."""
    info = _BLANK.__copy__()
    info.__dict__.update(values)
    info.__pydantic_fields_set__.update(values)
    return info


def _keeps_base_headers(cls: type[Synapse]) -> bool:
    return cls.to_headers is Synapse.to_headers and cls.body_hash is Synapse.body_hash  # type: ignore[comparison-overlap]


def build_request(
    synapse: Synapse,
    target: Any,
    signer: signing.Signer,
    dendrite_uuid: str,
    timeout: float,
    external_ip: str | None = None,
) -> PreparedRequest:
    """Fill the synapse's terminal infos, sign it for ``target`` and serialize it (mutates ``synapse``)."""
    synapse.timeout = timeout  # validated: a bad timeout raises here, before anything is sent
    nonce = time.time_ns()
    hotkey = signer.ss58_address
    dendrite = _terminal({"ip": external_ip, "version": version_as_int, "nonce": nonce, "uuid": dendrite_uuid, "hotkey": hotkey})
    axon = TerminalInfo(ip=target.ip, port=target.port, hotkey=target.hotkey)
    synapse.__dict__.update(dendrite=dendrite, axon=axon)
    body_hash = synapse.body_hash
    message = signing.request_message(nonce, hotkey, target.hotkey, dendrite_uuid, body_hash)
    dendrite.__dict__["signature"] = signing.sign(signer, message)
    cls = type(synapse)
    headers = headers_of(synapse, body_hash) if _keeps_base_headers(cls) else synapse.to_headers()
    headers["content-type"] = "application/json"
    host, port, path = _url_host(str(target.ip)), target.port, f"/{cls.__name__}"
    url = f"http://{host}:{port}{path}"
    return PreparedRequest(url, headers, synapse.model_dump_json().encode(), host, port, path)


def _merge_headers(synapse: Synapse, headers: Mapping[str, str]) -> None:
    try:
        inputs = parse_header_inputs(headers if isinstance(headers, dict) else dict(headers.items()))
    except ValueError:
        return
    values = synapse.__dict__
    for side in ("dendrite", "axon"):
        remote_values = inputs.get(side) or {}
        if not remote_values:
            continue
        try:
            remote = TerminalInfo.model_validate(remote_values)
        except ValidationError:
            continue
        merged = {**terminal_values(values[side]), **terminal_values(remote)}
        # Not ``setattr``: that would re-validate the whole synapse for a TerminalInfo built here.
        values[side] = _terminal(merged)


def apply_response(synapse: Synapse, status: int, headers: Mapping[str, str], body: bytes) -> None:
    """Fold an HTTP answer into ``synapse``: on 200 the returned fields overwrite the local ones.

    Raises:
        ResponseParseError: the body is not a JSON object, or (on 200) not a valid synapse.
    """
    try:
        data = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseParseError("the answer is not JSON") from exc
    if not isinstance(data, dict):
        raise ResponseParseError("the answer is not a JSON object")
    if status == 200:
        apply_fields(synapse, data)
    else:
        synapse.axon = synapse.axon or TerminalInfo()
        synapse.axon.status_code = status
        message = data.get("message")
        synapse.axon.status_message = str(message) if message is not None else None
    _merge_headers(synapse, headers)
    finish_status(synapse, status)


def apply_stream_start(synapse: Synapse, headers: Mapping[str, str]) -> None:
    """Fold the headers of a 200 ``text/event-stream`` answer into ``synapse`` (fields come later)."""
    _merge_headers(synapse, headers)
    finish_status(synapse, 200)


def apply_fields(synapse: Synapse, data: dict[str, Any]) -> None:
    """Overwrite ``synapse``'s non-frozen fields with those of the server's synapse ``data``.

    Raises:
        ResponseParseError: ``data`` is not a valid synapse of this class.
    """
    try:
        remote = type(synapse).model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ResponseParseError(f"the answer is not a {type(synapse).__name__}: {exc.__class__.__name__}") from exc
    for name, field in type(synapse).model_fields.items():
        if field.frozen or name not in data:
            continue
        synapse.__dict__[name] = remote.__dict__[name]


def finish_status(synapse: Synapse, http_status: int) -> None:
    """Copy the axon's status (else the HTTP status) onto the dendrite's info (what ``is_success`` reads)."""
    if synapse.axon is None:
        synapse.__dict__["axon"] = TerminalInfo()
    if synapse.dendrite is None:
        synapse.__dict__["dendrite"] = TerminalInfo()
    axon, dendrite = synapse.axon, synapse.dendrite
    if axon.status_code is None:  # type: ignore[union-attr]
        axon.__dict__["status_code"] = http_status  # type: ignore[union-attr]
    dendrite.__dict__.update(status_code=axon.status_code, status_message=axon.status_message)  # type: ignore[union-attr]


def apply_error(synapse: Synapse, status: int, message: str) -> None:
    """Record a client-side failure (see :mod:`bt_llm.dendrite.errors`) on the synapse."""
    synapse.dendrite = synapse.dendrite or TerminalInfo()
    synapse.dendrite.status_code = status
    synapse.dendrite.status_message = message

"""Hypothesis over headers and bodies: the axon never answers 500 to malformed input, never accepts a forgery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bt_llm.axon.server import Axon
from bt_llm.dendrite.request import build_request
from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting

from .conftest import ALICE, BOB

HEADER_NAMES = [
    "name", "timeout", "computed_body_hash", "header_size", "total_size",
    *(f"bt_header_dendrite_{f}" for f in ("nonce", "hotkey", "uuid", "signature", "version", "ip", "port", "status_code", "process_time")),
    *(f"bt_header_axon_{f}" for f in ("hotkey", "nonce", "port", "status_code")),
    "bt_header_input_obj_roles", "bt_header_input_obj_messages", "content-type",
]
SIGNED_FIELDS = ["bt_header_dendrite_nonce", "bt_header_dendrite_hotkey", "bt_header_dendrite_uuid",
                 "bt_header_dendrite_signature", "computed_body_hash"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {}, optional={"roles": json_values, "messages": json_values, "max_tokens": json_values, "timeout": json_values,
                      "dendrite": json_values, "axon": json_values, "name": json_values}
    ).map(lambda v: json.dumps(v).encode()),
)
FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def echo(synapse: TextPrompting) -> TextPrompting:
    synapse.completion = "ok"
    return synapse


def stream(synapse: StreamingTextPrompting) -> Iterator[str]:
    return iter(["a", "b"])


@pytest.fixture(scope="module")
def axon() -> Iterator[Axon]:
    served = Axon(wallet=ALICE, ip="127.0.0.1", port=0, max_body_bytes=4096).attach(echo).attach(stream).start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def _signed(axon: Axon, text: str) -> tuple[str, dict[str, str], bytes]:
    req = build_request(TextPrompting(roles=["user"], messages=[text]), axon.info(), BOB, str(uuid.uuid4()), 5.0)
    return req.url, req.headers, req.body


@FUZZ
@given(
    route=st.sampled_from(["TextPrompting", "StreamingTextPrompting", "Synapse", "Nope", "TextPrompting%00", "..", "a" * 300]),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES) | st.text("abcdefgh_", min_size=1, max_size=12), header_text, max_size=10),
    body=bodies,
)
def test_malformed_requests_never_500_never_200(axon: Axon, client: httpx.Client, route: str, headers: dict[str, str], body: bytes) -> None:
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host", "transfer-encoding")}
    r = client.post(f"http://127.0.0.1:{axon.port}/{route}", headers=headers, content=body)
    assert r.status_code != 500, r.text
    assert r.status_code != 200
    assert "message" in r.json()


@FUZZ
@given(
    text=st.text(max_size=50),
    field=st.sampled_from(SIGNED_FIELDS),
    replacement=header_text,
)
def test_a_changed_signed_header_is_refused_and_the_original_still_accepted(
    axon: Axon, client: httpx.Client, text: str, field: str, replacement: str
) -> None:
    url, headers, body = _signed(axon, text)
    if headers[field] == replacement:
        return
    r = client.post(url, headers={**headers, field: replacement}, content=body)
    assert r.status_code in (400, 401), (field, replacement, r.text)
    assert client.post(url, headers=headers, content=body).status_code == 200


@FUZZ
@given(text=st.text(max_size=50), other=st.text(max_size=50), max_tokens=st.none() | st.integers(1, 10**6))
def test_a_changed_signed_body_is_refused(axon: Axon, client: httpx.Client, text: str, other: str, max_tokens: int | None) -> None:
    url, headers, body = _signed(axon, text)
    data = json.loads(body)
    data["messages"] = [other]
    data["max_tokens"] = max_tokens
    forged = json.dumps(data).encode()
    if other == text and max_tokens is None:
        return
    r = client.post(url, headers=headers, content=forged)
    assert r.status_code == 401, r.text
    assert client.post(url, headers=headers, content=body).status_code == 200

"""The axon pipeline steps without sockets: parse, blacklist, verify (nonces), the priority gate."""

from __future__ import annotations

import asyncio
import time

import pytest
from substrateinterface import Keypair

from bt_llm.axon.blacklist import metagraph_blacklist, run_blacklist
from bt_llm.axon.gate import PriorityGate, QueueFull
from bt_llm.axon.parse import build_synapse, check_content_length, read_body
from bt_llm.axon.refusal import Refusal
from bt_llm.axon.verify import ALLOWED_DELTA_NS, NonceStore, run_verify, verify_signature
from bt_llm.dendrite.request import build_request
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapses import TextPrompting

ALICE = Keypair.create_from_uri("//Alice")  # the axon
BOB = Keypair.create_from_uri("//Bob")  # the caller
TARGET = AxonInfo(version=0, ip="127.0.0.1", port=1, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")


def _signed(text: str = "hi", signer: Keypair = BOB, uuid: str = "u-1") -> tuple[dict[str, str], bytes]:
    req = build_request(TextPrompting(roles=["user"], messages=[text]), TARGET, signer, uuid, 12.0)
    return req.headers, req.body


def _parsed(headers: dict[str, str], body: bytes) -> TextPrompting:
    synapse = build_synapse(TextPrompting, headers, body)
    assert isinstance(synapse, TextPrompting)
    return synapse


# -- parse ---------------------------------------------------------------------------------------
def test_build_synapse_takes_inputs_from_body_and_terminals_from_headers() -> None:
    headers, body = _signed("hello")
    synapse = _parsed(headers, body)
    assert synapse.messages == ["hello"]
    assert synapse.dendrite is not None and synapse.dendrite.hotkey == BOB.ss58_address
    assert synapse.computed_body_hash == headers["computed_body_hash"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b'{"roles": "user"}', b"\xff\xfe"])
def test_malformed_bodies_are_400(body: bytes) -> None:
    headers, _ = _signed()
    with pytest.raises(Refusal) as info:
        build_synapse(TextPrompting, headers, body)
    assert info.value.status_code == 400


def test_malformed_headers_are_400() -> None:
    headers, body = _signed()
    with pytest.raises(Refusal) as info:
        build_synapse(TextPrompting, {**headers, "bt_header_dendrite_nonce": "soon"}, body)
    assert info.value.status_code == 400


async def test_body_limit() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(4):
            yield b"x" * 10

    assert await read_body(chunks(), 40) == b"x" * 40
    with pytest.raises(Refusal) as info:
        await read_body(chunks(), 39)
    assert info.value.status_code == 413
    with pytest.raises(Refusal) as declared:
        check_content_length({"content-length": "41"}, 40)
    assert declared.value.status_code == 413
    with pytest.raises(Refusal) as bad:
        check_content_length({"content-length": "x"}, 40)
    assert bad.value.status_code == 400


# -- blacklist -----------------------------------------------------------------------------------
class _Metagraph:
    hotkeys = [ALICE.ss58_address]


@pytest.mark.parametrize("verdict", [True, (True, "go away")])
async def test_blacklist_refuses_with_reason(verdict: object) -> None:
    headers, body = _signed()
    with pytest.raises(Refusal) as info:
        await run_blacklist(lambda s: verdict, _parsed(headers, body))
    assert info.value.status_code == 403
    assert info.value.message.startswith("Forbidden. Key is blacklisted: ")


async def test_blacklist_allows_and_async_functions_work() -> None:
    headers, body = _signed()

    async def allow(_s: object) -> tuple[bool, str]:
        return False, "fine"

    await run_blacklist(allow, _parsed(headers, body))
    await run_blacklist(None, _parsed(headers, body))


async def test_metagraph_blacklist_refuses_unregistered_hotkeys() -> None:
    fn = metagraph_blacklist(_Metagraph())
    headers, body = _signed(signer=BOB)
    with pytest.raises(Refusal):
        await run_blacklist(fn, _parsed(headers, body))
    headers, body = _signed(signer=ALICE)
    await run_blacklist(fn, _parsed(headers, body))


# -- verify --------------------------------------------------------------------------------------
async def test_verify_accepts_a_signed_request_once() -> None:
    store = NonceStore()  # made before the request was signed, as an axon starts before it is called
    headers, body = _signed()
    await run_verify(_parsed(headers, body), ALICE.ss58_address, store)
    with pytest.raises(Refusal, match="newer one was last processed"):
        await run_verify(_parsed(headers, body), ALICE.ss58_address, store)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != "bt_header_dendrite_signature"}, b), "Missing signature"),
        (lambda h, b: ({**h, "bt_header_dendrite_signature": "0x" + "00" * 64}, b), "Signature mismatch"),
        (lambda h, b: (h, b.replace(b'"hi"', b'"HI"')), "Body hash mismatch"),
        (lambda h, b: ({**h, "computed_body_hash": "00" * 32}, b), "Body hash mismatch"),
        (lambda h, b: ({**h, "bt_header_dendrite_hotkey": ALICE.ss58_address}, b), "Signature mismatch"),
        (lambda h, b: ({**h, "bt_header_dendrite_uuid": "other"}, b), "Signature mismatch"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "bt_header_dendrite_nonce"}, b), "Missing Nonce"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "bt_header_dendrite_hotkey"}, b), "Missing dendrite hotkey"),
    ],
)
def test_verify_refuses_forgeries(tamper, reason: str) -> None:  # type: ignore[no-untyped-def]
    headers, body = tamper(*_signed())
    with pytest.raises(Refusal) as info:
        verify_signature(_parsed(headers, body), ALICE.ss58_address)
    assert info.value.status_code == 401
    assert info.value.message == f"Not Verified with error: {reason}"


def test_verify_checks_the_axons_own_hotkey() -> None:
    headers, body = _signed()
    with pytest.raises(Refusal, match="Signature mismatch"):
        verify_signature(_parsed(headers, body), BOB.ss58_address)


def test_nonce_rules() -> None:
    store = NonceStore(floor_ns=0)
    now = time.time_ns()
    too_old = now - ALLOWED_DELTA_NS - 12 * 10**9
    with pytest.raises(Refusal, match="too old"):
        store.check("k", too_old, 12.0, now)
    store.check("k", too_old + 10**9, 12.0, now)  # inside now - 4 s - timeout
    store.accept("k", now, now)
    with pytest.raises(Refusal):
        store.check("k", now, 12.0, now)
    store.check("k", now + 1, 12.0, now)
    store.check("other", now - 10**9, 12.0, now)  # keys are independent
    with pytest.raises(Refusal, match="from the future"):
        store.check("other", now + ALLOWED_DELTA_NS + 10**9, 12.0, now)


def test_the_unsigned_timeout_header_cannot_widen_the_window() -> None:
    store = NonceStore(floor_ns=0)  # default cap: 12 s
    now = time.time_ns()
    for age in (60, 300, 3000):
        with pytest.raises(Refusal, match="too old"):
            store.check("k", now - age * 10**9, 3600.0, now)
    store.check("k", now - 15 * 10**9, 3600.0, now)  # 4 s + 12 s at most
    with pytest.raises(Refusal, match="too old"):
        store.check("k", now - 17 * 10**9, 3600.0, now)
    with pytest.raises(Refusal, match="too old"):
        store.check("k", now - 5 * 10**9, -100.0, now)  # a negative timeout narrows nothing below 4 s either


def test_a_new_store_refuses_nonces_from_before_it_started() -> None:
    """A restarted axon has an empty store: its floor keeps the old window's requests out."""
    before = time.time_ns()
    store = NonceStore()
    with pytest.raises(Refusal, match="too old"):
        store.check("k", before - 1, 12.0, time.time_ns())
    store.check("k", time.time_ns(), 12.0, time.time_ns())


def test_nonce_store_forgets_entries_that_left_the_window() -> None:
    store = NonceStore(max_timeout=10.0, floor_ns=0)
    now = time.time_ns()
    store.accept("stale", now - 100 * 10**9, now - 100 * 10**9)
    store.accept("a", now, now)
    store.accept("b", now, now)
    assert len(store) == 2 and "stale" not in store
    assert store.floor_ns == 0  # forgetting an expired entry opens nothing: the window refuses it


def test_nonce_store_is_bounded_and_an_early_eviction_raises_the_floor() -> None:
    store = NonceStore(max_entries=3, floor_ns=0)
    now = time.time_ns()
    for i in range(5):
        store.accept(f"k{i}", now + i, now)
    assert len(store) == 3 and "k0" not in store and "k1" not in store
    assert store.floor_ns == now + 1
    for replay in (now, now + 1):  # the evicted keys' nonces cannot come back
        with pytest.raises(Refusal, match="too old"):
            store.check(f"k{replay - now}", replay, 12.0, now)
    store.check("new", now + 2, 12.0, now)


async def test_custom_verify_runs_after_the_builtin_checks() -> None:
    headers, body = _signed()
    seen: list[str] = []

    def refuse(synapse: TextPrompting) -> None:
        seen.append(synapse.messages[0])
        raise ValueError("custom says no")

    with pytest.raises(Refusal, match="custom says no"):
        await run_verify(_parsed(headers, body), ALICE.ss58_address, NonceStore(floor_ns=0), refuse)
    assert seen == ["hi"]
    forged = {**headers, "bt_header_dendrite_signature": "0x" + "00" * 64}
    with pytest.raises(Refusal, match="Signature mismatch"):
        await run_verify(_parsed(forged, body), ALICE.ss58_address, NonceStore(floor_ns=0), lambda s: None)


# -- the priority gate ---------------------------------------------------------------------------
async def test_gate_serves_higher_priority_first_then_arrival_order() -> None:
    gate = PriorityGate(workers=1, max_queue=10)
    await gate.acquire(0, 1)
    order: list[str] = []

    async def job(name: str, priority: float) -> None:
        await gate.acquire(priority, 5)
        order.append(name)
        gate.release()

    tasks = [asyncio.ensure_future(job(n, p)) for n, p in [("low", 1), ("high", 9), ("mid", 5), ("mid2", 5)]]
    await asyncio.sleep(0.01)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["high", "mid", "mid2", "low"]
    assert (gate.busy, gate.waiting) == (0, 0)


async def test_gate_queue_full_and_timeout() -> None:
    gate = PriorityGate(workers=1, max_queue=1)
    await gate.acquire(0, 1)
    waiter = asyncio.ensure_future(gate.acquire(0, 0.05))
    await asyncio.sleep(0)
    with pytest.raises(QueueFull):
        await gate.acquire(0, 1)
    with pytest.raises(asyncio.TimeoutError):
        await waiter
    assert gate.waiting == 0
    gate.release()
    assert gate.busy == 0
    await gate.acquire(0, 1)  # the timed-out waiter did not leak a slot
    assert gate.busy == 1


@pytest.mark.parametrize("body", [b'{"messages": ' + b"[" * 1000 + b"]" * 1000 + b"}", b"[" * 100_000])
def test_a_body_nested_without_bound_is_a_400(body: bytes) -> None:
    with pytest.raises(Refusal) as refused:
        build_synapse(TextPrompting, {"name": "TextPrompting"}, body)
    assert refused.value.status_code == 400

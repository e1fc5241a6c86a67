"""Our Axon and Dendrite against bittensor 9.12.2's (run in `.interop-venv`, a separate process)."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator

import pytest
from substrateinterface import Keypair

from bt_llm.axon.server import Axon
from bt_llm.dendrite.client import Dendrite
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapse import Synapse

from .reference import BT9_PYTHON, requires_bt9, run_reference

pytestmark = [pytest.mark.interop, requires_bt9]

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")

# The same custom synapse on both sides: a summing request whose inputs the signature protects.
SYNAPSE_SOURCE = """
class Dummy(Synapse):
    values: list[int] = []
    label: str = ""
    total: Optional[int] = None
    echo: Optional[str] = None
    required_hash_fields: ClassVar[tuple[str, ...]] = ("values", "label")
"""


class Dummy(Synapse):
    values: list[int] = []
    label: str = ""
    total: int | None = None
    echo: str | None = None
    required_hash_fields = ("values", "label")


BT9_PRELUDE = textwrap.dedent(
    """
    import json, sys
    from typing import ClassVar, Optional
    import bittensor.core.dendrite as bt_dendrite
    # never look the public ip up (9.12.2 calls networking.get_external_ip() from Dendrite.__init__)
    bt_dendrite.get_external_ip = bt_dendrite.networking.get_external_ip = lambda: "10.255.255.1"
    from bittensor.core.synapse import Synapse
    from bittensor.core.dendrite import Dendrite
    from bittensor.core.axon import Axon
    from bittensor.core.chain_data.axon_info import AxonInfo
    from bittensor_wallet import Keypair
    """
) + SYNAPSE_SOURCE


def _forward(synapse: Dummy) -> Dummy:
    synapse.total = sum(synapse.values)
    synapse.echo = f"ours:{synapse.label}"
    return synapse


@pytest.fixture
def our_axon() -> Iterator[Axon]:
    axon = Axon(wallet=ALICE, ip="127.0.0.1", port=0).attach(_forward).start()
    yield axon
    axon.stop()


def _bt9_query(port: int, cases: list[tuple[str, str, str | None, list[tuple[list[int], str]]]]) -> list[list[dict[str, object]]]:
    """Per case (axon hotkey, signer uri, claimed uri or None, queries): bittensor's answers, in one process."""
    code = BT9_PRELUDE + textwrap.dedent(
        f"""
        results = []
        for axon_hotkey, signer, claim, queries in {cases!r}:
            dendrite = Dendrite(wallet=Keypair.create_from_uri(signer))
            if claim is not None:  # sign with one key while claiming another's hotkey
                real = dendrite.keypair
                class Forger:
                    ss58_address = Keypair.create_from_uri(claim).ss58_address
                    def sign(self, message, real=real):
                        return real.sign(message)
                dendrite.keypair = Forger()
            target = AxonInfo(version=0, ip="127.0.0.1", port={port}, ip_type=4, hotkey=axon_hotkey, coldkey="")
            out = []
            for values, label in queries:
                r = dendrite.query(axons=[target], synapse=Dummy(values=values, label=label), deserialize=False)[0]
                out.append({{"total": r.total, "echo": r.echo, "status": r.dendrite.status_code,
                             "message": r.dendrite.status_message, "axon_hotkey": r.axon.hotkey}})
            results.append(out)
        print(json.dumps(results))
        """
    )
    result = run_reference(BT9_PYTHON, code, timeout=120)
    assert isinstance(result, list)
    return result


def test_bt9_dendrite_gets_correct_answers_from_our_axon(our_axon: Axon) -> None:
    [answers] = _bt9_query(our_axon.port, [(ALICE.ss58_address, "//Bob", None, [([1, 2, 3], "a"), ([10, -4], "b"), ([], "")])])
    assert [(a["status"], a["total"], a["echo"]) for a in answers] == [
        (200, 6, "ours:a"), (200, 6, "ours:b"), (200, 0, "ours:"),
    ]
    assert all(a["axon_hotkey"] == ALICE.ss58_address for a in answers)


def test_our_axon_refuses_bt9_requests_signed_by_the_wrong_key(our_axon: Axon) -> None:
    wrong_target = Keypair.create_from_uri("//Charlie").ss58_address  # signed for another axon
    [[answer], [forged], [honest]] = _bt9_query(our_axon.port, [
        (wrong_target, "//Bob", None, [([1], "x")]),
        (ALICE.ss58_address, "//Eve", "//Bob", [([1], "x")]),
        (ALICE.ss58_address, "//Eve", None, [([2], "y")]),
    ])
    assert answer["status"] == 401 and answer["total"] is None
    assert honest["status"] == 200 and honest["total"] == 2  # the same signer, honest about its key
    assert forged["status"] == 401 and "Signature mismatch" in str(forged["message"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def bt9_axon() -> Iterator[int]:
    port = _free_port()
    code = BT9_PRELUDE + textwrap.dedent(
        f"""
        import time, types
        hotkey = Keypair.create_from_uri("//Alice")
        wallet = types.SimpleNamespace(hotkey=hotkey, coldkeypub=hotkey, coldkey=hotkey)
        def forward(synapse: Dummy) -> Dummy:
            synapse.total = sum(synapse.values)
            synapse.echo = "theirs:" + synapse.label
            return synapse
        axon = Axon(wallet=wallet, ip="127.0.0.1", port={port}, external_ip="127.0.0.1", external_port={port})
        axon.fast_config.host = "127.0.0.1"  # bittensor binds 0.0.0.0 otherwise
        axon.attach(forward_fn=forward)
        axon.start()
        print("ready", flush=True)
        sys.stdin.read()
        axon.stop()
        """
    )
    proc = subprocess.Popen(
        [str(BT9_PYTHON), "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready and "ready" in proc.stdout.readline():
                break
            if proc.poll() is not None:
                raise AssertionError(f"bittensor axon died: {proc.stderr.read() if proc.stderr else ''}")
        else:
            raise AssertionError("bittensor axon did not start")
        _wait_listening(port)
        yield port
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _wait_listening(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("bittensor axon is not listening")


async def test_our_dendrite_gets_correct_answers_from_bt9_axon(bt9_axon: int) -> None:
    target = AxonInfo(version=0, ip="127.0.0.1", port=bt9_axon, ip_type=4, hotkey=ALICE.ss58_address, coldkey="")
    async with Dendrite(BOB) as dendrite:
        answers = [await dendrite.forward(target, Dummy(values=v, label=lab), deserialize=False) for v, lab in [([4, 5], "q"), ([7], "r")]]
        ping = await dendrite.forward(target, Synapse(), deserialize=False)
    assert [(a.dendrite.status_code, a.total, a.echo) for a in answers] == [(200, 9, "theirs:q"), (200, 7, "theirs:r")]
    assert answers[0].axon.hotkey == ALICE.ss58_address
    assert ping.is_success
    assert json.loads(answers[0].model_dump_json())["name"] == "Dummy"

"""The Neuron runtime with a real axon and dendrite on loopback, and a scripted chain.

The chain here is a small stand-in (what ``Subtensor`` answers), so these tests pin the runtime's own
behaviour: registration check, serve_axon, blacklist, priority, resync, logging, clean stop. The
localnet tests beside this file run the templates as processes against a real node.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from substrateinterface import Keypair

from bt_llm.dendrite.client import Dendrite
from bt_llm.errors import ConfigError, RegistrationError
from bt_llm.neuron import Miner, Neuron, NeuronConfig
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting, TextPromptingBackward

MINER = Keypair.create_from_uri("//neuron-miner")
VALIDATOR = Keypair.create_from_uri("//neuron-validator")
STRANGER = Keypair.create_from_uri("//neuron-stranger")


@dataclass
class FakeChain:
    """What the runtime asks of a Subtensor."""

    neurons: list[SimpleNamespace]
    block: int = 100
    chain_endpoint: str = "ws://fake:9944"
    network: str = "fake"
    served: list[tuple[int, str, int]] = field(default_factory=list)
    syncs: int = 0

    def subnet_exists(self, netuid: int, block: int | None = None) -> bool:
        return netuid == 1

    def get_uid_for_hotkey_on_subnet(self, hotkey: str, netuid: int) -> int | None:
        return next((n.uid for n in self.neurons if n.hotkey == hotkey), None)

    def neurons_lite(self, netuid: int, block: int | None = None) -> list[SimpleNamespace]:
        self.syncs += 1
        return list(self.neurons)

    def get_current_block(self) -> int:
        return self.block

    def serve_axon(self, netuid: int, axon) -> None:
        info = axon.info()
        self.served.append((netuid, info.ip, info.port))

    def close(self) -> None:
        pass


def neuron(hotkey: str, uid: int, stake: float, permit: bool) -> SimpleNamespace:
    """What ``neurons_lite`` decodes, with the fields the metagraph reads."""
    return SimpleNamespace(hotkey=hotkey, coldkey=hotkey, uid=uid, total_stake_rao=int(stake * 1e9), stake=stake,
                           validator_permit=permit, is_null=False, active=True, last_update=0, axon_info=None,
                           rank=0.0, trust=0.0, consensus=0.0, validator_trust=0.0, incentive=0.0, emission=0.0,
                           dividends=0.0)


def chain() -> FakeChain:
    return FakeChain([neuron(MINER.ss58_address, 0, 0.0, False), neuron(VALIDATOR.ss58_address, 1, 1000.0, True)])


class Slow(Miner):
    name = "slow"

    def __init__(self) -> None:
        super().__init__()
        self.rewards: list[float] = []

    def forward(self, messages, params):
        time.sleep(0.05)
        return f"answer to {messages[-1]['content']} (max {params.max_tokens})"

    def stream(self, messages, params):
        for word in f"streamed answer to {messages[-1]['content']}".split():
            yield word + " "

    def backward(self, messages, response, rewards):
        self.rewards.extend(rewards)
        return True

    def embed(self, texts):
        return [[float(len(t)), 1.0] for t in texts]


def start(sub: FakeChain, miner: Miner | None = None, **config) -> Neuron:
    cfg = NeuronConfig(netuid=1, axon_port=0, **config)
    return Neuron(miner or Slow(), cfg, wallet=SimpleNamespace(hotkey=MINER), subtensor=sub).start()


def test_serves_registered_callers_and_announces_on_chain(caplog: pytest.LogCaptureFixture) -> None:
    sub = chain()
    n = start(sub)
    try:
        assert sub.served == [(1, "127.0.0.1", n.axon.port)] and n.uid == 0
        d = Dendrite(VALIDATOR)
        with caplog.at_level(logging.INFO, logger="bt_llm.neuron.requests"):
            out = d.query(n.axon.info(), TextPrompting(roles=["user"], messages=["q1"], max_tokens=9),
                          deserialize=False)
        assert out.is_success and out.completion == "answer to q1 (max 9)"
        line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("TextPrompting"))
        assert "uid=1" in line and "tokens=5" in line and line.endswith("ok")

        back = d.query(n.axon.info(), TextPromptingBackward(roles=["user"], messages=["q1"], completion="a",
                                                            rewards=[0.7]), deserialize=False)
        assert back.is_success and back.accepted and n.miner.rewards == [0.7]

        emb = d.query(n.axon.info(), Embedding(texts=["ab", "abcd"]))
        assert emb == [[2.0, 1.0], [4.0, 1.0]]

        async def stream() -> list:
            return [c async for c in await d.forward(n.axon.info(), StreamingTextPrompting(
                roles=["user"], messages=["q2"]), streaming=True)]

        *chunks, final = d.run_sync(stream())
        assert "".join(chunks) == "streamed answer to q2 " and final == "streamed answer to q2 "
        d.close()
    finally:
        n.close()


def ask(keypair: Keypair, n: Neuron) -> TextPrompting:
    with Dendrite(keypair) as d:
        return d.query(n.axon.info(), TextPrompting(roles=["user"], messages=["x"]), deserialize=False)


def test_blacklists_unregistered_and_permitless_callers() -> None:
    n = start(chain(), blacklist_force_validator_permit=True)
    try:
        stranger = ask(STRANGER, n)
        assert stranger.is_blacklist and "Unrecognized hotkey" in stranger.dendrite.status_message
        own = ask(MINER, n)
        assert own.is_blacklist and "No validator permit" in own.dendrite.status_message
        assert ask(VALIDATOR, n).is_success
    finally:
        n.close()
    n = start(chain(), blacklist_allow_non_registered=True)
    try:
        assert ask(STRANGER, n).is_success
    finally:
        n.close()


def test_higher_stake_is_served_first() -> None:
    order: list[str] = []
    gate = threading.Event()

    class Recording(Miner):
        def forward(self, messages, params):
            gate.wait(5)
            order.append(messages[-1]["content"])
            return "ok"

    sub = chain()
    sub.neurons.append(neuron(STRANGER.ss58_address, 2, 1.0, False))
    n = start(sub, Recording(), max_workers=1)
    try:
        async def fire() -> None:
            first = Dendrite(VALIDATOR)
            low, high = Dendrite(STRANGER), Dendrite(VALIDATOR)
            info = n.axon.info()
            blocker = asyncio.ensure_future(first.forward(info, TextPrompting(roles=["user"], messages=["blocker"])))
            await asyncio.sleep(0.3)
            low_call = asyncio.ensure_future(low.forward(info, TextPrompting(roles=["user"], messages=["low"])))
            await asyncio.sleep(0.3)
            high_call = asyncio.ensure_future(high.forward(info, TextPrompting(roles=["user"], messages=["high"])))
            await asyncio.sleep(0.3)
            gate.set()
            await asyncio.gather(blocker, low_call, high_call)
            for d in (first, low, high):
                await d.aclose()

        asyncio.run(fire())
        assert order == ["blocker", "high", "low"]
    finally:
        n.close()


def test_not_registered_says_how_to_register() -> None:
    sub = chain()
    sub.neurons = sub.neurons[1:]
    built: list[Miner] = []

    def make() -> Miner:
        built.append(Slow())
        return built[-1]

    with pytest.raises(RegistrationError) as info:
        Neuron(make, NeuronConfig(netuid=1, axon_port=0), wallet=SimpleNamespace(hotkey=MINER), subtensor=sub).start()
    assert built == []  # the model is never loaded for an unregistered hotkey
    text = str(info.value)
    assert MINER.ss58_address in text and "btcli register --netuid 1" in text and "ws://fake:9944" in text
    with pytest.raises(ConfigError, match="subnet 5 does not exist"):
        Neuron(Slow(), NeuronConfig(netuid=5, axon_port=0), wallet=SimpleNamespace(hotkey=MINER),
               subtensor=chain()).start()


def test_run_resyncs_every_n_blocks_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bt_llm.neuron.runtime.POLL_SECONDS", 0.02)
    sub = chain()
    n = Neuron(Slow(), NeuronConfig(netuid=1, axon_port=0, sync_every=5), wallet=SimpleNamespace(hotkey=MINER),
               subtensor=sub)
    runner = threading.Thread(target=n.run, kwargs={"handle_signals": False})
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while n.axon is None or not n.axon.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        syncs = sub.syncs
        sub.block += 4
        time.sleep(0.2)
        assert sub.syncs == syncs  # 4 blocks: not yet
        sub.neurons.append(neuron(STRANGER.ss58_address, 2, 5.0, False))
        sub.block += 1
        deadline = time.monotonic() + 5
        while sub.syncs == syncs:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert n.policy.uid_of(STRANGER.ss58_address) == 2
    finally:
        n.stop()
        runner.join(10)
    assert not runner.is_alive() and not n.axon.started


def test_miner_errors_reach_the_caller_with_their_status() -> None:
    from bt_llm.errors import MinerError

    class Broken(Miner):
        def forward(self, messages, params):
            raise MinerError("upstream http://up/v1 answered 429: Rate limit reached", status_code=502)

        def stream(self, messages, params):
            yield "partial "
            raise MinerError("upstream http://up/v1 timed out", status_code=504)

    n = start(chain(), Broken())
    try:
        with Dendrite(VALIDATOR) as d:
            out = d.query(n.axon.info(), TextPrompting(roles=["user"], messages=["x"]), deserialize=False)
            assert out.dendrite.status_code == 502
            assert out.dendrite.status_message == "upstream http://up/v1 answered 429: Rate limit reached"

            async def stream() -> list:
                return [c async for c in await d.forward(n.axon.info(), StreamingTextPrompting(
                    roles=["user"], messages=["q"]), streaming=True, deserialize=False)]

            *chunks, final = d.run_sync(stream())
            assert chunks == ["partial "]
            assert final.dendrite.status_code == 504 and "timed out" in final.dendrite.status_message
    finally:
        n.close()


def test_a_caller_hanging_up_mid_stream_stops_the_miners_generation() -> None:
    closed = threading.Event()
    produced: list[int] = []

    class Endless(Miner):
        def forward(self, messages, params):
            return "x"

        def stream(self, messages, params):
            try:
                for i in range(10_000):
                    produced.append(i)
                    time.sleep(0.02)
                    yield f"{i} "
            finally:
                closed.set()

    n = start(chain(), Endless())
    try:
        with Dendrite(VALIDATOR) as d:
            async def first_chunks() -> list:
                gen = await d.forward(n.axon.info(), StreamingTextPrompting(roles=["user"], messages=["go"]),
                                      streaming=True, timeout=30)
                got = [await gen.__anext__(), await gen.__anext__()]
                await gen.aclose()  # hang up
                return got

            assert d.run_sync(first_chunks()) == ["0 ", "1 "]
        assert closed.wait(5), "the miner kept generating for a caller that hung up"
        count = len(produced)
        time.sleep(0.3)
        assert len(produced) <= count + 1 and len(produced) < 200
    finally:
        n.close()


def test_a_restart_on_the_announced_endpoint_does_not_serve_again() -> None:
    import socket

    from bt_llm.protocol.axon_info import AxonInfo
    from bt_llm.protocol.version import version_as_int

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sub = chain()
    sub.neurons[0].axon_info = AxonInfo(version=version_as_int, ip="127.0.0.1", port=port, ip_type=4,
                                        hotkey=MINER.ss58_address, coldkey=MINER.ss58_address)
    n = Neuron(Slow(), NeuronConfig(netuid=1, axon_port=port), wallet=SimpleNamespace(hotkey=MINER),
               subtensor=sub).start()
    try:
        assert sub.served == [] and n.axon.port == port
    finally:
        n.close()
    n = start(sub)  # another port: announce it
    try:
        assert sub.served == [(1, "127.0.0.1", n.axon.port)]
    finally:
        n.close()

"""The template miner as a real process on a localnet: registers, serves, answers, refuses, stops."""

from __future__ import annotations

import signal

import pytest

from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting, TextPromptingBackward

pytestmark = pytest.mark.slow


def test_template_miner_end_to_end(miner_net) -> None:
    wallet = miner_net.miner_wallet("template")
    proc = miner_net.start("template", wallet, "--template.reply", "hello from the template")
    info = miner_net.axon_of(wallet)
    with miner_net.dendrite() as d:
        out = d.query(info, TextPrompting(roles=["user"], messages=["what are you?"]), deserialize=False)
        assert out.is_success, out.dendrite
        assert out.completion == "hello from the template"
        assert out.axon.hotkey == wallet.hotkey.ss58_address

        back = d.query(info, TextPromptingBackward(roles=["user"], messages=["what are you?"],
                                                   completion=out.completion, rewards=[0.8]), deserialize=False)
        assert back.is_success and back.accepted

        async def stream() -> list:
            gen = await d.forward(info, StreamingTextPrompting(roles=["user"], messages=["hi"]), streaming=True)
            return [c async for c in gen]

        *chunks, final = d.run_sync(stream())
        assert chunks == ["hello from the template"] and final == "hello from the template"

    stranger = miner_net.wallet("stranger", "//Charlie", "//bt-llm-test-stranger")  # never registered
    with miner_net.dendrite(stranger) as d:
        refused = d.query(info, TextPrompting(roles=["user"], messages=["hi"]), deserialize=False)
    assert refused.is_blacklist and "Unrecognized hotkey" in refused.dendrite.status_message

    assert proc.stop(signal.SIGTERM) == 0
    log = proc.log
    assert len(proc.requests("TextPrompting")) == 1
    line = proc.requests("TextPrompting")[0]
    assert f"uid={miner_net.subtensor.get_uid_for_hotkey_on_subnet(miner_net.validator.hotkey.ss58_address, 1)}" in line
    assert "tokens=4" in line and "latency=" in line
    rewards = [line for line in proc.lines if "reward" in line.lower()]  # one line per reward: the runtime's
    assert len(rewards) == 1 and "TextPromptingBackward" in rewards[0] and "rewards=[0.8] accepted=True" in rewards[0]
    assert any("TextPrompting uid=- hotkey=" in line and "refused: Unrecognized hotkey" in line
               for line in proc.lines)
    assert "received SIGTERM, stopping" in log and "template stopped" in log


def test_unregistered_miner_says_how_to_register(miner_net) -> None:
    wallet = miner_net.miner_wallet("newcomer", register=False)
    proc = miner_net.start("template", wallet, wait=False)
    assert proc.wait_exit(120) == 1
    assert "is not registered on subnet 1" in proc.log
    assert f"btcli register --netuid 1 --wallet.name newcomer --wallet.hotkey default --subtensor.chain_endpoint {miner_net.node.url}" in proc.log
    assert "Traceback" not in proc.log

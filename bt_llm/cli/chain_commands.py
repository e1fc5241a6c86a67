"""btcli chain views: ``overview``, ``metagraph``, ``list_subnets``, ``weights``.

Each reads through the public chain client (``Subtensor``, ``Metagraph``) and prints rich tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bt_llm.cli.chain_options import (
    BLOCK,
    NETUID,
    console,
    make_subtensor,
    netuid_option,
    subtensor_options,
    tao,
)
from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options
from bt_llm.cli.shared import Column, Listing, emit
from bt_llm.errors import ChainError, ConfigError

if TYPE_CHECKING:
    from bt_llm.chain.metagraph import Metagraph
    from bt_llm.chain.subtensor import Subtensor


def _f5(value: Any) -> str:
    return f"{float(value):.5f}"


# (column, priority): at a narrow width the highest priorities leave first; 0 always stays.
NEURON_COLUMNS = (
    Column("UID", justify="right"), Column("STAKE(τ)", _f5, justify="right", json_name="stake"),
    Column("RANK", _f5, priority=3, justify="right"), Column("TRUST", _f5, priority=4, justify="right"),
    Column("CONSENSUS", _f5, priority=4, justify="right"), Column("INCENTIVE", _f5, priority=1, justify="right"),
    Column("DIVIDENDS", _f5, priority=2, justify="right"),
    Column("EMISSION(ρ)", lambda v: f"{v:,}", priority=1, justify="right", json_name="emission_rao"),
    Column("VTRUST", _f5, priority=3, justify="right"), Column("VAL", lambda v: "*" if v else "", priority=2,
                                                             json_name="validator_permit"),
    Column("UPDATED", priority=3, justify="right"), Column("ACTIVE", lambda v: "1" if v else "0", priority=5),
    Column("AXON", lambda v: v or "none", priority=5), Column("HOTKEY", key=True), Column("COLDKEY", key=True,
                                                                                             priority=2),
)


def _neuron_row(mg: Any, i: int) -> list[Any]:
    axon = mg.axons[i]
    return [
        int(mg.uids[i]), float(mg.S[i]), float(mg.R[i]), float(mg.T[i]), float(mg.C[i]), float(mg.I[i]),
        float(mg.D[i]), round(float(mg.E[i]) * 1e9), float(mg.Tv[i]), bool(mg.validator_permit[i]),
        max(0, mg.block - int(mg.last_update[i])), bool(int(mg.active[i])),
        axon.ip_str() if axon.is_serving else None, mg.hotkeys[i], mg.coldkeys[i],
    ]


def _sync_metagraph(subtensor: Subtensor, netuid: int, lite: bool = True, block: int | None = None) -> Metagraph:
    from bt_llm.chain.metagraph import Metagraph

    with console().status(f"Syncing metagraph of subnet {netuid} from {subtensor.network}..."):
        return Metagraph(netuid, lite=lite, sync=False, subtensor=subtensor).sync(block=block)


@click.command(name="metagraph")
@netuid_option(default=1)
@click.option("--block", type=BLOCK, default=None, help="Read the subnet as of this block (archive node). (default: the latest)")
@click.option("--save", is_flag=True, help="Also save the metagraph under ~/.bittensor/metagraphs.")
@subtensor_options
def metagraph_command(netuid: int, block: int | None, save: bool, subtensor_network: str | None,
                      subtensor_chain_endpoint: str | None) -> None:
    """Show the network graph."""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        mg = _sync_metagraph(subtensor, netuid, block=block)
        difficulty = subtensor.difficulty(netuid, block=mg.block)
        issuance = subtensor.get_total_issuance(block=mg.block)
    finally:
        subtensor.close()
    total = float(mg.S.sum()) if mg.n else 0.0
    title = (f"Metagraph: net: {mg.network}:{netuid}, block: {mg.block}, N: {mg.n}, "
             f"stake: τ{total:,.5f}, issuance: {issuance}, difficulty: {difficulty:,}")
    saved = str(mg.save()) if save else None
    emit(Listing(title, NEURON_COLUMNS, [_neuron_row(mg, i) for i in range(mg.n)]),
         extra={"network": mg.network, "netuid": netuid, "block": mg.block, "n": mg.n, "total_stake": total,
                "issuance_rao": issuance.rao, "difficulty": difficulty, **({"saved": saved} if saved else {})},
         notes=[f"Saved to {saved}"] if saved else ())


SORT_ORDERS = {"ascending": False, "asc": False, "descending": True, "desc": True, "reverse": True}
OVERVIEW_COLUMNS = (Column("COLDKEY", priority=2, json_name="wallet"), Column("HOTKEY NAME", json_name="hotkey_name"),
                    Column("NETUID", priority=1, justify="right"), *NEURON_COLUMNS[:-2],
                    Column("HOTKEY_SS58", key=True, json_name="hotkey"))


def _overview_hotkeys(wallets: list[Any], names: tuple[str, ...], all_hotkeys: bool) -> dict[str, tuple[str, str]]:
    """hotkey ss58 -> (wallet name, hotkey name): every hotkey of ``wallets``; with ``--hotkeys``, only
    those (``--all_hotkeys``: all but those), as 5.3.4 chose them."""
    from bt_llm.wallet.wallet import Wallet

    chosen: dict[str, tuple[str, str]] = {}
    for wallet in wallets:
        for name in wallet.hotkey_names():
            try:
                address = Wallet(name=wallet.name, hotkey=name, path=str(wallet.path)).hotkeypub.ss58_address
            except Exception:  # an unreadable hotkey file is shown as missing, not fatal
                continue
            if names and (name in names or address in names) == all_hotkeys:
                continue
            chosen[address] = (wallet.name, name)
    return chosen


def _sort_index(sort_by: str, sort_order: str) -> int | None:
    """The overview column ``--sort_by`` names (by header or JSON name; ``name``: the hotkey's name)."""
    if sort_order.lower() not in SORT_ORDERS:
        raise ConfigError(f"--sort_order: {sort_order!r} is not one of {', '.join(SORT_ORDERS)}")
    if not sort_by:
        return None
    wanted = sort_by.lower().replace("-", "_")
    matches = [i for i, c in enumerate(OVERVIEW_COLUMNS)
               if wanted in (c.header.lower(), c.name, c.header.lower().split("(")[0].replace(" ", "_"))]
    if not matches and wanted == "name":
        matches = [1]
    if not matches:
        raise ConfigError(f"--sort_by: no column {sort_by!r}; one of " + ", ".join(c.name for c in OVERVIEW_COLUMNS))
    return matches[0]


@click.command(name="overview")
@wallet_options
@click.option("--netuid", "netuids", type=NETUID, multiple=True,
              help="Only these subnets: --netuid 1 3 (default: every subnet).")
@click.option("--all", "all_wallets", is_flag=True, help="View the overview of every wallet under --wallet.path. "
                                                         "(default: off)")
@click.option("--sort_by", "--wallet.sort_by", "sort_by", default="", metavar="COLUMN",
              help="Sort by this column (uid, stake, name, emission, ...). (default: by subnet and uid)")
@click.option("--sort_order", "--wallet.sort_order", "sort_order", default="ascending", show_default=True,
              metavar="ORDER", help="ascending/asc or descending/desc/reverse.")
@click.option("--hotkeys", "--exclude_hotkeys", "--wallet.hotkeys", "--wallet.exclude_hotkeys", "hotkeys",
              multiple=True, metavar="NAME|SS58",
              help="Only these hotkeys (names or ss58), --hotkeys hk1 hk2; with --all_hotkeys, all but these. "
                   "(default: all)")
@click.option("--all_hotkeys", "--wallet.all_hotkeys", "all_hotkeys", is_flag=True,
              help="Every hotkey, less those given to --hotkeys. (default: off)")
@subtensor_options
@no_prompt_option
def overview_command(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
                     netuids: tuple[int, ...], all_wallets: bool, sort_by: str, sort_order: str,
                     hotkeys: tuple[str, ...], all_hotkeys: bool, subtensor_network: str | None,
                     subtensor_chain_endpoint: str | None, no_prompt: bool) -> None:
    """Show registered account overview."""
    from bt_llm.wallet.wallet import Wallet

    sort_index = _sort_index(sort_by, sort_order)
    if all_wallets:
        root = Wallet(name="default", path=wallet_path).path
        wallets = [Wallet(name=d.name, path=wallet_path) for d in sorted(Path(root).iterdir())
                   if d.is_dir() and (d / "coldkeypub.txt").exists()] if Path(root).is_dir() else []
        if not wallets:
            raise ConfigError(f"No wallets in {root}")
    else:
        wallets = [wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt)]
    coldkeys = {w.coldkeypub.ss58_address: w.name for w in wallets}
    chosen = _overview_hotkeys(wallets, hotkeys, all_hotkeys)
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        balances = {ck: subtensor.get_balance(ck) for ck in coldkeys}
        nets = list(netuids) if netuids else subtensor.get_subnets()
        rows: list[list[Any]] = []
        for net in nets:
            mg = _sync_metagraph(subtensor, net)
            for i in range(mg.n):
                hotkey, coldkey = mg.hotkeys[i], mg.coldkeys[i]
                if hotkey not in chosen and (hotkeys or coldkey not in coldkeys):
                    continue
                owner, name = chosen.get(hotkey, (coldkeys.get(coldkey, "?"), "?"))
                rows.append([owner, name, net, *_neuron_row(mg, i)[:-2], hotkey])
    finally:
        subtensor.close()
    if sort_index is not None:
        rows.sort(key=lambda r: (r[sort_index] is None, r[sort_index]), reverse=SORT_ORDERS[sort_order.lower()])
    total_stake = sum(r[4] for r in rows)
    balance = sum((b.rao for b in balances.values()), 0)
    title = ("Wallets - " + ", ".join(f"{n}:{ck}" for ck, n in coldkeys.items()) if all_wallets
             else f"Wallet - {wallets[0].name}:{next(iter(coldkeys))}")
    from bt_llm.balance import Balance

    notes = [] if rows else ["[yellow]No hotkeys of this wallet are registered.[/yellow]"]
    notes.append(f"Balance: {Balance.from_rao(balance)}   Total stake on listed neurons: τ{total_stake:,.9f}")
    # one table per subnet, headed "Subnet: N" as bittensor 5.x prints it (the first under the wallet's line)
    listings = [Listing(f"Subnet: {net}", OVERVIEW_COLUMNS, [r for r in rows if r[2] == net])
                for net in dict.fromkeys(r[2] for r in rows)] or [Listing("", OVERVIEW_COLUMNS, [])]
    listings[0].title = f"{title}\n{listings[0].title}".rstrip()
    emit(listings, notes=notes,
         extra={"balance_rao": balance, "total_stake": total_stake,
                "wallets": [{"name": n, "coldkey": ck, "balance_rao": balances[ck].rao} for ck, n in coldkeys.items()]})


SUBNET_COLUMNS = (Column("NETUID", justify="right"), Column("N", justify="right", json_name="n"),
                  Column("MAX_N", justify="right"), Column("EMISSION", lambda v: f"{v / 1e7:.2f}%", justify="right"),
                  Column("TEMPO", justify="right", priority=1), Column("BURN", tao, justify="right", json_name="burn_rao"),
                  Column("POW", lambda v: f"{v:,}", justify="right", priority=1, json_name="difficulty"),
                  Column("IMMUNITY", justify="right", priority=2), Column("OWNER", lambda v: v or "-", key=True,
                                                                          priority=1))


@click.command(name="list_subnets")
@subtensor_options
def list_subnets_command(subtensor_network: str | None, subtensor_chain_endpoint: str | None) -> None:
    """List all subnets on the network."""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        subnets = subtensor.get_all_subnets_info()
        block = subtensor.get_current_block()
    finally:
        subtensor.close()
    rows = [[i.netuid, i.subnetwork_n, i.max_n, i.emission_value, i.tempo, i.burn_rao, i.difficulty,
             i.immunity_period, i.owner_ss58] for i in subnets]
    emit(Listing(f"Subnets on {subtensor.network} at block {block}: {len(subnets)}", SUBNET_COLUMNS, rows))


WEIGHT_COLUMNS = (Column("UID", justify="right"), Column("TO UID", justify="right"),
                  Column("WEIGHT (u16)", justify="right", json_name="weight_u16"),
                  Column("WEIGHT", _f5, justify="right"))


@click.command(name="weights")
@netuid_option(default=1)
@click.option("--block", type=BLOCK, default=None, help="Read the weights as of this block. (default: the latest)")
@subtensor_options
def weights_command(netuid: int, block: int | None, subtensor_network: str | None,
                    subtensor_chain_endpoint: str | None) -> None:
    """Show the weights from chain."""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        if not subtensor.subnet_exists(netuid, block=block):
            raise ChainError(f"subnet {netuid} does not exist")
        weights = subtensor.weights(netuid, block=block)
    finally:
        subtensor.close()
    rows = []
    for uid in sorted(weights):
        row = weights[uid]
        total = sum(w for _, w in row) or 1
        rows += [[uid, dest, value, value / total] for dest, value in row]
    emit(Listing(f"Weights on subnet {netuid}", WEIGHT_COLUMNS, rows))

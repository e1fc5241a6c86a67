"""btcli governance: ``senate``, ``proposals``, ``proposal_votes``, ``senate_register``,
``senate_leave``, ``senate_vote``."""

from __future__ import annotations

from typing import Any

import click

from bt_llm.cli.chain_options import (
    check_own_hotkey,
    check_proposal_hash,
    confirm,
    console,
    make_subtensor,
    subtensor_options,
)
from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options
from bt_llm.errors import ConfigError


def _call_text(call: Any) -> str:
    if isinstance(call, dict):
        module, function = call.get("call_module", "?"), call.get("call_function", "?")
        args = call.get("call_args", [])
        inner = ", ".join(f"{a.get('name')}={a.get('value')}" for a in args if isinstance(a, dict))
        return f"{module}.{function}({inner})"
    return str(call)


@click.command(name="senate")
@subtensor_options
def senate_command(subtensor_network, subtensor_chain_endpoint) -> None:
    """View senate and it's members"""
    from rich.table import Table

    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        members = subtensor.get_senate_members()
    finally:
        subtensor.close()
    table = Table(title=f"Senate on {subtensor.network}: {len(members)} members")
    table.add_column("INDEX")
    table.add_column("ADDRESS", no_wrap=True)
    for index, member in enumerate(members):
        table.add_row(str(index), member)
    console().print(table)


@click.command(name="proposals")
@subtensor_options
def proposals_command(subtensor_network, subtensor_chain_endpoint) -> None:
    """View active triumvirate proposals and their status"""
    from rich.table import Table

    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        proposals = subtensor.get_proposals()
        senate_size = len(subtensor.get_senate_members())
        block = subtensor.get_current_block()
    finally:
        subtensor.close()
    table = Table(title=f"Proposals on {subtensor.network} at block {block}: {len(proposals)} (senate: {senate_size})")
    for column in ("HASH", "INDEX", "THRESHOLD", "AYES", "NAYS", "END", "CALL"):
        table.add_column(column, no_wrap=True)
    for proposal_hash, (call, votes) in proposals.items():
        if votes is None:
            table.add_row(proposal_hash, "-", "-", "-", "-", "-", _call_text(call))
            continue
        table.add_row(proposal_hash, str(votes.index), str(votes.threshold), str(len(votes.ayes)), str(len(votes.nays)),
                      str(votes.end), _call_text(call))
    console().print(table)


@click.command(name="proposal_votes")
@click.option("--proposal", "--proposal_hash", "proposal", default=None, metavar="HASH", help="The proposal's hash.")
@subtensor_options
@no_prompt_option
def proposal_votes_command(proposal, subtensor_network, subtensor_chain_endpoint, no_prompt) -> None:
    """View an active proposal's votes by address."""
    from rich.table import Table

    proposal = proposal or (None if no_prompt else click.prompt("Enter proposal hash"))
    if not proposal:
        raise ConfigError("--proposal is required with --no_prompt")
    proposal = check_proposal_hash(proposal)
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        votes = subtensor.get_proposal_vote_data(proposal)
    finally:
        subtensor.close()
    if votes is None:
        raise ConfigError(f"no active proposal {proposal}")
    table = Table(title=f"Votes on {proposal} (threshold {votes.threshold}, ends at block {votes.end})")
    table.add_column("ADDRESS", no_wrap=True)
    table.add_column("VOTE")
    for address in votes.ayes:
        table.add_row(address, "[green]aye[/green]")
    for address in votes.nays:
        table.add_row(address, "[red]nay[/red]")
    console().print(table)


def _senate_write(action: str, wallet_name, wallet_hotkey, wallet_path, network, endpoint, no_prompt) -> None:
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    hotkey = wallet.hotkeypub.ss58_address
    subtensor = make_subtensor(network, endpoint)
    try:
        member = subtensor.is_senate_member(hotkey)
        if action == "join":
            if member:
                raise ConfigError(f"{hotkey} is already a senate member")
            check_own_hotkey(subtensor, hotkey, wallet.coldkeypub.ss58_address)
            if not subtensor.is_hotkey_delegate(hotkey):
                raise ConfigError(f"{hotkey} is not a delegate: only delegates join the senate (btcli nominate)")
            confirm(f"Register {hotkey} as a senate member?", no_prompt=no_prompt)
            with console().status("Joining the senate..."):
                subtensor.join_senate(wallet)
        else:
            if not member:
                raise ConfigError(f"{hotkey} is not a senate member")
            confirm(f"Remove {hotkey} from the senate?", no_prompt=no_prompt)
            with console().status("Leaving the senate..."):
                subtensor.leave_senate(wallet)
    finally:
        subtensor.close()
    word = "joined" if action == "join" else "left"
    console().print(f":white_heavy_check_mark: [green]{hotkey} {word} the senate[/green]")


@click.command(name="senate_register")
@wallet_options
@subtensor_options
@no_prompt_option
def senate_register_command(wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                            no_prompt) -> None:
    """Register as a senate member to participate in proposals"""
    _senate_write("join", wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                  no_prompt)


@click.command(name="senate_leave")
@wallet_options
@subtensor_options
@no_prompt_option
def senate_leave_command(wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                         no_prompt) -> None:
    """Discard senate membership in the governance protocol"""
    _senate_write("leave", wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                  no_prompt)


@click.command(name="senate_vote")
@wallet_options
@click.option("--proposal", "--proposal_hash", "proposal", default=None, metavar="HASH", help="The proposal's hash.")
@click.option("--vote", "vote", type=click.Choice(["aye", "nay"]), default=None, help="Your vote.")
@subtensor_options
@no_prompt_option
def senate_vote_command(wallet_name, wallet_hotkey, wallet_path, proposal, vote, subtensor_network,
                        subtensor_chain_endpoint, no_prompt) -> None:
    """Vote on an active proposal by hash."""
    proposal = proposal or (None if no_prompt else click.prompt("Enter proposal hash"))
    if not proposal:
        raise ConfigError("--proposal is required with --no_prompt")
    proposal = check_proposal_hash(proposal)
    if vote is None:
        if no_prompt:
            raise ConfigError("--vote aye|nay is required with --no_prompt")
        vote = "aye" if click.confirm("Vote aye (yes) on this proposal?", default=True) else "nay"
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        votes = subtensor.get_proposal_vote_data(proposal)
        if votes is None:
            raise ConfigError(f"no active proposal {proposal}")
        confirm(f"Vote {vote} on {proposal}?", no_prompt=no_prompt)
        with console().status("Voting..."):
            subtensor.vote(wallet, proposal, votes.index, vote == "aye")
    finally:
        subtensor.close()
    console().print(f":white_heavy_check_mark: [green]Voted {vote} on {proposal}[/green]")

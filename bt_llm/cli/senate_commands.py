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
from bt_llm.cli.shared import Column, Listing, emit
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
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        members = subtensor.get_senate_members()
    finally:
        subtensor.close()
    emit(Listing(f"Senate on {subtensor.network}: {len(members)} members",
                 (Column("INDEX", justify="right", priority=1), Column("ADDRESS")), list(enumerate(members))))


@click.command(name="proposals")
@subtensor_options
def proposals_command(subtensor_network, subtensor_chain_endpoint) -> None:
    """View active triumvirate proposals and their status"""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        proposals = subtensor.get_proposals()
        senate_size = len(subtensor.get_senate_members())
        block = subtensor.get_current_block()
    finally:
        subtensor.close()
    rows = [[h, None, None, None, None, None, _call_text(call)] if votes is None else
            [h, votes.index, votes.threshold, len(votes.ayes), len(votes.nays), votes.end, _call_text(call)]
            for h, (call, votes) in proposals.items()]
    columns = (Column("HASH", key=True), *(Column(n, lambda v: "-" if v is None else str(v), justify="right", priority=p)
                                 for n, p in (("INDEX", 2), ("THRESHOLD", 1), ("AYES", 0), ("NAYS", 0), ("END", 1))),
               Column("CALL", priority=3))
    emit(Listing(f"Proposals on {subtensor.network} at block {block}: {len(proposals)} (senate: {senate_size})",
                 columns, rows))


@click.command(name="proposal_votes")
@click.option("--proposal", "--proposal_hash", "proposal", default=None, metavar="HASH", help="The proposal's hash. (default: asked)")
@subtensor_options
@no_prompt_option
def proposal_votes_command(proposal, subtensor_network, subtensor_chain_endpoint, no_prompt) -> None:
    """View an active proposal's votes by address."""
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
    colors = {"aye": "[green]aye[/green]", "nay": "[red]nay[/red]"}
    rows = [[a, "aye"] for a in votes.ayes] + [[a, "nay"] for a in votes.nays]
    emit(Listing(f"Votes on {proposal} (threshold {votes.threshold}, ends at block {votes.end})",
                 (Column("ADDRESS"), Column("VOTE", colors.__getitem__)), rows))


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


# alike by design (as senate_leave and stake's nominate): separate btcli commands, bittensor's flags
@click.command(name="senate_register")
@wallet_options
@subtensor_options
@no_prompt_option
def senate_register_command(wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                            no_prompt) -> None:
    """Register as a senate member to participate in proposals"""
    _senate_write("join", wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                  no_prompt)


# alike by design (as senate_register): separate btcli commands; the shared work is _senate_write
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
@click.option("--proposal", "--proposal_hash", "proposal", default=None, metavar="HASH", help="The proposal's hash. (default: asked)")
@click.option("--vote", "vote", type=click.Choice(["aye", "nay"]), default=None, help="Your vote. (default: asked)")
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

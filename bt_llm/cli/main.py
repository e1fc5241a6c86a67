"""The ``btcli`` entry point: a click group whose commands load lazily from their own modules.

Each command lives in a module of ``bt_llm.cli`` and is listed in ``COMMANDS``; its module is imported
only when the command runs, so ``btcli --help`` stays fast.
Errors of the ``BtLlmError`` hierarchy are printed as one red line with exit code 1; warnings of the
wallet (an unprotected key file or folder) as one yellow line on stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import click

from bt_llm import settings
from bt_llm.cli.shared import SharedOptionsGroup, add_shared_options
from bt_llm.errors import BtLlmError


@dataclass(frozen=True)
class CommandSpec:
    """Where a btcli command lives and what it does."""

    target: str  # "module:attribute" of a click.Command
    help: str


# The seed's table (bittensor 5.x btcli), plus our own additions at the end.
COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("bt_llm.cli.main:help_command", "Displays the help."),
    "list": CommandSpec("bt_llm.cli.wallet_commands:list_command", "List wallets."),
    "stake": CommandSpec("bt_llm.cli.stake_commands:stake_command", "Stake to your hotkey accounts."),
    "update": CommandSpec("bt_llm.cli.main:update_command", "Updates your bittensor installation."),
    "inspect": CommandSpec("bt_llm.cli.wallet_commands:inspect_command", "Inspect a wallet cold, hot pair"),
    "weights": CommandSpec("bt_llm.cli.chain_commands:weights_command", "Show the weights from chain."),
    "unstake": CommandSpec("bt_llm.cli.stake_commands:unstake_command", "Unstake from hotkey accounts."),
    "overview": CommandSpec("bt_llm.cli.chain_commands:overview_command", "Show registered account overview."),
    "register": CommandSpec("bt_llm.cli.register_commands:register_command", "Register a wallet to a network."),
    "transfer": CommandSpec("bt_llm.cli.stake_commands:transfer_command", "Transfer Tao between accounts."),
    "nominate": CommandSpec("bt_llm.cli.stake_commands:nominate_command", "Become a delegate on the network"),
    "new_hotkey": CommandSpec(
        "bt_llm.cli.wallet_commands:new_hotkey_command",
        "Creates a new hotkey for running a miner under the specified path."),
    "metagraph": CommandSpec("bt_llm.cli.chain_commands:metagraph_command", "Show the network graph."),
    "new_coldkey": CommandSpec(
        "bt_llm.cli.wallet_commands:new_coldkey_command",
        "Creates a new coldkey for containing balance under the specified path."),
    "my_delegates": CommandSpec(
        "bt_llm.cli.stake_commands:my_delegates_command",
        "Show all delegates where I am delegating a positive amount of stake."),
    "list_subnets": CommandSpec("bt_llm.cli.chain_commands:list_subnets_command", "List all subnets on the network."),
    "regen_hotkey": CommandSpec(
        "bt_llm.cli.wallet_commands:regen_hotkey_command", "Regenerates a hotkey from a passed mnemonic."),
    "regen_coldkey": CommandSpec(
        "bt_llm.cli.wallet_commands:regen_coldkey_command", "Regenerates a coldkey from a passed value."),
    "delegate": CommandSpec("bt_llm.cli.stake_commands:delegate_command", "Delegate Stake to an account."),
    "undelegate": CommandSpec("bt_llm.cli.stake_commands:undelegate_command", "Undelegate Stake from an account."),
    "list_delegates": CommandSpec(
        "bt_llm.cli.stake_commands:list_delegates_command", "List all delegates on the network."),
    "regen_coldkeypub": CommandSpec(
        "bt_llm.cli.wallet_commands:regen_coldkeypub_command",
        "Regenerates a public coldkey from the public part of the coldkey."),
    "recycle_register": CommandSpec(
        "bt_llm.cli.register_commands:recycle_register_command", "Register a wallet to a network."),
    "senate": CommandSpec("bt_llm.cli.senate_commands:senate_command", "View senate and it's members"),
    "proposals": CommandSpec(
        "bt_llm.cli.senate_commands:proposals_command", "View active triumvirate proposals and their status"),
    "proposal_votes": CommandSpec(
        "bt_llm.cli.senate_commands:proposal_votes_command", "View an active proposal's votes by address."),
    "senate_register": CommandSpec(
        "bt_llm.cli.senate_commands:senate_register_command",
        "Register as a senate member to participate in proposals"),
    "senate_leave": CommandSpec(
        "bt_llm.cli.senate_commands:senate_leave_command", "Discard senate membership in the governance protocol"),
    "senate_vote": CommandSpec("bt_llm.cli.senate_commands:senate_vote_command", "Vote on an active proposal by hash."),
    # bt-llm's own
    "sign": CommandSpec("bt_llm.cli.wallet_commands:sign_command", "Sign a message with a wallet's key."),
    "verify": CommandSpec("bt_llm.cli.wallet_commands:verify_command", "Verify a signed message."),
    "localnet": CommandSpec("bt_llm.cli.localnet_commands:localnet_group", "Run the embedded localnet node."),
    "bridge": CommandSpec("bt_llm.bridge.cli:bridge_group", "Run the OpenAI-compatible bridge."),
}


class LazyGroup(SharedOptionsGroup):
    """A group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attribute = spec.target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        return add_shared_options(cmd_name, command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec.help) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bt-llm", prog_name="btcli")
def cli() -> None:
    """btcli: wallets, the chain, registration, staking and the bridge of bt-llm."""


@click.command(name="help")
@click.pass_context
def help_command(ctx: click.Context) -> None:
    """Displays the help."""
    click.echo(cli.get_help(ctx.parent or ctx))


@click.command(name="update")
def update_command() -> None:
    """Updates your bittensor installation."""
    click.echo("bt-llm is updated with pip: pip install --upgrade bt-llm")


DEBUG_ENV = settings.DEBUG


class _StderrLine(logging.Handler):
    """A record as one line (message only, no traceback) on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.secho(record.getMessage().replace("\n", " "), fg="yellow", err=True)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def _wallet_warnings_on_stderr() -> Iterator[None]:
    # While btcli runs, bt_llm.wallet's warnings go to stderr only, whatever logging is configured.
    logger = logging.getLogger("bt_llm.wallet")
    handler = _StderrLine(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    """Run btcli; errors become one line and exit code 1.

    An error outside our hierarchy is a bug: it is reported in one line too, with the way to see the
    traceback (``BT_LLM_DEBUG=1``).
    """
    try:
        with _wallet_warnings_on_stderr():
            cli.main(args=argv, prog_name="btcli", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # a question met the end of stdin (click raises Abort from the EOFError), not a "no" or Ctrl-C
        if not exc.args and isinstance(exc.__cause__ or exc.__context__, EOFError) and not _stdin_is_terminal():
            click.secho("Error: btcli asked a question but stdin is not a terminal: pass --no_prompt (and what "
                        "it asked for as flags) to run it from a script", fg="red", err=True)
        else:
            click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BtLlmError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        if settings.get(DEBUG_ENV):
            raise
        click.secho(f"Error: unexpected {type(exc).__name__}: {exc} (a bug: rerun with {DEBUG_ENV}=1 "
                    "to see where, and report it)", fg="red", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""btcli funds and stake: ``transfer``, ``stake``, ``unstake``, ``nominate``, ``delegate``,
``undelegate``, ``list_delegates``, ``my_delegates``.

Every write asks for confirmation unless ``--no_prompt``, then waits for the block that includes it
and prints the balance or stake before and after. A chain refusal is one red line with the pallet
error's name (``ExtrinsicFailedError``).
"""

from __future__ import annotations

from typing import Any

import click

from bt_llm.cli.chain_options import (
    check_own_hotkey,
    check_ss58,
    confirm,
    console,
    make_subtensor,
    subtensor_options,
    tao,
)
from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options
from bt_llm.errors import ConfigError


def _amount(amount: str | None, *, no_prompt: bool, what: str) -> Any:
    from bt_llm.balance import Balance

    text = amount if amount is not None else (None if no_prompt else click.prompt(f"Enter τ amount to {what}"))
    if text is None:
        raise ConfigError(f"--amount is required with --no_prompt (or pass --all) to {what}")
    value = Balance.from_tao(str(text))
    if value.rao <= 0:
        raise ConfigError(f"the amount to {what} must be positive, got {text}")
    return value


def _enough(available: Any, needed: Any, what: str) -> None:
    """Refuse before signing when the chain would refuse anyway (a refused extrinsic still costs its fee)."""
    if needed.rao <= 0:
        raise ConfigError(f"nothing to {what}: {available} available")
    if available.rao < needed.rao:
        raise ConfigError(f"not enough to {what}: {needed} needed, {available} available")


def _check_stake_target(subtensor: Any, hotkey: str, coldkey: str) -> None:
    """The chain's own checks of ``add_stake``: the hotkey exists, and is the coldkey's or a delegate."""
    owner = subtensor.get_hotkey_owner(hotkey)
    if owner is None:
        raise ConfigError(f"hotkey {hotkey} is not registered on any subnet: register it first "
                          f"(btcli register or btcli recycle_register)")
    if owner != coldkey and not subtensor.is_hotkey_delegate(hotkey):
        raise ConfigError(f"hotkey {hotkey} is neither yours nor a delegate")


def _wallet(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None, no_prompt: bool,
            ask_hotkey: bool = True) -> Any:
    return wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=ask_hotkey)


def _done(text: str) -> None:
    console().print(f":white_heavy_check_mark: [green]{text}[/green]")


amount_option = click.option("--amount", default=None, metavar="TAO", help="Amount in τ.")
all_option = click.option("--all", "all_", is_flag=True, help="Use everything available.")


@click.command(name="transfer")
@wallet_options
@click.option("--dest", default=None, metavar="SS58", help="Destination address.")
@amount_option
@subtensor_options
@no_prompt_option
def transfer_command(wallet_name, wallet_hotkey, wallet_path, dest, amount, subtensor_network,
                     subtensor_chain_endpoint, no_prompt) -> None:
    """Transfer Tao between accounts."""
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=False)
    if dest is None:
        if no_prompt:
            raise ConfigError("--dest is required with --no_prompt")
        dest = click.prompt("Enter destination public key (ss58 address)")
    check_ss58(dest, "--dest")
    value = _amount(amount, no_prompt=no_prompt, what="transfer")
    coldkey = wallet.coldkeypub.ss58_address
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        from bt_llm.balance import Balance

        before = subtensor.get_balance(coldkey)
        fee_rao = subtensor.get_transfer_fee(wallet, dest, value)
        fee = tao(fee_rao)
        keep = subtensor.get_existential_deposit()  # transfer_keep_alive leaves at least this behind
        _enough(before, Balance.from_rao(value.rao + int(fee_rao) + keep.rao),
                f"transfer {value} (fee {fee}, and {keep} must stay in the account)")
        confirm(f"Do you want to transfer:\n  amount: {value}\n  from: {wallet.name}:{coldkey}\n  to: {dest}\n"
                f"  for fee: {fee}", no_prompt=no_prompt)
        with console().status(f"Transferring {value} on {subtensor.network}..."):
            result = subtensor.transfer(wallet, dest, value)
        after = subtensor.get_balance(coldkey)
    finally:
        subtensor.close()
    _done(f"Finalized: transfer of {value} (fee {fee}) to {dest} in block {result.block_hash}")
    console().print(f"Balance:\n  {before} :arrow_right: {after}")


@click.command(name="stake")
@wallet_options
@amount_option
@all_option
@click.option("--hotkey_ss58", "--delegate_ss58", "hotkey_ss58", default=None, metavar="SS58",
              help="Stake to this hotkey instead of the wallet's.")
@subtensor_options
@no_prompt_option
def stake_command(wallet_name, wallet_hotkey, wallet_path, amount, all_, hotkey_ss58, subtensor_network,
                  subtensor_chain_endpoint, no_prompt) -> None:
    """Stake to your hotkey accounts."""
    from bt_llm.balance import Balance

    if hotkey_ss58:
        check_ss58(hotkey_ss58, "--hotkey_ss58")
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt)
    hotkey = hotkey_ss58 or wallet.hotkeypub.ss58_address
    coldkey = wallet.coldkeypub.ss58_address
    value = None if all_ else _amount(amount, no_prompt=no_prompt, what="stake")
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        _check_stake_target(subtensor, hotkey, coldkey)
        balance = subtensor.get_balance(coldkey)
        if value is None:
            keep = subtensor.get_existential_deposit()
            value = Balance.from_rao(max(0, balance.rao - keep.rao - 1_000_000))
        _enough(balance, value, "stake")
        stake_before = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
        confirm(f"Do you want to stake:\n  amount: {value}\n  to: {hotkey}", no_prompt=no_prompt)
        with console().status(f"Staking {value} to {hotkey}..."):
            subtensor.add_stake(wallet, value, hotkey)
        stake_after = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
        balance_after = subtensor.get_balance(coldkey)
    finally:
        subtensor.close()
    _done("Finalized")
    console().print(f"Balance:\n  {balance} :arrow_right: {balance_after}\nStake:\n  {stake_before} :arrow_right: "
                    f"{stake_after}")


@click.command(name="unstake")
@wallet_options
@amount_option
@all_option
@click.option("--hotkey_ss58", "--delegate_ss58", "hotkey_ss58", default=None, metavar="SS58",
              help="Unstake from this hotkey instead of the wallet's.")
@subtensor_options
@no_prompt_option
def unstake_command(wallet_name, wallet_hotkey, wallet_path, amount, all_, hotkey_ss58, subtensor_network,
                    subtensor_chain_endpoint, no_prompt) -> None:
    """Unstake from hotkey accounts."""
    if hotkey_ss58:
        check_ss58(hotkey_ss58, "--hotkey_ss58")
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt)
    _unstake(wallet, hotkey_ss58 or wallet.hotkeypub.ss58_address, amount, all_, subtensor_network,
             subtensor_chain_endpoint, no_prompt)


def _unstake(wallet: Any, hotkey: str, amount: str | None, all_: bool, network: str | None, endpoint: str | None,
             no_prompt: bool) -> None:
    coldkey = wallet.coldkeypub.ss58_address
    subtensor = make_subtensor(network, endpoint)
    try:
        stake_before = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
        value = stake_before if all_ else _amount(amount, no_prompt=no_prompt, what="unstake")
        if not value:
            raise ConfigError(f"no stake of {coldkey} on {hotkey}")
        _enough(stake_before, value, f"unstake from {hotkey} (your stake there)")
        balance = subtensor.get_balance(coldkey)
        confirm(f"Do you want to unstake:\n  amount: {value}\n  from: {hotkey}", no_prompt=no_prompt)
        with console().status(f"Unstaking {value} from {hotkey}..."):
            subtensor.unstake(wallet, value, hotkey)
        stake_after = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
        balance_after = subtensor.get_balance(coldkey)
    finally:
        subtensor.close()
    _done("Finalized")
    console().print(f"Balance:\n  {balance} :arrow_right: {balance_after}\nStake:\n  {stake_before} :arrow_right: "
                    f"{stake_after}")


@click.command(name="nominate")
@wallet_options
@subtensor_options
@no_prompt_option
def nominate_command(wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                     no_prompt) -> None:
    """Become a delegate on the network"""
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt)
    hotkey = wallet.hotkeypub.ss58_address
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        if subtensor.is_hotkey_delegate(hotkey):
            raise ConfigError(f"Hotkey {hotkey} is already a delegate")
        check_own_hotkey(subtensor, hotkey, wallet.coldkeypub.ss58_address)
        confirm(f"Do you want to nominate {hotkey} as a delegate?", no_prompt=no_prompt)
        with console().status(f"Nominating {hotkey}..."):
            subtensor.nominate(wallet)
    finally:
        subtensor.close()
    _done(f"Hotkey {hotkey} is now a delegate")


delegate_option = click.option("--delegate_ss58", "--delegate_ss58key", "delegate_ss58", default=None,
                               metavar="SS58", help="The delegate's hotkey.")


def _delegate_hotkey(delegate_ss58: str | None, no_prompt: bool) -> str:
    """The delegate from ``--delegate_ss58``, else asked for; checked as an ss58 address."""
    delegate = delegate_ss58 or (None if no_prompt else click.prompt("Enter the delegate's hotkey (ss58)"))
    if not delegate:
        raise ConfigError("--delegate_ss58 is required with --no_prompt")
    return check_ss58(delegate, "--delegate_ss58")


@click.command(name="delegate")
@wallet_options
@delegate_option
@amount_option
@all_option
@subtensor_options
@no_prompt_option
def delegate_command(wallet_name, wallet_hotkey, wallet_path, delegate_ss58, amount, all_, subtensor_network,
                     subtensor_chain_endpoint, no_prompt) -> None:
    """Delegate Stake to an account."""
    from bt_llm.balance import Balance

    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=False)
    delegate = _delegate_hotkey(delegate_ss58, no_prompt)
    coldkey = wallet.coldkeypub.ss58_address
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        if not subtensor.is_hotkey_delegate(delegate):
            raise ConfigError(f"{delegate} is not a delegate")
        balance = subtensor.get_balance(coldkey)
        if all_:
            value = Balance.from_rao(max(0, balance.rao - subtensor.get_existential_deposit().rao - 1_000_000))
        else:
            value = _amount(amount, no_prompt=no_prompt, what="delegate")
        _enough(balance, value, "delegate")
        confirm(f"Do you want to delegate:\n  amount: {value}\n  to: {delegate}", no_prompt=no_prompt)
        with console().status(f"Delegating {value} to {delegate}..."):
            subtensor.delegate(wallet, delegate, value)
        stake = subtensor.get_stake_for_coldkey_and_hotkey(delegate, coldkey)
    finally:
        subtensor.close()
    _done(f"Delegated; your stake on {delegate} is now {stake}")


@click.command(name="undelegate")
@wallet_options
@delegate_option
@amount_option
@all_option
@subtensor_options
@no_prompt_option
def undelegate_command(wallet_name, wallet_hotkey, wallet_path, delegate_ss58, amount, all_, subtensor_network,
                       subtensor_chain_endpoint, no_prompt) -> None:
    """Undelegate Stake from an account."""
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=False)
    delegate = _delegate_hotkey(delegate_ss58, no_prompt)
    _unstake(wallet, delegate, amount, all_, subtensor_network, subtensor_chain_endpoint, no_prompt)


def _delegate_table(title: str, rows: list[tuple[Any, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in ("INDEX", "DELEGATE", "OWNER", "NOMINATORS", "TOTAL STAKE(τ)", "TAKE", "SUBNETS", "VPERMIT",
                   "24h/kτ", "MY STAKE"):
        table.add_column(column, no_wrap=True)
    for index, (delegate, mine) in enumerate(rows):
        table.add_row(str(index), delegate.hotkey_ss58, delegate.owner_ss58, str(len(delegate.nominators)),
                      tao(delegate.total_stake_rao), f"{delegate.take * 100:.2f}%",
                      ",".join(map(str, delegate.registrations)), ",".join(map(str, delegate.validator_permits)),
                      tao(delegate.return_per_1000_rao), "" if mine is None else str(mine))
    return table


@click.command(name="list_delegates")
@subtensor_options
def list_delegates_command(subtensor_network, subtensor_chain_endpoint) -> None:
    """List all delegates on the network."""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        delegates = sorted(subtensor.get_delegates(), key=lambda d: d.total_stake_rao, reverse=True)
    finally:
        subtensor.close()
    console().print(_delegate_table(f"Delegates on {subtensor.network}: {len(delegates)}",
                                    [(d, None) for d in delegates]))


@click.command(name="my_delegates")
@wallet_options
@subtensor_options
@no_prompt_option
def my_delegates_command(wallet_name, wallet_hotkey, wallet_path, subtensor_network, subtensor_chain_endpoint,
                         no_prompt) -> None:
    """Show all delegates where I am delegating a positive amount of stake."""
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=False)
    coldkey = wallet.coldkeypub.ss58_address
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        delegated = [(d, mine) for d, mine in subtensor.get_delegated(coldkey) if mine]
    finally:
        subtensor.close()
    console().print(_delegate_table(f"Delegations of {wallet.name}:{coldkey}", delegated))
    if not delegated:
        console().print("[yellow]This wallet delegates to no one.[/yellow]")


__all__ = [
    "delegate_command", "list_delegates_command", "my_delegates_command", "nominate_command",
    "stake_command", "transfer_command", "undelegate_command", "unstake_command",
]

"""btcli funds and stake: ``transfer``, ``stake``, ``unstake``, ``nominate``, ``delegate``,
``undelegate``, ``list_delegates``, ``my_delegates``.

Every write asks for confirmation unless ``--no_prompt``, then waits for the block that includes it
and prints the balance or stake before and after. A chain refusal is one red line with the pallet
error's name (``ExtrinsicFailedError``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from bt_llm.cli.shared import Column, Listing, emit
from bt_llm.errors import ConfigError

if TYPE_CHECKING:
    from bt_llm.chain.subtensor import Subtensor
    from bt_llm.seams import Wallet


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


def _check_stake_target(subtensor: Subtensor, hotkey: str, coldkey: str) -> None:
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


amount_option = click.option("--amount", default=None, metavar="TAO", help="Amount in τ. (default: asked)")
all_option = click.option("--all", "all_", is_flag=True, help="Use everything available.")


@click.command(name="transfer")
@wallet_options
@click.option("--dest", default=None, metavar="SS58", help="Destination address. (default: asked)")
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


hotkeys_option = click.option(
    "--hotkeys", "--exclude_hotkeys", "--wallet.hotkeys", "--wallet.exclude_hotkeys", "hotkeys", multiple=True,
    metavar="NAME|SS58", help="These hotkeys (names of the wallet's or ss58), --hotkeys hk1 hk2; with --all_hotkeys, "
                              "all but these. (default: --wallet.hotkey)")
all_hotkeys_option = click.option("--all_hotkeys", "--wallet.all_hotkeys", "all_hotkeys", is_flag=True,
                                  help="Every hotkey of the wallet, less those given to --hotkeys. (default: off)")
uid_option = click.option("--uid", "uid", type=int, default=None, hidden=False,
                          help="Accepted as bittensor 5.3.4 accepted it, with no effect (it never read it); name "
                               "hotkeys with --wallet.hotkey, --hotkeys or --hotkey_ss58. (default: none)")


def _max_stake_option(what: str) -> Any:
    return click.option("--max_stake", "max_stake", type=click.FloatRange(min=0), default=None, metavar="TAO",
                        help=f"{what} (default: none: --amount or --all)")


def _wallet_and_targets(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
                        hotkey_ss58: str | None, hotkeys: tuple[str, ...], all_hotkeys: bool, uid: int | None,
                        no_prompt: bool) -> tuple[Wallet, list[tuple[str, str]]]:
    """The wallet and the (name, hotkey) pairs that ``stake`` and ``unstake`` go to."""
    _uid_note(uid)
    if hotkey_ss58:
        check_ss58(hotkey_ss58, "--hotkey_ss58")
    many = bool(hotkeys or all_hotkeys)
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=not (many or hotkey_ss58))
    return wallet, _targets(wallet, hotkey_ss58, hotkeys, all_hotkeys)


def _targets(wallet: Wallet, hotkey_ss58: str | None, hotkeys: tuple[str, ...], all_hotkeys: bool) -> list[tuple[str, str]]:
    """``[(label, hotkey ss58)]`` to stake to or unstake from, chosen as bittensor 5.3.4 chose them."""
    from bt_llm.wallet.keypair import is_valid_ss58
    from bt_llm.wallet.wallet import Wallet

    def own(name: str) -> tuple[str, str]:
        return name, Wallet(name=wallet.name, hotkey=name, path=str(wallet.path)).hotkeypub.ss58_address

    if hotkey_ss58:
        return [(hotkey_ss58, check_ss58(hotkey_ss58, "--hotkey_ss58"))]
    if all_hotkeys:
        targets = [t for t in (own(n) for n in wallet.hotkey_names() if n not in hotkeys) if t[1] not in hotkeys]
        if not targets:
            raise ConfigError(f"wallet {wallet.name} has no hotkeys left to use (--all_hotkeys less --hotkeys)")
        return targets
    if hotkeys:
        return [(h, h) if is_valid_ss58(h) else own(h) for h in hotkeys]
    return [own(wallet.hotkey_str)]


def _uid_note(uid: int | None) -> None:
    if uid is not None:
        click.secho("--uid has no effect (as in bittensor 5.3.4): name hotkeys with --wallet.hotkey, --hotkeys or "
                    "--hotkey_ss58", fg="yellow", err=True)


def _describe_plan(plan: list[tuple[str, str, Any]]) -> str:
    return "".join(f"\n  - {label if label == hotkey else f'{label}:{hotkey}'}: {value}" for label, hotkey, value in plan)


@click.command(name="stake")
@wallet_options
@amount_option
@all_option
@_max_stake_option("Stake on each hotkey up to this many τ in all (what it holds from this coldkey counts).")
@hotkeys_option
@all_hotkeys_option
@uid_option
@click.option("--hotkey_ss58", "--delegate_ss58", "hotkey_ss58", default=None, metavar="SS58",
              help="Stake to this hotkey instead of the wallet's. (default: the wallet's hotkey)")
@subtensor_options
@no_prompt_option
def stake_command(wallet_name, wallet_hotkey, wallet_path, amount, all_, max_stake, hotkeys, all_hotkeys, uid,
                  hotkey_ss58, subtensor_network, subtensor_chain_endpoint, no_prompt) -> None:
    """Stake to your hotkey accounts."""
    from bt_llm.balance import Balance

    wallet, targets = _wallet_and_targets(wallet_name, wallet_hotkey, wallet_path, hotkey_ss58, hotkeys, all_hotkeys,
                                          uid, no_prompt)
    coldkey = wallet.coldkeypub.ss58_address
    value = None if (all_ or max_stake is not None) else _amount(amount, no_prompt=no_prompt, what="stake")
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        balance = subtensor.get_balance(coldkey)
        spendable = Balance.from_rao(max(0, balance.rao - subtensor.get_existential_deposit().rao - 1_000_000))
        plan: list[tuple[str, str, Any]] = []
        left = spendable if (all_ or max_stake is not None) else balance
        for label, hotkey in targets:
            try:
                _check_stake_target(subtensor, hotkey, coldkey)
            except ConfigError as exc:
                if len(targets) == 1:
                    raise
                click.secho(f"Skipping: {exc}", fg="yellow", err=True)
                continue
            if max_stake is not None:
                held = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
                want = Balance.from_rao(min(Balance.from_tao(max_stake).rao - held.rao, left.rao))
                if want.rao <= 10_000:  # 0.00001 τ, as 5.3.4: already at --max_stake
                    continue
            elif all_:
                want = Balance.from_rao(left.rao // max(1, len(targets) - len(plan)))
            else:
                want = value
            plan.append((label, hotkey, want))
            left = Balance.from_rao(left.rao - want.rao)
        if not plan:
            raise ConfigError("nothing to stake: not enough balance, or every hotkey already holds --max_stake")
        _enough(balance, Balance.from_rao(sum(v.rao for _, _, v in plan)), "stake")
        before = {hotkey: subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey) for _, hotkey, _ in plan}
        confirm(f"Do you want to stake from {wallet.name}:" + _describe_plan(plan) if len(plan) > 1 else
                f"Do you want to stake:\n  amount: {plan[0][2]}\n  to: {plan[0][1]}", no_prompt=no_prompt)
        for _, hotkey, want in plan:
            with console().status(f"Staking {want} to {hotkey}..."):
                subtensor.add_stake(wallet, want, hotkey)
        after = {hotkey: subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey) for hotkey in before}
        balance_after = subtensor.get_balance(coldkey)
    finally:
        subtensor.close()
    _done("Finalized")
    stakes = "".join(f"\n  {h + ' ' if len(before) > 1 else ''}{before[h]} :arrow_right: "
                     f"{after[h]}" for h in before)
    console().print(f"Balance:\n  {balance} :arrow_right: {balance_after}\nStake:{stakes}")


@click.command(name="unstake")
@wallet_options
@amount_option
@all_option
@_max_stake_option("Unstake down to this many τ left on each hotkey.")
@hotkeys_option
@all_hotkeys_option
@uid_option
@click.option("--hotkey_ss58", "--hotkey_ss58address", "--delegate_ss58", "hotkey_ss58", default=None, metavar="SS58",
              help="Unstake from this hotkey instead of the wallet's. (default: the wallet's hotkey)")
@subtensor_options
@no_prompt_option
def unstake_command(wallet_name, wallet_hotkey, wallet_path, amount, all_, max_stake, hotkeys, all_hotkeys, uid,
                    hotkey_ss58, subtensor_network, subtensor_chain_endpoint, no_prompt) -> None:
    """Unstake from hotkey accounts."""
    wallet, targets = _wallet_and_targets(wallet_name, wallet_hotkey, wallet_path, hotkey_ss58, hotkeys, all_hotkeys,
                                          uid, no_prompt)
    _unstake(wallet, targets, amount, all_, subtensor_network, subtensor_chain_endpoint, no_prompt,
             max_stake=max_stake)


def _unstake(wallet: Wallet, targets: list[tuple[str, str]], amount: str | None, all_: bool, network: str | None,
             endpoint: str | None, no_prompt: bool, *, max_stake: float | None = None) -> None:
    from bt_llm.balance import Balance

    coldkey = wallet.coldkeypub.ss58_address
    value = None if (all_ or max_stake is not None) else _amount(amount, no_prompt=no_prompt, what="unstake")
    subtensor = make_subtensor(network, endpoint)
    try:
        plan: list[tuple[str, str, Any]] = []
        before: dict[str, Any] = {}
        for label, hotkey in targets:
            held = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey)
            before[hotkey] = held
            if max_stake is not None:
                want = Balance.from_rao(held.rao - Balance.from_tao(max_stake).rao)
                if want.rao <= 0:
                    continue  # already at or under --max_stake
            elif all_:
                want = held
            else:
                want = value
            if not want or held.rao < want.rao:
                if len(targets) == 1:
                    if not want:
                        raise ConfigError(f"no stake of {coldkey} on {hotkey}")
                    _enough(held, want, f"unstake from {hotkey} (your stake there)")
                click.secho(f"Skipping {hotkey}: it holds {held} of yours", fg="yellow", err=True)
                continue
            plan.append((label, hotkey, want))
        if not plan:
            raise ConfigError("nothing to unstake" + (": every hotkey is at or under --max_stake"
                                                       if max_stake is not None else ""))
        balance = subtensor.get_balance(coldkey)
        confirm(f"Do you want to unstake from {wallet.name}:" + _describe_plan(plan) if len(plan) > 1 else
                f"Do you want to unstake:\n  amount: {plan[0][2]}\n  from: {plan[0][1]}", no_prompt=no_prompt)
        for _, hotkey, want in plan:
            with console().status(f"Unstaking {want} from {hotkey}..."):
                subtensor.unstake(wallet, want, hotkey)
        after = {hotkey: subtensor.get_stake_for_coldkey_and_hotkey(hotkey, coldkey) for _, hotkey, _ in plan}
        balance_after = subtensor.get_balance(coldkey)
    finally:
        subtensor.close()
    _done("Finalized")
    stakes = "".join(f"\n  {h + ' ' if len(after) > 1 else ''}{before[h]} :arrow_right: {after[h]}" for h in after)
    console().print(f"Balance:\n  {balance} :arrow_right: {balance_after}\nStake:{stakes}")


# the options of every hotkey write (as senate_register): alike by design, bittensor's flags
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
                               metavar="SS58", help="The delegate's hotkey. (default: asked)")


def _wallet_and_delegate(wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
                         delegate_ss58: str | None, no_prompt: bool) -> tuple[Wallet, str]:
    """The wallet (no hotkey asked), then the delegate from ``--delegate_ss58``, else asked for; checked as an
    ss58 address."""
    wallet = _wallet(wallet_name, wallet_hotkey, wallet_path, no_prompt, ask_hotkey=False)
    delegate = delegate_ss58 or (None if no_prompt else click.prompt("Enter the delegate's hotkey (ss58)"))
    if not delegate:
        raise ConfigError("--delegate_ss58 is required with --no_prompt")
    return wallet, check_ss58(delegate, "--delegate_ss58")


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

    wallet, delegate = _wallet_and_delegate(wallet_name, wallet_hotkey, wallet_path, delegate_ss58, no_prompt)
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


# the same options as delegate by design: the two are a pair of btcli commands with bittensor's flags
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
    wallet, delegate = _wallet_and_delegate(wallet_name, wallet_hotkey, wallet_path, delegate_ss58, no_prompt)
    _unstake(wallet, [(delegate, delegate)], amount, all_, subtensor_network, subtensor_chain_endpoint, no_prompt)


DELEGATE_COLUMNS = (
    Column("INDEX", justify="right", priority=3), Column("DELEGATE", key=True, json_name="hotkey"),
    Column("OWNER", key=True, priority=2), Column("NOMINATORS", justify="right", priority=1),
    Column("TOTAL STAKE(τ)", tao, justify="right", json_name="total_stake_rao"),
    Column("TAKE", lambda v: f"{v * 100:.2f}%", justify="right"),
    Column("SUBNETS", lambda v: ",".join(map(str, v)), priority=2, json_name="registrations"),
    Column("VPERMIT", lambda v: ",".join(map(str, v)), priority=3, json_name="validator_permits"),
    Column("24h/kτ", tao, justify="right", priority=1, json_name="return_per_1000_rao"),
    Column("MY STAKE", lambda v: "" if v is None else tao(v), justify="right", json_name="my_stake_rao"),
)


def _delegate_listing(title: str, rows: list[tuple[Any, Any]]) -> Listing:
    return Listing(title, DELEGATE_COLUMNS, [
        [index, d.hotkey_ss58, d.owner_ss58, len(d.nominators), d.total_stake_rao, d.take, list(d.registrations),
         list(d.validator_permits), d.return_per_1000_rao, None if mine is None else mine.rao] for index, (d, mine) in enumerate(rows)])


@click.command(name="list_delegates")
@subtensor_options
def list_delegates_command(subtensor_network, subtensor_chain_endpoint) -> None:
    """List all delegates on the network."""
    subtensor = make_subtensor(subtensor_network, subtensor_chain_endpoint)
    try:
        delegates = sorted(subtensor.get_delegates(), key=lambda d: d.total_stake_rao, reverse=True)
    finally:
        subtensor.close()
    emit(_delegate_listing(f"Delegates on {subtensor.network}: {len(delegates)}", [(d, None) for d in delegates]))


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
    emit(_delegate_listing(f"Delegations of {wallet.name}:{coldkey}", delegated),
         notes=() if delegated else ["[yellow]This wallet delegates to no one.[/yellow]"])


__all__ = [
    "delegate_command", "list_delegates_command", "my_delegates_command", "nominate_command",
    "stake_command", "transfer_command", "undelegate_command", "unstake_command",
]

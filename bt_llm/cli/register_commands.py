"""btcli ``register`` (proof of work) and ``recycle_register`` (burn τ) for a wallet's hotkey.

``register`` shows the subnet's difficulty, asks for confirmation unless ``--no_prompt``, solves the
proof of work on all cores (or a GPU with ``--cuda``) behind a live display (difficulty, block, hash
rate, nonces tried, elapsed, and a line whenever stale work is dropped), submits the extrinsic and
prints the uid. ``recycle_register`` shows the burn cost and the balance, burns and prints the uid.
Both stop early, saying so, when the hotkey already holds a uid on the subnet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bt_llm.cli.chain_options import confirm, console, make_subtensor, netuid_option, subtensor_options
from bt_llm.cli.options import no_prompt_option, wallet_from_options, wallet_options
from bt_llm.errors import ChainError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from bt_llm.chain.subtensor import Subtensor


def _register_once(network: str | None, endpoint: str | None, netuid: int, hotkey: str,
                   register: Callable[[Subtensor], None]) -> None:
    """What ``register`` and ``recycle_register`` share: connect, check the subnet exists, stop (saying so)
    when ``hotkey`` already holds a uid there, else run ``register`` (asks, submits, prints) and print the uid."""
    subtensor = make_subtensor(network, endpoint)
    try:
        if not subtensor.subnet_exists(netuid):
            raise ChainError(f"subnet {netuid} does not exist")
        uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, netuid)
        if uid is not None:
            console().print(f":white_heavy_check_mark: [green]Already registered[/green] on netuid {netuid}: "
                            f"uid {uid} ({hotkey})")
            return
        register(subtensor)
        uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, netuid)
        if uid is None:
            raise ChainError(f"the extrinsic went through but {hotkey} holds no uid on subnet {netuid}")
        console().print(f":white_heavy_check_mark: [green]Registered[/green] on netuid {netuid}: uid {uid}")
    finally:
        subtensor.close()


@click.command(name="register")
@wallet_options
@netuid_option()
@click.option("--cuda", "--cuda.use_cuda", "cuda", is_flag=True, default=False,
              help="Solve the proof of work on a CUDA GPU.")
@click.option("--cuda.dev_id", "cuda_dev_id", type=int, default=0, show_default=True, help="The CUDA device.")
@click.option("--cuda.tpb", "--cuda.TPB", "cuda_tpb", type=int, default=256, show_default=True,
              help="CUDA threads per block.")
@click.option("--processes", "--num_processes", "processes", type=int, default=None,
              help="CPU threads (default: all cores).")
@click.option("--update_interval", "--pow_register.update_interval", "update_interval", type=int, default=50_000,
              show_default=True, help="Nonces per thread (CUDA: blocks) between checks for a new block.")
@subtensor_options
@no_prompt_option
def register_command(wallet_name, wallet_hotkey, wallet_path, netuid, cuda, cuda_dev_id, cuda_tpb, processes,
                     update_interval, subtensor_network, subtensor_chain_endpoint, no_prompt) -> None:
    """Register a wallet to a network."""
    from bt_llm.registration.progress import ProgressDisplay, rate

    if processes is not None and processes < 1:
        raise ConfigError(f"--processes must be positive, got {processes}")
    if update_interval < 1:
        raise ConfigError(f"--update_interval must be positive, got {update_interval}")
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    hotkey = wallet.hotkey.ss58_address

    def solve_and_register(subtensor: Subtensor) -> None:
        difficulty = subtensor.difficulty(netuid)
        confirm(f"Register {hotkey} on netuid {netuid} by proof of work at difficulty {difficulty:,}?",
                no_prompt=no_prompt)
        with ProgressDisplay(console()) as display:
            result = subtensor.register(wallet, netuid, processes=processes, update_interval=update_interval,
                                        cuda=cuda, dev_id=cuda_dev_id, tpb=cuda_tpb, progress=display)
        if display.last is not None:
            console().print(f"Solved in {display.last.elapsed_s:.1f} s at {rate(display.last.hash_rate)} "
                            f"({display.last.nonces_tried:,} nonces, {display.stale_drops} stale blocks dropped)")
        console().print(f"Extrinsic {result.extrinsic_hash} in block {result.block_hash}")

    _register_once(subtensor_network, subtensor_chain_endpoint, netuid, hotkey, solve_and_register)


@click.command(name="recycle_register")
@wallet_options
@netuid_option()
@subtensor_options
@no_prompt_option
def recycle_register_command(wallet_name, wallet_hotkey, wallet_path, netuid, subtensor_network,
                             subtensor_chain_endpoint, no_prompt) -> None:
    """Register a wallet to a network."""
    wallet = wallet_from_options(wallet_name, wallet_hotkey, wallet_path, no_prompt=no_prompt, ask_hotkey=True)
    hotkey = wallet.hotkey.ss58_address
    coldkey = wallet.coldkeypub.ss58_address

    def burn_and_register(subtensor: Subtensor) -> None:
        burn = subtensor.burn(netuid)
        before = subtensor.get_balance(coldkey)
        confirm(f"Your balance is: {before}\nThe cost to register by recycle is {burn}\n"
                f"Do you want to continue?", no_prompt=no_prompt, default=False)
        with console().status(f"Recycling {burn} to register on netuid {netuid}..."):
            result = subtensor.burned_register(wallet, netuid)
        after = subtensor.get_balance(coldkey)
        console().print(f"Extrinsic {result.extrinsic_hash} in block {result.block_hash}")
        console().print(f"Balance:\n  {before} :arrow_right: {after}")

    _register_once(subtensor_network, subtensor_chain_endpoint, netuid, hotkey, burn_and_register)

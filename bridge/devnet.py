"""A whole Bittensor network on one machine: localnet node, wallets, miners, the bridge.

Used by ``make demo`` (examples/demo.py), the end-to-end tests and the benchmarks. Everything listens
on 127.0.0.1; wallets and chain state live under one folder.

Example::

    with Devnet(root) as net:
        net.start_node()
        miner = net.wallet("miner1", coldkey_uri="//Alice", hotkey_uri="//Alice/miner1")
        net.register(miner)
        net.start_miner("template", miner, "--template.reply", "hi")
        bridge = net.start_bridge(net.wallet("bridge", coldkey_uri="//Bob", hotkey_uri="//Bob/bridge"))
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bt_llm.bridge.config import BridgeConfig
from bt_llm.bridge.service import BridgeService
from bt_llm.errors import BtLlmError, ConfigError
from bt_llm.seams import Wallet

if TYPE_CHECKING:
    from bt_llm.chain.subtensor import Subtensor

log = logging.getLogger("bridge.devnet")

REPO = Path(__file__).resolve().parents[1]
TAO = 10**9


def dev_wallet(wallet_path: Path, name: str, *, coldkey_uri: str, hotkey_uri: str) -> Any:
    """A wallet under ``wallet_path`` with keys derived from dev URIs (unencrypted, rewritten each time)."""
    from bt_llm.wallet.wallet import Wallet as WalletFiles

    wallet = WalletFiles(name=name, hotkey="default", path=str(wallet_path))
    wallet.create_coldkey_from_uri(coldkey_uri, use_password=False, overwrite=True, suppress=True)
    wallet.create_hotkey_from_uri(hotkey_uri, use_password=False, overwrite=True, suppress=True)
    return wallet


def register(subtensor: Subtensor, wallet: Wallet, netuid: int) -> int:
    """Burned registration on ``netuid`` (nothing when already registered); returns the uid."""
    hotkey = wallet.hotkey.ss58_address
    uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, netuid)
    if uid is None:
        subtensor.burned_register(wallet, netuid, wait_for_inclusion=True, wait_for_finalization=True)
        uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, netuid)
    if uid is None:
        raise BtLlmError(f"{hotkey} is not registered after burned_register")
    return int(uid)


def make_validator(subtensor: Subtensor, wallet: Wallet, netuid: int, stake_tao: float) -> int:
    """Register ``wallet`` on ``netuid``, stake ``stake_tao`` on its hotkey (when it has less) and nominate it."""
    uid = register(subtensor, wallet, netuid)
    hotkey = wallet.hotkey.ss58_address
    have = subtensor.get_stake_for_coldkey_and_hotkey(hotkey, wallet.coldkeypub.ss58_address).rao
    if have < stake_tao * TAO:
        subtensor.add_stake(wallet, stake_tao, hotkey, wait_for_inclusion=True)
    if not subtensor.is_hotkey_delegate(hotkey):
        subtensor.nominate(wallet, wait_for_inclusion=True)
    return uid


def serving_axons(subtensor: Subtensor, netuid: int) -> dict[str, tuple[str, int]]:
    """The hotkeys on ``netuid`` whose axon is served on chain, each with its address (ip, port)."""
    from bt_llm.chain.metagraph import Metagraph

    metagraph = Metagraph(netuid, subtensor=subtensor, lite=True, sync=True)
    return {h: (a.ip, a.port) for h, a in zip(metagraph.hotkeys, metagraph.axons, strict=False) if a.is_serving}


def serving_hotkeys(subtensor: Subtensor, netuid: int) -> set[str]:
    """The hotkeys on ``netuid`` whose axon is served on chain."""
    return set(serving_axons(subtensor, netuid))


def miner_command(template: str | Path, wallet: Wallet, netuid: int, url: str, wallet_path: Path, *args: str) -> list[str]:
    """The command running ``miners/<template>/neuron.py`` (or the script at path ``template``) for ``wallet``."""
    script = template if isinstance(template, Path) else REPO / "miners" / template / "neuron.py"
    if not script.exists():
        raise ConfigError(f"no miner template {template!r} ({script} is missing)")
    return [sys.executable, str(script), "--netuid", str(netuid), "--wallet.name", wallet.name,
            "--wallet.hotkey", "default", "--wallet.path", str(wallet_path), "--subtensor.chain_endpoint", url,
            "--axon.port", "0", "--neuron.sync_every", "5", *args]


def child_env(*, quiet: bool = False) -> dict[str, str]:
    """The environment of a child process: unbuffered output; ``quiet``: no progress bars."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if quiet:
        env.update(HF_HUB_DISABLE_PROGRESS_BARS="1", TQDM_DISABLE="1", TRANSFORMERS_VERBOSITY="error")
    return env


@dataclass
class MinerProcess:
    name: str
    hotkey: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class Devnet:
    """Start parts with the ``start_*`` methods; :meth:`stop` (or leaving ``with``) stops them all."""

    root: Path
    netuid: int = 1
    tempo: int = 10
    block_time: float = 0.5
    manual_seal: bool = False
    node: Any = None
    miners: list[MinerProcess] = field(default_factory=list)
    bridges: list[BridgeService] = field(default_factory=list)
    _subtensor: Subtensor | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.wallet_path = self.root / "wallets"
        self.wallet_path.mkdir(parents=True, exist_ok=True)

    # ---- the chain ----------------------------------------------------------------------------
    def start_node(self, *, state_dir: Path | None = None) -> str:
        """Start the localnet node with a short tempo (epochs every ``tempo + 1`` blocks)."""
        from bt_llm.localnet.genesis import GenesisConfig, SubnetConfig
        from bt_llm.localnet.node.app import LocalnetNode

        genesis = GenesisConfig.localnet(subnets=(SubnetConfig(netuid=self.netuid, tempo=self.tempo),))
        self.node = LocalnetNode(port=0, block_time=self.block_time, manual_seal=self.manual_seal,
                                 instant_seal=self.manual_seal, genesis=genesis, state_dir=state_dir).start()
        return self.url

    @property
    def url(self) -> str:
        if self.node is None:
            raise ConfigError("the devnet node is not started")
        return self.node.url

    @property
    def subtensor(self) -> Any:
        if self._subtensor is None:
            from bt_llm.chain.subtensor import Subtensor

            self._subtensor = Subtensor(chain_endpoint=self.url)
        return self._subtensor

    def wait_blocks(self, count: int, timeout: float | None = None) -> int:
        """Wait until ``count`` more blocks exist (sealing them at once under manual sealing)."""
        start = self.subtensor.get_current_block()
        if self.manual_seal:
            self.node.seal(count)
            return self.subtensor.get_current_block()
        deadline = time.monotonic() + (timeout if timeout is not None else count * self.block_time * 4 + 10)
        while (block := self.subtensor.get_current_block()) < start + count:
            if time.monotonic() > deadline:
                raise BtLlmError(f"the chain did not advance {count} blocks in time")
            time.sleep(self.block_time / 2)
        return block

    # ---- wallets and registration ---------------------------------------------------------------
    def wallet(self, name: str, *, coldkey_uri: str, hotkey_uri: str) -> Any:
        """A wallet under the devnet folder with keys derived from dev URIs (unencrypted)."""
        return dev_wallet(self.wallet_path, name, coldkey_uri=coldkey_uri, hotkey_uri=hotkey_uri)

    def register(self, wallet: Wallet) -> int:
        """Burned registration on the devnet's subnet; returns the uid."""
        return register(self.subtensor, wallet, self.netuid)

    # ---- miners and the bridge ------------------------------------------------------------------
    def start_miner(self, template: str | Path, wallet: Wallet, *args: str, timeout: float = 180.0,
                    wait: bool = True) -> MinerProcess:
        """Run ``miners/<template>/neuron.py`` (or the miner script at path ``template``) as a process;
        returns once its axon is on chain.

        With ``wait=False`` it returns at once: start several, then :meth:`wait_for_miners`.
        """
        command = miner_command(template, wallet, self.netuid, self.url, self.wallet_path, *args)
        log_path = self.root / f"miner-{wallet.name}.log"
        env = child_env()
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        miner = MinerProcess(name=wallet.name, hotkey=wallet.hotkey.ss58_address, process=process, log_path=log_path)
        self.miners.append(miner)
        if wait:
            self.wait_for_miners([miner], timeout)
        return miner

    def wait_for_miners(self, miners: list[MinerProcess] | None = None, timeout: float = 180.0) -> None:
        """Wait until every miner serves its axon on chain (raises with its log if one exits)."""
        waiting = list(miners if miners is not None else self.miners)
        deadline = time.monotonic() + timeout
        while waiting:
            for miner in waiting:
                if miner.process.poll() is not None:
                    tail = miner.log_path.read_text(errors="replace")[-2000:]
                    raise BtLlmError(f"miner {miner.name} exited with {miner.process.returncode}:\n{tail}")
            serving = serving_hotkeys(self.subtensor, self.netuid)
            waiting = [m for m in waiting if m.hotkey not in serving]
            if not waiting:
                return
            if time.monotonic() > deadline:
                names = ", ".join(m.name for m in waiting)
                raise BtLlmError(f"miners {names} did not serve their axons within {timeout:.0f} s")
            if self.manual_seal:
                self.node.seal(1)
            time.sleep(0.5)

    def start_bridge(self, wallet: Wallet, *, stake_tao: float = 100.0, **settings: Any) -> BridgeService:
        """Register, stake, nominate and start a bridge (a validator and delegate endpoint)."""
        make_validator(self.subtensor, wallet, self.netuid, stake_tao)
        options = dict(netuid=self.netuid, chain_endpoint=self.url, port=0, axon_port=0, metagraph_refresh=2.0,
                       weights_interval=self.tempo, scorer="lexical")
        options.update(settings)
        config = BridgeConfig.from_sources(None, **options)
        bridge = BridgeService(config, wallet=wallet, subtensor=self.subtensor).start()
        self.bridges.append(bridge)
        self.wait_until_miners_accept(wallet)
        return bridge

    def wait_until_miners_accept(self, wallet: Wallet, timeout: float = 60.0) -> None:
        """Wait until every running miner has synced its metagraph past ``wallet``'s registration.

        Miners refuse hotkeys they don't know yet (403) and resync every few blocks; under manual
        sealing blocks only come when sealed, so this seals them while it waits.
        """
        import asyncio

        from bt_llm.chain.metagraph import Metagraph
        from bt_llm.dendrite.client import Dendrite
        from bt_llm.protocol.synapses import TextPrompting

        mine = {m.hotkey for m in self.miners}
        metagraph = Metagraph(self.netuid, subtensor=self.subtensor, lite=True, sync=True)
        axons = [a for h, a in zip(metagraph.hotkeys, metagraph.axons, strict=False) if h in mine and a.is_serving]
        deadline = time.monotonic() + timeout

        async def refused() -> int:
            async with Dendrite(wallet) as dendrite:
                answers = await dendrite.forward(axons, TextPrompting(roles=["user"], messages=["ping"]), timeout=10,
                                                 deserialize=False)
            return sum(1 for a in answers if a.dendrite.status_code == 403)

        while axons and asyncio.run(refused()):
            if time.monotonic() > deadline:
                raise BtLlmError(f"miners still refuse {wallet.hotkey.ss58_address} after {timeout:.0f} s")
            if self.manual_seal:
                self.node.seal(1)
            time.sleep(0.5)

    # ---- lifecycle ------------------------------------------------------------------------------
    def stop(self) -> None:
        for bridge in self.bridges:
            bridge.stop()
        for miner in self.miners:
            miner.stop()
        if self._subtensor is not None:
            self._subtensor.close()
        if self.node is not None:
            self.node.stop()

    def __enter__(self) -> Devnet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

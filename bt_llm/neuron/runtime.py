"""``Neuron``: runs a :class:`~bt_llm.neuron.miner.Miner` on a subnet.

``start()``: load the wallet, connect to the chain, check the hotkey is registered (a clear message
with the ``btcli register`` line when not), take a metagraph snapshot, start the axon with the
miner's handlers behind the blacklist/priority policy, and announce it on chain (``serve_axon``).
``run()``: ``start()``, then resync the metagraph every ``sync_every`` blocks until ``stop()`` or
SIGINT/SIGTERM, then stop the axon and close everything.

Example:
    >>> class Hello(Miner):
    ...     def forward(self, messages, params):
    ...         return "hello im a chat bot."
    >>> neuron = Neuron(Hello(), NeuronConfig(netuid=1))   # doctest: +SKIP
    >>> neuron.run()                                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from bt_llm.errors import ChainError, ConfigError, ExtrinsicFailedError, KeyFileError, RegistrationError
from bt_llm.neuron.config import NeuronConfig
from bt_llm.neuron.handlers import build_handlers
from bt_llm.neuron.miner import Miner
from bt_llm.neuron.policy import CallerPolicy
from bt_llm.seams import ChainClient, Metagraph, Wallet

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon

__all__ = ["Neuron", "not_registered_message"]

log = logging.getLogger("bt_llm.neuron")

POLL_SECONDS = 1.0


def not_registered_message(hotkey: str, config: NeuronConfig, endpoint: str) -> str:
    """What to tell someone whose hotkey is not on the subnet, with the command that fixes it."""
    flags = (f"--netuid {config.netuid} --wallet.name {config.wallet_name} --wallet.hotkey {config.wallet_hotkey}"
             f" --subtensor.chain_endpoint {endpoint}")
    if config.wallet_path is not None:
        flags += f" --wallet.path {config.wallet_path}"
    return (
        f"Hotkey {hotkey} (wallet {config.wallet_name!r}, hotkey {config.wallet_hotkey!r}) is not registered "
        f"on subnet {config.netuid} at {endpoint}. Register it first:\n"
        f"    btcli register {flags}\n"
        f"or, burning TAO instead of solving proof of work:\n"
        f"    btcli recycle_register {flags}"
    )


def _is_local(endpoint: str) -> bool:
    return any(host in endpoint for host in ("127.0.0.1", "localhost", "[::1]", "0.0.0.0"))


class Neuron:
    """A miner on a subnet: wallet, chain client, metagraph snapshot, axon.

    Args:
        miner: what answers requests, or a function making it: then the model loads only once the
            registration check passed.
        config: flags and settings.
        wallet: a ready wallet (default: ``Wallet(config.wallet_name, config.wallet_hotkey, config.wallet_path)``).
        subtensor: a ready chain client (default: from ``config.subtensor_*``).

    Attributes (after :meth:`start`): ``wallet``, ``subtensor``, ``metagraph`` (a lite
    :class:`~bt_llm.chain.metagraph.Metagraph`, resynced every ``sync_every`` blocks), ``uid``, ``axon``.
    """

    def __init__(self, miner: Miner | Callable[[], Miner], config: NeuronConfig, *, wallet: Wallet | None = None,
                 subtensor: ChainClient | None = None) -> None:
        self.miner: Any = miner
        self.config = config
        self.wallet = wallet
        self.subtensor = subtensor
        self.axon: Axon | None = None
        self.uid: int | None = None
        self.metagraph: Metagraph | None = None
        self.last_sync_block: int | None = None
        self.policy = CallerPolicy(allow_non_registered=config.blacklist_allow_non_registered,
                                   force_validator_permit=config.blacklist_force_validator_permit)
        self._stop = threading.Event()
        self._owns_subtensor = subtensor is None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Neuron:
        """Check registration, start the axon and announce it on chain.

        Raises:
            RegistrationError: the hotkey is not registered on the subnet (the message says how to).
            ConfigError: the subnet does not exist, or the wallet has no hotkey.
            RpcError, ChainError: the chain could not be reached or refused ``serve_axon``.
        """
        cfg = self.config
        if self.wallet is None:
            from bt_llm.wallet.wallet import Wallet as WalletFiles

            self.wallet = WalletFiles(name=cfg.wallet_name, hotkey=cfg.wallet_hotkey, path=cfg.wallet_path)
        try:
            hotkey = self.wallet.hotkey.ss58_address
        except KeyFileError as exc:
            raise KeyFileError(
                f"{exc}\nCreate it with:\n    btcli new_hotkey --wallet.name {cfg.wallet_name} "
                f"--wallet.hotkey {cfg.wallet_hotkey}" + ("" if cfg.wallet_path is None
                                                          else f" --wallet.path {cfg.wallet_path}")
            ) from exc
        if self.subtensor is None:
            from bt_llm.chain.subtensor import Subtensor

            self.subtensor = Subtensor(network=cfg.subtensor_network, chain_endpoint=cfg.subtensor_chain_endpoint)
        endpoint = getattr(self.subtensor, "chain_endpoint", str(self.subtensor))
        if not self.subtensor.subnet_exists(cfg.netuid):
            raise ConfigError(f"subnet {cfg.netuid} does not exist at {endpoint}")
        self.uid = self.subtensor.get_uid_for_hotkey_on_subnet(hotkey, cfg.netuid)
        if self.uid is None:
            raise RegistrationError(not_registered_message(hotkey, cfg, endpoint))
        self.sync()
        if not isinstance(self.miner, Miner):
            self.miner = self.miner()

        from bt_llm.axon.server import Axon

        self.axon = Axon(wallet=self.wallet, ip=cfg.axon_ip, port=cfg.axon_port, external_ip=cfg.announced_ip,
                         external_port=cfg.axon_external_port, max_workers=cfg.max_workers)
        for forward_fn, blacklist_fn, priority_fn in build_handlers(self.miner, self.policy, self.wallet.hotkey):
            self.axon.attach(forward_fn, blacklist_fn, priority_fn)
        self.miner.neuron = self
        self.axon.start()
        try:
            self._announce()
        except BaseException:
            self.axon.stop()
            raise
        if cfg.announced_ip.startswith("127.") and not _is_local(endpoint):
            log.warning("announcing %s on %s: other machines cannot reach it; pass --axon.external_ip",
                        cfg.announced_ip, endpoint)
        log.info("%s serving on %s:%s (announced %s:%s) as uid %s on subnet %s at %s", self.miner.name,
                 cfg.axon_ip, self.axon.port, cfg.announced_ip, cfg.axon_external_port or self.axon.port,
                 self.uid, cfg.netuid, endpoint)
        return self

    def _announce(self) -> None:
        """``serve_axon`` unless the chain already holds this exact endpoint (a restart on a fixed port
        would otherwise hit the serving rate limit and refuse to start)."""
        wanted = self.axon.info()
        current = None
        if self.metagraph is not None and self.uid is not None:
            hotkeys = list(self.metagraph.hotkeys)
            if wanted.hotkey in hotkeys:
                current = self.metagraph.axons[hotkeys.index(wanted.hotkey)]
        if current is not None and (current.ip, current.port, current.version) == (wanted.ip, wanted.port,
                                                                                   wanted.version):
            log.info("axon %s:%s already announced on chain", wanted.ip, wanted.port)
            return
        try:
            self.subtensor.serve_axon(netuid=self.config.netuid, axon=self.axon)
        except ExtrinsicFailedError as exc:
            if "RateLimit" not in exc.error_name:
                raise
            raise ChainError(
                f"serve_axon refused ({exc.error_name}): the chain limits how often an endpoint may change. "
                f"Restart on the announced port ({current.port if current else 'see btcli overview'}) or wait "
                f"for the serving rate limit to pass."
            ) from exc

    def sync(self, block: int | None = None) -> None:
        """Resync the metagraph (lite: hotkeys, stake, permits, axons) and refresh the policy."""
        if self.metagraph is None:
            from bt_llm.chain.metagraph import Metagraph

            self.metagraph = Metagraph(self.config.netuid, sync=False, subtensor=self.subtensor)
        self.metagraph.sync(block=block)
        self.policy.refresh(self.metagraph)
        mine = self.wallet.hotkey.ss58_address
        hotkeys = list(self.metagraph.hotkeys)
        self.uid = int(self.metagraph.uids[hotkeys.index(mine)]) if mine in hotkeys else None
        self.last_sync_block = int(self.metagraph.block)
        log.debug("metagraph synced at block %s: %d neurons, own uid %s", self.last_sync_block,
                  len(hotkeys), self.uid)
        if self.uid is None:
            log.warning("hotkey %s is no longer registered on subnet %s (deregistered?)", mine, self.config.netuid)

    def step(self) -> None:
        """One pass of the main loop: resync when ``sync_every`` blocks have passed."""
        block = self.subtensor.get_current_block()
        if self.last_sync_block is None or block - self.last_sync_block >= self.config.sync_every:
            self.sync(block)

    def run(self, *, handle_signals: bool = True) -> None:
        """Start, then loop until :meth:`stop` or SIGINT/SIGTERM; always cleans up."""
        previous = self._install_signals() if handle_signals else {}
        try:
            self.start()
            while not self._stop.is_set():
                try:
                    self.step()
                except Exception as exc:  # a chain hiccup must not kill a serving miner
                    log.warning("metagraph sync failed: %s", exc)
                self._stop.wait(POLL_SECONDS)
        finally:
            self.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from any thread or a signal handler)."""
        self._stop.set()

    def close(self) -> None:
        """Stop the axon, release the miner and the chain connection."""
        started = time.perf_counter()
        served = self.axon is not None and self.axon.started
        # The miner first: a generation in progress ends now (its caller gets a 503) instead of the
        # axon waiting for it.
        if isinstance(self.miner, Miner):
            with contextlib.suppress(Exception):
                self.miner.close()
        if self.axon is not None:
            self.axon.stop()
        if self._owns_subtensor and self.subtensor is not None:
            with contextlib.suppress(Exception):
                self.subtensor.close()
        if served:
            log.info("%s stopped in %.2fs", getattr(self.miner, "name", "miner"), time.perf_counter() - started)

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s, stopping", signal.Signals(signum).name)
            self.stop()

        return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

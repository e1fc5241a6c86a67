"""The bridge process: a validator and a delegate endpoint in one.

:class:`BridgeService` wires the parts: the miner directory (metagraph), the network backend (fan-out
through a dendrite, scoring), the OpenAI-compatible HTTP API, the delegate axon for signed clients,
and the weights loop that sets the moving-average scores on chain every ``weights_interval`` blocks.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bt_llm.bridge.app import HttpSettings, create_app
from bt_llm.bridge.auth import RateLimiter, load_api_keys
from bt_llm.bridge.challenges import ChallengeLoop
from bt_llm.bridge.config import BridgeConfig
from bt_llm.bridge.dashboard import DashboardSource
from bt_llm.bridge.delegate_axon import attach_delegate_routes
from bt_llm.bridge.directory import MinerDirectory, snapshot_from_metagraph
from bt_llm.bridge.health import Check
from bt_llm.bridge.incentives import WorkScorer
from bt_llm.bridge.metrics import BridgeMetrics
from bt_llm.bridge.network_backend import NetworkBackend
from bt_llm.bridge.scoring import LexicalScorer, Scorer, default_scorer
from bt_llm.bridge.serve_thread import ServerThread
from bt_llm.bridge.verification import Verifier
from bt_llm.bridge.weights import ScoreBook, WeightRules, compute_weights
from bt_llm.errors import BtLlmError, ConfigError, ExtrinsicFailedError
from bt_llm.net import listen_socket
from bt_llm.seams import Metagraph, Wallet

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon
    from bt_llm.chain.subtensor import Subtensor

log = logging.getLogger("bridge")


class BridgeService:
    """Start with :meth:`start`, stop with :meth:`stop`; ``http_url`` and ``axon`` tell where it listens."""

    def __init__(self, config: BridgeConfig, *, wallet: Wallet | None = None, subtensor: Subtensor | None = None,
                 scorer: Scorer | None = None) -> None:
        self.config = config
        if wallet is None:
            from bt_llm.wallet.wallet import Wallet as WalletFiles

            wallet = WalletFiles(name=config.wallet_name, hotkey=config.wallet_hotkey, path=config.wallet_path)
        if subtensor is None:
            from bt_llm.chain.subtensor import Subtensor

            subtensor = Subtensor(network=config.network, chain_endpoint=config.chain_endpoint)
        self.wallet = wallet
        self.subtensor = subtensor
        self.hotkey = wallet.hotkey.ss58_address
        self.metrics = BridgeMetrics()
        self.scores = ScoreBook(alpha=config.score_alpha)
        keys = load_api_keys(Path(config.api_keys_file)) if config.api_keys_file else {}
        self.scorer: Scorer | None = scorer  # None: built by start(), once the cheap checks have passed
        self.directory = MinerDirectory(self._load_snapshot, self.scores, refresh_seconds=config.metagraph_refresh,
                                        on_refresh_failure=self.metrics.record_refresh_failure)
        self.metrics.count_serving_miners(lambda: len(self.directory.serving()))
        self.metagraph: Metagraph | None = None  # the last metagraph read (for the dashboard)
        self.http_settings = HttpSettings(api_keys=keys, rate_limit_per_minute=config.rate_limit_per_minute,
                                          max_body_bytes=config.max_body_bytes)
        self._http: ServerThread | None = None
        self._http_sock: socket.socket | None = None
        self.axon: Axon | None = None
        self._stop = threading.Event()
        self._weights_thread: threading.Thread | None = None
        self.last_weights_block: int | None = None
        self.weights_set = 0
        self.last_weights_error: str | None = None  # why the last set_weights did not land
        self._last_attempt_block: int | None = None
        self._started_block: int | None = None
        self._challenges: ChallengeLoop | None = None

    # ---- parts -------------------------------------------------------------------------------
    def _load_snapshot(self) -> Any:
        from bt_llm.chain.metagraph import Metagraph

        metagraph = self.metagraph = Metagraph(self.config.netuid, subtensor=self.subtensor, lite=True, sync=True)
        # Delegates (other bridges among them) serve prompting synapses too, but by fanning out again:
        # asking them would send prompts around in circles. Miners are the rest.
        delegates = {d.hotkey_ss58 for d in self.subtensor.get_delegates()}
        return snapshot_from_metagraph(metagraph, exclude_hotkeys=frozenset({self.hotkey, *delegates}))

    def _backend(self) -> NetworkBackend:
        """A backend with a dendrite of its own (each event loop gets its own connection pool)."""
        from bt_llm.dendrite.client import Dendrite

        return NetworkBackend(netuid=self.config.netuid, directory=self.directory, dendrite=Dendrite(self.wallet),
                              scorer=self.scorer, scores=self.scores, metrics=self.metrics, k=self.config.k,
                              timeout=self.config.timeout, stream_stall=self.config.stream_stall,
                              grace=self.config.grace, score_queue=self.config.score_queue)

    @property
    def http_url(self) -> str:
        if self._http is None:
            raise BtLlmError("the bridge is not started")
        return self._http.url

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> BridgeService:
        """Bind the HTTP port, check the chain (subnet, registration), serve; on any failure stop what started.

        Raises:
            ConfigError: the HTTP address cannot be bound, or the hotkey is not registered on the subnet.
        """
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> BridgeService:
        self._http_sock = listen_socket(self.config.host, self.config.port)  # a busy port fails first
        self._started_block = self.directory.refresh().block
        if not self.subtensor.is_hotkey_registered(self.hotkey, self.config.netuid):
            raise ConfigError(f"the bridge's hotkey {self.hotkey} is not registered on subnet {self.config.netuid}: "
                              f"register it first (btcli register or btcli recycle_register --netuid "
                              f"{self.config.netuid})")
        if self.scorer is None:  # the embedding model loads only now
            self.scorer = LexicalScorer() if self.config.scorer == "lexical" else default_scorer()
        if self.config.verify and not isinstance(self.scorer, WorkScorer):
            self.scorer = WorkScorer(Verifier.default(), self.scorer, rate=self.config.verify_rate,
                                     penalty_seconds=self.config.verify_penalty,
                                     unverified_weight=self.config.unverified_weight, metrics=self.metrics,
                                     on_penalty=self.scores.zero)
        self.directory.start()
        dashboard = DashboardSource(netuid=self.config.netuid, hotkey=self.hotkey, history=self.metrics.history,
                                    metagraph=lambda: self.metagraph, scores=self.scores_report, health=self.health)
        app = create_app(self._backend(), self.http_settings, self.metrics, health=self.health,
                         scores=self.scores_report, dashboard=dashboard)
        self._http = ServerThread(app, host=self.config.host, sock=self._http_sock).start()
        from bt_llm.axon.server import Axon

        self.axon = Axon(wallet=self.wallet, port=self.config.axon_port, ip=self.config.axon_ip)
        attach_delegate_routes(self.axon, self._backend(), f"bittensor/subnet-{self.config.netuid}",
                               RateLimiter(self.config.rate_limit_per_minute))
        self.axon.start()
        self.subtensor.serve_axon(self.config.netuid, self.axon, wait_for_finalization=True)
        if self.config.verify and self.config.challenge_interval > 0:
            self._challenges = ChallengeLoop(self._backend, f"bittensor/subnet-{self.config.netuid}",
                                             self.config.challenge_interval).start()
        if self.config.set_weights:
            self._weights_thread = threading.Thread(target=self._weights_loop, name="bridge-weights", daemon=True)
            self._weights_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._challenges is not None:
            self._challenges.stop()
        self.directory.stop()
        if self.axon is not None:
            self.axon.stop()
        if self._http is not None:
            self._http.stop()
        elif self._http_sock is not None:
            self._http_sock.close()
        if self._weights_thread is not None:
            self._weights_thread.join(timeout=10)

    def __enter__(self) -> BridgeService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> list[str]:
        """The lines the bridge prints at start: where it listens and whether auth is on."""
        auth = (f"on ({len(self.http_settings.api_keys)} keys)" if self.http_settings.api_keys
                else "OFF: no API keys configured, the HTTP API is open to anyone who can reach it")
        return [
            f"bridge: OpenAI-compatible API at {self.http_url}/v1 (models: bittensor/subnet-{self.config.netuid})",
            f"bridge: dashboard at {self.http_url}/dashboard, metrics at {self.http_url}/metrics",
            f"bridge: delegate axon at {self.axon.ip}:{self.axon.port} (hotkey {self.hotkey})",
            f"bridge: auth {auth}; rate limit {self.config.rate_limit_per_minute:g}/min per caller",
            f"bridge: {len(self.directory.snapshot.miners)} serving miners on subnet {self.config.netuid}; "
            f"weights every {self.config.weights_interval} blocks",
        ]

    def scores_report(self) -> dict[str, Any]:
        """Each miner's running score, and, when answers are verified, its checks and last score's parts."""
        book = self.scores.snapshot()
        records = self.scorer.records if isinstance(self.scorer, WorkScorer) else {}
        now = time.monotonic()
        miners = []
        for miner in sorted(self.directory.snapshot.miners, key=lambda m: m.uid):
            record = records.get(miner.uid)
            row: dict[str, Any] = {"uid": miner.uid, "hotkey": miner.hotkey, "score": book.get(miner.uid),
                                   "latency_s": self.directory.latency(miner.uid)}
            if record is not None and record.hotkey == miner.hotkey:
                row.update(model=record.model, checks=record.checks, passes=record.passes, failures=record.failures,
                           penalized_s=max(0.0, record.penalized_until - now), last=record.last_verdict,
                           last_failure=record.last_failure,
                           parts=record.parts)
            miners.append(row)
        share = self.scorer.share_checked() if isinstance(self.scorer, WorkScorer) else None
        return {"netuid": self.config.netuid, "verify": self.config.verify, "share_verified": share, "miners": miners}

    def health(self) -> list[Check]:
        """The directory's checks (chain, miners) and, when this bridge sets weights, ``weights``:
        set within twice the interval (from the last weights, or from the start)."""
        checks = self.directory.checks()
        if self.config.set_weights and self._started_block is not None:
            block, interval = self.directory.snapshot.block, self.config.weights_interval
            since = self.last_weights_block if self.last_weights_block is not None else self._started_block
            late = block - since > 2 * interval
            if self.last_weights_block is None:
                detail = f"no weights set yet ({block - since} blocks since the start; due every {interval})"
            else:
                detail = f"weights set at block {self.last_weights_block}, {block - since} blocks ago (every {interval})"
            checks.append(Check("weights", not late, detail))
        return checks

    # ---- weights ------------------------------------------------------------------------------
    def set_weights_now(self) -> bool:
        """Set the current scores as weights on chain; False when there is nothing to set or it failed."""
        block = self.subtensor.get_current_block()
        snapshot = self.directory.snapshot
        params = self.subtensor.get_subnet_hyperparameters(self.config.netuid)
        rules = WeightRules(min_allowed_weights=int(getattr(params, "min_allowed_weights", 1) or 1),
                            max_weight_limit=int(getattr(params, "max_weights_limit", 65535) or 65535))
        uids, weights = compute_weights(self.scores.snapshot(), max(snapshot.n, 1), rules)
        if not uids:
            self.last_weights_error = "no miner has a positive score yet"
            return False
        try:
            self.subtensor.set_weights(self.wallet, self.config.netuid, uids, weights, wait_for_inclusion=True)
        except ExtrinsicFailedError as exc:  # the chain ran the call and refused it (e.g. a rate limit)
            self.last_weights_error = f"refused: {exc}"
            self.metrics.record_weights("refused")
            log.warning("set_weights %s", self.last_weights_error)
            return False
        except BtLlmError as exc:  # not sent: the node is unreachable, the wallet cannot sign, ...
            self.last_weights_error = f"failed: {exc}"
            self.metrics.record_weights("failed")
            log.warning("set_weights failed: %s", exc)
            return False
        self.last_weights_block = block
        self.weights_set += 1
        self.metrics.record_weights("set", block, uids, weights)
        log.info("set weights at block %s on %d uids", block, len(uids))
        return True

    def _weights_loop(self) -> None:
        while not self._stop.wait(2.0):
            try:
                block = self.subtensor.get_current_block()
                due = self.last_weights_block is None or block - self.last_weights_block >= self.config.weights_interval
                if due and block != self._last_attempt_block:  # one attempt per block at most
                    self._last_attempt_block = block
                    self.set_weights_now()
            except Exception as exc:  # the chain may be briefly unreachable; try again next round
                log.warning("weights loop: %s", exc)

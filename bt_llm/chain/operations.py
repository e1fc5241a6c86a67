"""The extrinsics of :class:`~bt_llm.chain.subtensor.Subtensor`: transfers, registration, staking,
serving, weights and governance.

Every method composes its call from metadata, signs with the wallet key the pallet expects (coldkey
for funds, hotkey for neuron actions), submits, and by default waits for inclusion (registration and
serving wait for finalization, as the SDK does). Success returns an :class:`ExtrinsicResult`; a
failure raises ``ExtrinsicFailedError`` whose ``error_name`` is the pallet's error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bt_llm.chain import chain_data as cd
from bt_llm.chain import queries, runtime
from bt_llm.chain.extrinsics import ExtrinsicResult, submit
from bt_llm.errors import ChainError, ConfigError, RegistrationError, UnsupportedFeatureError
from bt_llm.seams import AxonAddress, Keypair, Wallet, coldkey_ss58

if TYPE_CHECKING:
    from bt_llm.axon.server import Axon
    from bt_llm.balance import Balance
    from bt_llm.chain.connection import ChainConnection

RAO_PER_TAO = 1_000_000_000
VERSION_AS_INT = 724  # what the 2023 SDK sends as serve_axon's version; any u32 is accepted


def to_rao(amount: Balance | float) -> int:
    """A ``Balance`` (its ``rao``), or τ as a float/int, to integer rao.

    Raises:
        ConfigError: a negative or non-numeric amount.
    """
    if hasattr(amount, "rao"):
        rao = int(amount.rao)
    else:
        try:
            rao = round(float(amount) * RAO_PER_TAO)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"not an amount: {amount!r}") from exc
    if rao < 0:
        raise ConfigError(f"amounts are non-negative, got {amount!r}")
    return rao


def declined(prompt: bool, question: str) -> bool:
    """bittensor 5.x's ``prompt=True``: ask ``question`` on the terminal first; True when the answer is no
    (the call then sends nothing and returns None, where 5.x returned False)."""
    if not prompt:
        return False
    from rich.prompt import Confirm

    return not Confirm.ask(question)


def stake_args(amount: Balance | float, hotkey_ss58: Any) -> tuple[Any, Any]:
    """``(amount, hotkey_ss58)`` also from 5.x's positional order ``add_stake(wallet, hotkey_ss58, amount)``."""
    if isinstance(amount, str) and not isinstance(hotkey_ss58, str):
        return hotkey_ss58, amount
    return amount, hotkey_ss58


def coldkey_of(wallet: Wallet) -> Keypair:
    return wallet.coldkey


def coldkey_address(wallet: Wallet) -> str:
    return coldkey_ss58(wallet) or wallet.coldkey.ss58_address


def hotkey_address(wallet: Wallet) -> str:
    return str(wallet.hotkey.ss58_address)


def normalize_weights(uids: Sequence[int], weights: Sequence[float]) -> tuple[list[int], list[int]]:
    """Drop zero weights and max-upscale the rest to u16 (the largest becomes 65535), as the SDK does.

    Raises:
        ConfigError: lengths differ, or a weight is negative.

    Example:
        >>> normalize_weights([0, 1, 2], [0.5, 0.25, 0.0])
        ([0, 1], [65535, 32768])
    """
    if len(uids) != len(weights):
        raise ConfigError(f"{len(uids)} uids but {len(weights)} weights")
    if any(float(w) < 0 for w in weights):
        raise ConfigError("weights must be non-negative")
    pairs = [(int(u), float(w)) for u, w in zip(uids, weights, strict=True) if float(w) > 0]
    if not pairs:
        return [], []
    top = max(w for _, w in pairs)
    return [u for u, _ in pairs], [round(w * 65535 / top) for _, w in pairs]


class SubtensorOperations:
    """Mixin: the signed operations of ``Subtensor``.

    Extrinsics go through ``self._tx_conn``, a connection of their own: a submit that waits for its
    block holds only that one (submits stay serialised, so nonces never race), and reads on
    ``self._conn`` go on meanwhile.
    """

    _conn: ChainConnection
    _tx_conn: ChainConnection

    def _submit(self, module: str, function: str, params: dict[str, Any], keypair: Any, *,
                wait_for_inclusion: bool, wait_for_finalization: bool,
                era: dict[str, int] | None = None) -> ExtrinsicResult:
        return submit(self._tx_conn, module, function, params, keypair, wait_for_inclusion=wait_for_inclusion,
                      wait_for_finalization=wait_for_finalization, era=era)

    def _has_call(self, module: str, function: str) -> bool:
        return self._call_args(module, function) is not None

    def _call_args(self, module: str, function: str) -> list[str] | None:
        """The argument names of ``module.function`` in the node's metadata (None: no such call)."""
        def read(substrate: Any) -> list[str] | None:
            call = substrate.get_metadata_call_function(module, function)
            return None if call is None else [str(arg.value["name"]) for arg in call.args]

        return self._conn.run(read)

    def _transfer_function(self, keep_alive: bool) -> str:
        """``Balances.transfer_keep_alive`` (or ``transfer_allow_death``), or the older runtime's ``transfer``."""
        function = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
        return function if self._has_call("Balances", function) else "transfer"

    def _stake_params(self, function: str, hotkey: str, amount_name: str, rao: int,
                      netuid: int | None) -> dict[str, Any]:
        """``add_stake`` / ``remove_stake`` arguments for this runtime: dynamic TAO stakes on one subnet
        (its alpha pool), so the call takes a ``netuid``; the 2023 runtime's has none."""
        params: dict[str, Any] = {"hotkey": hotkey, amount_name: rao}
        if "netuid" in (self._call_args("SubtensorModule", function) or []):
            if netuid is None:
                raise ConfigError(f"this runtime stakes per subnet: SubtensorModule.{function} needs a netuid "
                                  "(netuid=0 stakes TAO on root)")
            params["netuid"] = int(netuid)
        elif netuid not in (None, 0):
            raise ConfigError(f"this runtime's SubtensorModule.{function} has no netuid: stake is not per subnet")
        return params

    # --- funds -------------------------------------------------------------------------------------

    def transfer(self, wallet: Wallet, dest: str, amount: Balance | float, wait_for_inclusion: bool = True,
                 wait_for_finalization: bool = False, prompt: bool = False, *,
                 keep_alive: bool = True) -> ExtrinsicResult | None:
        """Send ``amount`` (a ``Balance`` or τ) from the wallet's coldkey to ``dest``.

        Uses ``Balances.transfer_keep_alive`` (or ``transfer_allow_death`` when ``keep_alive`` is
        False), falling back to the older ``Balances.transfer`` when the runtime lacks them.
        ``prompt=True`` asks for confirmation first, as 5.x did (None when declined).
        """
        runtime.public_key(dest)  # validates the address before anything is signed
        if declined(prompt, f"Do you want to transfer:\n  amount: {amount}\n  to: {dest}"):
            return None
        return self._submit("Balances", self._transfer_function(keep_alive), {"dest": dest, "value": to_rao(amount)}, coldkey_of(wallet),
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

    # --- registration ------------------------------------------------------------------------------

    def burned_register(self, wallet: Wallet, netuid: int, wait_for_inclusion: bool = False,
                        wait_for_finalization: bool = True, prompt: bool = False) -> ExtrinsicResult | None:
        """Register the wallet's hotkey on ``netuid`` by burning ``Burn[netuid]`` from the coldkey
        (``prompt=True``: ask first, as 5.x did; None when declined)."""
        if declined(prompt, f"Recycle τ to register {hotkey_address(wallet)} on subnet {netuid}?"):
            return None
        return self._submit("SubtensorModule", "burned_register", {"netuid": netuid, "hotkey": hotkey_address(wallet)},
                            coldkey_of(wallet), wait_for_inclusion=wait_for_inclusion,
                            wait_for_finalization=wait_for_finalization)

    recycle_register = burned_register

    def register(self, wallet: Wallet, netuid: int, wait_for_inclusion: bool = False,
                 wait_for_finalization: bool = True, prompt: bool = False, max_allowed_attempts: int = 3,
                 output_in_place: bool = True, cuda: bool = False, dev_id: int | list[int] = 0, TPB: int | None = None,
                 num_processes: int | None = None, update_interval: int | None = None, log_verbose: bool = False, *,
                 processes: int | None = None, tpb: int = 256, progress: Callable[..., Any] | None = None,
                 cancel: threading.Event | None = None) -> ExtrinsicResult | None:
        """Register the wallet's hotkey on ``netuid`` by proof of work (the ``registration`` solver).

        The work is solved against the current block and submitted signed by the hotkey; stale work
        (``InvalidWorkBlock``/``InvalidDifficulty``) is solved again, up to ``max_allowed_attempts``.
        5.3.4's arguments keep their meaning: ``prompt=True`` asks first (None when declined), ``TPB``
        is ``tpb`` and ``num_processes`` is ``processes``; a list ``dev_id`` uses its first device;
        ``output_in_place`` and ``log_verbose`` (console styles) are accepted and change nothing.

        Raises:
            RegistrationError: the solver is not installed, or every attempt went stale.
            ExtrinsicFailedError: the chain refused for another reason (e.g. ``AlreadyRegistered``).
        """
        try:
            from bt_llm.registration.solver import solve
        except ImportError as exc:
            raise RegistrationError("PoW registration needs the `registration` package's solver "
                                    f"(registration.solver.solve), which is not available: {exc}") from exc
        from bt_llm.errors import ExtrinsicFailedError

        tpb = TPB if TPB is not None else tpb
        processes = num_processes if num_processes is not None else processes
        update_interval = 50_000 if update_interval is None else update_interval
        dev_id = dev_id[0] if isinstance(dev_id, (list, tuple)) and dev_id else dev_id
        hotkey = wallet.hotkey
        hotkey_ss58 = str(hotkey.ss58_address)
        if queries.uid_for_hotkey(self._conn, netuid, hotkey_ss58) is not None:
            raise ExtrinsicFailedError("AlreadyRegistered", f"{hotkey_ss58} is already registered on {netuid}")
        if declined(prompt, f"Register {hotkey_ss58} on subnet {netuid} by proof of work?"):
            return None

        def get_block() -> tuple[int, bytes, int]:
            number = self._conn.current_block()
            block_hash = self._conn.block_hash(number) or ""
            difficulty = int(queries.subtensor(self._conn, "Difficulty", [netuid]) or 0)
            return number, bytes.fromhex(block_hash[2:]), difficulty

        last: Exception | None = None
        for _ in range(max(1, max_allowed_attempts)):
            solution = solve(get_block, bytes(hotkey.public_key), processes=processes,
                             update_interval=update_interval, cuda=cuda, dev_id=dev_id, tpb=tpb,
                             progress=progress, cancel=cancel)
            if solution is None:
                raise RegistrationError("proof of work was cancelled")
            params = {"netuid": netuid, "block_number": int(solution.block_number), "nonce": int(solution.nonce),
                      "work": list(bytes(solution.seal)), "hotkey": hotkey_ss58,
                      "coldkey": coldkey_address(wallet)}
            try:
                return self._submit("SubtensorModule", "register", params, hotkey,
                                    wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)
            except ExtrinsicFailedError as exc:
                if exc.error_name not in ("InvalidWorkBlock", "InvalidDifficulty", "InvalidSeal"):
                    raise
                last = exc
        raise RegistrationError(f"proof of work went stale {max_allowed_attempts} times: {last}")

    # --- staking -----------------------------------------------------------------------------------

    def add_stake(self, wallet: Wallet, amount: Balance | float, hotkey_ss58: str | None = None, *,
                  wait_for_inclusion: bool = True, wait_for_finalization: bool = False,
                  prompt: bool = False, netuid: int | None = None) -> ExtrinsicResult | None:
        """Stake ``amount`` from the coldkey onto ``hotkey_ss58`` (default: the wallet's hotkey);
        ``prompt=True`` asks first (None when declined). On the dynamic-TAO runtime the stake goes into
        subnet ``netuid``'s alpha, and ``netuid`` is required."""
        amount, hotkey_ss58 = stake_args(amount, hotkey_ss58)  # 5.x's order: (wallet, hotkey_ss58, amount)
        hotkey = hotkey_ss58 or hotkey_address(wallet)
        if declined(prompt, f"Do you want to stake:\n  amount: {amount}\n  to: {hotkey}"):
            return None
        params = self._stake_params("add_stake", hotkey, "amount_staked", to_rao(amount), netuid)
        return self._submit("SubtensorModule", "add_stake", params, coldkey_of(wallet),
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

    def unstake(self, wallet: Wallet, amount: Balance | float | None = None, hotkey_ss58: str | None = None, *,
                wait_for_inclusion: bool = True, wait_for_finalization: bool = False,
                prompt: bool = False, netuid: int | None = None) -> ExtrinsicResult | None:
        """Move ``amount`` (default: all of it) of the coldkey's stake on the hotkey back to free balance;
        ``prompt=True`` asks first (None when declined). On the dynamic-TAO runtime: ``amount`` of alpha
        on subnet ``netuid`` (both required)."""
        amount, hotkey_ss58 = stake_args(amount, hotkey_ss58)  # 5.x's order: (wallet, hotkey_ss58, amount)
        hotkey = hotkey_ss58 or hotkey_address(wallet)
        if declined(prompt, f"Do you want to unstake:\n  amount: {amount or 'all'}\n  from: {hotkey}"):
            return None
        if amount is None and netuid is not None:
            raise ConfigError("on the dynamic-TAO runtime say how much alpha to unstake (amount)")
        rao = to_rao(amount) if amount is not None else queries.stake(self._conn, hotkey, coldkey_address(wallet))
        if rao == 0:
            raise ChainError(f"no stake of {coldkey_address(wallet)} on {hotkey} to remove")
        params = self._stake_params("remove_stake", hotkey, "amount_unstaked", rao, netuid)
        return self._submit("SubtensorModule", "remove_stake", params, coldkey_of(wallet),
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

    def nominate(self, wallet: Wallet, *, wait_for_inclusion: bool = True,
                 wait_for_finalization: bool = False) -> ExtrinsicResult:
        """Make the wallet's hotkey a delegate (``become_delegate``, signed by the coldkey)."""
        return self._submit("SubtensorModule", "become_delegate", {"hotkey": hotkey_address(wallet)},
                            coldkey_of(wallet), wait_for_inclusion=wait_for_inclusion,
                            wait_for_finalization=wait_for_finalization)

    def delegate(self, wallet: Wallet, delegate_ss58: str, amount: Balance | float, wait_for_inclusion: bool = True,
                 wait_for_finalization: bool = False, prompt: bool = False) -> ExtrinsicResult | None:
        """Stake ``amount`` from the wallet's coldkey on the delegate hotkey ``delegate_ss58``."""
        return self.add_stake(wallet, amount, delegate_ss58, wait_for_inclusion=wait_for_inclusion,
                              wait_for_finalization=wait_for_finalization, prompt=prompt)

    def undelegate(self, wallet: Wallet, delegate_ss58: str, amount: Balance | float | None = None, wait_for_inclusion: bool = True,
                   wait_for_finalization: bool = False, prompt: bool = False) -> ExtrinsicResult | None:
        """Remove ``amount`` (default all) of the coldkey's stake from the delegate ``delegate_ss58``."""
        return self.unstake(wallet, amount, delegate_ss58, wait_for_inclusion=wait_for_inclusion,
                            wait_for_finalization=wait_for_finalization, prompt=prompt)

    # --- serving and weights -----------------------------------------------------------------------

    def serve_axon(self, netuid: int, axon: Axon | AxonAddress | None = None, wallet: Wallet | None = None, *, ip: str | None = None,
                   port: int | None = None, protocol: int = 4, version: int = VERSION_AS_INT,
                   wait_for_inclusion: bool = False, wait_for_finalization: bool = True) -> ExtrinsicResult:
        """Publish where the hotkey serves: from an ``Axon`` (its wallet, external ip and port), an
        ``AxonInfo``, or ``ip``/``port`` with ``wallet``. Signed by the hotkey.
        """
        if axon is not None:
            wallet = wallet or getattr(axon, "wallet", None)
            info = axon.info() if callable(getattr(axon, "info", None)) else axon
            ip = ip or getattr(axon, "external_ip", None) or getattr(info, "ip", None)
            port = port or getattr(axon, "external_port", None) or getattr(info, "port", None)
            protocol = int(getattr(info, "protocol", protocol) or protocol)
        if wallet is None or ip is None or port is None:
            raise ConfigError("serve_axon needs a wallet and an ip and port (or an axon that has them)")
        ip_int, ip_type = cd.ip_to_int(str(ip))
        params = {"netuid": netuid, "version": int(version), "ip": ip_int, "port": int(port), "ip_type": ip_type,
                  "protocol": protocol, "placeholder1": 0, "placeholder2": 0}
        return self._submit("SubtensorModule", "serve_axon", params, wallet.hotkey,
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

    serve = serve_axon

    def set_weights(self, wallet: Wallet, netuid: int, uids: Sequence[int], weights: Sequence[float], *,
                    version_key: int = 0, wait_for_inclusion: bool = False, wait_for_finalization: bool = False,
                    era_period: int | None = 5) -> ExtrinsicResult:
        """Set the hotkey's weights on ``netuid`` (floats, max-upscaled to u16; zeros dropped).

        Raises:
            UnsupportedFeatureError: the subnet requires commit-reveal (``CommitRevealWeightsEnabled``):
                the live runtime then refuses plain ``set_weights`` and wants the weights committed with
                ``commit_timelocked_weights`` (drand-timelock encrypted) or ``commit_weights`` +
                ``reveal_weights``; bt-llm builds neither.
        """
        if self.commit_reveal_enabled(netuid):
            raise UnsupportedFeatureError(
                f"subnet {netuid} requires commit-reveal weights (CommitRevealWeightsEnabled is on): set_weights is "
                "refused there; committing (commit_timelocked_weights with drand timelock encryption, or "
                "commit_weights + reveal_weights) is not supported by bt-llm")
        dests, values = normalize_weights(list(uids), list(weights))
        params = {"netuid": netuid, "dests": dests, "weights": values, "version_key": int(version_key)}
        era = {"period": era_period} if era_period else None
        return self._submit("SubtensorModule", "set_weights", params, wallet.hotkey,
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization,
                            era=era)

    # --- governance --------------------------------------------------------------------------------

    def join_senate(self, wallet: Wallet, *, wait_for_inclusion: bool = True,
                    wait_for_finalization: bool = False) -> ExtrinsicResult:
        """The wallet's (delegate) hotkey joins the senate; signed by the coldkey."""
        return self._submit("SubtensorModule", "join_senate", {"hotkey": hotkey_address(wallet)}, coldkey_of(wallet),
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

    register_senate = join_senate

    def leave_senate(self, wallet: Wallet, *, wait_for_inclusion: bool = True,
                     wait_for_finalization: bool = False) -> ExtrinsicResult:
        return self._submit("SubtensorModule", "leave_senate", {"hotkey": hotkey_address(wallet)},
                            coldkey_of(wallet), wait_for_inclusion=wait_for_inclusion,
                            wait_for_finalization=wait_for_finalization)

    def vote(self, wallet: Wallet, proposal_hash: str, index: int, approve: bool, *, wait_for_inclusion: bool = True,
             wait_for_finalization: bool = False) -> ExtrinsicResult:
        """Vote on a triumvirate proposal with the wallet's senator hotkey (signed by its coldkey)."""
        params = {"hotkey": hotkey_address(wallet), "proposal": proposal_hash, "index": int(index),
                  "approve": bool(approve)}
        return self._submit("SubtensorModule", "vote", params, coldkey_of(wallet),
                            wait_for_inclusion=wait_for_inclusion, wait_for_finalization=wait_for_finalization)

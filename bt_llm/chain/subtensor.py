"""``Subtensor``: the chain client of the seed README, over substrate-interface.

One code path reaches the embedded localnet and a real subtensor node: every storage key, call and
extrinsic is built from the node's metadata. The reads whose structures changed with dynamic TAO
(neurons, subnets, hyperparameters, delegates, stake per subnet) go through the adapter of the runtime
the metadata shows (``bt_llm.chain.live``): the 2023 runtime of the localnet, or the live finney
runtime. The class is sync and thread-safe (one lock per connection). Reads live here; extrinsics (transfer, registration, staking, serving, weights,
governance) come from :class:`bt_llm.chain.operations.SubtensorOperations`.

Example:
    >>> sub = Subtensor("local")          # doctest: +SKIP
    >>> sub.get_current_block()           # doctest: +SKIP
    12
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bt_llm.chain import chain_data as cd
from bt_llm.chain import live, queries, runtime
from bt_llm.chain.connection import ChainConnection
from bt_llm.chain.extrinsics import compose
from bt_llm.chain.networks import resolve_network
from bt_llm.chain.operations import SubtensorOperations, to_rao
from bt_llm.seams import Wallet

if TYPE_CHECKING:
    from bt_llm.balance import Balance


def balance(rao: int) -> Balance:
    """A ``bt_llm.balance.Balance`` of ``rao``."""
    from bt_llm.balance import Balance

    return Balance.from_rao(int(rao))


class Subtensor(SubtensorOperations):
    """A client of one subtensor node.

    Args:
        network: ``"finney"``, ``"test"``, ``"local"``, or a ``ws://`` / ``wss://`` URL.
        config: a ``SubtensorConfig`` (or anything with ``network``/``chain_endpoint``, or a
            bittensor-style config with a ``subtensor`` section).
        chain_endpoint: an explicit URL; wins over ``network``.
        timeout: seconds a single RPC may take.

    Nothing is sent until the first call. Errors: ``RpcConnectError`` when the node is unreachable,
    ``RpcError`` subclasses for transport problems, ``ChainError`` when the chain refuses.
    """

    def __init__(self, network: str | None = None, config: Any = None, *, chain_endpoint: str | None = None,
                 timeout: float = 120.0) -> None:
        self.network, self.chain_endpoint = resolve_network(network, chain_endpoint, config=config)
        self._conn = ChainConnection(self.chain_endpoint, timeout=timeout)  # reads
        self._tx_conn = ChainConnection(self.chain_endpoint, timeout=timeout)  # extrinsics (see operations)
        self._profile: live.RuntimeProfile | None = None

    def __repr__(self) -> str:
        return f"Subtensor(network={self.network!r}, chain_endpoint={self.chain_endpoint!r})"

    __str__ = __repr__

    def __enter__(self) -> Subtensor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (a later call reconnects)."""
        self._conn.close()
        self._tx_conn.close()

    @property
    def connection(self) -> ChainConnection:
        """The lock-guarded connection (for advanced reads: ``connection.run(lambda substrate: ...)``)."""
        return self._conn

    @property
    def substrate(self) -> Any:
        """The underlying ``SubstrateInterface`` (opened on demand). Use under ``connection.session()``
        from several threads."""
        with self._conn.session() as substrate:
            return substrate

    @property
    def runtime_profile(self) -> live.RuntimeProfile:
        """The runtime the node runs, recognised from its metadata (read once per client).

        Raises:
            UnsupportedRuntimeError: not a subtensor runtime.
        """
        if self._profile is None:
            self._profile = live.detect_runtime(self._conn)
        return self._profile

    @property
    def adapter(self) -> live.Adapter2023:
        """The reads of this runtime (2023 or dynamic TAO)."""
        return live.adapter_for(self._conn, self.runtime_profile)

    # --- blocks ------------------------------------------------------------------------------------

    def get_current_block(self) -> int:
        """The number of the chain's head."""
        return self._conn.current_block()

    @property
    def block(self) -> int:
        """Same as :meth:`get_current_block`."""
        return self.get_current_block()

    def get_block_hash(self, block: int | None = None) -> str:
        """The hash of ``block`` (the head when None)."""
        if block is None:
            return str(self._conn.rpc("chain_getBlockHash", []))
        return str(self._conn.block_hash(block))

    def _hash(self, block: int | None) -> str | None:
        return self._conn.block_hash(block)

    # --- balances ----------------------------------------------------------------------------------

    def get_balance(self, address: str, block: int | None = None) -> Balance:
        """Free balance of ``address`` as a ``Balance``."""
        return balance(queries.free_balance(self._conn, address, self._hash(block)))

    def get_balances(self, addresses: list[str], block: int | None = None) -> dict[str, Any]:
        block_hash = self._hash(block)
        return {a: balance(queries.free_balance(self._conn, a, block_hash)) for a in addresses}

    def get_existential_deposit(self) -> Balance:
        return balance(queries.constant(self._conn, "Balances", "ExistentialDeposit") or 0)

    def get_total_issuance(self, block: int | None = None) -> Balance:
        return balance(queries.storage(self._conn, "Balances", "TotalIssuance", [], self._hash(block)) or 0)

    def get_total_stake(self, block: int | None = None) -> Balance:
        return balance(queries.subtensor(self._conn, "TotalStake", [], self._hash(block)) or 0)

    def get_transfer_fee(self, wallet: Wallet, dest: str, amount: Balance | float, *, keep_alive: bool = True,
                         ) -> Balance:
        """The fee the chain would charge for :meth:`transfer`, as a ``Balance`` (``TransactionPaymentApi``).

        The extrinsic is built as ``transfer`` builds it, signed by the wallet's coldkey address with a blank
        signature (no key is unlocked, as the SDK's ``get_payment_info`` does), and sent to the runtime API
        ``TransactionPaymentApi_query_info(uxt, len)``. The answer ``RuntimeDispatchInfo`` is read by the
        runtime's adapter: on the dynamic-TAO runtime decoded with its metadata V15 types; on the 2023
        runtime its last field, ``partial_fee``, a ``u64`` (no V15 there to say so).
        The ``Balance`` compares and adds with ints as rao.

        Raises:
            UnsupportedRuntimeError: a dynamic-TAO runtime without ``TransactionPaymentApi``'s fee methods.
        """
        from bt_llm.balance import Balance

        runtime.public_key(dest)
        function = self._transfer_function(keep_alive)
        signer = getattr(wallet, "coldkeypub", None) or wallet.coldkey

        def build(substrate: Any) -> bytes:
            call = compose(substrate, "Balances", function, {"dest": dest, "value": to_rao(amount)})
            extrinsic = substrate.create_signed_extrinsic(call=call, keypair=signer, signature="0x" + "00" * 64)
            return bytes(extrinsic.data.data)

        return Balance.from_rao(self.adapter.transfer_fee(self._conn.run(build)))

    # --- subnets -----------------------------------------------------------------------------------

    def get_subnets(self, block: int | None = None) -> list[int]:
        """Every netuid, ascending."""
        return queries.subnet_netuids(self._conn, self._hash(block))

    get_all_subnet_netuids = get_subnets

    def subnet_exists(self, netuid: int, block: int | None = None) -> bool:
        return bool(queries.subtensor(self._conn, "NetworksAdded", [netuid], self._hash(block)))

    def get_all_subnets_info(self, block: int | None = None) -> list[cd.SubnetInfo]:
        return self.adapter.subnets_info(self._hash(block))

    def get_subnet_info(self, netuid: int, block: int | None = None) -> cd.SubnetInfo | None:
        return self.adapter.subnet_info(netuid, self._hash(block))

    def get_subnet_hyperparameters(self, netuid: int, block: int | None = None) -> cd.SubnetHyperparameters | None:
        return self.adapter.subnet_hyperparameters(netuid, self._hash(block))

    def get_subnet_stake(self, netuid: int, block: int | None = None) -> live.SubnetStake | None:
        """Alpha, TAO and total stake per uid of ``netuid`` (dynamic TAO; None on the 2023 runtime, where
        the neurons' ``stake_dict`` is all there is)."""
        return self.adapter.subnet_stake(netuid, self._hash(block))

    def get_subnet_burn_cost(self, block: int | None = None) -> Balance:
        """What registering a new subnet costs now (``SubnetRegistrationRuntimeApi`` on dynamic TAO)."""
        return balance(self.adapter.network_registration_cost(self._hash(block)))

    def subnet_value(self, name: str, netuid: int, block: int | None = None) -> Any:
        """Any per-subnet ``SubtensorModule`` item, e.g. ``subnet_value("Tempo", 1)``."""
        return queries.subtensor(self._conn, name, [netuid], self._hash(block))

    def difficulty(self, netuid: int, block: int | None = None) -> int:
        return int(self.subnet_value("Difficulty", netuid, block) or 0)

    def burn(self, netuid: int, block: int | None = None) -> Balance:
        return balance(self.subnet_value("Burn", netuid, block) or 0)

    def tempo(self, netuid: int, block: int | None = None) -> int:
        return int(self.subnet_value("Tempo", netuid, block) or 0)

    def commit_reveal_enabled(self, netuid: int) -> bool:
        """Whether ``netuid`` requires weights to be committed and revealed (``CommitRevealWeightsEnabled``)."""
        if "CommitRevealWeightsEnabled" not in self.runtime_profile.subtensor_storage:
            return False
        return bool(queries.subtensor(self._conn, "CommitRevealWeightsEnabled", [netuid]))

    # --- neurons -----------------------------------------------------------------------------------

    def neurons_lite(self, netuid: int, block: int | None = None) -> list[cd.NeuronInfoLite]:
        """Every neuron of ``netuid`` without weights and bonds."""
        return self.adapter.neurons_lite(netuid, self._hash(block))

    def neurons(self, netuid: int, block: int | None = None) -> list[cd.NeuronInfo]:
        """Every neuron of ``netuid`` with weights and bonds."""
        return self.adapter.neurons(netuid, self._hash(block))

    def neuron_for_uid(self, uid: int, netuid: int, block: int | None = None) -> cd.NeuronInfo | None:
        return self.adapter.neuron(netuid, uid, self._hash(block))

    def neuron_for_uid_lite(self, uid: int, netuid: int, block: int | None = None) -> cd.NeuronInfoLite | None:
        return self.adapter.neuron_lite(netuid, uid, self._hash(block))

    def get_uid_for_hotkey_on_subnet(self, hotkey_ss58: str, netuid: int, block: int | None = None) -> int | None:
        return queries.uid_for_hotkey(self._conn, netuid, hotkey_ss58, self._hash(block))

    def get_neuron_for_pubkey_and_subnet(self, hotkey_ss58: str, netuid: int,
                                         block: int | None = None) -> cd.NeuronInfo | None:
        uid = self.get_uid_for_hotkey_on_subnet(hotkey_ss58, netuid, block)
        return None if uid is None else self.neuron_for_uid(uid, netuid, block)

    def is_hotkey_registered(self, hotkey_ss58: str, netuid: int | None = None, block: int | None = None) -> bool:
        """On ``netuid``, or on any subnet when ``netuid`` is None."""
        if netuid is not None:
            return self.get_uid_for_hotkey_on_subnet(hotkey_ss58, netuid, block) is not None
        return any(self.get_netuids_for_hotkey(hotkey_ss58, block))

    def get_netuids_for_hotkey(self, hotkey_ss58: str, block: int | None = None) -> list[int]:
        rows = queries.storage_map(self._conn, queries.SUBTENSOR, "IsNetworkMember", [hotkey_ss58], self._hash(block))
        return sorted(int(netuid) for netuid, member in rows if member)

    def weights(self, netuid: int, block: int | None = None) -> dict[int, list[tuple[int, int]]]:
        return queries.weights(self._conn, netuid, self._hash(block))

    def bonds(self, netuid: int, block: int | None = None) -> dict[int, list[tuple[int, int]]]:
        return queries.bonds(self._conn, netuid, self._hash(block))

    # --- stake and delegates -----------------------------------------------------------------------

    def get_stake_for_coldkey_and_hotkey(self, hotkey_ss58: str, coldkey_ss58: str, block: int | None = None) -> Balance:
        return balance(queries.stake(self._conn, hotkey_ss58, coldkey_ss58, self._hash(block)))

    def get_total_stake_for_hotkey(self, hotkey_ss58: str, block: int | None = None) -> Balance:
        return balance(queries.subtensor(self._conn, "TotalHotkeyStake", [hotkey_ss58], self._hash(block)) or 0)

    def get_total_stake_for_coldkey(self, coldkey_ss58: str, block: int | None = None) -> Balance:
        return balance(queries.subtensor(self._conn, "TotalColdkeyStake", [coldkey_ss58], self._hash(block)) or 0)

    def get_hotkey_owner(self, hotkey_ss58: str, block: int | None = None) -> str | None:
        return queries.owner(self._conn, hotkey_ss58, self._hash(block))

    def get_stake_info_for_coldkey(self, coldkey_ss58: str, block: int | None = None) -> list[cd.StakeInfo]:
        return runtime.stake_info_for_coldkey(self._conn, coldkey_ss58, self._hash(block))

    def get_delegates(self, block: int | None = None) -> list[cd.DelegateInfo]:
        return self.adapter.delegates(self._hash(block))

    def get_delegate_by_hotkey(self, hotkey_ss58: str, block: int | None = None) -> cd.DelegateInfo | None:
        return self.adapter.delegate(hotkey_ss58, self._hash(block))

    def get_delegated(self, coldkey_ss58: str, block: int | None = None) -> list[tuple[cd.DelegateInfo, Any]]:
        """(delegate, ``coldkey_ss58``'s stake on it); on dynamic TAO one entry per delegate and subnet, the
        stake in that subnet's alpha (root: TAO) and the subnet in the delegate's ``netuid``."""
        return [(d, balance(rao)) for d, rao in self.adapter.delegated(coldkey_ss58, self._hash(block))]

    def is_hotkey_delegate(self, hotkey_ss58: str, block: int | None = None) -> bool:
        return any(d.hotkey_ss58 == hotkey_ss58 for d in self.get_delegates(block))

    def get_delegate_take(self, hotkey_ss58: str, block: int | None = None) -> float:
        return int(queries.subtensor(self._conn, "Delegates", [hotkey_ss58], self._hash(block)) or 0) / cd.U16_MAX

    # --- governance --------------------------------------------------------------------------------

    def get_senate_members(self, block: int | None = None) -> list[str]:
        return queries.senate_members(self._conn, self._hash(block))

    def is_senate_member(self, hotkey_ss58: str, block: int | None = None) -> bool:
        return hotkey_ss58 in self.get_senate_members(block)

    def get_proposals(self, block: int | None = None) -> dict[str, tuple[Any, cd.ProposalVoteData | None]]:
        """proposal hash -> (the proposed call, its votes)."""
        block_hash = self._hash(block)
        return {h: (queries.proposal_call(self._conn, h, block_hash), queries.proposal_votes(self._conn, h, block_hash))
                for h in queries.proposal_hashes(self._conn, block_hash)}

    def get_proposal_vote_data(self, proposal_hash: str, block: int | None = None) -> cd.ProposalVoteData | None:
        return queries.proposal_votes(self._conn, proposal_hash, self._hash(block))

"""Typed chain data: neurons, axons, delegates, subnets, hyperparameters, stake, and their decoders.

The SCALE layouts are those of the September/October 2023 subtensor runtime (the bittensor 6.x SDK's
type registry): see ``specs/ref-bittensor6-chain-usage.md`` section 4. Amounts stay integer rao
(``*_rao`` fields); normalised u16 scores become floats in [0, 1] as the SDK shows them.

``AxonInfo`` is the wire protocol's (``bt_llm.protocol.axon_info``); the chain's ``block`` of the
last ``serve_axon`` is kept on the neuron as ``axon_block``.

Example:
    >>> int_to_ip(2130706433, 4)
    '127.0.0.1'
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.scale import ScaleReader

U16_MAX = 65535
RAO_PER_TAO = 1_000_000_000


def int_to_ip(value: int, ip_type: int = 0) -> str:
    """The chain's u128 ip as text: IPv4 when ``ip_type`` is 4 (or 0 and it fits 32 bits)."""
    if ip_type == 6 or (ip_type != 4 and value >= 1 << 32):
        return str(ipaddress.IPv6Address(value))
    if value == 0:
        return "0.0.0.0"
    return f"{(value >> 24) & 255}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def ip_to_int(ip: str) -> tuple[int, int]:
    """Text ip to ``(u128 value, ip_type)``.

    Example:
        >>> ip_to_int("127.0.0.1")
        (2130706433, 4)
    """
    address = ipaddress.ip_address(ip)
    return int(address), address.version


@dataclass(slots=True)
class PrometheusInfo:
    """A neuron's prometheus endpoint."""

    ip: str = "0.0.0.0"
    port: int = 0
    ip_type: int = 4
    version: int = 0
    block: int = 0


@dataclass(slots=True)
class NeuronInfoLite:
    """One neuron of a subnet without its weights and bonds."""

    hotkey: str
    coldkey: str
    uid: int
    netuid: int
    active: bool
    axon_info: AxonInfo
    axon_block: int
    prometheus_info: PrometheusInfo
    stake_dict: dict[str, int]  # coldkey -> rao staked on this hotkey
    rank: float
    emission: float  # τ per epoch
    incentive: float
    consensus: float
    trust: float
    validator_trust: float
    dividends: float
    last_update: int
    validator_permit: bool
    pruning_score: int
    is_null: bool = False

    @property
    def total_stake_rao(self) -> int:
        return sum(self.stake_dict.values())

    @property
    def stake(self) -> float:
        """Total stake in τ."""
        return self.total_stake_rao / RAO_PER_TAO


@dataclass(slots=True)
class NeuronInfo(NeuronInfoLite):
    """One neuron with its weights and bonds as ``(uid, u16)`` pairs."""

    weights: list[tuple[int, int]] = field(default_factory=list)
    bonds: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class DelegateInfo:
    """A hotkey open to delegated stake.

    On the dynamic-TAO runtime a nominator's stake is held per subnet (alpha; TAO on the root subnet 0):
    ``nominator_stakes`` holds it per coldkey and netuid, ``nominators`` each coldkey's sum over its
    subnets (amounts of different subnets' alpha added up, as the 2023 single TAO stake was), and in an
    entry of ``get_delegated`` ``netuid`` names the subnet of that entry's stake. On the 2023 runtime the
    three are None.
    """

    hotkey_ss58: str
    take: float  # fraction of validator emission kept by the owner
    nominators: list[tuple[str, int]]  # (coldkey, rao)
    owner_ss58: str
    registrations: list[int]  # netuids
    validator_permits: list[int]  # netuids
    return_per_1000_rao: int
    total_daily_return_rao: int
    nominator_stakes: dict[str, dict[int, int]] | None = None  # coldkey -> netuid -> stake in rao (dynamic TAO)
    netuid: int | None = None  # the subnet of a get_delegated entry's stake (dynamic TAO)

    @property
    def total_stake_rao(self) -> int:
        return sum(rao for _, rao in self.nominators)

    @property
    def total_stake_by_netuid(self) -> dict[int, int]:
        """Stake per subnet in rao, summed over nominators (``{}`` on the 2023 runtime)."""
        totals: dict[int, int] = {}
        for stakes in (self.nominator_stakes or {}).values():
            for netuid, rao in stakes.items():
                totals[netuid] = totals.get(netuid, 0) + rao
        return dict(sorted(totals.items()))


@dataclass(frozen=True)
class SubnetInfo:
    """A subnet's summary (``SubnetInfo`` with the October 2023 ``owner``)."""

    netuid: int
    rho: int
    kappa: int
    difficulty: int
    immunity_period: int
    max_allowed_validators: int
    min_allowed_weights: int
    max_weight_limit: int
    scaling_law_power: int
    subnetwork_n: int
    max_n: int
    blocks_since_epoch: int
    tempo: int
    modality: int
    connection_requirements: dict[str, float]
    emission_value: int  # rao per block
    burn_rao: int
    owner_ss58: str | None


@dataclass(frozen=True)
class SubnetHyperparameters:
    """The 22 hyperparameters of ``SubnetInfoRuntimeApi_get_subnet_hyperparams`` (2023), and those the
    dynamic-TAO runtime added (``get_subnet_hyperparams`` / ``_v2``): None where the runtime has no such
    hyperparameter."""

    rho: int
    kappa: int
    immunity_period: int
    min_allowed_weights: int
    max_weights_limit: int
    tempo: int
    min_difficulty: int
    max_difficulty: int
    weights_version: int
    weights_rate_limit: int
    adjustment_interval: int
    activity_cutoff: int
    registration_allowed: bool
    target_regs_per_interval: int
    min_burn: int
    max_burn: int
    bonds_moving_avg: int
    max_regs_per_block: int
    serving_rate_limit: int
    max_validators: int
    adjustment_alpha: int
    difficulty: int
    commit_reveal_period: int | None = None  # the dynamic-TAO runtime's, below
    commit_reveal_weights_enabled: bool | None = None
    alpha_high: int | None = None
    alpha_low: int | None = None
    liquid_alpha_enabled: bool | None = None
    alpha_sigmoid_steepness: float | None = None  # from I32F32 fixed point (v2)
    yuma_version: int | None = None  # v2 and on
    subnet_is_active: bool | None = None
    transfers_enabled: bool | None = None
    bonds_reset_enabled: bool | None = None
    user_liquidity_enabled: bool | None = None

    def to_dict(self) -> dict[str, object]:
        """The hyperparameters the runtime has (the ones it lacks, None, are left out)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if getattr(self, name) is not None}


@dataclass(frozen=True)
class StakeInfo:
    """Stake of one coldkey on one hotkey."""

    hotkey_ss58: str
    coldkey_ss58: str
    stake_rao: int


@dataclass(frozen=True)
class ProposalVoteData:
    """A triumvirate proposal's votes (``Triumvirate.Voting``)."""

    index: int
    threshold: int
    ayes: list[str]
    nays: list[str]
    end: int


# --- decoders -------------------------------------------------------------------------------------


_AXON = struct.Struct("<QIQQHBBBB")  # block u64, version u32, ip u128 (lo, hi), port, ip_type, protocol, p1, p2
_PROMETHEUS = struct.Struct("<QIQQHB")  # block u64, version u32, ip u128 (lo, hi), port, ip_type


def _read_axon(r: ScaleReader, hotkey: str, coldkey: str) -> tuple[AxonInfo, int]:
    block, version, ip_lo, ip_hi, port, ip_type, protocol, p1, p2 = r.unpack(_AXON)
    ip = ip_lo | (ip_hi << 64)
    axon = AxonInfo(version=version, ip=int_to_ip(ip, ip_type), port=port, ip_type=ip_type or 4, hotkey=hotkey,
                    coldkey=coldkey, protocol=protocol, placeholder1=p1, placeholder2=p2)
    return axon, block


def _read_prometheus(r: ScaleReader) -> PrometheusInfo:
    block, version, ip_lo, ip_hi, port, ip_type = r.unpack(_PROMETHEUS)
    ip = ip_lo | (ip_hi << 64)
    return PrometheusInfo(ip=int_to_ip(ip, ip_type), port=port, ip_type=ip_type or 4, version=version,
                          block=block)


def _read_pairs(r: ScaleReader) -> list[tuple[int, int]]:
    return [(r.compact(), r.compact()) for _ in range(r.compact())]


def _read_neuron(r: ScaleReader, full: bool) -> NeuronInfoLite:
    hotkey, coldkey = r.account_id(), r.account_id()
    uid, netuid, active = r.compact(), r.compact(), r.boolean()
    axon, axon_block = _read_axon(r, hotkey, coldkey)
    prometheus = _read_prometheus(r)
    stake = {}
    for _ in range(r.compact()):
        who = r.account_id()
        stake[who] = stake.get(who, 0) + r.compact()
    rank, emission, incentive = r.compact(), r.compact(), r.compact()
    consensus, trust, vtrust, dividends = r.compact(), r.compact(), r.compact(), r.compact()
    last_update, permit = r.compact(), r.boolean()
    common = dict(
        hotkey=hotkey, coldkey=coldkey, uid=uid, netuid=netuid, active=active, axon_info=axon, axon_block=axon_block,
        prometheus_info=prometheus, stake_dict=stake, rank=rank / U16_MAX, emission=emission / RAO_PER_TAO,
        incentive=incentive / U16_MAX, consensus=consensus / U16_MAX, trust=trust / U16_MAX,
        validator_trust=vtrust / U16_MAX, dividends=dividends / U16_MAX, last_update=last_update,
        validator_permit=permit,
    )
    if full:
        weights, bonds = _read_pairs(r), _read_pairs(r)
        return NeuronInfo(**common, pruning_score=r.compact(), weights=weights, bonds=bonds)
    return NeuronInfoLite(**common, pruning_score=r.compact())


def _decode_list(data: bytes, read) -> list:
    r = ScaleReader(data)
    items = [read(r) for _ in range(r.compact())]
    r.finish()
    return items


def _decode_one(data: bytes, read):
    if not data:
        return None
    r = ScaleReader(data)
    item = read(r)
    r.finish()
    return item


def decode_neurons_lite(data: bytes) -> list[NeuronInfoLite]:
    """``Vec<NeuronInfoLite>``."""
    return _decode_list(data, lambda r: _read_neuron(r, False))


def decode_neurons(data: bytes) -> list[NeuronInfo]:
    """``Vec<NeuronInfo>``."""
    return _decode_list(data, lambda r: _read_neuron(r, True))


def decode_neuron_lite(data: bytes) -> NeuronInfoLite | None:
    """A bare ``NeuronInfoLite``; empty bytes mean no neuron."""
    return _decode_one(data, lambda r: _read_neuron(r, False))


def decode_neuron(data: bytes) -> NeuronInfo | None:
    """A bare ``NeuronInfo``; empty bytes mean no neuron."""
    return _decode_one(data, lambda r: _read_neuron(r, True))


def _read_delegate(r: ScaleReader) -> DelegateInfo:
    hotkey, take = r.account_id(), r.compact()
    nominators = [(r.account_id(), r.compact()) for _ in range(r.compact())]
    owner = r.account_id()
    registrations = [r.compact() for _ in range(r.compact())]
    permits = [r.compact() for _ in range(r.compact())]
    return DelegateInfo(hotkey_ss58=hotkey, take=take / U16_MAX, nominators=nominators, owner_ss58=owner,
                        registrations=registrations, validator_permits=permits,
                        return_per_1000_rao=r.compact(), total_daily_return_rao=r.compact())


def decode_delegates(data: bytes) -> list[DelegateInfo]:
    """``Vec<DelegateInfo>``."""
    return _decode_list(data, _read_delegate)


def decode_delegate(data: bytes) -> DelegateInfo | None:
    """A bare ``DelegateInfo``; empty bytes mean none."""
    return _decode_one(data, _read_delegate)


def decode_delegated(data: bytes) -> list[tuple[DelegateInfo, int]]:
    """``Vec<(DelegateInfo, Compact<u64>)>``: delegates a coldkey stakes to, with its stake in rao."""
    return _decode_list(data, lambda r: (_read_delegate(r), r.compact()))


def _read_subnet(r: ScaleReader, with_owner: bool = True) -> SubnetInfo:
    netuid, rho, kappa, difficulty = r.compact(), r.compact(), r.compact(), r.compact()
    immunity, max_validators, min_weights, max_weights = r.compact(), r.compact(), r.compact(), r.compact()
    scaling, n, max_n, since = r.compact(), r.compact(), r.compact(), r.compact()
    tempo, modality = r.compact(), r.compact()
    connect = {}
    for _ in range(r.compact()):
        other, requirement = r.u16(), r.u16()
        connect[str(other)] = requirement / U16_MAX
    emission, burn = r.compact(), r.compact()
    owner = r.account_id() if with_owner else None
    return SubnetInfo(netuid=netuid, rho=rho, kappa=kappa, difficulty=difficulty, immunity_period=immunity,
                      max_allowed_validators=max_validators, min_allowed_weights=min_weights,
                      max_weight_limit=max_weights, scaling_law_power=scaling,
                      subnetwork_n=n, max_n=max_n, blocks_since_epoch=since, tempo=tempo, modality=modality,
                      connection_requirements=connect, emission_value=emission, burn_rao=burn,
                      owner_ss58=owner)


def decode_subnets_info(data: bytes) -> list[SubnetInfo]:
    """``Vec<Option<SubnetInfo>>``; absent entries are skipped."""
    def read(r: ScaleReader) -> SubnetInfo | None:
        return _read_subnet(r) if r.option_flag() else None

    return [info for info in _decode_list(data, read) if info is not None]


def decode_subnet_info(data: bytes) -> SubnetInfo | None:
    """A bare ``SubnetInfo``; empty bytes mean no subnet."""
    return _decode_one(data, _read_subnet)


def decode_subnet_hyperparameters(data: bytes) -> SubnetHyperparameters | None:
    """A bare ``SubnetHyperparameters`` (22 fields)."""
    def read(r: ScaleReader) -> SubnetHyperparameters:
        c = r.compact
        return SubnetHyperparameters(
            rho=c(), kappa=c(), immunity_period=c(), min_allowed_weights=c(), max_weights_limit=c(), tempo=c(),
            min_difficulty=c(), max_difficulty=c(), weights_version=c(), weights_rate_limit=c(),
            adjustment_interval=c(), activity_cutoff=c(), registration_allowed=r.boolean(),
            target_regs_per_interval=c(), min_burn=c(), max_burn=c(), bonds_moving_avg=c(),
            max_regs_per_block=c(), serving_rate_limit=c(), max_validators=c(), adjustment_alpha=c(),
            difficulty=c(),
        )

    return _decode_one(data, read)


def _read_stake_info(r: ScaleReader) -> StakeInfo:
    return StakeInfo(hotkey_ss58=r.account_id(), coldkey_ss58=r.account_id(), stake_rao=r.compact())


def decode_stake_info(data: bytes) -> list[StakeInfo]:
    """``Vec<StakeInfo>``."""
    return _decode_list(data, _read_stake_info)


def decode_stake_info_for_coldkeys(data: bytes) -> dict[str, list[StakeInfo]]:
    """``Vec<(AccountId, Vec<StakeInfo>)>``."""
    pairs = _decode_list(data, lambda r: (r.account_id(), [_read_stake_info(r) for _ in range(r.compact())]))
    return dict(pairs)

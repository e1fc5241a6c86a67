"""Runtime recognition and the live (dynamic-TAO) subtensor runtime's reads.

The client reads what runtime it talks to from the node's metadata (:func:`detect_runtime`): the pallets,
the ``SubtensorModule`` storage items and, from metadata V15 (``Metadata_metadata_at_version(15)``), the
runtime APIs with their input and output types. A :class:`RuntimeProfile` names the runtime:

- ``subtensor-2023``: the runtime of the seed (and our embedded localnet): no ``SubnetAlphaIn``; neurons,
  delegates and subnets come from the custom RPCs and ``Vec<u8>``-wrapped runtime APIs of
  ``bt_llm.chain.runtime``.
- ``dynamic-tao``: the live finney runtime (spec 2xx-3xx): subnets have alpha pools (``SubnetAlphaIn``)
  and the runtime APIs answer typed SCALE, decoded here with the V15 type registry.

:class:`Adapter2023` and :class:`AdapterDynamicTao` give the reads of ``Subtensor`` that differ between
the two; everything else (storage keys, calls, signing) is built from the metadata on one code path.
A runtime that lacks what a read needs raises :class:`UnsupportedRuntimeError` naming the spec version and
the missing pallet, storage item or runtime API, instead of a decoding traceback.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from bt_llm.chain import chain_data as cd
from bt_llm.chain import runtime
from bt_llm.chain.connection import ChainConnection
from bt_llm.errors import ChainError, RpcError
from bt_llm.scale import ScaleReader, ss58_encode

KIND_2023 = "subtensor-2023"
KIND_DTAO = "dynamic-tao"
ROOT_TAO_STAKE_WEIGHT = 0.18  # the weight of root (TAO) stake in a subnet's total stake, as the SDK applies it


class UnsupportedRuntimeError(ChainError):
    """The node's runtime lacks what the client needs (the message names the spec and what is missing)."""


@dataclass
class RuntimeApis:
    """The runtime APIs of a metadata V15, with a scalecodec registry of their types (``v15::<id>``)."""

    methods: dict[str, dict[str, tuple[list[tuple[str, int]], int]]]  # api -> method -> (inputs, output)
    config: Any

    def has(self, api: str, method: str) -> bool:
        return method in self.methods.get(api, {})

    def encode(self, api: str, method: str, args: list[Any]) -> bytes:
        from scalecodec.base import ScaleBytes  # noqa: F401 - scalecodec is loaded with the registry

        inputs, _ = self.methods[api][method]
        if len(inputs) != len(args):
            raise ChainError(f"{api}_{method} takes {len(inputs)} arguments, got {len(args)}")
        out = b""
        for (_, type_id), value in zip(inputs, args, strict=True):
            obj = self.config.create_scale_object(f"v15::{type_id}")
            out += bytes(obj.encode(value).data)
        return out

    def decode(self, api: str, method: str, data: bytes) -> Any:
        from scalecodec.base import ScaleBytes

        _, output = self.methods[api][method]
        obj = self.config.create_scale_object(f"v15::{output}", ScaleBytes(data))
        try:
            return obj.decode(check_remaining=True)
        except Exception as exc:  # any scalecodec failure is a layout mismatch
            raise UnsupportedRuntimeError(
                f"{api}_{method} answered {len(data)} bytes that do not decode as its V15 output type "
                f"{output}: {type(exc).__name__}: {exc}") from exc


_APIS_LOCK = threading.Lock()
_APIS_CACHE: dict[str, RuntimeApis] = {}


def parse_metadata_v15(answer: str | bytes) -> RuntimeApis | None:
    """Runtime APIs of ``Metadata_metadata_at_version(15)``'s answer (``Option<OpaqueMetadata>``);
    None when the node has no V15. Decoded once per distinct metadata per process (about 2 s)."""
    raw = bytes.fromhex(answer.removeprefix("0x")) if isinstance(answer, str) else bytes(answer)
    key = hashlib.blake2b(raw, digest_size=16).hexdigest()
    with _APIS_LOCK:
        if key in _APIS_CACHE:
            return _APIS_CACHE[key]
    if not raw or raw[0] != 1:
        return None
    from scalecodec.base import ScaleBytes

    from bt_llm.localnet.node.metadata_v15 import v15_config

    reader = ScaleReader(raw)
    reader.u8()
    inner = reader.bytes_vec()
    if inner[:5] != b"meta\x0f":
        return None
    config = v15_config()
    obj = config.create_scale_object("OpaqueMetadataV15", ScaleBytes(inner))
    obj.decode()
    metadata = obj.value_object[2]
    config.update_from_scale_info_types(metadata.value_object["types"].value_object["types"].value_object,
                                        prefix="v15")
    config.ss58_format = 42
    methods = {api["name"]: {m["name"]: ([(p["name"], p["type"]) for p in m["inputs"]], m["output"])
                             for m in api["methods"]}
               for api in metadata.value["apis"]}
    apis = RuntimeApis(methods, config)
    with _APIS_LOCK:
        _APIS_CACHE[key] = apis
    return apis


@dataclass
class RuntimeProfile:
    """What the node's runtime is, read from its metadata."""

    kind: str
    spec_version: int
    pallets: frozenset[str]
    subtensor_storage: frozenset[str]
    subtensor_calls: frozenset[str]
    apis: RuntimeApis | None = field(default=None, repr=False)

    @property
    def is_dynamic_tao(self) -> bool:
        return self.kind == KIND_DTAO

    def require_api(self, api: str, method: str) -> RuntimeApis:
        """The runtime APIs, checked to hold ``api_method``.

        Raises:
            UnsupportedRuntimeError: no V15 metadata, or the runtime lacks that API method.
        """
        if self.apis is None:
            raise UnsupportedRuntimeError(
                f"the {self.kind} runtime (spec {self.spec_version}) serves no metadata V15, so its runtime API "
                f"{api}_{method} cannot be decoded")
        if not self.apis.has(api, method):
            present = ", ".join(sorted(self.apis.methods.get(api, {}))) or f"no {api} at all"
            raise UnsupportedRuntimeError(
                f"the {self.kind} runtime (spec {self.spec_version}) has no runtime API {api}_{method} "
                f"(it has: {present})")
        return self.apis

    def require_storage(self, item: str) -> None:
        if item not in self.subtensor_storage:
            raise UnsupportedRuntimeError(
                f"the {self.kind} runtime (spec {self.spec_version}) has no SubtensorModule.{item}")


def detect_runtime(conn: ChainConnection) -> RuntimeProfile:
    """Recognise the node's runtime from its metadata.

    Raises:
        UnsupportedRuntimeError: no ``SubtensorModule`` pallet (not a subtensor chain).
    """
    def read(substrate: Any) -> tuple[int, dict[str, tuple[frozenset[str], frozenset[str]]]]:
        substrate.init_runtime()
        pallets = {}
        for pallet in substrate.metadata.pallets:
            storage = frozenset(str(s.name) for s in (pallet.storage or []))
            calls = frozenset(str(c.name) for c in (pallet.calls or []))
            pallets[str(pallet.name)] = (storage, calls)
        return int(substrate.runtime_version), pallets

    spec, pallets = conn.run(read)
    if "SubtensorModule" not in pallets:
        raise UnsupportedRuntimeError(
            f"the runtime at {conn.endpoint} (spec {spec}) has no SubtensorModule pallet: not a subtensor chain "
            f"(pallets: {', '.join(sorted(pallets))})")
    storage, calls = pallets["SubtensorModule"]
    kind = KIND_DTAO if "SubnetAlphaIn" in storage else KIND_2023
    apis = None
    if kind == KIND_DTAO:
        try:
            apis = parse_metadata_v15(conn.rpc("state_call", ["Metadata_metadata_at_version", "0x0f000000"]))
        except (RpcError, ChainError, ValueError, IndexError):  # a node without V15
            apis = None
    return RuntimeProfile(kind=kind, spec_version=spec, pallets=frozenset(pallets), subtensor_storage=storage,
                          subtensor_calls=calls, apis=apis)


# --- decoders of the dynamic-TAO structures ---------------------------------------------------------


def _ss58(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return ss58_encode(bytes(value))
    return str(value)


def _axon(raw: dict[str, Any], hotkey: str, coldkey: str) -> tuple[Any, int]:
    from bt_llm.protocol.axon_info import AxonInfo

    ip_type = int(raw["ip_type"])
    axon = AxonInfo(version=int(raw["version"]), ip=cd.int_to_ip(int(raw["ip"]), ip_type), port=int(raw["port"]),
                    ip_type=ip_type or 4, hotkey=hotkey, coldkey=coldkey, protocol=int(raw["protocol"]),
                    placeholder1=int(raw["placeholder1"]), placeholder2=int(raw["placeholder2"]))
    return axon, int(raw["block"])


def neuron_from_value(raw: dict[str, Any]) -> cd.NeuronInfoLite:
    """A decoded ``NeuronInfo`` / ``NeuronInfoLite`` (dict) as our dataclass: ``stake_dict`` holds the
    subnet's (alpha) stake per coldkey in rao, scores are normalised as the SDK does."""
    hotkey, coldkey = _ss58(raw["hotkey"]), _ss58(raw["coldkey"])
    axon, axon_block = _axon(raw["axon_info"], hotkey, coldkey)
    p = raw["prometheus_info"]
    prometheus = cd.PrometheusInfo(ip=cd.int_to_ip(int(p["ip"]), int(p["ip_type"])), port=int(p["port"]),
                                   ip_type=int(p["ip_type"]) or 4, version=int(p["version"]), block=int(p["block"]))
    stake: dict[str, int] = {}
    for who, rao in raw["stake"]:
        stake[_ss58(who)] = stake.get(_ss58(who), 0) + int(rao)
    u16 = cd.U16_MAX
    common = dict(
        hotkey=hotkey, coldkey=coldkey, uid=int(raw["uid"]), netuid=int(raw["netuid"]), active=bool(raw["active"]),
        axon_info=axon, axon_block=axon_block, prometheus_info=prometheus, stake_dict=stake,
        rank=raw["rank"] / u16, emission=raw["emission"] / cd.RAO_PER_TAO, incentive=raw["incentive"] / u16,
        consensus=raw["consensus"] / u16, trust=raw["trust"] / u16, validator_trust=raw["validator_trust"] / u16,
        dividends=raw["dividends"] / u16, last_update=int(raw["last_update"]),
        validator_permit=bool(raw["validator_permit"]), pruning_score=int(raw["pruning_score"]),
    )
    if "weights" in raw:
        return cd.NeuronInfo(**common, weights=[(int(a), int(b)) for a, b in raw["weights"]],
                             bonds=[(int(a), int(b)) for a, b in raw["bonds"]])
    return cd.NeuronInfoLite(**common)


def subnet_from_value(raw: dict[str, Any]) -> cd.SubnetInfo:
    """A decoded ``SubnetInfo`` / ``SubnetInfov2`` (dict) as our dataclass."""
    return cd.SubnetInfo(
        netuid=int(raw["netuid"]), rho=int(raw["rho"]), kappa=int(raw["kappa"]), difficulty=int(raw["difficulty"]),
        immunity_period=int(raw["immunity_period"]), max_allowed_validators=int(raw["max_allowed_validators"]),
        min_allowed_weights=int(raw["min_allowed_weights"]), max_weight_limit=int(raw["max_weights_limit"]),
        scaling_law_power=int(raw["scaling_law_power"]), subnetwork_n=int(raw["subnetwork_n"]),
        max_n=int(raw["max_allowed_uids"]), blocks_since_epoch=int(raw["blocks_since_last_step"]),
        tempo=int(raw["tempo"]), modality=int(raw["network_modality"]),
        connection_requirements={str(int(n)): int(r) / cd.U16_MAX for n, r in raw["network_connect"]},
        emission_value=int(raw["emission_value"]), burn_rao=int(raw["burn"]), owner_ss58=_ss58(raw["owner"]),
    )


def delegate_from_value(raw: dict[str, Any], netuid: int | None = None) -> cd.DelegateInfo:
    """A decoded ``DelegateInfo`` (dict) as our dataclass: nominators' stake per subnet in
    ``nominator_stakes``, summed per coldkey in ``nominators``; ``netuid`` for a ``get_delegated`` entry."""
    stakes: dict[str, dict[int, int]] = {}
    for who, per_netuid in raw["nominators"]:
        mine = stakes.setdefault(_ss58(who), {})
        for subnet, rao in per_netuid:
            mine[int(subnet)] = mine.get(int(subnet), 0) + int(rao)
    return cd.DelegateInfo(
        hotkey_ss58=_ss58(raw["delegate_ss58"]), take=int(raw["take"]) / cd.U16_MAX,
        nominators=[(who, sum(per_netuid.values())) for who, per_netuid in stakes.items()],
        owner_ss58=_ss58(raw["owner_ss58"]), registrations=[int(n) for n in raw["registrations"]],
        validator_permits=[int(n) for n in raw["validator_permits"]],
        return_per_1000_rao=int(raw["return_per_1000"]), total_daily_return_rao=int(raw["total_daily_return"]),
        nominator_stakes=stakes, netuid=netuid,
    )


FIXED_FRAC_BITS = 32  # I32F32 fixed point (``{"bits": n}``) is n / 2**32, as the SDK reads it


def hyperparameters_from_value(raw: dict[str, Any]) -> cd.SubnetHyperparameters:
    """A decoded ``SubnetHyperparams`` / ``SubnetHyperparamsV2`` (dict) as our dataclass: the fields this
    runtime has (fixed-point ones as floats), None for those it lacks."""
    values: dict[str, Any] = {}
    for name in cd.SubnetHyperparameters.__dataclass_fields__:
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(value, dict) and "bits" in value:
            value = int(value["bits"]) / (1 << FIXED_FRAC_BITS)
        values[name] = value if isinstance(value, bool | float) else int(value)
    return cd.SubnetHyperparameters(**values)


@dataclass(frozen=True)
class SubnetStake:
    """A subnet's stake per uid (``SubnetInfoRuntimeApi_get_subnet_state``), in rao: alpha on the subnet,
    TAO (root) stake, and the total the runtime weighs them into."""

    hotkeys: list[str]
    alpha_stake: list[int]
    tao_stake: list[int]
    total_stake: list[int]


# --- adapters ------------------------------------------------------------------------------------------


class Adapter2023:
    """Reads of the 2023 runtime (the seed's; our localnet): custom RPCs and ``Vec<u8>`` runtime APIs."""

    def __init__(self, conn: ChainConnection, profile: RuntimeProfile) -> None:
        self.conn, self.profile = conn, profile

    def neurons_lite(self, netuid: int, block_hash: str | None) -> list[cd.NeuronInfoLite]:
        return runtime.neurons_lite(self.conn, netuid, block_hash)

    def neurons(self, netuid: int, block_hash: str | None) -> list[cd.NeuronInfo]:
        return runtime.neurons(self.conn, netuid, block_hash)

    def neuron(self, netuid: int, uid: int, block_hash: str | None) -> cd.NeuronInfo | None:
        return runtime.neuron(self.conn, netuid, uid, block_hash)

    def neuron_lite(self, netuid: int, uid: int, block_hash: str | None) -> cd.NeuronInfoLite | None:
        return runtime.neuron_lite(self.conn, netuid, uid, block_hash)

    def subnets_info(self, block_hash: str | None) -> list[cd.SubnetInfo]:
        return runtime.subnets_info(self.conn, block_hash)

    def subnet_info(self, netuid: int, block_hash: str | None) -> cd.SubnetInfo | None:
        return runtime.subnet_info(self.conn, netuid, block_hash)

    def subnet_stake(self, netuid: int, block_hash: str | None) -> SubnetStake | None:
        return None  # one TAO stake per neuron: the neurons carry it

    def network_registration_cost(self, block_hash: str | None) -> int:
        from bt_llm.chain import queries

        return int(queries.subtensor(self.conn, "NetworkLastLockCost", [], block_hash) or 0)

    def subnet_hyperparameters(self, netuid: int, block_hash: str | None) -> cd.SubnetHyperparameters | None:
        return runtime.subnet_hyperparameters(self.conn, netuid, block_hash)

    def delegates(self, block_hash: str | None) -> list[cd.DelegateInfo]:
        return runtime.delegates(self.conn, block_hash)

    def delegate(self, hotkey: str, block_hash: str | None) -> cd.DelegateInfo | None:
        return runtime.delegate(self.conn, hotkey, block_hash)

    def transfer_fee(self, xt: bytes, block_hash: str | None = None) -> int:
        """The ``partial_fee`` in rao of the encoded extrinsic ``xt`` (its length prefix included)."""
        return runtime.partial_fee(self.conn, xt, block_hash)

    def delegated(self, coldkey: str, block_hash: str | None) -> list[tuple[cd.DelegateInfo, int]]:
        """The delegates ``coldkey`` stakes to, with that stake in rao (on dynamic TAO one entry per
        delegate and subnet, the subnet in the entry's ``netuid``)."""
        return runtime.delegated(self.conn, coldkey, block_hash)


class AdapterDynamicTao(Adapter2023):
    """Reads of the dynamic-TAO runtime: typed runtime APIs decoded with the V15 registry."""

    def call(self, api: str, method: str, args: list[Any], block_hash: str | None) -> Any:
        apis = self.profile.require_api(api, method)
        data = runtime.state_call(self.conn, f"{api}_{method}", apis.encode(api, method, args), block_hash)
        return apis.decode(api, method, data)

    def neurons_lite(self, netuid: int, block_hash: str | None) -> list[cd.NeuronInfoLite]:
        return [neuron_from_value(n) for n in self.call("NeuronInfoRuntimeApi", "get_neurons_lite", [netuid],
                                                         block_hash) or []]

    def neurons(self, netuid: int, block_hash: str | None) -> list[cd.NeuronInfo]:
        return [neuron_from_value(n) for n in self.call("NeuronInfoRuntimeApi", "get_neurons", [netuid],
                                                         block_hash) or []]  # type: ignore[misc]

    def neuron(self, netuid: int, uid: int, block_hash: str | None) -> cd.NeuronInfo | None:
        value = self.call("NeuronInfoRuntimeApi", "get_neuron", [netuid, uid], block_hash)
        return neuron_from_value(value) if value else None  # type: ignore[return-value]

    def neuron_lite(self, netuid: int, uid: int, block_hash: str | None) -> cd.NeuronInfoLite | None:
        value = self.call("NeuronInfoRuntimeApi", "get_neuron_lite", [netuid, uid], block_hash)
        return neuron_from_value(value) if value else None

    def subnets_info(self, block_hash: str | None) -> list[cd.SubnetInfo]:
        method = self._newest("SubnetInfoRuntimeApi", "get_subnets_info")
        return [subnet_from_value(s) for s in self.call("SubnetInfoRuntimeApi", method, [], block_hash) or [] if s]

    def subnet_info(self, netuid: int, block_hash: str | None) -> cd.SubnetInfo | None:
        method = self._newest("SubnetInfoRuntimeApi", "get_subnet_info")
        value = self.call("SubnetInfoRuntimeApi", method, [netuid], block_hash)
        return subnet_from_value(value) if value else None

    def subnet_stake(self, netuid: int, block_hash: str | None) -> SubnetStake | None:
        value = self.call("SubnetInfoRuntimeApi", "get_subnet_state", [netuid], block_hash)
        if not value:
            return None
        return SubnetStake(hotkeys=[_ss58(h) for h in value["hotkeys"]],
                           alpha_stake=[int(x) for x in value["alpha_stake"]],
                           tao_stake=[int(x) for x in value["tao_stake"]],
                           total_stake=[int(x) for x in value["total_stake"]])

    def network_registration_cost(self, block_hash: str | None) -> int:
        return int(self.call("SubnetRegistrationRuntimeApi", "get_network_registration_cost", [], block_hash))

    def _newest(self, api: str, method: str) -> str:
        """``method_v2`` where the runtime has it, else ``method``."""
        return f"{method}_v2" if self.profile.apis and self.profile.apis.has(api, f"{method}_v2") else method

    def subnet_hyperparameters(self, netuid: int, block_hash: str | None) -> cd.SubnetHyperparameters | None:
        method = self._newest("SubnetInfoRuntimeApi", "get_subnet_hyperparams")
        value = self.call("SubnetInfoRuntimeApi", method, [netuid], block_hash)
        return hyperparameters_from_value(value) if value else None

    def delegates(self, block_hash: str | None) -> list[cd.DelegateInfo]:
        return [delegate_from_value(d) for d in self.call("DelegateInfoRuntimeApi", "get_delegates", [],
                                                           block_hash) or []]

    def delegate(self, hotkey: str, block_hash: str | None) -> cd.DelegateInfo | None:
        value = self.call("DelegateInfoRuntimeApi", "get_delegate", [hotkey], block_hash)
        return delegate_from_value(value) if value else None

    def delegated(self, coldkey: str, block_hash: str | None) -> list[tuple[cd.DelegateInfo, int]]:
        rows = self.call("DelegateInfoRuntimeApi", "get_delegated", [coldkey], block_hash) or []
        return [(delegate_from_value(info, netuid=int(netuid)), int(rao)) for info, (netuid, rao) in rows]

    def transfer_fee(self, xt: bytes, block_hash: str | None = None) -> int:
        """``TransactionPaymentApi_query_info(uxt, len)``, typed by the metadata V15: ``uxt`` is the extrinsic
        (``UncheckedExtrinsic``, its bytes with their length prefix), ``len`` its encoded length, as the SDK's
        ``get_payment_info`` sends them; the answer's ``partial_fee``. A runtime with only ``query_fee_details``
        gives the inclusion fee (base + length + adjusted weight fee; 0 when none is charged)."""
        reader = ScaleReader(xt)
        body = reader.raw(reader.compact())
        if reader.remaining():
            raise ChainError(f"the extrinsic's length prefix says {len(body)} bytes, {reader.remaining()} more follow")
        args = ["0x" + body.hex(), len(xt)]
        apis = self.profile.apis
        if apis is not None and not apis.has("TransactionPaymentApi", "query_info") \
                and apis.has("TransactionPaymentApi", "query_fee_details"):
            details = self.call("TransactionPaymentApi", "query_fee_details", args, block_hash)
            fee = details["inclusion_fee"]
            return 0 if fee is None else int(fee["base_fee"]) + int(fee["len_fee"]) + int(fee["adjusted_weight_fee"])
        return int(self.call("TransactionPaymentApi", "query_info", args, block_hash)["partial_fee"])


def adapter_for(conn: ChainConnection, profile: RuntimeProfile) -> Adapter2023:
    return AdapterDynamicTao(conn, profile) if profile.is_dynamic_tao else Adapter2023(conn, profile)

"""A declarative description of the localnet runtime (subtensor spec 127, Sept 2023).

Everything a Substrate RPC layer needs to build V14 metadata and to serve state by raw key:

- :data:`PALLETS`: every pallet with its runtime index (``construct_runtime!`` order of the real
  runtime), storage items (name, hashers, key types, value type, default bytes, modifier), calls
  (name, index, args), events (name, index, fields), errors (name, index) and constants (type, bytes).
- :data:`TYPES`: the custom types as a scalecodec-style registry (``{"type": "struct", "type_mapping":
  [[field, type], ...]}``, enums likewise with variants at positions 0..n, aliases as plain strings).
  The names match bittensor 6.12.4's ``custom_rpc_type_registry`` (``NeuronInfo``, ``axon_info``...).
- :class:`Call` / :class:`Event` / :class:`EventRecord` and their SCALE encoders: a runtime call is
  ``pallet_index ++ call_index ++ args``; a runtime event ``pallet_index ++ event_index ++ fields``.

Type strings use scalecodec spelling; ``"Call"`` is the runtime call enum, ``"RuntimeEvent"`` the runtime
event enum (both built from :data:`PALLETS`).

Example:
    >>> pallet("SubtensorModule").index
    7
    >>> storage_item("SubtensorModule", "Stake").hashers
    ('Blake2_128Concat', 'Identity')
    >>> encode_call(Call("SubtensorModule", "burned_register", {"netuid": 1, "hotkey": bytes(32)})).hex()[:8]
    '07070100'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bt_llm.localnet import schema_subtensor as _st
from bt_llm.localnet.codec import CodecError, Reader, decode, encode, register_runtime_type, type_codec
from bt_llm.localnet.schema_types import TYPES as TYPES
from bt_llm.scale import encode_compact

OPTIONAL = _st.OPTIONAL

# The codec reaches the runtime's Call and RuntimeEvent enums (built from PALLETS below) through this
# registration, so it never imports this module. Registered first: PALLETS' defaults already encode types
# that contain them (``Vec<EventRecord>``); the functions are looked up when called.
register_runtime_type("Call", lambda call, out: out.extend(encode_call(call)), lambda r: decode_call_from(r))
register_runtime_type("RuntimeEvent", lambda ev, out: out.extend(encode_event(ev)), lambda r: _decode_event_from(r))


# ----------------------------------------------------------------------------------------- pallets


@dataclass(frozen=True)
class StorageItem:
    """One storage item. ``kind`` is ``Plain``/``Map``/``DoubleMap``; ``modifier`` ``Default``/``Optional``."""

    name: str
    value: str
    hashers: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    default: bytes = b""
    optional: bool = False

    @property
    def kind(self) -> str:
        return ("Plain", "Map", "DoubleMap", "NMap")[min(len(self.keys), 3)]

    @property
    def modifier(self) -> str:
        return "Optional" if self.optional else "Default"


@dataclass(frozen=True)
class CallDef:
    name: str
    index: int
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EventDef:
    """``fields`` are ``(name, type)``; name is ``None`` for the pallet's tuple variants."""

    name: str
    index: int
    fields: tuple[tuple[str | None, str], ...] = ()


@dataclass(frozen=True)
class ErrorDef:
    name: str
    index: int


@dataclass(frozen=True)
class ConstantDef:
    name: str
    type: str
    value: bytes


@dataclass(frozen=True)
class PalletDef:
    name: str
    index: int
    storage: tuple[StorageItem, ...] = ()
    calls: tuple[CallDef, ...] = ()
    events: tuple[EventDef, ...] = ()
    errors: tuple[ErrorDef, ...] = ()
    constants: tuple[ConstantDef, ...] = ()
    storage_prefix: str = ""

    @property
    def prefix(self) -> str:
        return self.storage_prefix or self.name


def _item(
    name: str, value: str, hashers: tuple[str, ...] = (), keys: tuple[str, ...] = (), default: Any = OPTIONAL
) -> StorageItem:
    if default is OPTIONAL:
        return StorageItem(name, value, hashers, keys, b"\x00", optional=True)
    return StorageItem(name, value, hashers, keys, encode(value, default))


def _calls(*defs: tuple[str, int, tuple[tuple[str, str], ...]]) -> tuple[CallDef, ...]:
    return tuple(CallDef(n, i, a) for n, i, a in defs)


def _events(*defs: tuple[str, tuple[tuple[str | None, str], ...]]) -> tuple[EventDef, ...]:
    return tuple(EventDef(n, i, f) for i, (n, f) in enumerate(defs))


def _errors(*names: str) -> tuple[ErrorDef, ...]:
    return tuple(ErrorDef(n, i) for i, n in enumerate(names))


def _const(name: str, type_str: str, value: Any) -> ConstantDef:
    return ConstantDef(name, type_str, encode(type_str, value))


_ACC = "AccountId"
_ZERO_ACCOUNT_INFO = {
    "nonce": 0,
    "consumers": 0,
    "providers": 0,
    "sufficients": 0,
    "data": {"free": 0, "reserved": 0, "misc_frozen": 0, "fee_frozen": 0},
}
_MEMBERSHIP_CALLS = _calls(
    ("add_member", 0, (("who", "MultiAddress"),)),
    ("remove_member", 1, (("who", "MultiAddress"),)),
    ("swap_member", 2, (("remove", "MultiAddress"), ("add", "MultiAddress"))),
    ("reset_members", 3, (("members", "Vec<AccountId>"),)),
    ("change_key", 4, (("new", "MultiAddress"),)),
    ("set_prime", 5, (("who", "MultiAddress"),)),
    ("clear_prime", 6, ()),
)
_MEMBERSHIP_EVENTS = _events(
    ("MemberAdded", ()),
    ("MemberRemoved", ()),
    ("MembersSwapped", ()),
    ("MembersReset", ()),
    ("KeyChanged", ()),
    ("Dummy", ()),
)
_MEMBERSHIP_STORAGE = (_item("Members", "Vec<AccountId>", default=[]), _item("Prime", _ACC))


def _membership(name: str, index: int, max_members: int) -> PalletDef:
    return PalletDef(
        name,
        index,
        _MEMBERSHIP_STORAGE,
        _MEMBERSHIP_CALLS,
        _MEMBERSHIP_EVENTS,
        _errors("AlreadyMember", "NotMember", "TooManyMembers"),
        (_const("MaxMembers", "u32", max_members),),
    )


EXISTENTIAL_DEPOSIT = 500
SS58_FORMAT = 42
SPEC_VERSION = 127
TRANSACTION_VERSION = 1
TRIUMVIRATE_MOTION_DURATION = 3600  # 12 * HOURS at 12 s blocks; also the minimum `duration` of a proposal
SENATE_MAX_MEMBERS = 12
TRIUMVIRATE_MAX_MEMBERS = 3
TRIUMVIRATE_MAX_PROPOSALS = 10

PALLETS: tuple[PalletDef, ...] = (
    PalletDef(
        "System",
        0,
        storage=(
            _item("Account", "AccountInfo", ("Blake2_128Concat",), (_ACC,), _ZERO_ACCOUNT_INFO),
            _item("ExtrinsicCount", "u32"),
            _item("BlockHash", "H256", ("Twox64Concat",), ("u32",), bytes(32)),
            _item("Number", "u32", default=0),
            _item("ParentHash", "H256", default=bytes(32)),
            _item("Digest", "Digest", default={"logs": []}),
            _item("Events", "Vec<EventRecord>", default=[]),
            _item("EventCount", "u32", default=0),
        ),
        calls=_calls(
            ("remark", 0, (("remark", "Vec<u8>"),)), ("remark_with_event", 7, (("remark", "Vec<u8>"),))
        ),
        events=_events(
            ("ExtrinsicSuccess", (("dispatch_info", "DispatchInfo"),)),
            ("ExtrinsicFailed", (("dispatch_error", "DispatchError"), ("dispatch_info", "DispatchInfo"))),
            ("CodeUpdated", ()),
            ("NewAccount", (("account", _ACC),)),
            ("KilledAccount", (("account", _ACC),)),
            ("Remarked", (("sender", _ACC), ("hash", "H256"))),
        ),
        errors=_errors(
            "InvalidSpecName",
            "SpecVersionNeedsToIncrease",
            "FailedToExtractRuntimeVersion",
            "NonDefaultComposite",
            "NonZeroRefCount",
            "CallFiltered",
        ),
        constants=(_const("BlockHashCount", "u32", 2400), _const("SS58Prefix", "u16", SS58_FORMAT)),
    ),
    PalletDef(
        "Timestamp",
        2,
        storage=(_item("Now", "u64", default=0), _item("DidUpdate", "bool", default=False)),
        calls=_calls(("set", 0, (("now", "Compact<u64>"),))),
        constants=(_const("MinimumPeriod", "u64", 6000),),
    ),
    PalletDef(
        "Balances",
        5,
        storage=(_item("TotalIssuance", "u64", default=0), _item("InactiveIssuance", "u64", default=0)),
        calls=_calls(
            ("transfer", 0, (("dest", "MultiAddress"), ("value", "Compact<u64>"))),
            (
                "set_balance",
                1,
                (("who", "MultiAddress"), ("new_free", "Compact<u64>"), ("new_reserved", "Compact<u64>")),
            ),
            (
                "force_transfer",
                2,
                (("source", "MultiAddress"), ("dest", "MultiAddress"), ("value", "Compact<u64>")),
            ),
            ("transfer_keep_alive", 3, (("dest", "MultiAddress"), ("value", "Compact<u64>"))),
            ("transfer_all", 4, (("dest", "MultiAddress"), ("keep_alive", "bool"))),
            # Not in v0.9.39: the name later SDKs send (same semantics as `transfer`).
            ("transfer_allow_death", 7, (("dest", "MultiAddress"), ("value", "Compact<u64>"))),
        ),
        events=_events(
            ("Endowed", (("account", _ACC), ("free_balance", "u64"))),
            ("DustLost", (("account", _ACC), ("amount", "u64"))),
            ("Transfer", (("from", _ACC), ("to", _ACC), ("amount", "u64"))),
            ("BalanceSet", (("who", _ACC), ("free", "u64"), ("reserved", "u64"))),
            ("Reserved", (("who", _ACC), ("amount", "u64"))),
            ("Unreserved", (("who", _ACC), ("amount", "u64"))),
            (
                "ReserveRepatriated",
                (("from", _ACC), ("to", _ACC), ("amount", "u64"), ("destination_status", "BalanceStatus")),
            ),
            ("Deposit", (("who", _ACC), ("amount", "u64"))),
            ("Withdraw", (("who", _ACC), ("amount", "u64"))),
            ("Slashed", (("who", _ACC), ("amount", "u64"))),
        ),
        errors=_errors(
            "VestingBalance",
            "LiquidityRestrictions",
            "InsufficientBalance",
            "ExistentialDeposit",
            "KeepAlive",
            "ExistingVestingSchedule",
            "DeadAccount",
            "TooManyReserves",
        ),
        constants=(
            _const("ExistentialDeposit", "u64", EXISTENTIAL_DEPOSIT),
            _const("MaxLocks", "u32", 50),
            _const("MaxReserves", "u32", 0),
        ),
    ),
    PalletDef(
        "TransactionPayment",
        6,
        storage=(_item("NextFeeMultiplier", "u128", default=10**18),),
        events=_events(("TransactionFeePaid", (("who", _ACC), ("actual_fee", "u64"), ("tip", "u64")))),
        constants=(_const("OperationalFeeMultiplier", "u8", 1),),
    ),
    PalletDef(
        "SubtensorModule",
        7,
        storage=tuple(_item(n, v, h, k, d) for n, v, h, k, d in _st.STORAGE),
        calls=_calls(*_st.CALLS),
        events=tuple(EventDef(n, i, tuple((None, t) for t in f)) for i, (n, f) in enumerate(_st.EVENTS)),
        errors=_errors(*_st.ERRORS),
        constants=tuple(_const(n, t, v) for n, (t, v) in _st.INITIAL.items()),
    ),
    PalletDef(
        "Triumvirate",
        8,
        storage=(
            _item("Proposals", "Vec<H256>", default=[]),
            _item("ProposalOf", "Call", ("Identity",), ("H256",)),
            _item("Voting", "Votes", ("Identity",), ("H256",)),
            _item("ProposalCount", "u32", default=0),
            _item("Members", "Vec<AccountId>", default=[]),
            _item("Prime", _ACC),
        ),
        calls=_calls(
            (
                "set_members",
                0,
                (("new_members", "Vec<AccountId>"), ("prime", "Option<AccountId>"), ("old_count", "u32")),
            ),
            ("execute", 1, (("proposal", "Call"), ("length_bound", "Compact<u32>"))),
            ("propose", 2, (("proposal", "Call"), ("length_bound", "Compact<u32>"), ("duration", "u32"))),
            ("vote", 3, (("proposal", "H256"), ("index", "Compact<u32>"), ("approve", "bool"))),
            (
                "close_old_weight",
                4,
                (
                    ("proposal_hash", "H256"),
                    ("index", "Compact<u32>"),
                    ("proposal_weight_bound", "Compact<u64>"),
                    ("length_bound", "Compact<u32>"),
                ),
            ),
            ("disapprove_proposal", 5, (("proposal_hash", "H256"),)),
            (
                "close",
                6,
                (
                    ("proposal_hash", "H256"),
                    ("index", "Compact<u32>"),
                    ("proposal_weight_bound", "Weight"),
                    ("length_bound", "Compact<u32>"),
                ),
            ),
        ),
        events=_events(
            (
                "Proposed",
                (
                    ("account", _ACC),
                    ("proposal_index", "u32"),
                    ("proposal_hash", "H256"),
                    ("threshold", "u32"),
                ),
            ),
            (
                "Voted",
                (
                    ("account", _ACC),
                    ("proposal_hash", "H256"),
                    ("voted", "bool"),
                    ("yes", "u32"),
                    ("no", "u32"),
                ),
            ),
            ("Approved", (("proposal_hash", "H256"),)),
            ("Disapproved", (("proposal_hash", "H256"),)),
            ("Executed", (("proposal_hash", "H256"), ("result", "DispatchResult"))),
            ("MemberExecuted", (("proposal_hash", "H256"), ("result", "DispatchResult"))),
            ("Closed", (("proposal_hash", "H256"), ("yes", "u32"), ("no", "u32"))),
        ),
        errors=_errors(
            "NotMember",
            "DuplicateProposal",
            "ProposalMissing",
            "WrongIndex",
            "DuplicateVote",
            "AlreadyInitialized",
            "TooEarly",
            "TooManyProposals",
            "WrongProposalWeight",
            "WrongProposalLength",
            "WrongDuration",
        ),
    ),
    _membership("TriumvirateMembers", 9, TRIUMVIRATE_MAX_MEMBERS),
    _membership("SenateMembers", 10, SENATE_MAX_MEMBERS),
    PalletDef(
        "Sudo",
        12,
        storage=(_item("Key", _ACC),),
        calls=_calls(
            ("sudo", 0, (("call", "Call"),)),
            ("sudo_unchecked_weight", 1, (("call", "Call"), ("weight", "Weight"))),
            ("set_key", 2, (("new", "MultiAddress"),)),
            ("sudo_as", 3, (("who", "MultiAddress"), ("call", "Call"))),
        ),
        events=_events(
            ("Sudid", (("sudo_result", "DispatchResult"),)),
            ("KeyChanged", (("old_sudoer", "Option<AccountId>"),)),
            ("SudoAsDone", (("sudo_result", "DispatchResult"),)),
        ),
        errors=_errors("RequireSudo"),
    ),
)

# ----------------------------------------------------------------------------------------- lookups

_BY_NAME = {p.name: p for p in PALLETS}
_BY_INDEX = {p.index: p for p in PALLETS}


def pallet(name: str) -> PalletDef:
    """The pallet called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise CodecError(f"unknown pallet {name!r}") from None


@cache
def storage_item(pallet_name: str, item: str) -> StorageItem:
    """The storage item ``pallet_name.item``."""
    for s in pallet(pallet_name).storage:
        if s.name == item:
            return s
    raise CodecError(f"unknown storage item {pallet_name}.{item}")


@cache
def call_def(pallet_name: str, name: str) -> CallDef:
    for c in pallet(pallet_name).calls:
        if c.name == name:
            return c
    raise CodecError(f"unknown call {pallet_name}.{name}")


@cache
def event_def(pallet_name: str, name: str) -> EventDef:
    for e in pallet(pallet_name).events:
        if e.name == name:
            return e
    raise CodecError(f"unknown event {pallet_name}.{name}")


@cache
def error_index(pallet_name: str, name: str) -> tuple[int, int]:
    """``(pallet index, error index)`` of a pallet error, as in ``DispatchError::Module``."""
    p = pallet(pallet_name)
    for e in p.errors:
        if e.name == name:
            return p.index, e.index
    raise CodecError(f"unknown error {pallet_name}.{name}")


def error_name(pallet_index: int, error: int) -> tuple[str, str]:
    """``(pallet, error)`` names of a module error."""
    p = _BY_INDEX[pallet_index]
    return p.name, p.errors[error].name


# ----------------------------------------------------------------------------------------- calls & events


@dataclass(frozen=True)
class Call:
    """A runtime call: ``Call("SubtensorModule", "add_stake", {"hotkey": ..., "amount_staked": 5})``.

    Account arguments may be ss58 text or 32 raw bytes; ``MultiAddress`` arguments also accept a bare
    account (read as ``Id``). A nested call (``sudo``, ``propose``) is another :class:`Call`.
    """

    pallet: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """A runtime event; ``args`` are the field values in declaration order."""

    pallet: str
    name: str
    args: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Field name (or position) -> value."""
        d = event_def(self.pallet, self.name)
        return {
            (n if n is not None else str(i)): v
            for i, ((n, _), v) in enumerate(zip(d.fields, self.args, strict=True))
        }


@dataclass(frozen=True)
class EventRecord:
    """``phase`` is ``("ApplyExtrinsic", i)``, ``("Finalization", None)`` or ``("Initialization", None)``."""

    phase: tuple[str, int | None]
    event: Event
    topics: tuple[bytes, ...] = ()


def _norm_arg(type_str: str, value: Any) -> Any:
    if type_str == "MultiAddress" and isinstance(value, (str, bytes)):
        return ("Id", value)
    return value


def encode_call(call: Call) -> bytes:
    """SCALE bytes of a runtime call (``pallet index ++ call index ++ args``)."""
    p = pallet(call.pallet)
    c = call_def(call.pallet, call.name)
    out = bytearray([p.index, c.index])
    for name, t in c.args:
        if name not in call.args:
            raise CodecError(f"{call.pallet}.{call.name}: missing argument {name!r}")
        out += encode(t, _norm_arg(t, call.args[name]))
    return bytes(out)


def decode_call_from(r: Reader) -> Call:
    pi, ci = r.u8(), r.u8()
    if pi not in _BY_INDEX:
        raise CodecError(f"unknown pallet index {pi}")
    p = _BY_INDEX[pi]
    c = next((c for c in p.calls if c.index == ci), None)
    if c is None:
        raise CodecError(f"unknown call index {ci} in {p.name}")
    return Call(p.name, c.name, {n: type_codec(t)[1](r) for n, t in c.args})


def decode_call(data: bytes) -> Call:
    """Decode SCALE runtime-call bytes."""
    return decode("Call", data)


def encode_event(ev: Event) -> bytes:
    """SCALE bytes of a runtime event (``pallet index ++ event index ++ fields``)."""
    p = pallet(ev.pallet)
    d = event_def(ev.pallet, ev.name)
    out = bytearray([p.index, d.index])
    if len(ev.args) != len(d.fields):
        raise CodecError(f"{ev.pallet}.{ev.name}: expected {len(d.fields)} fields, got {len(ev.args)}")
    for (_, t), v in zip(d.fields, ev.args, strict=True):
        out += encode(t, v)
    return bytes(out)


def encode_event_records(records: list[EventRecord]) -> bytes:
    """The ``System.Events`` value: ``Vec<EventRecord>``."""
    out = bytearray(encode_compact(len(records)))
    for rec in records:
        out += encode("Phase", rec.phase)
        out += encode_event(rec.event)
        out += encode("Vec<H256>", list(rec.topics))
    return bytes(out)


def _decode_event_from(r: Reader) -> Event:
    pi, ei = r.u8(), r.u8()
    p = _BY_INDEX[pi]
    d = p.events[ei]
    return Event(p.name, d.name, tuple(type_codec(t)[1](r) for _, t in d.fields))


def decode_event_records(data: bytes) -> list[EventRecord]:
    """Decode a ``System.Events`` value."""
    r = Reader(data)
    out = []
    for _ in range(r.compact()):
        phase = type_codec("Phase")[1](r)
        ev = _decode_event_from(r)
        topics = type_codec("Vec<H256>")[1](r)
        out.append(EventRecord(phase, ev, tuple(topics)))
    return out

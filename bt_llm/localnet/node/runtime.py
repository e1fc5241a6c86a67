"""Our runtime as clients see it: metadata built from the engine's schema, the runtime version, APIs.

The engine's :mod:`bt_llm.localnet.schema` is the single description of pallets and types; this
module turns it into :class:`~bt_llm.localnet.node.metadata.PalletSpec` objects, builds metadata V14
once per process (:func:`runtime`), and answers ``state_getRuntimeVersion``.

Example:
    >>> rt = runtime()
    >>> rt.metadata.data[:5].hex()
    '6d6574610e'
    >>> rt.version()["specVersion"]
    127
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from bt_llm.localnet.node.metadata import BuiltMetadata, PalletSpec, StorageSpec, build_metadata

SPEC_NAME = "node-subtensor"
CHAIN_NAME = "Bittensor"
NODE_NAME = "bt-llm localnet"

MODULE_PATHS = {
    "System": "frame_system",
    "Timestamp": "pallet_timestamp",
    "Balances": "pallet_balances",
    "TransactionPayment": "pallet_transaction_payment",
    "SubtensorModule": "pallet_subtensor",
    "Triumvirate": "pallet_collective",
    "TriumvirateMembers": "pallet_membership",
    "SenateMembers": "pallet_membership",
    "Sudo": "pallet_sudo",
}

# Runtime APIs the node answers through state_call, with their versions (as a 2023 runtime declares them).
RUNTIME_APIS: tuple[tuple[str, int], ...] = (
    ("Core", 4), ("Metadata", 1), ("BlockBuilder", 6), ("TaggedTransactionQueue", 3), ("OffchainWorkerApi", 2),
    ("AccountNonceApi", 1), ("TransactionPaymentApi", 2), ("NeuronInfoRuntimeApi", 1), ("SubnetInfoRuntimeApi", 1),
    ("DelegateInfoRuntimeApi", 1), ("StakeInfoRuntimeApi", 1),
)


def api_id(name: str) -> str:
    """A runtime API's 8-byte id: blake2b-64 of its trait name, as ``0x`` hex."""
    return "0x" + hashlib.blake2b(name.encode(), digest_size=8).hexdigest()


def pallet_specs() -> list[PalletSpec]:
    """The schema's pallets as metadata specs."""
    from bt_llm.localnet import schema

    specs = []
    for p in schema.PALLETS:
        specs.append(PalletSpec(
            name=p.name,
            index=p.index,
            storage=tuple(
                StorageSpec(name=s.name, value_type=s.value, hashers=tuple(s.hashers), key_types=tuple(s.keys),
                            default=s.default, optional=s.optional)
                for s in p.storage
            ),
            calls=tuple((c.name, c.index, tuple(c.args)) for c in p.calls) if p.calls else None,
            events=tuple((e.name, e.index, tuple(e.fields)) for e in p.events) if p.events else None,
            errors=tuple((e.name, e.index) for e in p.errors) if p.errors else None,
            constants=tuple((c.name, c.type, c.value) for c in p.constants),
            module_path=MODULE_PATHS.get(p.name, ""),
        ))
    return specs


@dataclass(frozen=True)
class Runtime:
    """Metadata and versions of the runtime the node serves."""

    metadata: BuiltMetadata
    spec_version: int
    transaction_version: int

    @cached_property
    def metadata_hex(self) -> str:
        return "0x" + self.metadata.data.hex()

    @cached_property
    def metadata_v15(self) -> bytes:
        """``"meta" ++ 15 ++ MetadataV15`` (V14 plus runtime APIs), built on first use."""
        from bt_llm.localnet.node.metadata_v15 import build_v15

        return build_v15(self.metadata)

    def version(self) -> dict[str, Any]:
        """The ``state_getRuntimeVersion`` answer."""
        return {
            "specName": SPEC_NAME,
            "implName": SPEC_NAME,
            "authoringVersion": 1,
            "specVersion": self.spec_version,
            "implVersion": 1,
            "apis": [[api_id(name), version] for name, version in RUNTIME_APIS],
            "transactionVersion": self.transaction_version,
            "stateVersion": 1,
        }


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """The runtime (built once per process: about 0.2 s)."""
    from bt_llm.localnet import schema

    metadata = build_metadata(pallet_specs(), schema.TYPES)
    return Runtime(metadata=metadata, spec_version=schema.SPEC_VERSION,
                   transaction_version=schema.TRANSACTION_VERSION)

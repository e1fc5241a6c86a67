"""Compose, sign and submit extrinsics; a failed receipt becomes ``ExtrinsicFailedError``.

The call is composed from the node's metadata (substrate-interface's ``compose_call``), signed by the
given keypair (sr25519; the wallet's coldkey or hotkey), submitted, and, when asked to wait, its
receipt is read: ``ExtrinsicFailed`` raises ``ExtrinsicFailedError`` carrying the pallet's error name
(e.g. ``NotEnoughBalanceToStake``). A transaction the pool refuses (bad nonce, signature, era, fee)
raises ``ExtrinsicFailedError`` with ``error_name="InvalidTransaction"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bt_llm.chain.connection import ChainConnection
from bt_llm.errors import ConfigError, ExtrinsicFailedError, RpcRemoteError

# Codes Substrate's transaction pool uses for refused extrinsics.
_POOL_REFUSALS = {1010: "InvalidTransaction", 1011: "UnknownTransaction", 1012: "TransactionPoolError",
                  1013: "AlreadyImported", 1014: "PriorityTooLow"}


@dataclass(frozen=True)
class ExtrinsicResult:
    """What a submitted extrinsic did.

    ``included`` is False when the caller did not wait (then ``block_hash`` is None and success is
    only "accepted by the pool").
    """

    extrinsic_hash: str
    block_hash: str | None
    included: bool
    finalized: bool
    events: tuple[dict[str, Any], ...] = ()

    @property
    def is_success(self) -> bool:
        """Always True: a call that failed raised ``ExtrinsicFailedError`` instead of returning a result
        (the SDK's receipts carry a flag; here failure is the exception)."""
        return True

    def event(self, module: str, name: str) -> dict[str, Any] | None:
        """The attributes of the first event ``module.name`` of this extrinsic, if any."""
        for event in self.events:
            if event.get("module_id") == module and event.get("event_id") == name:
                return event
        return None


def compose(substrate: Any, module: str, function: str, params: dict[str, Any]) -> Any:
    """``compose_call`` from metadata; bad arguments become ``ConfigError``."""
    try:
        return substrate.compose_call(call_module=module, call_function=function, call_params=params)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ConfigError(f"cannot build {module}.{function}({', '.join(params)}): {exc}") from exc


def submit(
    conn: ChainConnection,
    module: str,
    function: str,
    params: dict[str, Any],
    keypair: Any,
    *,
    wait_for_inclusion: bool = True,
    wait_for_finalization: bool = False,
    era: dict[str, int] | None = None,
) -> ExtrinsicResult:
    """Compose ``module.function(**params)``, sign it with ``keypair`` and submit it.

    Args:
        keypair: an sr25519 keypair (``wallet.coldkey`` or ``wallet.hotkey``).
        era: ``{"period": n}`` for a mortal extrinsic; immortal when None.

    Returns:
        The :class:`ExtrinsicResult` (events only when waited for).

    Raises:
        ExtrinsicFailedError: the chain ran the call and it failed (pallet error by name), or the pool
            refused the transaction.
        ConfigError: the parameters do not fit the call.
        RpcError: the node could not be reached or answered nonsense.
    """
    def run(substrate: Any) -> ExtrinsicResult:
        call = compose(substrate, module, function, params)
        extrinsic = substrate.create_signed_extrinsic(call=call, keypair=keypair, era=dict(era) if era else None)
        try:
            receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=wait_for_inclusion,
                                                 wait_for_finalization=wait_for_finalization)
        except ValueError as exc:  # substrate-interface raises ValueError on a "dropped" status
            raise ExtrinsicFailedError("Dropped", f"{module}.{function} was dropped: {exc}") from exc
        ext_hash = receipt.extrinsic_hash
        if not (wait_for_inclusion or wait_for_finalization):
            return ExtrinsicResult(ext_hash, None, included=False, finalized=False)
        if not receipt.is_success:
            error = receipt.error_message or {}
            name = str(error.get("name") or "Unknown")
            docs = error.get("docs")
            detail = " ".join(docs) if isinstance(docs, list) else (docs or "")
            raise ExtrinsicFailedError(name, f"{module}.{function} failed: {name}" + (f" ({detail})" if detail else ""),
                                       module=error.get("type"))
        events = tuple(dict(e.value) for e in receipt.triggered_events)
        return ExtrinsicResult(ext_hash, receipt.block_hash, included=True,
                               finalized=bool(receipt.finalized), events=events)

    try:
        return conn.run(run)
    except RpcRemoteError as exc:
        if exc.code in _POOL_REFUSALS:
            raise ExtrinsicFailedError(_POOL_REFUSALS[exc.code], f"{module}.{function} refused: {exc}") from exc
        raise

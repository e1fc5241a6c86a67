"""What a dispatched call sees: the state, the block number, origins, events and errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bt_llm.errors import ExtrinsicFailedError
from bt_llm.localnet.schema import Event
from bt_llm.localnet.state import State

ST = "SubtensorModule"


@dataclass(frozen=True)
class Origin:
    """``kind`` is ``signed`` (``who`` set), ``root`` or ``collective`` (``yes``/``seats`` of the vote)."""

    kind: str
    who: bytes | None = None
    yes: int = 0
    seats: int = 0

    @classmethod
    def signed(cls, who: bytes) -> Origin:
        return cls("signed", who)

    @classmethod
    def root(cls) -> Origin:
        return cls("root")


def fail(pallet: str | None, name: str) -> ExtrinsicFailedError:
    """The error a call raises: ``raise fail("SubtensorModule", "NotRegistered")``.

    ``pallet=None`` is a non-module ``DispatchError`` (``BadOrigin``, ``Other``...).
    """
    return ExtrinsicFailedError(name, f"{pallet}.{name}" if pallet else name, module=pallet)


def ensure(condition: bool, pallet: str | None, name: str) -> None:
    if not condition:
        raise fail(pallet, name)


def ensure_signed(origin: Origin) -> bytes:
    if origin.kind != "signed" or origin.who is None:
        raise fail(None, "BadOrigin")
    return origin.who


def ensure_root(origin: Origin) -> None:
    if origin.kind != "root":
        raise fail(None, "BadOrigin")


@dataclass
class Ctx:
    """One block's execution context, shared by every call of the block."""

    state: State
    block: int
    block_hash: Callable[[int], bytes | None]
    dispatch: Callable[[Ctx, Origin, Any], None]
    events: list[Event] = field(default_factory=list)

    def deposit(self, pallet: str, name: str, *args: Any) -> None:
        self.events.append(Event(pallet, name, tuple(args)))

    def transactional(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` atomically: on error its writes and events are dropped and the error re-raised."""
        self.state.begin()
        n_events = len(self.events)
        try:
            fn()
        except BaseException:
            self.state.rollback()
            del self.events[n_events:]
            raise
        self.state.commit()


def dispatch_error_value(exc: ExtrinsicFailedError) -> tuple[str, Any]:
    """The ``DispatchError`` enum value (for ``codec.encode("DispatchError", ...)``) of a failed call."""
    from bt_llm.localnet.schema import error_index

    if exc.module is None:
        return (exc.error_name, None)
    p, e = error_index(exc.module, exc.error_name)
    return ("Module", {"index": p, "error": bytes([e, 0, 0, 0])})


def dispatch_as(ctx: Ctx, origin: Origin, call: Any) -> tuple[str, Any]:
    """Dispatch ``call`` as ``origin`` atomically; return the ``DispatchResult`` value for an event."""
    try:
        ctx.transactional(lambda: ctx.dispatch(ctx, origin, call))
    except ExtrinsicFailedError as exc:
        return ("Err", dispatch_error_value(exc))
    return ("Ok", None)

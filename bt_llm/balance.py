"""``Balance``: an amount of TAO held exactly as an integer number of rao (1 TAO = 10^9 rao).

Conventions of the bittensor SDK: ``Balance(int)`` is rao and ``Balance(float)`` is TAO; in
arithmetic and comparisons a plain number operand is rao (``Balance.from_tao(1) + 1`` is one rao more);
``*`` and ``/`` by a number scale. Use ``from_tao``/``from_rao`` to be explicit.

Example:
    >>> from bt_llm.balance import Balance
    >>> b = Balance.from_tao(1.5)
    >>> b.rao, b.tao, str(b)
    (1500000000, 1.5, 'τ1.500000000')
    >>> str(Balance.from_rao(1) + Balance.from_rao(2))
    'τ0.000000003'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import total_ordering
from typing import Union

from bt_llm.errors import ConfigError

RAO_PER_TAO = 10**9
UNIT = "τ"
RAO_UNIT = "ρ"

Number = Union[int, float, Decimal, "Balance"]

__all__ = ["RAO_PER_TAO", "Balance"]


def _tao_to_rao(value: int | float | Decimal) -> int:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"Invalid amount of TAO: {value!r}") from exc
    if not amount.is_finite():  # NaN and Infinity parse as Decimals but are no amount
        raise ConfigError(f"Invalid amount of TAO: {value!r}")
    return int((amount * RAO_PER_TAO).to_integral_value())


def _to_rao(value: Number) -> int:
    """Rao of a ``Balance``, or of a plain number read as rao."""
    if isinstance(value, Balance):
        return value.rao
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"cannot use {type(value).__name__} as an amount")
    return round(value)


@total_ordering
class Balance:
    """An exact amount in rao; ``tao`` is a float view for display and arithmetic with floats."""

    __slots__ = ("rao",)

    def __init__(self, balance: int | float = 0) -> None:
        """``Balance(int)`` is rao; ``Balance(float)`` is TAO (the bittensor SDK's convention)."""
        if isinstance(balance, bool) or not isinstance(balance, (int, float)):
            raise TypeError(f"Balance takes an int (rao) or a float (TAO), not {type(balance).__name__}")
        self.rao: int = balance if isinstance(balance, int) else _tao_to_rao(balance)

    @classmethod
    def from_rao(cls, amount: int) -> Balance:
        """A balance of ``amount`` rao."""
        if isinstance(amount, float) and not amount.is_integer():
            raise ConfigError(f"Invalid amount of rao: {amount!r} (rao are whole)")
        return cls(int(amount))

    @classmethod
    def from_tao(cls, amount: int | float | Decimal | str) -> Balance:
        """A balance of ``amount`` TAO, rounded to the nearest rao."""
        if isinstance(amount, str):
            try:
                parsed = Decimal(amount)
            except InvalidOperation as exc:
                raise ConfigError(f"Invalid amount of TAO: {amount!r}") from exc
            if not parsed.is_finite():
                raise ConfigError(f"Invalid amount of TAO: {amount!r}")
            amount = parsed
        if isinstance(amount, bool) or not isinstance(amount, (int, float, Decimal)):
            raise TypeError(f"cannot use {type(amount).__name__} as an amount of TAO")
        return cls(_tao_to_rao(amount))

    @property
    def tao(self) -> float:
        """The amount in TAO."""
        return self.rao / RAO_PER_TAO

    def __int__(self) -> int:
        return self.rao

    def __float__(self) -> float:
        return self.tao

    def __bool__(self) -> bool:
        return self.rao != 0

    def __hash__(self) -> int:
        return hash(self.rao)

    def __str__(self) -> str:
        sign = "-" if self.rao < 0 else ""
        whole, frac = divmod(abs(self.rao), RAO_PER_TAO)
        return f"{sign}{UNIT}{whole:,}.{frac:09d}"

    def __repr__(self) -> str:
        return f"Balance({self})"

    def __format__(self, spec: str) -> str:
        """Float specs (``.2f``, ``e``, ``g``, ``%``) format ``tao``; any other spec formats ``str(self)``."""
        if spec and spec[-1] in "eEfFgG%":
            return format(self.tao, spec)
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        try:
            return self.rao == _to_rao(other)  # type: ignore[arg-type]
        except TypeError:
            return NotImplemented

    def __lt__(self, other: Number) -> bool:
        return self.rao < _to_rao(other)

    def __add__(self, other: Number) -> Balance:
        return Balance(self.rao + _to_rao(other))

    __radd__ = __add__

    def __sub__(self, other: Number) -> Balance:
        return Balance(self.rao - _to_rao(other))

    def __rsub__(self, other: Number) -> Balance:
        return Balance(_to_rao(other) - self.rao)

    def __mul__(self, other: int | float) -> Balance:
        if isinstance(other, (Balance, bool)) or not isinstance(other, (int, float)):
            return NotImplemented
        return Balance(round(self.rao * other))

    __rmul__ = __mul__

    def __truediv__(self, other: Number) -> Balance | float:
        """Balance / number is a Balance; Balance / Balance is their ratio."""
        if isinstance(other, Balance):
            if other.rao == 0:
                raise ZeroDivisionError("division by a zero balance")
            return self.rao / other.rao
        if other == 0:
            raise ZeroDivisionError("division of a balance by zero")
        return Balance(round(self.rao / other))

    def __floordiv__(self, other: Number) -> Balance | int:
        if isinstance(other, Balance):
            return self.rao // other.rao
        return Balance(int(self.rao // other))

    def __neg__(self) -> Balance:
        return Balance(-self.rao)

    def __pos__(self) -> Balance:
        return Balance(self.rao)

    def __abs__(self) -> Balance:
        return Balance(abs(self.rao))

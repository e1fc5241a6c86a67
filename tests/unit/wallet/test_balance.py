"""Balance: exact rao, TAO views, arithmetic, comparisons, formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bt_llm.balance import RAO_PER_TAO, Balance
from bt_llm.errors import ConfigError


def test_units_and_str() -> None:
    one = Balance.from_tao(1)
    assert one.rao == RAO_PER_TAO and one.tao == 1.0
    assert str(one) == "τ1.000000000"
    assert str(Balance.from_rao(1)) == "τ0.000000001"
    assert str(Balance.from_tao(1234.5)) == "τ1,234.500000000"
    assert str(Balance.from_rao(-5)) == "-τ0.000000005"
    assert repr(one) == "Balance(τ1.000000000)"


def test_from_tao_is_exact() -> None:
    assert Balance.from_tao(0.1).rao == 100_000_000
    assert Balance.from_tao("0.3").rao == 300_000_000
    assert Balance.from_tao(Decimal("21000000")).rao == 21_000_000 * RAO_PER_TAO
    with pytest.raises(ConfigError):
        Balance.from_tao("lots")
    with pytest.raises(ConfigError):
        Balance.from_rao(1.5)


def test_constructor_follows_bittensor() -> None:
    assert Balance(5).rao == 5  # int: rao
    assert Balance(1.5).rao == 1_500_000_000  # float: TAO
    with pytest.raises(TypeError):
        Balance("1")  # type: ignore[arg-type]


def test_arithmetic() -> None:
    a, b = Balance.from_tao(3), Balance.from_tao(1)
    assert a + b == Balance.from_tao(4)
    assert a - b == Balance.from_tao(2)
    assert b - a == Balance.from_tao(-2)
    assert a + 1 == Balance(3 * RAO_PER_TAO + 1)  # a plain number is rao
    assert 1 + a == a + 1 and 10 - Balance(4) == Balance(6)
    assert a * 2 == Balance.from_tao(6) and 2 * a == a * 2
    assert a / 2 == Balance.from_tao(1.5)
    assert a / b == 3.0
    assert a // b == 3 and a // 2 == Balance.from_tao(1.5)
    assert -a == Balance.from_tao(-3) and abs(-a) == a and +a == a
    with pytest.raises(ZeroDivisionError):
        a / Balance(0)
    with pytest.raises(TypeError):
        a * b  # type: ignore[operator]
    with pytest.raises(TypeError):
        a + "1"  # type: ignore[operator]


def test_comparisons_and_hash() -> None:
    assert Balance.from_tao(1) > Balance.from_rao(999_999_999)
    assert Balance.from_rao(5) <= 5 and Balance.from_rao(5) == 5
    assert sorted([Balance(3), Balance(1), Balance(2)]) == [Balance(1), Balance(2), Balance(3)]
    assert len({Balance(1), Balance(1)}) == 1
    assert not Balance(0) and Balance(1)
    assert Balance(1) != "x"


def test_format() -> None:
    assert f"{Balance.from_tao(2):.2f}" == "2.00"
    assert f"{Balance(5):>14}" == "  τ0.000000005"
    assert float(Balance.from_tao(2)) == 2.0 and int(Balance(7)) == 7

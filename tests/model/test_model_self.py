"""Self-tests of the independent model: round-to-sum and a few rule details."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.totals_model import compute, round_to_sum, run_account

D = Decimal


def _floor(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


# --------------------------------------------------------------------------- round_to_sum


def test_round_to_sum_sums_exactly() -> None:
    exact = [D("6.2766877"), D("10.9148827"), D("1.4284296")]
    parts = round_to_sum(exact, D("18.62"), D("0.01"))
    assert parts == [D("6.28"), D("10.91"), D("1.43")]
    assert sum(parts) == D("18.62")


def test_round_to_sum_each_within_one_unit() -> None:
    exact = [D("1") / D("3")] * 3
    parts = round_to_sum(exact, D("1.00"), D("0.01"))
    assert sum(parts) == D("1.00")
    for part, value in zip(parts, exact, strict=True):
        assert abs(part - value) <= D("0.01")


def test_round_to_sum_ties_go_to_the_earlier_value() -> None:
    exact = [D("0.005"), D("0.005"), D("0.005")]
    assert round_to_sum(exact, D("0.01"), D("0.01")) == [D("0.01"), D("0"), D("0")]
    assert round_to_sum(exact, D("0.02"), D("0.01")) == [D("0.01"), D("0.01"), D("0")]


def test_round_to_sum_largest_fraction_wins_over_position() -> None:
    exact = [D("0.004"), D("0.006"), D("0.005")]
    assert round_to_sum(exact, D("0.01"), D("0.01")) == [D("0"), D("0.01"), D("0")]


def test_round_to_sum_floors_negative_values_toward_minus_infinity() -> None:
    # floor(-4.2017) = -4.21 with fraction .0083, which beats .0051
    exact = [D("-4.2017"), D("8.3951")]
    assert round_to_sum(exact, D("4.18"), D("0.01")) == [D("-4.21"), D("8.39")]
    assert round_to_sum(exact, D("4.19"), D("0.01")) == [D("-4.20"), D("8.39")]
    assert round_to_sum(exact, D("4.20"), D("0.01")) == [D("-4.20"), D("8.40")]


def test_round_to_sum_zero_minor_digits() -> None:
    exact = [D("1000.168"), D("1163.832")]
    assert round_to_sum(exact, D("2164"), D("1")) == [D("1000"), D("1164")]


def test_round_to_sum_rejects_target_not_reachable() -> None:
    with pytest.raises(ValueError, match="extra units"):
        round_to_sum([D("1.00"), D("1.00")], D("1.99"), D("0.01"))
    with pytest.raises(ValueError, match="not a multiple"):
        round_to_sum([D("1.00")], D("1.005"), D("0.01"))


UNITS = [D("1"), D("0.01"), D("0.001"), D("0.05")]


@st.composite
def _round_to_sum_inputs(draw: st.DrawFn) -> tuple[list[Decimal], Decimal, Decimal]:
    unit = draw(st.sampled_from(UNITS))
    exact = draw(
        st.lists(
            st.decimals(min_value=D("-10000"), max_value=D("10000"), places=6, allow_nan=False),
            min_size=1,
            max_size=12,
        )
    )
    floor_sum = sum((_floor(e, unit) for e in exact), D(0))
    k = draw(st.integers(min_value=0, max_value=len(exact)))
    return exact, floor_sum + k * unit, unit


@settings(max_examples=300, deadline=None)
@given(_round_to_sum_inputs())
def test_round_to_sum_property(data: tuple[list[Decimal], Decimal, Decimal]) -> None:
    exact, target, unit = data
    parts = round_to_sum(exact, target, unit)
    assert len(parts) == len(exact)
    assert sum(parts) == target
    for part, value in zip(parts, exact, strict=True):
        assert (part / unit) == (part / unit).to_integral_value()
        assert -unit < part - value <= unit
        assert part - _floor(value, unit) in (D(0), unit)
    # whoever got an extra unit has a fraction at least as large as whoever did not,
    # and on equal fractions the earlier value wins
    fractions = [value - _floor(value, unit) for value in exact]
    bumped = [part != _floor(value, unit) for part, value in zip(parts, exact, strict=True)]
    for i, got_i in enumerate(bumped):
        for j, got_j in enumerate(bumped):
            if got_i and not got_j:
                assert fractions[i] > fractions[j] or (fractions[i] == fractions[j] and i < j)


# --------------------------------------------------------------------------- totals details


def _one_line(price: str, rate: str, **extra: object) -> dict[str, object]:
    case: dict[str, object] = {
        "currency": "EUR",
        "prices": "exclusive",
        "tax_rounding": "per_category",
        "rounding_mode": "half_up",
        "lines": [
            {"quantity": "1", "unit_price": price, "taxes": [{"category": "S", "rate": rate}]}
        ],
    }
    case.update(extra)
    return case


def test_negative_tax_rounds_symmetrically() -> None:
    # a 1.25 allowance at 10 % gives -0.125 -> -0.13 (half_up away from zero), per line
    case = _one_line(
        "10.00",
        "10",
        tax_rounding="per_line",
        allowances=[{"amount": "1.25", "taxes": [{"category": "S", "rate": "10"}]}],
    )
    result = compute(case)
    assert result["tax_total"] == "0.87"  # 1.00 - 0.13


@pytest.mark.parametrize(
    ("mode", "tax"),
    [("half_up", "1.21"), ("half_even", "1.20"), ("up", "1.21"), ("down", "1.20")],
)
def test_modes_on_a_tie(mode: str, tax: str) -> None:
    assert compute(_one_line("12.05", "10", rounding_mode=mode))["tax_total"] == tax


def test_inclusive_fallback() -> None:
    case = _one_line("29.97", "19", prices="inclusive")
    result = compute(case)
    assert (result["tax_exclusive"], result["tax_total"]) == ("25.18", "4.79")


def test_cash_rounding_and_account_use_payable() -> None:
    case = _one_line("38.70", "8.1", currency="CHF", cash_increment="0.05")
    result = compute(case)
    assert (result["tax_inclusive"], result["rounding"], result["payable"]) == (
        "41.83",
        "0.02",
        "41.85",
    )
    case["account"] = [{"op": "pay", "amount": "41.85"}]
    assert run_account(case) == [
        {
            "paid": "41.85",
            "credited": "0.00",
            "due": "0.00",
            "customer_credit": "0.00",
            "status": "paid",
        }
    ]


def test_many_currencies_have_minor_digits() -> None:
    for currency, price, formatted in [
        ("ISK", "100", "110"),
        ("TND", "1.000", "1.100"),
        ("CLF", "1.0000", "1.1000"),
        ("HUF", "1.00", "1.10"),
    ]:
        assert compute(_one_line(price, "10", currency=currency))["payable"] == formatted

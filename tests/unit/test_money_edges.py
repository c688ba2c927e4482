"""Edges of money.py that mutation testing found unguarded (see docs/explanation/mutation-testing.md).

The amount limit at exactly 10^15, splitting into zero parts, and the moneyed.Money edges.
"""

from __future__ import annotations

from decimal import Decimal

import moneyed
import pytest

from invoicekit.errors import ValidationError
from invoicekit.money import (
    MAX_AMOUNT,
    Rounding,
    from_money,
    parse_amount,
    parse_decimal,
    quantize,
    quantize_to_increment,
    round_to_sum,
    to_money,
)

LIMIT = 10**15


def test_the_limit_is_ten_to_the_fifteen() -> None:
    assert Decimal(LIMIT) == MAX_AMOUNT


@pytest.mark.parametrize(
    "value", [LIMIT - 1, -(LIMIT - 1), "999999999999999.99", "-999999999999999.99"]
)
def test_amounts_just_below_the_limit_are_accepted(value: object) -> None:
    assert parse_decimal(value, path="amount") == Decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [LIMIT, -LIMIT, Decimal(LIMIT), str(LIMIT), f"-{LIMIT}.00"])
def test_an_amount_of_exactly_the_limit_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="smaller than") as caught:
        parse_decimal(value, path="lines[0].unit_price")

    assert caught.value.problems[0].path == "lines[0].unit_price"


def test_an_amount_just_below_the_limit_keeps_its_cents() -> None:
    assert parse_amount("999999999999999.99", "EUR") == Decimal("999999999999999.99")


def test_round_to_sum_of_nothing_is_nothing_only_for_a_zero_target() -> None:
    assert round_to_sum([], Decimal("0.00"), Decimal("0.01")) == []
    with pytest.raises(ValueError, match="zero parts"):
        round_to_sum([], Decimal("0.01"), Decimal("0.01"))


def test_quantize_to_increment_rounds_a_tie_half_up_by_default() -> None:
    # 0.025 is exactly half-way between two CHF 0.05 steps: half-up goes to 0.05, half-even
    # would go to 0.00.
    assert quantize_to_increment(Decimal("0.025"), Decimal("0.05"), "CHF") == Decimal("0.05")
    assert quantize_to_increment(Decimal("-0.025"), Decimal("0.05"), "CHF") == Decimal("-0.05")


def test_quantize_rounds_a_tie_half_up_by_default_and_keeps_the_mode_given() -> None:
    assert quantize(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert quantize(Decimal("0.125"), "EUR", Rounding.HALF_EVEN) == Decimal("0.12")


def test_to_money_wraps_an_amount_in_its_currency() -> None:
    money = to_money(Decimal("12.30"), "EUR")

    assert money == moneyed.Money(Decimal("12.30"), "EUR")
    assert money.currency.code == "EUR"


def test_to_money_refuses_a_code_that_is_not_iso_4217() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        to_money(Decimal(1), "XYZ")


def test_from_money_gives_back_the_amount_and_the_code() -> None:
    assert from_money(moneyed.Money(Decimal("0.500"), "BHD")) == (Decimal("0.500"), "BHD")
    assert from_money(to_money(Decimal(-7), "JPY")) == (Decimal(-7), "JPY")


@pytest.mark.parametrize("text", ["-12.30", "-0.01", "-999999999999999.99"])
def test_a_negative_decimal_string_is_a_negative_number(text: str) -> None:
    assert parse_decimal(text, path="amount") == Decimal(text)


@pytest.mark.parametrize("text", ["-0", "-0.00"])
def test_a_negative_zero_string_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="negative zero"):
        parse_decimal(text, path="amount")


# The product of the largest quantity and price has about 30 digits, more than the 28 of
# Python's default decimal context: rounding it must not lose digits (or raise).
HUGE = Decimal("123456789012345678901234567.895")


def test_quantize_rounds_a_thirty_digit_figure_exactly() -> None:
    assert quantize(HUGE, "EUR") == Decimal("123456789012345678901234567.90")


def test_quantize_to_increment_rounds_a_thirty_digit_figure_exactly() -> None:
    # 123456789012345678901234567.925 / 0.05 = 2469135780246913578024691358.5 steps: a tie
    # that 28 digits would have cut to ...358 before rounding it up.
    value = Decimal("123456789012345678901234567.925")

    assert quantize_to_increment(value, Decimal("0.05"), "CHF") == Decimal(
        "123456789012345678901234567.95"
    )

"""Coupons: Coupon.create's rules, which periods a coupon applies to, and apply_coupons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicekit.domain.coupons import (
    AppliedCoupon,
    Coupon,
    CouponDuration,
    apply_coupons,
)
from invoicekit.domain.line import Discount, Line
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError

TEN_OFF = Coupon.create(id="welcome", name="Welcome 10%", percent_off="10")
TWENTY = Coupon.create(id="twenty", name="EUR 20 off", amount_off="20.00", currency="EUR")


def _paths(**fields: Any) -> tuple[str, ...]:
    values: dict[str, Any] = {"id": "c", "name": "Coupon", "percent_off": "10"}
    with pytest.raises(ValidationError) as caught:
        Coupon.create(**{**values, **fields})
    return caught.value.paths


def _line(price: str, quantity: int = 1, description: str = "Pro plan") -> Line:
    return Line(description, quantity, Decimal(price), tax=Vat("19"))


def _applied(coupon: Coupon, first: int = 0) -> AppliedCoupon:
    return AppliedCoupon(coupon=coupon, first_index=first)


def test_a_percent_coupon() -> None:
    assert TEN_OFF.percent_off == Decimal(10)
    assert TEN_OFF.duration is CouponDuration.ONCE
    assert (TEN_OFF.amount_off, TEN_OFF.currency, TEN_OFF.periods) == (None, None, None)


def test_a_repeating_amount_coupon() -> None:
    coupon = Coupon.create(
        id="c", name="3 months", amount_off=5, currency="JPY", duration="repeating", periods=3
    )
    assert (coupon.amount_off, coupon.duration, coupon.periods) == (Decimal(5), "repeating", 3)


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        pytest.param({"percent_off": None}, ("percent_off",), id="neither"),
        pytest.param({"amount_off": "5.00", "currency": "EUR"}, ("percent_off",), id="both"),
        pytest.param({"percent_off": "0"}, ("percent_off",), id="zero-percent"),
        pytest.param({"percent_off": "100.01"}, ("percent_off",), id="over-100"),
        pytest.param(
            {"percent_off": None, "amount_off": "5.00"}, ("currency",), id="amount-no-currency"
        ),
        pytest.param(
            {"percent_off": None, "amount_off": "0", "currency": "EUR"},
            ("amount_off",),
            id="amount-zero",
        ),
        pytest.param(
            {"percent_off": None, "amount_off": "5.001", "currency": "EUR"},
            ("amount_off",),
            id="amount-places",
        ),
        pytest.param({"currency": "eur"}, ("currency",), id="currency"),
        pytest.param({"duration": "monthly"}, ("duration",), id="duration"),
        pytest.param({"duration": "repeating"}, ("periods",), id="repeating-no-periods"),
        pytest.param(
            {"duration": "repeating", "periods": 0}, ("periods",), id="repeating-zero-periods"
        ),
        pytest.param({"periods": 3}, ("periods",), id="periods-once"),
        pytest.param({"duration": "forever", "periods": 3}, ("periods",), id="periods-forever"),
        pytest.param({"name": ""}, ("name",), id="name"),
        pytest.param({"id": ""}, ("id",), id="id"),
        pytest.param(
            {"id": "", "name": "", "percent_off": "-1", "duration": "x"},
            ("id", "name", "percent_off", "duration"),
            id="all-at-once",
        ),
    ],
)
def test_each_rule_of_a_coupon(fields: dict[str, Any], paths: tuple[str, ...]) -> None:
    assert _paths(**fields) == paths


def test_a_float_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="float"):
        Coupon.create(id="c", name="c", percent_off=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("duration", "periods", "applies"),
    [
        ("once", None, [False, False, True, False, False, False]),
        ("repeating", 3, [False, False, True, True, True, False]),
        ("repeating", 1, [False, False, True, False, False, False]),
        ("forever", None, [False, False, True, True, True, True]),
    ],
)
def test_which_periods_a_coupon_applies_to(
    duration: str, periods: int | None, applies: list[bool]
) -> None:
    coupon = Coupon.create(id="c", name="c", percent_off="5", duration=duration, periods=periods)
    applied = _applied(coupon, first=2)
    assert [applied.applies_to(i) for i in range(6)] == applies


def test_a_percent_coupon_discounts_each_positive_line() -> None:
    lines = [_line("49.00"), _line("10.00", 3, "Seats"), _line("5.00", -1, "Credit")]
    out = apply_coupons(lines, [_applied(TEN_OFF)], 0, "EUR")
    assert [line.discounts for line in out] == [
        (Discount(percent="10", reason="Welcome 10%"),),
        (Discount(percent="10", reason="Welcome 10%"),),
        (),
    ]
    assert compute_totals("EUR", out).line_net_total == Decimal("66.10")  # 44.10 + 27.00 - 5


def test_a_fixed_coupon_splits_in_proportion_with_the_remainder_on_the_largest() -> None:
    lines = [_line("44.10"), _line("27.00"), _line("0.01")]
    out = apply_coupons(lines, [_applied(TWENTY)], 0, "EUR")
    # exact shares 12.403, 7.594, 0.0028 -> 12.40, 7.59, 0.00; the missing cent on the largest
    assert [line.discounts for line in out] == [
        (Discount(amount="12.41", reason="EUR 20 off"),),
        (Discount(amount="7.59", reason="EUR 20 off"),),
        (),
    ]


def test_a_fixed_coupon_larger_than_the_invoice_takes_it_to_zero_and_the_rest_is_lost() -> None:
    lines = [_line("12.00"), _line("3.00")]
    out = apply_coupons(lines, [_applied(TWENTY)], 0, "EUR")
    assert [line.discounts for line in out] == [
        (Discount(amount="12.00", reason="EUR 20 off"),),
        (Discount(amount="3.00", reason="EUR 20 off"),),
    ]
    assert compute_totals("EUR", out).line_net_total == Decimal("0.00")


def test_with_credit_lines_coupons_take_the_invoice_to_zero_at_most() -> None:
    # An invoice may not total below zero: a credit (proration) line leaves less to take.
    lines = [_line("12.00"), _line("3.00"), _line("4.00", -1, "Credit")]
    out = apply_coupons(lines, [_applied(TWENTY)], 0, "EUR")
    assert [line.discounts for line in out] == [
        (Discount(amount="8.80", reason="EUR 20 off"),),
        (Discount(amount="2.20", reason="EUR 20 off"),),
        (),
    ]
    assert compute_totals("EUR", out).line_net_total == Decimal("0.00")
    half = Coupon.create(id="h", name="Half", percent_off="50")
    out = apply_coupons([_line("10.00"), _line("8.00", -1)], [_applied(half)], 0, "EUR")
    assert out[0].discounts == (Discount(amount="2.00", reason="Half"),)


def test_an_invoice_of_credits_only_gets_no_discount() -> None:
    lines = (_line("4.00", -1, "Credit"),)
    assert apply_coupons(lines, [_applied(TWENTY), _applied(TEN_OFF)], 0, "EUR") == lines


def test_coupons_apply_in_order_to_what_the_ones_before_left() -> None:
    lines = [_line("30.00")]
    out = apply_coupons(lines, [_applied(TWENTY), _applied(TEN_OFF)], 0, "EUR")
    assert out[0].discounts == (
        Discount(amount="20.00", reason="EUR 20 off"),
        Discount(percent="10", reason="Welcome 10%"),
    )
    assert compute_totals("EUR", out).line_net_total == Decimal("7.00")


def test_percent_coupons_together_never_take_a_line_below_zero() -> None:
    sixty = Coupon.create(id="s", name="Sixty", percent_off="60")
    out = apply_coupons([_line("10.00")], [_applied(sixty), _applied(sixty)], 0, "EUR")
    # the second 60% would take 6.00 of the 4.00 left: it takes 4.00, as an amount
    assert out[0].discounts == (
        Discount(percent="60", reason="Sixty"),
        Discount(amount="4.00", reason="Sixty"),
    )
    assert compute_totals("EUR", out).line_net_total == Decimal("0.00")


def test_a_coupon_that_does_not_apply_to_the_period_changes_nothing() -> None:
    lines = (_line("49.00"),)
    assert apply_coupons(lines, [_applied(TEN_OFF, first=1)], 0, "EUR") == lines
    assert apply_coupons(lines, [_applied(TEN_OFF, first=1)], 2, "EUR") == lines
    assert apply_coupons(lines, [_applied(TEN_OFF, first=1)], 1, "EUR") != lines


def test_a_coupon_in_another_currency_is_refused_with_its_index() -> None:
    usd = Coupon.create(id="u", name="USD 5", amount_off="5.00", currency="USD")
    with pytest.raises(ValidationError) as caught:
        apply_coupons([_line("49.00")], [_applied(TEN_OFF), _applied(usd, first=9)], 0, "EUR")
    assert caught.value.paths == ("coupons[1].currency",)


def test_a_percent_coupon_limited_to_a_currency() -> None:
    eur_only = Coupon.create(id="e", name="EUR 10%", percent_off="10", currency="EUR")
    assert apply_coupons([_line("10.00")], [_applied(eur_only)], 0, "EUR")[0].discounts
    with pytest.raises(ValidationError):
        apply_coupons([_line("10.00")], [_applied(eur_only)], 0, "USD")


def test_lines_that_already_carry_discounts_and_charges_keep_them() -> None:
    line = Line(
        "Pro plan",
        1,
        Decimal("100.00"),
        tax=Vat("19"),
        discounts=[Discount(amount="90.00", reason="Partner")],
    )
    out = apply_coupons([line], [_applied(TWENTY)], 0, "EUR")
    assert out[0].discounts == (
        Discount(amount="90.00", reason="Partner"),
        Discount(amount="10.00", reason="EUR 20 off"),
    )


def test_no_lines_no_discounts() -> None:
    assert apply_coupons([], [_applied(TWENTY)], 0, "EUR") == ()


def _capped_lines() -> list[Line]:
    """Card payments capped at 30.00: 2.9 % of 1,000.00 and 12 fees of 0.30, less 2.60."""
    return [
        Line("Card payments", Decimal("1000.00"), Decimal("0.029"), tax=Vat("19")),
        Line("Card payments (fee per event)", 12, Decimal("0.30"), tax=Vat("19")),
        Line("Card payments (maximum 30.00 per period)", -1, Decimal("2.60"), tax=Vat("19")),
    ]


def test_a_percent_coupon_on_a_capped_price_takes_its_percent_of_the_capped_amount() -> None:
    lines = _capped_lines()
    out = apply_coupons(lines, [_applied(TEN_OFF)], 0, "EUR", groups=["cards"] * 3)
    before = compute_totals("EUR", lines).line_net_total
    after = compute_totals("EUR", out).line_net_total
    assert (before, after) == (Decimal("30.00"), Decimal("27.00"))  # 3.00, not 3.26
    assert [d.amount for line in out[:2] for d in line.discounts] == [
        Decimal("2.67"),
        Decimal("0.33"),
    ]
    assert out[2].discounts == ()


def test_a_percent_coupon_over_tiers_rounds_once_per_price() -> None:
    # 10 % of 0.05 + 0.05 per line is 0.01 + 0.01; of the price's 0.10 it is 0.01
    lines = [_line("0.05", description="Tier 1"), _line("0.05", description="Tier 2")]
    out = apply_coupons(lines, [_applied(TEN_OFF)], 0, "EUR", groups=["p", "p"])
    assert compute_totals("EUR", out).line_net_total == Decimal("0.09")
    alone = apply_coupons(lines, [_applied(TEN_OFF)], 0, "EUR")
    assert compute_totals("EUR", alone).line_net_total == Decimal("0.08")


def test_groups_must_give_one_key_per_line() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_coupons([_line("1.00")], [_applied(TEN_OFF)], 0, "EUR", groups=[])
    assert caught.value.paths == ("groups",)

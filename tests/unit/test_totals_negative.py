"""Negative lines (a return, a deposit) and document allowances in a VAT group of their own
(docs/explanation/totals-rules.md): what EN 16931 allows, and the total that stays >= 0."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError

D = Decimal


def test_a_returned_item_is_a_negative_line_that_lowers_its_vat_group() -> None:
    totals = compute_totals(
        "EUR",
        [
            Line("Chair", "4", "50.00", Vat("19")),
            Line("Chair returned", "-1", "50.00", Vat("19")),
        ],
    )

    assert [line.net for line in totals.lines] == [D("200.00"), D("-50.00")]
    assert (totals.line_net_total, totals.tax_total, totals.payable) == (
        D("150.00"),
        D("28.50"),
        D("178.50"),
    )
    assert "line 2: base -50.00 = net -50.00" in totals.explain()


def test_a_deposit_taken_back_may_make_its_own_vat_group_negative() -> None:
    totals = compute_totals(
        "EUR",
        [
            Line("Beer crate", "2", "12.00", Vat("19")),
            Line("Crate deposit returned", "-3", "1.50", Tax.zero_rated()),
        ],
    )

    assert [(r.base, r.amount) for r in totals.breakdown] == [
        (D("24.00"), D("4.56")),
        (D("-4.50"), D("0.00")),
    ]
    assert totals.payable == D("24.06")


def test_an_invoice_total_below_zero_is_refused_pointing_at_a_credit_note() -> None:
    with pytest.raises(ValidationError) as info:
        compute_totals(
            "EUR",
            [Line("Chair", "1", "50.00", Vat("19")), Line("Return", "-2", "50.00", Vat("19"))],
        )

    (found,) = info.value.problems
    assert found.path == "lines"
    assert "below zero" in found.message
    assert "BT-112" in found.message
    assert "credit note" in found.message


def test_a_received_total_below_zero_is_computed_as_stated() -> None:
    """EN 16931 allows a negative BT-112: the e-invoice reader must hold what it receives."""
    lines = [Line("Chair", "1", "50.00", Vat("19")), Line("Return", "-2", "50.00", Vat("19"))]

    totals = compute_totals("EUR", lines, received=True)

    assert (totals.tax_exclusive, totals.tax_total, totals.payable) == (
        D("-50.00"),
        D("-9.50"),
        D("-59.50"),
    )


def test_a_percent_discount_on_a_negative_line_stays_negative() -> None:
    totals = compute_totals(
        "EUR",
        [
            Line("Chair", "2", "50.00", Vat("19")),
            Line("Return", "-1", "50.00", Vat("19"), discounts=[Discount(percent="10")]),
        ],
    )

    assert totals.lines[1].net == D("-45.00")


def test_charges_may_not_turn_a_negative_line_positive() -> None:
    with pytest.raises(ValidationError, match="stays negative"):
        compute_totals(
            "EUR",
            [
                Line("Chair", "2", "50.00", Vat("19")),
                Line("Return", "-1", "5.00", Vat("19"), charges=[Charge(amount="10.00")]),
            ],
        )


def test_a_discount_spread_over_a_negative_group_must_name_its_tax() -> None:
    with pytest.raises(ValidationError, match="give its tax"):
        compute_totals(
            "EUR",
            [
                Line("Chair", "2", "50.00", Vat("19")),
                Line("Deposit back", "-1", "5.00", Tax.zero_rated()),
            ],
            discounts=[Discount(amount="1.00")],
        )


def test_a_fixed_allowance_in_a_vat_group_no_line_has_gets_its_own_breakdown_row() -> None:
    totals = compute_totals(
        "EUR",
        [Line("Service", "1", "100.00", Vat("19"))],
        discounts=[Discount(amount="10.00", tax=Vat("7"), reason="Voucher")],
        charges=[Charge(amount="5.00", tax=Tax.zero_rated(), reason="Packing")],
    )

    assert [(r.tax.label, r.base, r.amount) for r in totals.breakdown] == [
        ("VAT 19%", D("100.00"), D("19.00")),
        ("VAT 7%", D("-10.00"), D("-0.70")),
        ("VAT 0%", D("5.00"), D("0.00")),
    ]
    assert (totals.tax_exclusive, totals.tax_total, totals.payable) == (
        D("95.00"),
        D("18.30"),
        D("113.30"),
    )
    assert "document discount 10.00 (fixed; VAT 7%)" in totals.explain()


def test_an_own_group_allowance_with_tax_inclusive_prices() -> None:
    totals = compute_totals(
        "EUR",
        [Line("Service", "1", "119.00", Vat("19"))],
        discounts=[Discount(amount="10.70", tax=Vat("7"))],
        prices=PriceMode.INCLUSIVE,
    )

    assert [(r.base, r.amount) for r in totals.breakdown] == [
        (D("100.00"), D("19.00")),
        (D("-10.00"), D("-0.70")),
    ]
    assert totals.payable == D("108.30")

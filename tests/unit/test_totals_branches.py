"""Branches of totals.py that mutation testing found unguarded by any test.

A fixed document discount or charge spread over lines that sum to zero, and a document
discount without a tax when tax-inclusive lines carry more than one tax.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError

D = Decimal


def _problems(*lines: Line, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        compute_totals("EUR", lines, **kwargs)  # type: ignore[arg-type]
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"discounts": [Discount(amount="5.00")]}, "discounts[0].amount"),
        ({"charges": [Charge(amount="5.00")]}, "charges[0].amount"),
    ],
)
def test_a_fixed_amount_is_not_spread_over_lines_that_sum_to_zero(
    kwargs: dict[str, object], path: str
) -> None:
    free = Line("Trial", "1", "0.00", Vat("19"))

    problems = _problems(free, **kwargs)

    assert problems == [
        (path, "cannot spread a fixed amount over lines that sum to zero; give its tax")
    ]


def test_a_fixed_charge_with_its_tax_applies_to_lines_that_sum_to_zero() -> None:
    free = Line("Trial", "1", "0.00", Vat("19"))

    totals = compute_totals("EUR", [free], charges=[Charge(amount="5.00", tax=Vat("19"))])

    assert (totals.charge_total, totals.tax_total, totals.payable) == (
        D("5.00"),
        D("0.95"),
        D("5.95"),
    )


@pytest.mark.parametrize(
    "discount", [Discount(amount="5.00"), Discount(percent="10")], ids=["fixed", "percent"]
)
def test_an_inclusive_discount_is_not_blamed_for_a_line_with_two_taxes(
    discount: Discount,
) -> None:
    # The line is wrong (inclusive prices take one tax per line); the discount, spread over
    # whatever the lines carry, is not reported as well.
    two_taxes = Line("Bundle", "1", "0.00", (Vat("19"), Vat("7")))

    problems = _problems(two_taxes, discounts=[discount], prices=PriceMode.INCLUSIVE)

    assert problems == [
        ("lines[0].tax", "with tax-inclusive prices a line carries exactly one tax")
    ]

"""Lines of totals.py that mutation testing found no test noticing a change to.

Fixed document amounts over lines that sum to zero, document discounts without a tax
over inclusive or stacked-tax lines, every problem and its path, the steps of the
tax-inclusive conversion, per-line labels, explain(), and what equal totals means.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError
from invoicekit.money import Rounding

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


def test_an_inclusive_discount_without_a_tax_applies_to_single_tax_lines() -> None:
    lines = [Line("a", "1", "119.00", Vat("19")), Line("b", "1", "107.00", Vat("7"))]

    totals = compute_totals(
        "EUR", lines, discounts=[Discount(amount="22.60")], prices=PriceMode.INCLUSIVE
    )

    assert [(d.taxes, d.gross) for d in totals.discounts] == [
        ((Vat("19"),), D("11.90")),
        ((Vat("7"),), D("10.70")),
    ]
    assert totals.payable == D("203.40")


def test_a_discount_without_a_tax_applies_to_lines_with_stacked_taxes() -> None:
    state, county = Tax.sales_tax("state", "6.25"), Tax.sales_tax("county", "1.5")

    totals = compute_totals(
        "USD", [Line("x", "1", "100.00", [state, county])], discounts=[Discount(amount="20.00")]
    )

    assert [(d.amount, d.taxes) for d in totals.discounts] == [(D("20.00"), (state, county))]
    assert [(r.base, r.amount) for r in totals.breakdown] == [
        (D("80.00"), D("5.00")),
        (D("80.00"), D("1.20")),
    ]


# ------------------------------------------------------------------ problems and their paths


def test_no_lines_is_a_problem() -> None:
    assert _problems() == [("lines", "an invoice needs at least one line")]


def test_a_fixed_amount_finer_than_the_minor_unit_is_a_problem_naming_its_path() -> None:
    line = Line("x", "1", "10.00", Vat("19"), discounts=[Discount(amount="1.005")])
    charged = Line("y", "1", "10.00", Vat("19"), charges=[Charge(amount="0.001")])

    assert _problems(line, charged) == [
        ("lines[0].discounts[0].amount", "EUR amounts have at most 2 decimal places"),
        ("lines[1].charges[0].amount", "EUR amounts have at most 2 decimal places"),
    ]


def test_line_discounts_above_the_line_amount_are_one_problem() -> None:
    line = Line("x", "1", "10.00", Vat("19"), discounts=[Discount(amount="15.00")])

    assert _problems(line) == [
        ("lines[0].discounts", "discounts (15.00) exceed the line amount (10.00)")
    ]


def test_document_discounts_above_their_lines_are_a_problem() -> None:
    line = Line("x", "1", "100.00", Vat("19"))

    problems = _problems(line, discounts=[Discount(amount="150.00", tax=Vat("19"))])

    assert problems == [
        ("discounts", "document discounts exceed the VAT 19% lines they apply to (base -50.00)")
    ]


def test_a_document_discount_percentage_for_a_tax_no_line_carries_is_a_problem() -> None:
    line = Line("x", "1", "100.00", Vat("19"))

    problems = _problems(line, discounts=[Discount(percent="5", tax=Vat("7"))])

    assert problems == [
        (
            "discounts[0].tax",
            (
                "no line carries these taxes, so a percentage has no base; give a fixed amount "
                "for a VAT group of its own"
            ),
        )
    ]


def test_an_inclusive_document_discount_with_two_taxes_is_a_problem() -> None:
    lines = [Line("a", "1", "119.00", Vat("19")), Line("b", "1", "107.00", Vat("7"))]
    two = Discount(amount="1.00", tax=(Vat("19"), Vat("7")))

    problems = _problems(*lines, discounts=[two], prices=PriceMode.INCLUSIVE)

    assert problems[0] == (
        "discounts[0].tax",
        "with tax-inclusive prices it carries exactly one tax",
    )


def test_a_percent_discount_with_a_tax_records_its_base() -> None:
    lines = [Line("a", "1", "80.00", Vat("19")), Line("b", "1", "20.00", Vat("7"))]
    discounts = [Discount(percent="10", tax=Vat("19")), Discount(amount="1.00", tax=Vat("7"))]

    totals = compute_totals("EUR", lines, discounts=discounts)

    assert [(d.amount, d.base) for d in totals.discounts] == [
        (D("8.00"), D("80.00")),
        (D("1.00"), None),
    ]


# ------------------------------------------------------------------ tax-inclusive conversion

INCLUSIVE_STEPS = [
    ("119.00", "19", Rounding.HALF_UP, []),  # 100.00 * 1.19 is exactly 119.00: nothing rounded
    (
        "10.00",
        "19",
        Rounding.HALF_UP,
        [
            (
                "net of gross 10.00 at VAT 19%: 8.4033613445... -> 8.40 "
                "(-0.0033613445...; half_up, net + tax = gross)"
            )
        ],
    ),
    (
        "0.03",
        "19",
        Rounding.HALF_UP,
        [
            (
                "tax in gross 0.03 at VAT 19% (no exact net exists): 0.004789916... -> 0.00 "
                "(-0.004789916...; half_up)"
            )
        ],
    ),
    (  # rounded down, 0.00 and -0.01 fail; one unit above the first guess gives 0.01 + 0.00
        "0.01",
        "19",
        Rounding.DOWN,
        [
            (
                "net of gross 0.01 at VAT 19%: 0.0084033613... -> 0.01 "
                "(+0.0015966387...; down, net + tax = gross)"
            )
        ],
    ),
]


@pytest.mark.parametrize(("gross", "rate", "mode", "steps"), INCLUSIVE_STEPS)
def test_inclusive_conversion_records_each_step_it_rounds(
    gross: str, rate: str, mode: Rounding, steps: list[str]
) -> None:
    totals = compute_totals(
        "EUR",
        [Line("x", "1", gross, Vat(rate))],
        prices=PriceMode.INCLUSIVE,
        policy=RoundingPolicy(mode=mode),
    )

    assert [str(step) for step in totals.steps] == steps
    assert totals.breakdown[0].base + totals.breakdown[0].amount == D(gross)


def test_a_one_percent_tax_is_split_out_of_the_gross() -> None:
    totals = compute_totals("EUR", [Line("x", "1", "101.00", Vat("1"))], prices=PriceMode.INCLUSIVE)

    assert (totals.breakdown[0].base, totals.breakdown[0].amount) == (D("100.00"), D("1.00"))


def test_a_step_keeps_its_exact_figure_to_sixty_digits() -> None:
    (step,) = compute_totals(
        "EUR", [Line("x", "1", "10.00", Vat("19"))], prices=PriceMode.INCLUSIVE
    ).steps

    with localcontext() as ctx:
        ctx.prec = 60
        assert step.exact == D("10.00") / D("1.19")
    assert len(step.exact.as_tuple().digits) == 60


# ------------------------------------------------------------------ per-line tax, labels, explain()


def test_per_line_tax_names_every_line_discount_and_charge_and_never_shows_minus_zero() -> None:
    lines = [Line("a", "1", "0.05", Vat("19")), Line("b", "1", "0.05", Vat("19"))]
    discounts = [Discount(amount="0.01", tax=Vat("19")), Discount(amount="0.03", tax=Vat("19"))]
    charges = [Charge(amount="0.07", tax=Vat("19")), Charge(amount="0.02", tax=Vat("19"))]

    totals = compute_totals(
        "EUR",
        lines,
        discounts=discounts,
        charges=charges,
        policy=RoundingPolicy(tax_rounding=TaxRounding.PER_LINE),
    )

    assert [str(step) for step in totals.steps] == [
        "VAT 19% on line 1 (0.05): 0.0095 -> 0.01 (+0.0005; half_up)",
        "VAT 19% on line 2 (0.05): 0.0095 -> 0.01 (+0.0005; half_up)",
        "VAT 19% on document discount 1 (-0.01): -0.0019 -> 0.00 (+0.0019; half_up)",
        "VAT 19% on document discount 2 (-0.03): -0.0057 -> -0.01 (-0.0043; half_up)",
        "VAT 19% on document charge 1 (0.07): 0.0133 -> 0.01 (-0.0033; half_up)",
        "VAT 19% on document charge 2 (0.02): 0.0038 -> 0.00 (-0.0038; half_up)",
    ]


def test_explain_shows_line_adjustments_document_adjustments_and_the_breakdown() -> None:
    lines = [
        Line(
            "a",
            "3",
            "10.00",
            Vat("19"),
            discounts=[Discount(percent="10")],
            charges=[Charge(amount="1.00")],
        ),
        Line("b", "1", "1.2345", Vat("7")),
    ]

    text = compute_totals(
        "EUR",
        lines,
        discounts=[Discount(percent="5")],
        charges=[Charge(amount="2.00", tax=Vat("7"))],
    ).explain()

    for row in [
        "  line 1: base 30.00 - discount 3.00 + charge 1.00 = net 28.00",
        "  line 2: base 1.23 = net 1.23",
        "  document discount 1.40 (5% of 28.00; VAT 19%)",
        "  document discount 0.06 (5% of 1.23; VAT 7%)",
        "  document charge 2.00 (fixed; VAT 7%)",
        "  VAT 19%                      base 26.60 tax 5.05",
        "  VAT 7%                       base 3.17 tax 0.22",
    ]:
        assert row in text.splitlines()


def test_explain_shows_the_gross_of_an_inclusive_line() -> None:
    text = compute_totals(
        "EUR", [Line("a", "1", "11.90", Vat("19"))], prices=PriceMode.INCLUSIVE
    ).explain()

    assert "  line 1: base 11.90 = net 10.00 (gross 11.90)" in text.splitlines()


# ------------------------------------------------------------------ what equality means


def test_totals_are_equal_whatever_policy_or_steps_led_to_the_same_figures() -> None:
    plain = compute_totals("EUR", [Line("x", "1", "10.00", Vat("19"))])
    rounded = compute_totals("EUR", [Line("x", "1", "10.004", Vat("19"))])
    swiss = compute_totals(
        "EUR",
        [Line("x", "1", "10.00", Vat("19"))],
        policy=RoundingPolicy(cash_increments={"CHF": "0.05"}),
    )

    assert (plain.steps, len(rounded.steps)) == ((), 1)
    assert plain == rounded == swiss
    assert "recorded" not in repr(plain)


def test_a_step_cuts_only_figures_of_more_than_ten_decimal_places() -> None:
    # 1.00000 x 0.12345 = 0.1234500000: ten places, shown whole and without "...".
    step = compute_totals("EUR", [Line("x", "1.00000", "0.12345", Vat("19"))]).steps[0]

    assert str(step) == "line 1 base: 0.12345 -> 0.12 (-0.00345; half_up)"

"""Hand-worked totals: explain(), document discounts spread over tax groups, stacked taxes,
per-document rounding, cash rounding and the BT keys (docs/explanation/totals-rules.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.money import Rounding

D = Decimal


def _explained() -> Totals:
    return compute_totals(
        "EUR",
        [
            Line("Widget", "3", "19.99", Vat("19")),  # 59.97
            Line("Gadget", "2.5", "4.333", Vat("7")),  # 10.8325 -> 10.83
        ],
    )


def test_explain_lists_every_rounding_step_the_bt_lines_and_the_policy() -> None:
    totals = _explained()
    text = totals.explain()

    # 10.8325 -> 10.83; 19 % of 59.97 = 11.3943 -> 11.39; 7 % of 10.83 = 0.7581 -> 0.76
    assert [(s.exact, s.rounded) for s in totals.steps] == [
        (D("10.8325"), D("10.83")),
        (D("11.3943"), D("11.39")),
        (D("0.7581"), D("0.76")),
    ]
    for step in totals.steps:
        assert str(step) in text
    assert "Rounding steps (3):" in text
    assert "prices exclusive, tax rounded per category, mode half_up" in text
    for term, value in [
        ("BT-106", "70.80"),
        ("BT-107", "0.00"),
        ("BT-108", "0.00"),
        ("BT-109", "70.80"),
        ("BT-110", "12.15"),
        ("BT-112", "82.95"),
        ("BT-114", "0.00"),
        ("BT-115", "82.95"),
    ]:
        line = next(row for row in text.splitlines() if term in row)
        assert line.rstrip().endswith(value), line
    assert "line 2: base 10.83 = net 10.83" in text


def test_explain_says_when_nothing_was_rounded() -> None:
    text = compute_totals("EUR", [Line("x", "2", "5.00", Vat("20"))]).explain()

    assert "Rounding steps: none (every figure was exact)" in text


def test_a_rounding_step_reads_as_exact_arrow_rounded_with_the_difference() -> None:
    step = _explained().steps[0]

    assert str(step) == "line 2 base: 10.8325 -> 10.83 (-0.0025; half_up)"


def test_bt_keys_are_the_en16931_document_totals() -> None:
    bt = _explained().bt()

    assert list(bt) == [
        "BT-106", "BT-107", "BT-108", "BT-109", "BT-110", "BT-112", "BT-113", "BT-114", "BT-115",
    ]  # fmt: skip
    assert bt["BT-113"].as_tuple().exponent == -2
    assert bt["BT-113"] == 0
    assert bt["BT-115"] == D("82.95")


def test_a_document_discount_without_tax_is_spread_over_the_groups_and_sums_exactly() -> None:
    lines = [Line("a", "1", "100.00", Vat("19")), Line("b", "1", "50.00", Vat("7"))]

    totals = compute_totals("EUR", lines, discounts=[Discount(amount="10.00")])

    # 10.00 x 100/150 = 6.666.. and x 50/150 = 3.333..: floors 6.66 + 3.33, the cent to the larger remainder.
    assert [(d.amount, d.taxes) for d in totals.discounts] == [
        (D("6.67"), (Vat("19"),)),
        (D("3.33"), (Vat("7"),)),
    ]
    assert totals.discount_total == D("10.00")
    assert [(r.base, r.amount) for r in totals.breakdown] == [
        (D("93.33"), D("17.73")),  # 93.33 x 0.19 = 17.7327
        (D("46.67"), D("3.27")),  # 46.67 x 0.07 = 3.2669
    ]
    assert totals.tax_exclusive == D("140.00")


def test_a_spread_cent_goes_to_the_earlier_group_on_a_tie() -> None:
    lines = [
        Line(n, "1", "10.00", tax)
        for n, tax in [("a", Vat("19")), ("b", Vat("7")), ("c", Vat("5"))]
    ]

    totals = compute_totals("EUR", lines, discounts=[Discount(amount="0.02")])

    assert [(d.amount, d.taxes[0].rate) for d in totals.discounts] == [
        (D("0.01"), 19),
        (D("0.01"), 7),
    ]
    assert totals.discount_total == D("0.02")


def test_a_percent_document_discount_without_tax_applies_per_group() -> None:
    lines = [
        Line("a", "4", "25.00", Vat("20")),
        Line("b", "3", "33.33", Vat("20")),  # 20 % group: 199.99
        Line("c", "2", "12.49", Vat("5")),  # 5 % group: 24.98
    ]

    totals = compute_totals("GBP", lines, discounts=[Discount(percent="10")])

    assert [(d.amount, d.base, d.percent) for d in totals.discounts] == [
        (D("20.00"), D("199.99"), D("10")),  # 19.999 -> 20.00
        (D("2.50"), D("24.98"), D("10")),  # 2.498 -> 2.50
    ]
    assert [r.base for r in totals.breakdown] == [D("179.99"), D("22.48")]


def test_document_charges_with_a_tax_go_to_that_group_only() -> None:
    lines = [Line("a", "1", "100.00", Vat("19")), Line("b", "1", "50.00", Vat("7"))]

    totals = compute_totals(
        "EUR", lines, charges=[Charge(amount="4.90", tax=Vat("7"), reason="Shipping")]
    )

    assert [r.base for r in totals.breakdown] == [D("100.00"), D("54.90")]
    assert totals.charge_total == D("4.90")
    assert totals.charges[0].reason == "Shipping"


def test_us_stacked_sales_taxes_each_on_the_line_net() -> None:
    state, county, city = (
        Tax.sales_tax("state", "6.25"),
        Tax.sales_tax("county", "1.5"),
        Tax.sales_tax("city", "1"),
    )
    lines = [
        Line("in town", "3", "19.99", [state, county, city]),  # 59.97
        Line("out of town", "1", "35.50", [state, county]),
    ]

    totals = compute_totals("USD", lines)

    assert [(r.tax.name, r.base, r.amount) for r in totals.breakdown] == [
        ("state", D("95.47"), D("5.97")),  # 5.966875
        ("county", D("95.47"), D("1.43")),  # 1.43205
        ("city", D("59.97"), D("0.60")),  # 0.5997
    ]
    assert totals.tax_exclusive == D("95.47"), "each line counted once"
    assert totals.tax_total == D("8.00")
    assert totals.tax_inclusive == D("103.47")


def _three_half_cent_taxes(rounding: TaxRounding) -> Totals:
    lines = [
        Line("a", "1", "0.50", Vat("19")),  # 0.095
        Line("b", "1", "0.50", Vat("7")),  # 0.035
        Line("c", "1", "0.10", Vat("5")),  # 0.005
    ]
    return compute_totals("EUR", lines, policy=RoundingPolicy(tax_rounding=rounding))


def test_per_document_rounds_the_total_tax_once_and_spreads_it() -> None:
    per_category = _three_half_cent_taxes(TaxRounding.PER_CATEGORY)
    per_document = _three_half_cent_taxes(TaxRounding.PER_DOCUMENT)

    # per category every half cent rounds up: 0.10 + 0.04 + 0.01 = 0.15
    assert [r.amount for r in per_category.breakdown] == [D("0.10"), D("0.04"), D("0.01")]
    # per document: Q(0.135) = 0.14; floors 0.09 + 0.03 + 0.00, two cents to equal
    # remainders, the earlier groups first
    assert [r.amount for r in per_document.breakdown] == [D("0.10"), D("0.04"), D("0.00")]
    assert per_document.tax_total == D("0.14")
    assert per_category.tax_total == D("0.15")
    shares = [s for s in per_document.steps if "share of the total tax" in s.where]
    assert [s.rounded for s in shares] == [D("0.10"), D("0.04"), D("0.00")]


def test_per_line_rounds_every_line_then_adds() -> None:
    lines = [Line(str(i), "1", "0.05", Vat("10")) for i in range(3)]  # 0.005 each

    per_line = compute_totals("EUR", lines, policy=RoundingPolicy(tax_rounding="per_line"))
    per_category = compute_totals("EUR", lines)

    assert per_line.tax_total == D("0.03")
    assert [t for _, t in per_line.lines[0].taxes] == [D("0.01")]
    assert per_category.tax_total == D("0.02")  # Q(0.015)


@pytest.mark.parametrize(
    ("mode", "total", "payable", "rounding"),
    [
        (Rounding.HALF_UP, "41.83", "41.85", "0.02"),  # 38.70 + Q(3.1347) = 41.83
        (Rounding.DOWN, "41.83", "41.80", "-0.03"),
        (Rounding.UP, "41.84", "41.85", "0.01"),  # tax rounds up to 3.14
    ],
)
def test_cash_rounding_chf_to_five_rappen(
    mode: Rounding, total: str, payable: str, rounding: str
) -> None:
    policy = RoundingPolicy(mode=mode, cash_increments={"CHF": "0.05"})

    totals = compute_totals("CHF", [Line("x", "3", "12.90", Vat("8.1"))], policy=policy)

    assert totals.tax_inclusive == D(total)
    assert totals.payable == D(payable)
    assert totals.rounding == D(rounding)
    assert totals.bt()["BT-114"] == D(rounding)
    assert "cash rounding to 0.05" in totals.explain()
    assert totals.steps[-1].where == "cash rounding of the total"


def test_cash_rounding_only_applies_to_its_currency() -> None:
    policy = RoundingPolicy(cash_increments={"CHF": "0.05"})

    totals = compute_totals("EUR", [Line("x", "3", "12.90", Vat("8.1"))], policy=policy)

    assert totals.payable == D("41.83")
    assert totals.rounding == D("0.00")


def test_inclusive_prices_split_the_gross_exactly() -> None:
    totals = compute_totals("EUR", [Line("x", "1", "10.00", Vat("19"))], prices=PriceMode.INCLUSIVE)

    assert (totals.lines[0].net, totals.lines[0].gross) == (D("8.40"), D("10.00"))
    assert (totals.breakdown[0].base, totals.breakdown[0].amount) == (D("8.40"), D("1.60"))
    assert totals.tax_inclusive == D("10.00")


def test_a_full_document_discount_with_inclusive_prices_rounded_per_line_is_accepted() -> None:
    # Regression: per line, 0.16 -> net 0.13 + tax 0.03 and 0.91 -> 0.76 + 0.15 (no exact net
    # exists for either, so the fallback applies), but the discount of the whole 1.07 -> net
    # 0.90 + tax 0.17. The group's net is 0.89 - 0.90 = -0.01 against a tax of +0.01 on a zero
    # gross; compute_totals used to refuse this valid invoice ("document discounts exceed the
    # VAT 19% lines they apply to (base -0.01)").
    lines = [Line("a", "1", "0.16", Vat("19")), Line("b", "1", "0.91", Vat("19"))]
    policy = RoundingPolicy(tax_rounding=TaxRounding.PER_LINE)

    totals = compute_totals(
        "EUR",
        lines,
        discounts=[Discount(percent="100", tax=Vat("19"))],
        prices=PriceMode.INCLUSIVE,
        policy=policy,
    )

    assert totals.payable == D("0.00")
    row = totals.breakdown[0]
    assert row.base + row.amount == 0


def test_inclusive_prices_try_the_net_one_unit_below_before_giving_up() -> None:
    # Mode up: N0 = Q(10.00 / 1.19 = 8.4033..) = 8.41 and 8.41 + Q(1.5979) = 10.01; the rules try
    # N0 - 0.01 next: 8.40 + Q(1.596) = 10.00, an exact split (not the "no exact net" fallback).
    policy = RoundingPolicy(mode=Rounding.UP)

    totals = compute_totals(
        "EUR", [Line("x", "1", "10.00", Vat("19"))], prices=PriceMode.INCLUSIVE, policy=policy
    )

    assert (totals.breakdown[0].base, totals.breakdown[0].amount) == (D("8.40"), D("1.60"))
    (step,) = totals.steps
    assert step.where.startswith("net of")
    assert (step.rounded, "net + tax = gross" in step.rule) == (D("8.40"), True)
    assert "no exact net exists" not in totals.explain()


def test_inclusive_round_to_sum_breaks_exact_ties_toward_the_earlier_item() -> None:
    # BUG (reported): the group's gross is 0.07 + 0.07 - 0.14 = 0, so the nets are round-to-sum of
    # g / 1.05 = 0.0666.., 0.0666.., -0.1333.. with target 0: floors 0.06, 0.06, -0.14 (sum -0.02)
    # and three equal remainders 0.00666..; the two cents go to the two earlier items (the lines).
    # invoicekit rounds the shares to 60 digits first, so the allowance's remainder looks larger
    # and it gets a cent instead of line 2: nets 0.07, 0.06 and allowance 0.13.
    lines = [Line("a", "1", "0.07", Vat("5")), Line("b", "1", "0.07", Vat("5"))]

    totals = compute_totals(
        "EUR", lines, discounts=[Discount(amount="0.14", tax=Vat("5"))], prices=PriceMode.INCLUSIVE
    )

    assert [la.net for la in totals.lines] == [D("0.07"), D("0.07")]
    assert totals.discounts[0].amount == D("0.14")
    assert (totals.breakdown[0].base, totals.breakdown[0].amount) == (D("0.00"), D("0.00"))

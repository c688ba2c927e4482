"""Issuing keeps the draft's totals when they were computed from the same inputs."""

from __future__ import annotations

from decimal import Decimal

import attrs

import factories as f
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.policy import RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import Totals, compute_totals


def _fresh(invoice: Invoice, policy: RoundingPolicy) -> Totals:
    return compute_totals(
        invoice.currency,
        invoice.lines,
        discounts=invoice.discounts,
        charges=invoice.charges,
        prices=invoice.prices,
        policy=policy,
    )


def _lines() -> list[Line]:
    return [
        f.line("10.005", "3", Vat("19")),
        f.line("0.333", "7", Vat("7")),
        f.line("19.99", "1.5", Vat("19")),
    ]


def test_the_drafts_totals_are_kept_and_equal_a_fresh_computation() -> None:
    seller = f.seller()
    draft = f.draft(of=seller, lines=_lines())
    issued = f.issue(draft, of=seller)
    assert issued.totals is draft.totals
    assert issued.totals == _fresh(draft, seller.rounding)
    assert issued.version == draft.version + 1


def test_a_changed_rounding_policy_computes_the_totals_again() -> None:
    draft = f.draft(lines=_lines())
    per_line = RoundingPolicy(tax_rounding=TaxRounding.PER_LINE)
    issued = f.issue(draft, of=f.seller(rounding=per_line))
    assert issued.totals is not draft.totals
    assert issued.totals == _fresh(draft, per_line)
    assert issued.totals.policy == per_line
    assert issued.version == draft.version + 1


def test_a_cash_rounding_step_that_differs_computes_the_totals_again() -> None:
    chf = RoundingPolicy(cash_increments={"CHF": Decimal("0.05")})
    seller = f.seller(currency="CHF", rounding=chf)
    draft = f.draft(of=seller, lines=_lines())
    same = f.issue(draft, of=f.seller(currency="CHF", rounding=chf))
    assert same.totals is draft.totals
    other = RoundingPolicy(cash_increments={"CHF": Decimal("0.10")})
    issued = f.issue(draft, of=f.seller(currency="CHF", rounding=other))
    assert issued.totals == _fresh(draft, other)
    assert issued.totals.policy == other


def test_totals_that_do_not_fit_the_lines_are_computed_again() -> None:
    seller = f.seller()
    draft = f.draft(of=seller, lines=_lines())
    one_line = f.draft(of=seller, lines=[f.line()])
    odd = attrs.evolve(draft, totals=one_line.totals)
    issued = f.issue(odd, of=seller)
    assert issued.totals == _fresh(draft, seller.rounding)

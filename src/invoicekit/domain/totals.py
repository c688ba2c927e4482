"""Invoice totals as EN 16931 defines them (BT-106 to BT-115), with every rounding step recorded.

The rules are written out in docs/explanation/totals-rules.md; this module is
their one implementation. BR-CO-10 to BR-CO-16 hold exactly by construction,
BR-CO-17 holds exactly for tax-exclusive prices rounded per category.

Here are the entry point and the order of the rules; the values it returns are
in totals_values, the rounding in totals_rounding, the line rules in
totals_lines and the tax rules in totals_tax (each name is re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal, getcontext, setcontext
from operator import attrgetter, itemgetter
from typing import Final

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals_lines import LineRules
from invoicekit.domain.totals_tax import TaxRules
from invoicekit.domain.totals_values import (
    DocumentAdjustment,
    LineAmounts,
    RoundingStep,
    TaxSubtotal,
    Totals,
)
from invoicekit.errors import ValidationError, problem
from invoicekit.money import quantize_to_increment

__all__ = [
    "DocumentAdjustment",
    "LineAmounts",
    "RoundingStep",
    "TaxSubtotal",
    "Totals",
    "compute_totals",
]

#: The arithmetic context of a computation: 60 digits, so that no product of a quantity
#: and a price is ever rounded silently. Made once; switching to it costs less than a copy.
_CONTEXT: Final = Context(prec=60)
_ZERO: Final = Decimal(0)
# Field getters that run in C, for the loops over every line.
_amount_of: Final = itemgetter(3)  # LineAmounts.net (before conversion: the line's amount)
_tax_amount_of: Final = attrgetter("amount")
_DEFAULT_POLICY: Final = RoundingPolicy()


def compute_totals(
    currency: str,
    lines: Sequence[Line],
    *,
    discounts: Sequence[Discount] = (),
    charges: Sequence[Charge] = (),
    prices: PriceMode = PriceMode.EXCLUSIVE,
    policy: RoundingPolicy | None = None,
    received: bool = False,
) -> Totals:
    """Compute the totals of a document; raises ValidationError listing every problem found.

    ``received``: a document read from another system may total below zero (EN 16931
    allows it); what invoicekit issues may not.
    """
    computation = _Computation(currency, prices, policy or _DEFAULT_POLICY)
    computation.received = received
    return computation.run(lines, discounts, charges)


class _Computation(LineRules, TaxRules):
    """One run of the rules; holds the currency unit, the mode and the steps recorded.

    The rounding (``q``, ``fixed``), the line rules and the tax rules are in
    modules of their own: totals_rounding, totals_lines and totals_tax.
    """

    def run(
        self, lines: Sequence[Line], discounts: Sequence[Discount], charges: Sequence[Charge]
    ) -> Totals:
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return self._run(lines, discounts, charges)
        finally:
            setcontext(outer)

    def _run(  # noqa: PLR0912 - the rules read top to bottom as in the spec
        self, lines: Sequence[Line], discounts: Sequence[Discount], charges: Sequence[Charge]
    ) -> Totals:
        if not lines:
            self.problems.append(problem("lines", "an invoice needs at least one line"))
        inclusive = self.prices is PriceMode.INCLUSIVE
        unit, mode, rule, steps = self.unit, self.mode, self.rule, self.steps
        # Steps 1-3: each line's base, discounts, charges and (pre-conversion) amount.
        # With tax-inclusive prices a line's net here is still its gross amount (converted later).
        raw: list[LineAmounts] = []
        new = tuple.__new__  # LineAmounts(...) runs Python code for its defaults; this does not
        for i, line in enumerate(lines):
            exact = line.quantity * line.unit_price
            if line.base_quantity != 1:
                exact /= line.base_quantity
            base = exact.quantize(unit, rounding=mode)  # self.q inlined: once per line
            if base != exact:
                base = abs(base) if base == 0 else base
                steps.append((("line", i + 1, "base"), exact, base, rule))
            if line.discounts or line.charges or inclusive:
                raw.append(self._line(i, line, base, inclusive=inclusive))
            else:
                raw.append(new(LineAmounts, (base, (), (), base, None, ())))  # never negative
        # Step 5: document discounts and charges, expanded per tax set when none is given.
        doc_d = self._document(discounts, "discount", lines, raw) if discounts else []
        doc_c = self._document(charges, "charge", lines, raw) if charges else []
        if self.problems:
            raise ValidationError(self.problems, subject="invoice")
        if inclusive:
            line_amounts, doc_d, doc_c, breakdown = self._inclusive(lines, raw, doc_d, doc_c)
        else:
            line_amounts, breakdown = self._exclusive(lines, raw, doc_d, doc_c)
        with_lines: dict[Tax, bool] | None = None  # only read when a group is negative
        for row in breakdown:
            # With inclusive prices the stated gross is what must not go negative; per-line
            # conversion may leave a net of -0.01 against a tax of +0.01 on a zero gross.
            # A group may be negative by its own negative lines, or when it holds only a
            # document discount (a VAT group of its own); discounts may not sink lines.
            if (row.base + row.amount if inclusive else row.base) >= 0:
                continue
            if with_lines is None:
                with_lines = self._line_groups(lines, raw)
            if with_lines.get(row.tax, False):
                self.problems.append(
                    problem(
                        "discounts",
                        f"document discounts exceed the {row.tax.label} lines "
                        f"they apply to (base {row.base})",
                    )
                )
        if self.problems:
            raise ValidationError(self.problems, subject="invoice")
        zero = _ZERO.quantize(unit)
        line_net_total = sum(map(_amount_of, line_amounts), zero)
        discount_total = sum([d.amount for d in doc_d], zero) if doc_d else zero
        charge_total = sum([c.amount for c in doc_c], zero) if doc_c else zero
        tax_exclusive = line_net_total - discount_total + charge_total
        tax_total = sum(map(_tax_amount_of, breakdown), zero)
        tax_inclusive = tax_exclusive + tax_total
        if tax_inclusive < 0 and not self.received:
            raise ValidationError(
                [
                    problem(
                        "lines",
                        "the invoice total with tax (BT-112) is below zero; lines may be "
                        "negative (a return, a deposit) but not the total: refund with a "
                        "credit note",
                        tax_inclusive,
                    )
                ],
                subject="invoice",
            )
        payable = tax_inclusive
        increment = self.policy.cash_increment(self.currency)
        if increment is not None:
            payable = quantize_to_increment(
                tax_inclusive, increment, self.currency, self.policy.mode
            )
            if payable != tax_inclusive:
                self.steps.append(
                    (
                        ("cash rounding of the total",),
                        tax_inclusive,
                        payable,
                        f"to {increment}, {self.rule}",
                    )
                )
        return Totals(
            currency=self.currency,
            lines=tuple(line_amounts),
            discounts=tuple(doc_d),
            charges=tuple(doc_c),
            line_net_total=line_net_total,
            discount_total=discount_total,
            charge_total=charge_total,
            tax_exclusive=tax_exclusive,
            breakdown=tuple(breakdown),
            tax_total=tax_total,
            tax_inclusive=tax_inclusive,
            rounding=payable - tax_inclusive,
            payable=payable,
            prices=self.prices,
            policy=self.policy,
            recorded=tuple(self.steps),
            source_lines=tuple(lines),  # the same tuple when given one
        )

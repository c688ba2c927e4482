"""The totals rules for tax: the tax breakdown (BG-23) and tax-inclusive prices.

Groups items by tax, rounds tax per category, per line or on the total as the
policy says, keeps BR-CO-17, and splits gross amounts into net and tax; part of
the totals computation (:mod:`invoicekit.domain.totals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from operator import attrgetter, itemgetter
from typing import Final

import attrs

from invoicekit.domain.line import Line
from invoicekit.domain.policy import TaxRounding
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals_rounding import Rounder
from invoicekit.domain.totals_values import DocumentAdjustment, LineAmounts, TaxSubtotal
from invoicekit.money import round_to_sum

__all__ = ["TaxRules"]

_ZERO: Final = Decimal(0)
_CENT: Final = Decimal("0.01")
# Field getters that run in C, for the loops over every line.
_taxes_of: Final = attrgetter("taxes")
_amount_of: Final = itemgetter(3)  # LineAmounts.net (before conversion: the line's amount)


def _item_label(k: int, lines: int, discounts: int) -> tuple[str, int]:
    """How explain() names item ``k`` of (lines, document discounts, document charges)."""
    if k < lines:
        return "line", k + 1
    if k < lines + discounts:
        return "document discount", k - lines + 1
    return "document charge", k - lines - discounts + 1


class TaxRules(Rounder):
    """The rules that compute the tax breakdown, with exclusive or inclusive prices."""

    def _groups(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[list[Tax], list[tuple[int, ...]], list[Decimal]]:
        """The distinct taxes in order of first appearance, each item's tax indexes, the bases.

        Items are the lines, then document discounts, then charges; a tax's base is the sum
        of its items' amounts (discounts subtract). Taxes are told apart by value; a dict
        keyed by object id avoids comparing the same Tax object again and again.
        """
        order: list[Tax] = []
        bases: list[Decimal] = []
        index_of: dict[int, int] = {}
        singles: list[tuple[int]] = []
        groups: list[tuple[int, ...]] = []

        def index(tax: Tax) -> int:
            found = index_of.get(id(tax))
            if found is None:
                found = by_value.get(tax)
                if found is None:
                    found = by_value[tax] = len(order)
                    order.append(tax)
                    bases.append(_ZERO)
                    singles.append((found,))
                index_of[id(tax)] = found
            return found

        by_value: dict[Tax, int] = {}
        items: Iterable[tuple[tuple[Tax, ...], Decimal]] = zip(
            map(_taxes_of, lines), map(_amount_of, raw), strict=True
        )
        if doc_d or doc_c:
            items = [
                *items,
                *[(d.taxes, -d.amount) for d in doc_d],
                *[(c.taxes, c.amount) for c in doc_c],
            ]
        known = index_of.get
        for taxes, amount in items:
            if len(taxes) == 1:  # the common case, kept cheap: a tax object seen before
                found = known(id(taxes[0]))
                if found is None:
                    found = index(taxes[0])
                groups.append(singles[found])
                bases[found] += amount
            else:
                group = tuple(index(t) for t in taxes)
                groups.append(group)
                for j in group:
                    bases[j] += amount
        return order, groups, bases

    def _exclusive(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[list[LineAmounts], list[TaxSubtotal]]:
        taxes, groups, bases = self._groups(lines, raw, doc_d, doc_c)
        n_lines = len(lines)
        line_amounts = list(raw)  # the nets are final; per-line rounding adds the line's taxes
        rounding = self.policy.tax_rounding
        if rounding is TaxRounding.PER_CATEGORY:
            tax_amounts = [
                self.q(base * t.fraction, t, "on", base)
                for t, base in zip(taxes, bases, strict=True)
            ]
        elif rounding is TaxRounding.PER_LINE:
            # Every item's signed amount: lines and charges add, discounts subtract.
            amounts = [r[3] for r in raw] + [-d.amount for d in doc_d] + [c.amount for c in doc_c]
            tax_amounts = [_ZERO.quantize(self.unit)] * len(taxes)
            for k, (indexes, amount) in enumerate(zip(groups, amounts, strict=True)):
                kind, number = _item_label(k, n_lines, len(doc_d))
                found = []
                for j in indexes:
                    t = taxes[j]
                    tax = self.q(amount * t.fraction, t, "on", kind, number, f"({amount})")
                    tax_amounts[j] += tax
                    found.append((t, tax))
                if k < n_lines:
                    r = raw[k]
                    line_amounts[k] = LineAmounts(r[0], r[1], r[2], r[3], None, tuple(found))
            for j, (t, base) in enumerate(zip(taxes, bases, strict=True)):
                tax_amounts[j] = self._keep_br_co_17(t, base, tax_amounts[j])
        else:
            exact = [base * t.fraction for t, base in zip(taxes, bases, strict=True)]
            total = self.q(sum(exact, _ZERO), "total tax of the document")
            tax_amounts = round_to_sum(exact, total, self.unit)
            for t, e, part in zip(taxes, exact, tax_amounts, strict=True):
                if part != e:
                    self.steps.append(((t, "share of the total tax"), e, part, "largest remainder"))
        breakdown = [
            TaxSubtotal(t, base, amount)
            for t, base, amount in zip(taxes, bases, tax_amounts, strict=True)
        ]
        return line_amounts, breakdown

    def _keep_br_co_17(self, tax: Tax, base: Decimal, amount: Decimal) -> Decimal:
        """A per-line sum of the base's sign within one currency unit of base x rate.

        EN 16931 BR-CO-17 asks the unit. With few or no decimals (JPY) per-item rounding
        can drift a whole unit off, e.g. tax -1 on a base of 0; the category's tax is then
        taken as Q(base x rate), as it is when the sum's sign is not the base's.
        """
        exact = abs(base) * tax.fraction
        shown = exact.quantize(_CENT, rounding=ROUND_HALF_UP)  # as the official rule rounds
        signed_ok = not (amount < 0 <= base or base <= 0 < amount)
        if signed_ok and (
            tax.rate.to_integral_value(ROUND_HALF_UP) == 0
            or abs(amount) - 1 < shown < abs(amount) + 1
        ):
            return amount
        rounded = self.q(base * tax.fraction, tax, "on", base)
        if rounded == amount:  # the per-line sum already is Q(base x rate): nothing changed
            return amount
        self.steps.append(
            ((tax, "per-line sum kept to base x rate (BR-CO-17)"), amount, rounded, self.rule)
        )
        return rounded

    def _convert(self, gross: Decimal, tax: Tax, where: str) -> tuple[Decimal, Decimal]:
        """Split a gross amount into (net, tax) that add up to it exactly."""
        if tax.rate == 0:
            return gross, _ZERO.quantize(self.unit)
        r = tax.rate / 100
        n0 = (gross / (1 + r)).quantize(self.unit, rounding=self.mode)
        for net in (n0, n0 - self.unit, n0 + self.unit):
            if net + (net * r).quantize(self.unit, rounding=self.mode) == gross:
                if net * (1 + r) != gross:
                    self.steps.append(
                        (
                            ("net of", where, "at", tax.label),
                            gross / (1 + r),
                            net,
                            f"{self.rule}, net + tax = gross",
                        )
                    )
                return net, gross - net
        tax_amount = (gross * r / (1 + r)).quantize(self.unit, rounding=self.mode)
        self.steps.append(
            (
                ("tax in", where, "at", tax.label, "(no exact net exists)"),
                gross * r / (1 + r),
                tax_amount,
                self.rule,
            )
        )
        return gross - tax_amount, tax_amount

    def _inclusive(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[
        list[LineAmounts], list[DocumentAdjustment], list[DocumentAdjustment], list[TaxSubtotal]
    ]:
        taxes, _, _ = self._groups(lines, raw, doc_d, doc_c)
        # (kind, index, tax, signed gross) for every item.
        items: list[tuple[str, int, Tax, Decimal]] = [
            ("line", i, line.taxes[0], r[3])
            for i, (line, r) in enumerate(zip(lines, raw, strict=True))
        ]
        items += [("discount", j, d.taxes[0], -d.amount) for j, d in enumerate(doc_d)]
        items += [("charge", j, c.taxes[0], c.amount) for j, c in enumerate(doc_c)]
        nets: dict[tuple[str, int], Decimal] = {}
        breakdown: list[TaxSubtotal] = []
        per_line = self.policy.tax_rounding is TaxRounding.PER_LINE
        for t in taxes:
            members = [it for it in items if it[2] == t]
            if per_line:
                net_sum = tax_sum = _ZERO.quantize(self.unit)
                for kind, idx, _, gross in members:
                    n, tx = self._convert(gross, t, f"{kind} {idx + 1} ({gross})")
                    nets[(kind, idx)] = n
                    net_sum += n
                    tax_sum += tx
                breakdown.append(TaxSubtotal(t, net_sum, tax_sum))
                continue
            group_gross = sum((m[3] for m in members), _ZERO)
            net, tax_amount = self._convert(group_gross, t, f"gross {group_gross}")
            # Shares as exact fractions, so equal shares tie and the earlier item wins.
            if group_gross != 0:
                exact = [Fraction(net) * Fraction(m[3]) / Fraction(group_gross) for m in members]
            else:
                exact = [Fraction(m[3]) / (1 + Fraction(t.rate) / 100) for m in members]
            for m, part in zip(members, round_to_sum(exact, net, self.unit), strict=True):
                nets[(m[0], m[1])] = part
            breakdown.append(TaxSubtotal(t, net, tax_amount))
        line_amounts = [
            LineAmounts(r[0], r[1], r[2], nets[("line", i)], r[3]) for i, r in enumerate(raw)
        ]
        new_d = [
            attrs.evolve(d, amount=-nets[("discount", j)], gross=d.amount)
            for j, d in enumerate(doc_d)
        ]
        new_c = [
            attrs.evolve(c, amount=nets[("charge", j)], gross=c.amount) for j, c in enumerate(doc_c)
        ]
        return line_amounts, new_d, new_c, breakdown

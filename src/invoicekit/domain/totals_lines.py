"""The totals rules for lines and document adjustments (EN 16931 steps 1 to 5).

A line's discounts and charges, and document discounts and charges, given with
their tax or spread over the lines' tax groups; part of the totals computation
(:mod:`invoicekit.domain.totals`), which combines these rules with the tax rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final, cast

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals_rounding import Rounder
from invoicekit.domain.totals_values import DocumentAdjustment, LineAmounts
from invoicekit.errors import problem
from invoicekit.money import allocate

__all__ = ["LineRules"]

_ZERO: Final = Decimal(0)


class LineRules(Rounder):
    """The rules that compute lines and document adjustments, and report their problems."""

    @staticmethod
    def _line_groups(lines: Sequence[Line], raw: Sequence[LineAmounts]) -> dict[Tax, bool]:
        """Per tax: True when lines carry it and none of them is negative."""
        out: dict[Tax, bool] = {}
        for line, amounts in zip(lines, raw, strict=True):
            for tax in line.taxes:
                out[tax] = out.get(tax, True) and amounts[3] >= 0
        return out

    def _line(self, i: int, line: Line, base: Decimal, *, inclusive: bool) -> LineAmounts:
        """Line ``i``'s discounts, charges and amount (before conversion when inclusive)."""
        path = f"lines[{i}]"
        if inclusive and len(line.taxes) != 1:
            self.problems.append(
                problem(f"{path}.tax", "with tax-inclusive prices a line carries exactly one tax")
            )
        amount = base
        ds: tuple[Decimal, ...] = ()
        cs: tuple[Decimal, ...] = ()
        if line.discounts:
            ds = tuple(
                self._adjust(d, base, f"{path}.discounts[{k}]", f"line {i + 1} discount {k + 1}")
                for k, d in enumerate(line.discounts)
            )
            amount -= sum(ds, _ZERO)
        if line.charges:
            cs = tuple(
                self._adjust(c, base, f"{path}.charges[{k}]", f"line {i + 1} charge {k + 1}")
                for k, c in enumerate(line.charges)
            )
            amount += sum(cs, _ZERO)
        if amount < 0 <= base:
            self.problems.append(
                problem(
                    f"{path}.discounts",
                    f"discounts ({sum(ds, _ZERO)}) exceed the line amount "
                    f"({base + sum(cs, _ZERO)})",
                )
            )
        elif base < 0 < amount:  # a negative line (a return) that its adjustments turn positive
            self.problems.append(
                problem(
                    f"{path}.charges",
                    f"the adjustments turn the negative line amount ({base}) positive "
                    f"({amount}); a negative line stays negative",
                )
            )
        return LineAmounts(base, ds, cs, amount)

    def _adjust(self, adj: Discount | Charge, base: Decimal, path: str, label: str) -> Decimal:
        if adj.percent is not None:
            return self.q(base * adj.percent / 100, f"{label} ({adj.percent.normalize():f}%)")
        return self.fixed(cast(Decimal, adj.amount), f"{path}.amount")  # one of the two is set

    def _document(
        self,
        items: Sequence[Discount | Charge],
        kind: str,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
    ) -> list[DocumentAdjustment]:
        if not items:
            return []
        groups: dict[tuple[Tax, ...], Decimal] = {}
        for line, amounts in zip(lines, raw, strict=True):
            groups[line.taxes] = groups.get(line.taxes, _ZERO) + amounts.net
        out: list[DocumentAdjustment] = []
        for j, item in enumerate(items):
            path = f"{kind}s[{j}]"
            label = f"document {kind} {j + 1}"
            if (
                self.prices is PriceMode.INCLUSIVE
                and item.taxes is not None
                and len(item.taxes) != 1
            ):
                self.problems.append(
                    problem(f"{path}.tax", "with tax-inclusive prices it carries exactly one tax")
                )
            if item.taxes is not None:
                if item.taxes not in groups and item.percent is not None:
                    self.problems.append(
                        problem(
                            f"{path}.tax",
                            "no line carries these taxes, so a percentage has no base; give "
                            "a fixed amount for a VAT group of its own",
                            ", ".join(t.label for t in item.taxes),
                        )
                    )
                    continue
                # Taxes no line carries: a fixed amount in a VAT group of its own (BG-23).
                base = groups.get(item.taxes, _ZERO)
                amount = self._adjust(item, base, path, label)
                out.append(
                    DocumentAdjustment(
                        kind,
                        amount,
                        item.taxes,
                        item.percent,
                        base if item.percent is not None else None,
                        item.reason,
                    )
                )
                continue
            out += self._spread(item, j, kind, groups)
        return out

    def _spread(
        self, item: Discount | Charge, j: int, kind: str, groups: dict[tuple[Tax, ...], Decimal]
    ) -> list[DocumentAdjustment]:
        """A document adjustment without a tax, spread over the lines' tax groups."""
        path = f"{kind}s[{j}]"
        label = f"document {kind} {j + 1}"
        out: list[DocumentAdjustment] = []
        if self.prices is PriceMode.INCLUSIVE and any(len(k) != 1 for k in groups):
            return out  # reported on the lines already
        if any(v < 0 for v in groups.values()):
            self.problems.append(
                problem(
                    f"{path}.tax",
                    "a VAT group of the lines is negative (a return or a deposit), so "
                    f"the {kind} cannot be spread over them; give its tax",
                )
            )
            return out
        if item.percent is not None:
            for taxes, base in groups.items():
                amount = self.q(
                    base * item.percent / 100,
                    label,
                    f"({item.percent.normalize():f}% of",
                    f"{', '.join(t.label for t in taxes)})",
                )
                out.append(DocumentAdjustment(kind, amount, taxes, item.percent, base, item.reason))
            return out
        total = self.fixed(cast(Decimal, item.amount), f"{path}.amount")
        if not groups or sum(groups.values(), _ZERO) == 0:
            self.problems.append(
                problem(
                    f"{path}.amount",
                    "cannot spread a fixed amount over lines that sum to zero; give its tax",
                )
            )
            return out
        parts = allocate(total, list(groups.values()), self.currency)
        for (taxes, _), part in zip(groups.items(), parts, strict=True):
            if part:
                out.append(DocumentAdjustment(kind, part, taxes, None, None, item.reason))
        return out

"""The values the totals engine returns: a document's amounts and the rounding steps taken.

Split from :mod:`invoicekit.domain.totals` (which re-exports every name here) so
that the arithmetic and the values it produces each have a module of their own;
``Totals.explain()`` lives here because it only reads these values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, NamedTuple

import attrs

from invoicekit.domain.line import Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.tax import Tax
from invoicekit.money import minor_unit

__all__ = [
    "DocumentAdjustment",
    "LineAmounts",
    "RoundingStep",
    "TaxSubtotal",
    "Totals",
]

_ZERO: Final = Decimal(0)
_SHOWN_PLACES: Final = 10  # decimal places of exact figures shown by explain()
_SHOWN: Final = Decimal(1).scaleb(-_SHOWN_PLACES)


@attrs.frozen
class RoundingStep:
    """One place where an exact figure was rounded: where, the exact value, the result, why."""

    where: str
    exact: Decimal
    rounded: Decimal
    rule: str

    def __str__(self) -> str:
        diff = self.rounded - self.exact
        sign = "+" if diff >= 0 else "-"
        return (
            f"{self.where}: {_short(self.exact)} -> {self.rounded} "
            f"({sign}{_short(abs(diff))}; {self.rule})"
        )


def _short(value: Decimal) -> str:
    """An exact figure cut to 10 decimal places for reading (the stored value keeps them all)."""
    if -int(value.as_tuple().exponent) > _SHOWN_PLACES:
        return f"{value.quantize(_SHOWN).normalize():f}..."
    return f"{value.normalize():f}"


def _one_line(note: str) -> str:
    """A line note on one line of explain(): its lines joined by " / ", tabs as spaces."""
    return " / ".join(part.strip() for part in note.splitlines() if part.strip()).replace("\t", " ")


class LineAmounts(NamedTuple):
    """A line's figures: base (quantity × price), its discounts and charges, net (BT-131).

    A named tuple rather than an attrs class: there is one per line and they are
    built on every computation, so they must be cheap.
    """

    base: Decimal
    discounts: tuple[Decimal, ...]
    charges: tuple[Decimal, ...]
    #: The line net amount, BT-131 (without tax even when prices include tax).
    net: Decimal
    #: The stated gross amount when prices include tax, else None.
    gross: Decimal | None = None
    #: Tax on this line per tax, when tax is rounded per line; empty otherwise.
    taxes: tuple[tuple[Tax, Decimal], ...] = ()


@attrs.frozen
class DocumentAdjustment:
    """A document-level discount (EN allowance, BG-20) or charge (BG-21) as applied."""

    kind: str
    amount: Decimal
    taxes: tuple[Tax, ...]
    percent: Decimal | None = None
    base: Decimal | None = None
    reason: str | None = None
    #: The stated gross amount when prices include tax, else None.
    gross: Decimal | None = None


@attrs.frozen
class TaxSubtotal:
    """One row of the tax breakdown (BG-23): a tax, its taxable base BT-116 and amount BT-117."""

    tax: Tax
    base: Decimal
    amount: Decimal


@attrs.frozen
class Totals:
    """The amounts of a document, each with its EN 16931 meaning, and how they were rounded."""

    currency: str
    lines: tuple[LineAmounts, ...]
    discounts: tuple[DocumentAdjustment, ...]
    charges: tuple[DocumentAdjustment, ...]
    #: BT-106 Sum of invoice line net amounts.
    line_net_total: Decimal
    #: BT-107 Sum of document-level discounts (allowances).
    discount_total: Decimal
    #: BT-108 Sum of document-level charges.
    charge_total: Decimal
    #: BT-109 Invoice total amount without tax.
    tax_exclusive: Decimal
    breakdown: tuple[TaxSubtotal, ...]
    #: BT-110 Invoice total tax amount.
    tax_total: Decimal
    #: BT-112 Invoice total amount with tax.
    tax_inclusive: Decimal
    #: BT-114 Rounding amount (cash rounding), 0 without it.
    rounding: Decimal
    #: BT-112 + BT-114: what the customer pays before any payment.
    payable: Decimal
    prices: PriceMode
    policy: RoundingPolicy = attrs.field(eq=False)
    #: The rounding steps as recorded (cheap tuples); read them through ``steps``.
    recorded: tuple[tuple[tuple[object, ...], Decimal, Decimal, str], ...] = attrs.field(
        eq=False, repr=False
    )
    #: The lines these totals were computed from, for ``explain()`` to show their notes
    #: (BT-127); the caller's tuple itself, so computing costs nothing more. Not compared
    #: and not stored: storage sets them from the document's lines; empty when unknown.
    source_lines: tuple[Line, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def notes(self) -> tuple[tuple[int, str], ...]:
        """``(index, note)`` of each line with a note (EN 16931 BT-127), as ``explain()`` shows."""
        return tuple((i, line.note) for i, line in enumerate(self.source_lines) if line.note)

    @property
    def steps(self) -> tuple[RoundingStep, ...]:
        """Every place an exact figure was rounded, in the order it happened."""
        return tuple(
            RoundingStep(" ".join(map(str, where)), exact, rounded, rule)
            for where, exact, rounded, rule in self.recorded
        )

    def bt(self) -> dict[str, Decimal]:
        """The document totals keyed by EN 16931 business term (BT-106 ... BT-115 at issue)."""
        return {
            "BT-106": self.line_net_total,
            "BT-107": self.discount_total,
            "BT-108": self.charge_total,
            "BT-109": self.tax_exclusive,
            "BT-110": self.tax_total,
            "BT-112": self.tax_inclusive,
            "BT-113": _ZERO.quantize(minor_unit(self.currency)),
            "BT-114": self.rounding,
            "BT-115": self.payable,
        }

    def explain(self) -> str:
        """A readable account of how the totals came about, every rounding step included."""
        p = self.policy
        out = [
            f"Totals in {self.currency}: prices {self.prices.value}, tax rounded "
            f"{p.tax_rounding.value.replace('_', ' ')}, mode {p.mode.value}"
            + (
                f", cash rounding to {p.cash_increment(self.currency)}"
                if p.cash_increment(self.currency)
                else ""
            ),
        ]
        notes = dict(self.notes)
        for i, line in enumerate(self.lines):
            parts = [f"  line {i + 1}: base {line.base}"]
            parts += [f"- discount {d}" for d in line.discounts]
            parts += [f"+ charge {c}" for c in line.charges]
            text = " ".join(parts) + f" = net {line.net}"
            if line.gross is not None:
                text += f" (gross {line.gross})"
            if i in notes:
                text += f"  [{_one_line(notes[i])}]"
            out.append(text)
        for adj in (*self.discounts, *self.charges):
            labels = ", ".join(t.label for t in adj.taxes)
            how = (
                f"{adj.percent.normalize():f}% of {adj.base}"
                if adj.percent is not None
                else "fixed"
            )
            out.append(f"  document {adj.kind} {adj.amount} ({how}; {labels})")
        out.append(f"  BT-106 sum of line nets        {self.line_net_total}")
        out.append(f"  BT-107 document discounts      {self.discount_total}")
        out.append(f"  BT-108 document charges        {self.charge_total}")
        out.append(f"  BT-109 total without tax       {self.tax_exclusive}")
        out.extend(f"  {r.tax.label:<28} base {r.base} tax {r.amount}" for r in self.breakdown)
        out.append(f"  BT-110 total tax               {self.tax_total}")
        out.append(f"  BT-112 total with tax          {self.tax_inclusive}")
        out.append(f"  BT-114 rounding amount         {self.rounding}")
        out.append(f"  BT-115 amount due              {self.payable}")
        if self.steps:
            out.append(f"Rounding steps ({len(self.steps)}):")
            out.extend(f"  {step}" for step in self.steps)
        else:
            out.append("Rounding steps: none (every figure was exact)")
        return "\n".join(out)

"""Lines and adjustments as written: ``LineView``, ``AdjustmentView`` and their conversion.

With tax-inclusive prices a line's allowances and charges are converted to net amounts
and its net price (BT-146) is solved so that quantity x price / base quantity -
allowances + charges equals the line net of the frozen totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

import attrs

from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals import DocumentAdjustment, LineAmounts, Totals
from invoicekit.einvoice.codes import unit_code
from invoicekit.money import minor_unit

__all__ = ["AdjustmentView", "LineView", "document_adjustments", "line_view"]


@attrs.frozen
class AdjustmentView:
    """An allowance (discount) or charge as written: amount, optional percent and base, reason."""

    charge: bool
    amount: Decimal
    reason: str
    percent: Decimal | None = None
    base: Decimal | None = None
    tax: Tax | None = None


@attrs.frozen
class LineView:
    """One line as written (BG-25): id, note, quantity and unit code, net, net price, tax, period."""

    id: str
    name: str
    quantity: Decimal
    unit: str
    net: Decimal
    price: Decimal
    base_quantity: Decimal
    tax: Tax
    period: ServicePeriod | None
    adjustments: tuple[AdjustmentView, ...]
    #: BT-127 Invoice line note.
    note: str | None = None


def _reason(reason: str | None, charge: bool) -> str:
    return reason if reason else ("Charge" if charge else "Discount")


def document_adjustments(totals: Totals) -> tuple[AdjustmentView, ...]:
    """BG-20/BG-21: one entry per applied adjustment (a spread discount: one per tax group)."""
    exclusive = totals.prices is PriceMode.EXCLUSIVE
    out: list[AdjustmentView] = []
    for adj, charge in [(d, False) for d in totals.discounts] + [(c, True) for c in totals.charges]:
        out.append(_document_adjustment(adj, charge, exclusive=exclusive))
    return tuple(out)


def _document_adjustment(
    adj: DocumentAdjustment, charge: bool, *, exclusive: bool
) -> AdjustmentView:
    with_base = exclusive and adj.percent is not None and adj.base is not None
    return AdjustmentView(
        charge=charge,
        amount=adj.amount,
        reason=_reason(adj.reason, charge),
        percent=adj.percent if with_base else None,
        base=adj.base if with_base else None,
        tax=adj.taxes[0],
    )


def _stated(line: Line, figures: LineAmounts) -> list[tuple[bool, Decimal, Discount | Charge]]:
    """The line's discounts, then its charges: (is a charge, amount in the totals, as stated)."""
    discounts = zip(figures.discounts, line.discounts, strict=True)
    charges = zip(figures.charges, line.charges, strict=True)
    return [(False, value, d) for value, d in discounts] + [
        (True, value, c) for value, c in charges
    ]


def line_view(line: Line, index: int, totals: Totals) -> LineView:
    """A line with its net price: the stated price, or for tax-inclusive prices the net one."""
    figures = totals.lines[index]
    tax = line.taxes[0]
    unit = minor_unit(totals.currency)
    adjustments: list[AdjustmentView] = []
    if totals.prices is PriceMode.EXCLUSIVE:
        for charge, value, stated in _stated(line, figures):
            pct = stated.percent
            base = figures.base if pct is not None else None
            adjustments.append(
                AdjustmentView(charge, value, _reason(stated.reason, charge), pct, base)
            )
        price = line.unit_price
    else:
        # Gross adjustments are converted to net; the net price is what makes
        # quantity x price / base quantity - allowances + charges equal the line net.
        # An adjustment that converts to 0.00 is left out (EN 16931 amounts of 0 say nothing).
        factor = 1 + tax.fraction
        for charge, value, stated in _stated(line, figures):
            net = (value / factor).quantize(unit)
            if net:
                adjustments.append(AdjustmentView(charge, net, _reason(stated.reason, charge)))
        price = _net_price(line, figures.net, adjustments, factor, unit)
    return LineView(
        id=str(index + 1),
        name=line.description,
        quantity=line.quantity,
        unit=unit_code(line.unit, path=f"lines[{index}].unit"),
        net=figures.net,
        price=price,
        base_quantity=line.base_quantity,
        tax=tax,
        period=line.period,
        adjustments=tuple(adjustments),
        note=line.note,
    )


def _net_price(
    line: Line, net: Decimal, adjustments: Sequence[AdjustmentView], factor: Decimal, unit: Decimal
) -> Decimal:
    """The net unit price of a tax-inclusive line, precise enough for the line net to the cent."""
    extra = 4  # digits beyond the currency's, so quantity x price lands within 0.0001
    with localcontext() as ctx:
        ctx.prec = 60
        if line.quantity == 0:
            return max((line.unit_price / factor).quantize(unit.scaleb(-extra)), Decimal(0))
        target = net + sum(
            (a.amount if not a.charge else -a.amount for a in adjustments), Decimal(0)
        )
        scale = line.quantity / line.base_quantity
        digits = max(0, scale.adjusted() + 1) + extra
        price = (target / scale).quantize(unit.scaleb(-digits))
        return max(price, Decimal(0)).normalize() if price else Decimal(0)

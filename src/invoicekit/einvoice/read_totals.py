"""Recompute a received e-invoice's sums with invoicekit's engine and list what differs.

The sender may round differently from invoicekit's default, so every rounding
convention invoicekit supports is tried; the first that reproduces every stated sum
wins, else the one with the fewest differences. The paid (BT-113) and rounding (BT-114)
amounts are taken as stated and checked by BR-CO-16, not recomputed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import partial
from typing import Final

import attrs

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.einvoice.read_model import located
from invoicekit.einvoice.read_source import Stated
from invoicekit.einvoice.read_stated import Doc
from invoicekit.errors import ValidationError
from invoicekit.money import Rounding, minor_unit

_CASH_STEPS: Final = tuple(
    Decimal(s) for s in ("0.05", "0.1", "0.2", "0.25", "0.5", "1", "5", "10")
)


@attrs.frozen
class Difference:
    """A stated amount (BT-106 ... BT-131) that invoicekit's engine computes differently."""

    term: str
    path: str
    stated: Decimal | None
    computed: Decimal | None


def best_totals(
    d: Doc,
    lines: Sequence[Line],
    discounts: Sequence[Discount],
    charges: Sequence[Charge],
    paid: Decimal,
) -> tuple[RoundingPolicy, Totals, list[Difference]]:
    """The first rounding convention under which the engine reproduces every stated amount.

    When none does, the convention with the fewest differences (the default on a tie).
    A convention under which the lines cannot be computed (a discount above a line
    rounded down) is skipped; when none can, the default's problems are raised.
    """
    best: tuple[RoundingPolicy, Totals, list[Difference]] | None = None
    refused: ValidationError | None = None
    for policy in _policies(d.currency, d.stated.get("BT-114")):
        try:
            totals = located(
                d,
                partial(
                    compute_totals,
                    d.currency,
                    lines,
                    discounts=discounts,
                    charges=charges,
                    prices=PriceMode.EXCLUSIVE,
                    policy=policy,
                    received=True,
                ),
            )
        except ValidationError as exc:
            refused = refused or exc
            continue
        found = _differences(d, totals, paid)
        if not found:
            return policy, totals, found
        if best is None or len(found) < len(best[2]):
            best = (policy, totals, found)
    if best is None:
        assert refused is not None  # noqa: S101 - _policies yields at least one policy
        raise refused
    return best


def _policies(currency: str, rounding: Stated | None) -> Iterator[RoundingPolicy]:
    """Every rounding convention invoicekit supports, the default first; cash steps if stated."""
    unit = minor_unit(currency)
    steps: list[Decimal | None] = [None]
    if rounding is not None and rounding.value != 0:
        steps = [s for s in _CASH_STEPS if s % unit == 0] + [None]
    for step in steps:
        increments = {currency: step} if step is not None else {}
        for where in TaxRounding:
            for mode in Rounding:
                yield RoundingPolicy(tax_rounding=where, mode=mode, cash_increments=increments)


def _differences(d: Doc, totals: Totals, paid: Decimal) -> list[Difference]:
    """Every stated amount the engine's ``totals`` disagree with (absent stated sums count as 0).

    The paid (BT-113) and rounding (BT-114) amounts are the sender's to choose: taken as
    stated unless the engine cash-rounds, and BT-115 checked against them (BR-CO-16).
    """
    zero = Decimal(0)
    computed = totals.bt()
    stated_rounding = d.stated.get("BT-114")
    rounding = totals.rounding
    if not rounding and stated_rounding is not None:
        rounding = stated_rounding.value
    computed["BT-113"] = paid
    computed["BT-114"] = rounding
    computed["BT-115"] = totals.tax_inclusive + rounding - paid
    out: list[Difference] = []
    for term, value in computed.items():
        stated = d.stated.get(term)
        if (stated.value if stated is not None else zero) != value:
            where = stated.path if stated is not None else f"{d.root} ({term} not stated)"
            out.append(Difference(term, where, stated.value if stated else None, value))
    for line, figures in zip(d.lines, totals.lines, strict=True):
        if line.net.value != figures.net:
            out.append(Difference("BT-131", line.net.path, line.net.value, figures.net))
        kinds = (
            [a for a in line.adjustments if not a.charge],
            [a for a in line.adjustments if a.charge],
        )
        for stated_adjs, values, term in zip(
            kinds, (figures.discounts, figures.charges), ("BT-136", "BT-141"), strict=True
        ):
            for adj, value in zip(stated_adjs, values, strict=True):
                if adj.amount.value != value:
                    out.append(Difference(term, adj.amount.path, adj.amount.value, value))
    doc_adjs = [a for a in d.adjustments if not a.charge], [a for a in d.adjustments if a.charge]
    for stated_adjs, applied, term in zip(
        doc_adjs, (totals.discounts, totals.charges), ("BT-92", "BT-99"), strict=True
    ):
        for adj, done in zip(stated_adjs, applied, strict=False):
            if adj.amount.value != done.amount:
                out.append(Difference(term, adj.amount.path, adj.amount.value, done.amount))
    out += _breakdown_differences(d, totals)
    return out


def _breakdown_differences(d: Doc, totals: Totals) -> list[Difference]:
    out: list[Difference] = []
    left = list(totals.breakdown)
    for row in d.rows:
        rate = row.key.rate if row.key.rate is not None else Decimal(0)
        match = next(
            (c for c in left if c.tax.category.value == row.key.category and c.tax.rate == rate),
            None,
        )
        if match is None:
            out.append(Difference("BT-116", row.base.path, row.base.value, None))
            continue
        left.remove(match)
        if row.base.value != match.base:
            out.append(Difference("BT-116", row.base.path, row.base.value, match.base))
        if row.amount.value != match.amount:
            out.append(Difference("BT-117", row.amount.path, row.amount.value, match.amount))
    for extra in left:
        where = f"{d.root} (no VAT breakdown row for {extra.tax.category.value} {extra.tax.rate})"
        out.append(Difference("BT-116", where, None, extra.base))
    return out

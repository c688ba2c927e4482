"""Report what a received e-invoice states that the model derives, drops or holds otherwise.

Zero allowances, payment means, payment ids, delivery dates and invoice periods the
model derives itself, and a rounding amount (BT-114) its cash rounding does not give:
each is listed with its XPath as an ``UnknownElement``, so nothing is dropped silently.
A total below zero, which EN 16931 allows but invoicekit never issues, is a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.totals import Totals
from invoicekit.einvoice.codes import payment_means_code
from invoicekit.einvoice.read_source import Source, UnknownElement
from invoicekit.einvoice.read_stated import Adjustment, Doc


def drop_zero_adjustments(src: Source, d: Doc) -> None:
    """Fixed allowances and charges of 0 change nothing and the model holds none: report them."""

    def keep(adjustments: Sequence[Adjustment]) -> list[Adjustment]:
        kept = []
        for adj in adjustments:
            if adj.amount.value == 0 and (adj.percent is None or adj.base is None):
                src.notes.append(
                    UnknownElement(adj.path, "0", "an allowance or charge of 0 is not kept")
                )
            else:
                kept.append(adj)
        return kept

    d.adjustments = keep(d.adjustments)
    d.lines = [
        attrs.evolve(line, adjustments=tuple(keep(line.adjustments))) if line.adjustments else line
        for line in d.lines
    ]


def report_derived(src: Source, d: Doc, lines: Sequence[Line]) -> None:
    """Report stated values the model derives and would state differently (BT-3, BT-81, BT-83, BG-14)."""
    expected_means = payment_means_code(d.currency) if d.account is not None else None
    if d.means is not None and d.means[0] != expected_means:
        src.notes.append(
            UnknownElement(
                d.means[1],
                d.means[0],
                f"invoicekit states payment means {expected_means or 'none'} for "
                f"{'a transfer in ' + d.currency if d.account else 'no payee account'}",
            )
        )
    if d.payment_id is not None and (d.payment_id[0] != d.number or d.account is None):
        src.notes.append(
            UnknownElement(
                d.payment_id[1], d.payment_id[0], "invoicekit uses the invoice number (BT-1)"
            )
        )
    if d.delivery is not None:
        days = {(p.start, p.end) for p in (line.period for line in lines) if p is not None}
        one_day = len(days) == 1 and next(iter(days))[0] == next(iter(days))[1]
        if not (
            one_day and all(line.period for line in lines) and next(iter(days))[0] == d.delivery[0]
        ):
            src.notes.append(
                UnknownElement(
                    d.delivery[1],
                    d.delivery[0].isoformat(),
                    "invoicekit states the delivery date (BT-72) only when every line was "
                    "supplied on that one day",
                )
            )
    if d.period is not None:
        periods = [line.period for line in lines]
        derived = (
            ServicePeriod(
                min(p.start for p in periods if p is not None),
                max(p.end for p in periods if p is not None),
            )
            if periods and all(p is not None for p in periods)
            else None
        )
        if derived != d.period[0]:
            src.notes.append(
                UnknownElement(
                    d.period[1],
                    f"{d.period[0].start}/{d.period[0].end}",
                    "invoicekit derives the invoice period (BG-14) from the line periods",
                )
            )


def report_rounding(src: Source, d: Doc, totals: Totals) -> None:
    """Report a stated rounding amount (BT-114) the model's cash rounding does not give."""
    stated = d.stated.get("BT-114")
    if stated is not None and stated.value and stated.value != totals.rounding:
        src.notes.append(
            UnknownElement(
                stated.path,
                str(stated.value),
                "taken as stated for the sums (BR-CO-16); invoicekit holds only the rounding "
                "its cash increments give",
            )
        )


def report_negative_total(src: Source, d: Doc, totals: Totals) -> None:
    """Warn of a total below zero: EN 16931 allows it; invoicekit issues a credit note instead."""
    if totals.tax_inclusive < 0:
        src.warn(
            d.root,
            "the invoice total with tax (BT-112) is below zero; read as stated (invoicekit "
            "itself refunds with a credit note)",
            str(totals.tax_inclusive),
        )

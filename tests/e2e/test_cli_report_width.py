"""``invoicekit report``'s tables stay readable in an 80-column terminal (issue 17).

Rich shrinks a table wider than the terminal by cutting its cells with "…": a header
cut to "collecti…" tells nothing. Rendered at 80 columns with large amounts, several
currencies and a long client name, no header and no figure is cut.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from rich.console import Console

import invoicekit as ik
from invoicekit.cli.report import show

ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NAME = "Vereinigte Hütten- und Maschinenwerke Süd-West GmbH & Co. KG"


def _report(width: int) -> tuple[str, list[str]]:
    """The whole report printed at ``width``, and the amounts it must show whole."""
    clock = ik.FixedClock(ISSUED)
    with ik.Billing.in_memory(clock=clock) as billing:
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        for i, currency in enumerate(("EUR", "USD", "CHF")):
            customer = books.customers.create(f"{NAME} {i}", email="ap@c.example")
            for price in ("98765432.10", "1234567.89"):
                line = ik.Line("Design", quantity="1", unit_price=price, tax=ik.Vat("19"))
                draft = books.invoices.draft(customer.id, lines=[line], currency=currency)
                invoice = books.invoices.issue(draft.id)
            books.payments.record(invoice.id, "1000.00")
            clock.advance(timedelta(days=20))
        clock.advance(timedelta(days=60))
        report = books.reports.receivables(as_of=date(2026, 4, 30))
        out = io.StringIO()
        console = Console(file=out, width=width, color_system=None, force_terminal=False)
        show(report, books, console)
        amounts = [f"{report.open[c]}" for c in report.currencies]
    return out.getvalue(), amounts


@pytest.mark.parametrize("width", [60, 80, 120])
def test_no_header_or_figure_is_cut(width: int) -> None:
    text, amounts = _report(width)

    assert "…" not in text, text
    assert max(len(line) for line in text.splitlines()) <= width
    for heading in ("collection rate", "credit held", "DSO (days)", "over 90", "collected"):
        assert heading in text, text
    for amount in amounts:
        assert amount in text, text

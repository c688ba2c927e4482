"""Your first invoice: build it, issue it, take a partial payment, and see every rounding step.

Run it with ``python examples/first_invoice.py``. It uses only the pure domain
core (no database, no network); time is passed in explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import invoicekit as ik
from invoicekit import lifecycle


def main() -> None:
    """Bill a customer for design work and a book, then record a partial payment."""
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    seller = ik.Seller(
        id="northwind",
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        tax_id="DE811234567",
    )
    client = ik.Customer(
        id="globex", seller_id=seller.id, name="Globex GmbH", email="ap@globex.example"
    )
    draft = ik.Invoice.draft(
        id="inv-1",
        seller=seller,
        customer=client,
        at=now,
        terms=ik.NetDays(14),
        lines=[
            ik.Line(
                "Website redesign, March",
                quantity=Decimal("12.5"),
                unit_price=Decimal("80.00"),
                tax=ik.Vat("19"),
                unit="HUR",
            ),
            ik.Line(
                "Style guide (printed)",
                quantity=Decimal("3"),
                unit_price=Decimal("9.99"),
                tax=ik.Vat("7"),
                discounts=[ik.Discount(percent="10")],
            ),
            ik.Line(
                "Hosting, pro rata",
                quantity=Decimal("0.333"),
                unit_price=Decimal("29.90"),
                tax=ik.Vat("19"),
                note="10 of 30 days at 29.90 a month",
            ),
        ],
    )
    invoice, _ = lifecycle.apply(
        draft, lifecycle.Issue(number="INV-2026-00001", seller=seller, customer=client), at=now
    )
    invoice, events = lifecycle.apply(
        invoice, lifecycle.RecordPayment("pay-1", Decimal("500.00")), at=now
    )

    print(f"Invoice {invoice.number} for {client.name}")
    print(f"  issued {invoice.issue_date}, due {invoice.due_date} ({invoice.terms.describe()})")
    for line, amounts in zip(invoice.lines, invoice.totals.lines, strict=True):
        print(
            f"  {line.description:<28} {line.quantity:>7} x {line.unit_price:>7} = {amounts.net:>9}"
        )
    print(
        f"  total {invoice.totals.tax_inclusive} {invoice.currency}, "
        f"paid {invoice.paid}, due {invoice.amount_due}: {invoice.status.value}"
    )
    print(f"  events: {', '.join(e.name for e in events)}")
    print()
    print(invoice.totals.explain())


if __name__ == "__main__":
    main()

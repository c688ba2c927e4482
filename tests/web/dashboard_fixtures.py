"""Books for the dashboard's tests: two sellers, clients with open, overdue and paid invoices.

``make_books(billing)`` fills any Billing (memory, SQLite, PostgreSQL); the clock is
then moved 45 days on, so invoices due in 30 days are overdue. ``Books`` names the ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.testing import FixedClock

__all__ = ["Books", "line", "make_books"]


def line(price: str) -> ik.Line:
    """One line at 19 % VAT."""
    return ik.Line("Consulting", quantity="1", unit_price=price, tax=ik.Vat("19"))


@dataclass(frozen=True)
class Books:
    """The ids a dashboard test needs."""

    seller_id: str
    other_seller_id: str
    customer_ids: tuple[str, ...]
    other_customer_id: str
    #: An overdue invoice of the first customer, nothing paid.
    overdue_id: str
    #: An invoice of the other seller.
    other_invoice_id: str


def make_books(billing: ik.Billing, clock: FixedClock, *, names: tuple[str, ...] = ()) -> Books:
    """Two sellers; the first with customers whose invoices are open, paid and overdue."""
    clock.set(AT)
    seller = billing.sellers.create(
        name="Northwind Studio", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    other = billing.sellers.create(name="Other Ltd", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    customers = [
        books.customers.create(name, email=f"ap{i}@example.com")
        for i, name in enumerate(names or ("Globex GmbH", "Initech AG", "Umbrella Corp"))
    ]
    ids = []
    for i, customer in enumerate(customers):
        draft = books.invoices.draft(customer.id, lines=[line(f"{100 * (i + 1)}.00")])
        ids.append(books.invoices.issue(draft.id).id)
    second = books.invoices.draft(customers[0].id, lines=[line("50.00")])
    paid = books.invoices.issue(second.id)
    books.payments.record(paid.id, paid.amount_due)
    usd = books.invoices.draft(customers[-1].id, lines=[line("70.00")], currency="USD")
    books.invoices.issue(usd.id)
    theirs = billing.seller(other.id)
    stranger = theirs.customers.create("Stranger Inc", email="s@example.com")
    foreign = theirs.invoices.draft(stranger.id, lines=[line("999.00")])
    foreign_id = theirs.invoices.issue(foreign.id).id
    clock.set(AT + timedelta(days=45))
    late = books.invoices.draft(customers[1].id, lines=[line("10.00")])
    books.invoices.issue(late.id)
    return Books(
        seller_id=seller.id,
        other_seller_id=other.id,
        customer_ids=tuple(c.id for c in customers),
        other_customer_id=stranger.id,
        overdue_id=ids[0],
        other_invoice_id=foreign_id,
    )

"""The live clients table sorts by what each client has overdue today, in every store.

Overdue depends on the day: the same summaries sort differently once an invoice falls
due, with no write in between. The order must equal ``books.reports``' overdue sort at
"now" (the as-of view's), and paging, the count, search and currency filters apply.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import invoicekit as ik
from billing_fixtures import AT
from integration.test_summaries import store  # noqa: F401 - the fixture by name
from invoicekit.services.live_summary import LiveSummaries
from invoicekit.summary_repositories import ClientQuery
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - the fixture


def _issue(
    books: ik.SellerBooks, customer_id: str, amount: str, currency: str = "EUR"
) -> ik.Invoice:
    line = ik.Line("Work", quantity="1", unit_price=amount, tax=ik.Vat("19"))
    draft = books.invoices.draft(customer_id, lines=[line], currency=currency)
    return books.invoices.issue(draft.id)


def _books(billing: ik.Billing, letters: str) -> tuple[ik.SellerBooks, list[ik.Customer]]:
    """A new seller's books and a client per letter (id ``c-<letter>``)."""
    seller = billing.sellers.create(
        name="Sorted Books", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(seller.id)
    return books, [books.customers.create(f"Client {x}", id=f"c-{x}") for x in letters]


def _ids(live: LiveSummaries, query: ClientQuery) -> list[str]:
    rows, _, _ = live.clients(query)
    return [f"{r.customer_id}/{r.currency}" for r in rows]


def test_the_overdue_sort_follows_the_day(
    store: tuple[ik.Billing, FixedClock],  # noqa: F811 - the fixture imported above
) -> None:
    billing, clock = store
    books, (a, b, c, d) = _books(billing, "abcd")
    first = _issue(books, a.id, "50.00")
    clock.set(AT + timedelta(days=10))
    of_b = _issue(books, b.id, "100.00")
    _issue(books, c.id, "200.00")
    _issue(books, d.id, "300.00", currency="USD")
    live = LiveSummaries(billing.storage, clock, books.seller_id)
    overdue = ClientQuery(sort="overdue")

    # Only a's invoice is past due: a first, the rest (nothing overdue) by id, descending.
    assert first.due_date is not None
    clock.set(datetime_after(first.due_date, days=1))
    assert _ids(live, overdue) == ["c-a/EUR", "c-d/USD", "c-c/EUR", "c-b/EUR"]

    # Later every invoice is past due, and the same rows sort by their amounts.
    clock.set(AT + timedelta(days=90))
    assert _ids(live, overdue) == ["c-d/USD", "c-c/EUR", "c-b/EUR", "c-a/EUR"]
    rows, total, late = live.clients(overdue)
    assert total == 4
    assert [late[r.customer_id, r.currency] for r in rows] == [
        Decimal("357.00"),
        Decimal("238.00"),
        Decimal("119.00"),
        Decimal("59.50"),
    ]
    theirs = books.reports.client_balances(sort="overdue")
    assert [f"{x.customer_id}/{x.currency}" for x in theirs.items] == _ids(live, overdue)
    assert _ids(live, ClientQuery(sort="overdue", descending=False)) == [
        "c-a/EUR",
        "c-b/EUR",
        "c-c/EUR",
        "c-d/USD",
    ]
    rows, total, _ = live.clients(ClientQuery(sort="overdue", limit=2, offset=1))
    assert ([r.customer_id for r in rows], total) == (["c-c", "c-b"], 4)
    rows, total, _ = live.clients(ClientQuery(sort="overdue", currency="EUR", search="client"))
    assert ([r.customer_id for r in rows], total) == (["c-c", "c-b", "c-a"], 3)
    rows, total, _ = live.clients(ClientQuery(sort="overdue", search="C-B"))
    assert ([r.customer_id for r in rows], total) == (["c-b"], 1)

    # Paid in full: nothing overdue any more, so b sorts with the clients owing nothing.
    books.payments.record(of_b.id, of_b.amount_due)
    assert _ids(live, overdue) == ["c-d/USD", "c-c/EUR", "c-a/EUR", "c-b/EUR"]


def test_the_currency_sort(
    store: tuple[ik.Billing, FixedClock],  # noqa: F811 - the fixture imported above
) -> None:
    billing, clock = store
    books, (a, b) = _books(billing, "ab")
    _issue(books, a.id, "10.00", currency="USD")
    _issue(books, b.id, "10.00", currency="EUR")
    _issue(books, a.id, "10.00", currency="EUR")
    live = LiveSummaries(billing.storage, clock, books.seller_id)

    assert _ids(live, ClientQuery(sort="currency", descending=False)) == [
        "c-a/EUR",
        "c-b/EUR",
        "c-a/USD",
    ]


def datetime_after(day: date, *, days: int) -> datetime:
    """Noon UTC ``days`` after ``day``."""
    return datetime.combine(day + timedelta(days=days), time(12), tzinfo=UTC)

"""What the live summaries write with each save (issue 17: their cost on every save <= 10 %).

A save writes only the summary rows it moves, in as few statements as the store
allows: on SQLite one additive upsert per table (the day rows of a save in one
multi-row statement), on PostgreSQL one statement for the three tables. Recording a
payment on an invoice read in the same transaction takes the share it replaces from
that invoice (SQLAlchemy stores: no read of ``summary_parts``, one round trip less).
That the rows stay right is ``test_summaries.py``'s property test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.domain.summary import Parts, change
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - the fixture


def _issue_then_pay(billing: ik.Billing, trace: Any) -> tuple[list[str], list[str]]:
    """The summary statements of issuing one invoice, and of recording its payment."""
    seller = billing.sellers.create(name="N", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    customer = books.customers.create("Acme").id
    line = ik.Line("Work", quantity=1, unit_price="100.00", tax=ik.Vat("19"))
    draft = books.invoices.draft(customer, lines=[line]).id
    seen: list[str] = []
    trace(seen)
    invoice = books.invoices.issue(draft)
    issuing = [s for s in seen if "summary_" in s]
    seen.clear()
    books.payments.record(invoice.id, invoice.amount_due)
    paying = [s for s in seen if "summary_" in s]
    return issuing, paying


def test_sqlite_writes_each_summary_table_once_per_save(tmp_path: Path) -> None:
    storage = SqliteStorage.open(tmp_path / "books.db")
    billing = ik.Billing(storage=storage, clock=FixedClock(AT))

    def trace(seen: list[str]) -> None:
        with storage.transaction():
            pass  # the thread's connection, which the saves reuse
        storage._session()[0].conn.set_trace_callback(seen.append)

    issuing, paying = _issue_then_pay(billing, trace)
    billing.close()
    # Client row, the 4 day rows (due x2, invoiced, fell due) in one statement, the share.
    assert len(issuing) == 3, issuing
    # The share read by its key, then the three upserts.
    assert len(paying) == 4, paying
    assert "json_each" not in paying[0]


@pytest.fixture
def pg_billing(pg_url: str) -> Iterator[tuple[ik.Billing, sa.Engine]]:  # noqa: F811 - the fixture
    billing = ik.Billing.from_url(pg_url, clock=FixedClock(AT))
    yield billing, billing.storage.engine  # type: ignore[attr-defined]
    billing.close()


def test_postgresql_writes_the_summaries_of_a_save_in_one_statement(
    pg_billing: tuple[ik.Billing, sa.Engine],
) -> None:
    billing, engine = pg_billing

    def trace(seen: list[str]) -> None:
        def keep(*args: Any) -> None:
            seen.append(str(args[2]))

        sa.event.listen(engine, "before_cursor_execute", keep)

    issuing, paying = _issue_then_pay(billing, trace)
    assert len(issuing) == 1, issuing
    # No read of the share: the invoice the payment read in its transaction gives it.
    assert len(paying) == 1, paying
    assert "SELECT invoice_id, parts" not in paying[0]


def _parts(due_day: str, customer: str = "c1", name: str = "Acme") -> Parts:
    return Parts(
        customer_id=customer,
        currency="EUR",
        name=name,
        open=119_000_000,
        credit=0,
        invoiced=119_000_000,
        days=(("due", due_day, 119_000_000),),
    )


def test_a_client_row_that_does_not_move_is_not_written() -> None:
    moved = change([(_parts("2026-01-31"), _parts("2026-02-28"))])
    assert moved.clients == {}
    assert moved.days[("", "EUR", "due", "2026-01-31")] == -119_000_000
    assert moved.days[("c1", "EUR", "due", "2026-02-28")] == 119_000_000


def test_a_client_row_is_written_when_its_name_moves() -> None:
    moved = change([(_parts("2026-01-31"), _parts("2026-01-31", name="Acme GmbH"))])
    assert moved.clients["c1", "EUR"].name == "Acme GmbH"
    assert moved.clients["c1", "EUR"].open == 0
    assert moved.days == {}

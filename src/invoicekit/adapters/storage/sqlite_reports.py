"""``tx.reports`` of SqliteStorage, and the receivable entries it keeps beside each invoice.

``write_entries`` rewrites an invoice's rows of ``report_entries`` in the transaction
that saves the invoice; the queries are report_sql.py's, run here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

from invoicekit.adapters.storage.report_sql import (
    BACKFILL_SELECT,
    DELETE_ENTRIES,
    INSERT_ENTRY,
    ReportSql,
    backfill_rows,
    entry_row,
)
from invoicekit.domain.invoice import Invoice
from invoicekit.report_repositories import (
    BalanceRow,
    BalanceSort,
    FailedPaymentRow,
    FlowRow,
    OverdueRow,
)
from invoicekit.reports.ledger import ledger_entries

if TYPE_CHECKING:
    from invoicekit.adapters.storage.sqlite_schema import Session

__all__ = ["ENTRIES_SCHEMA", "SqliteReports", "backfill_entries", "write_entries"]

_SQL: Final = ReportSql("sqlite")

#: The table and indexes of the entries (schema version 9).
ENTRIES_SCHEMA: Final = (
    """CREATE TABLE report_entries (
        seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL, seq INTEGER NOT NULL,
        customer_id TEXT NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL,
        at TEXT NOT NULL, day TEXT NOT NULL, due_date TEXT, number TEXT,
        amount INTEGER NOT NULL, open_amount INTEGER NOT NULL, credit_amount INTEGER NOT NULL,
        cash_amount INTEGER NOT NULL, detail TEXT,
        PRIMARY KEY (seller_id, invoice_id, seq))""",
    # Every "as of" sum reads one of these two covering indexes, never the table.
    """CREATE INDEX report_entries_at ON report_entries
        (seller_id, at, currency, due_date, open_amount, credit_amount, cash_amount, kind, amount,
        day)""",
    """CREATE INDEX report_entries_customer ON report_entries
        (seller_id, customer_id, currency, invoice_id, at, due_date, open_amount, credit_amount)""",
)


def _p(params: dict[str, Any]) -> Sequence[Any]:
    """Named parameters for ``Session`` (sqlite3 takes a mapping for ``:name``)."""
    return cast("Sequence[Any]", params)


def write_entries(session: Session, invoices: Sequence[Invoice], *, replace: bool) -> None:
    """Store the entries of ``invoices``; ``replace`` deletes their old rows first."""
    if replace:
        keys = [{"seller_id": i.seller_id, "invoice_id": i.id} for i in invoices]
        session.run_many("save report entries", DELETE_ENTRIES, [_p(k) for k in keys])
    rows = [_p(entry_row(e)) for i in invoices for e in ledger_entries(i)]
    if rows:
        session.run_many("save report entries", INSERT_ENTRY, rows)


def backfill_entries(conn: sqlite3.Connection) -> None:
    """Migration 8: the entries of every invoice already stored (inside the migration's transaction)."""
    from invoicekit.serialization import make_converter

    converter = make_converter()
    cursor = conn.execute(f"{BACKFILL_SELECT} ORDER BY seller_id, id")
    while batch := cursor.fetchmany(1000):
        conn.executemany(INSERT_ENTRY, backfill_rows(batch, converter))


class SqliteReports:
    """The report queries of one session."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _rows(self, operation: str, query: tuple[str, dict[str, Any]]) -> list[Any]:
        sql, params = query
        return self._s.rows(operation, sql, _p(params))

    def open_by_due(
        self, seller_id: str, *, cut: datetime, bounds: Sequence[date]
    ) -> dict[str, list[Decimal]]:
        """Open receivables per currency in buckets by due date."""
        rows = self._rows("report open receivables", _SQL.open_by_due(seller_id, cut, bounds))
        return _SQL.read_open_by_due(rows, len(bounds) + 1)

    def credit_held(self, seller_id: str, *, cut: datetime) -> dict[str, Decimal]:
        """Customer credit held per currency."""
        return _SQL.read_sums(self._rows("report credit", _SQL.credit_held(seller_id, cut)))

    def client_balances(
        self,
        seller_id: str,
        *,
        cut: datetime,
        today: date,
        currency: str | None,
        search: str | None,
        sort: BalanceSort,
        descending: bool,
        limit: int,
        offset: int,
    ) -> list[BalanceRow]:
        """Clients' figures, filtered, sorted and cut to one page."""
        query = _SQL.client_balances(
            seller_id, cut, today, currency, search, sort, descending, limit, offset
        )
        return _SQL.read_balances(self._rows("report client balances", query))

    def flows(
        self, seller_id: str, *, start: datetime, cut: datetime, monthly: bool
    ) -> list[FlowRow]:
        """Invoiced, collected and credited per currency (and month)."""
        query = _SQL.flows(seller_id, start, cut, monthly)
        return _SQL.read_flows(self._rows("report invoiced and collected", query))

    def fell_due(
        self, seller_id: str, *, cut: datetime, after: date, until: date
    ) -> dict[str, Decimal]:
        """Totals of the invoices falling due in the window."""
        query = _SQL.fell_due(seller_id, cut, after, until)
        return _SQL.read_sums(self._rows("report amounts due", query))

    def overdue(
        self, seller_id: str, *, cut: datetime, today: date, limit: int
    ) -> list[OverdueRow]:
        """Invoices open and past due, oldest due date first."""
        query = _SQL.overdue(seller_id, cut, today, limit)
        return _SQL.read_overdue(self._rows("report overdue invoices", query))

    def failed_payments(
        self, seller_id: str, *, cut: datetime, limit: int
    ) -> list[FailedPaymentRow]:
        """Failed payments of invoices still open, newest first."""
        query = _SQL.failed_payments(seller_id, cut, limit)
        return _SQL.read_failed(self._rows("report failed payments", query))

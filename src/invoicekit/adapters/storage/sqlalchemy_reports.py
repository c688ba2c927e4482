"""``tx.reports`` of SqlAlchemyStorage (SQLite, PostgreSQL), and the entries kept with each invoice.

The table is Alembic revision ``0010``'s ``report_entries``; the queries are
report_sql.py's, the same as SqliteStorage's, in the connection's dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from invoicekit.adapters.storage.report_sql import (
    DELETE_ENTRIES,
    INSERT_ENTRY,
    ReportSql,
    entry_row,
)
from invoicekit.adapters.storage.sqlalchemy_tables import METADATA, Context, key_type
from invoicekit.domain.invoice import Invoice
from invoicekit.report_repositories import (
    BalanceRow,
    BalanceSort,
    FailedPaymentRow,
    FlowRow,
    OverdueRow,
)
from invoicekit.reports.ledger import ledger_entries

__all__ = ["REPORT_ENTRIES", "SqlReports", "write_sql_entries"]

#: Each issued invoice's dated entries (reports.ledger): amounts in integer minor units,
#: times as UTC text of one width, days as ISO text (Alembic 0010).
REPORT_ENTRIES: Final = sa.Table(
    "report_entries",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("invoice_id", key_type(), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("currency", key_type(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("at", key_type(), nullable=False),
    sa.Column("day", key_type(), nullable=False),
    sa.Column("due_date", key_type(), nullable=True),
    sa.Column("number", sa.Text(), nullable=True),
    sa.Column("amount", sa.BigInteger(), nullable=False),
    sa.Column("open_amount", sa.BigInteger(), nullable=False),
    sa.Column("credit_amount", sa.BigInteger(), nullable=False),
    sa.Column("cash_amount", sa.BigInteger(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Index(
        "report_entries_at",
        "seller_id",
        "at",
        "currency",
        "due_date",
        "open_amount",
        "credit_amount",
        "cash_amount",
        "kind",
        "amount",
        "day",
    ),
    sa.Index(
        "report_entries_customer",
        "seller_id",
        "customer_id",
        "currency",
        "invoice_id",
        "at",
        "due_date",
        "open_amount",
        "credit_amount",
    ),
)

_INSERT: Final = sa.text(INSERT_ENTRY)
_DELETE: Final = sa.text(DELETE_ENTRIES)


def write_sql_entries(ctx: Context, invoices: Sequence[Invoice], *, replace: bool) -> None:
    """Store the entries of ``invoices``; ``replace`` deletes their old rows first."""
    if replace:
        keys = [{"seller_id": i.seller_id, "invoice_id": i.id} for i in invoices]
        ctx.run("save report entries", _DELETE, keys)
    rows = [entry_row(e) for i in invoices for e in ledger_entries(i)]
    if rows:
        ctx.run("save report entries", _INSERT, rows)


class SqlReports:
    """The report queries of one transaction's connection."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx
        self._sql = ReportSql("postgresql" if ctx.postgres else "sqlite")

    def _rows(self, operation: str, query: tuple[str, dict[str, Any]]) -> list[Any]:
        sql, params = query
        return [tuple(r) for r in self._c.rows(operation, sa.text(sql), params)]

    def open_by_due(
        self, seller_id: str, *, cut: datetime, bounds: Sequence[date]
    ) -> dict[str, list[Decimal]]:
        """Open receivables per currency in buckets by due date."""
        query = self._sql.open_by_due(seller_id, cut, bounds)
        return self._sql.read_open_by_due(
            self._rows("report open receivables", query), len(bounds) + 1
        )

    def credit_held(self, seller_id: str, *, cut: datetime) -> dict[str, Decimal]:
        """Customer credit held per currency."""
        return self._sql.read_sums(
            self._rows("report credit", self._sql.credit_held(seller_id, cut))
        )

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
        query = self._sql.client_balances(
            seller_id, cut, today, currency, search, sort, descending, limit, offset
        )
        return self._sql.read_balances(self._rows("report client balances", query))

    def flows(
        self, seller_id: str, *, start: datetime, cut: datetime, monthly: bool
    ) -> list[FlowRow]:
        """Invoiced, collected and credited per currency (and month)."""
        query = self._sql.flows(seller_id, start, cut, monthly)
        return self._sql.read_flows(self._rows("report invoiced and collected", query))

    def fell_due(
        self, seller_id: str, *, cut: datetime, after: date, until: date
    ) -> dict[str, Decimal]:
        """Totals of the invoices falling due in the window."""
        query = self._sql.fell_due(seller_id, cut, after, until)
        return self._sql.read_sums(self._rows("report amounts due", query))

    def overdue(
        self, seller_id: str, *, cut: datetime, today: date, limit: int
    ) -> list[OverdueRow]:
        """Invoices open and past due, oldest due date first."""
        query = self._sql.overdue(seller_id, cut, today, limit)
        return self._sql.read_overdue(self._rows("report overdue invoices", query))

    def failed_payments(
        self, seller_id: str, *, cut: datetime, limit: int
    ) -> list[FailedPaymentRow]:
        """Failed payments of invoices still open, newest first."""
        query = self._sql.failed_payments(seller_id, cut, limit)
        return self._sql.read_failed(self._rows("report failed payments", query))

"""The report query port: sums over the receivable entries (``reports.ledger``), in the store.

``tx.reports`` answers each "as of" question with one query (SQL ``GROUP BY`` on
SQLite and PostgreSQL, plain Python in memory), never by loading every invoice.
``cut`` is an instant: entries at or after it are not counted yet. Amounts come back
exact, per currency; no method ever adds two currencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol

import attrs

__all__ = [
    "BALANCE_SORTS",
    "BalanceRow",
    "FailedPaymentRow",
    "FlowRow",
    "OverdueRow",
    "ReportQueries",
]

#: The orders ``client_balances`` accepts.
BALANCE_SORTS = ("balance", "overdue", "credit", "net", "name", "customer_id", "currency")
BalanceSort = Literal["balance", "overdue", "credit", "net", "name", "customer_id", "currency"]


@attrs.frozen
class BalanceRow:
    """One client's figures in one currency."""

    customer_id: str
    name: str | None
    currency: str
    open: Decimal
    overdue: Decimal
    credit: Decimal
    invoices: int


@attrs.frozen
class FlowRow:
    """Invoiced, collected and credited of one currency in one month (or one window)."""

    currency: str
    #: "YYYY-MM", or "" for a whole window.
    month: str
    invoiced: Decimal
    collected: Decimal
    credited: Decimal


@attrs.frozen
class OverdueRow:
    """An invoice with an open balance past its due date."""

    invoice_id: str
    number: str | None
    customer_id: str
    currency: str
    due_date: date
    open: Decimal


@attrs.frozen
class FailedPaymentRow:
    """A failed payment or collection attempt of an invoice still open."""

    invoice_id: str
    number: str | None
    customer_id: str
    currency: str
    amount: Decimal
    at: datetime
    reason: str | None


class ReportQueries(Protocol):
    """One seller's receivable figures as of an instant, computed where the data is."""

    def open_by_due(
        self, seller_id: str, *, cut: datetime, bounds: Sequence[date]
    ) -> dict[str, list[Decimal]]:
        """Open receivables per currency in ``len(bounds) + 1`` buckets by due date.

        Bucket ``i`` holds due dates before ``bounds[i]`` (and not in an earlier bucket);
        the last bucket holds the rest. ``bounds`` ascend.
        """

    def credit_held(self, seller_id: str, *, cut: datetime) -> dict[str, Decimal]:
        """Customer credit held at ``cut`` per currency (overpayments, over-credits)."""

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
        """Clients with an open balance or credit, sorted (ties by customer id, currency)."""

    def flows(
        self, seller_id: str, *, start: datetime, cut: datetime, monthly: bool
    ) -> list[FlowRow]:
        """Invoiced, collected and credited between ``start`` and ``cut``, per currency (and month)."""

    def fell_due(
        self, seller_id: str, *, cut: datetime, after: date, until: date
    ) -> dict[str, Decimal]:
        """Totals of the invoices issued before ``cut`` whose due date is after ``after`` up to ``until``."""

    def overdue(
        self, seller_id: str, *, cut: datetime, today: date, limit: int
    ) -> list[OverdueRow]:
        """Invoices open at ``cut`` and due before ``today``, oldest due date first."""

    def failed_payments(
        self, seller_id: str, *, cut: datetime, limit: int
    ) -> list[FailedPaymentRow]:
        """Failed payments before ``cut`` of invoices still open then, newest first."""

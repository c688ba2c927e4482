"""The figures of the receivables reports, as immutable values: exact Decimals, one currency each.

Nothing here adds amounts of two currencies: every value carries its ``currency``, and
the reports key their figures by currency (``dict[str, ...]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

import attrs

__all__ = [
    "AgingBuckets",
    "AttentionItem",
    "CashInWeek",
    "ClientBalance",
    "MonthFigures",
    "Page",
    "ReceivablesReport",
    "ReportWindow",
]

T = TypeVar("T")


@attrs.frozen
class ReportWindow:
    """The days a window figure covers: after ``start`` up to and including ``end`` (seller's zone)."""

    start: date
    end: date
    days: int


@attrs.frozen
class ClientBalance:
    """What one client owes in one currency as of a date, with the credit they hold beside it."""

    customer_id: str
    #: The customer's name as stored now (None when the customer record is gone).
    name: str | None
    currency: str
    #: Open receivables: issued, not void, not written off, not yet paid or credited.
    open: Decimal
    #: The part of ``open`` whose due date has passed.
    overdue: Decimal
    #: Customer credit held (overpayments, over-credits), not yet refunded or applied.
    credit: Decimal
    #: Open invoices (a balance above zero) of this client in this currency.
    invoices: int

    @property
    def net(self) -> Decimal:
        """What the client owes once the credit they hold is counted: ``open - credit``."""
        return self.open - self.credit


@attrs.frozen
class AgingBuckets:
    """Open receivables of one currency by days past due (in the seller's zone) as of a date."""

    currency: str
    #: Not yet past due (due today or later).
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal

    @property
    def total(self) -> Decimal:
        """The open receivables: the five buckets added up."""
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90


@attrs.frozen
class MonthFigures:
    """Invoiced, collected and credited in one calendar month (seller's zone) and currency."""

    currency: str
    #: The first day of the month.
    month: date
    #: Totals (VAT included) of the invoices issued in the month.
    invoiced: Decimal
    #: Money received (payments, less refunds and disputed amounts); customer credit
    #: applied from one invoice to another is not new money and is left out.
    collected: Decimal
    #: Amounts of the credit notes issued in the month against stored invoices.
    credited: Decimal


@attrs.frozen
class CashInWeek:
    """Open receivables expected in one week, by due date; the first week also holds the overdue."""

    currency: str
    #: First and last day of the week (seven days from the as-of date on).
    start: date
    end: date
    expected: Decimal


@attrs.frozen
class AttentionItem:
    """Something to look at: an overdue invoice, a failed payment or a failed message."""

    #: "overdue", "failed_payment" or "failed_message".
    kind: str
    invoice_id: str | None
    number: str | None
    customer_id: str | None
    currency: str | None = None
    #: The open balance (overdue), the failed payment's amount, or None (a message).
    amount: Decimal | None = None
    due_date: date | None = None
    days_overdue: int | None = None
    #: The last reminder step sent for the invoice and when, if any.
    last_reminder: str | None = None
    last_reminder_at: datetime | None = None
    #: The next dunning step of the seller's policy not sent yet, and the day it is due.
    next_step: str | None = None
    next_step_on: date | None = None
    #: When it happened (the failed payment or the message's last attempt).
    at: datetime | None = None
    #: The failure reason or the message's last error.
    detail: str | None = None


@attrs.frozen
class Page(Generic[T]):
    """One page of a longer list; pass ``next`` as ``after`` for the following page (None: last)."""

    items: tuple[T, ...]
    next: str | None


@attrs.frozen
class ReceivablesReport:
    """Every receivables figure of one seller as of a date, keyed by currency."""

    seller_id: str
    as_of: date
    window: ReportWindow
    #: Open receivables per currency (equals the aging total and the sum of client balances).
    open: Mapping[str, Decimal]
    overdue: Mapping[str, Decimal]
    customer_credit: Mapping[str, Decimal]
    aging: Mapping[str, AgingBuckets]
    monthly: Mapping[str, list[MonthFigures]]
    dso: Mapping[str, Decimal | None]
    collection_rate: Mapping[str, Decimal | None]
    cash_in: Mapping[str, list[CashInWeek]]
    mrr: Mapping[str, Decimal]
    attention: list[AttentionItem]

    @property
    def currencies(self) -> list[str]:
        """Every currency that has a figure, sorted."""
        keys = set(self.open) | set(self.customer_credit) | set(self.monthly) | set(self.mrr)
        return sorted(keys)

"""Which time zone decides what: the seller's for dates of the books, the customer's for delivery.

The seller's zone decides every calendar date of the books: issue and due dates,
overdue, reminder days and numbering periods (a yearly or monthly reset). The
customer's zone, else the seller's, decides the wall-clock time a message reaches
them at (quiet hours, time of day) and the bounds of their own billing periods.
Every such date or time is derived from an instant here, never from a UTC date.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import ValidationError, problem

__all__ = ["books_date", "delivery_time", "delivery_zone"]


def _aware(at: datetime) -> datetime:
    """``at``, refused when naive: its zone would be the host's and the date would move with it."""
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValidationError(
            [problem("at", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", at)],
            subject="time",
        )
    return at


def books_date(at: datetime, seller: Seller) -> date:
    """The seller's calendar date at ``at``: the date of the books (issue, due, overdue, reminders)."""
    return _aware(at).astimezone(ZoneInfo(seller.timezone)).date()


def delivery_zone(customer: Customer | None, seller: Seller) -> ZoneInfo:
    """The zone messages to ``customer`` are timed in: the customer's own, else the seller's."""
    if customer is not None and customer.timezone is not None:
        return ZoneInfo(customer.timezone)
    return ZoneInfo(seller.timezone)


def delivery_time(at: datetime, customer: Customer | None, seller: Seller) -> datetime:
    """``at`` on the customer's wall clock: what quiet hours and times of day are compared with."""
    return _aware(at).astimezone(delivery_zone(customer, seller))

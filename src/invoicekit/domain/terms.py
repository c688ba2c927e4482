"""Payment terms: how the due date follows from the issue date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Protocol

import attrs
from dateutil.relativedelta import relativedelta

from invoicekit.errors import ValidationError, problem

__all__ = ["DueOnReceipt", "EndOfMonth", "FixedDate", "NetDays", "PaymentTerms"]

_MAX_DAYS: Final = 3660


class PaymentTerms(Protocol):
    """Turns an issue date into a due date; NetDays, FixedDate and EndOfMonth are the ones stored.

    Sellers and invoices accept only those three (and DueOnReceipt()): storage must read them back.
    """

    def due_date(self, issue_date: date) -> date:
        """The due date for ``issue_date``; raises ValidationError if there is none."""
        raise NotImplementedError  # pragma: no cover - a Protocol method

    def describe(self) -> str:
        """A short text for documents, e.g. 'net 30 days'."""
        raise NotImplementedError  # pragma: no cover - a Protocol method


def _days(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DAYS:
        raise ValidationError(
            [problem("days", f"must be an integer from 0 to {_MAX_DAYS}", value)],
            subject="payment terms",
        )
    return value


@attrs.frozen
class NetDays:
    """Due ``days`` days after the issue date ("net 30")."""

    days: int = attrs.field(converter=_days)

    def due_date(self, issue_date: date) -> date:
        """Issue date plus ``days``."""
        return issue_date + timedelta(days=self.days)

    def describe(self) -> str:
        """'due on receipt' or 'net N days'."""
        return "due on receipt" if self.days == 0 else f"net {self.days} days"


def DueOnReceipt() -> NetDays:  # noqa: N802 - reads as a value constructor
    """Due on the issue date."""
    return NetDays(0)


def _on(value: date) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(
            [problem("on", "must be a datetime.date, e.g. FixedDate(date(2026, 3, 31))", value)],
            subject="payment terms",
        )
    return value


@attrs.frozen
class FixedDate:
    """Due on a fixed date (a ``datetime.date``), which must not be before the issue date."""

    on: date = attrs.field(converter=_on)

    def due_date(self, issue_date: date) -> date:
        """``on``; a ValidationError if it is before ``issue_date``."""
        if self.on < issue_date:
            raise ValidationError(
                [problem("due_date", f"must not be before the issue date {issue_date}", self.on)],
                subject="payment terms",
            )
        return self.on

    def describe(self) -> str:
        """'due on 2026-03-15'."""
        return f"due on {self.on.isoformat()}"


@attrs.frozen
class EndOfMonth:
    """Due ``days`` days after the last day of the issue month ("end of month + 10")."""

    days: int = attrs.field(default=0, converter=_days)

    def due_date(self, issue_date: date) -> date:
        """Last day of the issue month plus ``days``."""
        month_end: date = issue_date + relativedelta(day=31)
        return month_end + timedelta(days=self.days)

    def describe(self) -> str:
        """'end of month' or 'end of month + N days'."""
        return "end of month" if self.days == 0 else f"end of month + {self.days} days"

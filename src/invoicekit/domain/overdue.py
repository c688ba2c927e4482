"""Which invoices are overdue, and which are closed to dunning: pure predicates over values.

An invoice is overdue once its due date has ended in the seller's zone with a balance
left. Paid, void, written-off and fully credited invoices are never chased.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError, problem

__all__ = ["CHASED", "SkipReason", "closed_reason", "fully_credited", "is_overdue", "past_due_date"]

#: The statuses dunning, overdue and collection retries act on.
CHASED: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})


class SkipReason(StrEnum):
    """Why the planner proposes nothing for something that would otherwise be due."""

    #: Nothing is left to pay.
    PAID = "paid"
    #: Cancelled.
    VOID = "void"
    #: Credit notes cover the whole balance.
    CREDITED = "credited"
    #: Written off: no longer chased, a payment is still accepted.
    UNCOLLECTIBLE = "uncollectible"
    #: A draft has no due date yet.
    NOT_ISSUED = "not_issued"
    #: A payment is on its way: nothing is chased until it settles or fails.
    IN_FLIGHT = "in_flight"
    #: Less than the seller's ``reminder_minimum`` is due.
    BELOW_MINIMUM = "below_minimum"
    #: The customer's quiet hours or weekend: it goes out later (``Skip.later``).
    QUIET_HOURS = "quiet_hours"
    #: A fixed late fee has no amount in the invoice's currency.
    CURRENCY_MISMATCH = "currency_mismatch"
    #: No schedule engine was given to say which periods of a template are due.
    NO_SCHEDULE = "no_schedule"


def past_due_date(due_date: date, now: datetime, seller_zone: str) -> bool:
    """Whether ``due_date`` has ended at ``now`` on the seller's calendar (T24)."""
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValidationError(
            [problem("now", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", now)],
            subject="time",
        )
    return now.astimezone(ZoneInfo(seller_zone)).date() > due_date


def closed_reason(status: Status, amount_due: Decimal, fully_credited: bool) -> SkipReason | None:
    """Why an invoice is closed to dunning (paid, void, credited, ...), or None while it is open."""
    if status is Status.VOID:
        return SkipReason.VOID
    if status is Status.UNCOLLECTIBLE:
        return SkipReason.UNCOLLECTIBLE
    if status is Status.DRAFT:
        return SkipReason.NOT_ISSUED
    if status is Status.PAID or amount_due <= 0:
        return SkipReason.CREDITED if fully_credited else SkipReason.PAID
    return None


def is_overdue(invoice: Invoice, now: datetime, seller_zone: str) -> bool:
    """Past the due date in the seller's zone with a balance, and not paid, void, written off or credited."""
    if invoice.due_date is None or invoice.status not in CHASED:
        return False
    if invoice.amount_due <= 0:
        return False
    return past_due_date(invoice.due_date, now, seller_zone)


def fully_credited(invoice: Invoice) -> bool:
    """Whether credit notes, not payments, closed the balance."""
    return invoice.credited > 0 and invoice.amount_due <= 0 and invoice.paid <= 0

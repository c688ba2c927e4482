"""What the lifecycle's handlers share: refusal, the status the balance gives, amounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from invoicekit.domain import events as ev
from invoicekit.domain.calendar import books_date
from invoicekit.domain.commands import Command
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError, problem
from invoicekit.money import parse_amount

__all__ = ["Handler", "Refused", "Transition", "handles", "past_due", "positive_amount", "settle"]

#: A handler function, as registered by ``handles``.
HandlerFunction = TypeVar("HandlerFunction", bound=Callable[..., Any])

Transition = tuple[Invoice, list[ev.Event]]


class Refused(Exception):  # noqa: N818 - caught by apply, never seen by a caller
    """A handler's guard refused the action: ``apply`` raises it as InvalidTransitionError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.frozen
class Handler:
    """A command's handler and the statuses it can lead to (``keeps``: or the one it had)."""

    run: Callable[[Invoice, Any, datetime], Transition]
    leads_to: frozenset[Status]
    keeps: bool


def handles(
    table: dict[type[Command], Handler],
    command: type[Command],
    *,
    leads_to: Iterable[Status] = (),
    keeps: bool = False,
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register the decorated function in ``table`` as ``command``'s handler, with its outcomes."""

    def register(run: HandlerFunction) -> HandlerFunction:
        table[command] = Handler(run, frozenset(leads_to), keeps)
        return run

    return register


def past_due(invoice: Invoice, at: datetime) -> bool:
    """Whether the due date passed by ``at``, in the seller's books (their time zone)."""
    if invoice.due_date is None or invoice.seller is None:
        return False
    return books_date(at, invoice.seller) > invoice.due_date


def settle(
    invoice: Invoice, at: datetime, events: list[ev.Event], *, keep_failed: bool = False
) -> Invoice:
    """Set the status that follows from the balance, with the events of the change."""
    before = invoice.status
    due = invoice.amount_due
    if due == 0:
        status = Status.PAID
    elif before is Status.UNCOLLECTIBLE or (keep_failed and before is Status.FAILED):
        status = before
    elif past_due(invoice, at):
        status = Status.OVERDUE
    elif invoice.paid > 0:
        status = Status.PARTIALLY_PAID
    else:
        status = Status.PENDING
    if status is before:
        return invoice
    if status is Status.PAID:
        events.append(ev.InvoicePaid(invoice_id=invoice.id, at=at))
        return attrs.evolve(invoice, status=status, paid_at=at)
    if before is Status.PAID:
        events.append(ev.InvoiceReopened(invoice_id=invoice.id, at=at, amount_due=due))
    if status is Status.OVERDUE:
        events.append(ev.InvoiceOverdue(invoice_id=invoice.id, at=at, amount_due=due))
    return attrs.evolve(invoice, status=status, paid_at=None)


def positive_amount(invoice: Invoice, value: object, path: str = "amount") -> Decimal:
    """``value`` as an amount of the invoice's currency, refused unless above zero."""
    amount = parse_amount(value, invoice.currency, path=path)
    if amount <= 0:
        raise ValidationError([problem(path, "must be greater than 0", value)], subject="payment")
    return amount

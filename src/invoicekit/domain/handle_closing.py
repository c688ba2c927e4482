"""The lifecycle's handlers of an issued invoice's other steps: send, overdue, void, write-off, credit note."""

from __future__ import annotations

from datetime import datetime

import attrs

from invoicekit.domain import events as ev
from invoicekit.domain.calendar import books_date
from invoicekit.domain.commands import (
    Command,
    Credit,
    MarkOverdue,
    Send,
    Void,
    WriteOff,
)
from invoicekit.domain.handling import (
    Handler,
    Refused,
    Transition,
    handles,
    past_due,
    settle,
)
from invoicekit.domain.invoice import (
    CreditApplication,
    CreditNote,
    Invoice,
)
from invoicekit.domain.line import build_lines
from invoicekit.domain.status import Status
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import (
    DuplicateError,
    InvariantViolationError,
    ValidationError,
    problem,
)

__all__ = ["HANDLERS"]


#: The handler of each command this module owns, with the statuses it can lead to.
HANDLERS: dict[type[Command], Handler] = {}


@handles(HANDLERS, Send, keeps=True)
def _send(invoice: Invoice, cmd: Send, at: datetime) -> Transition:
    return invoice, [ev.InvoiceSent(invoice_id=invoice.id, at=at, channel=cmd.channel)]


@handles(HANDLERS, MarkOverdue, leads_to={Status.OVERDUE})
def _mark_overdue(invoice: Invoice, _: MarkOverdue, at: datetime) -> Transition:
    if not past_due(invoice, at):
        raise Refused(
            f"the due date {invoice.due_date} has not passed on {at.isoformat()}",
        )
    new = attrs.evolve(invoice, status=Status.OVERDUE)
    return new, [ev.InvoiceOverdue(invoice_id=invoice.id, at=at, amount_due=invoice.amount_due)]


@handles(HANDLERS, Void, leads_to={Status.VOID})
def _void(invoice: Invoice, cmd: Void, at: datetime) -> Transition:
    if invoice.has_payments or invoice.credits:
        raise Refused("it has payments or credit notes; issue a credit note instead")
    new = attrs.evolve(invoice, status=Status.VOID, voided_at=at)
    return new, [ev.InvoiceVoided(invoice_id=invoice.id, at=at, reason=cmd.reason)]


@handles(HANDLERS, WriteOff, leads_to={Status.UNCOLLECTIBLE})
def _write_off(invoice: Invoice, _: WriteOff, at: datetime) -> Transition:
    new = attrs.evolve(invoice, status=Status.UNCOLLECTIBLE, written_off_at=at)
    return new, [
        ev.InvoiceMarkedUncollectible(invoice_id=invoice.id, at=at, amount_due=invoice.amount_due)
    ]


@handles(HANDLERS, Credit, leads_to={Status.PAID, Status.OVERDUE}, keeps=True)
def _credit(invoice: Invoice, cmd: Credit, at: datetime) -> Transition:
    if invoice.seller is None or invoice.customer is None or invoice.issue_date is None:
        raise InvariantViolationError("I4", f"issued invoice {invoice.ref} lost its snapshot")
    if invoice.number is None:
        raise InvariantViolationError("I3", f"issued invoice {invoice.id} has no number")
    if any(c.credit_note_id == cmd.credit_note_id for c in invoice.credits):
        raise DuplicateError(
            f"credit note {cmd.credit_note_id!r} is already recorded on invoice {invoice.ref}"
        )
    lines, found = build_lines(cmd.lines)
    if not cmd.number or not isinstance(cmd.number, str):
        found.append(problem("number", "must be a non-empty string", cmd.number))
    if found:
        raise ValidationError(found, subject="credit note")
    totals = compute_totals(
        invoice.currency,
        lines,
        discounts=cmd.discounts,
        charges=cmd.charges,
        prices=invoice.prices,
        policy=invoice.policy,
    )
    left = invoice.totals.payable - invoice.credit_notes_total
    if totals.payable <= 0 or totals.payable > left:
        raise ValidationError(
            [
                problem(
                    "lines",
                    f"the credit note's amount must be above 0 and at most {left} "
                    f"(left to credit on {invoice.ref})",
                    totals.payable,
                )
            ],
            subject="credit note",
        )
    note = CreditNote(
        id=cmd.credit_note_id,
        number=cmd.number,
        seller_id=invoice.seller_id,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        invoice_issue_date=invoice.issue_date,
        currency=invoice.currency,
        lines=lines,
        totals=totals,
        issue_date=cmd.issue_date or books_date(at, invoice.seller),
        issued_at=at,
        seller=invoice.seller,
        customer=invoice.customer,
        reason=cmd.reason,
        buyer_reference=invoice.buyer_reference,
        order_reference=invoice.order_reference,
    )
    allocated = min(totals.payable, invoice.amount_due)
    credit = totals.payable - allocated
    applied = CreditApplication(note.id, note.number, totals.payable, allocated, credit, at)
    events: list[ev.Event] = [ev.CreditNoteIssued(invoice_id=invoice.id, at=at, credit_note=note)]
    if credit > 0:
        events.append(
            ev.CustomerCreditCreated(
                invoice_id=invoice.id,
                at=at,
                customer_id=invoice.customer_id,
                amount=credit,
                source=f"credit note {note.number}",
            )
        )
    new = attrs.evolve(invoice, credits=(*invoice.credits, applied))
    return settle(new, at, events, keep_failed=True), events

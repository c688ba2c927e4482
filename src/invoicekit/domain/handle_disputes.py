"""The lifecycle's handlers of disputes (chargebacks): opened, then won or lost.

A disputed amount counts as not received while the dispute is open: the balance
re-opens and the status follows as for a refund. Won, the money counts again (what
the balance no longer needs becomes customer credit); lost, it stays not received.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from invoicekit.domain import events as ev
from invoicekit.domain.commands import Command, DisputePayment, ResolveDispute
from invoicekit.domain.handling import (
    Handler,
    Refused,
    Transition,
    handles,
    positive_amount,
    settle,
)
from invoicekit.domain.invoice import Dispute, Invoice, Payment
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.errors import DuplicateError

__all__ = ["HANDLERS"]

#: The handler of each command this module owns, with the statuses it can lead to.
HANDLERS: dict[type[Command], Handler] = {}
_REOPENED: Final = frozenset({Status.PARTIALLY_PAID, Status.OVERDUE, Status.PENDING})
_WON: Final = frozenset({Status.PAID, Status.PARTIALLY_PAID, Status.OVERDUE})


def _replace(invoice: Invoice, payment: Payment) -> Invoice:
    return attrs.evolve(
        invoice, payments=tuple(payment if p.id == payment.id else p for p in invoice.payments)
    )


@handles(HANDLERS, DisputePayment, leads_to=_REOPENED, keeps=True)
def _dispute(invoice: Invoice, cmd: DisputePayment, at: datetime) -> Transition:
    payment = invoice.payment(cmd.payment_id)
    amount = positive_amount(invoice, cmd.amount)
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise Refused(
            f"payment {payment.id!r} is {payment.status.value}; only succeeded payments are disputed"
        )
    if payment.dispute(cmd.dispute_id) is not None:
        raise DuplicateError(
            f"dispute {cmd.dispute_id!r} is already recorded on invoice {invoice.ref}"
        )
    # The bank takes the disputed money back whatever we think: never refused for its size,
    # but only what the payment still pays of this invoice re-opens the balance.
    reopened = max(min(amount, payment.net_allocated), invoice.zero)
    dispute = Dispute(cmd.dispute_id, amount, at, reopened, reason=cmd.reason)
    new = _replace(invoice, attrs.evolve(payment, disputes=(*payment.disputes, dispute)))
    events: list[ev.Event] = [
        ev.PaymentDisputed(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            dispute_id=dispute.id,
            amount=amount,
            reopened=reopened,
            reason=cmd.reason,
        )
    ]
    return settle(new, at, events, keep_failed=True), events


@handles(HANDLERS, ResolveDispute, leads_to=_WON, keeps=True)
def _resolve(invoice: Invoice, cmd: ResolveDispute, at: datetime) -> Transition:
    payment = invoice.payment(cmd.payment_id)
    dispute = payment.dispute(cmd.dispute_id)
    if dispute is None or dispute.outcome is not None:
        raise Refused(f"payment {payment.id!r} has no open dispute {cmd.dispute_id!r}")
    outcome = "won" if cmd.won else "lost"
    decided = attrs.evolve(dispute, outcome=outcome, resolved_at=at)
    done = attrs.evolve(
        payment, disputes=tuple(decided if d.id == dispute.id else d for d in payment.disputes)
    )
    events: list[ev.Event] = [
        ev.DisputeResolved(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            dispute_id=dispute.id,
            outcome=outcome,
            amount=dispute.amount,
        )
    ]
    if cmd.won:
        # What the balance no longer needs (paid meanwhile) becomes customer credit.
        excess = max(dispute.reopened - invoice.amount_due, invoice.zero)
        if excess > 0:
            done = attrs.evolve(
                done,
                allocated=done.allocated - excess,
                customer_credit=done.customer_credit + excess,
            )
            events.append(
                ev.CustomerCreditCreated(
                    invoice_id=invoice.id,
                    at=at,
                    customer_id=invoice.customer_id,
                    amount=excess,
                    source=f"dispute {dispute.id} won",
                )
            )
    return settle(_replace(invoice, done), at, events, keep_failed=True), events

"""The lifecycle's handlers of money: payments, customer credit, refunds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain import events as ev
from invoicekit.domain.commands import (
    CREDIT_METHOD,
    ApplyCredit,
    Command,
    FailCollection,
    FailPayment,
    PayWithCredit,
    RecordPayment,
    RefundPayment,
    SettlePayment,
)
from invoicekit.domain.handling import (
    Handler,
    Refused,
    Transition,
    handles,
    positive_amount,
    settle,
)
from invoicekit.domain.invoice import (
    CollectionFailure,
    CreditTransfer,
    Invoice,
    Payment,
    Refund,
)
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.errors import (
    DuplicateError,
    ValidationError,
    problem,
)

__all__ = ["HANDLERS", "refundable"]


#: The handler of each command this module owns, with the statuses it can lead to.
HANDLERS: dict[type[Command], Handler] = {}
#: Where a payment can take an invoice (or it stays, while the money is pending).
_PAID_OR_PART: Final = frozenset({Status.PAID, Status.PARTIALLY_PAID, Status.OVERDUE})

_MAX_CREDIT_REFERENCE: Final = 140


def _allocate(invoice: Invoice, payment: Payment, at: datetime, events: list[ev.Event]) -> Invoice:
    """Apply a succeeded payment: the balance first, the rest to customer credit."""
    due = invoice.amount_due
    allocated = min(payment.amount, due)
    credit = payment.amount - allocated
    done = attrs.evolve(
        payment, status=PaymentStatus.SUCCEEDED, allocated=allocated, customer_credit=credit
    )
    payments = tuple(done if p.id == payment.id else p for p in invoice.payments)
    if all(p.id != payment.id for p in invoice.payments):
        payments += (done,)
    events.append(
        ev.PaymentSucceeded(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            amount=payment.amount,
            allocated=allocated,
        )
    )
    if credit > 0:
        events.append(
            ev.CustomerCreditCreated(
                invoice_id=invoice.id,
                at=at,
                customer_id=invoice.customer_id,
                amount=credit,
                source=f"payment {payment.id}",
            )
        )
    return settle(attrs.evolve(invoice, payments=payments), at, events)


@handles(HANDLERS, RecordPayment, leads_to=_PAID_OR_PART, keeps=True)
def _record_payment(invoice: Invoice, cmd: RecordPayment, at: datetime) -> Transition:
    amount = positive_amount(invoice, cmd.amount)
    if cmd.method == CREDIT_METHOD:
        why = "is reserved for payments with customer credit: use payments.apply_credit"
        raise ValidationError([problem("method", why, cmd.method)], subject="payment")
    _new_payment_id(invoice, cmd.payment_id)
    payment = Payment(
        id=cmd.payment_id,
        amount=amount,
        status=PaymentStatus.PENDING,
        at=at,
        method=cmd.method,
        reference=cmd.reference,
    )
    events: list[ev.Event] = []
    if cmd.pending:
        events.append(
            ev.PaymentPending(invoice_id=invoice.id, at=at, payment_id=payment.id, amount=amount)
        )
        return attrs.evolve(invoice, payments=(*invoice.payments, payment)), events
    return _allocate(invoice, payment, at, events), events


def _new_payment_id(invoice: Invoice, payment_id: str) -> None:
    if any(p.id == payment_id for p in invoice.payments):
        raise DuplicateError(f"payment {payment_id!r} is already recorded on invoice {invoice.ref}")


@handles(HANDLERS, PayWithCredit, leads_to=_PAID_OR_PART, keeps=True)
def _pay_with_credit(invoice: Invoice, cmd: PayWithCredit, at: datetime) -> Transition:
    amount = positive_amount(invoice, cmd.amount)
    if invoice.amount_due == 0:
        raise Refused("nothing is due")
    if amount > invoice.amount_due:
        raise ValidationError(
            [problem("amount", f"at most {invoice.amount_due} is due on {invoice.ref}", amount)],
            subject="customer credit",
        )
    _new_payment_id(invoice, cmd.payment_id)
    reference = "customer credit from " + ", ".join(cmd.sources)
    if len(reference) > _MAX_CREDIT_REFERENCE:  # payment references are at most 140 characters
        reference = reference[: _MAX_CREDIT_REFERENCE - 1] + "…"
    payment = Payment(cmd.payment_id, amount, PaymentStatus.PENDING, at, CREDIT_METHOD, reference)
    events: list[ev.Event] = []
    return _allocate(invoice, payment, at, events), events


@handles(HANDLERS, ApplyCredit, keeps=True)
def _apply_credit(invoice: Invoice, cmd: ApplyCredit, at: datetime) -> Transition:
    amount = positive_amount(invoice, cmd.amount)
    if amount > invoice.customer_credit:
        why = f"at most {invoice.customer_credit} of customer credit is held on {invoice.ref}"
        raise ValidationError([problem("amount", why, amount)], subject="customer credit")
    if any(t.payment_id == cmd.payment_id for t in invoice.credit_transfers):
        raise DuplicateError(
            f"credit for payment {cmd.payment_id!r} was already applied from {invoice.ref}"
        )
    transfer = CreditTransfer(cmd.payment_id, cmd.to_invoice_id, cmd.to_number, amount, at)
    new = attrs.evolve(invoice, credit_transfers=(*invoice.credit_transfers, transfer))
    return new, [
        ev.CustomerCreditApplied(
            invoice_id=invoice.id,
            at=at,
            customer_id=invoice.customer_id,
            amount=amount,
            to_invoice_id=cmd.to_invoice_id,
            payment_id=cmd.payment_id,
        )
    ]


def _pending(invoice: Invoice, payment_id: str) -> Payment:
    payment = invoice.payment(payment_id)
    if payment.status is not PaymentStatus.PENDING:
        raise Refused(f"payment {payment_id!r} is {payment.status.value}, not pending")
    return payment


@handles(HANDLERS, SettlePayment, leads_to=_PAID_OR_PART, keeps=True)
def _settle_payment(invoice: Invoice, cmd: SettlePayment, at: datetime) -> Transition:
    """The money arrived: a pending payment, or one reported failed that succeeded after all.

    (A provider may retry a failed attempt under the same payment, e.g. a bank debit
    presented again: money that arrived is never refused by the ledger.)
    """
    payment = invoice.payment(cmd.payment_id)
    if payment.status is PaymentStatus.SUCCEEDED:
        raise Refused(f"payment {payment.id!r} is succeeded, not pending")
    events: list[ev.Event] = []
    return _allocate(invoice, payment, at, events), events


@handles(HANDLERS, FailPayment, leads_to={Status.FAILED}, keeps=True)
def _fail_payment(invoice: Invoice, cmd: FailPayment, at: datetime) -> Transition:
    payment = _pending(invoice, cmd.payment_id)
    failed = attrs.evolve(payment, status=PaymentStatus.FAILED, failure_reason=cmd.reason)
    new = attrs.evolve(
        invoice,
        payments=tuple(failed if p.id == payment.id else p for p in invoice.payments),
        failures=(*invoice.failures, CollectionFailure(at, cmd.reason)),
    )
    events: list[ev.Event] = [
        ev.PaymentFailed(invoice_id=invoice.id, at=at, payment_id=payment.id, reason=cmd.reason)
    ]
    if new.amount_due > 0 and new.status not in (Status.UNCOLLECTIBLE, Status.FAILED):
        new = attrs.evolve(new, status=Status.FAILED)
    return new, events


@handles(HANDLERS, FailCollection, leads_to={Status.FAILED})
def _fail_collection(invoice: Invoice, cmd: FailCollection, at: datetime) -> Transition:
    new = attrs.evolve(
        invoice,
        status=Status.FAILED,
        failures=(*invoice.failures, CollectionFailure(at, cmd.reason, cmd.code)),
    )
    return new, [
        ev.CollectionFailed(invoice_id=invoice.id, at=at, reason=cmd.reason, code=cmd.code)
    ]


def refundable(invoice: Invoice, payment_id: str) -> Decimal:
    """What may still be refunded of a payment: what it still pays plus the credit held here.

    Never more than the payment brought in. Credit applied to another invoice is not
    refundable here: it paid that invoice, as a ``credit`` payment that can be refunded there.
    """
    p = invoice.payment(payment_id)
    return min(p.amount - p.refunded, p.net_allocated + invoice.customer_credit)


@handles(
    HANDLERS,
    RefundPayment,
    leads_to={Status.PARTIALLY_PAID, Status.OVERDUE, Status.PENDING},
    keeps=True,
)
def _refund(invoice: Invoice, cmd: RefundPayment, at: datetime) -> Transition:
    """Give money back: customer credit held on the invoice first, only the rest re-opens it."""
    payment = invoice.payment(cmd.payment_id)
    amount = positive_amount(invoice, cmd.amount)
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise Refused(
            f"payment {payment.id!r} is {payment.status.value}; "
            "only succeeded payments are refunded",
        )
    if cmd.provider_id is not None and any(
        r.provider_id == cmd.provider_id for r in payment.refunds
    ):
        return invoice, []  # the provider's notice of this very refund recorded it already
    if any(r.id == cmd.refund_id for p in invoice.payments for r in p.refunds):
        raise DuplicateError(
            f"refund {cmd.refund_id!r} is already recorded on invoice {invoice.ref}"
        )
    cap = refundable(invoice, payment.id)
    if amount > cap:
        raise ValidationError(
            [problem("amount", _over_refund(invoice, payment, cap), amount)], subject="refund"
        )
    from_credit = min(amount, invoice.customer_credit)
    refund = Refund(cmd.refund_id, amount, at, from_credit=from_credit, provider_id=cmd.provider_id)
    done = attrs.evolve(payment, refunds=(*payment.refunds, refund))
    new = attrs.evolve(
        invoice, payments=tuple(done if p.id == payment.id else p for p in invoice.payments)
    )
    events: list[ev.Event] = [
        ev.PaymentRefunded(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            refund_id=cmd.refund_id,
            amount=amount,
            from_credit=from_credit,
        )
    ]
    return settle(new, at, events, keep_failed=True), events


def _over_refund(invoice: Invoice, payment: Payment, cap: Decimal) -> str:
    """Why a refund is above ``cap``, and where the rest went when credit was applied elsewhere."""
    why = f"at most {cap} of payment {payment.id!r} can be refunded through this invoice"
    if not invoice.credit_transfers or cap == payment.amount - payment.refunded:
        return why  # capped by what the payment brought in, not by credit spent elsewhere
    to = ", ".join(sorted({t.number for t in invoice.credit_transfers}))
    return (
        f"{why}; customer credit held here already paid {to}: to give that money back, "
        "refund the 'credit' payment on that invoice"
    )

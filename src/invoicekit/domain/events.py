"""Domain events: what happened to an invoice, in the past tense, as immutable values.

The lifecycle returns them; the services write them to the outbox in the same
transaction as the change, and notifications are dispatched from there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Final

import attrs

from invoicekit.domain.invoice import CreditNote

__all__ = [
    "SCHEMA_VERSION",
    "CollectionFailed",
    "CreditNoteIssued",
    "CustomerCreditApplied",
    "CustomerCreditCreated",
    "DisputeResolved",
    "Event",
    "InvoiceDeleted",
    "InvoiceEdited",
    "InvoiceIssued",
    "InvoiceMarkedUncollectible",
    "InvoiceOverdue",
    "InvoicePaid",
    "InvoiceReopened",
    "InvoiceSent",
    "InvoiceVoided",
    "PaymentDisputed",
    "PaymentFailed",
    "PaymentPending",
    "PaymentRefunded",
    "PaymentSucceeded",
    "ReceiptSent",
    "ReminderSent",
]

#: The version of the events' fields handlers and webhooks receive; raised when a field changes meaning.
SCHEMA_VERSION: Final = 1


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event: which invoice, and when (the ``at`` passed to the action)."""

    invoice_id: str
    at: datetime

    #: The stable dotted name handlers and webhooks subscribe to (``invoice.paid``).
    event_type: ClassVar[str] = "invoice.event"

    @property
    def name(self) -> str:
        """The event's type name, e.g. 'InvoicePaid' (stable: used as the outbox kind)."""
        return type(self).__name__


@attrs.frozen(kw_only=True)
class InvoiceEdited(Event):
    """A draft was changed."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.edited"


@attrs.frozen(kw_only=True)
class InvoiceDeleted(Event):
    """A draft was deleted; it never had a number."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.deleted"


@attrs.frozen(kw_only=True)
class InvoiceIssued(Event):
    """A draft was issued: numbered, frozen and now awaiting payment."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.issued"

    number: str
    amount_due: Decimal
    currency: str


@attrs.frozen(kw_only=True)
class InvoiceSent(Event):
    """The invoice was handed to a channel for delivery."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.sent"

    channel: str


@attrs.frozen(kw_only=True)
class PaymentPending(Event):
    """A payment is in flight (bank debit, SEPA, ACH); reminders pause until it settles."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.pending"

    payment_id: str
    amount: Decimal


@attrs.frozen(kw_only=True)
class PaymentSucceeded(Event):
    """A payment was received; ``allocated`` went to this invoice, the rest to customer credit."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.succeeded"

    payment_id: str
    amount: Decimal
    allocated: Decimal


@attrs.frozen(kw_only=True)
class PaymentFailed(Event):
    """A pending payment did not settle; the balance stays open."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.failed"

    payment_id: str
    reason: str


@attrs.frozen(kw_only=True)
class CollectionFailed(Event):
    """An attempt to collect payment failed; the reason is kept on the invoice."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.collection_failed"

    reason: str
    code: str | None = None


@attrs.frozen(kw_only=True)
class PaymentRefunded(Event):
    """Part or all of a payment was given back: customer credit first, the rest re-opens the balance."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.refunded"

    payment_id: str
    refund_id: str
    amount: Decimal
    #: The part that gave back customer credit held on the invoice.
    from_credit: Decimal = Decimal(0)


@attrs.frozen(kw_only=True)
class PaymentDisputed(Event):
    """The payer disputed part of a payment: it counts as not received until the dispute is won."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.disputed"

    payment_id: str
    dispute_id: str
    amount: Decimal
    #: The part that re-opened the balance.
    reopened: Decimal
    reason: str | None = None


@attrs.frozen(kw_only=True)
class DisputeResolved(Event):
    """A dispute was decided: "won" (the money counts again) or "lost" (it is gone for good)."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "payment.dispute_resolved"

    payment_id: str
    dispute_id: str
    outcome: str
    amount: Decimal


@attrs.frozen(kw_only=True)
class InvoicePaid(Event):
    """Nothing is left to pay."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.paid"


@attrs.frozen(kw_only=True)
class InvoiceReopened(Event):
    """A paid invoice has a balance again (after a refund)."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.reopened"

    amount_due: Decimal


@attrs.frozen(kw_only=True)
class InvoiceOverdue(Event):
    """The due date passed with a balance left."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.overdue"

    amount_due: Decimal


@attrs.frozen(kw_only=True)
class InvoiceVoided(Event):
    """The invoice was cancelled before any payment; its number stays used."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.voided"

    reason: str | None = None


@attrs.frozen(kw_only=True)
class InvoiceMarkedUncollectible(Event):
    """The balance was written off; a later payment is still accepted."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "invoice.marked_uncollectible"

    amount_due: Decimal


@attrs.frozen(kw_only=True)
class CreditNoteIssued(Event):
    """A credit note corrects the invoice; ``credit_note`` is the issued document."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "credit_note.issued"

    credit_note: CreditNote


@attrs.frozen(kw_only=True)
class CustomerCreditCreated(Event):
    """Money beyond what the invoice needed became credit for the customer's next invoice."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "customer.credit_created"

    customer_id: str
    amount: Decimal
    source: str


@attrs.frozen(kw_only=True)
class CustomerCreditApplied(Event):
    """Customer credit held on this invoice paid another one (as its ``credit`` payment)."""

    #: The stable dotted name handlers and webhooks subscribe to.
    event_type: ClassVar[str] = "customer.credit_applied"

    customer_id: str
    amount: Decimal
    to_invoice_id: str
    payment_id: str


@attrs.frozen(kw_only=True)
class ReminderSent(Event):
    """A reminder (or final notice) of a policy step was queued for the customer."""

    event_type: ClassVar[str] = "invoice.reminder_sent"

    kind: str
    step: str
    channels: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ReceiptSent(Event):
    """The receipt of a payment went out on a channel."""

    event_type: ClassVar[str] = "payment.receipt_sent"

    payment_id: str | None
    channel: str

"""The record values the ports exchange: queries, outbox and message rows, documents, deliveries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

import attrs

from invoicekit.domain.invoice import CollectionFailure, CreditNote, Invoice
from invoicekit.domain.late_fee import Interest
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.domain.status import Status

__all__ = [
    "DOCUMENT_KINDS",
    "MEDIA_TYPES",
    "Delivery",
    "DocumentContext",
    "HandlerCursor",
    "IdempotencyRecord",
    "InboxItem",
    "InvoiceQuery",
    "InvoiceSave",
    "MessageRecord",
    "MessageStatus",
    "OutboxRecord",
    "OutgoingMessage",
    "PaymentLink",
    "RenderedDocument",
    "TemplateRecord",
    "occurrence_invoice_id",
]


# --------------------------------------------------------------------------- records


def _statuses(value: Iterable[Status] | None) -> frozenset[Status] | None:
    return None if value is None else frozenset(value)


@attrs.frozen
class InvoiceQuery:
    """Filters for listing one seller's invoices; every filter is optional and they combine with AND.

    Results are ordered by (issue date, id) with drafts last, ``limit`` at a time;
    pass the last id seen as ``after`` for the next page.
    """

    statuses: frozenset[Status] | None = attrs.field(default=None, converter=_statuses)
    customer_id: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    #: Open invoices (pending, partially paid, overdue, failed) due before this date.
    overdue_on: date | None = None
    limit: int = 100
    after: str | None = None


class InvoiceSave(NamedTuple):
    """One item of ``InvoiceRepository.save_many``: what ``save`` takes for one invoice."""

    invoice: Invoice
    expected_version: int
    #: True at issue: the store records the content hash of what is frozen (``save``'s freeze).
    freeze: bool = False


@attrs.frozen
class OutboxRecord:
    """One event or message to hand on, written in the same transaction as the change.

    ``key`` deduplicates: appending a record whose key exists does nothing.
    """

    key: str
    seller_id: str
    kind: str
    payload: dict[str, Any] = attrs.field(eq=False)
    created_at: datetime
    invoice_id: str | None = None
    #: Assigned by storage: the order records were appended in.
    position: int | None = None
    delivered_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None


@attrs.frozen
class HandlerCursor:
    """How far one event handler got through the outbox, and whether it is waiting or parked.

    ``(epoch, position)`` is the last record it handled, in ``EventFeed.read`` order.
    """

    name: str
    #: Zero where the outbox position is commit order (memory, SQLite); the PostgreSQL transaction id otherwise.
    epoch: int = 0
    position: int = 0
    #: Failed calls in a row on the record after the cursor.
    attempts: int = 0
    next_attempt_at: datetime | None = None
    #: Set when the retries are used up; the handler then waits to be resumed.
    parked_at: datetime | None = None
    last_error: str | None = None
    #: Bumped by every save; a save at a stale version is a ConcurrencyError.
    version: int = 0


@attrs.frozen
class IdempotencyRecord:
    """What a write with an idempotency key did, so a retry gets the same answer."""

    seller_id: str
    key: str
    #: Hash of the request's parameters; the same key with another fingerprint is a conflict.
    fingerprint: str
    operation: str
    #: The result as stored (an unstructured document).
    result: dict[str, Any] = attrs.field(eq=False)
    created_at: datetime


@attrs.frozen
class PaymentLink:
    """Where a customer pays an invoice."""

    url: str
    provider: str
    reference: str | None = None
    expires_at: datetime | None = None


@attrs.frozen
class RenderedDocument:
    """A document in one format: ``text/html``, ``text/plain``, ``text/x-short`` or ``application/pdf``.

    ``title`` is the document's one-line title in the customer's language; it is
    the e-mail subject and the in-app heading.
    """

    media_type: str
    content: bytes
    filename: str
    title: str = ""


class MessageStatus(StrEnum):
    """Where a message is on its way to one recipient."""

    #: Waiting for a dispatcher (again, after a temporary failure, at ``next_attempt_at``).
    QUEUED = "queued"
    #: Claimed by a dispatcher until ``lease_expires_at``; claimed again if that passes.
    SENDING = "sending"
    SENT = "sent"
    #: Refused for good (or no usable channel); ``last_error`` says why. ``retry`` re-queues it.
    FAILED = "failed"


@attrs.frozen
class MessageRecord:
    """One message to one recipient on one channel, queued in the transaction that caused it.

    ``key`` is ``"{invoice_id}:{kind}:{step}:{channel}"``, unique per seller (two
    sellers may use one invoice id): enqueueing a (seller, key) that exists does
    nothing, and notifiers pass the key on (Message-ID, webhook id, inbox key) so a
    recipient sees a message once even if it is delivered twice.
    """

    key: str
    seller_id: str
    customer_id: str
    #: One of DOCUMENT_KINDS: invoice, credit_note, reminder, final_notice, receipt, ...
    kind: str
    #: Tells apart messages of one kind for one invoice ("1", "before-3", a payment id).
    step: str
    channel: str
    recipient: str
    created_at: datetime
    next_attempt_at: datetime
    invoice_id: str | None = None
    #: The credit note, payment or refund the message is about, when it is about one.
    subject_id: str | None = None
    status: MessageStatus = attrs.field(default=MessageStatus.QUEUED, converter=MessageStatus)
    #: Claims so far, including ones that crashed before recording an outcome.
    attempts: int = 0
    last_error: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    #: Assigned by storage: the order messages were enqueued in.
    position: int | None = None


@attrs.frozen
class InboxItem:
    """A message in a customer's in-app inbox (the ``in_app`` channel), keyed like its message."""

    key: str
    seller_id: str
    customer_id: str
    kind: str
    title: str
    text: str
    created_at: datetime
    invoice_id: str | None = None
    html: str | None = None
    #: Where to pay or view, when there is one.
    url: str | None = None
    read_at: datetime | None = None


@attrs.frozen
class OutgoingMessage:
    """One message for one recipient on one channel; ``key`` makes delivery idempotent."""

    key: str
    channel: str
    recipient: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[RenderedDocument, ...] = ()
    seller_id: str = ""
    customer_id: str = ""
    #: The document kind (invoice, reminder, receipt, ...).
    kind: str = ""
    invoice_id: str | None = None
    #: Where to pay or view, when there is one.
    url: str | None = None
    #: The facts as data, for machine channels (a webhook's JSON): number, amount due,
    #: currency, due date as strings.
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class Delivery:
    """What a notifier did with a message."""

    key: str
    channel: str
    delivered_at: datetime
    provider_id: str | None = None
    duplicate: bool = False


# --------------------------------------------------------------------------- documents


#: Document kinds every Renderer knows (``payment_failed``: "your payment did not go through";
#: ``refund``: a refund confirmation).
DOCUMENT_KINDS = (
    "invoice",
    "credit_note",
    "reminder",
    "final_notice",
    "receipt",
    "payment_failed",
    "refund",
)
#: Media types every Renderer produces (``text/x-short``: one SMS-length line with the link;
#: ``application/pdf`` needs the ``pdf`` extra).
MEDIA_TYPES = ("text/html", "text/plain", "text/x-short", "application/pdf")


@attrs.frozen
class DocumentContext:
    """What a document needs beyond the invoice: the day it speaks of, and what it is about."""

    #: The day the document is dated (reminders count days to or past the due date from it).
    as_of: date | None = None
    #: For a receipt: the payment it confirms.
    payment_id: str | None = None
    #: For a credit note.
    credit_note: CreditNote | None = None
    #: For ``payment_failed``: the failed attempt (its reason and the provider's code).
    failure: CollectionFailure | None = None
    #: For ``refund``: the refund it confirms.
    refund_id: str | None = None
    #: Our hosted pay page for this message (``Billing(pay_url=...)``): preferred over the
    #: invoice's ``payment_link`` wherever the document says how to pay.
    pay_url: str | None = None
    #: The late-payment interest the step of a reminder or final notice added, which the
    #: document states with its arithmetic.
    interest: Interest | None = None


@attrs.frozen(kw_only=True)
class TemplateRecord:
    """A stored template; ``version`` is its optimistic-concurrency counter (1 when added)."""

    seller_id: str
    template: RecurringTemplate
    created_at: datetime
    version: int = 1
    #: The index of the last period handled (billed or skipped), or None before the first.
    last_index: int | None = None
    #: Invoices drafted from it that are still to be issued (issue mode), in period order.
    to_issue: tuple[str, ...] = ()


def occurrence_invoice_id(seller_id: str, template_id: str, index: int) -> str:
    """The invoice id of period ``index`` of a template: the same on every run and worker.

    Two runs generating the same period add the same id, so the store's unique key on
    invoice ids makes generation exactly once (T14, T25).
    """
    digest = hashlib.sha256(f"{seller_id}\x00{template_id}\x00{index}".encode()).hexdigest()
    return f"inv_r{digest[:32]}"

"""The ports: every boundary between invoicekit and the outside world, as ``typing.Protocol`` classes.

Adapters implement them; services depend only on them. Each port has a
contract suite in ``invoicekit.testing.contracts`` that every adapter passes.
A Protocol with more than about seven methods is two ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status

__all__ = [
    "DOCUMENT_KINDS",
    "MEDIA_TYPES",
    "Clock",
    "CreditNoteRepository",
    "CustomerRepository",
    "Delivery",
    "DocumentContext",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InboxItem",
    "InboxRepository",
    "InvoiceQuery",
    "InvoiceRepository",
    "IssueCheck",
    "MessageRecord",
    "MessageRepository",
    "MessageStatus",
    "Notifier",
    "Outbox",
    "OutboxRecord",
    "OutgoingMessage",
    "PaymentLink",
    "PaymentProvider",
    "RenderedDocument",
    "Renderer",
    "SellerRepository",
    "SequenceRepository",
    "Storage",
    "Transaction",
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
    #: invoice, credit_note, reminder, final_notice or receipt.
    kind: str
    #: Tells apart messages of one kind for one invoice ("1", "before-3", a payment id).
    step: str
    channel: str
    recipient: str
    created_at: datetime
    next_attempt_at: datetime
    invoice_id: str | None = None
    #: The credit note or payment the message is about, when it is about one.
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


# --------------------------------------------------------------------------- clock


class Clock(Protocol):
    """The one place services read the time; tests use ``FixedClock``."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""


# --------------------------------------------------------------------------- storage


class SellerRepository(Protocol):
    """Sellers (tenants)."""

    def add(self, seller: Seller) -> None:
        """Store a new seller. Raises DuplicateError if the id exists."""

    def get(self, seller_id: str) -> Seller:
        """The seller. Raises NotFoundError."""

    def update(self, seller: Seller) -> None:
        """Replace a stored seller. Raises NotFoundError."""

    def list(self) -> list[Seller]:
        """Every seller, ordered by id."""


class CustomerRepository(Protocol):
    """One seller's customers; a customer of another seller is NotFound, never visible."""

    def add(self, customer: Customer) -> None:
        """Store a new customer. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, customer_id: str) -> Customer:
        """The customer. Raises NotFoundError, also when it belongs to another seller."""

    def update(self, customer: Customer) -> None:
        """Replace a stored customer. Raises NotFoundError."""

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        """The seller's customers ordered by id, ``limit`` at a time after id ``after``."""


class InvoiceRepository(Protocol):
    """One seller's invoices, with optimistic concurrency on ``version``."""

    def add(self, invoice: Invoice) -> None:
        """Store a new draft. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        """The invoice; ``for_update`` locks it until the transaction ends where the store can.

        Raises NotFoundError (also for another seller's id) and StorageError
        (IntegrityError-like) when an issued invoice's stored content no longer
        matches its content hash.
        """

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        """The issued invoice with ``number``. Raises NotFoundError."""

    def save(
        self, invoice: Invoice, *, expected_version: int, content_hash: str | None = None
    ) -> None:
        """Replace the stored invoice if its stored version is ``expected_version``.

        Raises ConcurrencyError when someone else saved it first, NotFoundError when
        it is not stored, and DuplicateError when its number is taken in its series.
        ``content_hash`` is stored once, at issue.
        """

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        """Delete a draft. Raises ConcurrencyError, NotFoundError."""

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        """The seller's invoices matching ``query`` (see InvoiceQuery for order and paging)."""


class CreditNoteRepository(Protocol):
    """Issued credit notes."""

    def add(self, note: CreditNote) -> None:
        """Store an issued credit note. Raises DuplicateError on its id or number."""

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        """The credit note. Raises NotFoundError."""

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        """The credit notes of one invoice, in issue order."""


class SequenceRepository(Protocol):
    """Gapless number counters per (seller, series, period)."""

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        """Take the next number (1 for a new counter) inside the current transaction.

        Numbers taken in a transaction that rolls back are not consumed. Concurrent
        transactions never get the same value (the row is locked until commit).
        """

    def peek(self, seller_id: str, series: str, period: str) -> int:
        """The value the next call to ``next_value`` would return."""

    def started(self, seller_id: str, series: str) -> bool:
        """True once ``series`` has taken a number in any period (its format is then frozen)."""


class Outbox(Protocol):
    """Events and messages written with the change that caused them, read by the dispatcher."""

    def append(self, records: Sequence[OutboxRecord]) -> None:
        """Add records; a record whose key is already stored is skipped (dedupe)."""

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        """Undelivered records in the order they were appended."""

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        """Mark records delivered; unknown keys are ignored."""

    def mark_failed(self, key: str, *, error: str) -> None:
        """Count a failed attempt and keep its error."""

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        """All records of one seller (optionally one invoice), in append order."""


class MessageRepository(Protocol):
    """Messages waiting for, or done with, delivery; several dispatchers share them safely."""

    def enqueue(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """Add queued messages; a (seller, key) already stored is skipped. Returns the ones added.

        Keys are unique per seller, not across sellers: another seller's message under
        the same key is a message of its own.
        """

    def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        limit: int = 20,
        seller_id: str | None = None,
    ) -> list[MessageRecord]:
        """Take up to ``limit`` messages due at ``now`` for ``owner`` until ``lease_until``.

        Due means queued with ``next_attempt_at <= now``, or sending with an expired
        lease (its dispatcher died). Claimed messages become ``sending`` with
        ``attempts + 1``, oldest first. Two transactions never claim the same
        message (SQLite: the write lock; PostgreSQL: ``FOR UPDATE SKIP LOCKED``).
        """

    def complete(
        self, seller_id: str, key: str, *, at: datetime, provider_id: str | None = None
    ) -> MessageRecord:
        """Record the seller's message as sent. Raises NotFoundError for a key it does not have."""

    def fail(
        self, seller_id: str, key: str, *, error: str, retry_at: datetime | None
    ) -> MessageRecord:
        """Record a failed attempt: re-queued at ``retry_at``, or ``failed`` for good when None.

        A message already ``sent`` stays sent. Raises NotFoundError (also for another
        seller's key).
        """

    def retry(self, seller_id: str, key: str, *, at: datetime) -> MessageRecord:
        """Queue a ``failed`` message again for ``at``.

        Raises NotFoundError (also for another seller's key) and ValidationError
        when the message is not ``failed``.
        """

    def get(self, seller_id: str, key: str) -> MessageRecord:
        """The message. Raises NotFoundError, also for another seller's key."""

    def list(
        self,
        seller_id: str,
        *,
        statuses: Iterable[MessageStatus] | None = None,
        invoice_id: str | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> list[MessageRecord]:
        """The seller's messages in enqueue order, filtered; ``after`` is the last position seen."""


class InboxRepository(Protocol):
    """In-app inboxes: per customer, newest first, with read marks."""

    def put(self, item: InboxItem) -> bool:
        """Store ``item``; False (and nothing changed) when its seller already has its key."""

    def list(
        self,
        seller_id: str,
        customer_id: str,
        *,
        unread_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[InboxItem]:
        """The customer's items, newest first."""

    def unread_count(self, seller_id: str, customer_id: str) -> int:
        """How many of the customer's items are unread."""

    def mark_read(
        self, seller_id: str, customer_id: str, keys: Sequence[str], *, at: datetime
    ) -> int:
        """Mark items read (already read ones keep their time); returns how many changed."""


class IdempotencyRepository(Protocol):
    """Results of writes made with an idempotency key, per seller."""

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record, or None."""

    def put(self, record: IdempotencyRecord) -> None:
        """Store a record. Raises DuplicateError if (seller, key) exists."""


class Transaction(Protocol):
    """One unit of work: everything done through these repositories commits or rolls back together."""

    @property
    def sellers(self) -> SellerRepository:
        """Sellers."""

    @property
    def customers(self) -> CustomerRepository:
        """Customers."""

    @property
    def invoices(self) -> InvoiceRepository:
        """Invoices."""

    @property
    def credit_notes(self) -> CreditNoteRepository:
        """Credit notes."""

    @property
    def sequences(self) -> SequenceRepository:
        """Number counters."""

    @property
    def outbox(self) -> Outbox:
        """The outbox."""

    @property
    def idempotency(self) -> IdempotencyRepository:
        """Idempotency records."""

    @property
    def messages(self) -> MessageRepository:
        """Messages to deliver."""

    @property
    def inbox(self) -> InboxRepository:
        """In-app inboxes."""


class Storage(Protocol):
    """Where invoicekit keeps everything.

    ``transaction()`` opens a unit of work that commits when the block ends and
    rolls back when it raises. Adapters raise StorageError (never a driver's own
    exception), ConcurrencyError when a lock or serialization conflict persists past
    the busy timeout, and the repositories' documented errors.
    """

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """A unit of work; ``write=False`` for read-only work that takes no write lock.

        A write inside a read-only transaction raises StorageError and stores nothing;
        transactions do not nest (StorageError).
        """

    def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""


# --------------------------------------------------------------------------- payments


class PaymentProvider(Protocol):
    """Takes money: payment links, charges of saved methods, refunds, webhooks."""

    @property
    def name(self) -> str:
        """A short stable name ("manual", "sandbox", "stripe")."""

    def payment_link(self, invoice: Invoice) -> PaymentLink | None:
        """A link where the customer pays ``invoice``, or None when the provider has none.

        Called after the issuing transaction has committed (it may be a slow network
        call): a failure leaves the invoice issued without a link. Raises PaymentError
        (with ``retryable``) when the provider refuses.
        """

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        """Refund ``amount`` of a payment; returns the provider's refund id.

        ``payments.refund`` calls it, before recording the refund, for payments whose
        ``method`` is this provider's ``name``. Idempotent by ``key``. Raises PaymentError.
        """


class IssueCheck(Protocol):
    """What a PaymentProvider may add: a check without I/O, run inside the issuing transaction.

    ``payment_link`` runs after the commit, so it cannot stop an issue. A provider that
    can never take payment for some invoice (bank transfer, and the seller has no bank
    account) defines ``check_issue``: its PaymentError leaves the draft a draft, no number used.
    """

    def check_issue(self, invoice: Invoice) -> None:
        """Raise PaymentError when this provider can never take payment for issued ``invoice``."""


# --------------------------------------------------------------------------- documents and messages


#: Document kinds every Renderer knows.
DOCUMENT_KINDS = ("invoice", "credit_note", "reminder", "final_notice", "receipt")
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


class Renderer(Protocol):
    """Turns invoices, credit notes, reminders, final notices and receipts into documents."""

    def render(
        self,
        kind: str,
        invoice: Invoice,
        *,
        media_type: str = "text/html",
        context: DocumentContext | None = None,
    ) -> RenderedDocument:
        """Render ``kind`` (one of DOCUMENT_KINDS) of ``invoice`` as ``media_type``.

        Raises ValidationError for an unknown kind or media type, or when the
        context lacks what the kind needs (a receipt's payment, a credit note);
        MissingExtraError for PDF without the ``pdf`` extra.
        """


class Notifier(Protocol):
    """Delivers one rendered message over one channel.

    ``message.key`` is stable across retries and passed on to the recipient
    (Message-ID, webhook id, inbox key), so a message delivered twice after a
    crash is recognisably the same one. Raises DeliveryError with
    ``retryable=True`` for temporary failures (server down, 4xx SMTP, HTTP
    429/5xx) and ``retryable=False`` for permanent ones.
    """

    @property
    def channel(self) -> str:
        """The channel this notifier delivers on: email, sms, webhook or in_app."""

    def send(self, message: OutgoingMessage) -> Delivery:
        """Deliver ``message``."""


def iter_protocols() -> Iterator[type[Any]]:
    """Every port Protocol defined here (used by the docs and the conformance checks)."""
    for name in __all__:
        obj = globals()[name]
        if getattr(obj, "_is_protocol", False):
            yield obj

"""The ports: every boundary between invoicekit and the outside world, as ``typing.Protocol``s.

Adapters implement them; services depend only on them. Each port has a
contract suite in ``invoicekit.testing.contracts`` that every adapter passes.
A Protocol with more than about seven methods is two ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status

__all__ = [
    "Clock",
    "CreditNoteRepository",
    "CustomerRepository",
    "Delivery",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InvoiceQuery",
    "InvoiceRepository",
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
    """A document in one format: ``text/html``, ``text/plain`` or ``application/pdf``."""

    media_type: str
    content: bytes
    filename: str


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

        Raises PaymentError (with ``retryable``) when the provider refuses.
        """

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        """Refund ``amount`` of a payment; returns the provider's refund id.

        Idempotent by ``key``. Raises PaymentError.
        """


# --------------------------------------------------------------------------- documents and messages


class Renderer(Protocol):
    """Turns invoices, credit notes, reminders and receipts into documents."""

    def render(
        self, kind: str, invoice: Invoice, *, media_type: str = "text/html"
    ) -> RenderedDocument:
        """Render ``kind`` ("invoice", "credit_note", "reminder", "receipt") of ``invoice``.

        Raises ValidationError for an unknown kind or media type.
        """


class Notifier(Protocol):
    """Delivers one rendered message over one channel.

    Idempotent by ``message.key``: a second call with the same key delivers nothing
    and returns a Delivery with ``duplicate=True``. Raises DeliveryError (with
    ``retryable``) when the channel refuses the message.
    """

    def send(self, message: OutgoingMessage) -> Delivery:
        """Deliver ``message``."""


def iter_protocols() -> Iterator[type[Any]]:
    """Every port Protocol defined here (used by the docs and the conformance checks)."""
    for name in __all__:
        obj = globals()[name]
        if getattr(obj, "_is_protocol", False):
            yield obj

"""The storage ports: one repository Protocol per aggregate, the Transaction holding them, Storage."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.payment_records import CheckoutRecord, PayTokenRecord, ProviderEventRecord
from invoicekit.records import (
    HandlerCursor,
    IdempotencyRecord,
    InboxItem,
    InvoiceQuery,
    InvoiceSave,
    MessageRecord,
    MessageStatus,
    OutboxRecord,
    TemplateRecord,
)
from invoicekit.report_repositories import ReportQueries
from invoicekit.subscription_repositories import (
    CatalogRepository,
    SubscriptionRepository,
    UsageRepository,
)

__all__ = [
    "CheckoutRepository",
    "CreditNoteRepository",
    "CustomerRepository",
    "EventFeed",
    "IdempotencyRepository",
    "InboxRepository",
    "InvoiceClaims",
    "InvoiceRepository",
    "MessageRepository",
    "Outbox",
    "PayTokenRepository",
    "ProviderEventRepository",
    "RecurringRepository",
    "SellerRepository",
    "SequenceRepository",
    "Storage",
    "Transaction",
]


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

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """The customers by id, one read; NotFoundError for the first id not the seller's."""

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

    def get_many(
        self, seller_id: str, invoice_ids: Sequence[str], *, for_update: bool = False
    ) -> list[Invoice]:
        """The invoices of ``invoice_ids``, in that order (one read for a batch).

        An id given twice is returned twice. Raises NotFoundError for the first id not
        stored (also another seller's) and StorageError as ``get`` does.
        """

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        """The issued invoice with ``number``. Raises NotFoundError."""

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        """Replace the stored invoice if its stored version is ``expected_version``.

        ``freeze=True`` (at issue) records the content hash of what the invoice froze,
        computed by the store from the bytes it writes (``invoicekit.serialization``:
        ``encode_invoice(invoice).content_hash``); from then on every save must leave that
        part unchanged and every read checks it. Raises ConcurrencyError when someone else
        saved it first, NotFoundError when it is not stored, DuplicateError when its number
        is taken in its series, and IntegrityError when a save would change what was frozen.
        """

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        """Store new drafts as ``add`` does, one statement for all where the store allows.

        Raises DuplicateError naming the first id (or number) already stored or given
        twice; the caller's transaction then rolls back, so none is stored.
        """

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        """``save`` for each item, in order, one statement for all where the store allows.

        Raises what ``save`` raises, for the first item that fails; the caller's
        transaction then rolls back, so none is saved.
        """

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        """Delete a draft. Raises ConcurrencyError, NotFoundError."""

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        """The seller's invoices matching ``query`` (see InvoiceQuery for order and paging)."""


@runtime_checkable
class InvoiceClaims(Protocol):
    """Optional for an invoice repository: lock an invoice unless another transaction holds it.

    ``run_due`` uses it where present (the SQLAlchemy adapter on PostgreSQL: ``FOR UPDATE
    SKIP LOCKED``), so many workers share the work; without it, ``get(for_update=True)``.
    """

    def claim(self, seller_id: str, invoice_id: str) -> Invoice | None:
        """The invoice locked for this transaction, or None while another transaction holds it."""


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

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        """Take ``count`` consecutive numbers in one statement; returns the first of them.

        As ``next_value`` (gapless, rolled back with the transaction) for a whole
        batch: the numbers are ``first .. first + count - 1``. ``count`` is at least 1.
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


class EventFeed(Protocol):
    """The outbox read in an order no later commit can get ahead of, and the handlers' cursors.

    A mark is ``(epoch, position)``; records come in increasing mark order, and a record
    that commits later always gets a greater mark than every record ``read`` returned.
    """

    def read(self, *, epoch: int, position: int, limit: int) -> list[tuple[int, OutboxRecord]]:
        """Up to ``limit`` (epoch, record) pairs after the mark, committed and in mark order."""

    def end(self) -> tuple[int, int]:
        """The mark of the last record ``read`` can return now ((0, 0) when there is none)."""

    def cursor(self, name: str) -> HandlerCursor | None:
        """The cursor of handler ``name``, or None."""

    def cursors(self) -> list[HandlerCursor]:
        """Every handler's cursor, by name."""

    def save_cursor(self, cursor: HandlerCursor, *, expected_version: int) -> HandlerCursor:
        """Store ``cursor`` (new when ``expected_version`` is 0); returns it at the next version.

        Raises ConcurrencyError when the stored version is not ``expected_version``.
        """


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


class ProviderEventRepository(Protocol):
    """Payment providers' notifications, unique by (provider, event_id): the webhook dedupe (T17)."""

    def add(self, record: ProviderEventRecord) -> bool:
        """Store ``record``; False (and nothing changed) when (provider, event_id) is stored.

        Called in the transaction that applies the notice, so a replay that loses the race
        is rolled back with everything it would have recorded.
        """

    def for_payment(
        self, seller_id: str, provider: str, payment_ref: str
    ) -> list[ProviderEventRecord]:
        """The seller's stored notices about one provider payment, in the order stored."""

    def list(
        self, seller_id: str, *, invoice_id: str | None = None, limit: int = 100
    ) -> list[ProviderEventRecord]:
        """The seller's stored notices (optionally one invoice's), in the order stored."""


class CheckoutRepository(Protocol):
    """Checkout sessions started for invoices, unique by (provider, ref)."""

    def add(self, record: CheckoutRecord) -> bool:
        """Store a session; False (and nothing changed) when (provider, ref) is stored."""

    def open_for_invoice(self, seller_id: str, invoice_id: str) -> list[CheckoutRecord]:
        """The invoice's open sessions, in the order stored (to cancel when it is settled)."""

    def get_by_key(self, seller_id: str, key: str) -> CheckoutRecord | None:
        """The last session stored under the request ``key`` (open or closed), or None."""

    def close(self, seller_id: str, provider: str, ref: str) -> bool:
        """Mark the seller's session closed; False when it is unknown or already closed."""


class PayTokenRepository(Protocol):
    """Pay-link tokens, stored by their SHA-256 hex only (T36)."""

    def add(self, record: PayTokenRecord) -> None:
        """Store a token. Raises DuplicateError when its hash is stored already."""

    def get(self, token_hash: str) -> PayTokenRecord | None:
        """The token stored under ``token_hash``, or None (expiry is the caller's check)."""


class RecurringRepository(Protocol):
    """One seller's recurring templates, with optimistic concurrency on ``version``."""

    def add(self, record: TemplateRecord) -> None:
        """Store a new template. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, template_id: str, *, for_update: bool = False) -> TemplateRecord:
        """The template; ``for_update`` locks its row until the transaction ends where the store can.

        Raises NotFoundError, also for another seller's id.
        """

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template, locked until the transaction ends; None when gone or held by another.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers take different
        templates; SQLite and memory: the write lock is held already.
        """

    def claim_many(
        self, seller_id: str, template_ids: Sequence[str]
    ) -> builtins.list[TemplateRecord]:
        """``claim`` for many at once, ordered by id: those not stored or held are left out."""

    def save(self, record: TemplateRecord, *, expected_version: int) -> TemplateRecord:
        """Replace the stored template if its version is ``expected_version``; returns it at +1.

        Raises ConcurrencyError (retryable) when someone saved it first, NotFoundError.
        """

    def save_many(self, records: Sequence[TemplateRecord]) -> None:
        """``save`` each at its own ``version`` (read in this transaction), in one statement where possible.

        Raises as ``save`` does when any of them was saved by someone first.
        """

    def list(
        self,
        seller_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[TemplateRecord]:
        """The seller's templates ordered by id, filtered, ``limit`` at a time after id ``after``."""

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, template id) of every template that may still bill, ordered."""


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
    def event_feed(self) -> EventFeed:
        """The outbox in handler order, and the handlers' cursors."""

    @property
    def idempotency(self) -> IdempotencyRepository:
        """Idempotency records."""

    @property
    def messages(self) -> MessageRepository:
        """Messages to deliver."""

    @property
    def inbox(self) -> InboxRepository:
        """In-app inboxes."""

    @property
    def provider_events(self) -> ProviderEventRepository:
        """Payment providers' notifications (the webhook dedupe)."""

    @property
    def checkouts(self) -> CheckoutRepository:
        """Checkout sessions started for invoices."""

    @property
    def pay_tokens(self) -> PayTokenRepository:
        """Pay-link tokens."""

    @property
    def recurring(self) -> RecurringRepository:
        """Recurring invoice templates."""

    @property
    def catalog(self) -> CatalogRepository:
        """Plans and coupons."""

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """Subscriptions and their billing progress."""

    @property
    def usage(self) -> UsageRepository:
        """Usage records (append-only)."""

    @property
    def reports(self) -> ReportQueries:
        """Receivable figures as of an instant, computed in the store."""


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

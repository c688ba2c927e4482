"""The storage ports: one repository Protocol per aggregate, the Transaction holding them, Storage.

The repositories are defined per aggregate in party_repositories, invoice_repositories,
message_repositories and payment_repositories (subscriptions, reports and summaries
have theirs too); this module holds the Transaction and Storage and re-exports them all.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from invoicekit.invoice_repositories import (
    CreditNoteRepository,
    InvoiceClaims,
    InvoiceRepository,
    RecurringRepository,
    SequenceRepository,
)
from invoicekit.message_repositories import (
    EventFeed,
    IdempotencyRepository,
    InboxRepository,
    MessageRepository,
    Outbox,
)
from invoicekit.party_repositories import CustomerRepository, SellerRepository
from invoicekit.payment_repositories import (
    CheckoutRepository,
    PayTokenRepository,
    ProviderEventRepository,
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

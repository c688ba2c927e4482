"""The ports: every boundary between invoicekit and the outside world, as ``typing.Protocol`` classes.

Adapters implement them; services depend only on them. Each port has a
contract suite in ``invoicekit.testing.contracts`` that every adapter passes.
A Protocol with more than about seven methods is two ports. The record values
they exchange live in ``invoicekit.records`` (payments' in ``invoicekit.payment_records``),
the storage ports in ``invoicekit.repositories``; all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.invoice import Invoice
from invoicekit.payment_records import (
    ChargeOutcome,
    ChargeState,
    CheckoutRecord,
    CheckoutRequest,
    CheckoutSession,
    CheckoutState,
    NoticeKind,
    PayTokenRecord,
    ProviderEventRecord,
    ProviderNotice,
)
from invoicekit.records import (
    DOCUMENT_KINDS,
    MEDIA_TYPES,
    Delivery,
    DocumentContext,
    HandlerCursor,
    IdempotencyRecord,
    InboxItem,
    InvoiceQuery,
    InvoiceSave,
    MessageRecord,
    MessageStatus,
    OutboxRecord,
    OutgoingMessage,
    PaymentLink,
    RenderedDocument,
    TemplateRecord,
    occurrence_invoice_id,
)
from invoicekit.repositories import (
    CheckoutRepository,
    CreditNoteRepository,
    CustomerRepository,
    EventFeed,
    IdempotencyRepository,
    InboxRepository,
    InvoiceClaims,
    InvoiceRepository,
    MessageRepository,
    Outbox,
    PayTokenRepository,
    ProviderEventRepository,
    RecurringRepository,
    SellerRepository,
    SequenceRepository,
    Storage,
    Transaction,
)
from invoicekit.subscription_records import BilledUsage, SubscriptionRecord, UsageQuery
from invoicekit.subscription_repositories import (
    CatalogRepository,
    SubscriptionRepository,
    UsageRepository,
)

__all__ = [
    "DOCUMENT_KINDS",
    "MEDIA_TYPES",
    "BilledUsage",
    "CatalogRepository",
    "ChargeOutcome",
    "ChargeState",
    "ChargesSaved",
    "Checkout",
    "CheckoutRecord",
    "CheckoutRepository",
    "CheckoutRequest",
    "CheckoutSession",
    "CheckoutState",
    "Clock",
    "CreditNoteRepository",
    "CustomerRepository",
    "Delivery",
    "DocumentContext",
    "EventFeed",
    "HandlerCursor",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InboxItem",
    "InboxRepository",
    "InvoiceClaims",
    "InvoiceQuery",
    "InvoiceRepository",
    "InvoiceSave",
    "IssueCheck",
    "MessageRecord",
    "MessageRepository",
    "MessageStatus",
    "NoticeKind",
    "Notifier",
    "Outbox",
    "OutboxRecord",
    "OutgoingMessage",
    "PayTokenRecord",
    "PayTokenRepository",
    "PaymentLink",
    "PaymentNotices",
    "PaymentProvider",
    "ProviderEventRecord",
    "ProviderEventRepository",
    "ProviderNotice",
    "RecurringRepository",
    "RenderedDocument",
    "Renderer",
    "SavedPaymentMethod",
    "SellerRepository",
    "SequenceRepository",
    "Storage",
    "SubscriptionRecord",
    "SubscriptionRepository",
    "TemplateRecord",
    "Transaction",
    "UsageQuery",
    "UsageRepository",
    "occurrence_invoice_id",
]


# --------------------------------------------------------------------------- clock


class Clock(Protocol):
    """The one place services read the time; tests use ``FixedClock``."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""


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


class Checkout(Protocol):
    """What a provider with a hosted checkout adds: start one for an amount due, and cancel it.

    Called outside any write transaction (a network call). Idempotent by
    ``request.key``: the same key gives the same session while it is open. Raises
    PaymentError (with ``retryable``) when the provider refuses or cannot be reached.
    """

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Start (or return the open) checkout session for ``request``."""

    def cancel_checkout(self, session: CheckoutSession) -> None:
        """Close an open session (the invoice was paid, voided or credited meanwhile).

        Closing one that is already closed or expired does nothing.
        """


class ChargesSaved(Protocol):
    """What a provider that keeps customers' payment methods adds: charge one off-session.

    Called by ``run_due`` outside any write transaction, after the attempt was recorded
    with its ``key`` (invoice, attempt n). Idempotent by ``key``: asked again with the same
    key (after a crash, or a timeout after the charge was made) it returns the same
    charge and never takes the money twice (T29). A decline is an outcome, not an error;
    PaymentError (with ``retryable``) means the provider could not be asked.
    """

    def charge_saved(
        self, invoice: Invoice, method: SavedPaymentMethod, amount: Decimal, *, key: str
    ) -> ChargeOutcome:
        """Charge ``amount`` of ``invoice`` (in its currency) to ``method``, once per ``key``."""


class PaymentNotices(Protocol):
    """Reads a provider's notifications (webhooks): verified first, then mapped to a notice."""

    @property
    def name(self) -> str:
        """The provider's name, as in ``PaymentProvider.name``."""

    def read(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime,
        seller_id: str | None = None,
    ) -> ProviderNotice:
        """The notice ``body`` carries, after checking its signature over the raw bytes.

        The signature, its timestamp (within the provider's tolerance of ``now``) and the
        secret (any of the active ones, for rotation) are checked before the body is
        parsed; a failure raises WebhookRejectedError and nothing else is read. ``seller_id``
        names whose credentials to check with, when each seller has their own.
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

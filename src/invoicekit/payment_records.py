"""The values payment providers and invoicekit exchange: checkouts and verified notices.

A checkout is started by invoicekit when a payer presses Pay on the hosted page; the
provider answers with a session (where to send the payer). What happened to the money
comes back as a ``ProviderNotice``, read from the provider's signed notification
(webhook) by its ``PaymentNotices`` reader, and never from the payer's browser.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "ChargeOutcome",
    "ChargeState",
    "CheckoutRecord",
    "CheckoutRequest",
    "CheckoutSession",
    "CheckoutState",
    "NoticeKind",
    "PayTokenRecord",
    "ProviderEventRecord",
    "ProviderNotice",
]


@attrs.frozen
class CheckoutRequest:
    """What a provider needs to start taking payment of one invoice's amount due.

    The amount and currency come from the stored, frozen invoice, never from the browser.
    ``key`` is derived from the invoice id and the amount: asking twice for the same
    amount gives the same session (the provider's idempotency key is derived from it).
    """

    seller_id: str
    invoice_id: str
    #: The invoice number, shown to the payer and used as the statement reference.
    number: str
    amount: Decimal
    currency: str
    #: One line saying what is paid for, e.g. "Invoice INV-2026-0001 from Northwind".
    description: str
    #: Where the provider sends the payer back (our hosted invoice page).
    return_url: str
    key: str
    customer_id: str | None = None
    customer_email: str | None = None
    #: The customer's locale (e.g. "de_DE"), for the provider's own page.
    locale: str | None = None


@attrs.frozen
class CheckoutSession:
    """A provider's checkout for one invoice's amount: where the payer goes to pay."""

    provider: str
    #: The provider's id of the session (Stripe: ``cs_…``; the sandbox: ``sbx_cs_…``).
    ref: str
    url: str
    amount: Decimal
    currency: str
    expires_at: datetime | None = None
    #: The seller whose provider account holds the session (to cancel it with the right one).
    seller_id: str | None = None


class NoticeKind(enum.StrEnum):
    """What a provider's verified notification says happened to a payment."""

    #: The money arrived (card captured, transfer settled).
    SUCCEEDED = "succeeded"
    #: The payment was accepted but the money is in flight (bank debit): reminders pause.
    PENDING = "pending"
    #: The attempt was declined or a pending payment did not settle.
    FAILED = "failed"
    #: Money was given back (``amount`` is the refunded amount).
    REFUNDED = "refunded"
    #: The payer disputed the payment: the disputed amount counts as not received.
    DISPUTED = "disputed"
    #: The dispute was decided for the seller: the money counts as received again.
    DISPUTE_WON = "dispute_won"
    #: The dispute was decided for the payer: the money is gone for good.
    DISPUTE_LOST = "dispute_lost"
    #: Verified, but nothing invoicekit acts on (another event type of the provider).
    IGNORED = "ignored"


@attrs.frozen
class ProviderNotice:
    """One verified notification of a provider, mapped to what it means for a payment.

    ``event_id`` is the provider's id of the notification: the same id is applied at most
    once (I5). ``payment_ref`` names the provider's payment (Stripe: the PaymentIntent)
    across its notices, so notices arriving in any order converge (T18). ``raw`` keeps the
    bytes as received, for the record.
    """

    provider: str
    event_id: str
    kind: NoticeKind
    #: The provider's own name of the event type (e.g. ``checkout.session.completed``).
    type: str
    seller_id: str | None = None
    invoice_id: str | None = None
    payment_ref: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    #: Why a payment failed or was disputed, in the provider's words.
    reason: str | None = None
    #: The provider's code for the failure (e.g. ``card_declined``).
    code: str | None = None
    #: For refunds: the provider's id of the refund.
    refund_ref: str | None = None
    #: The checkout session the payment came from, when the provider says.
    session_ref: str | None = None
    occurred_at: datetime | None = None
    raw: bytes = b""


class ChargeState(enum.StrEnum):
    """What an off-session charge of a saved payment method came to."""

    SUCCEEDED = "succeeded"
    #: Accepted, the money is in flight (a bank debit): recorded as a pending payment.
    PENDING = "pending"
    #: Declined, or the customer must act (``authentication_required``): no money moved.
    FAILED = "failed"


@attrs.frozen
class ChargeOutcome:
    """A provider's answer to ``charge_saved``: the same answer for the same key.

    ``payment_ref`` names the provider's payment (Stripe: the PaymentIntent), so its
    later notices (webhooks) converge on the payment this outcome records.
    """

    state: ChargeState
    amount: Decimal
    currency: str
    payment_ref: str | None = None
    #: The provider's code of a failure (``card_declined``, ``authentication_required``...).
    code: str | None = None
    reason: str | None = None
    #: Whether charging again later may succeed (False: the customer must act first).
    retryable: bool = True


# --------------------------------------------------------------------------- stored records


@attrs.frozen
class ProviderEventRecord:
    """One provider notification as stored: (provider, event_id) is applied at most once (I5).

    ``outcome`` is what intake did with it: "recorded", "ignored" or "refused". The set
    of a payment's stored notices (``for_payment``) is what its state converges to (T18).
    """

    provider: str
    event_id: str
    seller_id: str
    kind: NoticeKind
    type: str
    received_at: datetime
    outcome: str
    invoice_id: str | None = None
    payment_ref: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    code: str | None = None
    refund_ref: str | None = None
    occurred_at: datetime | None = None
    raw: bytes = b""


class CheckoutState(enum.StrEnum):
    """Whether a stored checkout session may still take money."""

    OPEN = "open"
    #: Cancelled or no longer wanted (the invoice was paid, voided or credited).
    CLOSED = "closed"


@attrs.frozen
class CheckoutRecord:
    """A checkout session invoicekit started, kept so it can be reused and cancelled.

    (provider, ref) is unique; ``key`` is the request's key (invoice, amount, currency).
    """

    provider: str
    ref: str
    seller_id: str
    invoice_id: str
    key: str
    amount: Decimal
    currency: str
    url: str
    created_at: datetime
    expires_at: datetime | None = None
    state: CheckoutState = CheckoutState.OPEN


@attrs.frozen
class PayTokenRecord:
    """A pay-link token as stored: only its SHA-256 (hex), never the token itself (T36)."""

    #: ``hashlib.sha256(token.encode()).hexdigest()``: the primary key.
    token_hash: str
    seller_id: str
    invoice_id: str
    customer_id: str
    #: The message the link was minted for (each message and retry mints its own).
    message_key: str | None
    created_at: datetime
    expires_at: datetime

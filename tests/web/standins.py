"""Small stand-ins for the parts of issue 14 other branches build (pay pages, webhooks, sandbox).

They follow the interfaces of /work/briefs/payments-design.md exactly (``billing.pay_pages``,
``billing.webhooks.receive``, ``SandboxPayments.session/choose``) over a real ``Billing``, so
the route tests run before those land; they are replaced by the real services once merged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import invoicekit as ik
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import (
    NotFoundError,
    PaymentError,
    PaymentNotAllowedError,
    WebhookRejectedError,
)
from invoicekit.ports import Renderer
from invoicekit.services.billing import SellerBooks


class PayPageNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("pay page", "link")


@dataclass(frozen=True)
class PayPage:
    token: str
    invoice: Invoice
    can_pay: bool
    status: str
    amount_due: Decimal
    currency: str
    expires_at: datetime | None
    seller_id: str
    customer_id: str


@dataclass
class StandInPayPages:
    billing: ik.Billing
    checkout_url: str = "https://checkout.example/cs_1"
    fail_with: PaymentError | None = None
    #: Builds the checkout URL for a page (the browser flow: a sandbox session); else checkout_url.
    start: Callable[[PayPage], str] | None = None
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    checkouts: list[str] = field(default_factory=list)

    def mint(self, seller_id: str, invoice_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[hashlib.sha256(token.encode()).hexdigest()] = (seller_id, invoice_id)
        return token

    def open(self, token: str) -> PayPage:
        found = self.tokens.get(hashlib.sha256(token.encode()).hexdigest())
        if found is None:
            raise PayPageNotFoundError
        seller_id, invoice_id = found
        invoice = self.billing.seller(seller_id).invoices.get(invoice_id)
        status = str(invoice.status)
        return PayPage(
            token=token,
            invoice=invoice,
            can_pay=invoice.amount_due > 0 and status not in ("void", "uncollectible"),
            status=status,
            amount_due=invoice.amount_due,
            currency=invoice.currency,
            expires_at=None,
            seller_id=seller_id,
            customer_id=invoice.customer_id,
        )

    def checkout(self, token: str) -> str:
        page = self.open(token)
        if not page.can_pay:
            raise PaymentNotAllowedError(page.invoice.ref, page.status, "pay", [])
        if self.fail_with is not None:
            raise self.fail_with
        self.checkouts.append(token)
        return self.start(page) if self.start is not None else self.checkout_url


@dataclass(frozen=True)
class Received:
    provider: str
    event_id: str
    outcome: str
    invoice_id: str | None = None
    detail: str = ""


@dataclass
class StandInWebhooks:
    secret: bytes = b"whsec"
    calls: list[tuple[str, bytes, dict[str, str], str | None]] = field(default_factory=list)

    def receive(
        self,
        provider: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        seller_id: str | None = None,
    ) -> Received:
        self.calls.append((provider, body, dict(headers), seller_id))
        if provider != "sandbox":
            raise WebhookRejectedError("unknown provider", provider=provider)
        if headers.get("webhook-signature") != "good":
            raise WebhookRejectedError("signature does not match", provider=provider)
        return Received(provider, "evt_1", "recorded")


@dataclass
class Session:
    ref: str
    amount: Decimal
    currency: str
    description: str
    return_url: str
    state: str = "open"
    seller_id: str = "s"
    invoice_id: str = "i"
    expires_at: datetime | None = None


@dataclass
class StandInSandbox:
    sessions: dict[str, Session] = field(default_factory=dict)
    choices: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: What a choice does besides changing the state (the browser flow: records the payment).
    on_choose: Callable[[Session, str], None] | None = None

    def session(self, ref: str) -> Session | None:
        return self.sessions.get(ref)

    def choose(self, ref: str, outcome: Any, *, reason: str | None = None) -> Session:
        found = self.sessions[ref]
        if found.state != "open":
            raise PaymentError(f"checkout {ref} is {found.state}", provider="sandbox")
        self.choices.append((ref, outcome, reason))
        found.state = {"succeed": "succeeded", "decline": "declined"}.get(outcome, outcome)
        if self.on_choose is not None:
            self.on_choose(found, outcome)
        return found


@dataclass
class Host:
    """A ``Billing`` with the two services other branches add, stood in."""

    billing: ik.Billing
    pay_pages: StandInPayPages
    webhooks: StandInWebhooks

    @property
    def renderer(self) -> Renderer | None:
        return self.billing.renderer

    def seller(self, seller_id: str) -> SellerBooks:
        return self.billing.seller(seller_id)

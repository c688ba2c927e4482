"""Small stand-ins for the parts of issue 14 not merged here yet (webhook intake, the sandbox).

They follow the interfaces of the shared design exactly (``billing.webhooks.receive``,
``SandboxPayments.session/choose``) over a real ``Billing`` (with its real ``pay_pages``),
so the route tests run before those land. ``LocalCheckout`` is a provider with a hosted
checkout whose answers a test chooses (a URL, or a PaymentError).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import invoicekit as ik
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import PaymentError, WebhookRejectedError
from invoicekit.payment_records import CheckoutRequest, CheckoutSession
from invoicekit.ports import Renderer
from invoicekit.services.billing import SellerBooks
from invoicekit.services.pay_pages import PayPages


@dataclass
class LocalCheckout:
    """A payment provider with a hosted checkout, on this machine: hands out ``url`` (or ``start``'s)."""

    url: str = "https://checkout.example/cs_1"
    fail_with: PaymentError | None = None
    #: Builds the checkout URL for a request (the browser flow: a sandbox session).
    start: Callable[[CheckoutRequest], str] | None = None
    requests: list[CheckoutRequest] = field(default_factory=list)
    name: str = "local"

    def payment_link(self, invoice: Invoice) -> None:
        return None

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        raise PaymentError("no refunds here", provider=self.name)

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        if self.fail_with is not None:
            raise self.fail_with
        self.requests.append(request)
        url = self.start(request) if self.start is not None else self.url
        ref = f"cs_{len(self.requests)}"
        return CheckoutSession(self.name, ref, url, request.amount, request.currency)

    def cancel_checkout(self, session: CheckoutSession) -> None:
        return None


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
    """A ``Billing`` whose webhook intake (i14-core's, not merged yet) is stood in."""

    billing: ik.Billing
    webhooks: StandInWebhooks

    @property
    def pay_pages(self) -> PayPages:
        return self.billing.pay_pages

    @property
    def renderer(self) -> Renderer | None:
        return self.billing.renderer

    def seller(self, seller_id: str) -> SellerBooks:
        return self.billing.seller(seller_id)

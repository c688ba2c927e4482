"""``LocalCheckout``: a payment provider with a hosted checkout whose answers a test chooses.

The route tests use it as the default provider where they need to see the checkout
request (amount, currency, return URL from the stored invoice) or make the provider
fail; everything else runs on the real ``SandboxPayments`` and webhook intake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from invoicekit.domain.invoice import Invoice
from invoicekit.errors import PaymentError
from invoicekit.payment_records import CheckoutRequest, CheckoutSession


@dataclass
class LocalCheckout:
    """Hands out ``url`` (or ``start``'s) for every checkout, or raises ``fail_with``."""

    url: str = "https://checkout.example/cs_1"
    fail_with: PaymentError | None = None
    #: Builds the checkout URL for a request.
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

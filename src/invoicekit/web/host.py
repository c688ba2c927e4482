"""What the web app needs from the host's ``Billing`` and from ``SandboxPayments``, as Protocols.

``Billing`` (with its ``pay_pages`` and ``webhooks`` services) and ``SandboxPayments``
match them structurally; tests may pass small stand-ins.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, Protocol

from invoicekit.domain.invoice import Invoice
from invoicekit.ports import Renderer
from invoicekit.services.billing import SellerBooks

__all__ = [
    "Host",
    "PayPageView",
    "PayPages",
    "SandboxDesk",
    "SandboxSessionView",
    "WebhookIntake",
    "WebhookOutcome",
]


class PayPageView(Protocol):
    """An invoice behind a valid pay-link token (``billing.pay_pages.open``)."""

    @property
    def token(self) -> str:
        """The token as it appears in the link."""

    @property
    def invoice(self) -> Invoice:
        """The stored invoice."""

    @property
    def can_pay(self) -> bool:
        """Whether something is due and a Pay button is shown."""

    @property
    def status(self) -> str:
        """The invoice's status (``issued``, ``paid``, ``void``, ...)."""

    @property
    def amount_due(self) -> Decimal:
        """What is still due, from the stored invoice."""

    @property
    def currency(self) -> str:
        """The invoice's currency."""

    @property
    def seller_id(self) -> str:
        """Whose invoice it is."""

    @property
    def customer_id(self) -> str:
        """Who is asked to pay."""


class PayPages(Protocol):
    """``billing.pay_pages``: open a token's page, start its checkout."""

    def open(self, token: str) -> PayPageView:
        """The page of ``token``; raises PayPageNotFoundError (a NotFoundError)."""

    def checkout(self, token: str) -> str:
        """The provider's checkout URL for the amount due; raises PaymentError."""


class WebhookOutcome(Protocol):
    """What ``billing.webhooks.receive`` did with one notification."""

    @property
    def provider(self) -> str:
        """The provider's name."""

    @property
    def event_id(self) -> str:
        """The provider's id of the notification."""

    @property
    def outcome(self) -> str:
        """``recorded``, ``duplicate``, ``ignored`` or ``refused``."""


class WebhookIntake(Protocol):
    """``billing.webhooks``: verify and apply a provider's notification."""

    def receive(
        self,
        provider: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        seller_id: str | None = None,
    ) -> WebhookOutcome:
        """Verify (WebhookRejectedError on failure), dedupe and apply ``body``."""


class Host(Protocol):
    """The parts of ``Billing`` the web app uses."""

    @property
    def pay_pages(self) -> PayPages:
        """Pay-link tokens and checkouts."""

    @property
    def webhooks(self) -> WebhookIntake:
        """Provider notification intake."""

    @property
    def renderer(self) -> Renderer | None:
        """The renderer (for the PDF download); None: the built-in one."""

    def seller(self, seller_id: str) -> SellerBooks:
        """One seller's books (the inbox)."""


class SandboxSessionView(Protocol):
    """One checkout of the sandbox provider, as its pay page shows it."""

    @property
    def ref(self) -> str:
        """The session's id (``sbx_cs_…``)."""

    @property
    def seller_id(self) -> str:
        """Whose invoice it pays."""

    @property
    def invoice_id(self) -> str:
        """The invoice it pays (its customer may save the card)."""

    @property
    def amount(self) -> Decimal:
        """The amount to pay."""

    @property
    def currency(self) -> str:
        """Its currency."""

    @property
    def description(self) -> str:
        """What is paid for."""

    @property
    def return_url(self) -> str:
        """Our hosted invoice page."""

    @property
    def state(self) -> str:
        """``open``, ``succeeded``, ``declined``, ``pending``, ``failed``, ``canceled``, ``expired``."""


class SandboxDesk(Protocol):
    """The two calls of ``SandboxPayments`` its pay page makes."""

    def session(self, ref: str) -> SandboxSessionView | None:
        """The session ``ref``, or None."""

    def choose(
        self,
        ref: str,
        outcome: Literal["succeed", "decline", "pending"],
        *,
        reason: str | None = None,
    ) -> SandboxSessionView:
        """Apply the payer's choice and send the signed webhook(s) now."""

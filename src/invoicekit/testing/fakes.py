"""Recording in-memory adapters for the payment, rendering and delivery ports.

They are shipped on purpose, for tests of code built on invoicekit: each records
what it was asked to do and can be told to fail. The real adapters come with the
delivery and payments features and pass the same contracts.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import attrs

from invoicekit.domain.invoice import Invoice
from invoicekit.errors import DeliveryError, PaymentError, ValidationError, problem
from invoicekit.ports import (
    DOCUMENT_KINDS,
    Delivery,
    DocumentContext,
    OutgoingMessage,
    PaymentLink,
    RenderedDocument,
)

__all__ = ["MemoryNotifier", "MemoryPayments", "MemoryRenderer"]


@attrs.define
class MemoryPayments:
    """Hands out payment links and records refunds; ``fail_next`` makes the next call fail."""

    base_url: str = "https://pay.invoicekit.invalid/i/"
    links: list[str] = attrs.Factory(list)
    refunds: dict[str, tuple[str, Decimal]] = attrs.Factory(dict)
    fail_next: PaymentError | None = None

    @property
    def name(self) -> str:
        """Always "memory"."""
        return "memory"

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def payment_link(self, invoice: Invoice) -> PaymentLink | None:
        """A stable link per invoice id (no secret: this fake is for tests)."""
        self._maybe_fail()
        token = hashlib.sha256(f"{invoice.seller_id}:{invoice.id}".encode()).hexdigest()[:32]
        url = self.base_url + token
        self.links.append(url)
        return PaymentLink(url=url, provider=self.name, reference=invoice.number)

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:  # noqa: ARG002 - the port passes it; this fake keys by payment
        """Record a refund once per key; returns its id."""
        self._maybe_fail()
        if key not in self.refunds:
            self.refunds[key] = (payment_id, amount)
        return f"refund_{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@attrs.define
class MemoryNotifier:
    """Records sent messages; a repeated (seller, key) is a duplicate and is not sent again.

    Keys are unique per seller only: another seller's message with the same key is sent.
    """

    channel: str = "email"
    sent: list[OutgoingMessage] = attrs.Factory(list)
    fail_next: DeliveryError | None = None

    def send(self, message: OutgoingMessage) -> Delivery:
        """Record ``message`` unless its seller sent the key before; CR/LF in headers: refused (T43)."""
        from invoicekit.adapters.notify.headers import check_message

        check_message(message.recipient, message.subject)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        from datetime import UTC, datetime

        at = datetime(1970, 1, 1, tzinfo=UTC)  # a fake has no clock: deliveries are unordered
        if any((m.seller_id, m.key) == (message.seller_id, message.key) for m in self.sent):
            return Delivery(message.key, message.channel, at, duplicate=True)
        self.sent.append(message)
        return Delivery(message.key, message.channel, at, provider_id=f"memory-{len(self.sent)}")


class MemoryRenderer:
    """Renders a plain summary of an invoice: number, amount due, due date, lines."""

    kinds = DOCUMENT_KINDS
    media_types = ("text/plain", "text/html", "text/x-short")

    def render(
        self,
        kind: str,
        invoice: Invoice,
        *,
        media_type: str = "text/html",
        context: DocumentContext | None = None,  # noqa: ARG002 - the summary ignores it
    ) -> RenderedDocument:
        """A short document; ValidationError for an unknown kind or media type."""
        if kind not in self.kinds or media_type not in self.media_types:
            raise ValidationError(
                [
                    problem(
                        "kind",
                        f"kinds: {', '.join(self.kinds)}; media types: {', '.join(self.media_types)}",
                        (kind, media_type),
                    )
                ],
                subject="rendering",
            )
        lines = "\n".join(
            f"{line.description}: {a.net}"
            for line, a in zip(invoice.lines, invoice.totals.lines, strict=True)
        )
        account = invoice.seller.bank_account if invoice.seller is not None else None
        pay = f"pay {invoice.payment_link}\n" if invoice.payment_link else ""
        if account is not None:
            pay += f"bank transfer {account.display_iban} reference {invoice.ref}\n"
        text = (
            f"{kind} {invoice.ref}\namount due {invoice.amount_due} {invoice.currency}\n"
            f"due {invoice.due_date}\n{pay}{lines}\n"
        )
        if media_type == "text/html":
            from html import escape

            text = f"<pre>{escape(text)}</pre>"
        return RenderedDocument(
            media_type,
            text.encode(),
            f"{invoice.ref}.{media_type.split('/')[1]}",
            title=f"{kind} {invoice.ref}",
        )

"""Refunds of provider payments: the provider pays out first, outside the write transaction.

A payment came from a provider when its method is that provider's name (``"manual"``
for ``ManualPayments``, which lists refunds to pay out by hand; ``"stripe"``, ``"sandbox"``):
the refund goes back through that provider. Other payments (cash, a ``credit`` payment, a
method no provider of Billing is named) are refunded in the books only. The refund is checked against the invoice before the provider is asked, so a
refused refund never reaches it; when the provider fails, its PaymentError reaches the
caller and nothing is recorded. The provider is asked with a key derived from the
idempotency key (else the refund id), so asking again after a crash pays out once.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from invoicekit.domain import lifecycle
from invoicekit.money import parse_amount
from invoicekit.ports import PaymentProvider
from invoicekit.services.unit import Runner

__all__ = ["provider_key", "refund_at_provider"]


def provider_key(seller_id: str, invoice_id: str, key: str) -> str:
    """The key the provider deduplicates a refund by: one per seller, invoice and request."""
    return f"refund:{seller_id}:{invoice_id}:{key}"


def refund_at_provider(
    run: Runner,
    providers: Mapping[str, PaymentProvider],
    seller_id: str,
    invoice_id: str,
    command: lifecycle.RefundPayment,
    *,
    idempotency_key: str | None,
) -> lifecycle.RefundPayment:
    """``command``, with the provider's refund id once the provider paid the refund out.

    The provider is the one named by the payment's ``method``. Unchanged when Billing has
    no provider of that name (cash, credit, a manual transfer), or the idempotency key was
    used already (the write then replays or refuses it).
    """
    if not providers:
        return command
    with run.read() as tx:
        if idempotency_key is not None and tx.idempotency.get(seller_id, idempotency_key):
            return command
        invoice = tx.invoices.get(seller_id, invoice_id)
    lifecycle.apply(invoice, command, at=run.clock.now())  # a refused refund stops here
    payment = invoice.payment(command.payment_id)
    provider = providers.get(payment.method)
    if provider is None:
        return command
    amount = parse_amount(command.amount, invoice.currency)
    key = provider_key(seller_id, invoice_id, idempotency_key or command.refund_id)
    return attrs.evolve(command, provider_id=provider.refund(invoice, payment.id, amount, key=key))

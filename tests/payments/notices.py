"""Signed sandbox notices for the webhook tests: bodies as the sandbox sends them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicekit.adapters.payments import SandboxPayments

__all__ = ["Delivery", "body_of", "signed"]

#: (body, headers) of one delivery.
Delivery = tuple[bytes, dict[str, str]]


def body_of(
    event_id: str,
    event_type: str,
    *,
    seller_id: str = "s1",
    invoice_id: str,
    payment_ref: str = "sbx_pay_1",
    amount: str | Decimal | float | None = "119.00",
    currency: str = "EUR",
    **data: Any,
) -> dict[str, Any]:
    """A sandbox event (``payment.succeeded``, ``refund.succeeded``, …) about one invoice."""
    return {
        "id": event_id,
        "type": event_type,
        "created": 1772355600,
        "data": {
            "payment_ref": payment_ref,
            "amount": amount if amount is None or isinstance(amount, float) else str(amount),
            "currency": currency,
            "metadata": {"seller_id": seller_id, "invoice_id": invoice_id},
            **data,
        },
    }


def signed(provider: SandboxPayments, event: dict[str, Any], at: datetime) -> Delivery:
    """``event`` signed by ``provider`` at ``at``."""
    return provider.signed(event, at=at)

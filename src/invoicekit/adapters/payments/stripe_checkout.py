"""The parameters of a Stripe Checkout Session for one CheckoutRequest.

Mode ``payment``, one line item priced from the request (the frozen invoice's amount due,
in Stripe's minor units), invoicekit's ids in the metadata of the session and of its
PaymentIntent, the invoice id as ``client_reference_id``, and the payer's language when
Stripe Checkout has it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from invoicekit.adapters.payments.stripe_amounts import to_minor
from invoicekit.payment_records import CheckoutRequest

__all__ = ["digest", "session_params", "stripe_locale"]

#: Languages Stripe Checkout shows its page in (its ``locale`` values).
_LOCALES: Final = frozenset(
    "bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hr hu id it ja ko lt lv ms mt nb nl "  # noqa: SIM905
    "pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW".split()
)


def digest(*parts: str) -> str:
    """A SHA-256 hex digest of ``parts``: idempotency keys of a fixed, short length."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def with_query(url: str, query: str) -> str:
    """``url`` with ``query`` appended to its query string."""
    parts = urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def stripe_locale(locale: str | None) -> str | None:
    """Our "de_DE" as Stripe's "de" ("pt_BR" as "pt-BR"); None when Stripe has no such page."""
    if not locale:
        return None
    language, _, region = locale.replace("_", "-").partition("-")
    for candidate in (f"{language.lower()}-{region.upper()}", language.lower()):
        if candidate in _LOCALES:
            return candidate
    return None


def session_params(
    request: CheckoutRequest, *, expires_at: int, provider: str = "stripe"
) -> dict[str, Any]:
    """What ``checkout.sessions.create`` is sent for ``request``, closing at ``expires_at``.

    Raises PaymentError (code ``amount_not_supported``) for an amount Stripe cannot charge
    exactly in the request's currency.
    """
    metadata = {
        "seller_id": request.seller_id,
        "invoice_id": request.invoice_id,
        "key": request.key,
    }
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": to_minor(request.amount, request.currency, provider=provider),
                    "product_data": {"name": request.description},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": request.description},
        "client_reference_id": request.invoice_id,
        # The redirect only shows "processing"; a verified webhook records the payment.
        "success_url": with_query(request.return_url, "checkout=success"),
        "cancel_url": request.return_url,
        "expires_at": expires_at,
    }
    if request.customer_email:
        params["customer_email"] = request.customer_email
    locale = stripe_locale(request.locale)
    if locale:
        params["locale"] = locale
    return params

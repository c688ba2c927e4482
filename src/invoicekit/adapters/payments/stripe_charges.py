"""Stripe's off-session PaymentIntent: charge a customer's saved card for an invoice (T29).

``POST /v1/payment_intents`` with ``confirm=true, off_session=true``, the saved
``payment_method`` and its ``customer``, under an Idempotency-Key derived from
invoicekit's attempt key, so the same attempt asked twice is one charge. A declined
card (``card_declined``, ``insufficient_funds``...) or one needing the customer
(``authentication_required``) is a failed outcome, not an error; it names the
declined PaymentIntent, so Stripe's ``payment_intent.payment_failed`` webhook about it
converges on the failed payment ``run_due`` records instead of adding a second failure.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from invoicekit._extras import require
from invoicekit.adapters.payments.stripe_amounts import from_minor, to_minor
from invoicekit.adapters.payments.stripe_checkout import digest
from invoicekit.adapters.payments.stripe_errors import payment_error
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.invoice import Invoice
from invoicekit.payment_records import ChargeOutcome, ChargeState

__all__ = ["charge_saved"]

#: Failures the customer must act on: charging again later cannot succeed.
FINAL_CODES: Final = frozenset({"authentication_required", "expired_card", "stolen_card"})
_STATES: Final = {"succeeded": ChargeState.SUCCEEDED, "processing": ChargeState.PENDING}


def charge_saved(
    client: Any,
    provider: str,
    invoice: Invoice,
    method: SavedPaymentMethod,
    amount: Decimal,
    *,
    key: str,
) -> ChargeOutcome:
    """Create and confirm the PaymentIntent of attempt ``key``; a decline is a failed outcome."""
    stripe = require("stripe", extra="stripe", feature="StripePayments")
    params: dict[str, Any] = {
        "amount": to_minor(amount, invoice.currency, provider=provider),
        "currency": invoice.currency.lower(),
        "customer": method.provider_customer,
        "payment_method": method.reference,
        "confirm": True,
        "off_session": True,
        "description": f"Invoice {invoice.number or invoice.id}",
        "metadata": {"seller_id": invoice.seller_id, "invoice_id": invoice.id, "attempt": key},
    }
    if method.provider_customer is None:
        del params["customer"]
    options = {"idempotency_key": "invoicekit-pi-" + digest("charge", key)}
    create: Callable[[], Any] = lambda: client.v1.payment_intents.create(  # noqa: E731
        params=params, options=options
    )
    try:
        intent = create()
    except stripe.CardError as exc:
        return _declined(exc, amount, invoice.currency)
    except stripe.StripeError as exc:
        action = f"charge {amount} {invoice.currency} to the saved card"
        raise payment_error(exc, provider=provider, action=action) from exc
    state = _STATES.get(str(intent["status"]), ChargeState.FAILED)
    return ChargeOutcome(
        state=state,
        amount=from_minor(int(intent["amount"]), invoice.currency),
        currency=invoice.currency,
        payment_ref=str(intent["id"]),
        code=None if state is not ChargeState.FAILED else str(intent["status"]),
        reason=None if state is not ChargeState.FAILED else "the payment needs the customer",
        retryable=state is not ChargeState.FAILED,
    )


def _declined(exc: Any, amount: Decimal, currency: str) -> ChargeOutcome:
    """The failed outcome of a CardError: Stripe's decline code (or error code) and message."""
    error = getattr(exc, "error", None)
    code = str(
        getattr(error, "decline_code", None) or getattr(exc, "code", None) or "card_declined"
    )
    reason = getattr(exc, "user_message", None) or str(getattr(exc, "_message", "") or code)
    intent = getattr(error, "payment_intent", None)
    ref = getattr(intent, "id", None) if intent is not None else None
    return ChargeOutcome(
        state=ChargeState.FAILED,
        amount=amount,
        currency=currency,
        payment_ref=None if ref is None else str(ref),
        code=code,
        reason=reason,
        retryable=code not in FINAL_CODES and getattr(exc, "code", None) not in FINAL_CODES,
    )

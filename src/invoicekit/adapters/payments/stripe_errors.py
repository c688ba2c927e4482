"""Stripe's exceptions as invoicekit's PaymentError, with ``retryable`` set as Stripe means it.

Retryable: the network failed, Stripe was rate limiting, Stripe answered 5xx or 409, or
the same idempotency key is still being processed. Not retryable: a declined card, an
invalid request, a bad API key or missing permission, an idempotency key reused with other
parameters. No stripe exception reaches the caller; the original is chained as the cause.
"""

from __future__ import annotations

from typing import Any, Final

from invoicekit.errors import PaymentError

__all__ = ["payment_error"]

#: What the host can do, by error class name of the SDK.
_ADVICE: Final = {
    "APIConnectionError": "Stripe could not be reached; try again shortly",
    "RateLimitError": "Stripe is rate limiting this account; try again shortly",
    "CardError": "the payer's card was declined; the payer may try another card",
    "InvalidRequestError": "the request was refused as invalid; check the amount, currency "
    "and the objects it names",
    "AuthenticationError": "the API key was refused; check StripeAccount.api_key for this "
    "seller (a secret key, sk_test_… or sk_live_…)",
    "PermissionError": "the API key may not do this; use a key with write access to "
    "Checkout Sessions and Refunds",
    "IdempotencyError": "the idempotency key was used with other parameters; use a new key "
    "for a different request",
}


def _retryable(exc: Any, kind: str, code: str) -> bool:
    """Whether trying the same request again (same idempotency key) can succeed."""
    if kind in {"APIConnectionError", "RateLimitError"}:
        return True
    if kind == "IdempotencyError":
        return code == "idempotency_key_in_use"
    if kind in {"CardError", "InvalidRequestError", "AuthenticationError", "PermissionError"}:
        return False
    status = getattr(exc, "http_status", None)
    return status is None or status >= 500 or status == 409  # noqa: PLR2004


def payment_error(exc: Exception, *, provider: str, action: str) -> PaymentError:
    """The PaymentError for ``exc`` (a ``stripe.StripeError``) raised while doing ``action``."""
    kind = type(exc).__name__
    error = getattr(exc, "error", None)  # Stripe's error object, when it answered with one
    code = str(getattr(exc, "code", None) or getattr(error, "code", None) or "")
    decline = getattr(error, "decline_code", None)
    if kind == "CardError" and decline:
        code = str(decline)
    if not code:
        code = {
            "APIConnectionError": "connection_error",
            "RateLimitError": "rate_limit",
            "AuthenticationError": "authentication_error",
            "PermissionError": "permission_error",
            "IdempotencyError": "idempotency_error",
        }.get(kind, "api_error")
    said = getattr(exc, "user_message", None) or str(getattr(exc, "_message", "") or "") or kind
    advice = _ADVICE.get(kind, "Stripe failed; try again later")
    status = getattr(exc, "http_status", None)
    where = f" (HTTP {status})" if status else ""
    retryable = _retryable(exc, kind, code)
    return PaymentError(
        f"Stripe could not {action}{where}: {said}; {advice}",
        provider=provider,
        code=code,
        retryable=retryable,
    )

"""Stripe webhooks: the SDK's signature check on the raw bytes, then Stripe's events as notices.

The signature (``Stripe-Signature: t=…,v1=…``, HMAC-SHA256 over ``t.body``) is checked by
the SDK's own ``WebhookSignature.verify_header``, once per active secret (rotation). Its
timestamp check reads the wall clock and refuses only old timestamps, so invoicekit checks
the timestamp itself against the ``now`` it is given, both ways, with the SDK's tolerance
(``Webhook.DEFAULT_TOLERANCE``, 300 s). Nothing of the body is parsed before both pass.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit._extras import require
from invoicekit.adapters.payments.stripe_amounts import from_minor
from invoicekit.errors import WebhookRejectedError
from invoicekit.money import CURRENCY_DIGITS
from invoicekit.payment_records import NoticeKind, ProviderNotice

__all__ = ["SIGNATURE_HEADER", "notice_from_event", "verify_signature"]

_log = logging.getLogger("invoicekit.payments.stripe")

SIGNATURE_HEADER: Final = "Stripe-Signature"
#: Longer headers are refused unread (a real one has a timestamp and one to three MACs).
_MAX_HEADER: Final = 4096

_REFUND_STATES: Final = frozenset({"succeeded", "pending"})


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, whatever the case of its name in ``headers``."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _timestamp(header: str, provider: str) -> int:
    """The ``t=`` of a signature header; WebhookRejectedError when there is not exactly one."""
    found = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
    if len(found) != 1 or not found[0].strip().isdigit() or len(found[0]) > 12:  # noqa: PLR2004
        raise WebhookRejectedError("malformed signature header", provider=provider)
    return int(found[0])


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    *,
    now: datetime,
    provider: str,
) -> None:
    """Check ``body``'s Stripe signature with any of ``secrets`` and its timestamp against ``now``.

    Raises WebhookRejectedError ("no signature", "malformed signature header",
    "signature does not match", "timestamp outside the tolerance") and reads nothing else.
    """
    stripe = require("stripe", extra="stripe", feature="StripePayments")
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookRejectedError("no signature", provider=provider)
    if len(header) > _MAX_HEADER or not header.isascii():
        raise WebhookRejectedError("malformed signature header", provider=provider)
    sent_at = _timestamp(header, provider)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejectedError("signature does not match", provider=provider) from None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
        except stripe.SignatureVerificationError:
            continue
        break
    else:
        raise WebhookRejectedError("signature does not match", provider=provider)
    tolerance = int(stripe.Webhook.DEFAULT_TOLERANCE)
    if abs(now.timestamp() - sent_at) > tolerance:
        raise WebhookRejectedError("timestamp outside the tolerance", provider=provider)


def _malformed(what: str, provider: str) -> WebhookRejectedError:
    return WebhookRejectedError(f"not a Stripe event: {what}", provider=provider)


def _id_of(value: object) -> str | None:
    """An object's id whether Stripe sent it as a string or expanded it into an object."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _amount(obj: Mapping[str, Any], field: str, provider: str) -> tuple[Decimal, str]:
    """``obj[field]`` with ``obj["currency"]`` as (Decimal, "EUR"); rejected unless exact."""
    value, currency = obj.get(field), obj.get("currency")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _malformed(f"{field} must be a whole number of minor units", provider)
    if not isinstance(currency, str) or currency.upper() not in CURRENCY_DIGITS:
        raise _malformed("currency must be an ISO 4217 code", provider)
    code = currency.upper()
    return from_minor(value, code), code


def _metadata(obj: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The seller and invoice ids invoicekit put into the object's metadata, when there."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return None, None
    seller, invoice = meta.get("seller_id"), meta.get("invoice_id")
    return (
        seller if isinstance(seller, str) else None,
        invoice if isinstance(invoice, str) else None,
    )


#: Event types that mean one thing whatever their object says.
_FIXED: Final = {
    "checkout.session.async_payment_succeeded": NoticeKind.SUCCEEDED,
    "checkout.session.async_payment_failed": NoticeKind.FAILED,
    "payment_intent.succeeded": NoticeKind.SUCCEEDED,
    "payment_intent.payment_failed": NoticeKind.FAILED,
    "charge.refunded": NoticeKind.REFUNDED,
    "charge.dispute.created": NoticeKind.DISPUTED,
}
#: Where an event's object keeps the amount and the PaymentIntent id, by type prefix.
_FIELDS: Final = {
    "checkout.session.": ("amount_total", "payment_intent"),
    "payment_intent.succeeded": ("amount_received", "id"),
    "payment_intent.": ("amount", "id"),
    "charge.": ("amount", "payment_intent"),
    "refund.": ("amount", "payment_intent"),
}


def _meaning(kind: str, obj: Mapping[str, Any]) -> NoticeKind:
    """What event type ``kind`` with object ``obj`` says happened to the payment."""
    if kind == "checkout.session.completed":
        paid = {"paid": NoticeKind.SUCCEEDED, "unpaid": NoticeKind.PENDING}
        return paid.get(str(obj.get("payment_status")), NoticeKind.IGNORED)
    if kind == "charge.dispute.closed":
        closed = {
            "won": NoticeKind.DISPUTE_WON,
            "warning_closed": NoticeKind.DISPUTE_WON,
            "lost": NoticeKind.DISPUTE_LOST,
        }
        return closed.get(str(obj.get("status")), NoticeKind.IGNORED)
    if kind.startswith("refund."):
        return NoticeKind.REFUNDED
    return _FIXED.get(kind, NoticeKind.IGNORED)


def _classify(kind: str, obj: Mapping[str, Any]) -> tuple[NoticeKind, str, str | None]:
    """(what it means, the amount field, the PaymentIntent id) for event type ``kind``."""
    meaning = _meaning(kind, obj)
    for prefix, (amount_field, ref_field) in _FIELDS.items():
        if kind.startswith(prefix) and meaning is not NoticeKind.IGNORED:
            return meaning, amount_field, _id_of(obj.get(ref_field))
    return NoticeKind.IGNORED, "", None


def _newest_refund(charge: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The most recent refund listed on a charge (Stripe lists the newest first)."""
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, Mapping) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        return None
    newest: Mapping[str, Any] = max(
        (r for r in data if isinstance(r, Mapping)), key=lambda r: r.get("created", 0)
    )
    return newest


def _failure(obj: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(reason, code) of a failed PaymentIntent: the decline code when the bank gave one."""
    error = obj.get("last_payment_error")
    if not isinstance(error, Mapping):
        return None, None
    message, code = error.get("message"), error.get("decline_code") or error.get("code")
    return (
        message if isinstance(message, str) else None,
        code if isinstance(code, str) else None,
    )


def notice_from_event(body: bytes, *, provider: str) -> ProviderNotice:
    """The notice a VERIFIED Stripe event body carries (call ``verify_signature`` first).

    Raises WebhookRejectedError when the body is not a Stripe event (no id, type or object,
    an amount that is not a whole number). An event type invoicekit does not act on, or one
    without a PaymentIntent, is a notice of kind IGNORED.
    """
    try:
        event = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        raise _malformed("the body is not JSON", provider) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise _malformed("no event id", provider)
    kind, data = event.get("type"), event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(kind, str) or not isinstance(obj, dict):
        raise _malformed("no type or data.object", provider)
    created = event.get("created")
    occurred = (
        datetime.fromtimestamp(created, UTC)
        if isinstance(created, int) and not isinstance(created, bool) and 0 <= created < 2**33
        else None
    )
    meaning, amount_field, payment_ref = _classify(kind, obj)
    base = ProviderNotice(
        provider=provider,
        event_id=event["id"],
        kind=NoticeKind.IGNORED,
        type=kind,
        occurred_at=occurred,
        raw=body,
    )
    if meaning is NoticeKind.IGNORED:
        return base
    source: Mapping[str, Any] = obj
    refund_ref = _id_of(obj.get("id")) if kind.startswith("refund.") else None
    if kind == "charge.refunded":
        newest = _newest_refund(obj)
        if newest is None:
            _log.warning(
                "Stripe event %s (charge.refunded) lists no refunds: ignored; subscribe the "
                "endpoint to refund.created and refund.updated instead",
                event["id"],
            )
            return base
        source, refund_ref = newest, _id_of(newest.get("id"))
    if refund_ref is not None and source.get("status") not in _REFUND_STATES:
        return base
    if payment_ref is None:
        _log.warning("Stripe event %s (%s) names no PaymentIntent: ignored", event["id"], kind)
        return base
    amount, currency = _amount(source, amount_field, provider)
    seller_id, invoice_id = _metadata(obj)
    reason, code = _failure(obj) if kind == "payment_intent.payment_failed" else (None, None)
    if kind == "charge.dispute.created" and isinstance(obj.get("reason"), str):
        reason = obj["reason"]
    if kind == "checkout.session.async_payment_failed":
        reason, code = "the payment did not go through", "async_payment_failed"
    return ProviderNotice(
        provider=provider,
        event_id=event["id"],
        kind=meaning,
        type=kind,
        seller_id=seller_id,
        invoice_id=invoice_id,
        payment_ref=payment_ref,
        amount=amount,
        currency=currency,
        reason=reason,
        code=code,
        refund_ref=refund_ref,
        session_ref=_id_of(obj.get("id")) if kind.startswith("checkout.session.") else None,
        occurred_at=occurred,
        raw=body,
    )

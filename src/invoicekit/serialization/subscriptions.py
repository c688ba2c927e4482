"""Plans, coupons and subscriptions as stored documents: JSON text of the cattrs converter.

Each document is ``{"format": n, "<kind>": {...}}`` with every field (prices, tiers,
meters, lines, the schedule, coupons, pauses), amounts as decimal strings and times as
ISO 8601, so it reads back exactly. Bump the format when a document's shape changes.
"""

from __future__ import annotations

import json
from typing import Any, Final, TypeVar

import cattrs

from invoicekit.domain.coupons import Coupon
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.pricing import Plan
from invoicekit.domain.subscription import Subscription
from invoicekit.errors import IntegrityError

__all__ = [
    "SUBSCRIPTION_FORMAT",
    "coupon_from_text",
    "coupon_text",
    "customer_coupon_from_text",
    "customer_coupon_text",
    "plan_from_text",
    "plan_text",
    "subscription_from_text",
    "subscription_text",
]

T = TypeVar("T")

#: The format of the stored plan, coupon and subscription documents.
SUBSCRIPTION_FORMAT: Final = 1
_DECODE_ERRORS: Final = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    cattrs.BaseValidationError,
)


def _text(converter: cattrs.Converter, kind: str, value: object) -> str:
    document = {"format": SUBSCRIPTION_FORMAT, kind: converter.unstructure(value)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _read(converter: cattrs.Converter, kind: str, cls: type[T], text: str, where: str) -> T:
    try:
        document: Any = json.loads(text)
        if document["format"] != SUBSCRIPTION_FORMAT:
            raise ValueError(f"unknown {kind} format {document['format']!r}")
        value: T = converter.structure(document[kind], cls)
    except _DECODE_ERRORS as exc:
        raise IntegrityError(
            f"the stored {kind} in {where} cannot be read back ({exc!s:.200}); it was "
            "changed outside invoicekit or written by another version: restore a backup"
        ) from exc
    return value


def plan_text(converter: cattrs.Converter, plan: Plan) -> str:
    """The JSON text stored for ``plan``."""
    return _text(converter, "plan", plan)


def plan_from_text(converter: cattrs.Converter, text: str, where: str) -> Plan:
    """The plan stored as ``text``; IntegrityError when it cannot be read back."""
    return _read(converter, "plan", Plan, text, where)


def coupon_text(converter: cattrs.Converter, coupon: Coupon) -> str:
    """The JSON text stored for ``coupon``."""
    return _text(converter, "coupon", coupon)


def coupon_from_text(converter: cattrs.Converter, text: str, where: str) -> Coupon:
    """The coupon stored as ``text``; IntegrityError when it cannot be read back."""
    return _read(converter, "coupon", Coupon, text, where)


def customer_coupon_text(converter: cattrs.Converter, applied: CustomerCoupon) -> str:
    """The JSON text stored for a customer's coupon."""
    return _text(converter, "customer_coupon", applied)


def customer_coupon_from_text(converter: cattrs.Converter, text: str, where: str) -> CustomerCoupon:
    """The customer's coupon stored as ``text``; IntegrityError when it cannot be read back."""
    return _read(converter, "customer_coupon", CustomerCoupon, text, where)


def subscription_text(converter: cattrs.Converter, subscription: Subscription) -> str:
    """The JSON text stored for ``subscription``."""
    return _text(converter, "subscription", subscription)


def subscription_from_text(converter: cattrs.Converter, text: str, where: str) -> Subscription:
    """The subscription stored as ``text``; IntegrityError when it cannot be read back."""
    return _read(converter, "subscription", Subscription, text, where)

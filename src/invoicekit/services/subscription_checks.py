"""Checks of the subscription services' arguments: each returns the problems, with their paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicekit.domain import checks
from invoicekit.domain.pricing import PriceKind
from invoicekit.domain.subscription import Subscription
from invoicekit.errors import Problem, ValidationError, problem

__all__ = ["choice", "instant", "listing", "plain", "quantities", "seats_price"]


def choice(path: str, value: object, kind: type[Any]) -> list[Problem]:
    """``value`` must be one of the enum ``kind``'s values."""
    allowed = ", ".join(repr(str(v)) for v in kind)
    if value not in {str(v) for v in kind}:
        return [problem(path, f"must be one of {allowed}", value)]
    return []


def listing(
    customer_id: object, status: object, kind: type[Any], limit: object, after: object
) -> str | None:
    """Check a listing's filters (``status`` one of the enum ``kind``); the status as text.

    Subscriptions and recurring templates are listed alike: by customer and status,
    ``limit`` at a time after id ``after``. Raises ValidationError ("query").
    """
    found = checks.lookup("customer_id", customer_id, required=False)
    found += checks.lookup("after", after, required=False) + checks.at_least("limit", limit)
    if status is not None:
        found += choice("status", status, kind)
    checks.refuse(found, "query")
    return None if status is None else str(status)


def instant(path: str, value: object) -> list[Problem]:
    """``value`` must be an aware datetime, or None (now)."""
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        return [problem(path, "must be a timezone-aware datetime, or None (now)", value)]
    return []


def quantities(value: object) -> list[Problem]:
    """Seats by price id: each a number, 0 or more (never a float or a bool)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [problem("quantities", "must be a mapping of price id to a quantity", value)]
    found: list[Problem] = []
    for price_id, q in value.items():
        found += checks.lookup("quantities", price_id)
        try:
            number = Decimal(str(q)) if isinstance(q, int | str | Decimal) else None
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite() or number < 0 or isinstance(q, bool):
            found.append(
                problem(f"quantities[{price_id!r}]", "must be a number of seats, 0 or more", q)
            )
    return found


def plain(value: Any) -> Any:
    """Mappings as text and sequences as lists: the form a call's fingerprint takes."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def seats_price(sub: Subscription) -> str:
    """The id of the subscription's one seats price (ValidationError when none or several)."""
    seats = [i.price.id for i in sub.items if i.price.kind is PriceKind.SEATS]
    if len(seats) != 1:
        why = "name the seats price: the subscription has " + (
            "none" if not seats else f"several ({', '.join(seats)})"
        )
        raise ValidationError([problem("price_id", why, None)], subject="subscription")
    return seats[0]

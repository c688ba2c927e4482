"""Coupons: a percent or fixed amount off a subscription's invoices, once, for N periods or forever.

A coupon is a value kept by the seller; a subscription (or a customer, for all their
subscriptions) holds ``AppliedCoupon``s that say from which period it applies. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import attrs

__all__ = ["AppliedCoupon", "Coupon", "CouponDuration"]


class CouponDuration(StrEnum):
    """How many periods a coupon takes off."""

    #: The first invoice only.
    ONCE = "once"
    #: ``periods`` invoices.
    REPEATING = "repeating"
    #: Every invoice.
    FOREVER = "forever"


@attrs.frozen(kw_only=True)
class Coupon:
    """A discount a seller offers; exactly one of ``percent_off`` and ``amount_off`` is set."""

    id: str
    #: Shown as the discount's reason on the invoice.
    name: str
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    #: ``amount_off`` only: the currency it is in (a coupon for another currency is refused).
    currency: str | None = None
    duration: CouponDuration = CouponDuration.ONCE
    #: REPEATING only: for how many periods.
    periods: int | None = None


@attrs.frozen(kw_only=True)
class AppliedCoupon:
    """A coupon on a subscription, from period ``first_index`` on (for its duration)."""

    coupon: Coupon
    first_index: int

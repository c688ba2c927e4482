"""A coupon on a customer: taken off each of their subscriptions' invoices, as Stripe does.

A customer holds at most one coupon (``CustomerCoupon``); applying another replaces it.
For each subscription of the customer it counts like a coupon applied to that subscription
at ``start``: from the first bill after ``start`` (a subscription that begins later counts
from its first bill), once, for ``periods`` of that subscription's bills, or forever.
A subscription's own coupon takes precedence: in a period where any coupon of the
subscription applies, the customer's does not (that period still counts toward its
duration). A customer's coupon in another currency than a subscription's is not taken
off that subscription's invoices (``customers.apply_coupon`` refuses it for the
subscriptions the customer has when it is applied). Pure.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from invoicekit.domain.coupons import AppliedCoupon, Coupon
from invoicekit.domain.subscription import Subscription
from invoicekit.domain.subscription_billing import current_period

__all__ = ["CustomerCoupon", "bill_coupons", "customer_first_index"]


@attrs.frozen(kw_only=True)
class CustomerCoupon:
    """The coupon a customer holds, and when it was applied (``start``, UTC)."""

    customer_id: str
    coupon: Coupon
    #: When it was applied: each subscription counts its bills from the first one after it.
    start: datetime


def customer_first_index(sub: Subscription, applied: CustomerCoupon) -> int:
    """The index of ``sub``'s first bill the customer's coupon counts from.

    The same rule as a coupon applied to the subscription at ``applied.start``: the bill
    after the period current then, or the first bill when none had gone out yet.
    """
    period = current_period(sub, applied.start)
    return 0 if period is None else period.index + 1


def bill_coupons(
    sub: Subscription, customer: CustomerCoupon | None, index: int
) -> tuple[AppliedCoupon, ...]:
    """The coupons bill ``index`` of ``sub`` takes: its own, or else the customer's.

    The subscription's coupons alone when any of them applies to bill ``index`` (its own
    take precedence), when the customer has none, or when the customer's is in another
    currency; otherwise its coupons and the customer's, counted from
    ``customer_first_index``.
    """
    own = sub.coupons
    if customer is None or any(a.applies_to(index) for a in own):
        return own
    code = customer.coupon.currency
    if code is not None and code != sub.currency:
        return own
    first = customer_first_index(sub, customer)
    return (*own, AppliedCoupon(coupon=customer.coupon, first_index=first))

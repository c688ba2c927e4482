"""Subscriptions: a customer on a plan's prices in one currency, billed every period of a schedule.

A subscription is a value: every change (quantity, plan, pause, cancel, coupon) returns
a new one and, where the change is prorated, the proration lines it causes. Which
invoice bills what is decided by ``domain.subscription_billing``; storing and issuing
is the services' job. Pure: no I/O, no clock reads (every change takes its ``at``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import attrs

from invoicekit.domain.coupons import AppliedCoupon
from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Price
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.terms import PaymentTerms

__all__ = [
    "PauseBehavior",
    "ProrationBehavior",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionPause",
    "SubscriptionStatus",
]


class SubscriptionStatus(StrEnum):
    """Where a subscription stands."""

    #: In its trial: nothing billed (or the trial price) until ``trial_end``.
    TRIALING = "trialing"
    #: Billing every period.
    ACTIVE = "active"
    #: Its latest collection failed; dunning is under way.
    PAST_DUE = "past_due"
    #: Paused: no invoices, or invoices marked uncollectible (``PauseBehavior``).
    PAUSED = "paused"
    #: Ended (cancelled, or a trial ended without a payment method); final.
    CANCELED = "canceled"
    #: Dunning ended without payment and the seller keeps it (setting): bills, unpaid.
    UNPAID = "unpaid"


class ProrationBehavior(StrEnum):
    """What a mid-period change bills."""

    #: Credit the unused time of the old price and charge the new, on the next invoice.
    PRORATE = "prorate"
    #: Bill nothing for the change; the new price applies from the next period.
    NONE = "none"
    #: As PRORATE, but on an invoice issued now.
    INVOICE_NOW = "invoice_now"


class PauseBehavior(StrEnum):
    """What a paused subscription's periods bill."""

    #: No invoice for a paused period.
    SKIP = "skip"
    #: The invoice is issued and at once written off as uncollectible.
    MARK_UNCOLLECTIBLE = "mark_uncollectible"


@attrs.frozen(kw_only=True)
class SubscriptionItem:
    """One price of the subscription with its quantity (seats; 1 for fixed and metered)."""

    price: Price
    quantity: Decimal = Decimal(1)


@attrs.frozen(kw_only=True)
class SubscriptionPause:
    """Periods billed at or after ``start`` and before ``end`` (None: still paused) are paused."""

    start: datetime
    end: datetime | None = None
    behavior: PauseBehavior = PauseBehavior.SKIP


@attrs.frozen(kw_only=True)
class Subscription:
    """A customer's subscription; build with ``Subscription.create`` (checks every field)."""

    id: str
    customer_id: str
    plan_id: str
    currency: str
    items: tuple[SubscriptionItem, ...]
    #: Its periods; ``schedule.zone`` is the zone day counts and bill times are in.
    schedule: Schedule
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    #: None: the seller's default terms.
    terms: PaymentTerms | None = None
    #: When the trial ends (billing starts then), or None without a trial.
    trial_end: datetime | None = None
    #: A trial at a price: these lines are billed for the trial instead of nothing.
    trial_lines: tuple[Line, ...] = ()
    pauses: tuple[SubscriptionPause, ...] = ()
    #: Cancel when the current period ends (set by ``cancel(at_period_end=True)``).
    cancel_at_period_end: bool = False
    #: When the cancellation takes effect (usage up to it is still accepted).
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    coupons: tuple[AppliedCoupon, ...] = ()
    #: Proration lines of changes made since the last invoice, billed on the next one.
    pending: tuple[Line, ...] = ()

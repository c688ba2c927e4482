"""The records the subscription and usage repositories exchange: stored subscriptions and progress."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from invoicekit.domain.subscription import Subscription

__all__ = ["BilledUsage", "SubscriptionRecord", "UsageQuery"]


@attrs.frozen(kw_only=True)
class BilledUsage:
    """What one closed period's invoice billed for one metered price (late usage amends it)."""

    period_index: int
    price_id: str
    quantity: Decimal
    #: The rated amount billed, before tax and coupons.
    amount: Decimal


@attrs.frozen(kw_only=True)
class SubscriptionRecord:
    """A stored subscription with its billing progress; ``version`` counts saves (1 when added)."""

    seller_id: str
    subscription: Subscription
    created_at: datetime
    version: int = 1
    #: The index of the last period invoiced (or handled while paused), None before the first.
    last_index: int | None = None
    #: Invoices drafted from it still to be issued (a period's draft held for late usage).
    to_issue: tuple[str, ...] = ()
    #: Metered amounts billed for every closed period, to bill late usage's difference once.
    billed: tuple[BilledUsage, ...] = ()
    #: Usage received before this instant has been billed (or was in a period's draft).
    usage_billed_until: datetime | None = None
    #: Nothing more to bill (canceled and its final period invoiced): ``billing()`` leaves
    #: it out. Set by the services when they bill the final period.
    finished: bool = False


@attrs.frozen(kw_only=True)
class UsageQuery:
    """The usage of one meter of one subscription with ``start <= at < end``."""

    seller_id: str
    subscription_id: str
    meter: str
    start: datetime
    end: datetime
    #: Only records received before this instant (None: all).
    received_before: datetime | None = None

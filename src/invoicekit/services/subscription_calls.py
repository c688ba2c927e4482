"""The calls of the subscription services (``calls``' conventions: every field is fingerprinted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from invoicekit.services.calls import Call

__all__ = [
    "ApplyCustomerCoupon",
    "ChangeSubscription",
    "CreateCoupon",
    "CreatePlan",
    "CreateSubscription",
    "GenerateSubscriptions",
    "RecordUsage",
    "RemoveCustomerCoupon",
]

#: Field metadata: the field holds keyword arguments, fingerprinted one by one (as in calls).
_SPREAD: Final = {"spread": True}


@attrs.frozen(kw_only=True)
class CreatePlan(Call):
    """``plans.create``."""

    operation: ClassVar[str] = "create_plan"
    id: str | None
    name: str
    frequency: Any
    prices: Any
    interval: Any
    trial_days: Any


@attrs.frozen(kw_only=True)
class CreateCoupon(Call):
    """``coupons.create``."""

    operation: ClassVar[str] = "create_coupon"
    id: str | None
    name: str
    percent_off: Any
    amount_off: Any
    currency: Any
    duration: Any
    periods: Any


@attrs.frozen(kw_only=True)
class ApplyCustomerCoupon(Call):
    """``customers.apply_coupon``."""

    operation: ClassVar[str] = "apply_customer_coupon"
    customer_id: str
    coupon_id: str
    at: Any


@attrs.frozen(kw_only=True)
class RemoveCustomerCoupon(Call):
    """``customers.remove_coupon``."""

    operation: ClassVar[str] = "remove_customer_coupon"
    customer_id: str


@attrs.frozen(kw_only=True)
class CreateSubscription(Call):
    """``subscriptions.create``."""

    operation: ClassVar[str] = "create_subscription"
    id: str | None
    customer_id: str
    plan_id: str
    currency: Any
    quantities: Any
    start: Any
    trial_days: Any
    trial_end: Any
    trial_lines: Any
    coupon_id: Any


@attrs.frozen(kw_only=True)
class ChangeSubscription(Call):
    """``subscriptions.change_quantity``, ``change_plan``, ``pause``, ``resume``, ``cancel``, ...

    ``change`` names the verb; ``details`` holds its parameters, fingerprinted one by one.
    """

    operation: ClassVar[str] = "change_subscription"
    subscription_id: str
    change: str
    at: Any
    details: Mapping[str, Any] = attrs.field(factory=dict, metadata=_SPREAD)


@attrs.frozen(kw_only=True)
class RecordUsage(Call):
    """``usage.record`` and ``record_many`` (never keyed: each record's ``key`` dedupes it)."""

    operation: ClassVar[str] = "record_usage"


@attrs.frozen(kw_only=True)
class GenerateSubscriptions(Call):
    """Subscription invoices in ``run_due`` (never keyed: ids derive from the periods)."""

    operation: ClassVar[str] = "generate_subscriptions"

"""Rich plans, coupons and subscriptions for storage tests: every optional field set somewhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from invoicekit.domain.coupons import AppliedCoupon, Coupon, CouponDuration
from invoicekit.domain.line import Discount, Line, ServicePeriod
from invoicekit.domain.pricing import Plan, Price, PriceKind, PricingModel, Tier
from invoicekit.domain.schedule import Frequency, Schedule
from invoicekit.domain.subscription import (
    PauseBehavior,
    RetiredItem,
    Subscription,
    SubscriptionItem,
    SubscriptionPause,
    SubscriptionStatus,
)
from invoicekit.domain.tax import Tax, TaxCategory
from invoicekit.domain.terms import NetDays
from invoicekit.domain.usage import Aggregation, Meter

__all__ = ["rich_coupon", "rich_plan", "rich_subscription"]

_VAT = Tax(TaxCategory.STANDARD, Decimal(19))
_T0 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def rich_plan(plan_id: str = "pro") -> Plan:
    """A plan with a fixed fee, graduated seats, a package meter and a unique-count meter."""
    return Plan(
        id=plan_id,
        name="Pro",
        frequency=Frequency.MONTHLY,
        interval=1,
        trial_days=14,
        prices=(
            Price(
                id="base",
                description="Pro plan",
                currency="EUR",
                kind=PriceKind.FIXED,
                unit_amount=Decimal("49.00"),
                tax=(_VAT,),
            ),
            Price(
                id="seats",
                description="Seats",
                currency="EUR",
                kind=PriceKind.SEATS,
                model=PricingModel.GRADUATED,
                tax=(_VAT,),
                minimum=Decimal("10.00"),
                tiers=(
                    Tier(up_to=Decimal(5), unit_amount=Decimal("8.50")),
                    Tier(up_to=None, unit_amount=Decimal("6.25"), flat_amount=Decimal(1)),
                ),
            ),
            Price(
                id="calls",
                description="API calls",
                currency="EUR",
                kind=PriceKind.METERED,
                model=PricingModel.PACKAGE,
                package_size=Decimal(1000),
                unit_amount=Decimal("0.40"),
                maximum=Decimal("500.00"),
                unit="C62",
                meter=Meter(key="api_calls"),
                tax=(_VAT,),
            ),
            Price(
                id="users",
                description="Active users",
                currency="USD",
                kind=PriceKind.METERED,
                model=PricingModel.PERCENTAGE,
                percent=Decimal("2.5"),
                fixed_fee=Decimal("0.30"),
                meter=Meter(key="users", aggregation=Aggregation.UNIQUE_COUNT, property="user_id"),
                tax=(),
            ),
        ),
    )


def rich_coupon(coupon_id: str = "spring") -> Coupon:
    """A fixed-amount coupon for three periods."""
    return Coupon(
        id=coupon_id,
        name="Spring sale",
        amount_off=Decimal("5.00"),
        currency="EUR",
        duration=CouponDuration.REPEATING,
        periods=3,
    )


def rich_subscription(subscription_id: str = "sub-1", customer_id: str = "c-1") -> Subscription:
    """A subscription with a trial at a price, pauses, coupons, pending proration and terms."""
    plan = rich_plan()
    line = Line(
        description="Seats, 12 of 28 days",
        quantity=Decimal("-2"),
        unit_price=Decimal("3.642857"),
        tax=(_VAT,),
        discounts=(Discount(percent=Decimal(10), reason="loyal"),),
        period=ServicePeriod(date(2026, 2, 16), date(2026, 2, 28)),
    )
    return Subscription(
        id=subscription_id,
        customer_id=customer_id,
        plan_id=plan.id,
        currency="EUR",
        items=tuple(
            SubscriptionItem(price=p, quantity=Decimal(3) if p.id == "seats" else Decimal(1))
            for p in plan.prices_in("EUR")
        ),
        schedule=Schedule.monthly(
            date(2026, 1, 31), "Europe/Berlin", anchor_day=31, time_of_day=time(6, 0)
        ),
        status=SubscriptionStatus.PAUSED,
        terms=NetDays(14),
        trial_end=_T0 + timedelta(days=14),
        trial_lines=(Line(description="Trial", quantity=1, unit_price="1.00", tax=(_VAT,)),),
        pauses=(
            SubscriptionPause(
                start=_T0 + timedelta(days=40),
                end=_T0 + timedelta(days=70),
                behavior=PauseBehavior.MARK_UNCOLLECTIBLE,
            ),
            SubscriptionPause(start=_T0 + timedelta(days=90)),
        ),
        cancel_at_period_end=True,
        cancel_at=_T0 + timedelta(days=120),
        canceled_at=_T0 + timedelta(days=100),
        coupons=(
            AppliedCoupon(coupon=rich_coupon(), first_index=1),
            AppliedCoupon(
                coupon=Coupon(
                    id="half", name="Half", percent_off=Decimal(50), duration=CouponDuration.FOREVER
                ),
                first_index=0,
            ),
        ),
        pending=(line,),
        start=_T0,
        retired=(
            RetiredItem(
                item=SubscriptionItem(price=plan.prices[2]), until=_T0 + timedelta(days=20)
            ),
        ),
    )

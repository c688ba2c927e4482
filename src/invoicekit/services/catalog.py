"""One seller's catalogue: the plans subscriptions are made from, and the coupons they may carry.

``books.plans.create(...)`` checks every price (``Plan.create``) and stores the plan;
``books.coupons.create(...)`` does the same for a coupon. Both take an idempotency key
like every other create, and another seller's plan or coupon is NotFoundError (T35).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicekit.domain import checks
from invoicekit.domain.coupons import Coupon, CouponDuration
from invoicekit.domain.pricing import Plan, Price
from invoicekit.domain.schedule import Frequency
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services.unit import Runner

__all__ = ["Coupons", "Plans"]


def _plain(value: Any) -> Any:
    """Sequences as lists so the call's fingerprint sees every item."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


class Plans:
    """``books.plans``: the seller's plans (a fixed fee, seats and metered prices per period)."""

    def __init__(self, runner: Runner, seller_id: str, new_id: Callable[[str], str]) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id

    def create(
        self,
        name: str,
        *,
        frequency: Frequency | str,
        prices: Sequence[Price | Mapping[str, Any]],
        interval: int = 1,
        trial_days: int = 0,
        id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Plan:
        """Store a plan billed every ``interval`` ``frequency`` units with ``prices``.

        Prices are ``Price`` values or mappings of ``Price.create``'s fields; every bad
        field is one ValidationError with its path (``prices[1].tiers[0].up_to``).
        """
        checks.refuse(checks.identifier("id", id, required=False), "plan")
        plan_id = id or self._new_id("plan")

        def body(tx: Transaction, _: datetime) -> Plan:
            # Checked here, after the key: a key reused with other values is a conflict.
            plan = Plan.create(
                id=plan_id,
                name=name,
                frequency=frequency,
                prices=prices,
                interval=interval,
                trial_days=trial_days,
            )
            tx.catalog.add_plan(self._seller_id, plan)
            return plan

        call = calls.CreatePlan(
            id=id,
            name=name,
            frequency=str(frequency),
            prices=_plain(prices),
            interval=interval,
            trial_days=trial_days,
        )
        return self._run.write(self._seller_id, call, body, Plan, key=idempotency_key)

    def get(self, plan_id: str) -> Plan:
        """The plan. Raises NotFoundError (also for another seller's)."""
        checks.refuse(checks.lookup("plan_id", plan_id), "plan")
        with self._run.read() as tx:
            return tx.catalog.get_plan(self._seller_id, plan_id)

    def list(self) -> builtins.list[Plan]:
        """The seller's plans ordered by id."""
        with self._run.read() as tx:
            return tx.catalog.list_plans(self._seller_id)


class Coupons:
    """``books.coupons``: percent or fixed amounts off, once, for N periods or forever."""

    def __init__(self, runner: Runner, seller_id: str, new_id: Callable[[str], str]) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id

    def create(
        self,
        name: str,
        *,
        percent_off: Decimal | str | int | None = None,
        amount_off: Decimal | str | int | None = None,
        currency: str | None = None,
        duration: CouponDuration | str = "once",
        periods: int | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Coupon:
        """Store a coupon: exactly one of ``percent_off`` and ``amount_off`` (with its currency).

        ``duration`` is "once", "repeating" (for ``periods`` invoices) or "forever".
        """
        checks.refuse(checks.identifier("id", id, required=False), "coupon")
        coupon_id = id or self._new_id("coupon")

        def body(tx: Transaction, _: datetime) -> Coupon:
            coupon = Coupon.create(
                id=coupon_id,
                name=name,
                percent_off=percent_off,
                amount_off=amount_off,
                currency=currency,
                duration=duration,
                periods=periods,
            )
            tx.catalog.add_coupon(self._seller_id, coupon)
            return coupon

        call = calls.CreateCoupon(
            id=id,
            name=name,
            percent_off=None if percent_off is None else str(percent_off),
            amount_off=None if amount_off is None else str(amount_off),
            currency=currency,
            duration=str(duration),
            periods=periods,
        )
        return self._run.write(self._seller_id, call, body, Coupon, key=idempotency_key)

    def get(self, coupon_id: str) -> Coupon:
        """The coupon. Raises NotFoundError (also for another seller's)."""
        checks.refuse(checks.lookup("coupon_id", coupon_id), "coupon")
        with self._run.read() as tx:
            return tx.catalog.get_coupon(self._seller_id, coupon_id)

    def list(self) -> builtins.list[Coupon]:
        """The seller's coupons ordered by id."""
        with self._run.read() as tx:
            return tx.catalog.list_coupons(self._seller_id)
